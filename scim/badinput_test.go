package scim

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
)

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	revoked := e.newToken(t, "okta")
	toks, err := e.svc.Tokens(context.Background(), directory.TokenSCIM, "okta")
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range toks {
		if tok.Name == "test" && directory.HashSecret(revoked) != nil && string(tok.Hash) == string(directory.HashSecret(revoked)) {
			if _, err := e.svc.RevokeToken(context.Background(), "admin:test", tok.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, expired, err := e.svc.CreateToken(context.Background(), "admin:test", directory.TokenSCIM, "okta", "old", time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	adminSecret, _, err := e.svc.EnsureAdminToken(context.Background(), "an-admin-token-of-enough-length")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"missing":     "",
		"wrong":       "not-a-token",
		"revoked":     revoked,
		"expired":     expired,
		"admin token": adminSecret,
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			r := e.doAs(tok, "GET", "/scim/v2/Users", nil)
			r.mustSCIMError(t, 401, "")
			if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q", r.Header.Get("WWW-Authenticate"))
			}
		})
	}
	// Basic auth is not a bearer token.
	e.doAs("", "GET", "/scim/v2/Users", nil, "Authorization", "Basic dXNlcjpwYXNz").mustSCIMError(t, 401, "")
	// The scheme is case-insensitive (RFC 7235).
	e.doAs("", "GET", "/scim/v2/Users", nil, "Authorization", "bearer "+e.token).must(t, 200)
}

// R2: an IdP in mode jit takes no SCIM requests; the refusal names the mode and is an event.
func TestModeJITRefused(t *testing.T) {
	e := newEnv(t)
	e.addIdP(t, "jitonly", directory.ModeJIT, directory.MatchExternalID)
	tok := e.newToken(t, "jitonly")
	seq := e.lastSeq()
	r := e.doAs(tok, "GET", "/scim/v2/Users", nil)
	r.mustSCIMError(t, 403, "")
	if !strings.Contains(r.str("detail"), "jit") {
		t.Errorf("detail %q does not name the mode", r.str("detail"))
	}
	requests := [][2]string{{"POST", "/scim/v2/Users/.search"}, {"GET", "/scim/v2/Groups"}, {"POST", "/scim/v2/Groups"},
		{"GET", "/scim/v2/Users/x"}, {"POST", "/scim/v2/.search"}, {"DELETE", "/scim/v2/Users/x"}, {"PATCH", "/scim/v2/Groups/x"}}
	for _, req := range requests {
		e.doAs(tok, req[0], req[1], `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G"}`).mustSCIMError(t, 403, "")
	}
	// Every refusal, reads included, is one event naming the token and R2 (R12).
	evs := e.events(seq)
	if len(evs) != len(requests)+1 {
		t.Errorf("%d events for %d refused requests", len(evs), len(requests)+1)
	}
	for _, ev := range evs {
		if ev.Type != directory.EventSCIMRefused || ev.Rule != "R2" || !strings.HasPrefix(ev.Actor, "scim:") {
			t.Errorf("event %+v, want scim.refused by R2", ev)
		}
	}
	seq = e.lastSeq()
	r = e.doAs(tok, "POST", "/scim/v2/Users", userBody("a@example.com", "a"))
	r.mustSCIMError(t, 403, "")
	evs = e.events(seq)
	if len(evs) != 1 || evs[0].Type != directory.EventSCIMRefused || evs[0].Rule != "R2" || !strings.HasPrefix(evs[0].Actor, "scim:") {
		t.Fatalf("events after a refused POST = %+v, want one scim.refused by R2", evs)
	}
	var n int
	if err := e.svc.View(context.Background(), func(tx directory.ReadTx) (err error) { n, err = tx.CountUsers("", "jitonly"); return err }); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("a refused POST created %d users", n)
	}
}

