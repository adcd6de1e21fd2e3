package jit_test

// This file is a small but real OpenID provider over HTTP, on go-jose. It stands in for a
// vendor OP (Entra ID, Okta, PingOne, Google, Keycloak), none of which can run here: it serves
// discovery, a JWKS, an authorization endpoint that signs in whoever the test names, a token
// endpoint that redeems each code once with client authentication, redirect_uri and PKCE
// (S256) checked, and a userinfo endpoint behind the access token. Switches let a test make it
// misbehave the way an attacker in the middle, or a broken IdP, would: crafted ID tokens
// (another audience or issuer, expired, wrong nonce, unknown key, alg none, HS256 keyed with
// the public key) and a userinfo answer about someone else.

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
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

// opKey is a signing key of the OP with its key id.
type opKey struct {
	kid string
	key *rsa.PrivateKey
}

var (
	rotatedKeyOnce sync.Once
	rotatedKey     *rsa.PrivateKey
)

// opKeys returns the OP's first key, the key it rotates to, and a key nobody publishes.
func opKeys(tb testing.TB) (first, rotated, unknown opKey) {
	k := testKeys(tb)
	rotatedKeyOnce.Do(func() {
		var err error
		if rotatedKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return opKey{"op-key-1", k[0].key}, opKey{"op-key-2", rotatedKey}, opKey{"attacker-key", k[1].key}
}

// opPerson is someone the OP signs in: the claims of the ID token and what userinfo adds.
type opPerson struct {
	sub      string
	idToken  map[string]any
	userInfo map[string]any
}

type opClient struct {
	secret       string
	redirectURIs []string
}

type opGrant struct {
	clientID, redirectURI, nonce, challenge string
	person                                  opPerson
	used                                    bool
}

type testOP struct {
	tb     testing.TB
	srv    *httptest.Server
	issuer string

	mu        sync.Mutex
	clients   map[string]opClient
	signing   opKey
	published []opKey
	next      *opPerson
	grants    map[string]*opGrant
	access    map[string]opPerson
	// noUserInfo leaves userinfo_endpoint out of discovery.
	noUserInfo bool
	// reuseCodes makes the token endpoint redeem a code more than once, as a broken OP might,
	// so that a test sees what Roster's own single-use state does.
	reuseCodes bool
	// userInfoCalls counts answers of the userinfo endpoint.
	userInfoCalls int
	// tamper edits the ID token's claims before signing; forge replaces the whole signed
	// token (given the claims an honest OP would sign).
	tamper         func(claims map[string]any)
	forge          func(claims map[string]any) string
	tamperUserInfo func(claims map[string]any)
	// lastIDToken is the last ID token the token endpoint answered; issued are all of them
	// when keepIssued is set (the benchmark verifies them again on their own).
	lastIDToken string
	keepIssued  bool
	issued      []string
}

func newTestOP(tb testing.TB) *testOP {
	first, _, _ := opKeys(tb)
	op := &testOP{tb: tb, clients: map[string]opClient{}, signing: first, published: []opKey{first},
		grants: map[string]*opGrant{}, access: map[string]opPerson{}}
	mux := http.NewServeMux()
	op.srv = httptest.NewServer(mux)
	tb.Cleanup(op.srv.Close)
	op.issuer = op.srv.URL
	mux.HandleFunc("GET /.well-known/openid-configuration", op.serveDiscovery)
	mux.HandleFunc("GET /jwks", op.serveJWKS)
	mux.HandleFunc("GET /authorize", op.serveAuthorize)
	mux.HandleFunc("POST /token", op.serveToken)
	mux.HandleFunc("GET /userinfo", op.serveUserInfo)
	return op
}

// register adds a confidential client.
func (op *testOP) register(clientID, secret string, redirectURIs ...string) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.clients[clientID] = opClient{secret: secret, redirectURIs: redirectURIs}
}

// signIn names the person the authorization endpoint signs in next.
func (op *testOP) signIn(p opPerson) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.next = &p
}

// rotate makes the OP sign with a new key and publish both, as vendors do during a rollover.
func (op *testOP) rotate(k opKey) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.signing = k
	op.published = append(op.published, k)
}

func (op *testOP) set(fn func(op *testOP)) {
	op.mu.Lock()
	defer op.mu.Unlock()
	fn(op)
}

