package directory_test

import (
	"errors"
	"testing"
	"time"

	. "github.com/rosterhq/roster/directory"
)

// service_webhooks_test.go checks the operations that keep webhooks: what an administrator
// does to them and the lease and cursor of the worker that delivers them.

func (e *env) mustCreateWebhook(id string, cursor uint64) Webhook {
	e.t.Helper()
	w, err := e.svc.CreateWebhook(e.ctx, Webhook{ID: id, URL: "https://example.com/hook", Secret: "whsec_x",
		EventTypes: []string{}, Created: e.clock.Now()}, func(uint64) (WebhookState, error) {
		return WebhookState{Status: "active", Cursor: cursor}, nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return w
}

func TestWebhookLifecycle(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeJIT)
	last := e.lastSeq()
	var startedAt uint64
	w, err := e.svc.CreateWebhook(e.ctx, Webhook{ID: "w1", URL: "https://example.com/hook", Secret: "whsec_x"},
		func(lastSeq uint64) (WebhookState, error) {
			startedAt = lastSeq
			return WebhookState{Status: "active", Cursor: lastSeq}, nil
		})
	if err != nil || startedAt != last || w.State.Cursor != last {
		t.Fatalf("create: %+v, %v; start saw %d, want the last seq %d", w, err, startedAt, last)
	}
	refuse := errors.New("from_seq beyond the log")
	if _, err := e.svc.CreateWebhook(e.ctx, Webhook{ID: "w2"}, func(uint64) (WebhookState, error) { return WebhookState{}, refuse }); !errors.Is(err, refuse) {
		t.Errorf("a start that refuses: err %v, want its error", err)
	}
	if _, err := e.svc.Webhook(e.ctx, "w2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the refused webhook was stored: %v", err)
	}
	if _, err := e.svc.CreateWebhook(e.ctx, Webhook{ID: "w1"}, func(uint64) (WebhookState, error) { return WebhookState{}, nil }); !errors.Is(err, ErrConflict) {
		t.Errorf("a taken id: err %v, want ErrConflict", err)
	}
	e.mustCreateWebhook("w0", 0)
	ws, err := e.svc.Webhooks(e.ctx, "")
	if err != nil || len(ws) != 2 || ws[0].ID != "w0" || ws[1].ID != "w1" || ws[1].URL != "https://example.com/hook" || ws[1].State.Cursor != last {
		t.Fatalf("list: %+v, %v", ws, err)
	}

	reset, err := e.svc.ResetWebhook(e.ctx, "w1", func(st WebhookState, lastSeq uint64) (WebhookState, error) {
		st.Cursor, st.Generation = 0, 77 // the generation is the Service's to move
		return st, nil
	})
	if err != nil || reset.State.Cursor != 0 || reset.State.Generation != 1 {
		t.Errorf("reset: %+v, %v; want cursor 0 and generation 1", reset.State, err)
	}
	if _, err := e.svc.ResetWebhook(e.ctx, "nope", func(st WebhookState, _ uint64) (WebhookState, error) { return st, nil }); !errors.Is(err, ErrNotFound) {
		t.Errorf("reset of an unknown webhook: err %v, want ErrNotFound", err)
	}

	if err := e.svc.DeleteWebhook(e.ctx, "w1"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteWebhook(e.ctx, "w1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: err %v, want ErrNotFound", err)
	}
	if _, err := e.svc.Webhook(e.ctx, "w1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("get after delete: err %v, want ErrNotFound", err)
	}
}

