package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rosterhq/roster/storage/bolt"
)

// TestCompactCommand: roster compact --data compacts a stopped server's file and says by how
// much; without --data it is a usage error, and a file in use is refused.
func TestCompactCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roster.db")
	s, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := runCompact(context.Background(), []string{"--data", path}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "stop it first") {
		t.Errorf("compacting a file in use: exit %d, %q", code, errOut.String())
	}
	s.Close()
	out.Reset()
	if code := runCompact(context.Background(), []string{"--data", path}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "compacted "+path) {
		t.Errorf("roster compact: exit %d, %q %q", code, out.String(), errOut.String())
	}
	if code := runCompact(context.Background(), nil, &out, &errOut); code != 2 {
		t.Errorf("roster compact without --data: exit %d, want 2", code)
	}
}
