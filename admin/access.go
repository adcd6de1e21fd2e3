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
	// org is the resource's organization; "" when it belongs to none, directory.AllOrgs when
	// it concerns every organization.
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
// directory.AuthorizeArea (directory.Authorize, and for a set-up session its intent), and
// answers a refusal itself. A resource of an organization the
// principal may not see is answered exactly as one that does not exist.
func (h *Handler) authorize(r *http.Request, p directory.Principal, rt route) (access, error) {
	res, err := rt.scope(h, r, p)
	if err != nil {
		return access{}, err
	}
	d := directory.AuthorizeArea(p, rt.action, areaOf(rt.path), res.org)
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
	if a.org == directory.AllOrgs {
		// Handlers know a resource of every organization by the "" it is stored with.
		a.org = ""
	}
	if res.list && a.org == "" {
		a.org = p.Org
	}
	return a, nil
}

// principalOf is the principal of an admin token.
func principalOf(t directory.Token) directory.Principal {
	return directory.Principal{ID: t.ID, Name: t.Name, Role: t.Role, Org: t.Org, ExpiresAt: t.ExpiresAt}
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

// ofGroupPath is a route below /groups/{id}: the group's organization.
func ofGroupPath(h *Handler, r *http.Request, _ directory.Principal) (resource, error) {
	id := r.PathValue("id")
	var g directory.Group
	err := h.svc.View(r.Context(), func(tx directory.ReadTx) error {
		var err error
		g, err = tx.Group(id)
		return err
	})
	if errors.Is(err, directory.ErrNotFound) {
		return resource{}, groupMissing(id)
	}
	if err != nil {
		return resource{}, err
	}
	return resource{org: directory.OrgOrDefault(g.Org), missing: groupMissing(id)}, nil
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

func webhookMissing(id string) error { return notFound(fmt.Sprintf("webhook %q does not exist", id)) }

// ofWebhookPath is a route below /webhooks/{id}: the webhook's organization. A webhook of every
// organization's events concerns every organization, so a credential of one organization does
// not see it and only an owner changes it.
func ofWebhookPath(h *Handler, r *http.Request, _ directory.Principal) (resource, error) {
	id := r.PathValue("id")
	w, err := h.svc.Webhook(r.Context(), id)
	if errors.Is(err, directory.ErrNotFound) {
		return resource{}, webhookMissing(id)
	}
	if err != nil {
		return resource{}, err
	}
	org := w.Org
	if org == "" {
		org = directory.AllOrgs
	}
	return resource{org: org, missing: webhookMissing(id)}, nil
}

// ofWebhookBody is POST /webhooks: the new webhook is of the organization the body names in
// "org", else of the IdP it names in "idp", else of every organization. A credential of one
// organization never makes a webhook of every organization: without "org" and "idp" its
// webhook is of its own organization.
func ofWebhookBody(h *Handler, r *http.Request, p directory.Principal) (resource, error) {
	names, err := readBodyNames(r)
	if err != nil {
		return resource{}, err
	}
	org, err := names.org()
	if err != nil {
		return resource{}, err
	}
	idp, err := names.idp()
	if err != nil {
		return resource{}, err
	}
	switch {
	case org != "":
		return h.orgResource(r, org)
	case idp != "":
		return h.idpResource(r, idp, idpMissing(idp))
	case p.Org != "":
		return h.orgResource(r, p.Org)
	default:
		return resource{org: directory.AllOrgs}, nil
	}
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

// bodyOrg reads the "org" of a JSON object body and puts the body back for the handler.
func bodyOrg(r *http.Request) (string, error) {
	names, err := readBodyNames(r)
	if err != nil {
		return "", err
	}
	return names.org()
}

// bodyNames is what a create's body names, as given: its organization and its IdP.
type bodyNames struct {
	Org json.RawMessage `json:"org"`
	IdP json.RawMessage `json:"idp"`
}

// readBodyNames reads what the JSON object body names and puts the body back for the
// handler. A body that is not a JSON object is the handler's to report; it names nothing.
func readBodyNames(r *http.Request) (bodyNames, error) {
	var names bodyNames
	if r.Body == nil || r.Body == http.NoBody {
		return names, nil
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return names, err
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	if json.Unmarshal(raw, &names) != nil {
		return bodyNames{}, nil
	}
	return names, nil
}

func (n bodyNames) org() (string, error) { return nameIn(n.Org, "org", "the id of an organization") }

func (n bodyNames) idp() (string, error) { return nameIn(n.IdP, "idp", "the id of an IdP") }

// nameIn is the string a body's field holds, "" when it is absent or null.
func nameIn(raw json.RawMessage, field, what string) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", badRequest(fmt.Sprintf("%s must be %s, as a JSON string", field, what))
	}
	return strings.TrimSpace(v), nil
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
