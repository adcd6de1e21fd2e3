package postgres_test

import (
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/storage/storagetest"
)

// TestStore runs the shared behaviour suite, each case on a fresh empty schema.
func TestStore(t *testing.T) {
	baseURL(t) // skips, with the reason, when no database is configured
	storagetest.Run(t, func(t *testing.T) directory.Store { return openFresh(t) })
}
