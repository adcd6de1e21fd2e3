package jit_test

// OpenID Connect sign-in, end to end: a browser (cookie jar) goes from Roster's login route to
// the test OP (oidc_op_test.go) and back to Roster's redirect URI over real HTTP, with Roster
// on a real bbolt file.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/jit"
)

const bindingCookie = "roster_oidc_binding"

// oidcEnv is Roster's sign-in edge beside a test OP.
type oidcEnv struct {
	*env
	op *testOP
}

func newOIDCEnv(tb testing.TB) *oidcEnv {
	tb.Helper()
	return &oidcEnv{env: newEnv(tb), op: newTestOP(tb)}
}

// addOIDCIdP creates an OIDC IdP in Roster for the test OP and registers Roster's redirect URI
// at the OP, as an administrator does on both sides.
func (e *oidcEnv) addOIDCIdP(p directory.IdP) directory.IdP {
	e.tb.Helper()
	p.Protocol = directory.ProtocolOIDC
	if p.Mode == "" {
		p.Mode = directory.ModeJIT
	}
	if p.OIDC.Issuer == "" {
		p.OIDC.Issuer = e.op.issuer
	}
	if p.OIDC.ClientID == "" {
		p.OIDC.ClientID = "roster-" + p.ID
		p.OIDC.ClientSecret = "secret-" + p.ID
	}
	e.op.register(p.OIDC.ClientID, p.OIDC.ClientSecret, e.handler.OIDCRedirectURI(p.ID))
	if problems := append(e.handler.ValidateIdP(e.ctx, p), e.handler.ValidateOIDCDiscovery(e.ctx, p)...); len(problems) > 0 {
		e.tb.Fatalf("validating IdP %s: %v", p.ID, problems)
	}
	out, err := e.svc.CreateIdP(e.ctx, "admin:test", p)
	if err != nil {
		e.tb.Fatal(err)
	}
	return out
}

// get requests u with the browser's cookies and returns the first answer, unfollowed.
func (b *browser) get(u string) (*http.Response, string) {
	b.tb.Helper()
	resp, err := b.noFollow.Get(u)
	if err != nil {
		b.tb.Fatal(err)
	}
	return resp, string(readBody(b.tb, resp))
}

// oidcCallback starts a sign-in at Roster, lets the OP sign the person in, and returns the
// redirect URI (with code and state) the OP sends the browser to, not yet visited.
func (b *browser) oidcCallback(e *oidcEnv, idp, returnTo string) string {
	b.tb.Helper()
	u := e.url("/sso/" + idp + "/login")
	if returnTo != "" {
		u += "?return_to=" + url.QueryEscape(returnTo)
	}
	resp, body := b.get(u)
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), e.op.issuer+"/authorize?") {
		b.tb.Fatalf("GET %s answered %d Location %q:\n%s", u, resp.StatusCode, resp.Header.Get("Location"), body)
	}
	resp, body = b.get(resp.Header.Get("Location"))
	cb := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(cb, e.handler.OIDCRedirectURI(idp)+"?") {
		b.tb.Fatalf("the OP answered %d Location %q:\n%s", resp.StatusCode, cb, body)
	}
	return cb
}

// oidcLogin runs a whole sign-in and fails the test unless Roster redirects to want.
func (b *browser) oidcLogin(e *oidcEnv, idp, returnTo, want string) {
	b.tb.Helper()
	resp, body := b.get(b.oidcCallback(e, idp, returnTo))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
		b.tb.Fatalf("callback answered %d Location %q, want 303 to %q:\n%s", resp.StatusCode, resp.Header.Get("Location"), want, body)
	}
}

// withQuery returns u with the query parameter k set to v ("" removes it).
func withQuery(tb testing.TB, u, k, v string) string {
	tb.Helper()
	p, err := url.Parse(u)
	if err != nil {
		tb.Fatal(err)
	}
	q := p.Query()
	if v == "" {
		q.Del(k)
	} else {
		q.Set(k, v)
	}
	p.RawQuery = q.Encode()
	return p.String()
}

func queryParam(tb testing.TB, u, k string) string {
	tb.Helper()
	p, err := url.Parse(u)
	if err != nil {
		tb.Fatal(err)
	}
	return p.Query().Get(k)
}

