// Command benchreport turns the output of `go test -bench -json` into what `make bench`
// prints: the benchmarks' output as `go test` prints it, then one table of the performance
// goals of issue 16, each with the ratio its benchmark measured in this run and the goal
// beside it.
//
// Usage:
//
//	go test -run '^$' -bench . -json ./... | go run ./internal/benchreport
//
// Invariants:
//   - Every figure in the table is a metric a benchmark reported in this run; a goal whose
//     benchmark did not run (PostgreSQL without a server, the scale benchmark without
//     ROSTER_BENCH_SCALE) says so instead of a figure.
//   - The goals, their benchmarks and their targets are the table goals in main.go, and
//     nowhere else.
//   - It exits 1 when a package failed or did not build, else 0: a goal not met is a finding
//     for the table, not a failure of the run.
package main
