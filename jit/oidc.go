package jit

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/outbound"
)

// This file is Roster's OpenID Connect relying party: the authorization code flow with PKCE
// (S256), state and nonce, per IdP, on github.com/coreos/go-oidc/v3 and golang.org/x/oauth2.
// What the ID token (and, when needed, the userinfo endpoint) says about the person becomes a
// Claims map and then an Identity through the same mapping and presets as SAML, and the login
// ends in finishLogin like a SAML one.

const (
	// oidcStateTTL bounds how long a started login may take at the IdP: long enough to type a
	// password and pass MFA, short enough that a leaked state is soon worthless.
	oidcStateTTL = 15 * time.Minute

	// providerTTL is how long a discovery document is reused before it is fetched again, so
	// that a changed endpoint reaches Roster within this time. Signing keys rotate faster than
	// that without harm: go-oidc fetches the JWKS again when a token names a key it lacks.
	providerTTL = time.Hour

	// maxClaimValues bounds how many values one claim may carry into an Identity (groups).
	maxClaimValues = 1000
)

// oidcSigningAlgs are the algorithms an ID token may be signed with: asymmetric ones only.
// Naming them keeps "none" and HMAC (whose secret would be the client secret, or a public key
// an attacker passes off as one) out whatever the IdP's discovery document advertises.
var oidcSigningAlgs = []string{
	oidc.RS256, oidc.RS384, oidc.RS512, oidc.PS256, oidc.PS384, oidc.PS512,
	oidc.ES256, oidc.ES384, oidc.ES512, oidc.EdDSA,
}

// errNotOIDC marks an IdP that has no OpenID Connect sign-in.
var errNotOIDC = errors.New("the IdP does not use OpenID Connect")

// oidcPending is what Roster remembers of a login it started, keyed by its state.
type oidcPending struct {
	IdP      string `json:"idp"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"`
	// Binding is the base64url SHA-256 of the browser's binding cookie; the cookie's value
	// itself is never stored.
	Binding  string `json:"binding"`
	ReturnTo string `json:"returnTo"`
	// flow is the sign-in's purpose (flows.go).
	flow
}

// oidcProviders caches discovery per issuer. It is only a cache of what the issuer publishes;
// nothing in it must survive a restart.
type oidcProviders struct {
	mu      sync.Mutex
	entries map[string]providerEntry
}

type providerEntry struct {
	p       *oidc.Provider
	fetched time.Time
}

// oidcProvider returns the discovered provider of an issuer, from the cache while it is fresh.
// When a refresh fails, the previous discovery keeps serving logins and the failure is logged,
// as for SAML metadata.
func (h *Handler) oidcProvider(ctx context.Context, issuer string) (*oidc.Provider, error) {
	issuer = strings.TrimSpace(issuer)
	now := time.Now()
	c := &h.oidcCache
	c.mu.Lock()
	e, ok := c.entries[issuer]
	c.mu.Unlock()
	if ok && now.Sub(e.fetched) < providerTTL {
		return e.p, nil
	}
	p, err := h.discover(ctx, issuer)
	if err != nil {
		if ok {
			h.log.WarnContext(ctx, "jit: refreshing OIDC discovery failed; using the previous copy", "issuer", issuer, "err", err)
			return e.p, nil
		}
		return nil, err
	}
	c.mu.Lock()
	if c.entries == nil {
		c.entries = make(map[string]providerEntry)
	}
	c.entries[issuer] = providerEntry{p: p, fetched: now}
	c.mu.Unlock()
	return p, nil
}

// discover fetches an issuer's discovery document and checks that it names the endpoints the
// code flow needs.
func (h *Handler) discover(ctx context.Context, issuer string) (*oidc.Provider, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	// The provider keeps only the client of this context, for its JWKS fetches, which outlive
	// this request; the timeout bounds the discovery fetch alone.
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, h.httpClient), issuer)
	if err != nil {
		return nil, fmt.Errorf("OIDC discovery of %q: %w", issuer, err)
	}
	ep := p.Endpoint()
	if ep.AuthURL == "" || ep.TokenURL == "" {
		return nil, fmt.Errorf("OIDC discovery of %q names no authorization_endpoint or token_endpoint", issuer)
	}
	var extra struct {
		JWKS string `json:"jwks_uri"`
	}
	if err := p.Claims(&extra); err != nil || extra.JWKS == "" {
		return nil, fmt.Errorf("OIDC discovery of %q names no jwks_uri", issuer)
	}
	return p, nil
}

