package timed_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/storage/bolt"
	"github.com/rosterhq/roster/storage/timed"
)

// TestUpdateIsTimed: every write transaction of a real bbolt store is reported once, with its
// error; reads are not.
func TestUpdateIsTimed(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var seen []error
	var total time.Duration
	s := timed.New(st, func(d time.Duration, err error) { seen = append(seen, err); total += d })
	svc := directory.New(s)
	if _, err := svc.CreateIdP(t.Context(), "admin:test", directory.IdP{ID: "okta", Protocol: directory.ProtocolSAML}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateIdP(t.Context(), "admin:test", directory.IdP{ID: "okta", Protocol: directory.ProtocolSAML}); !errors.Is(err, directory.ErrConflict) {
		t.Fatalf("a second IdP okta: %v", err)
	}
	if _, err := svc.IdPs(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || seen[0] != nil || !errors.Is(seen[1], directory.ErrConflict) || total <= 0 {
		t.Errorf("observed %v in %s, want a success and a conflict", seen, total)
	}
}
