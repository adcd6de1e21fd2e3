package bolt

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/rosterhq/roster/directory"
)

// Calls that arrive while a transaction runs do not join it: they share the next one. Here a
// first call holds its transaction open while three more arrive; the first commits alone and
// the three commit together, in one more transaction (two commits in all, where gathering
// late-comers made one and no grouping would make four), and every call's write is there.
func TestLateCallsShareTheNextTransaction(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	lastTx := func() int {
		var id int
		if err := s.DB().View(func(tx *bbolt.Tx) error { id = tx.ID(); return nil }); err != nil {
			t.Fatal(err)
		}
		return id
	}
	put := func(key string) func(tx directory.Tx) error {
		return func(tx directory.Tx) error { return tx.PutKV("test", key, []byte("v"), time.Time{}) }
	}
	before := lastTx()

	entered, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := s.Update(ctx, func(tx directory.Tx) error {
			close(entered)
			<-release
			return put("first")(tx)
		}); err != nil {
			t.Error(err)
		}
	})
	<-entered
	for _, k := range []string{"a", "b", "c"} {
		wg.Go(func() {
			if err := s.Update(ctx, put(k)); err != nil {
				t.Error(err)
			}
		})
	}
	for len(s.calls) < 3 { // the three calls reach the queue while the first one runs
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()

	if got := lastTx() - before; got != 2 {
		t.Errorf("four calls, three of them late, took %d transactions; want 2", got)
	}
	if err := s.View(ctx, func(tx directory.ReadTx) error {
		for _, k := range []string{"first", "a", "b", "c"} {
			if _, err := tx.KV("test", k, time.Now()); err != nil {
				t.Errorf("the write of call %s: %v", k, err)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