// oidcIdP loads an IdP for an OIDC route. A missing IdP is directory.ErrNotFound.
func (h *Handler) oidcIdP(ctx context.Context, id string) (directory.IdP, error) {
	p, err := h.svc.IdP(ctx, id)
	if err != nil {
		return p, err
	}
	if p.Protocol != directory.ProtocolOIDC {
		return p, errNotOIDC
	}
	return p, nil
}

// oauthConfig is the OAuth 2.0 client of an IdP. The openid scope is always asked for, and
// profile and email unless the administrator chose the scopes.
func (h *Handler) oauthConfig(p directory.IdP, prov *oidc.Provider) *oauth2.Config {
	scopes := []string{oidc.ScopeOpenID}
	configured := p.OIDC.Scopes
	if len(configured) == 0 {
		configured = []string{"profile", "email"}
	}
	for _, s := range configured {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	return &oauth2.Config{
		ClientID:     p.OIDC.ClientID,
		ClientSecret: p.OIDC.ClientSecret,
		Endpoint:     prov.Endpoint(),
		RedirectURL:  h.OIDCRedirectURI(p.ID),
		Scopes:       scopes,
	}
}

// serveLoginByProtocol starts a sign-in the way the IdP's protocol does it.
func (h *Handler) serveLoginByProtocol(w http.ResponseWriter, r *http.Request, idpID string) {
	p, err := h.svc.IdP(r.Context(), idpID)
	var f flow
	if err == nil {
		var ok bool
		if f, ok = h.startFlow(w, r, p); !ok {
			return
		}
	}
	if err == nil && p.Protocol == directory.ProtocolOIDC {
		h.serveOIDCLogin(w, r, p, f)
		return
	}
	// SAML, and every error (a missing IdP among them), is answered by the SAML start as before.
	h.serveLogin(w, r, idpID, f)
}

// serveOIDCLogin starts an OIDC sign-in: it records state, nonce, PKCE verifier, return_to and
// the hash of the browser's binding in the store, sets the binding cookie, and redirects to
// the IdP's authorization endpoint.
func (h *Handler) serveOIDCLogin(w http.ResponseWriter, r *http.Request, p directory.IdP, f flow) {
	ctx := r.Context()
	returnTo, err := h.safeReturnTo(r.URL.Query().Get("return_to"))
	if err != nil {
		h.renderFailure(w, r, http.StatusBadRequest, "The link you followed asks to return to a page outside this site, which is not allowed.", err)
		return
	}
	prov, err := h.oidcProvider(ctx, p.OIDC.Issuer)
	if err != nil {
		h.renderFailure(w, r, http.StatusBadGateway, "The identity provider of this sign-in is not reachable or not set up correctly. Ask your administrator.", err)
		return
	}
	binding := h.bindBrowser(w, r, oidcBindingCookie, oidcStateTTL, http.SameSiteLaxMode)
	state, nonce, verifier := randomToken(), randomToken(), oauth2.GenerateVerifier()
	rec, _ := json.Marshal(oidcPending{IdP: p.ID, Nonce: nonce, Verifier: verifier, Binding: hashToken(binding), ReturnTo: returnTo, flow: f})
	// The pending login lives in the store, so that any replica can answer the callback of a
	// login another replica started.
	if err := h.svc.UseOnce(ctx, directory.PutOnce(directory.OnceOIDCState, state, rec, time.Now().Add(oidcStateTTL))); err != nil {
		h.renderFailure(w, r, http.StatusInternalServerError, "", err)
		return
	}
	to := h.oauthConfig(p, prov).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusFound)
}

// errStateBinding marks a state that exists but was started by another browser.
var errStateBinding = errors.New("the login state belongs to another browser")

