// Package jit is Roster's single sign-on edge: it signs people in through their company's
// identity provider and provisions them just in time. It speaks SAML 2.0 as a service
// provider per IdP (on github.com/crewjam/saml) and OpenID Connect as a relying party per IdP
// (on github.com/coreos/go-oidc/v3: code flow with PKCE, state bound to the browser, nonce;
// oidc.go); both share the same Identity, session and page code.
//
// Routes: GET /sso/{idp}/saml/metadata, POST /sso/{idp}/saml/acs, GET /sso/{idp}/oidc/callback,
// GET /sso/{idp}/login (SAML or OIDC by the IdP's protocol), POST /sso/logout, GET /api/v1/me
// and GET /auth/verify (forward-auth for a reverse proxy), and GET /sso/discover (home-realm
// discovery: the sign-in of the organization that verified an email's domain, or one "no
// single sign-on" page for every other address; discover.go).
//
// A sign-in has a purpose (flows.go), chosen at /sso/{idp}/login and kept with its pending
// request or state: a person's sign-in; a test sign-in (?test=1, started only by a console
// session, a set-up session of the IdP's organization whose intent allows it, or a single-use
// ticket from the admin API), which shows every attribute received, the key Roster would use
// and where it came from, the rules' decision with its rule and the warnings, as a page or
// JSON, and stores nothing about the person; or a console sign-in (?console=1), which gives a
// console session cookie (internal/adminsession) to members of the organization's console
// groups. Presets carry each vendor's set-up guide (guides.go), and every sign-in explains
// its key (keysource.go).
//
// # Invariants
//
//   - Nothing is provisioned from an assertion that has not passed every check: signature by
//     the IdP's certificate (on the response or the assertion), issuer, audience, recipient
//     and destination, validity window with the configured clock skew, InResponseTo of a
//     request this Roster issued (SP-initiated) or an IdP that allows unsolicited responses,
//     and a single use of each assertion id. A response that fails any check changes no user;
//     at an IdP that exists it is one login.refused event with no rule, whose reason says in
//     plain words what was refused and whose detail keeps the library's message (at most 120
//     such events per IdP and minute in one process, so that posting garbage cannot flood the
//     log), and the person sees a generic page quoting that event's id.
//   - A sign-in started here — SP-initiated SAML and every OIDC login — can be finished only
//     by the browser that started it: the pending request records the hash of a binding
//     cookie, and a genuine response posted without that cookie is refused with an event
//     (binding.go). IdP-initiated SAML, which nothing binds, is off unless an IdP allows it.
//   - A sign-in of any purpose whose IdP asserted a value the directory's input policy refuses
//     is refused with a login.refused event (code invalid_input) that names the attribute,
//     never the value; a test sign-in reports the same refusal and stores nothing.
//   - Every state that must survive a restart or be shared by replicas lives in the store, never
//     in memory, kept through directory.Service operations made for it and never a
//     transaction of this package's own: the SP key and certificate (SPKeyPair), issued
//     AuthnRequest ids, the replay cache of assertion ids and OIDC login state (one-time keys),
//     sessions. A sign-in uses its one-time keys and starts its session in its own, single
//     transaction (Service.SignIn), so an assertion, a request and a login state are each used
//     once even by replicas racing, and a sign-in costs one commit.
//     Memory holds only caches of values derived from those (parsed IdP metadata, the parsed
//     SP key).
//   - SAML and OIDC both normalise to one Identity through the IdP's mapping and its preset
//     (Identity.Login); directory.Service alone decides what a login does (R1–R13), and every
//     outcome, refusals included, is one event written by it.
//   - A redirect after sign-in goes only to a relative path or to the base URL's origin, so the
//     sign-in endpoints cannot be used as an open redirect.
//   - A person never sees an internal cause: refusal pages say what happened in plain words and
//     quote the id of the refusal event as the reference.
//   - A test sign-in changes no user, identity or group, and its login.tested event holds no
//     key and no attribute value; a refused console sign-in provisions nobody.
//   - A fetch of an IdP's metadata URL that brings other signing certificates than the last
//     one is an idp.certificate_changed event, written once whatever the replicas.
package jit
