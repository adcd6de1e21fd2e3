package bolt_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/storage/bolt"
)

// TestCompact (issue 17, W3): a file that grew with data since deleted shrinks when compacted,
// keeps every live record (users, events, the KV entries still there), opens as a Roster store
// afterwards, and a file in use by a running store is refused untouched.
func TestCompact(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "roster.db")
	s, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 8<<10)
	if err := s.Update(ctx, func(tx directory.Tx) error {
		for i := range 2000 {
			if err := tx.PutKV("test", fmt.Sprint("k", i), []byte(big), time.Time{}); err != nil {
				return err
			}
		}
		for i := range 50 {
			u := directory.User{ID: fmt.Sprintf("u%02d", i), UserName: fmt.Sprintf("u%d@x.test", i), Owner: directory.OwnerAdmin}
			if err := tx.PutUser(u); err != nil {
				return err
			}
			if _, err := tx.AppendEvent(directory.Event{ID: u.ID, Type: directory.EventUserCreated, Subject: u.ID}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx directory.Tx) error {
		for i := range 1990 {
			if err := tx.DeleteKV("test", fmt.Sprint("k", i)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	if _, _, err := bolt.Compact(path); err == nil || !strings.Contains(err.Error(), "running Roster") {
		t.Errorf("compacting a file in use: %v, want a refusal saying to stop the server", err)
	}
	s.Close()

	before, after, err := bolt.Compact(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != after {
		t.Fatalf("the file after compacting: %v, %v; Compact said %d bytes", fi, err, after)
	}
	if after > before/4 {
		t.Errorf("compacted from %d to %d bytes; want the 16 MB of deleted entries reclaimed", before, after)
	}
	entries, err := filepath.Glob(filepath.Join(filepath.Dir(path), ".*compact*"))
	if err != nil || len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}

	s, err = bolt.Open(path)
	if err != nil {
		t.Fatalf("the compacted file does not open as a Roster store: %v", err)
	}
	defer s.Close()
	err = s.View(ctx, func(tx directory.ReadTx) error {
		n, err := tx.CountUsers("", "")
		if err != nil || n != 50 {
			return fmt.Errorf("%d users (%v), want 50", n, err)
		}
		if seq, err := tx.LastSeq(); err != nil || seq != 50 {
			return fmt.Errorf("last seq %d (%v), want 50", seq, err)
		}
		if u, err := tx.UserByUserName(directory.DefaultOrg, "u7@x.test"); err != nil || u.ID != "u07" {
			return fmt.Errorf("the userName index after compacting: %+v, %v", u, err)
		}
		kept := 0
		if err := tx.ScanKV("test", time.Now(), func(string, []byte) error { kept++; return nil }); err != nil {
			return err
		}
		if kept != 10 {
			return fmt.Errorf("%d KV entries, want the 10 not deleted", kept)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}