// pendingLogin returns the pending login of a state, if it exists, is unexpired, belongs to the
// IdP and was started by this browser. It only reads: a state presented by another browser is
// left in place, so that a stranger who learned it cannot cancel the real person's login, and
// the sign-in itself takes the state, in its own transaction.
func (h *Handler) pendingLogin(ctx context.Context, idp, state string, r *http.Request) (oidcPending, error) {
	raw, err := h.svc.PeekOnce(ctx, directory.OnceOIDCState, state)
	if err != nil {
		return oidcPending{}, err
	}
	var rec oidcPending
	if err := json.Unmarshal(raw, &rec); err != nil {
		return oidcPending{}, err
	}
	if rec.IdP != idp {
		return oidcPending{}, fmt.Errorf("the state was issued for IdP %q: %w", rec.IdP, directory.ErrNotFound)
	}
	if !boundBrowser(r, oidcBindingCookie, rec.Binding) {
		return oidcPending{}, errStateBinding
	}
	return rec, nil
}

// serveOIDCCallback is the redirect URI: it checks state and browser, exchanges the code (with
// the PKCE verifier), verifies the ID token, reads userinfo when the ID token lacks what the
// mapping needs, and applies the login to the directory, which takes the state.
func (h *Handler) serveOIDCCallback(w http.ResponseWriter, r *http.Request, idpID string) {
	ctx := r.Context()
	q := r.URL.Query()
	p, err := h.oidcIdP(ctx, idpID)
	if err != nil {
		h.renderOIDCIdPError(w, r, err)
		return
	}
	state := q.Get("state")
	if state == "" {
		h.refuse(w, r, refusal{idp: p.ID, status: http.StatusBadRequest, reason: "the OIDC callback carries no state",
			cause: errors.New("the OIDC callback carries no state")})
		return
	}
	pending, err := h.pendingLogin(ctx, p.ID, state, r)
	if err != nil {
		reason := "the OIDC login state is unknown, expired or used already"
		if errors.Is(err, errStateBinding) {
			reason = "the OIDC sign-in was started in another browser"
		}
		h.refuse(w, r, refusal{idp: p.ID, status: http.StatusForbidden, reason: reason,
			cause: fmt.Errorf("OIDC callback of IdP %q: state refused: %w", p.ID, err)})
		return
	}
	// This callback is the one answer of the login the browser started. Should it fail before
	// the sign-in takes the state, the state is dropped all the same, so that nothing can
	// answer the login a second time.
	taken := false
	defer func() {
		if taken {
			return
		}
		if err := h.svc.UseOnce(ctx, directory.TakeOnce(directory.OnceOIDCState, state)); err != nil && !errors.Is(err, directory.ErrUsed) {
			h.log.WarnContext(ctx, "jit: dropping the state of a failed OIDC callback", "idp", p.ID, "err", err)
		}
	}()
	if e := q.Get("error"); e != "" {
		// The IdP refused or the person cancelled; its words go to the log, not the page.
		h.refuse(w, r, refusal{idp: p.ID, status: http.StatusForbidden, reason: fmt.Sprintf("the IdP did not sign the person in (error %q)", e),
			message: "Your identity provider did not sign you in. Start again from your application; if it keeps failing, ask your administrator.",
			cause:   fmt.Errorf("OIDC IdP %q answered error %q: %s", p.ID, e, q.Get("error_description"))})
		return
	}
	code := q.Get("code")
	if code == "" {
		h.refuse(w, r, refusal{idp: p.ID, status: http.StatusBadRequest, reason: "the OIDC callback carries no code",
			cause: errors.New("the OIDC callback carries no code")})
		return
	}
	prov, err := h.oidcProvider(ctx, p.OIDC.Issuer)
	if err != nil {
		h.refuse(w, r, refusal{idp: p.ID, status: http.StatusBadGateway, reason: "the IdP's OpenID discovery document could not be loaded",
			message: "The identity provider of this sign-in is not reachable or not set up correctly. Ask your administrator.", cause: err})
		return
	}
	// RFC 9207: an IdP that names itself in the authorization response must be the one this
	// login went to, else a response from another IdP is being passed off (a mix-up attack).
	if iss := q.Get("iss"); iss != "" && iss != strings.TrimSpace(p.OIDC.Issuer) {
		h.refuse(w, r, refusal{idp: p.ID, status: http.StatusForbidden, reason: fmt.Sprintf("the OIDC callback names another issuer (%q)", iss),
			cause: fmt.Errorf("OIDC callback of IdP %q names issuer %q", p.ID, iss)})
		return
	}
	var seen received
	id, err := h.oidcIdentity(ctx, p, prov, code, pending, &seen)
	if err != nil {
		status := http.StatusForbidden
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode >= 500 {
			status = http.StatusBadGateway
		}
		h.refuse(w, r, refusal{idp: p.ID, status: status, reason: oidcRefusalReason(err),
			cause: fmt.Errorf("OIDC sign-in of IdP %q refused: %w", p.ID, err)})
		return
	}
	taken = true
	h.finishSignIn(w, r, p, id, seen, pending.flow, pending.ReturnTo, directory.TakeOnce(directory.OnceOIDCState, state))
}

