package admin_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testdns"
	"github.com/rosterhq/roster/internal/testserver"
	"github.com/rosterhq/roster/internal/teststore"
)

// orgsEnv is a server with two organizations, a and b, each with an IdP (idp-a, idp-b) in
// mode both, a user, a SCIM token and a claimed domain; and one admin credential of each kind
// the isolation matrix tries.
type orgsEnv struct {
	*env
	dns *testdns.Server
	// tokens are the secrets of the principals, by name (see principals).
	tokens map[string]string
	// users are the ids of each organization's user.
	users map[string]string
	// hook is a webhook endpoint on loopback that takes every delivery.
	hook string
	// postgres: the server runs on PostgreSQL.
	postgres bool
	n        int
}

// principals are the credentials the matrix tries, in order.
var principals = []string{"owner", "admin-a", "admin-b", "viewer-a", "viewer"}

func newOrgsEnv(t *testing.T) *orgsEnv {
	t.Helper()
	return newOrgsEnvOn(t, "")
}

// newOrgsEnvOn is newOrgsEnv on the PostgreSQL database at databaseURL ("" for bbolt).
func newOrgsEnvOn(t *testing.T, databaseURL string) *orgsEnv {
	t.Helper()
	dnsSrv := testdns.Start(t)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(receiver.Close)
	e := &orgsEnv{env: newEnvWith(t, testserver.Config{DNSResolver: dnsSrv.Addr, DatabaseURL: databaseURL}), dns: dnsSrv,
		users: map[string]string{}, hook: receiver.URL + "/hook", postgres: databaseURL != ""}
	for _, org := range []string{"a", "b"} {
		e.createOrg(org)
		e.createIdPIn(org, "idp-"+org, directory.ModeBoth)
		e.users[org] = e.scimCreate("idp-"+org, "00u-"+org, "person@"+org+".example").ID
		e.want(e.do("POST", "/admin/api/v1/idps/idp-"+org+"/scim-tokens", map[string]any{"name": "connector"}), http.StatusCreated)
		e.want(e.do("POST", "/admin/api/v1/orgs/"+org+"/domains", map[string]any{"domain": org + ".example"}), http.StatusCreated)
	}
	e.tokens = map[string]string{
		"owner":    e.token,
		"admin-a":  e.adminToken("admin of a", directory.RoleOrgAdmin, "a"),
		"admin-b":  e.adminToken("admin of b", directory.RoleOrgAdmin, "b"),
		"viewer-a": e.adminToken("viewer of a", directory.RoleViewer, "a"),
		"viewer":   e.adminToken("viewer of all", directory.RoleViewer, ""),
	}
	return e
}

// freshGroup creates a group of org's IdP through SCIM, with the organization's user in it.
func (e *orgsEnv) freshGroup(org string) string {
	g, err := e.svc.SCIMCreateGroup(e.t.Context(), directory.SCIMActor{IdP: "idp-" + org, TokenID: "test"},
		directory.Group{DisplayName: e.fresh("group"), Members: []string{e.users[org]}})
	if err != nil {
		e.t.Fatal(err)
	}
	return g.ID
}

// setupLinkOf makes a set-up link of org, as the owner, and returns its id.
func (e *orgsEnv) setupLinkOf(org string) string {
	l, _, err := e.svc.CreateSetupLink(e.t.Context(), "admin:test", org, directory.SetupSSO, time.Now().Add(time.Hour))
	if err != nil {
		e.t.Fatal(err)
	}
	return l.ID
}

// fresh returns a name not used before in this test.
func (e *orgsEnv) fresh(prefix string) string {
	e.n++
	return fmt.Sprintf("%s%d", prefix, e.n)
}

// freshUser creates a user of org's IdP through SCIM.
func (e *orgsEnv) freshUser(org string) directory.User {
	name := e.fresh("u")
	return e.scimCreate("idp-"+org, "00u-"+name, name+"@"+org+".example")
}

// freshDomain claims a new domain for org as the owner and returns its answer.
func (e *orgsEnv) freshDomain(org string) domainAnswer {
	var d domainAnswer
	e.want(e.do("POST", "/admin/api/v1/orgs/"+org+"/domains", map[string]any{"domain": e.fresh("d") + "." + org + ".example"}),
		http.StatusCreated).json(e.t, &d)
	return d
}

type domainAnswer struct {
	Domain     string  `json:"domain"`
	Verified   bool    `json:"verified"`
	VerifiedAt *string `json:"verified_at"`
	TXTName    string  `json:"txt_name"`
	TXTValue   string  `json:"txt_value"`
}

// state is everything a refused request must leave as it was.
type state struct {
	Orgs       []directory.Organization
	IdPs       []directory.IdP
	Tokens     []directory.Token
	Users      []directory.User
	Groups     []directory.Group
	Tombstones []directory.Tombstone
	Webhooks   []directory.Webhook
	LastSeq    uint64
}

