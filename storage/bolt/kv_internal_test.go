package bolt

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/rosterhq/roster/directory"
)

// A purge looks at a slice of the entries per write transaction and goes on where the last
// one stopped, so that no transaction reads every entry while other writers wait: here 40
// entries a transaction, over 1,000 entries of which every seventh has expired. The pass
// deletes every expired entry and no live one, in more than 1,000/40 transactions; the next
// pass starts from the first entry again and finds what expired since.
func TestPurgeGoesOnWhereItStopped(t *testing.T) {
	defer func(v int) { purgeVisits = v }(purgeVisits)
	purgeVisits = 40
	s := openTemp(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	key := func(i int) string { return fmt.Sprintf("%04d", (i*7919)%1000) } // spread over the bucket
	if err := s.Update(ctx, func(tx directory.Tx) error {
		for i := range 1000 {
			expires := now.Add(time.Hour)
			if i%7 == 0 {
				expires = now.Add(-time.Minute)
			}
			if err := tx.PutKV("session", key(i), []byte("x"), expires); err != nil {
				return err
			}
		}
		return tx.PutKV("settings", "kept", []byte("forever"), time.Time{})
	}); err != nil {
		t.Fatal(err)
	}
	pass := func(at time.Time) (purged, calls int) {
		for more := true; more; calls++ {
			if calls == 1000 {
				t.Fatalf("a pass did not end after %d transactions", calls)
			}
			if err := s.Update(ctx, func(tx directory.Tx) error {
				n, m, err := tx.PurgeKV(at, 1000)
				purged, more = purged+n, m
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		return purged, calls
	}
	live := func(at time.Time) (n int) {
		if err := s.View(ctx, func(tx directory.ReadTx) error {
			return tx.ScanKV("session", at, func(string, []byte) error { n++; return nil })
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	purged, calls := pass(now)
	if purged != 143 || calls <= 1000/40 || live(now) != 857 {
		t.Errorf("a pass purged %d in %d transactions and left %d live, want 143, more than 25, 857", purged, calls, live(now))
	}
	later := now.Add(2 * time.Hour)
	if purged, _ := pass(later); purged != 857 {
		t.Errorf("the next pass, when the rest had expired, purged %d, want 857", purged)
	}
	if err := s.View(ctx, func(tx directory.ReadTx) error {
		_, err := tx.KV("settings", "kept", later)
		return err
	}); err != nil {
		t.Errorf("an entry without expiry after two passes: %v", err)
	}
}

// openTemp opens a store on a fresh file in the test's directory, closed when the test ends.
func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// The event log only grows at its end, so its pages are filled before they split: one event
// appended per transaction, as writes append them, leaves the log's pages more than half used
// (bbolt's default split leaves them at about 40% for events of some 800 bytes) and the
// organization index's nearly full (50% by default).
func TestEventPagesAreFilled(t *testing.T) {
	s := openTemp(t)
	s.db.NoSync = true // the layout is what is measured, not the disk
	u := directory.User{ID: "u", UserName: strings.Repeat("x", 40), DisplayName: strings.Repeat("d", 300)}
	for range 3000 {
		if err := s.Update(context.Background(), func(tx directory.Tx) error {
			_, err := tx.AppendEvent(directory.Event{ID: "e", Type: directory.EventUserCreated, Org: "default", Time: time.Now(), User: &u})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.db.View(func(btx *bbolt.Tx) error {
		for _, c := range []struct {
			bucket []byte
			least  float64
		}{{bEvents, 0.55}, {bEventsByOrg, 0.9}} {
			st := btx.Bucket(c.bucket).Stats()
			if used := float64(st.LeafInuse) / float64(st.LeafAlloc); used < c.least {
				t.Errorf("%s: %d pages, %.0f%% used; want at least %.0f%%", c.bucket, st.LeafPageN, 100*used, 100*c.least)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
