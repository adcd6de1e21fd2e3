// Package dnscheck looks up the DNS TXT record that proves an organization controls an email
// domain (DESIGN, "Version 2": POST /orgs/{org}/domains/{domain}/verify), and says in words
// what it found when the proof is missing.
//
// Queries go to the system resolver, or to the one server named by --dns-resolver host:port
// (ROSTER_DNS_RESOLVER), over UDP with TCP for truncated answers, using Go's own resolver so
// that both paths behave alike.
//
// Invariants:
//   - The record's name is looked up as a fully qualified name (with the trailing dot), so a
//     resolver's search list can never turn it into another name.
//   - A look-up is bounded in time (Timeout), and what it reports back is bounded in size: at
//     most maxShown values of at most maxValueShown bytes each.
//   - "No such record" and "the look-up failed" are different answers: the first is a fact
//     about the domain (a Result that is not verified), the second is an error, so that a
//     resolver that is down is never reported as a missing record.
package dnscheck
