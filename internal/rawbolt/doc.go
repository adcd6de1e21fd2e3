// Package rawbolt is the physical baseline of the embedded store for benchmarks: raw bbolt
// transactions on a file laid out like Roster's (storage/bolt.Buckets) that put exactly the
// keys and values a Roster operation puts (storage/bolt.CreateWrites) and nothing else — no
// HTTP, no JSON decoding, no rules, no reads. A benchmark of an operation divides its rate by
// this one's, measured in the same run (internal/benchgoal).
//
// Invariants:
//   - Commit is one bbolt transaction with bbolt's own fsync, as durable as a Roster write.
//   - Grouped shares transactions among concurrent callers with bbolt's Batch, sized to the
//     number of callers, so that the baseline of a concurrent benchmark is the best group
//     commit bbolt offers, not Roster's.
package rawbolt
