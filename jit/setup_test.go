package jit_test

// Self-service set-up, end to end: test sign-ins started from a set-up session or with a test
// ticket, over the real SAML IdP and OpenID provider, storing nothing about the person; the
// console sign-in through an organization's IdP; home-realm discovery; and the event a
// metadata URL's new certificate writes.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/adminsession"
	"github.com/rosterhq/roster/internal/testidp"
	"github.com/rosterhq/roster/internal/testserver"
	"github.com/rosterhq/roster/internal/teststore"
	"github.com/rosterhq/roster/jit"
)

// testResult is the JSON form of a test sign-in's page.
type testResult struct {
	IdP     string `json:"idp"`
	Passed  bool   `json:"passed"`
	Subject struct {
		Kind, Value string
		Persistent  bool
	} `json:"subject"`
	Claims []struct {
		Name   string   `json:"name"`
		Values []string `json:"values"`
	} `json:"claims"`
	UniqueUserID   string `json:"unique_user_id"`
	KeySource      string `json:"key_source"`
	KeyAttribute   string `json:"key_attribute"`
	KeyExplanation string `json:"key_explanation"`
	Identity       struct {
		Email  string   `json:"email"`
		Groups []string `json:"groups"`
	} `json:"identity"`
	Decision struct {
		Action, Rule, Code, Reason, Event string
	} `json:"decision"`
	Warnings []string `json:"warnings"`
	EventID  string   `json:"event_id"`
}

func (r testResult) claim(name string) []string {
	for _, c := range r.Claims {
		if c.Name == name {
			return c.Values
		}
	}
	return nil
}

func (r testResult) warns(part string) bool {
	for _, w := range r.Warnings {
		if strings.Contains(w, part) {
			return true
		}
	}
	return false
}

func decodeResult(tb testing.TB, body string) testResult {
	tb.Helper()
	var r testResult
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		tb.Fatalf("a test sign-in's JSON: %v\n%s", err, body)
	}
	return r
}

