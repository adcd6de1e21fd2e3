package jit_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	dsig "github.com/russellhaering/goxmldsig"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testidp"
	"github.com/rosterhq/roster/internal/testserver"
)

// TestLogoutChecksOrigin (issue 17, W6): a logout POST from another origin is refused and the
// session lives on; one from Roster's own origin, or from a client that is no browser (no
// Origin), ends it. Before, any Origin was accepted.
func TestLogoutChecksOrigin(t *testing.T) {
	e := newEnv(t)
	e.addIdP(directory.IdP{ID: "acme", Mode: directory.ModeJIT})
	e.idp.SignIn(testidp.Person{NameID: "u1", Attrs: testidp.Attrs("uniqueUserId", "u1")})
	logout := func(b *browser, headers ...string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, e.url("/sso/logout"), nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := b.NoFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	b := newBrowser(t)
	b.login(e, "acme", "", "/")
	for _, h := range [][]string{
		{"Origin", "https://evil.example"},
		{"Origin", "null"},
		{"Origin", strings.Replace(e.BaseURL, "http://", "https://", 1)},
		{"Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "same-site"},
	} {
		if status := logout(b, h...); status != http.StatusForbidden {
			t.Errorf("logout with %s %q: %d, want 403", h[0], h[1], status)
		}
		if status, _ := b.me(e); status != http.StatusOK {
			t.Fatalf("the session ended by a logout with %s %q: /api/v1/me %d", h[0], h[1], status)
		}
	}
	if status := logout(b, "Origin", e.BaseURL, "Sec-Fetch-Site", "same-origin"); status != http.StatusNoContent {
		t.Errorf("logout from Roster's own origin: %d, want 204", status)
	}
	if status, _ := b.me(e); status != http.StatusUnauthorized {
		t.Errorf("/api/v1/me after logout: %d, want 401", status)
	}
	b.login(e, "acme", "", "/")
	if status := logout(b); status != http.StatusNoContent {
		t.Errorf("logout without Origin (no browser): %d, want 204", status)
	}
}

// TestPagesCannotBeFramed (issue 17, W6): every page the sign-in shows — a refusal by a rule,
// a failed check, an unknown IdP — forbids framing.
func TestPagesCannotBeFramed(t *testing.T) {
	e := newEnv(t)
	e.addIdP(directory.IdP{ID: "scim-only", Mode: directory.ModeSCIM})
	e.idp.SignIn(testidp.Person{NameID: "nobody", Attrs: testidp.Attrs("uniqueUserId", "nobody")})
	b := newBrowser(t)
	refused, _ := b.Submit(b.startLogin(e, "scim-only", ""))
	unknown, _ := b.Get(e.url("/sso/nope/login"))
	failed, _ := b.Submit(testidp.Form{Action: e.url("/sso/scim-only/saml/acs"), SAMLResponse: "bm90IHhtbA=="})
	for name, resp := range map[string]*http.Response{"refusal": refused, "unknown IdP": unknown, "failed check": failed} {
		if resp.StatusCode < 400 {
			t.Errorf("%s: status %d, want a refusal page", name, resp.StatusCode)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s page: Content-Security-Policy %q lacks frame-ancestors 'none'", name, csp)
		}
		if xfo := resp.Header.Get("X-Frame-Options"); xfo != "DENY" {
			t.Errorf("%s page: X-Frame-Options %q, want DENY", name, xfo)
		}
	}
}

// TestSHA1SignaturesAreRefused (issue 17, W5): a response signed with RSA-SHA1 is refused
// unless the IdP allows SHA-1, which the admin API then shows as a warning. Before, RSA-SHA1
// was accepted from every IdP.
func TestSHA1SignaturesAreRefused(t *testing.T) {
	e := newEnv(t)
	e.addIdP(directory.IdP{ID: "modern", Mode: directory.ModeJIT})
	e.addIdP(directory.IdP{ID: "legacy", Mode: directory.ModeJIT, SAML: directory.SAMLSettings{AllowSHA1: true}})
	e.idp.SetSignatureMethod(dsig.RSASHA1SignatureMethod)
	e.idp.SignIn(testidp.Person{NameID: "old", Attrs: testidp.Attrs("uniqueUserId", "old")})

	before := e.Snapshot()
	b := newBrowser(t)
	resp, body := b.Submit(b.startLogin(e, "modern", ""))
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("an RSA-SHA1 response to an IdP that does not allow SHA-1: %d, want 403\n%s", resp.StatusCode, body)
	}
	if ev := e.MustRecordRefusal(before, pageReference(t, body)); !strings.Contains(ev.Reason, "SHA-1") || !strings.Contains(ev.Reason, "allow_sha1") {
		t.Errorf("the refusal event %+v, want its reason to name SHA-1 and saml.allow_sha1", ev)
	}
	b.login(e, "legacy", "", "/")

	var view struct{ Warnings []string }
	e.Admin(http.MethodGet, "/admin/api/v1/idps/legacy", nil).JSON(t, &view)
	if len(view.Warnings) != 1 || !strings.Contains(view.Warnings[0], "allow_sha1") {
		t.Errorf("warnings of an IdP allowing SHA-1: %q, want one naming allow_sha1", view.Warnings)
	}
	e.Admin(http.MethodGet, "/admin/api/v1/idps/modern", nil).JSON(t, &view)
	if len(view.Warnings) != 0 {
		t.Errorf("warnings of an IdP with the defaults: %q, want none", view.Warnings)
	}

	// With RSA-SHA256 again, the IdP that refused SHA-1 signs in.
	e.idp.SetSignatureMethod("")
	e.idp.SignIn(testidp.Person{NameID: "new", Attrs: testidp.Attrs("uniqueUserId", "new")})
	b.login(e, "modern", "", "/")
}

// TestLoginWithRefusedAttributes (issue 17, W1, W2): an IdP that asserts a value the input
// policy refuses — a bidirectional override in a name, a look-alike email that would become the
// userName — signs nobody in and changes no user; the person sees a page, and the administrator
// one login.refused event naming the attribute, which the page quotes as its reference.
func TestLoginWithRefusedAttributes(t *testing.T) {
	e := newEnv(t)
	e.addIdP(directory.IdP{ID: "acme", Mode: directory.ModeJIT})
	for name, c := range map[string]struct {
		attrs map[string][]string
		attr  string
	}{
		"bidi override in firstName": {testidp.Attrs("uniqueUserId", "u1", "firstName", "\u202eAnn", "email", "ann@example.com"), "firstName"},
		"Cyrillic a in the email":    {testidp.Attrs("uniqueUserId", "u2", "email", "\u0430dmin@example.com"), "userName"},
	} {
		t.Run(name, func(t *testing.T) {
			e.idp.SignIn(testidp.Person{NameID: "n", Attrs: c.attrs})
			before := e.Snapshot()
			b := newBrowser(t)
			resp, body := b.Submit(b.startLogin(e, "acme", ""))
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "cannot be accepted") {
				t.Errorf("%d, want 400 saying the IdP's details cannot be accepted:\n%s", resp.StatusCode, body)
			}
			ev := e.MustRecordRefusal(before, pageReference(t, body))
			if !strings.Contains(ev.Reason, "input policy") || !strings.Contains(ev.Reason, c.attr) ||
				!strings.Contains(ev.Reason, directory.RefuseInvalidInput) {
				t.Errorf("event %+v, want its reason to give the input policy as the cause and name %s", ev, c.attr)
			}
		})
	}
}

