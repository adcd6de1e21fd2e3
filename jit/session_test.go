package jit_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testidp"
	"github.com/rosterhq/roster/internal/teststore"
)

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
			e.idp.SignIn(testidp.Person{NameID: "n", Attrs: testidp.Attrs(
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
		SAML: directory.SAMLSettings{AllowIdPInitiated: true, MetadataXML: e.idp.MetadataXML(t)}})
	e.addIdP(directory.IdP{ID: "closed", Mode: directory.ModeJIT})
	e.idp.SignIn(testidp.Person{NameID: "p1", Attrs: testidp.Attrs("userUniqueId", "p1", "email", "p1@example.com")})

	for relay, want := range map[string]string{
		"":                      "/",
		"/dashboard?x=1":        "/dashboard?x=1",
		"//evil.example":        "/",
		"https://evil.example/": "/",
		e.url("/reports"):       e.url("/reports"),
	} {
		t.Run("allowed, RelayState "+relay, func(t *testing.T) {
			b := newBrowser(t)
			resp, body := b.Submit(b.startIdPInitiated(e, "open", relay))
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
				t.Fatalf("%d Location %q, want 303 to %q\n%s", resp.StatusCode, resp.Header.Get("Location"), want, body)
			}
			if status, me := b.me(e); status != http.StatusOK || me.UniqueUserID != "p1" {
				t.Errorf("/api/v1/me %d %+v", status, me)
			}
		})
	}
	t.Run("off by default", func(t *testing.T) {
		before := e.Snapshot()
		b := newBrowser(t)
		resp, body := b.Submit(b.startIdPInitiated(e, "closed", "/"))
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Sign-in failed") {
			t.Fatalf("%d\n%s", resp.StatusCode, body)
		}
		// The refusal is an event the page's reference finds, in plain words, with the
		// library's message apart.
		ev := e.MustRecordRefusal(before, pageReference(t, body))
		if !strings.HasPrefix(ev.Reason, "IdP-initiated sign-in is off for closed") || !strings.Contains(ev.Detail, "InResponseTo") || ev.IdP != "closed" {
			t.Errorf("event %+v", ev)
		}
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
	// What reaches the ACS of an IdP that exists is a refused sign-in, recorded as an event
	// the page's reference finds; everything else changes nothing.
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
			before := e.Snapshot()
			resp := tc.do()
			body := string(testidp.ReadBody(t, resp))
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.words) {
				t.Errorf("%d, want %d with %q:\n%s", resp.StatusCode, tc.status, tc.words, body)
			}
			if strings.HasPrefix(tc.name, "ACS with") || strings.HasPrefix(tc.name, "ACS without") {
				e.MustRecordRefusal(before, pageReference(t, body))
				return
			}
			e.MustUnchanged(before)
		})
	}
}

// TestReplicasShareState: two Roster replicas behind one base URL, each a server of its own
// with its own directory.Service (testserver.Replica): on bbolt over the one store a process
// opens, on PostgreSQL each with a store, and so a connection pool, of its own. A sign-in
// started at one is finished at the other (the issued request id and the SP key are in the
// store), the session it opens is honoured by both, and the response replayed to the first is
// refused because the second used its request up.
func TestReplicasShareState(t *testing.T) {
	for _, backend := range []string{"bbolt", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			cfg := jitConfig()
			if backend == "postgres" {
				cfg.DatabaseURL = teststore.PostgresURL(t)
			}
			a := newEnvWith(t, cfg)
			b := envOf(t, a.Replica(t, nil), a.idp)
			if a.svc == b.svc {
				t.Fatal("the replicas share a directory.Service")
			}
			a.addIdP(directory.IdP{ID: "acme", Mode: directory.ModeJIT})
			a.idp.SignIn(testidp.Person{NameID: "r1", Attrs: testidp.Attrs("uniqueUserId", "r1")})

			// The browser goes to A for the login; the IdP's form posts to the public base URL,
			// which is A's, so the test sends it to B's listener instead.
			br := newBrowser(t)
			form := br.startLogin(a, "acme", "/from-a")
			atB := form
			atB.Action = b.URL + strings.TrimPrefix(form.Action, a.BaseURL)
			if resp, body := br.Submit(atB); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/from-a" {
				t.Fatalf("replica B: %d %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
			// Both replicas listen on 127.0.0.1, so the jar sends B's session cookie to A too.
			if status, me := br.me(a); status != http.StatusOK || me.UniqueUserID != "r1" {
				t.Errorf("the session opened at B, at A: /api/v1/me %d %+v", status, me)
			}

			before := a.Snapshot()
			logStart := a.logs.Len()
			resp, body := newBrowser(t).Submit(form)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("replay at replica A: %d, want 403\n%s", resp.StatusCode, body)
			}
			if log := a.logs.String()[logStart:]; !strings.Contains(log, "InResponseTo") {
				t.Errorf("A did not refuse the replay for its used-up request:\n%s", log)
			}
			a.MustRecordRefusal(before, pageReference(t, body))
		})
	}
}

// TestFloodOfBadPostsIsNotAFloodOfEvents: anyone can post to an ACS, so protocol refusals
// recorded as events are budgeted per IdP; past the budget the refusal is logged and its page
// quotes a reference of the log.
func TestFloodOfBadPostsIsNotAFloodOfEvents(t *testing.T) {
	e := newEnv(t)
	e.addIdP(directory.IdP{ID: "acme", Mode: directory.ModeJIT})
	seq := e.LastSeq()
	// The budget is per clock minute: the posts (a fraction of a second) start well inside one,
	// so that they do not straddle two and share one budget.
	if left := time.Until(time.Now().Truncate(time.Minute).Add(time.Minute)); left < 10*time.Second {
		time.Sleep(left + 10*time.Millisecond)
	}
	start := time.Now()
	for range 130 {
		resp, err := http.PostForm(e.url("/sso/acme/saml/acs"), url.Values{"SAMLResponse": {"%%%"}})
		if err != nil {
			t.Fatal(err)
		}
		body := string(testidp.ReadBody(t, resp))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="reference"`) {
			t.Fatalf("%d\n%s", resp.StatusCode, body)
		}
	}
	if !start.Truncate(time.Minute).Equal(time.Now().Truncate(time.Minute)) {
		t.Fatalf("130 posts took from %s to %s, into the next minute", start.Format(time.StampMilli), time.Now().Format(time.StampMilli))
	}
	if n := len(e.Events(seq)); n != 120 {
		t.Errorf("%d events for 130 bad posts within one minute, want the budget of 120", n)
	}
	if !strings.Contains(e.logs.String(), "too many refusals of IdP") {
		t.Error("the refusals past the budget were not logged as such")
	}
}