func TestOIDCLoginCreatesUserAndSession(t *testing.T) {
	e := newOIDCEnv(t)
	e.addOIDCIdP(directory.IdP{ID: "okta", Preset: "okta"})
	e.op.signIn(opPerson{sub: "00u1ann", idToken: map[string]any{
		"email": "ann@example.com", "email_verified": true, "given_name": "Ann", "family_name": "Lee",
		"groups": []any{"Engineering", "Everyone"},
	}})
	seq := e.snapshot().LastSeq

	// A browser that follows every redirect, from the login link to the page it asked for:
	// here /api/v1/me, which answers the signed-in user.
	b := newBrowser(t)
	resp, err := b.follow.Get(e.url("/sso/okta/login?return_to=" + url.QueryEscape("/api/v1/me")))
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/api/v1/me" {
		t.Fatalf("sign-in ended at %s with %d:\n%s", resp.Request.URL, resp.StatusCode, body)
	}
	var me jit.UserView
	if err := json.Unmarshal(body, &me); err != nil {
		t.Fatal(err)
	}
	if me.IdP != "okta" || me.UniqueUserID != "00u1ann" || me.UserName != "ann@example.com" || me.Owner != directory.OwnerJIT ||
		me.Name.GivenName != "Ann" || me.Name.FamilyName != "Lee" || len(me.Emails) != 1 || me.Emails[0].Value != "ann@example.com" {
		t.Errorf("me = %+v", me)
	}
	var groups []string
	for _, g := range me.Groups {
		groups = append(groups, g.DisplayName)
	}
	if strings.Join(groups, ",") != "Engineering,Everyone" && strings.Join(groups, ",") != "Everyone,Engineering" {
		t.Errorf("groups = %v", groups)
	}
	var created bool
	for _, ev := range e.events(seq) {
		if ev.Type == directory.EventUserCreated {
			created = ev.Actor == "jit:okta" && ev.Rule == "R2" && ev.Subject == me.ID
		}
	}
	if !created {
		t.Errorf("no user.created event by jit:okta under R2 for %s: %+v", me.ID, e.events(seq))
	}

	// A second sign-in is the same user, updated.
	e.op.signIn(opPerson{sub: "00u1ann", idToken: map[string]any{
		"email": "ann@example.com", "email_verified": true, "given_name": "Annie", "family_name": "Lee",
	}})
	b.oidcLogin(e, "okta", "/app", "/app")
	if _, me2 := b.me(e.env); me2.ID != me.ID || me2.Name.GivenName != "Annie" {
		t.Errorf("second sign-in: me = %+v, want user %s renamed Annie", me2, me.ID)
	}
}

func TestOIDCLoginRequest(t *testing.T) {
	e := newOIDCEnv(t)
	e.addOIDCIdP(directory.IdP{ID: "kc", Preset: "keycloak", OIDC: directory.OIDCSettings{ClientID: "roster", ClientSecret: "s", Scopes: []string{"email", "openid"}}})
	b := newBrowser(t)
	resp, body := b.get(e.url("/sso/kc/login?return_to=/x"))
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("login answered %d:\n%s", resp.StatusCode, body)
	}
	loc := resp.Header.Get("Location")
	for k, want := range map[string]string{
		"response_type": "code", "client_id": "roster", "redirect_uri": e.handler.OIDCRedirectURI("kc"),
		"scope": "openid email", "code_challenge_method": "S256",
	} {
		if got := queryParam(t, loc, k); got != want {
			t.Errorf("authorization request %s = %q, want %q", k, got, want)
		}
	}
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if len(queryParam(t, loc, k)) < 43 {
			t.Errorf("authorization request %s = %q, want 256 random bits", k, queryParam(t, loc, k))
		}
	}
	var binding *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == bindingCookie {
			binding = c
		}
	}
	if binding == nil {
		t.Fatal("no binding cookie")
	}
	if !binding.HttpOnly || binding.SameSite != http.SameSiteLaxMode || binding.MaxAge <= 0 || binding.MaxAge > 3600 {
		t.Errorf("binding cookie = %+v, want short-lived, HttpOnly, SameSite=Lax", binding)
	}
	if strings.Contains(binding.String(), queryParam(t, loc, "state")) {
		t.Error("the binding cookie carries the state")
	}

	// A second login of the same browser keeps its binding, so two tabs can sign in at once.
	e.op.signIn(opPerson{sub: "u1", idToken: map[string]any{"email": "u1@example.com"}})
	cb1 := b.oidcCallback(e, "kc", "/one")
	cb2 := b.oidcCallback(e, "kc", "/two")
	for _, tc := range []struct{ cb, want string }{{cb2, "/two"}, {cb1, "/one"}} {
		if resp, body := b.get(tc.cb); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != tc.want {
			t.Errorf("callback answered %d Location %q, want 303 to %s:\n%s", resp.StatusCode, resp.Header.Get("Location"), tc.want, body)
		}
	}

	t.Run("unsafe return_to", func(t *testing.T) {
		resp, _ := b.get(e.url("/sso/kc/login?return_to=" + url.QueryEscape("https://evil.example/")))
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d, want 400", resp.StatusCode)
		}
	})
	t.Run("callback of a SAML IdP", func(t *testing.T) {
		e.addIdP(directory.IdP{ID: "saml-one", Mode: directory.ModeJIT})
		resp, _ := b.get(e.url("/sso/saml-one/oidc/callback?state=x&code=y"))
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("status %d, want 404", resp.StatusCode)
		}
	})
	t.Run("SAML login still starts SAML", func(t *testing.T) {
		resp, _ := b.get(e.url("/sso/saml-one/login"))
		if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), e.idp.srv.URL+"/sso?") {
			t.Errorf("status %d Location %q, want a redirect to the SAML IdP", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("unknown IdP", func(t *testing.T) {
		for _, p := range []string{"/sso/nope/login", "/sso/nope/oidc/callback?state=x&code=y"} {
			if resp, _ := b.get(e.url(p)); resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: status %d, want 404", p, resp.StatusCode)
			}
		}
	})
}