// embeddedResult reads the JSON a test sign-in's page embeds for the console.
func embeddedResult(tb testing.TB, page string) testResult {
	tb.Helper()
	m := regexp.MustCompile(`(?s)<script type="application/json" id="roster-test-result">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		tb.Fatalf("no embedded result in the page:\n%s", page)
	}
	return decodeResult(tb, m[1])
}

// admin sends a request to the admin API with the admin token and decodes the answer.
func (e *env) admin(method, path string, body any, status int, out any) {
	e.tb.Helper()
	r := e.Admin(method, "/admin/api/v1"+path, body)
	if r.Status != status {
		e.tb.Fatalf("%s %s: %d %s; want %d", method, path, r.Status, r.Body, status)
	}
	if out != nil {
		r.JSON(e.tb, out)
	}
}

// openSetupLink makes a set-up link of org for intent and opens it in the browser; it
// returns the link's id.
func (b *browser) openSetupLink(e *env, org, intent string) string {
	b.tb.Helper()
	var l struct{ ID, URL string }
	e.admin("POST", "/orgs/"+org+"/setup-links", map[string]any{"intent": intent}, http.StatusCreated, &l)
	if resp, body := b.Get(l.URL); resp.StatusCode != http.StatusSeeOther {
		b.tb.Fatalf("opening the set-up link: %d %s", resp.StatusCode, body)
	}
	return l.ID
}

// api calls the admin API with the browser's cookies, as the console's scripts do.
func (b *browser) api(e *env, method, path string, body any) (int, string) {
	b.tb.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.url("/admin/api/v1"+path), rd)
	if err != nil {
		b.tb.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set(adminsession.WriteHeader, "1")
	resp, err := b.NoFollow.Do(req)
	if err != nil {
		b.tb.Fatal(err)
	}
	return resp.StatusCode, string(testidp.ReadBody(b.tb, resp))
}

func (e *env) users() []directory.User {
	e.tb.Helper()
	return e.Snapshot().Users
}

func (e *env) userByIdentity(idp, key string) (directory.User, error) {
	e.tb.Helper()
	var u directory.User
	err := e.svc.View(e.ctx, func(tx directory.ReadTx) (err error) {
		u, err = tx.UserByIdentity(directory.Identity{IdP: idp, UniqueUserID: key})
		return err
	})
	return u, err
}

func TestTestSignInOIDCWithEmptyScopesWarnsAndStoresNothing(t *testing.T) {
	e := newOIDCEnv(t)
	e.admin("POST", "/orgs", map[string]any{"id": "acme"}, http.StatusCreated, nil)
	// Saved with empty scopes, so Roster asks for openid, profile and email only, and the OP
	// releases uniqueUserId only with the scope "roster".
	e.addOIDCIdP(directory.IdP{ID: "op", Org: "acme", Mode: directory.ModeBoth})
	e.op.SignIn(testidp.OPPerson{Sub: "sub-7f3a", IDToken: map[string]any{"email": "ada@acme.test", "given_name": "Ada", "family_name": "Lovelace"},
		ScopedClaims: map[string]map[string]any{"roster": {"uniqueUserId": "00u1"}}})
	b := newBrowser(t)
	link := b.openSetupLink(e.env, "acme", "sso")

	before := e.Snapshot()
	cb := b.OIDCCallback(e.url("/sso/op/login?test=1&format=json"), e.op.Issuer)
	resp, body := b.Get(cb)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("the test sign-in answered %d %s", resp.StatusCode, body)
	}
	res := decodeResult(t, body)
	if res.Passed || res.KeySource != string(directory.KeyFallback) || res.UniqueUserID != "sub-7f3a" || res.Subject.Kind != "OIDC sub" {
		t.Errorf("result %+v; want a failed test keyed by the sub", res)
	}
	if !res.warns(`no "uniqueUserId" attribute arrived, so the OIDC sub stands in`) || !res.warns("the IdP's scopes are empty") {
		t.Errorf("warnings %q; want the fallback explained, with the empty scopes", res.Warnings)
	}
	if res.Decision.Action != "create" || res.Decision.Rule != "R4" || res.Decision.Event != "user.created" {
		t.Errorf("decision %+v; want create by R4", res.Decision)
	}
	if got := res.claim("email"); len(got) != 1 || got[0] != "ada@acme.test" || res.claim("sub") == nil || res.claim("uniqueUserId") != nil {
		t.Errorf("claims %+v; want every claim that arrived, sub included", res.Claims)
	}
	// Nothing about the person is stored: no user, no group; one event, by the set-up link.
	after := e.Snapshot()
	if len(after.Users) != 0 || len(after.Groups) != 0 {
		t.Errorf("a test sign-in stored %d users and %d groups", len(after.Users), len(after.Groups))
	}
	evs := e.Events(before.LastSeq)
	if len(evs) != 1 || evs[0].Type != directory.EventLoginTested || evs[0].Actor != "setup:"+link || evs[0].ID != res.EventID ||
		evs[0].Org != "acme" || len(evs[0].Warnings) == 0 || strings.Contains(evs[0].Reason, "sub-7f3a") {
		t.Errorf("events %+v; want one login.tested by setup:%s without the person's key", evs, link)
	}

	// The set-up session fixes the scopes, and the test passes, as a page.
	if status, body := b.api(e.env, "PATCH", "/idps/op", map[string]any{"oidc": map[string]any{"scopes": []string{"profile", "email", "roster"}}}); status != http.StatusOK {
		t.Fatalf("fixing the scopes: %d %s", status, body)
	}
	resp, page := b.Get(b.OIDCCallback(e.url("/sso/op/login?test=1"), e.op.Issuer))
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Test sign-in passed") || strings.Contains(page, "<script>") {
		t.Fatalf("the second test: %d\n%s", resp.StatusCode, page)
	}
	res = embeddedResult(t, page)
	if !res.Passed || res.UniqueUserID != "00u1" || res.KeySource != string(directory.KeyMapped) || res.KeyAttribute != "uniqueUserId" || len(res.Warnings) != 0 {
		t.Errorf("the fixed set-up's result %+v", res)
	}
	if !strings.Contains(page, html.EscapeString(res.KeyExplanation)) || !strings.Contains(page, "R4") {
		t.Errorf("the page does not show the key's source and the rule:\n%s", page)
	}
	if len(e.users()) != 0 {
		t.Errorf("the second test stored a user")
	}
	var health struct {
		Checklist []struct {
			ID   string `json:"id"`
			Done bool   `json:"done"`
		} `json:"checklist"`
	}
	e.admin("GET", "/idps/op/health", nil, http.StatusOK, &health)
	if len(health.Checklist) < 2 || health.Checklist[1].ID != "test_sign_in_passed" || !health.Checklist[1].Done {
		t.Errorf("checklist %+v; want the test sign-in passed", health.Checklist)
	}
}

func TestLoginExplainsAFallbackKey(t *testing.T) {
	e := newOIDCEnv(t)
	e.addOIDCIdP(directory.IdP{ID: "op", Mode: directory.ModeBoth})
	e.op.SignIn(testidp.OPPerson{Sub: "sub-9", IDToken: map[string]any{"email": "grace@acme.test", "given_name": "Grace", "family_name": "Hopper"},
		ScopedClaims: map[string]map[string]any{"roster": {"uniqueUserId": "00u9"}}})
	seq := e.LastSeq()
	newBrowser(t).oidcLogin(e, "op", "/app", "/app")
	var created *directory.Event
	for _, ev := range e.Events(seq) {
		if ev.Type == directory.EventUserCreated {
			created = &ev
		}
	}
	if created == nil || created.KeySource != directory.KeyFallback || len(created.Warnings) != 1 ||
		!strings.Contains(created.Reason, `uniqueUserId: no "uniqueUserId" attribute arrived, so the OIDC sub stands in`) {
		t.Fatalf("user.created %+v; want the fallback explained", created)
	}
	var health struct {
		Warnings []string `json:"warnings"`
		SignIn   struct {
			Last struct {
				KeySource string   `json:"key_source"`
				Warnings  []string `json:"warnings"`
			} `json:"last"`
			FallbackKeys int `json:"fallback_keys"`
		} `json:"sign_in"`
	}
	e.admin("GET", "/idps/op/health", nil, http.StatusOK, &health)
	if health.SignIn.FallbackKeys != 1 || health.SignIn.Last.KeySource != "fallback" || len(health.SignIn.Last.Warnings) != 1 ||
		!strings.Contains(strings.Join(health.Warnings, "\n"), "took uniqueUserId from a fallback") {
		t.Errorf("health %+v; want the fallback warned of", health)
	}
}

func TestTestSignInSAMLWithATicket(t *testing.T) {
	e := newEnv(t)
	e.addIdP(directory.IdP{ID: "okta", Preset: "okta", Mode: directory.ModeSCIM})
	// The IdP sends no uniqueUserId attribute: the persistent NameID stands in.
	e.idp.SignIn(testidp.Person{NameID: "nid-1", Attrs: testidp.Attrs("email", "ada@acme.test", "firstName", "Ada", "groups", "Eng")})
	var ticket struct {
		URL       string    `json:"url"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	e.admin("POST", "/idps/okta/test-sign-in", map[string]any{"format": "json"}, http.StatusCreated, &ticket)
	if !strings.HasPrefix(ticket.URL, e.url("/sso/okta/login?")) || time.Until(ticket.ExpiresAt) > 6*time.Minute {
		t.Fatalf("ticket %+v", ticket)
	}
	before := e.Snapshot()
	b := newBrowser(t)
	resp, body := b.Submit(b.SAMLForm(ticket.URL))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the test sign-in answered %d %s", resp.StatusCode, body)
	}
	res := decodeResult(t, body)
	if res.Passed || res.KeySource != "fallback" || res.UniqueUserID != "nid-1" || res.Subject.Kind != "SAML NameID" || !res.Subject.Persistent ||
		!res.warns(`no "uniqueUserId" attribute arrived, so the persistent SAML NameID stands in`) {
		t.Errorf("result %+v", res)
	}
	// Mode scim refuses a person SCIM has not provisioned: the decision says so, and it is
	// what the mode means, not a warning.
	if res.Decision.Action != "refuse" || res.Decision.Rule != "R3" || res.Decision.Code != directory.RefuseNotProvisioned || len(res.Warnings) != 1 {
		t.Errorf("decision %+v, warnings %q", res.Decision, res.Warnings)
	}
	evs := e.Events(before.LastSeq)
	if len(evs) != 1 || evs[0].Type != directory.EventLoginTested || !strings.HasPrefix(evs[0].Actor, "admin:") {
		t.Errorf("events %+v; want one login.tested by the admin token", evs)
	}
	if len(e.users()) != 0 {
		t.Errorf("the test stored a user")
	}
	// The ticket is used up.
	seq := e.LastSeq()
	resp, body = b.Get(ticket.URL)
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Location") != "" {
		t.Errorf("the ticket again: %d %q %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if evs := e.Events(seq); len(evs) != 0 {
		t.Errorf("a used ticket wrote %+v", evs)
	}

	// With the attribute, the test passes.
	e.idp.SignIn(testidp.Person{NameID: "nid-1", Attrs: testidp.Attrs("uniqueUserId", "00u1", "email", "ada@acme.test")})
	e.admin("POST", "/idps/okta/test-sign-in", map[string]any{"format": "json"}, http.StatusCreated, &ticket)
	_, body = b.Submit(b.SAMLForm(ticket.URL))
	res = decodeResult(t, body)
	if !res.Passed || res.KeySource != "mapped" || res.UniqueUserID != "00u1" || res.Decision.Code != directory.RefuseNotProvisioned {
		t.Errorf("result %+v", res)
	}
	if len(e.users()) != 0 {
		t.Errorf("the test stored a user")
	}
}