// renderOIDCIdPError answers an OIDC route whose IdP is missing or speaks SAML.
func (h *Handler) renderOIDCIdPError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errNotOIDC) {
		renderPage(w, http.StatusNotFound, page{Title: "This sign-in is not set up",
			Message: "This identity provider does not use OpenID Connect. Start the sign-in from your application."})
		return
	}
	h.renderIdPError(w, r, err)
}

// oidcIdentity redeems the code and turns what the IdP says into an Identity. Every check
// that fails is an error; nothing reaches the directory before all have passed. seen receives
// the subject and claims the identity was made of, which a test sign-in shows.
func (h *Handler) oidcIdentity(ctx context.Context, p directory.IdP, prov *oidc.Provider, code string, pending oidcPending, seen *received) (Identity, error) {
	ctx = oidc.ClientContext(context.WithValue(ctx, oauth2.HTTPClient, h.httpClient), h.httpClient)
	cfg := h.oauthConfig(p, prov)
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(pending.Verifier))
	if err != nil {
		return Identity{}, fmt.Errorf("redeeming the code: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Identity{}, errors.New("the token response carries no id_token")
	}
	// Verify checks the signature against the issuer's JWKS (fetched again for a key id it
	// has not seen, which is how key rotation reaches Roster), the algorithm, iss, aud and exp.
	idt, err := prov.Verifier(&oidc.Config{ClientID: p.OIDC.ClientID, SupportedSigningAlgs: oidcSigningAlgs}).Verify(ctx, raw)
	if err != nil {
		return Identity{}, fmt.Errorf("verifying the ID token: %w", err)
	}
	// go-oidc checks exp but not iat. A token issued further ahead than the clock skew allows
	// was minted by a clock that is wrong, or for later use; neither may sign anybody in now.
	if now := time.Now(); idt.IssuedAt.After(now.Add(h.skew)) {
		return Identity{}, fmt.Errorf("the ID token was issued in the future, at %s (now %s, skew %s)", idt.IssuedAt, now, h.skew)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(pending.Nonce)) != 1 || pending.Nonce == "" {
		return Identity{}, errors.New("the ID token's nonce is not the one this login sent")
	}
	if strings.TrimSpace(idt.Subject) == "" {
		return Identity{}, errors.New("the ID token has no sub")
	}
	var claimsJSON map[string]any
	if err := idt.Claims(&claimsJSON); err != nil {
		return Identity{}, fmt.Errorf("reading the ID token's claims: %w", err)
	}
	// With several audiences, the token must have been issued to Roster as its authorized
	// party (OIDC Core 3.1.3.7, items 4 and 5).
	if len(idt.Audience) > 1 {
		if azp, _ := claimsJSON["azp"].(string); azp != p.OIDC.ClientID {
			return Identity{}, fmt.Errorf("the ID token names %d audiences and azp %q, not this client", len(idt.Audience), azp)
		}
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return Identity{}, fmt.Errorf("the ID token's at_hash does not match the access token: %w", err)
		}
	}
	if err := checkEntraTenant(p, claimsJSON); err != nil {
		return Identity{}, err
	}
	claims := oidcClaims(claimsJSON)
	if strings.EqualFold(strings.TrimSpace(p.Mapping.UniqueUserID), "sub") {
		claims["sub"] = []string{idt.Subject}
	}
	subject := Subject{Value: idt.Subject, Persistent: true}
	if h.needsUserInfo(p, subject, claims) && prov.UserInfoEndpoint() != "" {
		ui, err := prov.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return Identity{}, fmt.Errorf("reading userinfo: %w", err)
		}
		// OIDC Core 5.3.2: a userinfo answer about another subject must not be used; it can
		// only mean a mixed-up or malicious response.
		if ui.Subject != idt.Subject {
			return Identity{}, fmt.Errorf("userinfo names sub %q, the ID token %q", ui.Subject, idt.Subject)
		}
		var uiJSON map[string]any
		if err := ui.Claims(&uiJSON); err != nil {
			return Identity{}, fmt.Errorf("reading userinfo claims: %w", err)
		}
		mergeUserInfo(claims, oidcClaims(uiJSON))
	}
	*seen = received{subject: subject, claims: claims}
	id := NewIdentity(p, subject, claims)
	// email_verified speaks of the email claim. When the mapping takes the address from
	// another claim (upn, preferred_username), nobody verified that one, so it never links (R9).
	if id.EmailVerified && !strings.EqualFold(strings.TrimSpace(id.Email), claims.first([]string{"email"})) {
		id.EmailVerified = false
	}
	return id, nil
}

