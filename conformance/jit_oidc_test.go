package conformance

// OpenID Connect sign-in, black-box: the test runs a small OpenID provider over HTTP (it stands
// in for a vendor OP, which cannot run here), registers it as an IdP through the admin API,
// pastes the server's redirect_uri into it, and signs a person in the way a browser does.
// Unlike SAML, the server under test calls the OP itself (token endpoint, JWKS), so against a
// remote server the OP must listen on an address that server can reach: -oidc-op-listen.

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"flag"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

var oidcOPListenFlag = flag.String("oidc-op-listen", "",
	"address for the test OpenID provider to listen on, reachable from the server under test (default 127.0.0.1:0, which only an in-process server reaches)")

// confOP is the conformance suite's OpenID provider: discovery, JWKS, an authorization
// endpoint that signs in whoever the test names, a token endpoint that redeems each code once
// with client authentication, redirect_uri and PKCE (S256) checked, and userinfo.
type confOP struct {
	srv    *httptest.Server
	issuer string
	key    *rsa.PrivateKey

	mu           sync.Mutex
	clientID     string
	secret       string
	redirectURIs []string
	next         map[string]any // the claims of the next person, sub included
	grants       map[string]*confGrant
	access       map[string]map[string]any
}

type confGrant struct {
	redirectURI, nonce, challenge string
	claims                        map[string]any
	used                          bool
}

