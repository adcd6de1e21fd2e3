package jit_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testidp"
)

// TestSAMLResponseFromAnotherBrowser is login CSRF (issue 17, V1): an attacker starts a
// sign-in in browser A, signs in at the IdP as the attacker, and has the victim's browser B
// post the genuine response. B must get no session, whatever cookie it holds of its own, and
// the attempt must be one login.refused event. The response is used up by the refusal, so
// that posting it again is a replay; the request it answers stays pending for A.
// Before sign-ins were bound to their browser, B was signed in to the attacker's account.
func TestSAMLResponseFromAnotherBrowser(t *testing.T) {
	for _, victim := range []string{"no cookies", "its own sign-in under way"} {
		t.Run(victim, func(t *testing.T) {
			e := newEnv(t)
			e.addIdP(directory.IdP{ID: "acme", Mode: directory.ModeJIT})
			e.idp.SignIn(testidp.Person{NameID: "attacker", Attrs: testidp.Attrs("uniqueUserId", "attacker", "email", "attacker@example.com")})

			a, b := newBrowser(t), newBrowser(t)
			form := a.startLogin(e, "acme", "/app")
			if victim != "no cookies" {
				// B holds a binding of its own: it started a sign-in that it has not finished.
				b.startLogin(e, "acme", "/mine")
			}
			seq := e.LastSeq()
			resp, body := b.Submit(form)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "started in another browser") {
				t.Fatalf("B posting A's response: %d, want 403 saying the sign-in was started elsewhere:\n%s", resp.StatusCode, body)
			}
			if status, _ := b.me(e); status != http.StatusUnauthorized {
				t.Errorf("B has a session after posting A's response: /api/v1/me %d", status)
			}
			evs := e.Events(seq)
			if len(evs) != 1 {
				t.Fatalf("events %+v, want one refusal", evs)
			}
			ev := evs[0]
			if ev.Type != directory.EventLoginRefused || ev.IdP != "acme" || ev.Subject != "attacker" ||
				!strings.Contains(ev.Reason, directory.RefuseOtherBrowser) || ev.User != nil {
				t.Errorf("event %+v, want login.refused of acme naming the asserted key and the code %s", ev, directory.RefuseOtherBrowser)
			}
			if !strings.Contains(body, ev.ID) {
				t.Errorf("the page does not quote the refusal event %s as its reference:\n%s", ev.ID, body)
			}
			if n := countUsers(t, e); n != 0 {
				t.Errorf("%d users after a refused sign-in, want none", n)
			}

			// A second post of the same response, from B or anywhere, is a replay: refused as
			// every replay is, never as a second login CSRF, and it signs nobody in.
			before := e.Snapshot()
			resp, body = b.Submit(form)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("B posting the response again: %d, want 403\n%s", resp.StatusCode, body)
			}
			if ev := e.MustRecordRefusal(before, pageReference(t, body)); !strings.Contains(ev.Reason, "used already") ||
				strings.Contains(ev.Reason, directory.RefuseOtherBrowser) {
				t.Errorf("the second post's event %+v, want a replay's refusal", ev)
			}

			// The browser that started the sign-in still finishes it with a fresh response to
			// the same request.
			fresh := a.startLogin(e, "acme", "/again")
			if resp, body := a.Submit(fresh); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/again" {
				t.Fatalf("A signing in: %d %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
			if status, me := a.me(e); status != http.StatusOK || me.UniqueUserID != "attacker" {
				t.Errorf("A after signing in: /api/v1/me %d %+v", status, me)
			}
		})
	}
}

// TestSAMLBindingCookie: the binding cookie that SP-initiated sign-in sets is HttpOnly, scoped
// to /sso/, lasts as long as the request may be answered, and is SameSite=None; Secure behind
// an https base URL, since the IdP's answer is a cross-site POST that carries no other cookie.
func TestSAMLBindingCookie(t *testing.T) {
	for _, base := range []string{"", "https://roster.example.com"} {
		t.Run("base "+base, func(t *testing.T) {
			cfg := jitConfig()
			cfg.BaseURL = base
			e := newEnvWith(t, cfg)
			e.addIdP(directory.IdP{ID: "acme", Mode: directory.ModeJIT})
			resp, body := newBrowser(t).Get(e.URL + "/sso/acme/login")
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("login: %d\n%s", resp.StatusCode, body)
			}
			var c *http.Cookie
			for _, k := range resp.Cookies() {
				if k.Name == "roster_saml_binding" {
					c = k
				}
			}
			if c == nil {
				t.Fatalf("no binding cookie among %v", resp.Cookies())
			}
			if !c.HttpOnly || c.Path != "/sso/" || c.MaxAge != 15*60 {
				t.Errorf("cookie %+v, want HttpOnly, path /sso/, max-age 900", c)
			}
			wantSecure := base != ""
			if c.Secure != wantSecure || (c.SameSite == http.SameSiteNoneMode) != wantSecure {
				t.Errorf("cookie %+v: Secure %v and SameSite=None %v, want both %v", c, c.Secure, c.SameSite == http.SameSiteNoneMode, wantSecure)
			}
		})
	}
}

// countUsers is the number of users in e's store.
func countUsers(t testing.TB, e *env) int {
	t.Helper()
	n := 0
	err := e.svc.View(e.ctx, func(tx directory.ReadTx) error {
		return tx.ScanUsers(directory.ScanQuery{}, func(directory.User) error { n++; return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