// needsUserInfo reports whether the ID token leaves out something the mapping would use, so
// that the userinfo endpoint must be asked: IdPs such as Okta and PingOne put only sub in a
// minimal ID token and the profile behind userinfo.
func (h *Handler) needsUserInfo(p directory.IdP, subject Subject, claims Claims) bool {
	id := NewIdentity(p, subject, claims)
	if id.Email == "" || id.FirstName == "" || id.LastName == "" {
		return true
	}
	// Only linking by email reads email_verified (R9); elsewhere its absence costs no request.
	if _, ok := claims.lookup(emailVerifiedNames); !ok && p.LinkPolicy == directory.LinkVerifiedEmail {
		return true
	}
	// A custom uniqueUserId attribute the token lacks would otherwise fall back to sub.
	if m := p.Mapping.UniqueUserID; m != "" && !strings.EqualFold(m, "sub") {
		if _, ok := claims.lookup([]string{m}); !ok {
			return true
		}
	}
	return false
}

// mergeUserInfo adds userinfo claims that the ID token lacks; the ID token, which is signed,
// wins where both speak. email_verified comes along only with the address it verifies.
func mergeUserInfo(claims, ui Claims) {
	idEmail := claims.first([]string{"email"})
	uiEmail := ui.first([]string{"email"})
	for k, v := range ui {
		if k == "sub" || k == "email_verified" {
			continue
		}
		if _, ok := claims.lookup([]string{k}); !ok {
			claims[k] = v
		}
	}
	if _, ok := claims.lookup(emailVerifiedNames); !ok {
		if v, ok := ui["email_verified"]; ok && uiEmail != "" && (idEmail == "" || strings.EqualFold(idEmail, uiEmail)) {
			claims["email_verified"] = v
		}
	}
}

// oidcClaims turns JSON claims into Claims: strings as they are, booleans and numbers in
// their JSON spelling, arrays as one value per element. Objects are left out; no preset maps
// one. sub stays out on purpose: it is the Subject, the fallback of R1, so that a preset's
// vendor id (Entra ID's oid, which SCIM's externalId carries) comes before it; oidcIdentity
// adds it back when the administrator maps uniqueUserId to "sub" explicitly.
func oidcClaims(in map[string]any) Claims {
	c := Claims{}
	for k, v := range in {
		if k == "sub" {
			continue
		}
		var vals []string
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				if s, ok := scalarClaim(e); ok && len(vals) < maxClaimValues {
					vals = append(vals, s)
				}
			}
		default:
			s, ok := scalarClaim(x)
			if !ok {
				continue
			}
			vals = []string{s}
		}
		c[k] = vals
	}
	return c
}

func scalarClaim(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case json.Number:
		return x.String(), true
	}
	return "", false
}

