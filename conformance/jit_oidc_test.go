package conformance

// OpenID Connect sign-in, black-box: the test runs a small OpenID provider over HTTP (it stands
// in for a vendor OP, which cannot run here), registers it as an IdP through the admin API,
// pastes the server's redirect_uri into it, and signs a person in the way a browser does.
// Unlike SAML, the server under test calls the OP itself (token endpoint, JWKS), so against a
// remote server the OP must listen on an address that server can reach: -oidc-op-listen.

import (
	"encoding/json"
	"flag"
	"net/http"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/testidp"
)

var oidcOPListenFlag = flag.String("oidc-op-listen", "",
	"address for the test OpenID provider to listen on, reachable from the server under test (default 127.0.0.1:0, which only an in-process server reaches)")

// TestJITOIDCSignIn registers an OIDC IdP through the admin API, signs a person in with the
// code flow, checks the session surfaces and the event, and that the callback URL works once,
// for the browser that started the login only. It needs the admin token (-admin-token).
func TestJITOIDCSignIn(t *testing.T) {
	if target.AdminToken == "" {
		t.Skip("no -admin-token: the JIT sign-in test registers its IdP through the admin API")
	}
	if *baseURLFlag != "" && *oidcOPListenFlag == "" {
		t.Skip("a remote server must reach the test OP: run with -oidc-op-listen=<address it can reach>")
	}
	op := testidp.NewOP(t, testidp.OPConfig{Listen: *oidcOPListenFlag})
	clientID, secret := "conformance-"+randomSuffix(), randomSuffix()+randomSuffix()
	op.Register(clientID, secret)
	id := "conf-oidc-" + randomSuffix()
	var created map[string]any
	status := adminJSON(t, http.MethodPost, "/idps", map[string]any{
		"id": id, "name": "Conformance OIDC", "protocol": "oidc", "mode": "jit", "preset": "okta",
		"oidc": map[string]any{"issuer": op.Issuer, "client_id": clientID, "client_secret": secret},
	}, &created)
	if status == http.StatusNotFound || status == http.StatusMethodNotAllowed {
		t.Skipf("the admin API does not offer POST /idps (%d)", status)
	}
	if status != http.StatusCreated && status != http.StatusOK {
		t.Fatalf("POST /idps: %d", status)
	}
	t.Cleanup(func() { adminJSON(t, http.MethodDelete, "/idps/"+id+"?force=true", nil, nil) })
	redirectURI, _ := created["redirect_uri"].(string)
	if !strings.HasSuffix(redirectURI, "/sso/"+id+"/oidc/callback") {
		t.Fatalf("redirect_uri %q", redirectURI)
	}
	op.Register(clientID, secret, redirectURI)

	var before struct {
		NextAfter json.Number `json:"next_after"`
	}
	adminJSON(t, http.MethodGet, "/events?limit=1000", nil, &before)

	sub := "00u" + randomSuffix()
	op.SignIn(testidp.OPPerson{Sub: sub, IDToken: map[string]any{"given_name": "Con", "family_name": "Formance", "email": sub + "@example.com"}})
	b := testidp.NewBrowser(t)
	cb := b.OIDCCallback(target.BaseURL+"/sso/"+id+"/login?return_to=%2Fwelcome", op.Issuer)

	// The attacker's move first: the callback URL opened in another browser signs nobody in,
	// and does not spoil the login for the browser that started it.
	if rr, _ := testidp.NewBrowser(t).Get(cb); rr.StatusCode != http.StatusForbidden && rr.StatusCode != http.StatusBadRequest {
		t.Errorf("callback from another browser: %d, want 403 or 400", rr.StatusCode)
	}

	resp, _ := b.Get(cb)
	wantRedirect(t, "callback", resp, "/welcome")

	me := signedIn(t, b)
	if me["idp"] != id || me["uniqueUserId"] != sub || me["owner"] != "jit" || me["active"] != true || me["userName"] != sub+"@example.com" {
		t.Errorf("/api/v1/me = %v", me)
	}
	if name, _ := me["name"].(map[string]any); name["givenName"] != "Con" || name["familyName"] != "Formance" {
		t.Errorf("name = %v", me["name"])
	}
	vr, err := b.Follow.Get(target.BaseURL + "/auth/verify")
	if err != nil {
		t.Fatal(err)
	}
	vr.Body.Close()
	if vr.StatusCode != http.StatusNoContent || vr.Header.Get("X-Roster-User-Id") != me["id"] {
		t.Errorf("/auth/verify: %d %v", vr.StatusCode, vr.Header)
	}

	var evs struct {
		Items []map[string]any `json:"items"`
	}
	adminJSON(t, http.MethodGet, "/events?limit=1000&after="+before.NextAfter.String(), nil, &evs)
	found := false
	for _, ev := range evs.Items {
		if ev["type"] == "user.created" && ev["subject"] == me["id"] && ev["rule"] == "R2" && ev["actor"] == "jit:"+id {
			found = true
		}
	}
	if !found {
		t.Errorf("no user.created event by R2 for %v among %v", me["id"], evs.Items)
	}

	// The used callback URL, replayed by the same browser, is refused.
	if rr, _ := b.Get(cb); rr.StatusCode != http.StatusForbidden && rr.StatusCode != http.StatusBadRequest {
		t.Errorf("replayed callback: %d, want 403 or 400", rr.StatusCode)
	}
}