func TestTestSignInNeedsAnAdministrator(t *testing.T) {
	e := newEnv(t)
	e.admin("POST", "/orgs", map[string]any{"id": "acme"}, http.StatusCreated, nil)
	e.admin("POST", "/orgs", map[string]any{"id": "globex"}, http.StatusCreated, nil)
	e.addIdP(directory.IdP{ID: "okta", Org: "acme", Mode: directory.ModeJIT})
	e.idp.SignIn(testidp.Person{NameID: "nid-1", Attrs: testidp.Attrs("uniqueUserId", "00u1")})

	refused := func(b *browser, why string) {
		t.Helper()
		seq := e.LastSeq()
		resp, body := b.Get(e.url("/sso/okta/login?test=1"))
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Location") != "" || !strings.Contains(body, "needs Roster") {
			t.Errorf("%s: %d %q %s; want 403 and no sign-in started", why, resp.StatusCode, resp.Header.Get("Location"), body)
		}
		if evs := e.Events(seq); len(evs) != 0 {
			t.Errorf("%s: wrote %+v", why, evs)
		}
	}
	refused(newBrowser(t), "no session")
	b := newBrowser(t)
	b.openSetupLink(e, "globex", "all")
	refused(b, "a set-up session of another organization")
	b = newBrowser(t)
	b.openSetupLink(e, "acme", "domain")
	refused(b, "a domain set-up session")
	b = newBrowser(t)
	b.openSetupLink(e, "acme", "scim")
	refused(b, "a scim set-up session")
	b = newBrowser(t)
	id := b.openSetupLink(e, "acme", "sso")
	if resp, body := b.Get(e.url("/sso/okta/login?test=1")); resp.StatusCode != http.StatusFound {
		t.Fatalf("an sso set-up session: %d %s; want the sign-in to start", resp.StatusCode, body)
	}
	e.admin("DELETE", "/setup-links/"+id, nil, http.StatusOK, nil)
	refused(b, "the session of a revoked link")
	// Without test=1 the route is an ordinary sign-in, open to anyone.
	if resp, _ := newBrowser(t).Get(e.url("/sso/okta/login")); resp.StatusCode != http.StatusFound {
		t.Errorf("an ordinary sign-in: %d", resp.StatusCode)
	}
}

