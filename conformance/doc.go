// Package conformance is a black-box protocol suite: it knows only a base URL and tokens, so it
// can be pointed at any SCIM server, Roster's included. Server-generated fields (ids, times,
// versions) are matched by shape, not by value.
//
// Run against a running server:
//
//	go test ./conformance -args -base-url=https://roster.example.com -token=<SCIM token> -admin-token=<admin token>
//
// Without -base-url the suite starts an in-process Roster on a temporary bbolt file, registers
// an IdP in mode both and issues a SCIM token for it.
package conformance
