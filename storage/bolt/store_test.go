package bolt_test

import (
	"path/filepath"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/teststore"
	"github.com/rosterhq/roster/storage/bolt"
	"github.com/rosterhq/roster/storage/storagetest"
)

func TestStore(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) directory.Store {
		s, err := bolt.Open(filepath.Join(t.TempDir(), "roster.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// A bbolt file written before organizations (format 1) opens with everything in organization
// default; opened again, the upgraded file is as it was left.
func TestUpgradeV1(t *testing.T) {
	path := teststore.V1BoltFile(t)
	s, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	storagetest.UpgradedV1(t, s, teststore.V1AdminToken)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := bolt.Open(path)
	if err != nil {
		t.Fatalf("reopening the upgraded file: %v", err)
	}
	defer again.Close()
	err = again.View(t.Context(), func(tx directory.ReadTx) error {
		if n, err := tx.CountUsers("acme", ""); err != nil || n != 1 {
			t.Errorf("after reopening, acme has %d users (%v); want the one written after the upgrade", n, err)
		}
		evs, err := tx.Events(0, 100)
		if err != nil || len(evs) != 18 || evs[0].Org != directory.DefaultOrg || evs[17].Org != "" {
			t.Errorf("after reopening: %d events (%v), want 18, the first 17 in default and the last in none", len(evs), err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