// consoleEnv is Roster with organizations acme and globex, acme's IdP okta (the test SAML
// IdP) letting "Roster Admins" in as org-admins and "Helpdesk" as viewers, and globex's gx.
func consoleEnv(t *testing.T, cfg testserver.Config) *env {
	e := newEnvWith(t, cfg)
	for _, org := range []string{"acme", "globex", "ops"} {
		e.admin("POST", "/orgs", map[string]any{"id": org}, http.StatusCreated, nil)
	}
	e.addIdP(directory.IdP{ID: "okta", Org: "acme", Mode: directory.ModeJIT})
	e.addIdP(directory.IdP{ID: "gx", Org: "globex", Mode: directory.ModeJIT})
	e.addIdP(directory.IdP{ID: "staff", Org: "ops", Mode: directory.ModeJIT})
	access := func(idp string) map[string]any {
		return map[string]any{"console_access": map[string]any{"idp": idp, "admin_groups": []string{"Roster Admins"}, "viewer_groups": []string{"Helpdesk"}}}
	}
	e.admin("PATCH", "/orgs/acme", access("okta"), http.StatusOK, nil)
	e.admin("PATCH", "/orgs/ops", access("staff"), http.StatusOK, nil)
	return e
}

// consoleSignIn signs the person the SAML IdP names in to the console of org, as from
// /admin/sso/{org}, and returns the ACS's answer.
func (b *browser) consoleSignIn(e *env, org string) (*http.Response, string) {
	b.tb.Helper()
	resp, body := b.Get(e.url("/admin/sso/" + org))
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "/login?console=1") {
		b.tb.Fatalf("/admin/sso/%s: %d %q %s", org, resp.StatusCode, loc, body)
	}
	return b.Submit(b.SAMLForm(e.url(loc)))
}

