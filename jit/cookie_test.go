package jit

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/teststore"
)

// TestSessionCookieSecureBehindHTTPS: the cookie is Secure exactly when the base URL is https.
func TestSessionCookieSecureBehindHTTPS(t *testing.T) {
	svc := directory.New(teststore.Bolt(t))
	ctx := context.Background()
	if _, err := svc.CreateIdP(ctx, "admin:test", directory.IdP{ID: "acme", Protocol: directory.ProtocolSAML}); err != nil {
		t.Fatal(err)
	}
	for base, secure := range map[string]bool{"https://roster.example.com": true, "http://127.0.0.1:8080": false} {
		h, err := New(svc, Config{BaseURL: base})
		if err != nil {
			t.Fatal(err)
		}
		u, secret, err := svc.SignIn(ctx, directory.Login{IdP: "acme", UniqueUserID: "k"}, h.ttl)
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.setSessionCookie(rec, secret)
		cs := rec.Result().Cookies()
		if len(cs) != 1 || cs[0].Name != SessionCookie || cs[0].Secure != secure || !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteLaxMode {
			t.Errorf("base %s: cookies %+v, want one HttpOnly Lax roster_session with Secure=%v", base, cs, secure)
		}
		got, err := svc.SessionUser(ctx, cs[0].Value)
		if err != nil || got.ID != u.ID {
			t.Errorf("the cookie's session is %v, %v; want user %s", got.ID, err, u.ID)
		}
	}
}

func TestNewRejectsBadBaseURL(t *testing.T) {
	for _, base := range []string{"", "roster.example.com", "ftp://x", "/relative"} {
		if _, err := New(directory.New(nil), Config{BaseURL: base}); err == nil {
			t.Errorf("New accepted BaseURL %q", base)
		}
	}
}