func (op *testOP) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	op.mu.Lock()
	noUI := op.noUserInfo
	op.mu.Unlock()
	doc := map[string]any{
		"issuer":                                op.issuer,
		"authorization_endpoint":                op.issuer + "/authorize",
		"token_endpoint":                        op.issuer + "/token",
		"jwks_uri":                              op.issuer + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"scopes_supported":                      []string{"openid", "profile", "email"},
	}
	if !noUI {
		doc["userinfo_endpoint"] = op.issuer + "/userinfo"
	}
	writeOPJSON(w, http.StatusOK, doc)
}

func (op *testOP) serveJWKS(w http.ResponseWriter, r *http.Request) {
	op.mu.Lock()
	defer op.mu.Unlock()
	var set jose.JSONWebKeySet
	for _, k := range op.published {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.key.PublicKey, KeyID: k.kid, Algorithm: "RS256", Use: "sig"})
	}
	writeOPJSON(w, http.StatusOK, set)
}

// serveAuthorize checks the request as an OP must (registered client and redirect URI, code
// flow, openid scope, S256 challenge) and answers with a code for the person named by signIn.
func (op *testOP) serveAuthorize(w http.ResponseWriter, r *http.Request) {
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
		v := url.Values{"error": {code}, "state": {q.Get("state")}}
		back.RawQuery = v.Encode()
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
	op.grants[code] = &opGrant{clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"), nonce: q.Get("nonce"),
		challenge: q.Get("code_challenge"), person: *op.next}
	// The OP names itself in the response (RFC 9207), as Entra ID and Keycloak do.
	v := url.Values{"code": {code}, "state": {q.Get("state")}, "iss": {op.issuer}}
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// serveToken redeems a code once, for the client it was issued to, with its redirect_uri and
// the PKCE verifier of its challenge.
func (op *testOP) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOPJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
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
		writeOPJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	g, ok := op.grants[r.PostForm.Get("code")]
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case r.PostForm.Get("grant_type") != "authorization_code" || !ok || (g.used && !op.reuseCodes) || g.clientID != clientID ||
		g.redirectURI != r.PostForm.Get("redirect_uri") ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		writeOPJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	g.used = true
	now := time.Now()
	claims := map[string]any{
		"iss": op.issuer, "sub": g.person.sub, "aud": clientID,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "auth_time": now.Unix(),
	}
	if g.nonce != "" {
		claims["nonce"] = g.nonce
	}
	for k, v := range g.person.idToken {
		claims[k] = v
	}
	if op.tamper != nil {
		op.tamper(claims)
	}
	var idToken string
	if op.forge != nil {
		idToken = op.forge(claims)
	} else {
		idToken = signJWT(op.tb, op.signing, claims)
	}
	op.lastIDToken = idToken
	if op.keepIssued {
		op.issued = append(op.issued, idToken)
	}
	access := rand.Text()
	op.access[access] = g.person
	writeOPJSON(w, http.StatusOK, map[string]any{
		"access_token": access, "token_type": "Bearer", "expires_in": 300, "id_token": idToken,
	})
}

func (op *testOP) serveUserInfo(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	op.mu.Lock()
	defer op.mu.Unlock()
	p, known := op.access[tok]
	if !ok || !known {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeOPJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
		return
	}
	op.userInfoCalls++
	claims := map[string]any{"sub": p.sub}
	for k, v := range p.userInfo {
		claims[k] = v
	}
	if op.tamperUserInfo != nil {
		op.tamperUserInfo(claims)
	}
	writeOPJSON(w, http.StatusOK, claims)
}

func writeOPJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// signJWT signs claims with RS256 under the key's id.
func signJWT(tb testing.TB, k opKey, claims map[string]any) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: k.key, KeyID: k.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		tb.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		tb.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// unsignedJWT is a token with alg "none" and an empty signature.
func unsignedJWT(kid string, claims map[string]any) string {
	return rawJWT(map[string]any{"alg": "none", "typ": "JWT", "kid": kid}, claims) + "."
}

// hmacWithPublicKey is the classic key-confusion forgery: HS256 keyed with the bytes of the
// OP's public key, which anyone can fetch, in the hope that a verifier uses the key it has
// for the kid as an HMAC secret.
func hmacWithPublicKey(k opKey, claims map[string]any) string {
	der, _ := x509.MarshalPKIXPublicKey(&k.key.PublicKey)
	secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	signing := rawJWT(map[string]any{"alg": "HS256", "typ": "JWT", "kid": k.kid}, claims)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func rawJWT(header, claims map[string]any) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
}