type consoleWhoami struct {
	ID, Role, Org, Actor, Kind string
}

func (b *browser) consoleWhoami(e *env) (int, consoleWhoami) {
	b.tb.Helper()
	status, body := b.api(e, "GET", "/whoami", nil)
	var w consoleWhoami
	if status == http.StatusOK {
		_ = json.Unmarshal([]byte(body), &w)
	}
	return status, w
}

func TestConsoleSignInThroughSSO(t *testing.T) {
	e := consoleEnv(t, jitConfig())
	e.idp.SignIn(testidp.Person{NameID: "n1", Attrs: testidp.Attrs("uniqueUserId", "00u1", "email", "ada@acme.test",
		"groups", "Everyone", "groups", "Roster Admins")})
	b := newBrowser(t)
	resp, body := b.consoleSignIn(e, "acme")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/" {
		t.Fatalf("the console sign-in answered %d %q %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == adminsession.ConsoleCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Secure {
		t.Fatalf("console cookie %+v; want HttpOnly, SameSite=Strict (not Secure behind http)", cookie)
	}
	u, err := e.userByIdentity("okta", "00u1")
	if err != nil {
		t.Fatal(err)
	}
	status, who := b.consoleWhoami(e)
	if status != http.StatusOK || who.Kind != "console" || who.Role != "org-admin" || who.Org != "acme" || who.Actor != "console:"+u.ID {
		t.Fatalf("whoami: %d %+v", status, who)
	}
	// Org-admin of acme only: globex's organization and IdP do not exist for it, and what only
	// an owner does is refused.
	for _, p := range []string{"/orgs/globex", "/idps/gx", "/idps?org=globex"} {
		if status, body := b.api(e, "GET", p, nil); status != http.StatusNotFound {
			t.Errorf("GET %s: %d %s; want 404", p, status, body)
		}
	}
	if status, _ := b.api(e, "POST", "/orgs", map[string]any{"id": "new"}); status != http.StatusForbidden {
		t.Errorf("creating an organization: %d", status)
	}
	seq := e.LastSeq()
	if status, body := b.api(e, "POST", "/orgs/acme/domains", map[string]any{"domain": "acme.test"}); status != http.StatusCreated {
		t.Fatalf("adding a domain: %d %s", status, body)
	}
	if evs := e.Events(seq); len(evs) != 1 || evs[0].Actor != "console:"+u.ID {
		t.Errorf("the console session's write: %+v; want it by console:%s", evs, u.ID)
	}

	// A viewer reads only.
	e.idp.SignIn(testidp.Person{NameID: "n3", Attrs: testidp.Attrs("uniqueUserId", "00u3", "email", "carl@acme.test", "groups", "Helpdesk")})
	viewer := newBrowser(t)
	viewer.consoleSignIn(e, "acme")
	if status, who := viewer.consoleWhoami(e); status != http.StatusOK || who.Role != "viewer" || who.Org != "acme" {
		t.Errorf("a Helpdesk member: %d %+v", status, who)
	}
	if status, _ := viewer.api(e, "POST", "/orgs/acme/domains", map[string]any{"domain": "acme2.test"}); status != http.StatusForbidden {
		t.Errorf("a viewer's write: %d", status)
	}

	// Someone of no console group is refused, and nothing is provisioned for them.
	e.idp.SignIn(testidp.Person{NameID: "n2", Attrs: testidp.Attrs("uniqueUserId", "00u2", "email", "bob@acme.test", "groups", "Everyone")})
	seq = e.LastSeq()
	outsider := newBrowser(t)
	resp, body = outsider.consoleSignIn(e, "acme")
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "cannot open the console") {
		t.Errorf("a non-member: %d %s", resp.StatusCode, body)
	}
	for _, c := range resp.Cookies() {
		if c.Name == adminsession.ConsoleCookie {
			t.Errorf("a non-member got a console cookie")
		}
	}
	// Read before the whoami below, which, having no credential, is a failed admin
	// authentication with an event of its own.
	evs := e.Events(seq)
	if len(evs) != 1 || evs[0].Type != directory.EventConsoleRefused || evs[0].Org != "acme" || !strings.Contains(body, evs[0].ID) {
		t.Errorf("events %+v; want one console.refused whose id the page quotes", evs)
	}
	if status, _ := outsider.consoleWhoami(e); status != http.StatusUnauthorized {
		t.Errorf("a non-member's whoami: %d", status)
	}
	if _, err := e.userByIdentity("okta", "00u2"); err == nil {
		t.Errorf("a refused console sign-in provisioned the person")
	}

	// R6: deactivating the person ends the console session at once.
	e.admin("POST", "/users/"+u.ID+"/deactivate", nil, http.StatusOK, nil)
	if status, _ := b.consoleWhoami(e); status != http.StatusUnauthorized {
		t.Errorf("whoami after the person was deactivated: %d; want 401", status)
	}
	resp, _ = b.consoleSignIn(e, "acme")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a deactivated person's console sign-in: %d", resp.StatusCode)
	}

	// An organization without console access, and one that does not exist, read alike.
	r1, b1 := newBrowser(t).Get(e.url("/admin/sso/globex"))
	r2, b2 := newBrowser(t).Get(e.url("/admin/sso/initech"))
	if r1.StatusCode != http.StatusNotFound || r1.StatusCode != r2.StatusCode || b1 != b2 {
		t.Errorf("no console access %d and no organization %d answer differently", r1.StatusCode, r2.StatusCode)
	}
}

