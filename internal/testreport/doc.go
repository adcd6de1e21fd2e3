// Command testreport turns the output of `go test -json` into what `make test` prints: one line
// per package as `go test` prints it without -v, the output of every failed test, and, at the
// end, every skipped test with the reason it gave — so that a suite that skips (PostgreSQL
// without a server, the browser test without Chromium) is seen, not counted as passing.
//
// Usage:
//
//	go test -json ./... | go run ./internal/testreport
//
// Invariants:
//   - It exits 1 when a test or a package failed, when a package did not build, or when the
//     input held no test result at all (go test could not start); else 0.
//   - Lines that are not JSON test events (go test's own complaints) are passed through.
package main