func TestBadInputLeavesStoreUnchanged(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("bjensen@example.com", "ext-1")
	gid := e.do("POST", "/scim/v2/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Eng"}).must(t, 201).str("id")
	patch := func(ops string) string {
		return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + ops + `]}`
	}
	big := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"big","externalId":"big","title":"` + strings.Repeat("x", 1<<20) + `"}`
	cases := []struct {
		name, method, path string
		body               any
		status             int
		scimType           string
	}{
		{"malformed JSON", "POST", "/scim/v2/Users", `{"userName": "x",`, 400, "invalidSyntax"},
		{"not an object", "POST", "/scim/v2/Users", `["userName"]`, 400, "invalidSyntax"},
		{"trailing garbage", "POST", "/scim/v2/Users", `{"userName":"x"} {}`, 400, "invalidSyntax"},
		{"empty body", "POST", "/scim/v2/Users", ``, 400, "invalidSyntax"},
		{"userName a number", "POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":42,"externalId":"n"}`, 400, "invalidValue"},
		{"active not a boolean", "POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"n","externalId":"n","active":"maybe"}`, 400, "invalidValue"},
		{"emails not an array", "POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"n","externalId":"n","emails":"a@b"}`, 400, "invalidValue"},
		{"missing userName", "POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"externalId":"n"}`, 400, "invalidValue"},
		{"empty userName", "POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"  ","externalId":"n"}`, 400, "invalidValue"},
		{"body over 1 MiB", "POST", "/scim/v2/Users", big, 413, ""},
		{"group without displayName", "POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"]}`, 400, "invalidValue"},
		{"member that is no user", "POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","members":[{"value":"nobody"}]}`, 400, "invalidValue"},
		{"duplicate group name", "POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"eng"}`, 409, "uniqueness"},
		{"unparseable filter", "GET", "/scim/v2/Users?filter=" + query(`userName eq`), nil, 400, "invalidFilter"},
		{"unknown operator", "GET", "/scim/v2/Users?filter=" + query(`userName like "x"`), nil, 400, "invalidFilter"},
		{"garbage filter on groups", "GET", "/scim/v2/Groups?filter=" + query(`(((`), nil, 400, "invalidFilter"},
		{"count not a number", "GET", "/scim/v2/Users?count=ten", nil, 400, "invalidValue"},
		{"bad sortOrder", "GET", "/scim/v2/Users?sortBy=userName&sortOrder=sideways", nil, 400, "invalidValue"},
		{"unknown sortBy", "GET", "/scim/v2/Users?sortBy=shoeSize", nil, 400, "invalidValue"},
		{"patch unknown attribute", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"replace","path":"shoeSize","value":"9"}`), 400, "invalidPath"},
		{"patch malformed path", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"replace","path":"emails[type eq","value":"x"}`), 400, "invalidPath"},
		{"patch remove without target", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"remove","path":"emails[type eq \"home\"]"}`), 400, "noTarget"},
		{"patch remove without path", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"remove"}`), 400, "noTarget"},
		{"patch unknown op", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"frobnicate","path":"title","value":"x"}`), 400, "invalidSyntax"},
		{"patch without Operations", "PATCH", "/scim/v2/Users/" + id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`, 400, "invalidSyntax"},
		{"patch wrong type", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"replace","path":"active","value":"perhaps"}`), 400, "invalidValue"},
		{"patch unknown sub-attribute", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"replace","path":"name.nickname","value":"x"}`), 400, "invalidPath"},
		{"patch unknown schema", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"replace","path":"urn:example:params:scim:schemas:Custom:level","value":"x"}`), 400, "invalidPath"},
		{"patch value filter on a single value", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"replace","path":"name[givenName eq \"Given\"].familyName","value":"x"}`), 400, "invalidPath"},
		{"patch no-path value of an unknown attribute", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"replace","value":{"title":"x","meta":{"version":"1"}}}`), 400, "invalidPath"},
		{"patch no-path value not an object", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"add","value":"x"}`), 400, "invalidValue"},
		{"patch element of the wrong type", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"add","path":"emails","value":["a@example.com"]}`), 400, "invalidValue"},
		{"patch without operations", "PATCH", "/scim/v2/Users/" + id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}`, 400, "invalidValue"},
		{"patch group member of the wrong type", "PATCH", "/scim/v2/Groups/" + gid, patch(`{"op":"add","path":"members","value":[{"value":7}]}`), 400, "invalidValue"},
		{"patch group with a non-user member", "PATCH", "/scim/v2/Groups/" + gid, patch(`{"op":"add","path":"members","value":[{"value":"nobody"}]}`), 400, "invalidValue"},
		{"patch userName empty", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"remove","path":"userName"}`), 400, "invalidValue"},
		{"search body not JSON", "POST", "/scim/v2/Users/.search", `{`, 400, "invalidSyntax"},
		{"search with an unknown member", "POST", "/scim/v2/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filters":"userName eq "x""}`, 400, "invalidSyntax"},
		{"patch op with an unknown member", "PATCH", "/scim/v2/Users/" + id, patch(`{"op":"replace","pth":"title","value":"x"}`), 400, "invalidSyntax"},
		{"POST on ServiceProviderConfig", "POST", "/scim/v2/ServiceProviderConfig", `{}`, 405, ""},
		{"unknown endpoint", "GET", "/scim/v2/Widgets", nil, 404, ""},
		{"unknown resource endpoint", "GET", "/scim/v2/Widgets/1", nil, 404, ""},
		{"DELETE on a collection", "DELETE", "/scim/v2/Users", nil, 405, ""},
		{"filter on a discovery endpoint", "GET", "/scim/v2/Schemas?filter=" + query(`id eq "x"`), nil, 403, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.snapshot()
			r := e.do(c.method, c.path, c.body)
			r.mustSCIMError(t, c.status, c.scimType)
			if strings.Contains(r.str("detail"), "runtime") || strings.Contains(r.str("detail"), ".go:") {
				t.Errorf("detail leaks internals: %s", r.str("detail"))
			}
			if after := e.snapshot(); after != before && c.status != 409 {
				t.Errorf("a %d answer changed the store", c.status)
			}
		})
	}
}

// A wrong type or a missing required attribute is answered with a message naming it.
func TestBadInputMessagesNameTheAttribute(t *testing.T) {
	e := newEnv(t)
	cases := map[string]string{
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":42,"externalId":"n"}`:                                                                                       "userName",
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"n","externalId":"n","active":"maybe"}`:                                                                     "active",
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"n","externalId":"n","emails":"a@b"}`:                                                                       "emails",
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"n","externalId":"n","emails":[{"primary":7}]}`:                                                             "emails.primary",
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"externalId":"n"}`:                                                                                                     "userName",
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"n","externalId":"n","name":{"givenName":["x"]}}`:                                                           "name.givenName",
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"n","externalId":"n","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":3}}}`: "manager.value",
	}
	for body, attr := range cases {
		r := e.do("POST", "/scim/v2/Users", body)
		r.mustSCIMError(t, 400, "invalidValue")
		if !strings.Contains(r.str("detail"), attr) {
			t.Errorf("detail %q does not name %s", r.str("detail"), attr)
		}
	}
	r := e.do("POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","members":{"value":"x"}}`)
	r.mustSCIMError(t, 400, "invalidValue")
	if !strings.Contains(r.str("detail"), "members") {
		t.Errorf("detail %q does not name members", r.str("detail"))
	}
}
