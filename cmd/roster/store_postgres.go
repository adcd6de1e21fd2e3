package main

import (
	"context"
	"errors"
)

// openPostgres is replaced when the PostgreSQL backend lands.
func openPostgres(ctx context.Context, url string) (*openedStore, error) {
	return nil, errors.New("this build has no PostgreSQL backend; use --data for the embedded store")
}