// The presets map each vendor's OIDC claims onto the identity; uniqueUserId must be the value
// the vendor's SCIM connector sends as externalId (R1).
func TestOIDCPresets(t *testing.T) {
	e := newOIDCEnv(t)
	cases := []struct {
		preset  string
		mapping directory.Mapping
		person  opPerson
		wantUID string
	}{
		{"entra", directory.Mapping{}, opPerson{sub: "pairwise-AAAbbb", idToken: map[string]any{
			"oid": "8f2c0a6e-0000-4000-8000-000000000001", "tid": "72f988bf-86f1-41af-91ab-2d7cd011db47",
			"preferred_username": "ann@contoso.com", "given_name": "Ann", "family_name": "Lee", "email": "ann@contoso.com"}},
			"8f2c0a6e-0000-4000-8000-000000000001"},
		{"okta", directory.Mapping{}, opPerson{sub: "00u1okta", idToken: map[string]any{
			"email": "ann@okta.example", "given_name": "Ann", "family_name": "Lee"}}, "00u1okta"},
		{"pingone", directory.Mapping{}, opPerson{sub: "5a8e-ping", idToken: map[string]any{
			"email": "ann@ping.example", "given_name": "Ann", "family_name": "Lee"}}, "5a8e-ping"},
		{"google", directory.Mapping{}, opPerson{sub: "110169484474386276334", idToken: map[string]any{
			"email": "ann@google.example", "email_verified": true, "given_name": "Ann", "family_name": "Lee", "hd": "google.example"}},
			"110169484474386276334"},
		{"keycloak", directory.Mapping{}, opPerson{sub: "f:kc:ann", idToken: map[string]any{
			"email": "ann@kc.example", "given_name": "Ann", "family_name": "Lee", "preferred_username": "ann"}}, "f:kc:ann"},
		{"generic", directory.Mapping{}, opPerson{sub: "sub-generic", idToken: map[string]any{
			"uniqueUserId": "emp-42", "email": "ann@generic.example", "given_name": "Ann", "family_name": "Lee"}}, "emp-42"},
		{"generic", directory.Mapping{UniqueUserID: "sub"}, opPerson{sub: "sub-mapped", idToken: map[string]any{
			"uniqueUserId": "emp-43", "email": "ann@mapped.example", "given_name": "Ann", "family_name": "Lee"}}, "sub-mapped"},
	}
	for i, tc := range cases {
		t.Run(tc.preset, func(t *testing.T) {
			id := tc.preset + "-" + string(rune('a'+i))
			e.addOIDCIdP(directory.IdP{ID: id, Preset: tc.preset, Mapping: tc.mapping})
			e.op.signIn(tc.person)
			b := newBrowser(t)
			b.oidcLogin(e, id, "/", "/")
			_, me := b.me(e.env)
			if me.UniqueUserID != tc.wantUID || me.Name.GivenName != "Ann" || me.Name.FamilyName != "Lee" || me.UserName != tc.person.idToken["email"] {
				t.Errorf("me = %+v, want uniqueUserId %q, Ann Lee, userName %v", me, tc.wantUID, tc.person.idToken["email"])
			}
		})
	}
}

