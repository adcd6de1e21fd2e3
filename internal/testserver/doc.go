// Package testserver starts a whole Roster server for tests: server.New over a real store
// (internal/teststore: a bbolt file, or a PostgreSQL schema), served over HTTP on a loopback
// listener, with the bootstrap admin token, the server's log, and requests in the admin API's
// JSON. Replica starts another server over the same data, as a second replica behind a load
// balancer would be.
//
// The server, admin, jit and cmd tests and the conformance suite's in-process target (Open) use
// it, so each package's own harness holds only what is specific to it. Tests that need a
// directory without HTTP use internal/teststore directly.
//
// Invariants:
//   - The server is the one the roster binary serves (server.New), never a partial mount, so
//     tests see routing, middleware and every surface as deployed.
//   - The base URL is fixed before the first request is served: a handler never answers with
//     another base URL than the one tests and IdPs are given.
//   - Background workers stop, and the listener closes, before the store is closed.
//   - Nothing here is used outside tests; a dependency test keeps it so.
package testserver
