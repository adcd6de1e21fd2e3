package postgres_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/storage/postgres"
)

// A database at schema 3 (the refold, as the release before event numbering left it), whose
// events were numbered by the counter row while their transactions ran, opens migrated by
// 0004_event_numbering: its events keep their numbers and the next event continues the log
// without a gap.
func TestUpgradeFromSchema3(t *testing.T) {
	connURL := freshSchema(t)
	admin(t, connURL, `CREATE TABLE schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`)
	for v, name := range []string{"0001_init.sql", "0002_organizations.sql", "0003_refold.sql"} {
		body, err := os.ReadFile(filepath.Join("migrations", name))
		if err != nil {
			t.Fatal(err)
		}
		admin(t, connURL, string(body))
		admin(t, connURL, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, v+1, name)
	}
	// What a writer of schema 3 ran for each event: the next number of the counter row, in the
	// writing transaction.
	const appendAtSchema3 = `
WITH next AS (
	UPDATE event_seq SET seq = seq + 1 RETURNING seq
)
INSERT INTO events (seq, time, type, doc, org)
SELECT next.seq, $1, $2, jsonb_set($3::jsonb, '{seq}', to_jsonb(next.seq)), $4 FROM next`
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for i := range 3 {
		e := directory.Event{ID: fmt.Sprintf("old-%d", i+1), Type: directory.EventTokenCreated, Time: t0.Add(time.Duration(i) * time.Second), Org: directory.DefaultOrg}
		doc, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		admin(t, connURL, appendAtSchema3, e.Time, e.Type, string(doc), e.Org)
	}

	s := openAt(t, connURL)
	var version int
	if err := pgxConnect(t, connURL).QueryRow(t.Context(), `SELECT max(version) FROM schema_migrations`).Scan(&version); err != nil || version != postgres.SchemaVersion() || version != 5 {
		t.Fatalf("schema version after opening: %d (%v), want 5, this binary's %d", version, err, postgres.SchemaVersion())
	}
	if err := s.Update(t.Context(), func(tx directory.Tx) error {
		_, err := tx.AppendEvent(directory.Event{ID: "new-4", Type: directory.EventTokenCreated, Time: t0.Add(time.Minute), Org: directory.DefaultOrg})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := s.View(t.Context(), func(tx directory.ReadTx) error {
		evs, err := tx.Events(0, 10)
		for _, e := range evs {
			got = append(got, fmt.Sprintf("%d:%s", e.Seq, e.ID))
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"1:old-1", "2:old-2", "3:old-3", "4:new-4"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events after the upgrade: %v, want %v", got, want)
	}
}
