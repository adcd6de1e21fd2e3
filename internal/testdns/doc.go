// Package testdns runs a real DNS server on a loopback UDP port for tests: it answers TXT
// questions from records the test publishes and changes while it runs, NXDOMAIN for names it
// has none of, and an empty answer for other types of a known name. Roster's domain
// verification (internal/dnscheck, and the admin API through it) is tested against it over
// the network, with the same resolver code that queries a real server.
//
// Invariants:
//   - It listens on 127.0.0.1 only and stops when the test ends.
//   - Names are compared case-insensitively and without the trailing dot.
//   - Nothing here is used outside tests; a dependency test keeps it so.
package testdns