func (e *env) state() state {
	e.t.Helper()
	var s state
	err := e.svc.View(e.t.Context(), func(tx directory.ReadTx) error {
		var err error
		if s.Orgs, err = tx.Orgs(); err != nil {
			return err
		}
		if s.IdPs, err = tx.IdPs(); err != nil {
			return err
		}
		for _, kind := range []directory.TokenKind{directory.TokenAdmin, directory.TokenSCIM} {
			ts, err := tx.Tokens(kind, "")
			if err != nil {
				return err
			}
			s.Tokens = append(s.Tokens, ts...)
		}
		if err := tx.ScanUsers(directory.ScanQuery{}, func(u directory.User) error { s.Users = append(s.Users, u); return nil }); err != nil {
			return err
		}
		if err := tx.ScanGroups(directory.ScanQuery{}, func(g directory.Group) error { s.Groups = append(s.Groups, g); return nil }); err != nil {
			return err
		}
		for _, p := range s.IdPs {
			ts, err := tx.Tombstones(p.ID)
			if err != nil {
				return err
			}
			s.Tombstones = append(s.Tombstones, ts...)
		}
		s.LastSeq, err = tx.LastSeq()
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if s.Webhooks, err = e.svc.Webhooks(e.t.Context(), ""); err != nil {
		e.t.Fatal(err)
	}
	return s
}

// unchanged compares two states. A token's last use is recorded by authentication itself, and
// a webhook's delivery progress by its worker.
func unchanged(before, after state) string {
	return cmp.Diff(before, after, cmpopts.IgnoreFields(directory.Token{}, "LastUsedAt"),
		cmpopts.IgnoreFields(directory.Webhook{}, "State"), cmpopts.EquateEmpty())
}

// request is one request of the matrix, built against a resource of one organization.
type request struct {
	method, path string
	body         any
}

// class says who may do what a route does (DESIGN, "Administrators and roles"): the status
// each principal gets for a resource of a and of b, where "ok" is the route's own success
// status. An unscoped class is of routes on what belongs to no organization; they are tried
// once, and only the first column counts. An everyOrg class is of routes whose resource may
// also concern every organization (a webhook of every organization's events); they are tried
// on that too, the third column.
type class struct {
	unscoped bool
	everyOrg bool
	want     map[string][]int
}

const ok = 0

var (
	// reads of an organization's resources: an org-scoped credential does not see another
	// organization's.
	reads = class{want: map[string][]int{"owner": {ok, ok}, "admin-a": {ok, 404}, "admin-b": {404, ok}, "viewer-a": {ok, 404}, "viewer": {ok, ok}}}
	// writes of an organization's resources: viewers may not write.
	writes = class{want: map[string][]int{"owner": {ok, ok}, "admin-a": {ok, 404}, "admin-b": {404, ok}, "viewer-a": {403, 404}, "viewer": {403, 403}}}
	// what only an owner may do to an organization.
	ownersOfOrg = class{want: map[string][]int{"owner": {ok, ok}, "admin-a": {403, 404}, "admin-b": {404, 403}, "viewer-a": {403, 404}, "viewer": {403, 403}}}
	// what belongs to no organization and only an owner may do.
	ownersOnly = class{unscoped: true, want: map[string][]int{"owner": {ok}, "admin-a": {403}, "admin-b": {403}, "viewer-a": {403}, "viewer": {403}}}
	// what belongs to no organization and every credential may read.
	anyone = class{unscoped: true, want: map[string][]int{"owner": {ok}, "admin-a": {ok}, "admin-b": {ok}, "viewer-a": {ok}, "viewer": {ok}}}
	// reads of a webhook: one of every organization is seen only by a credential of every
	// organization.
	webhookReads = class{everyOrg: true, want: map[string][]int{"owner": {ok, ok, ok}, "admin-a": {ok, 404, 404},
		"admin-b": {404, ok, 404}, "viewer-a": {ok, 404, 404}, "viewer": {ok, ok, ok}}}
	// writes of a webhook: one of every organization is the owner's.
	webhookWrites = class{everyOrg: true, want: map[string][]int{"owner": {ok, ok, ok}, "admin-a": {ok, 404, 404},
		"admin-b": {404, ok, 404}, "viewer-a": {403, 404, 404}, "viewer": {403, 403, 403}}}
	// creates of a webhook, in a, in b, and without "org": that is every organization for a
	// credential of every organization, and its own organization for one of one.
	webhookCreates = class{everyOrg: true, want: map[string][]int{"owner": {ok, ok, ok}, "admin-a": {ok, 404, ok},
		"admin-b": {404, ok, ok}, "viewer-a": {403, 404, 403}, "viewer": {403, 403, 403}}}
)

// everyOrg is the organization argument of a build function for a resource of every
// organization.
const everyOrg = directory.AllOrgs

// hookOf creates, as the owner, a webhook of org (everyOrg: of every organization) and
// returns its id.
func (e *orgsEnv) hookOf(org string) string {
	e.t.Helper()
	body := map[string]any{"url": e.hook}
	if org != everyOrg {
		body["org"] = org
	}
	var hook struct {
		ID  string `json:"id"`
		Org string `json:"org"`
	}
	e.want(e.do("POST", "/admin/api/v1/webhooks", body), http.StatusCreated).json(e.t, &hook)
	if want := strings.TrimPrefix(org, everyOrg); hook.Org != want {
		e.t.Fatalf("webhook made for %q is of %q", want, hook.Org)
	}
	return hook.ID
}

type matrixRoute struct {
	name string
	who  class
	// ok is the status of a request that is allowed.
	ok int
	// build makes the request against a resource of org (a or b; "" for the routes of no
	// organization), creating as the owner whatever it needs first.
	build func(e *orgsEnv, org string) request
}

func matrixRoutes() []matrixRoute {
	const api = "/admin/api/v1"
	return []matrixRoute{
		{"GET /orgs", anyone, 200, func(e *orgsEnv, _ string) request { return request{"GET", api + "/orgs", nil} }},
		{"POST /orgs", ownersOnly, 201, func(e *orgsEnv, _ string) request {
			return request{"POST", api + "/orgs", map[string]any{"id": e.fresh("org")}}
		}},
		{"GET /orgs/{org}", reads, 200, func(e *orgsEnv, org string) request { return request{"GET", api + "/orgs/" + org, nil} }},
		{"PATCH /orgs/{org}", ownersOfOrg, 200, func(e *orgsEnv, org string) request {
			return request{"PATCH", api + "/orgs/" + org, map[string]any{"name": e.fresh("Renamed ")}}
		}},
		// Both organizations still have an IdP and users, so even the owner is refused.
		{"DELETE /orgs/{org}", ownersOfOrg, 409, func(e *orgsEnv, org string) request { return request{"DELETE", api + "/orgs/" + org, nil} }},
		{"POST /orgs/{org}/domains", writes, 201, func(e *orgsEnv, org string) request {
			return request{"POST", api + "/orgs/" + org + "/domains", map[string]any{"domain": e.fresh("new") + "." + org + ".example"}}
		}},
		{"POST /orgs/{org}/domains/{domain}/verify", writes, 200, func(e *orgsEnv, org string) request {
			d := e.freshDomain(org)
			e.dns.SetTXT(d.TXTName, d.TXTValue)
			return request{"POST", api + "/orgs/" + org + "/domains/" + d.Domain + "/verify", nil}
		}},
		{"DELETE /orgs/{org}/domains/{domain}", writes, 204, func(e *orgsEnv, org string) request {
			return request{"DELETE", api + "/orgs/" + org + "/domains/" + e.freshDomain(org).Domain, nil}
		}},
		{"GET /admin-tokens", ownersOnly, 200, func(e *orgsEnv, _ string) request { return request{"GET", api + "/admin-tokens", nil} }},
		{"POST /admin-tokens", ownersOnly, 201, func(e *orgsEnv, _ string) request {
			return request{"POST", api + "/admin-tokens", map[string]any{"name": e.fresh("t"), "role": "viewer", "org": "a"}}
		}},
		{"DELETE /admin-tokens/{id}", ownersOnly, 200, func(e *orgsEnv, _ string) request {
			var tok struct{ ID string }
			e.want(e.do("POST", api+"/admin-tokens", map[string]any{"name": e.fresh("t"), "role": "viewer"}), 201).json(e.t, &tok)
			return request{"DELETE", api + "/admin-tokens/" + tok.ID, nil}
		}},
		{"GET /whoami", anyone, 200, func(e *orgsEnv, _ string) request { return request{"GET", api + "/whoami", nil} }},
		{"GET /presets", anyone, 200, func(e *orgsEnv, _ string) request { return request{"GET", api + "/presets", nil} }},
		{"GET /backup", ownersOnly, 200, func(e *orgsEnv, _ string) request { return request{"GET", api + "/backup", nil} }},
		{"GET /idps", anyone, 200, func(e *orgsEnv, _ string) request { return request{"GET", api + "/idps", nil} }},
		{"GET /idps?org=", reads, 200, func(e *orgsEnv, org string) request { return request{"GET", api + "/idps?org=" + org, nil} }},
		{"POST /idps", writes, 201, func(e *orgsEnv, org string) request {
			body := oidcIdP(e.fresh("idp"), directory.ModeJIT)
			body["org"] = org
			return request{"POST", api + "/idps", body}
		}},
		{"POST /idps?org=", writes, 201, func(e *orgsEnv, org string) request {
			return request{"POST", api + "/idps?org=" + org, oidcIdP(e.fresh("idp"), directory.ModeJIT)}
		}},
		{"GET /idps/{id}", reads, 200, func(e *orgsEnv, org string) request { return request{"GET", api + "/idps/idp-" + org, nil} }},
		{"PATCH /idps/{id}", writes, 200, func(e *orgsEnv, org string) request {
			return request{"PATCH", api + "/idps/idp-" + org, map[string]any{"name": e.fresh("Renamed ")}}
		}},
		{"DELETE /idps/{id}", writes, 204, func(e *orgsEnv, org string) request {
			id := e.fresh("gone")
			e.createIdPIn(org, id, directory.ModeJIT)
			return request{"DELETE", api + "/idps/" + id, nil}
		}},
		{"GET /idps/{id}/scim-tokens", reads, 200, func(e *orgsEnv, org string) request {
			return request{"GET", api + "/idps/idp-" + org + "/scim-tokens", nil}
		}},
		{"POST /idps/{id}/scim-tokens", writes, 201, func(e *orgsEnv, org string) request {
			return request{"POST", api + "/idps/idp-" + org + "/scim-tokens", map[string]any{"name": e.fresh("c")}}
		}},
		{"GET /idps/{id}/reconciliation", reads, 200, func(e *orgsEnv, org string) request {
			return request{"GET", api + "/idps/idp-" + org + "/reconciliation", nil}
		}},
		{"DELETE /scim-tokens/{id}", writes, 200, func(e *orgsEnv, org string) request {
			var tok struct{ ID string }
			e.want(e.do("POST", api+"/idps/idp-"+org+"/scim-tokens", map[string]any{}), 201).json(e.t, &tok)
			return request{"DELETE", api + "/scim-tokens/" + tok.ID, nil}
		}},
		{"GET /users", anyone, 200, func(e *orgsEnv, _ string) request { return request{"GET", api + "/users", nil} }},
		{"GET /users?org=", reads, 200, func(e *orgsEnv, org string) request { return request{"GET", api + "/users?org=" + org, nil} }},
		{"GET /users/{id}", reads, 200, func(e *orgsEnv, org string) request { return request{"GET", api + "/users/" + e.users[org], nil} }},
		{"POST /users/{id}/deactivate", writes, 200, func(e *orgsEnv, org string) request {
			return request{"POST", api + "/users/" + e.freshUser(org).ID + "/deactivate", nil}
		}},
		{"POST /users/{id}/reactivate", writes, 200, func(e *orgsEnv, org string) request {
			u := e.freshUser(org)
			if _, err := e.svc.DeactivateUser(e.t.Context(), "admin:test", u.ID); err != nil {
				e.t.Fatal(err)
			}
			// A user SCIM provisions is the connector's to reactivate; mode jit leaves it to
			// the administrator.
			if _, err := e.svc.UpdateIdP(e.t.Context(), "admin:test", "idp-"+org, func(p directory.IdP) (directory.IdP, error) {
				p.Mode = directory.ModeJIT
				return p, nil
			}); err != nil {
				e.t.Fatal(err)
			}
			e.t.Cleanup(func() {
				e.svc.UpdateIdP(e.t.Context(), "admin:test", "idp-"+org, func(p directory.IdP) (directory.IdP, error) {
					p.Mode = directory.ModeBoth
					return p, nil
				})
			})
			return request{"POST", api + "/users/" + u.ID + "/reactivate", nil}
		}},
		{"DELETE /users/{id}", writes, 200, func(e *orgsEnv, org string) request {
			return request{"DELETE", api + "/users/" + e.freshUser(org).ID, nil}
		}},
		{"DELETE /users/{id}?dry_run=true", writes, 200, func(e *orgsEnv, org string) request {
			return request{"DELETE", api + "/users/" + e.users[org] + "?dry_run=true", nil}
		}},
		{"GET /users/{id}/sessions", reads, 200, func(e *orgsEnv, org string) request {
			return request{"GET", api + "/users/" + e.users[org] + "/sessions", nil}
		}},
		{"POST /users/{id}/sessions/revoke", writes, 200, func(e *orgsEnv, org string) request {
			return request{"POST", api + "/users/" + e.freshUser(org).ID + "/sessions/revoke", nil}
		}},
		{"GET /idps/{id}/mode-preview", reads, 200, func(e *orgsEnv, org string) request {
			return request{"GET", api + "/idps/idp-" + org + "/mode-preview?mode=scim", nil}
		}},
		{"GET /orgs/{org}/setup-links", reads, 200, func(e *orgsEnv, org string) request {
			return request{"GET", api + "/orgs/" + org + "/setup-links", nil}
		}},
		{"POST /orgs/{org}/setup-links", writes, 201, func(e *orgsEnv, org string) request {
			return request{"POST", api + "/orgs/" + org + "/setup-links", map[string]any{"intent": "sso"}}
		}},
		{"DELETE /setup-links/{id}", writes, 200, func(e *orgsEnv, org string) request {
			return request{"DELETE", api + "/setup-links/" + e.setupLinkOf(org), nil}
		}},
		{"GET /idps/{id}/health", reads, 200, func(e *orgsEnv, org string) request {
			return request{"GET", api + "/idps/idp-" + org + "/health", nil}
		}},
		{"GET /idps/{id}/setup-guide", reads, 200, func(e *orgsEnv, org string) request {
			return request{"GET", api + "/idps/idp-" + org + "/setup-guide", nil}
		}},
		{"POST /idps/{id}/test-sign-in", writes, 201, func(e *orgsEnv, org string) request {
			return request{"POST", api + "/idps/idp-" + org + "/test-sign-in", nil}
		}},
		{"GET /groups/{id}", reads, 200, func(e *orgsEnv, org string) request {
			return request{"GET", api + "/groups/" + e.freshGroup(org), nil}
		}},
		{"GET /stats", anyone, 200, func(e *orgsEnv, _ string) request { return request{"GET", api + "/stats", nil} }},
		{"GET /stats?org=", reads, 200, func(e *orgsEnv, org string) request { return request{"GET", api + "/stats?org=" + org, nil} }},
		{"GET /events?format=csv&org=", reads, 200, func(e *orgsEnv, org string) request {
			return request{"GET", api + "/events?format=csv&org=" + org, nil}
		}},
		{"DELETE /tombstones/{idp}/{uid}", writes, 204, func(e *orgsEnv, org string) request {
			u := e.freshUser(org)
			if err := e.svc.SCIMDeleteUser(e.t.Context(), directory.SCIMActor{IdP: "idp-" + org, TokenID: "test"}, u.ID, 0); err != nil {
				e.t.Fatal(err)
			}
			return request{"DELETE", api + "/tombstones/idp-" + org + "/" + u.UniqueUserID, nil}
		}},
		{"GET /groups", anyone, 200, func(e *orgsEnv, _ string) request { return request{"GET", api + "/groups", nil} }},
		{"GET /groups?org=", reads, 200, func(e *orgsEnv, org string) request { return request{"GET", api + "/groups?org=" + org, nil} }},
		{"GET /events", anyone, 200, func(e *orgsEnv, _ string) request { return request{"GET", api + "/events", nil} }},
		{"GET /events?org=", reads, 200, func(e *orgsEnv, org string) request { return request{"GET", api + "/events?org=" + org, nil} }},
		{"GET /webhooks", anyone, 200, func(e *orgsEnv, _ string) request { return request{"GET", api + "/webhooks", nil} }},
		{"GET /webhooks?org=", reads, 200, func(e *orgsEnv, org string) request { return request{"GET", api + "/webhooks?org=" + org, nil} }},
		{"POST /webhooks", webhookCreates, 201, func(e *orgsEnv, org string) request {
			body := map[string]any{"url": e.hook}
			if org != everyOrg {
				body["org"] = org
			}
			return request{"POST", api + "/webhooks", body}
		}},
		{"POST /webhooks of an IdP", writes, 201, func(e *orgsEnv, org string) request {
			return request{"POST", api + "/webhooks", map[string]any{"url": e.hook, "idp": "idp-" + org}}
		}},
		{"GET /webhooks/{id}", webhookReads, 200, func(e *orgsEnv, org string) request {
			return request{"GET", api + "/webhooks/" + e.hookOf(org), nil}
		}},
		{"DELETE /webhooks/{id}", webhookWrites, 204, func(e *orgsEnv, org string) request {
			return request{"DELETE", api + "/webhooks/" + e.hookOf(org), nil}
		}},
		{"POST /webhooks/{id}/resume", webhookWrites, 200, func(e *orgsEnv, org string) request {
			return request{"POST", api + "/webhooks/" + e.hookOf(org) + "/resume", nil}
		}},
		{"POST /webhooks/{id}/replay", webhookWrites, 200, func(e *orgsEnv, org string) request {
			return request{"POST", api + "/webhooks/" + e.hookOf(org) + "/replay", map[string]any{"from_seq": 1}}
		}},
	}
}

// TestIsolationMatrix: every admin route, with every kind of credential, on a resource of
// organization a and of b, gets exactly the status DESIGN's roles give it; a refused write
// changes nothing.
func TestIsolationMatrix(t *testing.T) { isolationMatrix(t, newOrgsEnv(t)) }

// TestIsolationMatrixPostgres is the matrix on PostgreSQL, where the backup is not served.
func TestIsolationMatrixPostgres(t *testing.T) {
	isolationMatrix(t, newOrgsEnvOn(t, teststore.PostgresURL(t)))
}

func isolationMatrix(t *testing.T, e *orgsEnv) {
	for _, rt := range matrixRoutes() {
		orgs := []string{"a", "b"}
		switch {
		case rt.who.unscoped:
			orgs = []string{""}
		case rt.who.everyOrg:
			orgs = append(orgs, everyOrg)
		}
		for i, org := range orgs {
			for _, p := range principals {
				want := rt.who.want[p][i]
				if want == ok {
					want = rt.ok
				}
				if want == 200 && rt.name == "GET /backup" && e.postgres {
					want = 501
				}
				name := fmt.Sprintf("%s/%s/%s", rt.name, p, orgLabel(org))
				t.Run(name, func(t *testing.T) {
					parent := e.t
					e.t = t
					defer func() { e.t = parent }()
					req := rt.build(e, org)
					before := e.state()
					r := e.doWith(req.method, req.path, req.body, e.tokens[p])
					if r.status != want {
						t.Fatalf("%s %s as %s: status %d, want %d; body %s", req.method, req.path, p, r.status, want, r.body)
					}
					if r.status >= 400 {
						msg, _ := r.errBody(t)
						if r.status == 403 && !strings.Contains(msg, "viewer") && !strings.Contains(msg, "owner") {
							t.Errorf("a 403 that does not say which role may do this: %q", msg)
						}
						if req.method != "GET" {
							if d := unchanged(before, e.state()); d != "" {
								t.Errorf("a refused %s changed the store (-before +after):\n%s", req.method, d)
							}
						}
					}
				})
			}
		}
	}
}

func orgLabel(org string) string {
	switch org {
	case "":
		return "unscoped"
	case everyOrg:
		return "of-every-org"
	}
	return "of-" + org
}

// TestListsShowOnlyWhatTheCredentialMaySee: without ?org=, a list holds the items of the
// organizations the credential may read; with ?org= of an organization it may not see, the
// answer is the 404 of an organization that does not exist.
func TestListsShowOnlyWhatTheCredentialMaySee(t *testing.T) {
	e := newOrgsEnv(t)
	for _, org := range []string{"a", "b", everyOrg} {
		e.hookOf(org)
	}
	see := map[string][]string{"owner": {"a", "b"}, "admin-a": {"a"}, "admin-b": {"b"}, "viewer-a": {"a"}, "viewer": {"a", "b"}}
	type item struct {
		ID  string `json:"id"`
		Org string `json:"org"`
	}
	for _, p := range principals {
		for _, path := range []string{"/idps", "/users", "/groups", "/events", "/orgs", "/webhooks"} {
			t.Run(p+path, func(t *testing.T) {
				var page struct{ Items []item }
				e.want(e.doWith("GET", "/admin/api/v1"+path+"?limit=1000", nil, e.tokens[p]), 200).json(t, &page)
				orgs := map[string]bool{}
				for _, it := range page.Items {
					org := it.Org
					if path == "/orgs" {
						org = it.ID
					}
					orgs[org] = true
				}
				for org := range orgs {
					if org != directory.DefaultOrg && org != "" && !slices.Contains(see[p], org) {
						t.Errorf("%s lists an item of organization %q", p, org)
					}
				}
				if path == "/groups" {
					return // no groups were made
				}
				for _, org := range see[p] {
					if !orgs[org] {
						t.Errorf("%s lists nothing of organization %q: %+v", p, org, page.Items)
					}
				}
				if (p == "admin-a" || p == "viewer-a") && (orgs[directory.DefaultOrg] || orgs[""]) {
					t.Errorf("%s lists items of no organization or of the default one: %+v", p, page.Items)
				}
				if path == "/webhooks" && (p == "owner" || p == "viewer") && !orgs[""] {
					t.Errorf("%s does not list the webhook of every organization: %+v", p, page.Items)
				}
			})
		}
	}
	// ?org= of an organization the credential may not see reads as one that does not exist.
	for _, path := range []string{"/idps", "/users", "/groups", "/events", "/webhooks"} {
		hidden := e.want(e.doWith("GET", "/admin/api/v1"+path+"?org=b", nil, e.tokens["admin-a"]), 404)
		missing := e.want(e.doWith("GET", "/admin/api/v1"+path+"?org=zz", nil, e.tokens["admin-a"]), 404)
		if got, want := string(hidden.body), strings.ReplaceAll(string(missing.body), `\"zz\"`, `\"b\"`); got != want {
			t.Errorf("%s?org=b as admin of a: %s, want the answer of a missing organization %s", path, got, want)
		}
	}
}

// TestHiddenReadsAsMissing: a resource of another organization is answered with the very
// body of a resource that does not exist.
func TestHiddenReadsAsMissing(t *testing.T) {
	e := newOrgsEnv(t)
	var scimToken struct{ ID string }
	e.want(e.do("POST", "/admin/api/v1/idps/idp-b/scim-tokens", map[string]any{}), 201).json(t, &scimToken)
	hookB, hookAll := e.hookOf("b"), e.hookOf(everyOrg)
	groupB := e.freshGroup("b")
	linkB := e.setupLinkOf("b")
	cases := []struct {
		method, hidden, missing string
		id, ghost               string
	}{
		{"GET", "/orgs/b", "/orgs/zz", "b", "zz"},
		{"POST", "/orgs/b/domains", "/orgs/zz/domains", "b", "zz"},
		{"GET", "/idps/idp-b", "/idps/idp-zz", "idp-b", "idp-zz"},
		{"PATCH", "/idps/idp-b", "/idps/idp-zz", "idp-b", "idp-zz"},
		{"DELETE", "/idps/idp-b", "/idps/idp-zz", "idp-b", "idp-zz"},
		{"GET", "/idps/idp-b/scim-tokens", "/idps/idp-zz/scim-tokens", "idp-b", "idp-zz"},
		{"GET", "/users/" + e.users["b"], "/users/zz-user", e.users["b"], "zz-user"},
		{"POST", "/users/" + e.users["b"] + "/deactivate", "/users/zz-user/deactivate", e.users["b"], "zz-user"},
		{"POST", "/users/" + e.users["b"] + "/reactivate", "/users/zz-user/reactivate", e.users["b"], "zz-user"},
		{"DELETE", "/users/" + e.users["b"], "/users/zz-user", e.users["b"], "zz-user"},
		{"GET", "/users/" + e.users["b"] + "/sessions", "/users/zz-user/sessions", e.users["b"], "zz-user"},
		{"POST", "/users/" + e.users["b"] + "/sessions/revoke", "/users/zz-user/sessions/revoke", e.users["b"], "zz-user"},
		{"GET", "/groups/" + groupB, "/groups/zz-group", groupB, "zz-group"},
		{"GET", "/orgs/b/setup-links", "/orgs/zz/setup-links", "b", "zz"},
		{"POST", "/orgs/b/setup-links", "/orgs/zz/setup-links", "b", "zz"},
		{"DELETE", "/setup-links/" + linkB, "/setup-links/zz-link", linkB, "zz-link"},
		{"GET", "/idps/idp-b/health", "/idps/idp-zz/health", "idp-b", "idp-zz"},
		{"GET", "/idps/idp-b/setup-guide", "/idps/idp-zz/setup-guide", "idp-b", "idp-zz"},
		{"POST", "/idps/idp-b/test-sign-in", "/idps/idp-zz/test-sign-in", "idp-b", "idp-zz"},
		{"GET", "/idps/idp-b/mode-preview?mode=scim", "/idps/idp-zz/mode-preview?mode=scim", "idp-b", "idp-zz"},
		{"DELETE", "/scim-tokens/" + scimToken.ID, "/scim-tokens/zz-token", scimToken.ID, "zz-token"},
		{"DELETE", "/tombstones/idp-b/00u-b", "/tombstones/idp-zz/00u-b", "idp-b", "idp-zz"},
		{"GET", "/webhooks/" + hookB, "/webhooks/zz-hook", hookB, "zz-hook"},
		{"DELETE", "/webhooks/" + hookB, "/webhooks/zz-hook", hookB, "zz-hook"},
		{"POST", "/webhooks/" + hookB + "/resume", "/webhooks/zz-hook/resume", hookB, "zz-hook"},
		{"POST", "/webhooks/" + hookB + "/replay", "/webhooks/zz-hook/replay", hookB, "zz-hook"},
		// A webhook of every organization is no organization's to see.
		{"GET", "/webhooks/" + hookAll, "/webhooks/zz-hook", hookAll, "zz-hook"},
		{"DELETE", "/webhooks/" + hookAll, "/webhooks/zz-hook", hookAll, "zz-hook"},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.hidden, func(t *testing.T) {
			var body any
			if c.method == "POST" || c.method == "PATCH" {
				body = map[string]any{"domain": "x.b.example", "name": "x", "intent": "sso"}
			}
			before := e.state()
			hidden := e.doWith(c.method, "/admin/api/v1"+c.hidden, body, e.tokens["admin-a"])
			missing := e.doWith(c.method, "/admin/api/v1"+c.missing, body, e.tokens["admin-a"])
			if hidden.status != 404 || missing.status != 404 {
				t.Fatalf("statuses %d and %d, want 404 and 404", hidden.status, missing.status)
			}
			if got, want := string(hidden.body), strings.ReplaceAll(string(missing.body), c.ghost, c.id); got != want {
				t.Errorf("hidden: %s\nmissing, with the id swapped: %s", got, want)
			}
			if d := unchanged(before, e.state()); d != "" {
				t.Errorf("store changed:\n%s", d)
			}
		})
	}
	// What a create's body names: another organization, or its IdP, reads as one that does
	// not exist.
	bodies := []struct {
		name            string
		hidden, missing map[string]any
		id, ghost       string
	}{
		{"POST /webhooks of b", map[string]any{"org": "b"}, map[string]any{"org": "zz"}, "b", "zz"},
		{"POST /webhooks of b's IdP", map[string]any{"idp": "idp-b"}, map[string]any{"idp": "idp-zz"}, "idp-b", "idp-zz"},
		{"POST /webhooks of a with b's IdP", map[string]any{"org": "a", "idp": "idp-b"}, map[string]any{"org": "a", "idp": "idp-zz"}, "idp-b", "idp-zz"},
	}
	for _, c := range bodies {
		t.Run(c.name, func(t *testing.T) {
			c.hidden["url"], c.missing["url"] = e.hook, e.hook
			before := e.state()
			hidden := e.doWith("POST", "/admin/api/v1/webhooks", c.hidden, e.tokens["admin-a"])
			missing := e.doWith("POST", "/admin/api/v1/webhooks", c.missing, e.tokens["admin-a"])
			if hidden.status < 400 || hidden.status != missing.status {
				t.Fatalf("statuses %d and %d, want one refusal for both", hidden.status, missing.status)
			}
			if got, want := string(hidden.body), strings.ReplaceAll(string(missing.body), c.ghost, c.id); got != want {
				t.Errorf("hidden: %s\nmissing, with the id swapped: %s", got, want)
			}
			if d := unchanged(before, e.state()); d != "" {
				t.Errorf("store changed:\n%s", d)
			}
		})
	}
}

type scimList struct {
	TotalResults int `json:"totalResults"`
	Resources    []struct {
		ID       string `json:"id"`
		UserName string `json:"userName"`
	} `json:"Resources"`
}

// TestSCIMIsolation: a SCIM token of organization a never sees, counts or collides with b's
// users: the same userName in both is two users, each created with a 201; filters and
// totalResults answer only a's; b's user is a's 404.
func TestSCIMIsolation(t *testing.T) {
	e := newOrgsEnv(t)
	secrets := map[string]string{}
	for _, org := range []string{"a", "b"} {
		var tok struct{ Token string }
		e.want(e.do("POST", "/admin/api/v1/idps/idp-"+org+"/scim-tokens", map[string]any{"name": "isolation"}), 201).json(t, &tok)
		secrets[org] = tok.Token
	}
	scim := func(org, method, path string, body any) testserver.Response {
		return testserver.Request(t, method, e.url+"/scim/v2"+path, secrets[org], body)
	}
	ids := map[string]string{}
	for _, org := range []string{"b", "a"} {
		r := scim(org, "POST", "/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName": "Same.Person@shared.example", "externalId": "00u-same-" + org, "active": true})
		if r.Status != http.StatusCreated {
			t.Fatalf("SCIM create in %s: %d %s", org, r.Status, r.Body)
		}
		var u struct{ ID string }
		r.JSON(t, &u)
		ids[org] = u.ID
	}
	if ids["a"] == ids["b"] {
		t.Fatalf("one user for two organizations")
	}
	for _, org := range []string{"a", "b"} {
		var l scimList
		r := scim(org, "GET", `/Users?filter=userName%20eq%20%22same.person@shared.example%22`, nil)
		r.JSON(t, &l)
		if r.Status != 200 || l.TotalResults != 1 || len(l.Resources) != 1 || l.Resources[0].ID != ids[org] {
			t.Errorf("%s's filter: %d %s", org, r.Status, r.Body)
		}
		// Each organization has its fixture user and this one.
		r = scim(org, "GET", "/Users", nil)
		r.JSON(t, &l)
		if l.TotalResults != 2 {
			t.Errorf("%s counts %d users: %s", org, l.TotalResults, r.Body)
		}
		for _, res := range l.Resources {
			if res.ID == ids[other(org)] || res.ID == e.users[other(org)] {
				t.Errorf("%s's list holds %s's user %s", org, other(org), res.ID)
			}
		}
		if r := scim(org, "GET", "/Users/"+ids[other(org)], nil); r.Status != 404 {
			t.Errorf("%s reads %s's user: %d %s", org, other(org), r.Status, r.Body)
		}
	}
}

func other(org string) string {
	if org == "a" {
		return "b"
	}
	return "a"
}
