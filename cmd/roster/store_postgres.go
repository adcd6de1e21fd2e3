package main

import (
	"context"

	"github.com/rosterhq/roster/storage/postgres"
)

// openPostgres opens the PostgreSQL store named by a postgres:// URL, applying migrations.
func openPostgres(ctx context.Context, url string) (*openedStore, error) {
	s, err := postgres.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	return &openedStore{Store: s, ping: s.Ping, desc: "postgres"}, nil
}
