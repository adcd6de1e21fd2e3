package testidp

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
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

// OP is an OpenID provider over HTTP: discovery, a JWKS, an authorization endpoint that signs
// in whoever the test names, a token endpoint that redeems each code once for the client it
// was issued to, with client authentication, redirect_uri and PKCE (S256) checked, and a
// userinfo endpoint behind the access token.
type OP struct {
	// Issuer is the OP's issuer URL, without a trailing slash.
	Issuer string

	mu         sync.Mutex
	noUserInfo bool
	presign    bool
	clients    map[string]opClient
	signing    SigningKey
	published  []SigningKey
	next       *OPPerson
	grants     map[string]*opGrant
	access     map[string]OPPerson
	faults     Faults
	userInfo   int
	lastToken  string
	recording  bool
	recorded   []string
}

// OPConfig is how an OP is set up.
type OPConfig struct {
	// Listen is the address to listen on, reachable from the server under test; "" is a
	// loopback port, which only a server on this machine reaches.
	Listen string
	// IssuerPath is appended to the listener's URL to make the issuer, for providers whose
	// issuer names a tenant in its path, as Entra ID's does ("/<tenant>/v2.0").
	IssuerPath string
	// NoUserInfo leaves userinfo_endpoint out of discovery.
	NoUserInfo bool
	// SignAtAuthorization makes the OP sign each ID token when it issues the code, not when
	// the code is redeemed, so that a benchmark timing the relying party's callback does not
	// time the OP's RSA signature: that is the OP's cost, not the relying party's. What the
	// token endpoint answers is the same token either way.
	SignAtAuthorization bool
}

// OPPerson is someone the OP signs in: the claims of the ID token (sub aside) and what
// userinfo adds.
type OPPerson struct {
	Sub      string
	IDToken  map[string]any
	UserInfo map[string]any
	// ScopedClaims are claims the ID token carries only when the login asked for their scope,
	// by scope, as real providers release a custom claim with a custom scope.
	ScopedClaims map[string]map[string]any
}

// SigningKey is an RSA key of the OP with its key id.
type SigningKey struct {
	KID string
	Key *rsa.PrivateKey
}

// OPKeys returns the OP's first key, the key it rotates to, and a key nobody publishes.
func OPKeys() (first, rotated, unknown SigningKey) {
	return SigningKey{"op-key-1", IdPKey().Key}, SigningKey{"op-key-2", RotatedKey().Key}, SigningKey{"attacker-key", AttackerKey().Key}
}

// Faults make the OP misbehave the way a broken OP, or an attacker in the middle, would. The
// zero value is an honest OP.
type Faults struct {
	// ReuseCodes makes the token endpoint redeem a code more than once.
	ReuseCodes bool
	// Tamper edits the ID token's claims before they are signed.
	Tamper func(claims map[string]any)
	// Forge replaces the signed ID token, given the claims an honest OP would sign.
	Forge func(claims map[string]any) string
	// TamperUserInfo edits the userinfo answer.
	TamperUserInfo func(claims map[string]any)
}

type opClient struct {
	secret       string
	redirectURIs []string
}

type opGrant struct {
	clientID, redirectURI, nonce, challenge string
	scopes                                  []string
	person                                  OPPerson
	used                                    bool
	// idToken is the token signed at authorization (OPConfig.SignAtAuthorization).
	idToken string
}

