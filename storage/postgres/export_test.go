package postgres

import (
	"context"
	"log/slog"
)

// The statements that read a group's members, for the plan test (plans_test.go).
var GroupReads = map[string]string{
	"selectGroup":    selectGroup,
	"membersOfGroup": membersOfGroup,
	"groupHead":      groupHead,
}

// StopKeepingStats stops the store's own analysis of its tables, so that a test can run it
// when it chooses with AnalyzeStale.
func (s *Store) StopKeepingStats() { s.stats.close() }

// AnalyzeStale runs one look of the statistics keeper and returns the tables it analyzed.
func (s *Store) AnalyzeStale(ctx context.Context) ([]string, error) { return s.stats.analyze(ctx) }

// StatsReporter is the keeper's report of its looks' outcomes, to log, for the report test:
// each call reports one look (looked false: another replica's turn).
func StatsReporter(log *slog.Logger) func(analyzed []string, looked bool, err error) {
	k := &statsKeeper{}
	k.log.Store(log)
	var last failureReport
	return func(analyzed []string, looked bool, err error) { k.report(analyzed, looked, err, &last) }
}
