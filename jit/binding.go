package jit

import (
	"crypto/subtle"
	"net/http"
	"time"
)

// A browser binding ties a started sign-in to the browser that started it. The start sets a
// cookie holding a random value and records only that value's hash with the pending sign-in
// (the SAML request id, the OIDC state); the end requires the cookie whose hash matches. A
// response or code obtained in one browser therefore cannot finish a sign-in in another, which
// is what stops login CSRF: an attacker signing a victim's browser into the attacker's account.
//
// One value serves every sign-in the browser has under way, so that two tabs signing in at
// once do not overwrite each other's binding.

const (
	// oidcBindingCookie binds OIDC logins. SameSite=Lax: the IdP's redirect back is a
	// top-level GET, which carries Lax cookies.
	oidcBindingCookie = "roster_oidc_binding"

	// samlBindingCookie binds SP-initiated SAML sign-ins. The IdP answers with a cross-site
	// form POST to the ACS, which carries only SameSite=None cookies, and browsers take those
	// only when Secure: behind an https base URL the cookie is SameSite=None; Secure. Behind
	// plain http it has no SameSite attribute, which browsers that default to Lax still send on
	// a top-level POST shortly after the cookie was set (Chrome: two minutes), so sign-in over
	// plain http works only when the person is quick at the IdP. Production runs on https.
	samlBindingCookie = "roster_saml_binding"
)

// bindBrowser returns the browser's binding value, reusing the one its cookie holds or making
// a new one, and (re)sets the cookie so that it outlives the sign-in being started by ttl.
func (h *Handler) bindBrowser(w http.ResponseWriter, r *http.Request, name string, ttl time.Duration, sameSite http.SameSite) string {
	binding := ""
	if c, err := r.Cookie(name); err == nil && validRandom(c.Value) {
		binding = c.Value
	} else {
		binding = randomToken()
	}
	http.SetCookie(w, &http.Cookie{
		Name:     name,
		Value:    binding,
		Path:     "/sso/",
		MaxAge:   int(ttl / time.Second),
		HttpOnly: true,
		Secure:   h.secure,
		SameSite: sameSite,
	})
	return binding
}

// samlSameSite is the SameSite mode of the SAML binding cookie (see samlBindingCookie).
func (h *Handler) samlSameSite() http.SameSite {
	if h.secure {
		return http.SameSiteNoneMode
	}
	return http.SameSiteDefaultMode
}

// boundBrowser reports whether the request carries the binding cookie whose hash is recorded.
// A record without a hash (written before sign-ins were bound) binds no browser.
func boundBrowser(r *http.Request, name, recorded string) bool {
	c, err := r.Cookie(name)
	if err != nil || c.Value == "" || recorded == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(hashToken(c.Value)), []byte(recorded)) == 1
}
