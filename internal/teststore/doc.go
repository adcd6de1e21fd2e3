// Package teststore gives tests a real store to work on and the directory.Service over it: a
// fresh bbolt file, or a fresh schema of the PostgreSQL database named by
// ROSTER_TEST_DATABASE_URL, with the bootstrap admin token in place, plus the reads that tests
// make of the result (a snapshot of users, groups and the event log, the events after a
// sequence number), and the stores of storage/testdata/v1, written before organizations,
// copied or loaded fresh for each test.
//
// It serves the tests of every package that needs a directory, including scim's own, which
// is why it does not import the HTTP assembly (internal/testserver builds on it for that).
//
// Invariants:
//   - Every store is real and fresh: a bbolt file in the test's temporary directory, or an
//     empty PostgreSQL schema dropped when the test ends, so tests may share the database.
//   - A PostgreSQL test without ROSTER_TEST_DATABASE_URL is skipped, saying how to run it;
//     it never passes without running.
//   - Nothing here is used outside tests; a dependency test keeps it so.
package teststore
