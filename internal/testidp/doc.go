// Package testidp is the identity-provider side of Roster's tests: one SAML 2.0 identity
// provider (crewjam/saml's IdentityProvider), one OpenID provider (discovery, JWKS, code flow
// with PKCE, userinfo, on go-jose), and a browser that walks a person through both. The jit
// tests and the black-box conformance suite use the same ones.
//
// They stand in for the vendors' identity providers (Entra ID, Okta, PingOne, Google,
// Keycloak), none of which can run here, and they are real in everything Roster sees: each
// serves over HTTP on its own httptest listener, signs with its own RSA key, and checks what
// a real provider checks (registered clients and redirect URIs, single-use codes, PKCE S256,
// client authentication, bearer access tokens). Whom they sign in is set by the test, as if the
// person had typed a password.
//
// Invariants:
//   - The package imports nothing of Roster: the conformance suite, which knows a server only by
//     its base URL and tokens, uses it against any server.
//   - Nothing here is used outside tests; a dependency test keeps it so.
//   - The keys are generated once per test binary (RSA generation would otherwise dominate
//     the tests' time) and never leave the process.
//   - A provider misbehaves only when a test says so (OP.SetFaults), so that an attack test's
//     refusal is due to its attack. SAML.SetEncrypt(false) sends assertions in the clear, for
//     tests that edit them.
package testidp
