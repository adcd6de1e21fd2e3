package directory_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	. "github.com/rosterhq/roster/directory"
)

// countingStore counts the write transactions that reach the real store.
type countingStore struct {
	Store
	updates atomic.Int64
}

func (c *countingStore) Update(ctx context.Context, fn func(tx Tx) error) error {
	c.updates.Add(1)
	return c.Store.Update(ctx, fn)
}

// TestRunBatchCommitsManyOperationsPerTransaction: a thousand creates take a handful of
// transactions, not a thousand, and each writes its event once.
func TestRunBatchCommitsManyOperationsPerTransaction(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeSCIM)
	cs := &countingStore{Store: e.store}
	svc := New(cs)
	a := SCIMActor{IdP: "okta", TokenID: "t"}
	const n = 1000
	ids := make([]string, n)
	steps := make([]BatchStep, n)
	for i := range steps {
		steps[i] = func(ctx context.Context, svc *Service) error {
			u, err := svc.SCIMCreateUser(ctx, a, User{UserName: fmt.Sprintf("u%d@example.com", i), ExternalID: fmt.Sprint("k", i), Active: true})
			ids[i] = u.ID
			return err
		}
	}
	seq := e.lastSeq()
	errs := svc.RunBatch(e.ctx, steps, 0)
	if len(errs) != n {
		t.Fatalf("%d results, want %d", len(errs), n)
	}
	for i, err := range errs {
		if err != nil || ids[i] == "" {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if got := cs.updates.Load(); got > 10 {
		t.Errorf("%d write transactions for %d creates", got, n)
	}
	if evs := e.eventsAfter(seq); len(evs) != n {
		t.Errorf("%d events, want %d", len(evs), n)
	}
}

// TestRunBatchFailureInsideATransaction: an operation whose transaction function fails is
// answered as its single request would be; the operations before and after it are written
// once each, and nothing of the failed one remains.
func TestRunBatchFailureInsideATransaction(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeSCIM)
	a := SCIMActor{IdP: "okta", TokenID: "t"}
	errBoom := errors.New("boom")
	runs := make([]int, 6)
	var first User
	steps := make([]BatchStep, 6)
	for i := range steps {
		steps[i] = func(ctx context.Context, svc *Service) error {
			runs[i]++
			switch i {
			case 0:
				var err error
				first, err = svc.SCIMCreateUser(ctx, a, User{UserName: "first@example.com", ExternalID: "first", Active: true})
				return err
			case 3:
				// Fails inside its transaction, after the state it read: must leave nothing.
				_, err := svc.SCIMUpdateUser(ctx, a, first.ID, 0, func(u User) (User, error) { return User{}, errBoom })
				return err
			case 4:
				_, err := svc.SCIMUpdateUser(ctx, a, "no-such-user", 0, func(u User) (User, error) { return u, nil })
				return err
			default:
				_, err := svc.SCIMCreateUser(ctx, a, User{UserName: fmt.Sprintf("u%d@example.com", i), ExternalID: fmt.Sprint("k", i), Active: true})
				return err
			}
		}
	}
	seq := e.lastSeq()
	errs := e.svc.RunBatch(e.ctx, steps, 0)
	if len(errs) != 6 || !errors.Is(errs[3], errBoom) || !errors.Is(errs[4], ErrNotFound) {
		t.Fatalf("results %v", errs)
	}
	for _, i := range []int{0, 1, 2, 5} {
		if errs[i] != nil {
			t.Errorf("step %d: %v", i, errs[i])
		}
	}
	if evs := e.eventsAfter(seq); len(evs) != 4 {
		t.Errorf("%d events, want the 4 creates once each: %+v", len(evs), evs)
	}
	if runs[3] < 2 {
		t.Errorf("the failing step ran %d times; it must run again on its own", runs[3])
	}
	// maxErrors stops after that many failures, and the steps after do not run.
	runs = make([]int, 6)
	errs = e.svc.RunBatch(e.ctx, steps, 1)
	if len(errs) != 1 || errs[0] == nil || runs[5] != 0 {
		t.Errorf("with maxErrors 1: results %v, runs %v", errs, runs)
	}
}
