// Package adminsession is the browser side of the two sessions that act on the admin surface
// without a bearer token: a console session (a person signed in to the console through their
// organization's IdP; jit starts it) and a set-up session (a set-up link opened; admin starts
// it). Both the admin API, which takes either as a credential, and the sign-in edge, which
// lets either start a test sign-in, read them here, so that the cookies' names, attributes and
// the check of cross-site writes are written once.
//
// Invariants:
//   - A cookie holds only a session's secret; the store keeps its hash, and
//     directory.Service (ConsolePrincipal, SetupPrincipal) decides on every request whether
//     the session still lives (R6 for console sessions, the link's expiry and revocation for
//     set-up sessions).
//   - The cookies are HttpOnly, SameSite=Strict, Path=/, and Secure when the base URL is https.
//   - A write authenticated by a cookie must carry the WriteHeader, which no cross-site form
//     can send and no cross-origin script can send without a CORS preflight Roster never
//     grants; a browser that says the request is cross-site is refused as well.
package adminsession