func TestWebhookLease(t *testing.T) {
	e := newEnv(t)
	e.mustCreateWebhook("w1", 0)
	a := WebhookLease{Webhook: "w1", Holder: "replica-a", TTL: 10 * time.Second}
	b := WebhookLease{Webhook: "w1", Holder: "replica-b", TTL: 10 * time.Second}
	if err := e.svc.AcquireWebhookLease(e.ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AcquireWebhookLease(e.ctx, b); !errors.Is(err, ErrConflict) {
		t.Errorf("b takes a's lease: err %v, want ErrConflict", err)
	}
	if err := e.svc.RenewWebhookLease(e.ctx, b); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("b renews a's lease: err %v, want ErrLeaseLost", err)
	}
	if err := e.svc.ReleaseWebhookLease(e.ctx, b); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("b releases a's lease: err %v, want ErrLeaseLost", err)
	}
	e.clock.Advance(8 * time.Second)
	if err := e.svc.RenewWebhookLease(e.ctx, a); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(8 * time.Second) // past the first expiry, within the renewed one
	if err := e.svc.AcquireWebhookLease(e.ctx, b); !errors.Is(err, ErrConflict) {
		t.Errorf("b takes a's renewed lease: err %v, want ErrConflict", err)
	}
	if err := e.svc.ReleaseWebhookLease(e.ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AcquireWebhookLease(e.ctx, b); err != nil {
		t.Fatalf("b after a released: %v", err)
	}
	e.clock.Advance(11 * time.Second) // b's lease expires unrenewed
	if err := e.svc.RenewWebhookLease(e.ctx, a); err != nil {
		t.Errorf("a renews a lease that expired and is free: %v", err)
	}
	if err := e.svc.AcquireWebhookLease(e.ctx, b); !errors.Is(err, ErrConflict) {
		t.Errorf("b after a retook the free lease: err %v, want ErrConflict", err)
	}
	if err := e.svc.DeleteWebhook(e.ctx, "w1"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RenewWebhookLease(e.ctx, a); !errors.Is(err, ErrNotFound) {
		t.Errorf("renew after the webhook was deleted: err %v, want ErrNotFound", err)
	}
	if err := e.svc.ReleaseWebhookLease(e.ctx, a); err != nil {
		t.Errorf("the holder releases the lease of a deleted webhook: %v", err)
	}
	if err := e.svc.AcquireWebhookLease(e.ctx, a); !errors.Is(err, ErrNotFound) {
		t.Errorf("acquire after the webhook was deleted: err %v, want ErrNotFound", err)
	}
	if err := e.svc.AcquireWebhookLease(e.ctx, WebhookLease{Webhook: "w1", Holder: "x"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("a lease without a TTL: err %v, want ErrInvalid", err)
	}
}

func TestAdvanceWebhookCursor(t *testing.T) {
	e := newEnv(t)
	w := e.mustCreateWebhook("w1", 5)
	a := WebhookLease{Webhook: "w1", Holder: "replica-a", TTL: 10 * time.Second}
	b := WebhookLease{Webhook: "w1", Holder: "replica-b", TTL: 10 * time.Second}
	to := func(cursor uint64) func(WebhookState) WebhookState {
		return func(st WebhookState) WebhookState {
			st.Cursor, st.Failures, st.Generation = cursor, 0, 99 // the generation is kept whatever fn says
			return st
		}
	}
	if err := e.svc.AcquireWebhookLease(e.ctx, a); err != nil {
		t.Fatal(err)
	}
	st, err := e.svc.AdvanceWebhookCursor(e.ctx, a, w.State, to(9))
	if err != nil || st.Cursor != 9 || st.Generation != 0 {
		t.Fatalf("advance: %+v, %v; want cursor 9 at generation 0", st, err)
	}
	if _, err := e.svc.AdvanceWebhookCursor(e.ctx, a, w.State, to(12)); !errors.Is(err, ErrPrecondition) {
		t.Errorf("advance from a stale view: err %v, want ErrPrecondition", err)
	}
	if _, err := e.svc.AdvanceWebhookCursor(e.ctx, b, st, to(12)); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("advance by a non-holder: err %v, want ErrLeaseLost", err)
	}
	if _, err := e.svc.AdvanceWebhookCursor(e.ctx, a, st, to(3)); !errors.Is(err, ErrInvalid) {
		t.Errorf("a cursor moving back: err %v, want ErrInvalid", err)
	}
	got, err := e.svc.Webhook(e.ctx, "w1")
	if err != nil || got.State.Cursor != 9 {
		t.Fatalf("after refused advances: %+v, %v; want cursor 9", got.State, err)
	}

	// An administrator's reset wins over the holder's view.
	if _, err := e.svc.ResetWebhook(e.ctx, "w1", func(st WebhookState, _ uint64) (WebhookState, error) { st.Cursor = 9; return st, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AdvanceWebhookCursor(e.ctx, a, st, to(12)); !errors.Is(err, ErrPrecondition) {
		t.Errorf("advance across a reset (same cursor, new generation): err %v, want ErrPrecondition", err)
	}
	got, _ = e.svc.Webhook(e.ctx, "w1")
	st = got.State

	// A lease that lapsed with nobody taking it is taken again by the commit.
	e.clock.Advance(11 * time.Second)
	if st, err = e.svc.AdvanceWebhookCursor(e.ctx, a, st, to(12)); err != nil || st.Cursor != 12 {
		t.Fatalf("advance under a lapsed, free lease: %+v, %v", st, err)
	}
	if err := e.svc.AcquireWebhookLease(e.ctx, b); !errors.Is(err, ErrConflict) {
		t.Errorf("the commit under a lapsed lease did not take it again: b acquires, err %v", err)
	}

	// A lease that lapsed and was taken and used by another holder is lost.
	e.clock.Advance(11 * time.Second)
	if err := e.svc.AcquireWebhookLease(e.ctx, b); err != nil {
		t.Fatal(err)
	}
	bst, err := e.svc.AdvanceWebhookCursor(e.ctx, b, st, to(15))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ReleaseWebhookLease(e.ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AdvanceWebhookCursor(e.ctx, a, st, to(20)); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("advance by a holder whose lapsed lease another used: err %v, want ErrLeaseLost", err)
	}
	if got, _ := e.svc.Webhook(e.ctx, "w1"); got.State.Cursor != bst.Cursor {
		t.Errorf("cursor %d, want %d, where b left it", got.State.Cursor, bst.Cursor)
	}
	if err := e.svc.DeleteWebhook(e.ctx, "w1"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AdvanceWebhookCursor(e.ctx, a, bst, to(20)); !errors.Is(err, ErrNotFound) {
		t.Errorf("advance after the webhook was deleted: err %v, want ErrNotFound", err)
	}
}
