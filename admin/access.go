package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/rosterhq/roster/directory"
)

// access is what the middleware established about a request before its handler runs: who
// calls, and the organization the route acts in. For a route on one resource, org is that
// resource's organization ("" for what belongs to none); for a list it is the organization the
// list is limited to, "" for every one; for a create, the organization the new resource goes
// to.
type access struct {
	principal directory.Principal
	org       string
}

// actor is the event actor naming the credential (admin:<name>).
func (a access) actor() string { return a.principal.Actor() }

// resource is a route's resource as the authorization decision needs it.
type resource struct {
	// org is the resource's organization; "" when it belongs to none.
	org string
	// missing is the answer when the resource does not exist, given too when it is in an
	// organization the principal may not see, so that both read alike (R13).
	missing error
	// list marks a list without ?org=: it is limited to the principal's organization, or to
	// none for a principal of every organization.
	list bool
}

// scope resolves the resource of a request. It returns the resource's 404 as its error when
// the resource does not exist.
type scope func(h *Handler, r *http.Request, p directory.Principal) (resource, error)

// authorize decides a request once: it resolves the route's resource, asks
// directory.Authorize, and answers a refusal itself. A resource of an organization the
// principal may not see is answered exactly as one that does not exist.
func (h *Handler) authorize(r *http.Request, p directory.Principal, rt route) (access, error) {
	res, err := rt.scope(h, r, p)
	if err != nil {
		return access{}, err
	}
	d := directory.Authorize(p, rt.action, res.org)
	switch d.Status {
	case directory.AuthAllowed:
	case directory.AuthNotFound:
		if res.missing != nil {
			return access{}, res.missing
		}
		return access{}, notFound("not found: " + r.URL.Path)
	default:
		return access{}, &apiError{status: http.StatusForbidden, msg: d.Reason}
	}
	a := access{principal: p, org: res.org}
	if res.list && a.org == "" {
		a.org = p.Org
	}
	return a, nil
}

// principalOf is the principal of an admin token.
func principalOf(t directory.Token) directory.Principal {
	return directory.Principal{ID: t.ID, Name: t.Name, Role: t.Role, Org: t.Org}
}

// --- scopes -------------------------------------------------------------------------------------

// unscoped is a route on what belongs to no organization: the list of organizations, admin
// credentials, presets, the backup, the caller itself.
func unscoped(*Handler, *http.Request, directory.Principal) (resource, error) {
	return resource{}, nil
}

func orgMissing(id string) error {
	return notFound(fmt.Sprintf("organization %q does not exist", id))
}

// org resolves an organization named in the request.
func (h *Handler) orgResource(r *http.Request, id string) (resource, error) {
	if _, err := h.org(r, id); err != nil {
		return resource{}, err
	}
	return resource{org: id, missing: orgMissing(id)}, nil
}

// inOrgPath is a route below /orgs/{org}.
func inOrgPath(h *Handler, r *http.Request, _ directory.Principal) (resource, error) {
	return h.orgResource(r, r.PathValue("org"))
}

func idpMissing(id string) error { return notFound(fmt.Sprintf("IdP %q does not exist", id)) }

// idpResource resolves an IdP: its users, groups, tombstones, SCIM tokens and events are its
// organization's.
func (h *Handler) idpResource(r *http.Request, id string, missing error) (resource, error) {
	p, err := h.svc.IdP(r.Context(), id)
	if errors.Is(err, directory.ErrNotFound) {
		return resource{}, missing
	}
	if err != nil {
		return resource{}, err
	}
	return resource{org: directory.OrgOrDefault(p.Org), missing: missing}, nil
}

// ofIdPPath is a route below /idps/{id}.
func ofIdPPath(h *Handler, r *http.Request, _ directory.Principal) (resource, error) {
	id := r.PathValue("id")
	return h.idpResource(r, id, idpMissing(id))
}

func userMissing(id string) error { return notFound(fmt.Sprintf("user %q does not exist", id)) }

