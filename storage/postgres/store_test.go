package postgres_test

import (
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/teststore"
	"github.com/rosterhq/roster/storage/postgres"
	"github.com/rosterhq/roster/storage/storagetest"
)

// TestStore runs the shared behaviour suite, each case on a fresh empty schema.
func TestStore(t *testing.T) {
	baseURL(t) // skips, with the reason, when no database is configured
	storagetest.Run(t, func(t *testing.T) directory.Store { return openFresh(t) })
}

// A database written before organizations (schema 1) opens, migrated, with everything in
// organization default.
func TestUpgradeV1(t *testing.T) {
	connURL := teststore.V1PostgresURL(t)
	conn := pgxConnect(t, connURL)
	var before int
	if err := conn.QueryRow(t.Context(), `SELECT max(version) FROM schema_migrations`).Scan(&before); err != nil || before != 1 {
		t.Fatalf("the loaded dump is at schema version %d (%v), want 1", before, err)
	}
	s := openAt(t, connURL)
	storagetest.UpgradedV1(t, s, teststore.V1AdminToken)
	var after int
	if err := conn.QueryRow(t.Context(), `SELECT max(version) FROM schema_migrations`).Scan(&after); err != nil || after != postgres.SchemaVersion() {
		t.Errorf("schema version after opening: %d (%v), want %d", after, err, postgres.SchemaVersion())
	}
}
