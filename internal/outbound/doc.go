// Package outbound is the policy for every HTTP request Roster makes on its own: fetching SAML
// metadata from an IdP's metadata URL, OpenID Connect discovery, JWKS and token requests, and
// webhook deliveries. Those destinations are typed in by administrators (or by whoever holds an
// admin or set-up credential), so without a policy they are a way to make the server reach
// what only the server can reach: its loopback interface, the cloud's metadata service on
// 169.254.169.254, the private network behind it.
//
// A Policy makes an *http.Client that enforces it. An AllowList, parsed from the server's
// --allow-outbound setting (ROSTER_ALLOW_OUTBOUND), names the CIDRs and host names that may be
// reached although they are not public; tests list their loopback servers there.
//
// # Invariants
//
//   - A destination is checked after name resolution, on the addresses the connection will
//     use: the dialer resolves the name, checks every address it got, and connects to a
//     checked address literally, so a second, different DNS answer (rebinding) never reaches
//     a socket. Every new connection is checked, so every redirect is too.
//   - Refused unless allowed: loopback, link-local, private (RFC 1918, fc00::/7), shared
//     (100.64.0.0/10), multicast, unspecified, broadcast, documentation, benchmarking and
//     reserved ranges, the IPv4-mapped (::ffff:a.b.c.d), NAT64 and 6to4 forms of any of them,
//     and names that resolve to any of them. A name on the allow-list may resolve to anything.
//   - A refused destination is refused before any connection is attempted to it.
//   - No proxy from the environment is used: a proxy would make the checked address the
//     proxy's, not the destination's.
//   - Redirects stay on the host of the first request (an upgrade from http to https on the
//     same host name is the one change allowed), and there are at most MaxRedirects of them.
//   - An answer's body is read through io.LimitReader: past MaxBodyBytes reading fails, and no
//     more than the limit is ever read into memory. The whole exchange is bounded by Timeout.
//   - Errors of this package name the problem and the setting that changes it; none carries
//     any part of an answer's body. Observation.Explain describes a failed exchange in the same
//     way for callers whose libraries fold bodies into their own errors.
package outbound
