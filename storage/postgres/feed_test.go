package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/storage/postgres"
)

// The event feed as readers see it while 32 writers commit on two replicas at once: every
// reader, on either replica, reads the log from the start in small pages, again and again, and
// checks that each event it reads is the one after the last it read — no number skipped, none
// repeated, none out of order — and, at the end, that it has read every committed event and no
// event of a rolled-back transaction. Some writers roll back after appending, so that the
// events' arrival order has holes that numbering must not turn into gaps.
func TestFeedStaysGapFreeForReadersWhileReplicasWrite(t *testing.T) {
	connURL := freshSchema(t)
	replicas := []*postgres.Store{openAt(t, connURL), openAt(t, connURL)}
	const writers, each = 32, 12
	ctx := context.Background()
	errRollBack := errors.New("rolled back on purpose")

	var committed sync.Map // event id → true, for every event of a committed transaction
	var writing atomic.Int32
	writing.Store(writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			defer writing.Add(-1)
			store := replicas[w%2]
			for i := range each {
				id := fmt.Sprintf("w%02d-%02d", w, i)
				rollBack := i%5 == 4
				err := store.Update(ctx, func(tx directory.Tx) error {
					if err := tx.PutUser(testUser(id, id, "okta", id)); err != nil {
						return err
					}
					// Two events per transaction: they must stay in their order.
					for k := range 2 {
						if _, err := tx.AppendEvent(directory.Event{ID: fmt.Sprintf("%s/%d", id, k), Type: directory.EventUserCreated, Time: t0, Subject: id}); err != nil {
							return err
						}
					}
					if rollBack {
						return errRollBack
					}
					return nil
				})
				switch {
				case rollBack && errors.Is(err, errRollBack):
				case err != nil:
					t.Errorf("writer %d: %v", w, err)
				default:
					committed.Store(id+"/0", true)
					committed.Store(id+"/1", true)
				}
			}
		})
	}

	// Readers start before the writers have made anything and stop once they are done.
	type reader struct {
		seen  []string
		reads int
	}
	readers := make([]*reader, 4)
	var rg sync.WaitGroup
	for r := range readers {
		rd := &reader{}
		readers[r] = rd
		rg.Go(func() {
			store := replicas[r%2]
			var last uint64
			for {
				done := writing.Load() == 0
				var page []directory.Event
				err := store.View(ctx, func(tx directory.ReadTx) error {
					var err error
					page, err = tx.Events(last, 7)
					return err
				})
				if err != nil {
					t.Errorf("reader %d: %v", r, err)
					return
				}
				rd.reads++
				for _, e := range page {
					if e.Seq != last+1 {
						t.Errorf("reader %d read seq %d right after %d: a number was skipped or came out of order", r, e.Seq, last)
						return
					}
					last = e.Seq
					rd.seen = append(rd.seen, e.ID)
				}
				if done && len(page) == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	rg.Wait()

	want := 0
	committed.Range(func(any, any) bool { want++; return true })
	if perWriter := each - each/5; want != writers*perWriter*2 {
		t.Fatalf("%d events committed, want %d", want, writers*perWriter*2)
	}
	for r, rd := range readers {
		if len(rd.seen) != want {
			t.Errorf("reader %d read %d events in %d reads, want every one of the %d committed", r, len(rd.seen), rd.reads, want)
		}
		pos := map[string]int{}
		for i, id := range rd.seen {
			if _, ok := committed.Load(id); !ok {
				t.Errorf("reader %d read event %s, which no committed transaction wrote", r, id)
			}
			if _, dup := pos[id]; dup {
				t.Errorf("reader %d read event %s twice", r, id)
			}
			pos[id] = i
		}
		for id, i := range pos {
			if id[len(id)-1] == '0' {
				if j, ok := pos[id[:len(id)-1]+"1"]; !ok || j != i+1 {
					t.Errorf("reader %d: the two events of one transaction are at %d and %d, want one after the other", r, i, j)
				}
			}
		}
		if rd.reads < 10 {
			t.Errorf("reader %d read only %d times: it did not read while the writers wrote", r, rd.reads)
		}
	}
}

// A replica hears of the events another replica's writers commit without polling: OnEvents
// is called on replica B after a write on replica A.
func TestReplicaHearsAnotherReplicasEvents(t *testing.T) {
	connURL := freshSchema(t)
	a, b := openAt(t, connURL), openAt(t, connURL)
	heard := make(chan struct{}, 100)
	b.OnEvents(func() {
		select {
		case heard <- struct{}{}:
		default:
		}
	})
	// The listener announces itself once it listens; wait for that before writing.
	select {
	case <-heard:
	case <-time.After(10 * time.Second):
		t.Fatal("replica B never started listening")
	}
	err := a.Update(context.Background(), func(tx directory.Tx) error {
		_, err := tx.AppendEvent(directory.Event{ID: "e1", Type: directory.EventUserCreated, Time: t0})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-heard:
	case <-time.After(10 * time.Second):
		t.Fatal("replica B was not told of replica A's event")
	}
	err = b.View(context.Background(), func(tx directory.ReadTx) error {
		evs, err := tx.Events(0, 10)
		if err != nil || len(evs) != 1 || evs[0].ID != "e1" || evs[0].Seq != 1 {
			t.Errorf("replica B reads %+v, %v; want e1 as event 1", evs, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
