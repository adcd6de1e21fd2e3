package jit_test

// OpenID Connect sign-in, end to end: a browser (cookie jar) goes from Roster's login route to
// the test OP (internal/testidp) and back to Roster's redirect URI over real HTTP, with Roster
// on a real bbolt file.

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testidp"
	"github.com/rosterhq/roster/internal/view"
	"github.com/rosterhq/roster/jit"
)

const bindingCookie = "roster_oidc_binding"

// oidcEnv is Roster beside a test OP.
type oidcEnv struct {
	*env
	op *testidp.OP
}

func newOIDCEnv(tb testing.TB) *oidcEnv {
	tb.Helper()
	return &oidcEnv{env: newEnv(tb), op: testidp.NewOP(tb, testidp.OPConfig{})}
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
		p.OIDC.Issuer = e.op.Issuer
	}
	if p.OIDC.ClientID == "" {
		p.OIDC.ClientID = "roster-" + p.ID
		p.OIDC.ClientSecret = "secret-" + p.ID
	}
	e.op.Register(p.OIDC.ClientID, p.OIDC.ClientSecret, e.handler.OIDCRedirectURI(p.ID))
	if problems := append(e.handler.ValidateIdP(e.ctx, p), e.handler.ValidateOIDCDiscovery(e.ctx, p)...); len(problems) > 0 {
		e.tb.Fatalf("validating IdP %s: %v", p.ID, problems)
	}
	return e.AddIdP(p)
}

// oidcCallback starts a sign-in at Roster, lets the OP sign the person in, and returns the
// redirect URI (with code and state) the OP sends the browser to, not yet visited.
func (b *browser) oidcCallback(e *oidcEnv, idp, returnTo string) string {
	b.tb.Helper()
	u := e.url("/sso/" + idp + "/login")
	if returnTo != "" {
		u += "?return_to=" + url.QueryEscape(returnTo)
	}
	cb := b.OIDCCallback(u, e.op.Issuer)
	if !strings.HasPrefix(cb, e.handler.OIDCRedirectURI(idp)+"?") {
		b.tb.Fatalf("the OP redirected to %q, not to the redirect URI of %s", cb, idp)
	}
	return cb
}

