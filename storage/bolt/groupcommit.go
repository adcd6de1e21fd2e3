package bolt

import (
	"errors"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/rosterhq/roster/directory"
)

// Group commit. bbolt's own Batch waits up to MaxBatchDelay (10 ms) for companions even when a
// writer is alone, which would cap a lone writer at about a hundred commits a second. Instead
// one writer goroutine takes whatever calls are waiting — one when idle, many under load — and
// runs them in a single transaction with a single fsync. No call waits for a companion.
//
// While the writer runs a transaction's functions, more calls arrive; it runs those in the same
// transaction too, before committing, as long as they keep coming (up to maxBatch calls). Under
// load the writers then split into two cohorts — the calls of one commit, which go back to
// their clients, and the calls that arrived during that commit — and each commit carries only
// one of them. So when the previous commit carried several calls (concurrent writers, not one
// writer in a loop) and fewer have arrived than the two cohorts held, the writer lingers for
// the returning ones, at most half as long as the last commit took (and 2 ms), before it
// commits: the commit then carries both, and the fsync, the commit's cost, is shared by twice
// as many calls. A lone writer never lingers.

type call struct {
	fn   func(tx directory.Tx) error
	done chan error
}

// maxBatch bounds the calls of one transaction, and so the wait of the first of them.
const maxBatch = 1000

// maxLinger bounds the wait for returning writers before a commit, and maxLingerBackoff the
// commits that go without lingering after lingers that gathered nobody.
const (
	maxLinger        = 2 * time.Millisecond
	maxLingerBackoff = 64
)

// errStopped is returned by Update after Close.
var errStopped = errors.New("the store is closed")

func (s *Store) startWriter() {
	s.calls = make(chan *call, 1024)
	s.stopped = make(chan struct{})
	go func() {
		defer close(s.stopped)
		for c := range s.calls {
			s.commit([]*call{c}, true)
		}
	}()
}

// drain appends the calls waiting in the queue to batch, up to maxBatch.
func (s *Store) drain(batch []*call) []*call {
	for len(batch) < maxBatch {
		select {
		case more, ok := <-s.calls:
			if !ok {
				return batch
			}
			batch = append(batch, more)
		default:
			return batch
		}
	}
	return batch
}

// linger waits for the writers of the previous commit to come back (see above), returning
// batch with those that did. A linger that gathers nobody is not tried again for a while
// (1, 2, 4 … up to maxLingerBackoff commits): when every writer already rides in the batch —
// 32 clients, all 32 waiting — nobody can come back, and waiting would only delay the fsync.
func (s *Store) linger(batch []*call) []*call {
	want := s.lastBatch + len(batch)
	if s.lastBatch < 2 || len(batch) >= want {
		return batch
	}
	if s.lingerSkips > 0 {
		s.lingerSkips--
		return batch
	}
	had := len(batch)
	defer func() {
		if len(batch) > had {
			s.lingerBackoff = 0
			return
		}
		s.lingerBackoff = min(max(2*s.lingerBackoff, 1), maxLingerBackoff)
		s.lingerSkips = s.lingerBackoff
	}()
	timer := time.NewTimer(min(s.lastCommit/2, maxLinger))
	defer timer.Stop()
	for len(batch) < want && len(batch) < maxBatch {
		select {
		case c, ok := <-s.calls:
			if !ok {
				return batch
			}
			batch = append(batch, c)
		case <-timer.C:
			return batch
		}
	}
	return batch
}

// commit runs batch in one transaction, with the calls that arrive meanwhile when gather is
// set, and answers every call. If a call fails, the transaction is rolled back: the failing
// call runs again alone, in a transaction of its own that reports its error, and the others
// run again together, so one call's failure never undoes or leaks into another's, nor costs
// each of the others an fsync of its own. This is why a call's function may run more than once.
func (s *Store) commit(batch []*call, gather bool) {
	for len(batch) > 0 {
		failed := -1
		var ran time.Time
		err := s.db.Update(func(btx *bbolt.Tx) error {
			t := s.txn(btx)
			for i := 0; i < len(batch); i++ {
				if err := batch[i].fn(t); err != nil {
					failed = i
					return err
				}
				if gather && i == len(batch)-1 {
					if batch = s.drain(batch); len(batch) == i+1 {
						batch = s.linger(batch)
					}
				}
			}
			ran = time.Now()
			return nil
		})
		if failed < 0 {
			if gather {
				s.lastBatch, s.lastCommit = len(batch), time.Since(ran)
			}
			// Committed, or the commit itself failed: either way every call shares the outcome.
			for _, c := range batch {
				c.done <- err
			}
			return
		}
		alone := batch[failed]
		alone.done <- s.db.Update(func(btx *bbolt.Tx) error { return alone.fn(s.txn(btx)) })
		batch = append(batch[:failed:failed], batch[failed+1:]...)
		gather = false
	}
}
