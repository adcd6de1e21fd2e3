package directory

import (
	"context"
	"sync"
)

// OnEvents registers fn to see the events of every write this Service commits, in the order
// they were written, once each, right after the commit and in the writer's goroutine; so fn
// must be quick and must not write. A write whose transaction fails or rolls back shows none:
// an observer counts exactly what the log holds. Events written by another Service (another
// replica sharing the database) are that Service's observers' to see. An event's Seq is what
// the store's AppendEvent answered: 0 on a store that numbers events after the commit
// (PostgreSQL), so an observer must not rely on it.
//
// Metrics use it to count sign-ins, refusals and SCIM operations at the point of the event
// write (server/metrics.go).
func (s *Service) OnEvents(fn func([]Event)) {
	s.observers.add(fn)
}

// eventObservers are the functions registered with OnEvents.
type eventObservers struct {
	mu  sync.RWMutex
	fns []func([]Event)
}

func (o *eventObservers) add(fn func([]Event)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.fns = append(o.fns, fn)
}

// update runs fn in a write transaction of store. With observers, it notes the events fn
// appends, on each run of fn afresh (the store may run it more than once), and hands those of
// the run that committed to the observers.
func (o *eventObservers) update(ctx context.Context, store Store, fn func(tx Tx) error) error {
	o.mu.RLock()
	fns := o.fns
	o.mu.RUnlock()
	if len(fns) == 0 {
		return store.Update(ctx, fn)
	}
	var written []Event
	err := store.Update(ctx, func(tx Tx) error {
		written = written[:0]
		return fn(notingTx{Tx: tx, written: &written})
	})
	if err == nil && len(written) > 0 {
		for _, f := range fns {
			f(written)
		}
	}
	return err
}

// notingTx is a write transaction that notes the events appended through it.
type notingTx struct {
	Tx
	written *[]Event
}

func (t notingTx) AppendEvent(e Event) (uint64, error) {
	seq, err := t.Tx.AppendEvent(e)
	if err == nil {
		e.Seq = seq
		*t.written = append(*t.written, e)
	}
	return seq, err
}