// NewOP starts an OP signing with the first of OPKeys; it stops when the test ends.
func NewOP(tb testing.TB, cfg OPConfig) *OP {
	tb.Helper()
	first, _, _ := OPKeys()
	op := &OP{noUserInfo: cfg.NoUserInfo, presign: cfg.SignAtAuthorization, clients: map[string]opClient{}, signing: first, published: []SigningKey{first},
		grants: map[string]*opGrant{}, access: map[string]OPPerson{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", op.serveDiscovery)
	mux.HandleFunc("GET /jwks", op.serveJWKS)
	mux.HandleFunc("GET /authorize", op.serveAuthorize)
	mux.HandleFunc("POST /token", op.serveToken)
	mux.HandleFunc("GET /userinfo", op.serveUserInfo)
	var h http.Handler = mux
	if p := strings.TrimRight(cfg.IssuerPath, "/"); p != "" {
		outer := http.NewServeMux()
		outer.Handle(p+"/", http.StripPrefix(p, mux))
		h = outer
	}
	srv := httptest.NewUnstartedServer(h)
	if cfg.Listen != "" {
		l, err := net.Listen("tcp", cfg.Listen)
		if err != nil {
			tb.Fatal(err)
		}
		srv.Listener.Close()
		srv.Listener = l
	}
	srv.Start()
	tb.Cleanup(srv.Close)
	op.Issuer = srv.URL + strings.TrimRight(cfg.IssuerPath, "/")
	return op
}

// Register adds a confidential client, or replaces its secret and redirect URIs.
func (op *OP) Register(clientID, secret string, redirectURIs ...string) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.clients[clientID] = opClient{secret: secret, redirectURIs: redirectURIs}
}

// SignIn names the person the authorization endpoint signs in from now on.
func (op *OP) SignIn(p OPPerson) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.next = &p
}

// SignNobodyIn makes the authorization endpoint answer access_denied, as when the person
// cancels or the IdP refuses them.
func (op *OP) SignNobodyIn() {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.next = nil
}

// Rotate makes the OP sign with k and publish it beside the keys it had, as vendors do during
// a rollover.
func (op *OP) Rotate(k SigningKey) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.signing = k
	op.published = append(op.published, k)
}

// SetFaults replaces the OP's faults; Faults{} makes it honest again.
func (op *OP) SetFaults(f Faults) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.faults = f
}

// UserInfoCalls counts the answers the userinfo endpoint has given.
func (op *OP) UserInfoCalls() int {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.userInfo
}

// LastIDToken is the last ID token the token endpoint answered.
func (op *OP) LastIDToken() string {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.lastToken
}

// RecordIDTokens starts (on) or stops keeping every ID token the token endpoint answers;
// starting forgets those kept before.
func (op *OP) RecordIDTokens(on bool) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.recording = on
	if on {
		op.recorded = nil
	}
}

// IDTokens are the ID tokens kept since RecordIDTokens(true).
func (op *OP) IDTokens() []string {
	op.mu.Lock()
	defer op.mu.Unlock()
	return slices.Clone(op.recorded)
}

func (op *OP) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	doc := map[string]any{
		"issuer":                                op.Issuer,
		"authorization_endpoint":                op.Issuer + "/authorize",
		"token_endpoint":                        op.Issuer + "/token",
		"jwks_uri":                              op.Issuer + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"scopes_supported":                      []string{"openid", "profile", "email"},
	}
	if !op.noUserInfo {
		doc["userinfo_endpoint"] = op.Issuer + "/userinfo"
	}
	writeJSON(w, http.StatusOK, doc)
}

func (op *OP) serveJWKS(w http.ResponseWriter, r *http.Request) {
	op.mu.Lock()
	defer op.mu.Unlock()
	var set jose.JSONWebKeySet
	for _, k := range op.published {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.Key.PublicKey, KeyID: k.KID, Algorithm: "RS256", Use: "sig"})
	}
	writeJSON(w, http.StatusOK, set)
}