// TestTestSignInWithRefusedAttributes: a test sign-in whose IdP asserts a value the input
// policy refuses answers what a real sign-in would meet — refused, code invalid_input, a
// warning naming the attribute — and its login.tested event holds neither the value nor
// anything else asserted; nothing is stored about the person.
func TestTestSignInWithRefusedAttributes(t *testing.T) {
	e := newEnv(t)
	e.addIdP(directory.IdP{ID: "okta", Preset: "okta", Mode: directory.ModeJIT})
	e.idp.SignIn(testidp.Person{NameID: "n", Attrs: testidp.Attrs("uniqueUserId", "00u1", "firstName", "\u202eAnn", "email", "ann@example.com")})
	var ticket struct{ URL string }
	e.admin("POST", "/idps/okta/test-sign-in", map[string]any{"format": "json"}, http.StatusCreated, &ticket)
	before := e.Snapshot()
	b := newBrowser(t)
	resp, body := b.Submit(b.SAMLForm(ticket.URL))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the test sign-in answered %d %s", resp.StatusCode, body)
	}
	res := decodeResult(t, body)
	if res.Passed || res.Decision.Action != "refuse" || res.Decision.Code != directory.RefuseInvalidInput || res.Decision.Rule != "" ||
		!res.warns("firstName that the input policy refuses") {
		t.Errorf("result: passed %v, decision %+v, warnings %q; want a refusal by the input policy naming firstName", res.Passed, res.Decision, res.Warnings)
	}
	evs := e.Events(before.LastSeq)
	if len(evs) != 1 || evs[0].Type != directory.EventLoginTested {
		t.Fatalf("events %+v, want one login.tested", evs)
	}
	if raw, _ := json.Marshal(evs[0]); strings.Contains(string(raw), "Ann") || strings.Contains(string(raw), "00u1") {
		t.Errorf("the login.tested event holds what was asserted: %s", raw)
	}
	if len(e.users()) != 0 {
		t.Errorf("the test stored a user")
	}
}

// TestConsoleSignInWithRefusedAttributes: a console sign-in of a member of the console groups
// whose IdP asserts a value the input policy refuses is refused as any sign-in is (400, one
// login.refused event with code invalid_input naming the attribute), with no console session
// and no user; before, it was a 500.
func TestConsoleSignInWithRefusedAttributes(t *testing.T) {
	e := consoleEnv(t, testserver.Config{})
	e.idp.SignIn(testidp.Person{NameID: "n1", Attrs: testidp.Attrs("uniqueUserId", "00u1", "email", "ann@acme.test",
		"lastName", "Smith\u202e", "groups", "Roster Admins")})
	before := e.Snapshot()
	b := newBrowser(t)
	resp, body := b.consoleSignIn(e, "acme")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "cannot be accepted") {
		t.Errorf("%d, want 400 saying the IdP's details cannot be accepted:\n%s", resp.StatusCode, body)
	}
	if ev := e.MustRecordRefusal(before, pageReference(t, body)); !strings.Contains(ev.Reason, "lastName") ||
		!strings.Contains(ev.Reason, directory.RefuseInvalidInput) || ev.Org != "acme" {
		t.Errorf("event %+v, want acme's refusal by the input policy naming lastName", ev)
	}
	if status, _ := b.consoleWhoami(e); status != http.StatusUnauthorized {
		t.Errorf("whoami after the refused console sign-in: %d, want 401", status)
	}
}