func TestConsoleSignInOfTheOperatorOrganization(t *testing.T) {
	cfg := jitConfig()
	cfg.OperatorOrg = "ops"
	e := consoleEnv(t, cfg)
	e.idp.SignIn(testidp.Person{NameID: "s1", Attrs: testidp.Attrs("uniqueUserId", "s1", "email", "op@ops.test", "groups", "Roster Admins")})
	b := newBrowser(t)
	b.consoleSignIn(e, "ops")
	if status, who := b.consoleWhoami(e); status != http.StatusOK || who.Role != "owner" || who.Org != "" {
		t.Fatalf("an operator admin: %d %+v; want an owner of every organization", status, who)
	}
	if status, _ := b.api(e, "GET", "/orgs/globex", nil); status != http.StatusOK {
		t.Errorf("an operator owner reads globex: %d", status)
	}
	e.idp.SignIn(testidp.Person{NameID: "s2", Attrs: testidp.Attrs("uniqueUserId", "s2", "email", "desk@ops.test", "groups", "Helpdesk")})
	v := newBrowser(t)
	v.consoleSignIn(e, "ops")
	if status, who := v.consoleWhoami(e); status != http.StatusOK || who.Role != "viewer" || who.Org != "" {
		t.Fatalf("an operator viewer: %d %+v; want a viewer of every organization", status, who)
	}
	if status, _ := v.api(e, "GET", "/idps/gx", nil); status != http.StatusOK {
		t.Errorf("an operator viewer reads globex's IdP: %d", status)
	}
	// acme's admins stay org-admins of acme: only the operator's organization makes owners.
	e.idp.SignIn(testidp.Person{NameID: "a1", Attrs: testidp.Attrs("uniqueUserId", "a1", "email", "ada@acme.test", "groups", "Roster Admins")})
	a := newBrowser(t)
	a.consoleSignIn(e, "acme")
	if status, who := a.consoleWhoami(e); status != http.StatusOK || who.Role != "org-admin" || who.Org != "acme" {
		t.Errorf("acme's admin under an operator organization: %d %+v", status, who)
	}
}