// An Entra ID token of another tenant is refused even when the oid would match.
func TestOIDCEntraTenant(t *testing.T) {
	e := newOIDCEnv(t)
	// The issuer names a tenant in its path, as Entra ID's do; the test OP publishes it so.
	tenant := "72f988bf-86f1-41af-91ab-2d7cd011db47"
	e.op.issuer = e.op.srv.URL + "/" + tenant + "/v2.0"
	mux := http.NewServeMux()
	mux.Handle("/"+tenant+"/v2.0/", http.StripPrefix("/"+tenant+"/v2.0", e.op.srv.Config.Handler))
	e.op.srv.Config.Handler = mux
	e.addOIDCIdP(directory.IdP{ID: "entra", Preset: "entra"})
	person := opPerson{sub: "pairwise", idToken: map[string]any{"oid": "oid-1", "tid": tenant, "email": "a@contoso.com", "given_name": "A", "family_name": "B"}}
	e.op.signIn(person)
	newBrowser(t).oidcLogin(e, "entra", "/", "/")

	person.idToken["tid"] = "00000000-0000-0000-0000-000000000bad"
	e.op.signIn(person)
	before := e.snapshot()
	b := newBrowser(t)
	if resp, body := b.get(b.oidcCallback(e, "entra", "/")); resp.StatusCode != http.StatusForbidden {
		t.Errorf("token of another tenant: %d:\n%s", resp.StatusCode, body)
	}
	e.mustUnchanged(before)
}

func TestOIDCUserInfo(t *testing.T) {
	e := newOIDCEnv(t)
	e.addOIDCIdP(directory.IdP{ID: "ping", Preset: "pingone"})

	// A minimal ID token (sub only): the profile comes from userinfo.
	e.op.signIn(opPerson{sub: "p-1", userInfo: map[string]any{"email": "bo@example.com", "given_name": "Bo", "family_name": "Ek"}})
	b := newBrowser(t)
	b.oidcLogin(e, "ping", "/", "/")
	if _, me := b.me(e.env); me.UniqueUserID != "p-1" || me.UserName != "bo@example.com" || me.Name.GivenName != "Bo" || me.Name.FamilyName != "Ek" {
		t.Errorf("me = %+v", me)
	}
	if e.op.userInfoCalls != 1 {
		t.Errorf("userinfo asked %d times, want 1", e.op.userInfoCalls)
	}

	// The ID token's own claims win over userinfo's, and a complete ID token needs no request.
	e.op.set(func(op *testOP) { op.userInfoCalls = 0 })
	e.op.signIn(opPerson{sub: "p-2", idToken: map[string]any{"email": "cy@example.com", "given_name": "Cy", "family_name": "Po"},
		userInfo: map[string]any{"email": "other@example.com", "given_name": "Other"}})
	b = newBrowser(t)
	b.oidcLogin(e, "ping", "/", "/")
	if _, me := b.me(e.env); me.UserName != "cy@example.com" || me.Name.GivenName != "Cy" {
		t.Errorf("me = %+v", me)
	}
	if e.op.userInfoCalls != 0 {
		t.Errorf("userinfo asked %d times for a complete ID token", e.op.userInfoCalls)
	}

	// Without a userinfo endpoint the login goes on with what the ID token says.
	bare := &oidcEnv{env: e.env, op: newTestOP(t)}
	bare.op.noUserInfo = true
	bare.addOIDCIdP(directory.IdP{ID: "bare", Preset: "generic"})
	bare.op.signIn(opPerson{sub: "p-3"})
	b = newBrowser(t)
	b.oidcLogin(bare, "bare", "/", "/")
	if _, me := b.me(e.env); me.UniqueUserID != "p-3" || me.UserName != "p-3" {
		t.Errorf("me = %+v", me)
	}
	if bare.op.userInfoCalls != 0 {
		t.Errorf("userinfo asked %d times of an OP that does not publish it", bare.op.userInfoCalls)
	}
}