// serveAuthorize checks the request as an OP must (registered client and redirect URI, code
// flow, openid scope, S256 challenge) and answers with a code for the person named by SignIn.
func (op *OP) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	op.mu.Lock()
	defer op.mu.Unlock()
	c, ok := op.clients[q.Get("client_id")]
	if !ok || !slices.Contains(c.redirectURIs, q.Get("redirect_uri")) {
		// An OP never redirects to an unregistered URI; it shows an error itself.
		http.Error(w, "test OP: unknown client or redirect_uri", http.StatusBadRequest)
		return
	}
	back, _ := url.Parse(q.Get("redirect_uri"))
	fail := func(code string) {
		back.RawQuery = url.Values{"error": {code}, "state": {q.Get("state")}}.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	}
	switch {
	case q.Get("response_type") != "code":
		fail("unsupported_response_type")
		return
	case !slices.Contains(strings.Fields(q.Get("scope")), "openid"):
		fail("invalid_scope")
		return
	case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		fail("invalid_request")
		return
	case op.next == nil:
		fail("access_denied")
		return
	}
	code := rand.Text()
	g := &opGrant{clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"), nonce: q.Get("nonce"),
		challenge: q.Get("code_challenge"), scopes: strings.Fields(q.Get("scope")), person: *op.next}
	if op.presign {
		var err error
		if g.idToken, err = op.signIDToken(g); err != nil {
			http.Error(w, "test OP: "+err.Error(), http.StatusInternalServerError)
			return
		}
	}
	op.grants[code] = g
	// The OP names itself in the response (RFC 9207), as Entra ID and Keycloak do.
	back.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}, "iss": {op.Issuer}}.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// serveToken redeems a code once, for the client it was issued to, with its redirect_uri and
// the PKCE verifier of its challenge.
func (op *OP) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	clientID, secret, basic := r.BasicAuth()
	if basic {
		clientID, _ = url.QueryUnescape(clientID)
		secret, _ = url.QueryUnescape(secret)
	} else {
		clientID, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	op.mu.Lock()
	defer op.mu.Unlock()
	c, ok := op.clients[clientID]
	if !ok || c.secret != secret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	g, ok := op.grants[r.PostForm.Get("code")]
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if r.PostForm.Get("grant_type") != "authorization_code" || !ok || (g.used && !op.faults.ReuseCodes) || g.clientID != clientID ||
		g.redirectURI != r.PostForm.Get("redirect_uri") ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	g.used = true
	idToken := g.idToken
	if idToken == "" {
		var err error
		if idToken, err = op.signIDToken(g); err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error", "error_description": err.Error()})
			return
		}
	}
	op.lastToken = idToken
	if op.recording {
		op.recorded = append(op.recorded, idToken)
	}
	access := rand.Text()
	op.access[access] = g.person
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access, "token_type": "Bearer", "expires_in": 300, "id_token": idToken,
	})
}

// signIDToken makes the ID token of a grant, faults applied. The caller holds op.mu.
func (op *OP) signIDToken(g *opGrant) (string, error) {
	now := time.Now()
	claims := map[string]any{
		"iss": op.Issuer, "sub": g.person.Sub, "aud": g.clientID,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "auth_time": now.Unix(),
	}
	if g.nonce != "" {
		claims["nonce"] = g.nonce
	}
	for k, v := range g.person.IDToken {
		claims[k] = v
	}
	for scope, scoped := range g.person.ScopedClaims {
		if slices.Contains(g.scopes, scope) {
			for k, v := range scoped {
				claims[k] = v
			}
		}
	}
	if op.faults.Tamper != nil {
		op.faults.Tamper(claims)
	}
	if op.faults.Forge != nil {
		return op.faults.Forge(claims), nil
	}
	return SignJWT(op.signing, claims)
}

func (op *OP) serveUserInfo(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	op.mu.Lock()
	defer op.mu.Unlock()
	p, known := op.access[tok]
	if !ok || !known {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
		return
	}
	op.userInfo++
	claims := map[string]any{"sub": p.Sub}
	for k, v := range p.UserInfo {
		claims[k] = v
	}
	if op.faults.TamperUserInfo != nil {
		op.faults.TamperUserInfo(claims)
	}
	writeJSON(w, http.StatusOK, claims)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// SignJWT signs claims with RS256 under the key's id, as the OP signs its ID tokens.
func SignJWT(k SigningKey, claims map[string]any) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: k.Key, KeyID: k.KID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}