func TestDiscovery(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, org := range []string{"acme", "beta", "globex", "initech"} {
		e.admin("POST", "/orgs", map[string]any{"id": org}, http.StatusCreated, nil)
	}
	verify := func(org, domain string) {
		d, err := e.svc.AddDomain(ctx, "admin:test", org, domain)
		if err == nil {
			_, err = e.svc.MarkDomainVerified(ctx, "admin:test", org, domain, []string{d.TXTValue})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	e.addIdP(directory.IdP{ID: "okta", Org: "acme", Name: "Acme Okta"})
	e.addIdP(directory.IdP{ID: "b1", Org: "beta", Name: "Beta Entra"})
	e.addIdP(directory.IdP{ID: "b2", Org: "beta", Name: "Beta Contractors"})
	e.addIdP(directory.IdP{ID: "gx", Org: "globex"})
	verify("acme", "acme.test")
	verify("beta", "beta.test")
	verify("initech", "initech.test")                                                      // verified, but no IdP
	if _, err := e.svc.AddDomain(ctx, "admin:test", "globex", "globex.test"); err != nil { // claimed, never verified
		t.Fatal(err)
	}
	// A person who exists and one who does not get the same answer.
	e.idp.SignIn(testidp.Person{NameID: "n1", Attrs: testidp.Attrs("uniqueUserId", "00u1", "email", "ada@acme.test")})
	newBrowser(t).login(e, "okta", "", "/")

	discover := func(email, returnTo string, headers ...string) (*http.Response, string) {
		t.Helper()
		q := url.Values{"email": {email}}
		if returnTo != "" {
			q.Set("return_to", returnTo)
		}
		req, _ := http.NewRequest("GET", e.url("/sso/discover?"+q.Encode()), nil)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := newBrowser(t).NoFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(testidp.ReadBody(t, resp))
	}
	for _, email := range []string{"ada@acme.test", "nobody@ACME.test"} {
		resp, _ := discover(email, "/app")
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != e.url("/sso/okta/login?return_to=%2Fapp") {
			t.Errorf("%s: %d %q; want the sign-in of acme's IdP", email, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	resp, body := discover("pat@beta.test", "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `href="`+e.url("/sso/b1/login")+`"`) || !strings.Contains(body, "Beta Contractors") {
		t.Errorf("beta: %d %s; want a chooser of its two IdPs", resp.StatusCode, body)
	}
	_, none := discover("eve@nowhere.test", "")
	for _, email := range []string{"bob@globex.test", "pat@initech.test", "eve@nowhere.test"} {
		resp, body := discover(email, "")
		if resp.StatusCode != http.StatusOK || body != none || !strings.Contains(body, "No single sign-on") {
			t.Errorf("%s: %d; want the one no-SSO page for unverified, IdP-less and unknown domains alike:\n%s", email, resp.StatusCode, body)
		}
	}
	var j struct {
		SSO  bool `json:"sso"`
		IdPs []struct {
			ID       string `json:"id"`
			LoginURL string `json:"login_url"`
		} `json:"idps"`
	}
	_, body = discover("ada@acme.test", "/app", "Accept", "application/json")
	if err := json.Unmarshal([]byte(body), &j); err != nil || !j.SSO || len(j.IdPs) != 1 || j.IdPs[0].ID != "okta" {
		t.Errorf("JSON for acme: %s", body)
	}
	_, unverified := discover("bob@globex.test", "", "Accept", "application/json")
	_, unknown := discover("eve@nowhere.test", "", "Accept", "application/json")
	if unverified != unknown || !strings.Contains(unknown, `"sso":false`) {
		t.Errorf("JSON for unverified %s and unknown %s domains differ", unverified, unknown)
	}
	for _, bad := range []string{"", "not-an-address", "a@"} {
		if resp, _ := discover(bad, ""); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("email %q: %d", bad, resp.StatusCode)
		}
	}
	if resp, _ := discover("ada@acme.test", "https://evil.example/"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a foreign return_to: %d", resp.StatusCode)
	}
}

func TestMetadataURLRefreshRecordsANewCertificate(t *testing.T) {
	d := teststore.NewBolt(t)
	idp := testidp.NewSAML(t)
	h, err := jit.New(d.Service, jit.Config{BaseURL: "http://roster.test", Logger: slog.New(slog.DiscardHandler),
		HTTPClient: loopbackClient(), MetadataTTL: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	p := d.AddIdP(directory.IdP{ID: "okta", SAML: directory.SAMLSettings{MetadataURL: idp.MetadataURL()}})
	fingerprint := func(k testidp.KeyPair) string {
		sum := sha256.Sum256(k.Cert.Raw)
		return hex.EncodeToString(sum[:])
	}
	st := h.ConnectionStatus(context.Background(), p)
	if !st.Valid || st.Source != "metadata_url" || len(st.Certificates) != 1 || st.Certificates[0].SHA256 != fingerprint(idp.Key()) {
		t.Fatalf("status %+v", st)
	}
	seq := d.LastSeq()
	h.ConnectionStatus(context.Background(), p)
	if evs := d.Events(seq); len(evs) != 0 {
		t.Errorf("a refresh with the same certificate wrote %+v", evs)
	}
	idp.SetKey(testidp.RotatedKey())
	st = h.ConnectionStatus(context.Background(), p)
	if len(st.Certificates) != 1 || st.Certificates[0].SHA256 != fingerprint(testidp.RotatedKey()) {
		t.Fatalf("after the rollover: %+v", st)
	}
	evs := d.Events(seq)
	if len(evs) != 1 || evs[0].Type != directory.EventIdPCertificateChanged || evs[0].IdP != "okta" || !strings.Contains(evs[0].Reason, fingerprint(testidp.RotatedKey())) {
		t.Errorf("events %+v; want one idp.certificate_changed naming the new certificate", evs)
	}
	// A metadata URL that stops answering is a problem, in words.
	bad := d.AddIdP(directory.IdP{ID: "gone", SAML: directory.SAMLSettings{MetadataURL: idp.URL + "/nope"}})
	if st := h.ConnectionStatus(context.Background(), bad); st.Valid || !strings.Contains(st.Problem, "404") {
		t.Errorf("a broken metadata URL: %+v", st)
	}
}
