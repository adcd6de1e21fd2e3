// Package migrate copies a whole directory from one directory.Store to another — bbolt to
// PostgreSQL when a deployment outgrows one machine, or back — and proves the copy complete.
//
// Invariants:
//   - The destination must be empty — organization default, which every new store starts
//     with, aside; the source's replaces it. Copy refuses anything else, so a copy is never
//     merged into other data and events keep their sequence numbers.
//   - The source is read in one read transaction, in an order that writes referenced records
//     first (organizations, IdPs, tokens, users, then groups and tombstones, then events in
//     sequence).
//   - A copy is verified before Copy returns: counts and SHA-256 checksums of every kind of
//     record, computed while reading the source and again by reading the destination back,
//     must agree.
//   - The KV space is copied only between stores that implement KVLister, since the Store port
//     can neither list namespaces nor read expiries; skipping it is an explicit option.
package migrate