// R9 through OIDC: only an email the IdP says it verified links to an existing user.
func TestOIDCEmailVerifiedLinking(t *testing.T) {
	cases := []struct {
		name     string
		mapping  directory.Mapping
		idToken  map[string]any
		userInfo map[string]any
		link     bool
	}{
		{"verified", directory.Mapping{}, map[string]any{"email": "dee@example.com", "email_verified": true}, nil, true},
		{"verified as a string", directory.Mapping{}, map[string]any{"email": "dee@example.com", "email_verified": "true"}, nil, true},
		{"unverified", directory.Mapping{}, map[string]any{"email": "dee@example.com", "email_verified": false}, nil, false},
		{"absent", directory.Mapping{}, map[string]any{"email": "dee@example.com"}, nil, false},
		{"verified by userinfo for the same address", directory.Mapping{}, map[string]any{"email": "dee@example.com"},
			map[string]any{"email": "DEE@example.com", "email_verified": true}, true},
		{"userinfo verifies another address", directory.Mapping{}, map[string]any{"email": "dee@example.com"},
			map[string]any{"email": "elsewhere@example.com", "email_verified": true}, false},
		{"verified flag of another claim than the mapped one", directory.Mapping{Email: "upn"},
			map[string]any{"upn": "dee@example.com", "email": "dee.private@example.net", "email_verified": true}, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newOIDCEnv(t)
			e.addOIDCIdP(directory.IdP{ID: "g", Preset: "generic", LinkPolicy: directory.LinkVerifiedEmail, Mapping: tc.mapping})
			existing := directory.User{ID: "admin-made", UserName: "dee@example.com", Active: true, Owner: directory.OwnerAdmin,
				Emails: []directory.MultiValue{{Value: "dee@example.com", Primary: true}}}
			if err := e.store.Update(e.ctx, func(tx directory.Tx) error { return tx.PutUser(existing) }); err != nil {
				t.Fatal(err)
			}
			idt := map[string]any{"given_name": "Dee", "family_name": "Ho"}
			for k, v := range tc.idToken {
				idt[k] = v
			}
			e.op.signIn(opPerson{sub: "dee-sub", idToken: idt, userInfo: tc.userInfo})
			seq := e.snapshot().LastSeq
			b := newBrowser(t)
			resp, body := b.get(b.oidcCallback(e, "g", "/"))
			u, err := e.svc.User(e.ctx, "admin-made")
			if err != nil {
				t.Fatal(err)
			}
			if tc.link {
				if resp.StatusCode != http.StatusSeeOther || u.IdP != "g" || u.UniqueUserID != "dee-sub" {
					t.Fatalf("want a link: status %d, user %+v:\n%s", resp.StatusCode, u, body)
				}
				if evs := e.events(seq); len(evs) == 0 || evs[len(evs)-1].Type != directory.EventUserLinked || evs[len(evs)-1].Rule != "R9" {
					t.Errorf("events %+v, want user.linked under R9", evs)
				}
				return
			}
			// Not linked: the userName is the existing user's, so R8 refuses the login.
			if resp.StatusCode != http.StatusForbidden || u.IdP != "" || !contains(body, "could not be set up") {
				t.Fatalf("want R8 refusal and no link: status %d, user %+v:\n%s", resp.StatusCode, u, body)
			}
			evs := e.events(seq)
			if len(evs) != 1 || evs[0].Type != directory.EventLoginRefused || evs[0].Rule != "R8" || !contains(body, evs[0].ID) {
				t.Errorf("events %+v, want one login.refused under R8 quoted on the page", evs)
			}
		})
	}
}

// The rules refuse through OIDC as through SAML: a page in plain words, the event's reference.
func TestOIDCRefusalPage(t *testing.T) {
	e := newOIDCEnv(t)
	e.addOIDCIdP(directory.IdP{ID: "scim-only", Preset: "okta", Mode: directory.ModeSCIM})
	e.op.signIn(opPerson{sub: "00u-new", idToken: map[string]any{"email": "new@example.com", "given_name": "N", "family_name": "N"}})
	seq := e.snapshot().LastSeq
	b := newBrowser(t)
	resp, body := b.get(b.oidcCallback(e, "scim-only", "/"))
	evs := e.events(seq)
	if resp.StatusCode != http.StatusForbidden || !contains(body, "not been provisioned") {
		t.Fatalf("status %d:\n%s", resp.StatusCode, body)
	}
	if len(evs) != 1 || evs[0].Type != directory.EventLoginRefused || evs[0].Rule != "R3" || evs[0].Actor != "jit:scim-only" || !contains(body, evs[0].ID) {
		t.Errorf("events %+v, want one login.refused under R3 quoted on the page", evs)
	}
	if code, _ := b.me(e.env); code != http.StatusUnauthorized {
		t.Errorf("/api/v1/me = %d after a refusal, want 401", code)
	}
}