// entraTenantPath matches the tenant id in an Entra ID issuer such as
// https://login.microsoftonline.com/<tenant id>/v2.0.
var entraTenantPath = regexp.MustCompile(`^/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(/|$)`)

// checkEntraTenant refuses an Entra ID token whose tid is not the tenant of the configured
// issuer. The issuer check already pins the tenant for a tenant-specific issuer; this keeps
// the rule when the issuer is configured in another form, since an oid is unique only within
// its tenant.
func checkEntraTenant(p directory.IdP, claims map[string]any) error {
	if !strings.EqualFold(p.Preset, "entra") {
		return nil
	}
	u, err := url.Parse(p.OIDC.Issuer)
	if err != nil {
		return nil
	}
	m := entraTenantPath.FindStringSubmatch(u.Path)
	if m == nil {
		return nil
	}
	if tid, ok := claims["tid"].(string); ok && !strings.EqualFold(tid, m[1]) {
		return fmt.Errorf("the ID token's tid %q is not the issuer's tenant %q", tid, m[1])
	}
	return nil
}

// validateOIDC reports what is wrong with the shape of an IdP's OIDC settings beyond the
// required fields: the issuer must be an http(s) URL, https behind an https Roster. ValidateIdP
// calls it; it fetches nothing, so that IdPs can be set up before the issuer is reachable.
func (h *Handler) validateOIDC(s directory.OIDCSettings) []string {
	issuer := strings.TrimSpace(s.Issuer)
	if issuer == "" {
		return nil
	}
	u, err := url.Parse(issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return []string{"oidc: issuer " + quote(issuer) + " is not an http(s) URL without query or fragment"}
	}
	if h.secure && u.Scheme != "https" {
		return []string{"oidc: issuer " + quote(issuer) + " must be an https URL"}
	}
	return nil
}

// ValidateOIDCDiscovery fetches the discovery document of an OIDC IdP's issuer and reports, in
// words an administrator can act on, why sign-in could not use it: unreachable, not an OpenID
// provider, an issuer spelled differently from the one it publishes, or missing endpoints.
// nil means discovery answers. It is separate from ValidateIdP so that the caller chooses
// whether an IdP may be saved while its issuer is unreachable.
func (h *Handler) ValidateOIDCDiscovery(ctx context.Context, p directory.IdP) []string {
	if p.Protocol != directory.ProtocolOIDC {
		return nil
	}
	if problems := h.validateOIDC(p.OIDC); len(problems) > 0 {
		return problems
	}
	issuer := strings.TrimSpace(p.OIDC.Issuer)
	if issuer == "" {
		return []string{"oidc: issuer is required"}
	}
	// The discovery library quotes an error answer's body in its error; the observation
	// describes the failure without it, so the API never shows what the issuer's URL answered.
	ctx, seen := outbound.Observe(ctx)
	if _, err := h.discover(ctx, issuer); err != nil {
		var mismatch *oidc.IssuerMismatchError
		if errors.As(err, &mismatch) {
			return []string{"oidc: the discovery document of " + quote(issuer) + " names the issuer " +
				quote(mismatch.Discovered) + "; set issuer to exactly that"}
		}
		if reason, ok := seen.Explain(err); ok {
			return []string{"oidc: OIDC discovery of " + quote(issuer) + ": " + reason}
		}
		return []string{"oidc: " + err.Error()}
	}
	return nil
}

// randomToken is 32 random bytes, base64url: states, nonces and browser bindings.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// validRandom reports whether s looks like a randomToken, so that a cookie of another shape
// is replaced rather than trusted as a binding.
func validRandom(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == 32
}

func hashToken(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// oidcRefusalReason says in plain words why oidcIdentity refused a sign-in: its errors begin
// with Roster's own words for the check that failed, before the library's.
func oidcRefusalReason(err error) string {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "redeeming the code"):
		return "the IdP did not redeem the sign-in's code"
	case strings.HasPrefix(msg, "verifying the ID token"):
		return "the ID token did not verify (signature, issuer, audience or expiry)"
	case strings.HasPrefix(msg, "reading userinfo"):
		return "the IdP's userinfo could not be read"
	}
	head, _, _ := strings.Cut(msg, ": ")
	return "the OIDC sign-in was refused: " + head
}
