package directory

import (
	"context"
	"errors"
	"time"
)

// A SCIM Bulk request (RFC 7644 §3.7) is a list of operations, each of which means exactly
// what it would mean as a request of its own: the same rules, the same events, the same scope
// (R10). What Bulk adds is speed: the operations are run through the single-request
// operations of this Service, but many of them inside one write transaction, so that a large
// import pays for one commit instead of one per operation.
//
// Each operation is a BatchStep, which calls the Service it is given. RunBatch hands the steps
// a view of this Service whose Update and View run on the batch's open transaction. An
// operation whose own transaction function fails may have written part of its change before
// failing, and one transaction has no way to undo part of itself; so the batch is abandoned,
// the steps before that operation are run again in a new batch, and the failing operation
// then runs alone on this Service, where its failure is handled as a single request's is. A
// refusal that an operation records as an event (R12) is not such a failure: its transaction
// function wrote nothing and returned nil, and the event is written in the batch like any
// other. Nothing an operation did is ever kept unless its result is reported.

// BatchStep is one operation of a batch. It calls svc — a view of the Service on the batch's
// transaction, or the Service itself — and returns the operation's failure, if any. It may run
// more than once (a batch is retried or abandoned): it must set only results it owns, as
// Store.Update's functions must.
type BatchStep func(ctx context.Context, svc *Service) error

// batchSize is how many operations share one transaction: enough that commits stop dominating
// an import, few enough that a failing operation makes little work run again.
const batchSize = 200

// errAbandon ends a batch transaction whose operation may have written part of its change.
var errAbandon = errors.New("batch abandoned")

// batchStore is the Store of a view of the Service on an open transaction: an Update runs its
// function on that transaction, and a function that fails marks the batch to be abandoned.
type batchStore struct {
	tx     Tx
	failed *bool
}

func (b batchStore) Update(ctx context.Context, fn func(tx Tx) error) error {
	err := fn(b.tx)
	if err != nil {
		*b.failed = true
	}
	return err
}

func (b batchStore) View(ctx context.Context, fn func(tx ReadTx) error) error { return fn(b.tx) }

func (b batchStore) ReadKVUser(_ context.Context, ns, key string, now time.Time, userField string) ([]byte, User, error) {
	return ReadKVUserIn(b.tx, ns, key, now, userField)
}

func (b batchStore) ReadTokenByHash(_ context.Context, hash []byte) (Token, IdP, error) {
	return ReadTokenByHashIn(b.tx, hash)
}

// WritersRunTogether: a write on a batch store runs in the batch's open transaction, which a
// read before it would not spare.
func (b batchStore) WritersRunTogether() bool { return true }

func (b batchStore) Close() error { return nil }

// onTx is a view of s whose operations run on tx; failed is set when one of their transaction
// functions fails.
func (s *Service) onTx(tx Tx, failed *bool) *Service {
	return &Service{store: batchStore{tx: tx, failed: failed}, now: s.now, newID: s.newID, changed: make(chan struct{})}
}

// RunBatch runs steps in order, many per transaction, and returns each step's failure (nil
// for success) in errs, which has one entry per step that ran. After maxErrors failures
// (failOnErrors; 0 for no limit) it runs no further step.
func (s *Service) RunBatch(ctx context.Context, steps []BatchStep, maxErrors int) (errs []error) {
	errs = make([]error, 0, len(steps))
	failures := 0
	stopped := func() bool { return maxErrors > 0 && failures >= maxErrors }
	record := func(err error) {
		errs = append(errs, err)
		if err != nil {
			failures++
		}
	}
	// alone is the index of a step that must run on its own, because it failed inside a batch.
	alone := -1
	for len(errs) < len(steps) && !stopped() && ctx.Err() == nil {
		done := len(errs)
		if done == alone {
			record(steps[done](ctx, s))
			continue
		}
		end := min(done+batchSize, len(steps))
		if alone > done {
			end = alone
		}
		var results []error
		abandonedAt := -1
		err := s.update(ctx, func(tx Tx) error {
			// This function may run more than once: everything it sets is set afresh.
			results, abandonedAt = make([]error, 0, end-done), -1
			failed := false
			view := s.onTx(tx, &failed)
			n := failures
			for i := done; i < end && !(maxErrors > 0 && n >= maxErrors); i++ {
				stepErr := steps[i](ctx, view)
				if failed {
					abandonedAt = i
					return errAbandon
				}
				results = append(results, stepErr)
				if stepErr != nil {
					n++
				}
			}
			return nil
		})
		switch {
		case err == nil:
			for _, r := range results {
				record(r)
			}
		case errors.Is(err, errAbandon):
			alone = abandonedAt
		default:
			// The batch could not commit (the store failed, the context ended): nothing of it
			// was kept, and each of its steps runs on its own, so that each gets its own answer.
			for i := done; i < end && !stopped() && ctx.Err() == nil; i++ {
				record(steps[i](ctx, s))
			}
		}
	}
	return errs
}