// Every forged, replayed or misdirected callback is refused and changes nothing in the store:
// no user created or changed, no event written, no session.
func TestOIDCAttacks(t *testing.T) {
	e := newOIDCEnv(t)
	p := e.addOIDCIdP(directory.IdP{ID: "okta", Preset: "okta"})
	e.addOIDCIdP(directory.IdP{ID: "other", Preset: "okta"})
	_, _, unknown := opKeys(t)
	first, _, _ := opKeys(t)

	honest := opPerson{sub: "00u-mal", idToken: map[string]any{"email": "mal@example.com", "given_name": "Mal", "family_name": "Lory"}}
	e.op.signIn(honest)
	newBrowser(t).oidcLogin(e, "okta", "/", "/")
	// Every attack below signs the same person in with a new name; an accepted one would
	// change the user and write events.
	attacker := opPerson{sub: "00u-mal", idToken: map[string]any{"email": "mal@example.com", "given_name": "Changed", "family_name": "Lory"},
		userInfo: map[string]any{"given_name": "Changed"}}

	// replayed is a callback URL that hb, the honest browser, has already used once.
	var replayed string
	hb := newBrowser(t)

	type attack struct {
		name string
		// op makes the test OP misbehave; run returns Roster's answer to the callback.
		op  func(op *testOP)
		run func(t *testing.T, b *browser) (*http.Response, string)
	}
	callback := func(t *testing.T, b *browser) (*http.Response, string) { return b.get(b.oidcCallback(e, "okta", "/")) }
	tampered := func(name string, fn func(c map[string]any)) attack {
		return attack{name: name, op: func(op *testOP) { op.tamper = fn }, run: callback}
	}
	forged := func(name string, fn func(c map[string]any) string) attack {
		return attack{name: name, op: func(op *testOP) { op.forge = fn }, run: callback}
	}
	attacks := []attack{
		{name: "missing state", run: func(t *testing.T, b *browser) (*http.Response, string) {
			return b.get(withQuery(t, b.oidcCallback(e, "okta", "/"), "state", ""))
		}},
		{name: "wrong state", run: func(t *testing.T, b *browser) (*http.Response, string) {
			return b.get(withQuery(t, b.oidcCallback(e, "okta", "/"), "state", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
		}},
		{name: "state of another IdP", run: func(t *testing.T, b *browser) (*http.Response, string) {
			cb := b.oidcCallback(e, "other", "/")
			return b.get(e.handler.OIDCRedirectURI("okta") + "?" + strings.SplitN(cb, "?", 2)[1])
		}},
		{name: "state from another browser", run: func(t *testing.T, b *browser) (*http.Response, string) {
			// Login CSRF: the attacker's own callback URL, opened in the victim's browser.
			cb := newBrowser(t).oidcCallback(e, "okta", "/")
			return b.get(cb)
		}},
		{name: "state without the binding cookie", run: func(t *testing.T, b *browser) (*http.Response, string) {
			cb := b.oidcCallback(e, "okta", "/")
			u, _ := url.Parse(e.roster.URL)
			b.jar.SetCookies(u, []*http.Cookie{{Name: bindingCookie, Value: "", Path: "/sso/", MaxAge: -1}})
			return b.get(cb)
		}},
		{name: "replayed callback", run: func(t *testing.T, b *browser) (*http.Response, string) {
			// The very browser that finished this login, so only the consumed state refuses it.
			return hb.get(replayed)
		}},
		{name: "replayed code", run: func(t *testing.T, b *browser) (*http.Response, string) {
			// A fresh state of the same browser carrying the code an earlier login used.
			return b.get(withQuery(t, b.oidcCallback(e, "okta", "/"), "code", queryParam(t, replayed, "code")))
		}},
		{name: "replayed callback at an OP that redeems codes twice", op: func(op *testOP) { op.reuseCodes = true }, run: func(t *testing.T, b *browser) (*http.Response, string) {
			return hb.get(replayed)
		}},
		{name: "authorization response of another issuer", run: func(t *testing.T, b *browser) (*http.Response, string) {
			return b.get(withQuery(t, b.oidcCallback(e, "okta", "/"), "iss", "https://evil.example"))
		}},
		{name: "IdP error", op: func(op *testOP) { op.next = nil }, run: callback},
		tampered("wrong nonce", func(c map[string]any) { c["nonce"] = "not-the-nonce" }),
		tampered("no nonce", func(c map[string]any) { delete(c, "nonce") }),
		tampered("another audience", func(c map[string]any) { c["aud"] = "someone-else" }),
		tampered("another authorized party", func(c map[string]any) { c["aud"] = []string{p.OIDC.ClientID, "evil-app"}; c["azp"] = "evil-app" }),
		tampered("another issuer", func(c map[string]any) { c["iss"] = "https://evil.example" }),
		tampered("expired", func(c map[string]any) {
			c["exp"] = time.Now().Add(-10 * time.Minute).Unix()
			c["iat"] = time.Now().Add(-20 * time.Minute).Unix()
		}),
		tampered("at_hash of another access token", func(c map[string]any) { c["at_hash"] = "AAAAAAAAAAAAAAAAAAAAAA" }),
		forged("signed with an unknown key", func(c map[string]any) string { return signJWT(t, unknown, c) }),
		forged("signed with an unknown key under the OP's kid", func(c map[string]any) string {
			return signJWT(t, opKey{kid: first.kid, key: unknown.key}, c)
		}),
		forged("alg none", func(c map[string]any) string { return unsignedJWT(first.kid, c) }),
		forged("HS256 keyed with the public key", func(c map[string]any) string { return hmacWithPublicKey(first, c) }),
		forged("payload changed after signing", func(c map[string]any) string {
			good := strings.Split(signJWT(t, first, c), ".")
			c["sub"] = "00u-victim"
			forgedPayload := strings.Split(rawJWT(map[string]any{}, c), ".")[1]
			return good[0] + "." + forgedPayload + "." + good[2]
		}),
		{name: "userinfo about another subject", op: func(op *testOP) {
			op.next = &opPerson{sub: "00u-mal", userInfo: map[string]any{"email": "victim@example.com", "given_name": "V", "family_name": "W"}}
			op.tamperUserInfo = func(c map[string]any) { c["sub"] = "00u-victim" }
		}, run: callback},
	}

	e.op.signIn(honest)
	replayed = hb.oidcCallback(e, "okta", "/")
	if resp, body := hb.get(replayed); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("honest login: %d:\n%s", resp.StatusCode, body)
	}

	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			e.op.signIn(attacker)
			if a.op != nil {
				e.op.set(a.op)
			}
			t.Cleanup(func() {
				e.op.set(func(op *testOP) { op.tamper, op.forge, op.tamperUserInfo, op.reuseCodes = nil, nil, nil, false })
			})
			before := e.snapshot()
			b := newBrowser(t)
			resp, body := a.run(t, b)
			if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 403 or 400:\n%s", resp.StatusCode, body)
			}
			for _, c := range resp.Cookies() {
				if c.Name == jit.SessionCookie && c.Value != "" {
					t.Errorf("a session cookie was set")
				}
			}
			if code, _ := b.me(e.env); code != http.StatusUnauthorized {
				t.Errorf("/api/v1/me = %d, want 401", code)
			}
			e.mustUnchanged(before)
		})
	}

	// The OP was honest about the person all along: a clean login still works afterwards.
	e.op.signIn(attacker)
	b := newBrowser(t)
	b.oidcLogin(e, "okta", "/", "/")
	if _, me := b.me(e.env); me.Name.GivenName != "Changed" {
		t.Errorf("after the attacks an honest login gave %+v", me)
	}
}

