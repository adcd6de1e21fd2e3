package bolt_test

import (
	"path/filepath"
	"testing"

	"github.com/rosterhq/roster/directory"
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