// ofUserPath is a route below /users/{id}.
func ofUserPath(h *Handler, r *http.Request, _ directory.Principal) (resource, error) {
	id := r.PathValue("id")
	u, err := h.svc.User(r.Context(), id)
	if errors.Is(err, directory.ErrNotFound) {
		return resource{}, userMissing(id)
	}
	if err != nil {
		return resource{}, err
	}
	return resource{org: directory.OrgOrDefault(u.Org), missing: userMissing(id)}, nil
}

func scimTokenMissing(id string) error {
	return notFound(fmt.Sprintf("SCIM token %q does not exist", id))
}

// ofSCIMTokenPath is /scim-tokens/{id}: the token's IdP's organization. Admin tokens are not
// SCIM tokens and read as missing here.
func ofSCIMTokenPath(h *Handler, r *http.Request, _ directory.Principal) (resource, error) {
	id := r.PathValue("id")
	missing := scimTokenMissing(id)
	t, err := h.tokenOfKind(r.Context(), id, directory.TokenSCIM)
	if errors.Is(err, directory.ErrNotFound) {
		return resource{}, missing
	}
	if err != nil {
		return resource{}, err
	}
	res, err := h.idpResource(r, t.IdP, missing)
	if errors.Is(err, missing) {
		// A token whose IdP is gone still belongs to the organization it was made in.
		return resource{org: directory.OrgOrDefault(t.Org), missing: missing}, nil
	}
	return res, err
}

func tombstoneMissing(idp, uid string) error {
	return notFound(fmt.Sprintf("no tombstone for uniqueUserId %q of IdP %q", uid, idp))
}

// ofTombstonePath is /tombstones/{idp}/{uid}: the IdP's organization.
func ofTombstonePath(h *Handler, r *http.Request, _ directory.Principal) (resource, error) {
	return h.idpResource(r, r.PathValue("idp"), tombstoneMissing(r.PathValue("idp"), r.PathValue("uid")))
}

// orgQuery is a list: ?org= limits it to that organization; without it the list is limited to
// what the principal may read.
func orgQuery(h *Handler, r *http.Request, _ directory.Principal) (resource, error) {
	if id := r.URL.Query().Get("org"); id != "" {
		return h.orgResource(r, id)
	}
	return resource{list: true}, nil
}

// inOrgOfBody is a create: the new resource goes to the organization named by the body's
// "org", else by ?org=, else to the only organization the principal can see.
func inOrgOfBody(h *Handler, r *http.Request, p directory.Principal) (resource, error) {
	id, err := bodyOrg(r)
	if err != nil {
		return resource{}, err
	}
	if id == "" {
		id = r.URL.Query().Get("org")
	}
	if id != "" {
		return h.orgResource(r, id)
	}
	orgs, err := h.svc.Orgs(r.Context())
	if err != nil {
		return resource{}, err
	}
	var visible []string
	for _, o := range orgs {
		if p.CanSeeOrg(o.ID) {
			visible = append(visible, o.ID)
		}
	}
	sort.Strings(visible)
	switch len(visible) {
	case 1:
		return resource{org: visible[0], missing: orgMissing(visible[0])}, nil
	case 0:
		return resource{}, badRequest("org is required, and this credential sees no organization to create it in")
	default:
		return resource{}, badRequest(fmt.Sprintf(`org is required while there are several organizations; name one of %s in "org"`, quoteList(visible, 20)))
	}
}

// bodyOrg reads the "org" of a JSON object body and puts the body back for the handler. A
// body that is not a JSON object is the handler's to report; it names no organization.
func bodyOrg(r *http.Request) (string, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return "", nil
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return "", err
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	var in struct {
		Org json.RawMessage `json:"org"`
	}
	if json.Unmarshal(raw, &in) != nil || len(in.Org) == 0 || string(in.Org) == "null" {
		return "", nil
	}
	var org string
	if err := json.Unmarshal(in.Org, &org); err != nil {
		return "", badRequest(`org must be the id of an organization, as a JSON string`)
	}
	return strings.TrimSpace(org), nil
}

// quoteList quotes at most max names, saying how many more there are.
func quoteList(names []string, max int) string {
	var b strings.Builder
	for i, n := range names {
		if i == max {
			fmt.Fprintf(&b, " and %d more", len(names)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", n)
	}
	return b.String()
}
