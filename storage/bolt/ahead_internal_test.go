package bolt

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/rosterhq/roster/directory"
)

// firstHole returns where the first hole at or after off begins in the file at path.
func firstHole(t *testing.T, path string, off int64) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	at, err := f.Seek(off, seekHole)
	if err != nil {
		t.Skipf("the file system cannot report holes: %v", err)
	}
	return at
}

// mark is the store's high-water mark: bbolt's pages all lie below it.
func mark(t *testing.T, s *Store) int64 {
	t.Helper()
	var hwm int64
	if err := s.DB().View(func(tx *bbolt.Tx) error { hwm = tx.Size(); return nil }); err != nil {
		t.Fatal(err)
	}
	return hwm
}

func aheadUser(i int) directory.User {
	name := fmt.Sprintf("ahead-%06d@example.com", i)
	return directory.User{ID: fmt.Sprintf("ahead-%06d", i), UserName: name, Active: true, IdP: "okta",
		UniqueUserID: name, Emails: []directory.MultiValue{{Value: name, Primary: true}},
		Name: directory.Name{GivenName: "Ahead", FamilyName: string(bytes.Repeat([]byte("x"), 300))}}
}

// waitAhead waits until the file is written at least half of aheadOf past the mark, the point
// below which a commit wakes the goroutine; it fails after a minute.
func waitAhead(t *testing.T, s *Store, path string) (hwm, hole int64) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		hwm = mark(t, s)
		hole = firstHole(t, path, hwm)
		if hole >= hwm+aheadOf(hwm)/2 {
			return hwm, hole
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a minute the file is written only %d bytes past its mark of %d, want at least %d", hole-hwm, hwm, aheadOf(hwm)/2)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFileIsWrittenAheadOfItsPages grows a store through commits of the group-commit writer,
// one user each, and checks that the file past bbolt's high-water mark is written blocks, not
// the hole bbolt's ftruncate leaves, so that the commits' pages land in blocks that exist.
// Large transactions, which would gain less than the zeros cost, are left to bbolt's own
// growth, until small commits are the rule again. A backup is the data only, without what is
// written ahead.
func TestFileIsWrittenAheadOfItsPages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roster.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	ctx := context.Background()
	hwm, hole := waitAhead(t, s, path)
	t.Logf("new file: mark %d, written to %d", hwm, hole)

	// One user per transaction, through the writer, until the mark has passed what was written
	// at first.
	next := 0
	single := func(until int64) {
		t.Helper()
		for ; mark(t, s) < until; next++ {
			if err := s.Update(ctx, func(tx directory.Tx) error { return tx.PutUser(aheadUser(next)) }); err != nil {
				t.Fatal(err)
			}
		}
	}
	single(hole)
	hwm, hole = waitAhead(t, s, path)
	t.Logf("after single writes: mark %d, written to %d", hwm, hole)

	// Large transactions.
	for start := 100_000; mark(t, s) < 8<<20; start += 2000 {
		if err := s.UpdateUnbatched(ctx, func(tx directory.Tx) error {
			for i := start; i < start+2000; i++ {
				if err := tx.PutUser(aheadUser(i)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if g := s.ahead.growth.Load(); g <= aheadSmallGrowth {
		t.Fatalf("after commits of 2,000 users each, a commit grows the store by %d bytes on average, no more than the %d of small ones", g, aheadSmallGrowth)
	}
	if at := mark(t, s); s.ahead.written.Load() > at {
		t.Errorf("after large commits the file is written to %d, past its mark of %d: zeros were written for them", s.ahead.written.Load(), at)
	}

	// Small commits again: once they are the rule, the file is written ahead again.
	for s.ahead.growth.Load() > aheadSmallGrowth {
		single(mark(t, s) + 1)
	}
	single(mark(t, s) + 1)
	hwm, hole = waitAhead(t, s, path)
	if hole-hwm > aheadOf(hwm)+aheadPiece {
		t.Errorf("the file is written %d bytes past its mark, more than the %d at most", hole-hwm, aheadOf(hwm)+aheadPiece)
	}
	t.Logf("after large writes and single ones again: mark %d, written to %d", hwm, hole)

	var backup bytes.Buffer
	if _, err := s.WriteTo(&backup); err != nil {
		t.Fatal(err)
	}
	if got := int64(backup.Len()); got != mark(t, s) {
		t.Errorf("a backup is %d bytes, want the %d below the mark", got, mark(t, s))
	}

	// Opened again, the file is written far enough already: no zeros are written again.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	waitAhead(t, s, path)
	for deadline := time.Now().Add(time.Minute); s.ahead.written.Load() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("after a minute the reopened store has not looked past its mark")
		}
	}
	if n := s.ahead.filled.Load(); n != 0 {
		t.Errorf("the reopened store wrote %d bytes of zeros where an earlier run had written them", n)
	}
}

// TestWritingAheadKeepsEveryCommit writes from many goroutines while the file is written ahead
// between their commits (by the store's goroutine, and by this test's, whatever the commits'
// size), then opens the file again: bbolt finds it consistent and every user is there.
func TestWritingAheadKeepsEveryCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roster.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const writers, each = 8, 400
	var wg sync.WaitGroup
	filling := make(chan struct{})
	var filler sync.WaitGroup
	filler.Go(func() {
		for {
			select {
			case <-filling:
				return
			default:
			}
			if err := s.fillAhead(); err != nil {
				t.Error(err)
				return
			}
		}
	})
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := s.Update(ctx, func(tx directory.Tx) error { return tx.PutUser(aheadUser(w*each + i)) }); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(filling)
	filler.Wait()
	if hwm := mark(t, s); firstHole(t, path, hwm) < hwm+aheadOf(hwm)/2 {
		t.Errorf("the file is not written ahead of its mark of %d", hwm)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.DB().View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	}); err != nil {
		t.Fatalf("the file opened again is inconsistent: %v", err)
	}
	if err := s.View(ctx, func(tx directory.ReadTx) error {
		for i := range writers * each {
			u, err := tx.User(aheadUser(i).ID)
			if err != nil {
				return fmt.Errorf("user %d: %w", i, err)
			}
			if u.UserName != aheadUser(i).UserName {
				return fmt.Errorf("user %d reads as %q", i, u.UserName)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
