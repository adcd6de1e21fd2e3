package main

import (
	"context"
	"log/slog"

	"github.com/rosterhq/roster/storage/postgres"
)

// openPostgres opens the PostgreSQL store named by a postgres:// URL, applying migrations.
func openPostgres(ctx context.Context, url string, log *slog.Logger) (*openedStore, error) {
	s, err := postgres.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	s.LogTo(log)
	return &openedStore{Store: s, ping: s.Ping, desc: "postgres"}, nil
}
