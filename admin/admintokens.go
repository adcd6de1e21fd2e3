package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory"
)

// adminTokenView is an admin credential as the API shows it; the secret is never part of it.
type adminTokenView struct {
	ID   string         `json:"id"`
	Name string         `json:"name"`
	Role directory.Role `json:"role"`
	// Org is the organization the credential is limited to; "" is every organization.
	Org        string     `json:"org"`
	Created    time.Time  `json:"created"`
	ExpiresAt  *time.Time `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	Status     string     `json:"status"`
}

func (h *Handler) adminTokenView(t directory.Token) adminTokenView {
	return adminTokenView{ID: t.ID, Name: t.Name, Role: t.Role, Org: t.Org, Created: t.Created,
		ExpiresAt: timePtr(t.ExpiresAt), RevokedAt: timePtr(t.RevokedAt), LastUsedAt: timePtr(t.LastUsedAt),
		Status: tokenStatus(t, h.svc.Now())}
}

type adminTokenRequest struct {
	Name string         `json:"name"`
	Role directory.Role `json:"role"`
	Org  string         `json:"org"`
	// ExpiresIn is a duration such as "720h" or "90d", or a number of seconds; absent, the
	// credential does not expire.
	ExpiresIn json.RawMessage `json:"expires_in"`
	ExpiresAt *time.Time      `json:"expires_at"`
}

type createdAdminToken struct {
	adminTokenView
	// Token is the secret, shown this once.
	Token string `json:"token"`
}

// adminTokenProblems reports every problem of a request for an admin credential at once.
func (h *Handler) adminTokenProblems(r *http.Request, req *adminTokenRequest) ([]string, error) {
	var problems []string
	req.Name = strings.TrimSpace(req.Name)
	switch {
	case req.Name == "":
		problems = append(problems, `name is required: events name the credential by it ("admin:<name>")`)
	case len(req.Name) > 200:
		problems = append(problems, "name is longer than 200 characters")
	case strings.ContainsFunc(req.Name, func(c rune) bool { return c < 0x20 || c == 0x7f }):
		problems = append(problems, "name contains control characters")
	}
	req.Org = strings.TrimSpace(req.Org)
	switch {
	case req.Role == "":
		problems = append(problems, `role is required: "owner", "org-admin" or "viewer"`)
	case !req.Role.Valid():
		problems = append(problems, fmt.Sprintf(`role %q is not known; use "owner", "org-admin" or "viewer"`, req.Role))
	case req.Role == directory.RoleOwner && req.Org != "":
		problems = append(problems, fmt.Sprintf(`an owner acts in every organization; leave org empty (it is %q), or choose "org-admin" or "viewer"`, req.Org))
	case req.Role == directory.RoleOrgAdmin && req.Org == "":
		problems = append(problems, "org is required for an org-admin: the organization it administers")
	}
	if req.Org != "" {
		if _, err := h.svc.Org(r.Context(), req.Org); errors.Is(err, directory.ErrNotFound) {
			problems = append(problems, fmt.Sprintf("org %q does not exist", req.Org))
		} else if err != nil {
			return nil, err
		}
	}
	return problems, nil
}

func (h *Handler) createAdminToken(w http.ResponseWriter, r *http.Request, a access) error {
	var req adminTokenRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	problems, err := h.adminTokenProblems(r, &req)
	if err != nil {
		return err
	}
	expires, expiryProblems := tokenExpiry(h.svc.Now(), req.ExpiresIn, req.ExpiresAt)
	problems = append(problems, expiryProblems...)
	if len(problems) > 0 {
		return badRequest("the admin token request has problems; no token was created", problems...)
	}
	t, secret, err := h.svc.CreateAdminToken(r.Context(), a.actor(), req.Name, req.Role, req.Org, expires)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, createdAdminToken{adminTokenView: h.adminTokenView(t), Token: secret})
	return nil
}

func (h *Handler) listAdminTokens(w http.ResponseWriter, r *http.Request, _ access) error {
	ts, err := h.svc.AdminTokens(r.Context())
	if err != nil {
		return err
	}
	sort.Slice(ts, func(i, j int) bool {
		if !ts[i].Created.Equal(ts[j].Created) {
			return ts[i].Created.Before(ts[j].Created)
		}
		return ts[i].ID < ts[j].ID
	})
	out := list[adminTokenView]{Items: []adminTokenView{}}
	for _, t := range ts {
		out.Items = append(out.Items, h.adminTokenView(t))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func adminTokenMissing(id string) error {
	return notFound(fmt.Sprintf("admin token %q does not exist", id))
}

func (h *Handler) revokeAdminToken(w http.ResponseWriter, r *http.Request, a access) error {
	id := r.PathValue("id")
	// SCIM tokens are revoked at /scim-tokens/{id}; this endpoint does not see them.
	_, err := h.tokenOfKind(r.Context(), id, directory.TokenAdmin)
	if errors.Is(err, directory.ErrNotFound) {
		return adminTokenMissing(id)
	}
	if err != nil {
		return err
	}
	t, err := h.svc.RevokeToken(r.Context(), a.actor(), id)
	if errors.Is(err, directory.ErrNotFound) {
		return adminTokenMissing(id)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h.adminTokenView(t))
	return nil
}

// whoamiView is the caller's credential, for any valid credential. actor and base_url are
// what the console needs besides.
type whoamiView struct {
	ID      string         `json:"id"`
	Name    string         `json:"name"`
	Role    directory.Role `json:"role"`
	Org     string         `json:"org"`
	Actor   string         `json:"actor"`
	BaseURL string         `json:"base_url"`
	// Kind is "admin" (a token), "console" (a console session) or "setup" (a set-up
	// session); Intent is a set-up session's, ExpiresAt when the credential ends.
	Kind      string                `json:"kind"`
	Intent    directory.SetupIntent `json:"intent,omitempty"`
	ExpiresAt *time.Time            `json:"expires_at"`
}

func (h *Handler) whoami(w http.ResponseWriter, r *http.Request, a access) error {
	p := a.principal
	kind := p.Kind
	if kind == "" {
		kind = "admin"
	}
	writeJSON(w, http.StatusOK, whoamiView{ID: p.ID, Name: p.Name, Role: p.Role, Org: p.Org, Actor: p.Actor(), BaseURL: h.cfg.BaseURL,
		Kind: kind, Intent: p.Intent, ExpiresAt: timePtr(p.ExpiresAt)})
	return nil
}
