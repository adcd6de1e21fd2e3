package jit_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/jit"
)

// verify answers GET /auth/verify for the browser.
func (b *browser) verify(e *env) int {
	b.tb.Helper()
	resp, err := b.follow.Get(e.url("/auth/verify"))
	if err != nil {
		b.tb.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestSessionsEndWithTheUser: deactivating or deleting a user ends its sessions at once (R6),
// whoever does it.
func TestSessionsEndWithTheUser(t *testing.T) {
	cases := []struct {
		name string
		end  func(e *env, a directory.SCIMActor, u directory.User) error
	}{
		{"administrator deactivates", func(e *env, _ directory.SCIMActor, u directory.User) error {
			_, err := e.svc.DeactivateUser(e.ctx, "admin:test", u.ID)
			return err
		}},
		{"SCIM deactivates", func(e *env, a directory.SCIMActor, u directory.User) error {
			_, err := e.svc.SCIMUpdateUser(e.ctx, a, u.ID, 0, func(u directory.User) (directory.User, error) {
				u.Active = false
				return u, nil
			})
			return err
		}},
		{"SCIM deletes", func(e *env, a directory.SCIMActor, u directory.User) error {
			return e.svc.SCIMDeleteUser(e.ctx, a, u.ID, 0)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.addIdP(directory.IdP{ID: "entra", Preset: "entra", Mode: directory.ModeBoth})
			tok, _, err := e.svc.CreateToken(e.ctx, "admin:test", directory.TokenSCIM, "entra", "t", time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			e.idp.signIn(person{nameID: "n", attrs: attrs(
				"http://schemas.microsoft.com/identity/claims/objectidentifier", "0bj-1",
				"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "grace@example.com")})
			b := newBrowser(t)
			b.login(e, "entra", "/", "/")
			status, me := b.me(e)
			if status != http.StatusOK || me.UniqueUserID != "0bj-1" || me.UserName != "grace@example.com" {
				t.Fatalf("/api/v1/me %d %+v", status, me)
			}
			if b.verify(e) != http.StatusNoContent {
				t.Fatal("no session after sign-in")
			}
			u, err := e.svc.User(e.ctx, me.ID)
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.end(e, directory.SCIMActor{IdP: "entra", TokenID: tok.ID}, u); err != nil {
				t.Fatal(err)
			}
			if status, _ := b.me(e); status != http.StatusUnauthorized {
				t.Errorf("/api/v1/me %d, want 401", status)
			}
			if got := b.verify(e); got != http.StatusUnauthorized {
				t.Errorf("/auth/verify %d, want 401", got)
			}
		})
	}
}

// TestIdPInitiated: an unsolicited response is accepted only where the IdP allows it; its
// RelayState picks the landing page when that page is safe.
func TestIdPInitiated(t *testing.T) {
	e := newEnv(t)
	// This IdP's metadata is pasted rather than fetched.
	e.addIdP(directory.IdP{ID: "open", Mode: directory.ModeJIT,
		SAML: directory.SAMLSettings{AllowIdPInitiated: true, MetadataXML: e.idp.metadataXML(t)}})
	e.addIdP(directory.IdP{ID: "closed", Mode: directory.ModeJIT})
	e.idp.signIn(person{nameID: "p1", attrs: attrs("userUniqueId", "p1", "email", "p1@example.com")})

	for relay, want := range map[string]string{
		"":                      "/",
		"/dashboard?x=1":        "/dashboard?x=1",
		"//evil.example":        "/",
		"https://evil.example/": "/",
		e.url("/reports"):       e.url("/reports"),
	} {
		t.Run("allowed, RelayState "+relay, func(t *testing.T) {
			b := newBrowser(t)
			resp, body := b.submit(b.startIdPInitiated(e, "open", relay))
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
				t.Fatalf("%d Location %q, want 303 to %q\n%s", resp.StatusCode, resp.Header.Get("Location"), want, body)
			}
			if status, me := b.me(e); status != http.StatusOK || me.UniqueUserID != "p1" {
				t.Errorf("/api/v1/me %d %+v", status, me)
			}
		})
	}
	t.Run("off by default", func(t *testing.T) {
		before := e.snapshot()
		b := newBrowser(t)
		resp, body := b.submit(b.startIdPInitiated(e, "closed", "/"))
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Sign-in failed") {
			t.Fatalf("%d\n%s", resp.StatusCode, body)
		}
		e.mustUnchanged(before)
	})
}

// TestBadRequests: malformed input gets the right status and a useful page, and changes nothing.
func TestBadRequests(t *testing.T) {
	e := newEnv(t)
	e.addIdP(directory.IdP{ID: "acme", Mode: directory.ModeJIT})
	if _, err := e.svc.CreateIdP(e.ctx, "admin:test", directory.IdP{ID: "oidc-one", Protocol: directory.ProtocolOIDC,
		OIDC: directory.OIDCSettings{Issuer: "https://issuer.example", ClientID: "c"}}); err != nil {
		t.Fatal(err)
	}
	post := func(path string, form url.Values) *http.Response {
		resp, err := http.PostForm(e.url(path), form)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	get := func(path string) *http.Response {
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Get(e.url(path))
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	cases := []struct {
		name   string
		do     func() *http.Response
		status int
		words  string
	}{
		{"ACS without SAMLResponse", func() *http.Response { return post("/sso/acme/saml/acs", url.Values{}) }, 400, "Sign-in failed"},
		{"ACS with non-base64", func() *http.Response {
			return post("/sso/acme/saml/acs", url.Values{"SAMLResponse": {"%%%not base64"}})
		}, 400, "Sign-in failed"},
		{"ACS with non-XML", func() *http.Response {
			return post("/sso/acme/saml/acs", url.Values{"SAMLResponse": {"aGVsbG8gd29ybGQ="}})
		}, 400, "Sign-in failed"},
		{"ACS with a document that is not a Response", func() *http.Response {
			return post("/sso/acme/saml/acs", url.Values{"SAMLResponse": {"PGZvby8+"}}) // <foo/>
		}, 400, "Sign-in failed"},
		{"ACS of an unknown IdP", func() *http.Response {
			return post("/sso/nope/saml/acs", url.Values{"SAMLResponse": {"PHNhbWxwOlJlc3BvbnNlIHhtbG5zOnNhbWxwPSJ1cm46b2FzaXM6bmFtZXM6dGM6U0FNTDoyLjA6cHJvdG9jb2wiLz4="}})
		}, 404, "not set up"},
		{"ACS by GET", func() *http.Response { return get("/sso/acme/saml/acs") }, 405, ""},
		{"login of an unknown IdP", func() *http.Response { return get("/sso/nope/login") }, 404, "not set up"},
		{"SAML login of an OIDC IdP", func() *http.Response { return get("/sso/oidc-one/saml/metadata") }, 404, "does not use SAML"},
		{"login with an absolute return_to elsewhere", func() *http.Response {
			return get("/sso/acme/login?return_to=" + url.QueryEscape("https://evil.example/"))
		}, 400, "outside this site"},
		{"login with a protocol-relative return_to", func() *http.Response {
			return get("/sso/acme/login?return_to=" + url.QueryEscape("//evil.example/"))
		}, 400, "outside this site"},
		{"unknown route under /sso", func() *http.Response { return get("/sso/acme/elsewhere") }, 404, ""},
		{"me without a session", func() *http.Response { return get("/api/v1/me") }, 401, "not signed in"},
		{"verify with a made-up cookie", func() *http.Response {
			req, _ := http.NewRequest(http.MethodGet, e.url("/auth/verify"), nil)
			req.AddCookie(&http.Cookie{Name: "roster_session", Value: "made-up"})
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}, 401, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot()
			resp := tc.do()
			body := string(readBody(t, resp))
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.words) {
				t.Errorf("%d, want %d with %q:\n%s", resp.StatusCode, tc.status, tc.words, body)
			}
			e.mustUnchanged(before)
		})
	}
}

// TestReplicasShareState: two Roster replicas on one store behind one base URL. A sign-in
// started at one is finished at the other (the issued request id and the SP key are in the
// store), and the response replayed to the first is refused (the replay cache is in the store).
func TestReplicasShareState(t *testing.T) {
	e := newEnv(t)
	e.addIdP(directory.IdP{ID: "acme", Mode: directory.ModeJIT})
	e.idp.signIn(person{nameID: "r1", attrs: attrs("uniqueUserId", "r1")})
	replicaB, err := jit.New(e.svc, jit.Config{BaseURL: e.url(""), HTTPClient: loopbackClient()})
	if err != nil {
		t.Fatal(err)
	}
	post := func(h http.Handler, f samlForm) *httptest.ResponseRecorder {
		form := url.Values{"SAMLResponse": {f.SAMLResponse}, "RelayState": {f.RelayState}}
		req := httptest.NewRequest(http.MethodPost, "/sso/acme/saml/acs", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	form := newBrowser(t).startLogin(e, "acme", "/from-a")
	if rec := post(replicaB, form); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/from-a" {
		t.Fatalf("replica B: %d %q\n%s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	before := e.snapshot()
	if rec := post(e.roster.Config.Handler, form); rec.Code != http.StatusForbidden {
		t.Errorf("replay at replica A: %d, want 403", rec.Code)
	}
	e.mustUnchanged(before)
}