// oidcLogin runs a whole sign-in and fails the test unless Roster redirects to want.
func (b *browser) oidcLogin(e *oidcEnv, idp, returnTo, want string) {
	b.tb.Helper()
	resp, body := b.Get(b.oidcCallback(e, idp, returnTo))
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
	e.op.SignIn(testidp.OPPerson{Sub: "00u1ann", IDToken: map[string]any{
		"email": "ann@example.com", "email_verified": true, "given_name": "Ann", "family_name": "Lee",
		"groups": []any{"Engineering", "Everyone"},
	}})
	seq := e.Snapshot().LastSeq

	// A browser that follows every redirect, from the login link to the page it asked for:
	// here /api/v1/me, which answers the signed-in user.
	b := newBrowser(t)
	resp, err := b.Follow.Get(e.url("/sso/okta/login?return_to=" + url.QueryEscape("/api/v1/me")))
	if err != nil {
		t.Fatal(err)
	}
	body := testidp.ReadBody(t, resp)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/api/v1/me" {
		t.Fatalf("sign-in ended at %s with %d:\n%s", resp.Request.URL, resp.StatusCode, body)
	}
	var me view.User
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
	for _, ev := range e.Events(seq) {
		if ev.Type == directory.EventUserCreated {
			created = ev.Actor == "jit:okta" && ev.Rule == "R2" && ev.Subject == me.ID
		}
	}
	if !created {
		t.Errorf("no user.created event by jit:okta under R2 for %s: %+v", me.ID, e.Events(seq))
	}

	// A second sign-in is the same user, updated.
	e.op.SignIn(testidp.OPPerson{Sub: "00u1ann", IDToken: map[string]any{
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
	resp, body := b.Get(e.url("/sso/kc/login?return_to=/x"))
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
	e.op.SignIn(testidp.OPPerson{Sub: "u1", IDToken: map[string]any{"email": "u1@example.com"}})
	cb1 := b.oidcCallback(e, "kc", "/one")
	cb2 := b.oidcCallback(e, "kc", "/two")
	for _, tc := range []struct{ cb, want string }{{cb2, "/two"}, {cb1, "/one"}} {
		if resp, body := b.Get(tc.cb); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != tc.want {
			t.Errorf("callback answered %d Location %q, want 303 to %s:\n%s", resp.StatusCode, resp.Header.Get("Location"), tc.want, body)
		}
	}

	t.Run("unsafe return_to", func(t *testing.T) {
		resp, _ := b.Get(e.url("/sso/kc/login?return_to=" + url.QueryEscape("https://evil.example/")))
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d, want 400", resp.StatusCode)
		}
	})
	t.Run("callback of a SAML IdP", func(t *testing.T) {
		e.addIdP(directory.IdP{ID: "saml-one", Mode: directory.ModeJIT})
		resp, _ := b.Get(e.url("/sso/saml-one/oidc/callback?state=x&code=y"))
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("status %d, want 404", resp.StatusCode)
		}
	})
	t.Run("SAML login still starts SAML", func(t *testing.T) {
		resp, _ := b.Get(e.url("/sso/saml-one/login"))
		if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), e.idp.URL+"/sso?") {
			t.Errorf("status %d Location %q, want a redirect to the SAML IdP", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("unknown IdP", func(t *testing.T) {
		for _, p := range []string{"/sso/nope/login", "/sso/nope/oidc/callback?state=x&code=y"} {
			if resp, _ := b.Get(e.url(p)); resp.StatusCode != http.StatusNotFound {
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
		person  testidp.OPPerson
		wantUID string
	}{
		{"entra", directory.Mapping{}, testidp.OPPerson{Sub: "pairwise-AAAbbb", IDToken: map[string]any{
			"oid": "8f2c0a6e-0000-4000-8000-000000000001", "tid": "72f988bf-86f1-41af-91ab-2d7cd011db47",
			"preferred_username": "ann@contoso.com", "given_name": "Ann", "family_name": "Lee", "email": "ann@contoso.com"}},
			"8f2c0a6e-0000-4000-8000-000000000001"},
		{"okta", directory.Mapping{}, testidp.OPPerson{Sub: "00u1okta", IDToken: map[string]any{
			"email": "ann@okta.example", "given_name": "Ann", "family_name": "Lee"}}, "00u1okta"},
		{"pingone", directory.Mapping{}, testidp.OPPerson{Sub: "5a8e-ping", IDToken: map[string]any{
			"email": "ann@ping.example", "given_name": "Ann", "family_name": "Lee"}}, "5a8e-ping"},
		{"google", directory.Mapping{}, testidp.OPPerson{Sub: "110169484474386276334", IDToken: map[string]any{
			"email": "ann@google.example", "email_verified": true, "given_name": "Ann", "family_name": "Lee", "hd": "google.example"}},
			"110169484474386276334"},
		{"keycloak", directory.Mapping{}, testidp.OPPerson{Sub: "f:kc:ann", IDToken: map[string]any{
			"email": "ann@kc.example", "given_name": "Ann", "family_name": "Lee", "preferred_username": "ann"}}, "f:kc:ann"},
		{"generic", directory.Mapping{}, testidp.OPPerson{Sub: "sub-generic", IDToken: map[string]any{
			"uniqueUserId": "emp-42", "email": "ann@generic.example", "given_name": "Ann", "family_name": "Lee"}}, "emp-42"},
		{"generic", directory.Mapping{UniqueUserID: "sub"}, testidp.OPPerson{Sub: "sub-mapped", IDToken: map[string]any{
			"uniqueUserId": "emp-43", "email": "ann@mapped.example", "given_name": "Ann", "family_name": "Lee"}}, "sub-mapped"},
	}
	for i, tc := range cases {
		t.Run(tc.preset, func(t *testing.T) {
			id := tc.preset + "-" + string(rune('a'+i))
			e.addOIDCIdP(directory.IdP{ID: id, Preset: tc.preset, Mapping: tc.mapping})
			e.op.SignIn(tc.person)
			b := newBrowser(t)
			b.oidcLogin(e, id, "/", "/")
			_, me := b.me(e.env)
			if me.UniqueUserID != tc.wantUID || me.Name.GivenName != "Ann" || me.Name.FamilyName != "Lee" || me.UserName != tc.person.IDToken["email"] {
				t.Errorf("me = %+v, want uniqueUserId %q, Ann Lee, userName %v", me, tc.wantUID, tc.person.IDToken["email"])
			}
		})
	}
}

// An Entra ID token of another tenant is refused even when the oid would match.
func TestOIDCEntraTenant(t *testing.T) {
	// The issuer names a tenant in its path, as Entra ID's do; the test OP publishes it so.
	tenant := "72f988bf-86f1-41af-91ab-2d7cd011db47"
	e := &oidcEnv{env: newEnv(t), op: testidp.NewOP(t, testidp.OPConfig{IssuerPath: "/" + tenant + "/v2.0"})}
	e.addOIDCIdP(directory.IdP{ID: "entra", Preset: "entra"})
	person := testidp.OPPerson{Sub: "pairwise", IDToken: map[string]any{"oid": "oid-1", "tid": tenant, "email": "a@contoso.com", "given_name": "A", "family_name": "B"}}
	e.op.SignIn(person)
	newBrowser(t).oidcLogin(e, "entra", "/", "/")

	person.IDToken["tid"] = "00000000-0000-0000-0000-000000000bad"
	e.op.SignIn(person)
	before := e.Snapshot()
	b := newBrowser(t)
	resp, body := b.Get(b.oidcCallback(e, "entra", "/"))
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("token of another tenant: %d:\n%s", resp.StatusCode, body)
	}
	e.MustRecordRefusal(before, pageReference(t, body))
}

func TestOIDCUserInfo(t *testing.T) {
	e := newOIDCEnv(t)
	e.addOIDCIdP(directory.IdP{ID: "ping", Preset: "pingone"})

	// A minimal ID token (sub only): the profile comes from userinfo.
	e.op.SignIn(testidp.OPPerson{Sub: "p-1", UserInfo: map[string]any{"email": "bo@example.com", "given_name": "Bo", "family_name": "Ek"}})
	b := newBrowser(t)
	b.oidcLogin(e, "ping", "/", "/")
	if _, me := b.me(e.env); me.UniqueUserID != "p-1" || me.UserName != "bo@example.com" || me.Name.GivenName != "Bo" || me.Name.FamilyName != "Ek" {
		t.Errorf("me = %+v", me)
	}
	if n := e.op.UserInfoCalls(); n != 1 {
		t.Errorf("userinfo asked %d times, want 1", n)
	}

	// The ID token's own claims win over userinfo's, and a complete ID token needs no request.
	asked := e.op.UserInfoCalls()
	e.op.SignIn(testidp.OPPerson{Sub: "p-2", IDToken: map[string]any{"email": "cy@example.com", "given_name": "Cy", "family_name": "Po"},
		UserInfo: map[string]any{"email": "other@example.com", "given_name": "Other"}})
	b = newBrowser(t)
	b.oidcLogin(e, "ping", "/", "/")
	if _, me := b.me(e.env); me.UserName != "cy@example.com" || me.Name.GivenName != "Cy" {
		t.Errorf("me = %+v", me)
	}
	if n := e.op.UserInfoCalls() - asked; n != 0 {
		t.Errorf("userinfo asked %d times for a complete ID token", n)
	}

	// Without a userinfo endpoint the login goes on with what the ID token says.
	bare := &oidcEnv{env: e.env, op: testidp.NewOP(t, testidp.OPConfig{NoUserInfo: true})}
	bare.addOIDCIdP(directory.IdP{ID: "bare", Preset: "generic"})
	bare.op.SignIn(testidp.OPPerson{Sub: "p-3"})
	b = newBrowser(t)
	b.oidcLogin(bare, "bare", "/", "/")
	if _, me := b.me(e.env); me.UniqueUserID != "p-3" || me.UserName != "p-3" {
		t.Errorf("me = %+v", me)
	}
	if n := bare.op.UserInfoCalls(); n != 0 {
		t.Errorf("userinfo asked %d times of an OP that does not publish it", n)
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
			e.op.SignIn(testidp.OPPerson{Sub: "dee-sub", IDToken: idt, UserInfo: tc.userInfo})
			seq := e.Snapshot().LastSeq
			b := newBrowser(t)
			resp, body := b.Get(b.oidcCallback(e, "g", "/"))
			u, err := e.svc.User(e.ctx, "admin-made")
			if err != nil {
				t.Fatal(err)
			}
			if tc.link {
				if resp.StatusCode != http.StatusSeeOther || u.IdP != "g" || u.UniqueUserID != "dee-sub" {
					t.Fatalf("want a link: status %d, user %+v:\n%s", resp.StatusCode, u, body)
				}
				if evs := e.Events(seq); len(evs) == 0 || evs[len(evs)-1].Type != directory.EventUserLinked || evs[len(evs)-1].Rule != "R9" {
					t.Errorf("events %+v, want user.linked under R9", evs)
				}
				return
			}
			// Not linked: the userName is the existing user's, so R8 refuses the login.
			if resp.StatusCode != http.StatusForbidden || u.IdP != "" || !contains(body, "could not be set up") {
				t.Fatalf("want R8 refusal and no link: status %d, user %+v:\n%s", resp.StatusCode, u, body)
			}
			evs := e.Events(seq)
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
	e.op.SignIn(testidp.OPPerson{Sub: "00u-new", IDToken: map[string]any{"email": "new@example.com", "given_name": "N", "family_name": "N"}})
	seq := e.Snapshot().LastSeq
	b := newBrowser(t)
	resp, body := b.Get(b.oidcCallback(e, "scim-only", "/"))
	evs := e.Events(seq)
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

// Every forged, replayed or misdirected callback is refused, for the reason the case is about,
// and changes nothing in the store: no user created or changed, no event written, no session.
// The reason is read from the server's log line that carries the reference the refusal page
// shows, as the SAML attack tests read theirs; the page itself names no cause.
func TestOIDCAttacks(t *testing.T) {
	e := newOIDCEnv(t)
	p := e.addOIDCIdP(directory.IdP{ID: "okta", Preset: "okta"})
	e.addOIDCIdP(directory.IdP{ID: "other", Preset: "okta"})
	first, _, unknown := testidp.OPKeys()

	honest := testidp.OPPerson{Sub: "00u-mal", IDToken: map[string]any{"email": "mal@example.com", "given_name": "Mal", "family_name": "Lory"}}
	e.op.SignIn(honest)
	newBrowser(t).oidcLogin(e, "okta", "/", "/")
	// Every attack below signs the same person in with a new name; an accepted one would
	// change the user and write events.
	attacker := testidp.OPPerson{Sub: "00u-mal", IDToken: map[string]any{"email": "mal@example.com", "given_name": "Changed", "family_name": "Lory"},
		UserInfo: map[string]any{"given_name": "Changed"}}

	// replayed is a callback URL that hb, the honest browser, has already used once.
	var replayed string
	hb := newBrowser(t)

	type attack struct {
		name string
		// op makes the test OP misbehave; run returns Roster's answer to the callback.
		op  func(op *testidp.OP)
		run func(t *testing.T, b *browser) (*http.Response, string)
		// status is the answer the attack must get, and cause what the logged error of that
		// refusal must say: the check the case is about.
		status int
		cause  string
	}
	callback := func(t *testing.T, b *browser) (*http.Response, string) { return b.Get(b.oidcCallback(e, "okta", "/")) }
	tampered := func(name, cause string, fn func(c map[string]any)) attack {
		return attack{name: name, op: func(op *testidp.OP) { op.SetFaults(testidp.Faults{Tamper: fn}) }, run: callback,
			status: http.StatusForbidden, cause: cause}
	}
	forged := func(name, cause string, fn func(c map[string]any) string) attack {
		return attack{name: name, op: func(op *testidp.OP) { op.SetFaults(testidp.Faults{Forge: fn}) }, run: callback,
			status: http.StatusForbidden, cause: cause}
	}
	const (
		stateGone  = "state refused: not found"
		badSig     = "verifying the ID token: failed to verify signature"
		unexpected = `verifying the ID token: oidc: malformed jwt: unexpected signature algorithm`
	)
	attacks := []attack{
		{name: "missing state", run: func(t *testing.T, b *browser) (*http.Response, string) {
			return b.Get(withQuery(t, b.oidcCallback(e, "okta", "/"), "state", ""))
		}, status: http.StatusBadRequest, cause: "the OIDC callback carries no state"},
		{name: "wrong state", run: func(t *testing.T, b *browser) (*http.Response, string) {
			return b.Get(withQuery(t, b.oidcCallback(e, "okta", "/"), "state", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
		}, status: http.StatusForbidden, cause: stateGone},
		{name: "state of another IdP", run: func(t *testing.T, b *browser) (*http.Response, string) {
			cb := b.oidcCallback(e, "other", "/")
			return b.Get(e.handler.OIDCRedirectURI("okta") + "?" + strings.SplitN(cb, "?", 2)[1])
		}, status: http.StatusForbidden, cause: `state refused: the state was issued for IdP "other"`},
		{name: "state from another browser", run: func(t *testing.T, b *browser) (*http.Response, string) {
			// Login CSRF: the attacker's own callback URL, opened in the victim's browser.
			cb := newBrowser(t).oidcCallback(e, "okta", "/")
			return b.Get(cb)
		}, status: http.StatusForbidden, cause: "state refused: the login state belongs to another browser"},
		{name: "state without the binding cookie", run: func(t *testing.T, b *browser) (*http.Response, string) {
			cb := b.oidcCallback(e, "okta", "/")
			u, _ := url.Parse(e.URL)
			b.Jar.SetCookies(u, []*http.Cookie{{Name: bindingCookie, Value: "", Path: "/sso/", MaxAge: -1}})
			return b.Get(cb)
		}, status: http.StatusForbidden, cause: "state refused: the login state belongs to another browser"},
		{name: "replayed callback", run: func(t *testing.T, b *browser) (*http.Response, string) {
			// The very browser that finished this login, so only the consumed state refuses it.
			return hb.Get(replayed)
		}, status: http.StatusForbidden, cause: stateGone},
		{name: "replayed code", run: func(t *testing.T, b *browser) (*http.Response, string) {
			// A fresh state of the same browser carrying the code an earlier login used.
			return b.Get(withQuery(t, b.oidcCallback(e, "okta", "/"), "code", queryParam(t, replayed, "code")))
		}, status: http.StatusForbidden, cause: "redeeming the code: oauth2: \"invalid_grant\""},
		{name: "replayed callback at an OP that redeems codes twice", op: func(op *testidp.OP) { op.SetFaults(testidp.Faults{ReuseCodes: true}) },
			run: func(t *testing.T, b *browser) (*http.Response, string) {
				return hb.Get(replayed)
			}, status: http.StatusForbidden, cause: stateGone},
		{name: "authorization response of another issuer", run: func(t *testing.T, b *browser) (*http.Response, string) {
			return b.Get(withQuery(t, b.oidcCallback(e, "okta", "/"), "iss", "https://evil.example"))
		}, status: http.StatusForbidden, cause: `names issuer "https://evil.example"`},
		{name: "IdP error", op: func(op *testidp.OP) { op.SignNobodyIn() }, run: callback,
			status: http.StatusForbidden, cause: `answered error "access_denied"`},
		tampered("wrong nonce", "nonce is not the one this login sent", func(c map[string]any) { c["nonce"] = "not-the-nonce" }),
		tampered("no nonce", "nonce is not the one this login sent", func(c map[string]any) { delete(c, "nonce") }),
		tampered("another audience", `verifying the ID token: oidc: expected audience "`+p.OIDC.ClientID+`"`,
			func(c map[string]any) { c["aud"] = "someone-else" }),
		tampered("another authorized party", `azp "evil-app", not this client`,
			func(c map[string]any) { c["aud"] = []string{p.OIDC.ClientID, "evil-app"}; c["azp"] = "evil-app" }),
		tampered("another issuer", "verifying the ID token: oidc: id token issued by a different provider",
			func(c map[string]any) { c["iss"] = "https://evil.example" }),
		tampered("expired", "verifying the ID token: oidc: token is expired", func(c map[string]any) {
			c["exp"] = time.Now().Add(-10 * time.Minute).Unix()
			c["iat"] = time.Now().Add(-20 * time.Minute).Unix()
		}),
		tampered("issued a day ahead", "the ID token was issued in the future", func(c map[string]any) {
			c["iat"] = time.Now().Add(24 * time.Hour).Unix()
			c["exp"] = time.Now().Add(25 * time.Hour).Unix()
		}),
		tampered("issued ahead by more than the clock skew", "the ID token was issued in the future", func(c map[string]any) {
			c["iat"] = time.Now().Add(3 * time.Minute).Unix()
		}),
		tampered("at_hash of another access token", "at_hash does not match the access token",
			func(c map[string]any) { c["at_hash"] = "AAAAAAAAAAAAAAAAAAAAAA" }),
		forged("signed with an unknown key", badSig, func(c map[string]any) string { return mustSignJWT(t, unknown, c) }),
		forged("signed with an unknown key under the OP's kid", badSig, func(c map[string]any) string {
			return mustSignJWT(t, testidp.SigningKey{KID: first.KID, Key: unknown.Key}, c)
		}),
		forged("alg none", unexpected+` "none"`, func(c map[string]any) string { return unsignedJWT(first.KID, c) }),
		forged("HS256 keyed with the public key", unexpected+` "HS256"`, func(c map[string]any) string { return hmacWithPublicKey(first, c) }),
		forged("payload changed after signing", badSig, func(c map[string]any) string {
			good := strings.Split(mustSignJWT(t, first, c), ".")
			c["sub"] = "00u-victim"
			forgedPayload := strings.Split(rawJWT(map[string]any{}, c), ".")[1]
			return good[0] + "." + forgedPayload + "." + good[2]
		}),
		{name: "userinfo about another subject", op: func(op *testidp.OP) {
			op.SignIn(testidp.OPPerson{Sub: "00u-mal", UserInfo: map[string]any{"email": "victim@example.com", "given_name": "V", "family_name": "W"}})
			op.SetFaults(testidp.Faults{TamperUserInfo: func(c map[string]any) { c["sub"] = "00u-victim" }})
		}, run: callback, status: http.StatusForbidden, cause: `userinfo names sub "00u-victim", the ID token "00u-mal"`},
	}

	e.op.SignIn(honest)
	replayed = hb.oidcCallback(e, "okta", "/")
	if resp, body := hb.Get(replayed); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("honest login: %d:\n%s", resp.StatusCode, body)
	}

	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			e.op.SignIn(attacker)
			if a.op != nil {
				a.op(e.op)
			}
			t.Cleanup(func() { e.op.SetFaults(testidp.Faults{}) })
			before := e.Snapshot()
			logStart := e.logs.Len()
			b := newBrowser(t)
			resp, body := a.run(t, b)
			if resp.StatusCode != a.status {
				t.Errorf("status %d, want %d:\n%s", resp.StatusCode, a.status, body)
			}
			if logged := refusalLogged(t, e.logs.String()[logStart:], body); !strings.Contains(logged, a.cause) {
				t.Errorf("the refusal was not for the reason of this case: the log says\n%s\nwant it to say %q", logged, a.cause)
			}
			for _, c := range resp.Cookies() {
				if c.Name == jit.SessionCookie && c.Value != "" {
					t.Errorf("a session cookie was set")
				}
			}
			if code, _ := b.me(e.env); code != http.StatusUnauthorized {
				t.Errorf("/api/v1/me = %d, want 401", code)
			}
			e.MustRecordRefusal(before, pageReference(t, body))
		})
	}

	// The OP was honest about the person all along: a clean login still works afterwards.
	e.op.SignIn(attacker)
	b := newBrowser(t)
	b.oidcLogin(e, "okta", "/", "/")
	if _, me := b.me(e.env); me.Name.GivenName != "Changed" {
		t.Errorf("after the attacks an honest login gave %+v", me)
	}
}

// pageReference is the reference a sign-in's failure page quotes.
func pageReference(t *testing.T, body string) string {
	t.Helper()
	ref := referenceRE.FindStringSubmatch(body)
	if ref == nil {
		t.Fatalf("the page shows no reference:\n%s", body)
	}
	return ref[1]
}

// refusalLogged returns the error the server logged for the refusal whose page is body: the
// err of the log line that carries the reference the page shows. It fails the test if the
// page shows none or no line carries it.
func refusalLogged(t *testing.T, log, body string) string {
	t.Helper()
	ref := referenceRE.FindStringSubmatch(body)
	if ref == nil {
		t.Fatalf("the refusal page shows no reference:\n%s", body)
	}
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, "reference="+ref[1]) {
			continue
		}
		_, cause, ok := strings.Cut(line, " err=")
		if !ok {
			t.Fatalf("the log line of reference %s names no error: %s", ref[1], line)
		}
		// The text handler quotes a value with spaces or quotes in it.
		if unquoted, err := strconv.Unquote(cause); err == nil {
			cause = unquoted
		}
		return cause
	}
	t.Fatalf("no log line carries the page's reference %s:\n%s", ref[1], log)
	return ""
}

// A callback URL opened by another browser fails, and the person who started that login can
// still finish it: the stranger's attempt neither succeeds nor consumes the state.
func TestOIDCStateFromAnotherBrowserLeavesTheLogin(t *testing.T) {
	e := newOIDCEnv(t)
	e.addOIDCIdP(directory.IdP{ID: "okta", Preset: "okta"})
	e.op.SignIn(testidp.OPPerson{Sub: "00u-v", IDToken: map[string]any{"email": "v@example.com", "given_name": "V", "family_name": "W"}})
	victim := newBrowser(t)
	cb := victim.oidcCallback(e, "okta", "/mine")
	if resp, _ := newBrowser(t).Get(cb); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("another browser: status %d, want 403", resp.StatusCode)
	}
	if resp, body := victim.Get(cb); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/mine" {
		t.Fatalf("the browser that started the login: %d %q:\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
}

// The OP rolls its signing key over: go-oidc fetches the JWKS again for the new key id.
func TestOIDCKeyRotation(t *testing.T) {
	e := newOIDCEnv(t)
	e.addOIDCIdP(directory.IdP{ID: "okta", Preset: "okta"})
	person := testidp.OPPerson{Sub: "00u-r", IDToken: map[string]any{"email": "r@example.com", "given_name": "R", "family_name": "S"}}
	e.op.SignIn(person)
	newBrowser(t).oidcLogin(e, "okta", "/", "/")
	_, rotated, _ := testidp.OPKeys()
	e.op.Rotate(rotated)
	e.op.SignIn(person)
	newBrowser(t).oidcLogin(e, "okta", "/", "/")
	if got := e.op.LastIDToken(); !strings.HasPrefix(got, strings.Split(mustSignJWT(t, rotated, map[string]any{}), ".")[0]) {
		t.Errorf("the second login's ID token was not signed with the rotated key")
	}
}

// Several replicas share one store: a login started at one can finish at another, because
// state lives in the store and the binding cookie in the browser.
func TestOIDCReplicas(t *testing.T) {
	e := newOIDCEnv(t)
	e.addOIDCIdP(directory.IdP{ID: "okta", Preset: "okta"})
	// Replica B is another server with its own Service over the same store, with the same
	// public base URL.
	replicaB := e.Replica(t, nil)

	e.op.SignIn(testidp.OPPerson{Sub: "00u-x", IDToken: map[string]any{"email": "x@example.com", "given_name": "X", "family_name": "Y"}})
	b := newBrowser(t)
	cb := b.oidcCallback(e, "okta", "/here")
	// Both replicas listen on 127.0.0.1, so the jar sends the binding cookie to either.
	resp, body := b.Get(replicaB.URL + strings.TrimPrefix(cb, e.URL))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/here" {
		t.Fatalf("replica B answered %d %q:\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if code, me := b.me(e.env); code != http.StatusOK || me.UniqueUserID != "00u-x" {
		t.Errorf("replica A sees /api/v1/me %d %+v", code, me)
	}
	// The state was consumed at B; A refuses it.
	if resp, _ := b.Get(cb); resp.StatusCode != http.StatusForbidden {
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
		{"answers", oidcIdP(e.op.Issuer, "c"), nil, nil},
		{"no client_id", oidcIdP(e.op.Issuer, ""), []string{"client_id is required"}, nil},
		{"not a URL", oidcIdP("login.example.com", "c"), []string{"not an http(s) URL"}, []string{"not an http(s) URL"}},
		{"unreachable", oidcIdP(gone.URL, "c"), nil, []string{"discovery"}},
		{"not an OP", oidcIdP(e.URL, "c"), nil, []string{"404"}},
		{"issuer spelled otherwise", oidcIdP(e.op.Issuer+"/", "c"), nil, []string{"names the issuer \"" + e.op.Issuer + "\""}},
		{"SAML", directory.IdP{Protocol: directory.ProtocolSAML, SAML: directory.SAMLSettings{MetadataXML: e.idp.MetadataXML(t)}}, nil, nil},
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

// mustSignJWT signs claims as the OP would, with k.
func mustSignJWT(tb testing.TB, k testidp.SigningKey, claims map[string]any) string {
	tb.Helper()
	tok, err := testidp.SignJWT(k, claims)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// unsignedJWT is a token with alg "none" and an empty signature.
func unsignedJWT(kid string, claims map[string]any) string {
	return rawJWT(map[string]any{"alg": "none", "typ": "JWT", "kid": kid}, claims) + "."
}

// hmacWithPublicKey is the classic key-confusion forgery: HS256 keyed with the bytes of the
// OP's public key, which anyone can fetch, in the hope that a verifier uses the key it has
// for the kid as an HMAC secret.
func hmacWithPublicKey(k testidp.SigningKey, claims map[string]any) string {
	der, _ := x509.MarshalPKIXPublicKey(&k.Key.PublicKey)
	secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	signing := rawJWT(map[string]any{"alg": "HS256", "typ": "JWT", "kid": k.KID}, claims)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func rawJWT(header, claims map[string]any) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
}
