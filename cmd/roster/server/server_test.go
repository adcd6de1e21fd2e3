package server_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rosterhq/roster/cmd/roster/server"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/storage/bolt"
)

const adminToken = "server-test-admin-token-0123"

// newServer starts Roster with allowOutbound as its --allow-outbound.
func newServer(t *testing.T, allowOutbound string) (*httptest.Server, *directory.Service) {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := directory.New(st)
	if _, _, err := svc.EnsureAdminToken(t.Context(), adminToken); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	h, err := server.New(server.Config{BaseURL: "http://" + ts.Listener.Addr().String(), Logger: slog.New(slog.DiscardHandler),
		AllowOutbound: allowOutbound}, svc)
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = h
	ts.Start()
	t.Cleanup(ts.Close)
	return ts, svc
}

// discoveryServer serves an OpenID discovery document whose issuer is its own URL.
func discoveryServer(t *testing.T) *httptest.Server {
	var ts *httptest.Server
	ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": ts.URL, "authorization_endpoint": ts.URL + "/authorize", "token_endpoint": ts.URL + "/token",
			"jwks_uri": ts.URL + "/keys", "userinfo_endpoint": ts.URL + "/userinfo",
			"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	}))
	t.Cleanup(ts.Close)
	return ts
}

func postIdP(t *testing.T, base, body string) (int, string) {
	t.Helper()
	return adminCall(t, http.MethodPost, base+"/admin/api/v1/idps", body)
}

// TestOIDCIdPIsSavedOnlyWhenDiscoveryAnswers: an administrator who mistypes the issuer learns it
// when saving, not at the first sign-in.
func TestOIDCIdPIsSavedOnlyWhenDiscoveryAnswers(t *testing.T) {
	ts, svc := newServer(t, "127.0.0.0/8,::1")
	op := discoveryServer(t)

	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	cases := []struct{ name, issuer, want string }{
		{"unreachable issuer", deadURL, "oidc:"},
		{"issuer spelled differently from the published one", op.URL + "/", "names the issuer"},
		{"not an OpenID provider", op.URL + "/tenant", "oidc:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := postIdP(t, ts.URL, `{"id":"kc","protocol":"oidc","mode":"jit","oidc":{"issuer":"`+c.issuer+`","client_id":"roster","client_secret":"s"}}`)
			if status != http.StatusBadRequest || !strings.Contains(body, c.want) {
				t.Errorf("status %d, body %s; want 400 mentioning %q", status, body, c.want)
			}
			if ps, _ := svc.IdPs(t.Context()); len(ps) != 0 {
				t.Errorf("a refused IdP was stored: %+v", ps)
			}
		})
	}
	status, body := postIdP(t, ts.URL, `{"id":"kc","protocol":"oidc","mode":"jit","oidc":{"issuer":"`+op.URL+`","client_id":"roster","client_secret":"s"}}`)
	if status != http.StatusCreated && status != http.StatusOK {
		t.Fatalf("IdP with a working issuer: %d %s", status, body)
	}
	if !strings.Contains(body, "/sso/kc/oidc/callback") {
		t.Errorf("the answer lacks the redirect URI to paste: %s", body)
	}
}
