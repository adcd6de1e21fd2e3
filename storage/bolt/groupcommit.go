package bolt

import (
	"errors"

	bbolt "go.etcd.io/bbolt"

	"github.com/rosterhq/roster/directory"
)

// Group commit. bbolt's own Batch waits up to MaxBatchDelay (10 ms) for companions even when a
// writer is alone, which would cap a lone writer at about a hundred commits a second. Instead
// one writer goroutine takes whatever calls are waiting — one when idle, many under load — and
// runs them in a single transaction with a single fsync. No call waits for a companion.

type call struct {
	fn   func(tx directory.Tx) error
	done chan error
}

// errStopped is returned by Update after Close.
var errStopped = errors.New("the store is closed")

func (s *Store) startWriter() {
	s.calls = make(chan *call, 1024)
	s.stopped = make(chan struct{})
	go func() {
		defer close(s.stopped)
		for c := range s.calls {
			batch := []*call{c}
		drain:
			for len(batch) < 1000 {
				select {
				case more, ok := <-s.calls:
					if !ok {
						break drain
					}
					batch = append(batch, more)
				default:
					break drain
				}
			}
			s.commit(batch)
		}
	}()
}

// commit runs a batch in one transaction. If any call fails, the transaction is rolled back and
// every call of the batch runs again in a transaction of its own, so one call's failure never
// undoes or leaks into another's. This is why a call's function may run more than once.
func (s *Store) commit(batch []*call) {
	if len(batch) > 1 {
		err := s.db.Update(func(btx *bbolt.Tx) error {
			t := &txn{tx: btx}
			for _, c := range batch {
				if err := c.fn(t); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			for _, c := range batch {
				c.done <- nil
			}
			return
		}
	}
	for _, c := range batch {
		c.done <- s.db.Update(func(btx *bbolt.Tx) error { return c.fn(&txn{tx: btx}) })
	}
}