func newConfOP(t *testing.T) *confOP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	op := &confOP{key: key, clientID: "conformance-" + randomSuffix(), secret: rand.Text(),
		grants: map[string]*confGrant{}, access: map[string]map[string]any{}}
	mux := http.NewServeMux()
	op.srv = httptest.NewUnstartedServer(mux)
	if addr := *oidcOPListenFlag; addr != "" {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		op.srv.Listener.Close()
		op.srv.Listener = l
	}
	op.srv.Start()
	t.Cleanup(op.srv.Close)
	op.issuer = op.srv.URL
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		confJSON(w, http.StatusOK, map[string]any{
			"issuer": op.issuer, "authorization_endpoint": op.issuer + "/authorize", "token_endpoint": op.issuer + "/token",
			"userinfo_endpoint": op.issuer + "/userinfo", "jwks_uri": op.issuer + "/jwks",
			"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"}, "code_challenge_methods_supported": []string{"S256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		confJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "conf-1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("GET /authorize", op.authorize)
	mux.HandleFunc("POST /token", op.token)
	mux.HandleFunc("GET /userinfo", func(w http.ResponseWriter, r *http.Request) {
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		op.mu.Lock()
		claims, ok := op.access[tok]
		op.mu.Unlock()
		if !ok {
			confJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
			return
		}
		confJSON(w, http.StatusOK, claims)
	})
	return op
}

func (op *confOP) signIn(claims map[string]any) {
	op.mu.Lock()
	op.next = claims
	op.mu.Unlock()
}

func (op *confOP) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	op.mu.Lock()
	defer op.mu.Unlock()
	if q.Get("client_id") != op.clientID || !slices.Contains(op.redirectURIs, q.Get("redirect_uri")) {
		http.Error(w, "unknown client or redirect_uri", http.StatusBadRequest)
		return
	}
	back, _ := url.Parse(q.Get("redirect_uri"))
	v := url.Values{"state": {q.Get("state")}}
	switch {
	case q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" ||
		!slices.Contains(strings.Fields(q.Get("scope")), "openid"):
		v.Set("error", "invalid_request")
	case op.next == nil:
		v.Set("error", "access_denied")
	default:
		code := rand.Text()
		op.grants[code] = &confGrant{redirectURI: q.Get("redirect_uri"), nonce: q.Get("nonce"),
			challenge: q.Get("code_challenge"), claims: op.next}
		v.Set("code", code)
	}
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (op *confOP) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		confJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	id, secret, ok := r.BasicAuth()
	if ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	op.mu.Lock()
	defer op.mu.Unlock()
	if id != op.clientID || secret != op.secret {
		confJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	g, ok := op.grants[r.PostForm.Get("code")]
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if !ok || g.used || g.redirectURI != r.PostForm.Get("redirect_uri") ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		confJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	g.used = true
	now := time.Now()
	claims := map[string]any{"iss": op.issuer, "aud": op.clientID, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "nonce": g.nonce}
	for k, v := range g.claims {
		claims[k] = v
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: op.key, KeyID: "conf-1"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		confJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		confJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	idToken, _ := jws.CompactSerialize()
	access := rand.Text()
	op.access[access] = g.claims
	confJSON(w, http.StatusOK, map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 300, "id_token": idToken})
}

func confJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// oidcCallback walks a browser from the server's login URL through the OP and returns the
// redirect URI the OP sends it to, not yet visited.
func (b *jitBrowser) oidcCallback(t *testing.T, loginURL, issuer string) string {
	t.Helper()
	resp, err := b.noFollow.Get(loginURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	authz := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(authz, issuer+"/authorize?") {
		t.Fatalf("GET %s: %d Location %q, want a redirect to the OP", loginURL, resp.StatusCode, authz)
	}
	resp, err = b.noFollow.Get(authz)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("the OP answered %d", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

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
	op := newConfOP(t)
	id := "conf-oidc-" + randomSuffix()
	var created map[string]any
	status := adminJSON(t, http.MethodPost, "/idps", map[string]any{
		"id": id, "name": "Conformance OIDC", "protocol": "oidc", "mode": "jit", "preset": "okta",
		"oidc": map[string]any{"issuer": op.issuer, "client_id": op.clientID, "client_secret": op.secret},
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
	op.mu.Lock()
	op.redirectURIs = []string{redirectURI}
	op.mu.Unlock()

	var before struct {
		NextAfter json.Number `json:"next_after"`
	}
	adminJSON(t, http.MethodGet, "/events?limit=1000", nil, &before)

	sub := "00u" + randomSuffix()
	op.signIn(map[string]any{"sub": sub, "given_name": "Con", "family_name": "Formance", "email": sub + "@example.com"})
	b := newJITBrowser()
	cb := b.oidcCallback(t, target.BaseURL+"/sso/"+id+"/login?return_to=%2Fwelcome", op.issuer)

	// The attacker's move first: the callback URL opened in another browser signs nobody in,
	// and does not spoil the login for the browser that started it.
	other := newJITBrowser()
	if rr, err := other.noFollow.Get(cb); err != nil {
		t.Fatal(err)
	} else if rr.Body.Close(); rr.StatusCode != http.StatusForbidden && rr.StatusCode != http.StatusBadRequest {
		t.Errorf("callback from another browser: %d, want 403 or 400", rr.StatusCode)
	}

	resp, err := b.noFollow.Get(cb)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
		t.Fatalf("callback: %d, want a redirect", resp.StatusCode)
	}
	if loc := resp.Header.Get("Location"); loc != "/welcome" && !strings.HasSuffix(loc, "/welcome") {
		t.Errorf("redirected to %q, want /welcome", loc)
	}

	mr, err := b.follow.Get(target.BaseURL + "/api/v1/me")
	if err != nil {
		t.Fatal(err)
	}
	var me map[string]any
	err = json.NewDecoder(mr.Body).Decode(&me)
	mr.Body.Close()
	if mr.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("/api/v1/me: %d %v", mr.StatusCode, err)
	}
	if me["idp"] != id || me["uniqueUserId"] != sub || me["owner"] != "jit" || me["active"] != true || me["userName"] != sub+"@example.com" {
		t.Errorf("/api/v1/me = %v", me)
	}
	if name, _ := me["name"].(map[string]any); name["givenName"] != "Con" || name["familyName"] != "Formance" {
		t.Errorf("name = %v", me["name"])
	}
	vr, err := b.follow.Get(target.BaseURL + "/auth/verify")
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
	if rr, err := b.noFollow.Get(cb); err != nil {
		t.Fatal(err)
	} else if rr.Body.Close(); rr.StatusCode != http.StatusForbidden && rr.StatusCode != http.StatusBadRequest {
		t.Errorf("replayed callback: %d, want 403 or 400", rr.StatusCode)
	}
}
