package server_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/testidp"
	"github.com/rosterhq/roster/internal/testserver"
)

// TestOIDCIdPIsSavedOnlyWhenDiscoveryAnswers: an administrator who mistypes the issuer learns it
// when saving, not at the first sign-in.
func TestOIDCIdPIsSavedOnlyWhenDiscoveryAnswers(t *testing.T) {
	srv := testserver.Start(t, testserver.Config{})
	op := testidp.NewOP(t, testidp.OPConfig{})
	postIdP := func(issuer string) testserver.Response {
		return srv.Admin(http.MethodPost, "/admin/api/v1/idps",
			`{"id":"kc","protocol":"oidc","mode":"jit","oidc":{"issuer":"`+issuer+`","client_id":"roster","client_secret":"s"}}`)
	}

	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	cases := []struct{ name, issuer, want string }{
		{"unreachable issuer", deadURL, "oidc:"},
		{"issuer spelled differently from the published one", op.Issuer + "/", "names the issuer"},
		{"not an OpenID provider", op.Issuer + "/tenant", "oidc:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := postIdP(c.issuer)
			if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), c.want) {
				t.Errorf("status %d, body %s; want 400 mentioning %q", r.Status, r.Body, c.want)
			}
			if ps, err := srv.Service.IdPs(t.Context(), ""); err != nil || len(ps) != 0 {
				t.Errorf("a refused IdP was stored: %+v, %v", ps, err)
			}
		})
	}
	r := postIdP(op.Issuer)
	if r.Status != http.StatusCreated && r.Status != http.StatusOK {
		t.Fatalf("IdP with a working issuer: %d %s", r.Status, r.Body)
	}
	if !strings.Contains(string(r.Body), "/sso/kc/oidc/callback") {
		t.Errorf("the answer lacks the redirect URI to paste: %s", r.Body)
	}
}