// A callback URL opened by another browser fails, and the person who started that login can
// still finish it: the stranger's attempt neither succeeds nor consumes the state.
func TestOIDCStateFromAnotherBrowserLeavesTheLogin(t *testing.T) {
	e := newOIDCEnv(t)
	e.addOIDCIdP(directory.IdP{ID: "okta", Preset: "okta"})
	e.op.signIn(opPerson{sub: "00u-v", idToken: map[string]any{"email": "v@example.com", "given_name": "V", "family_name": "W"}})
	victim := newBrowser(t)
	cb := victim.oidcCallback(e, "okta", "/mine")
	if resp, _ := newBrowser(t).get(cb); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("another browser: status %d, want 403", resp.StatusCode)
	}
	if resp, body := victim.get(cb); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/mine" {
		t.Fatalf("the browser that started the login: %d %q:\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
}

// The OP rolls its signing key over: go-oidc fetches the JWKS again for the new key id.
func TestOIDCKeyRotation(t *testing.T) {
	e := newOIDCEnv(t)
	e.addOIDCIdP(directory.IdP{ID: "okta", Preset: "okta"})
	person := opPerson{sub: "00u-r", idToken: map[string]any{"email": "r@example.com", "given_name": "R", "family_name": "S"}}
	e.op.signIn(person)
	newBrowser(t).oidcLogin(e, "okta", "/", "/")
	_, rotated, _ := opKeys(t)
	e.op.rotate(rotated)
	e.op.signIn(person)
	newBrowser(t).oidcLogin(e, "okta", "/", "/")
	if got := e.op.lastIDToken; !strings.HasPrefix(got, strings.Split(signJWT(t, rotated, map[string]any{}), ".")[0]) {
		t.Errorf("the second login's ID token was not signed with the rotated key")
	}
}

