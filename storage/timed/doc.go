// Package timed is a directory.Store decorator that reports how long each write transaction
// takes, commit included, and how it ended, to a function the caller gives: the metrics'
// store commit latency. It lives among the storage packages because only they and directory
// may name a write transaction (directory's seam test); cmd/roster and the test server wrap
// the store they open with it before directory.New, and server's Metrics.ObserveCommit is the
// function they give.
package timed
