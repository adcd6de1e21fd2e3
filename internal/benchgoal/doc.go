// Package benchgoal is how Roster's benchmarks measure a figure against a baseline of the same
// run: the work under test and the baseline it is judged by (a raw bbolt transaction, bare
// signature verification, the first page of a list…) run alternately, in rounds, and the
// figure is the median of the rounds' ratios. A machine whose load changes while the benchmark
// runs — other processes, a busy disk — then weighs on both sides of each ratio alike, instead
// of on whichever ran during the busy minute.
//
// Benchmarks report the ratio as a metric (testing.B.ReportMetric) under a unit that names the
// baseline, such as "x-raw" or "x-verify"; internal/benchreport collects those metrics into the
// table of goals that make bench prints.
//
// Invariants:
//   - Rounds alternate their order (baseline first, then subject first, …), so that neither
//     side always runs on a cache or disk the other just warmed or cooled.
//   - Every figure is a ratio of two measurements of one round, or a quantile of samples; no
//     absolute time is compared with a constant here.
package benchgoal