// Several replicas share one store: a login started at one can finish at another, because
// state lives in the store and the binding cookie in the browser.
func TestOIDCReplicas(t *testing.T) {
	e := newOIDCEnv(t)
	e.addOIDCIdP(directory.IdP{ID: "okta", Preset: "okta"})
	// Replica B is another handler over the same store, with the same public base URL.
	other, err := jit.New(directory.New(e.store), jit.Config{BaseURL: e.roster.URL, SessionTTL: time.Hour, HTTPClient: loopbackClient()})
	if err != nil {
		t.Fatal(err)
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	other.Routes(r)
	replicaB := httptest.NewServer(r)
	t.Cleanup(replicaB.Close)

	e.op.signIn(opPerson{sub: "00u-x", idToken: map[string]any{"email": "x@example.com", "given_name": "X", "family_name": "Y"}})
	b := newBrowser(t)
	cb := b.oidcCallback(e, "okta", "/here")
	// Both replicas listen on 127.0.0.1, so the jar sends the binding cookie to either.
	resp, body := b.get(replicaB.URL + strings.TrimPrefix(cb, e.roster.URL))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/here" {
		t.Fatalf("replica B answered %d %q:\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if code, me := b.me(e.env); code != http.StatusOK || me.UniqueUserID != "00u-x" {
		t.Errorf("replica A sees /api/v1/me %d %+v", code, me)
	}
	// The state was consumed at B; A refuses it.
	if resp, _ := b.get(cb); resp.StatusCode != http.StatusForbidden {
		t.Errorf("the same callback at replica A: %d, want 403", resp.StatusCode)
	}
}

func TestOIDCValidate(t *testing.T) {
	e := newOIDCEnv(t)
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	oidcIdP := func(issuer, clientID string) directory.IdP {
		return directory.IdP{ID: "x", Protocol: directory.ProtocolOIDC, OIDC: directory.OIDCSettings{Issuer: issuer, ClientID: clientID}}
	}
	cases := []struct {
		name string
		idp  directory.IdP
		// validate are ValidateIdP's problems, discovery ValidateOIDCDiscovery's.
		validate, discovery []string
	}{
		{"answers", oidcIdP(e.op.issuer, "c"), nil, nil},
		{"no client_id", oidcIdP(e.op.issuer, ""), []string{"client_id is required"}, nil},
		{"not a URL", oidcIdP("login.example.com", "c"), []string{"not an http(s) URL"}, []string{"not an http(s) URL"}},
		{"unreachable", oidcIdP(gone.URL, "c"), nil, []string{"discovery"}},
		{"not an OP", oidcIdP(e.roster.URL, "c"), nil, []string{"404"}},
		{"issuer spelled otherwise", oidcIdP(e.op.issuer+"/", "c"), nil, []string{"names the issuer \"" + e.op.issuer + "\""}},
		{"SAML", directory.IdP{Protocol: directory.ProtocolSAML, SAML: directory.SAMLSettings{MetadataXML: e.idp.metadataXML(t)}}, nil, nil},
	}
	check := func(t *testing.T, what string, got, want []string) {
		if len(got) != len(want) {
			t.Fatalf("%s: problems %q, want %d like %q", what, got, len(want), want)
		}
		for i := range got {
			if !strings.Contains(got[i], want[i]) {
				t.Errorf("%s: problem %d = %q, want it to say %q", what, i, got[i], want[i])
			}
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check(t, "ValidateIdP", e.handler.ValidateIdP(e.ctx, tc.idp), tc.validate)
			check(t, "ValidateOIDCDiscovery", e.handler.ValidateOIDCDiscovery(e.ctx, tc.idp), tc.discovery)
		})
	}
}
