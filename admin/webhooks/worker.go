package webhooks

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/rosterhq/roster/directory"
)

// Run delivers events to every webhook until ctx ends. Each replica of Roster runs it; per
// webhook, the replica that holds the lease delivers and the others wait to take over. Run
// returns after every worker stopped and released its lease; an attempt in flight is allowed
// to finish (at most Timeout) so that it is committed rather than repeated.
func (h *Handler) Run(ctx context.Context) error {
	h.mu.Lock()
	if h.running {
		h.mu.Unlock()
		return errors.New("webhooks: Run is already running")
	}
	h.running = true
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.running = false
		h.mu.Unlock()
	}()

	var wg sync.WaitGroup
	var mu sync.Mutex
	workers := map[string]bool{}
	defer wg.Wait()
	failing := false // log a run of listing errors (a closed or unreachable store) once
	for {
		ids, err := h.webhookIDs(ctx)
		if err != nil && ctx.Err() == nil && !failing {
			h.log.Warn("webhooks: listing webhooks", "err", err)
		}
		failing = err != nil
		for _, id := range ids {
			mu.Lock()
			started := workers[id]
			workers[id] = true
			mu.Unlock()
			if started {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.work(ctx, id)
				mu.Lock()
				delete(workers, id)
				mu.Unlock()
			}()
		}
		t := time.NewTimer(2 * h.cfg.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-h.created:
		case <-t.C:
		}
		t.Stop()
	}
}

func (h *Handler) webhookIDs(ctx context.Context) ([]string, error) {
	ws, err := h.svc.Webhooks(ctx, "")
	ids := make([]string, 0, len(ws))
	for _, w := range ws {
		ids = append(ids, w.ID)
	}
	return ids, err
}

// work is the life of one webhook's worker on this replica: take the lease when it is free,
// deliver while holding it, and return when the webhook is deleted or ctx ends.
func (h *Handler) work(ctx context.Context, id string) {
	kick := h.kickChan(id)
	defer h.dropKick(id)
	for ctx.Err() == nil {
		err := h.acquire(ctx, id)
		switch {
		case errors.Is(err, errGone):
			return
		case errors.Is(err, directory.ErrConflict):
			// Another worker delivers; check again before its lease could have expired.
			if !sleep(ctx, h.cfg.LeaseTTL/3, nil) {
				return
			}
			continue
		case err != nil:
			if ctx.Err() == nil {
				h.log.Warn("webhooks: taking the lease", "webhook", id, "err", err)
			}
			if !sleep(ctx, h.cfg.PollInterval, nil) {
				return
			}
			continue
		}
		h.log.Debug("webhooks: lease taken", "webhook", id)
		err = h.hold(ctx, id, kick)
		h.release(id)
		if errors.Is(err, errGone) {
			return
		}
		if err != nil && ctx.Err() == nil {
			h.log.Warn("webhooks: delivery stopped; retrying", "webhook", id, "err", err)
			if !sleep(ctx, h.cfg.PollInterval, nil) {
				return
			}
		}
	}
}

// lease is this Handler's claim on webhook id.
func (h *Handler) lease(id string) directory.WebhookLease {
	return directory.WebhookLease{Webhook: id, Holder: h.holder, TTL: h.cfg.LeaseTTL}
}

// acquire takes the lease of webhook id; it fails with ErrConflict while another holder's
// lease is unexpired.
func (h *Handler) acquire(ctx context.Context, id string) error {
	return gone(h.svc.AcquireWebhookLease(ctx, h.lease(id)))
}

// renew extends the lease if this holder still has it. A lease that expired and is free is
// taken again; should another worker have held it in between and moved the cursor, the
// compare-and-set in record refuses this worker's next commit and it rereads the cursor.
func (h *Handler) renew(ctx context.Context, id string) error {
	return gone(h.svc.RenewWebhookLease(ctx, h.lease(id)))
}

// release deletes the lease if this holder still has it, so that another replica (or this
// one, restarted) can take over without waiting for it to expire.
func (h *Handler) release(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := h.svc.ReleaseWebhookLease(ctx, h.lease(id))
	if err != nil && !errors.Is(err, directory.ErrLeaseLost) {
		h.log.Debug("webhooks: releasing the lease", "webhook", id, "err", err)
	}
}

// hold delivers to webhook id while this worker holds its lease. A second goroutine renews
// the lease every third of its lifetime and stops delivery as soon as renewal fails.
func (h *Handler) hold(ctx context.Context, id string, kick chan struct{}) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(h.cfg.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := h.renew(ctx, id); err != nil {
					cancel(err)
					return
				}
			}
		}
	}()
	err := h.deliverLoop(ctx, id, kick)
	cancel(nil)
	<-renewed
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return err
}

// progress is a worker's view of its webhook's delivery state, ahead of the store by the
// deliveries it has not committed yet.
type progress struct {
	st         directory.WebhookState // as last read or committed
	pending    uint64                 // where the cursor may move: past events delivered or skipped
	delivered  bool                   // whether a delivery succeeded since the last commit
	lastCommit time.Time
}

// uncommitted reports whether the worker is ahead of the stored state.
func (p *progress) uncommitted() bool { return p.pending != p.st.Cursor || p.delivered }

// commit stores the progress, and aerr as a failed attempt at the next event if set.
func (h *Handler) commit(ctx context.Context, id string, p *progress, aerr error) error {
	if !p.uncommitted() && aerr == nil {
		return nil
	}
	next, err := h.record(ctx, id, p.st, p.pending, p.delivered, aerr)
	if err != nil {
		return err
	}
	p.st, p.delivered, p.lastCommit = next, false, time.Now()
	return nil
}

// deliverLoop reads the events after the cursor and delivers them in order.
//
// The cursor is committed every CursorSyncInterval, when the worker catches up with the log,
// before a failure is recorded and when stopping, rather than after every delivery: one store
// commit per delivery would bound throughput by the disk's fsync rate. The price is bounded: a
// crash redelivers, in order and with the same webhook-ids, the events of at most one interval.
func (h *Handler) deliverLoop(ctx context.Context, id string, kick chan struct{}) error {
	var key []byte
	var keyOf string
	var p *progress
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		changed := h.svc.Changed()
		rec, err := h.svc.Webhook(ctx, id)
		if err != nil {
			return gone(err)
		}
		// Start from the stored state unless this worker is ahead of it; an administrator's
		// reset (a new generation) wins over progress not yet committed.
		if stored := withStatus(rec.State); p == nil || !p.uncommitted() || stored.Generation != p.st.Generation {
			p = &progress{st: stored, pending: stored.Cursor, lastCommit: time.Now()}
		}
		evs, err := h.svc.Events(ctx, p.pending, h.cfg.BatchSize, 0)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			if err := h.commit(ctx, id, p, nil); err != nil {
				if errors.Is(err, errStale) {
					continue
				}
				return err
			}
			// Wait for a write by this process (changed), an administrator's change here
			// (kick), or the poll that sees other replicas' writes.
			sleep(ctx, h.cfg.PollInterval, changed, kick)
			continue
		}
		if keyOf != rec.Secret {
			if key, err = decodeSecret(rec.Secret); err != nil {
				return err
			}
			keyOf = rec.Secret
		}
		err = h.deliverBatch(ctx, rec, p, key, evs, kick)
		if err == nil && (len(evs) < h.cfg.BatchSize || time.Since(p.lastCommit) >= h.cfg.CursorSyncInterval) {
			// Caught up (a short batch), or due: commit now rather than at the next idle.
			err = h.commit(ctx, id, p, nil)
		}
		if errors.Is(err, errStale) {
			p = nil
			continue
		}
		if err != nil {
			return err
		}
	}
}

// deliverBatch delivers the matching events of evs one at a time, in order, moving p past
// each one after its 2xx and past non-matching events without a request. errStale means an
// administrator reset the cursor; the caller reads it again.
func (h *Handler) deliverBatch(ctx context.Context, rec directory.Webhook, p *progress, key []byte, evs []directory.Event, kick chan struct{}) error {
	for _, e := range evs {
		if !matches(rec, e) {
			p.pending = e.Seq
			continue
		}
		body, err := encodePayload(e)
		if err != nil {
			return err
		}
		for {
			if p.st.Failures > 0 {
				if err := h.backoff(ctx, rec.ID, p.st, kick); err != nil {
					return err
				}
			}
			// The attempt is not cut short when ctx ends: a request already sent is better
			// answered and committed than abandoned and repeated by the next worker. Each
			// attempt is bounded by Timeout all the same.
			aerr := h.send(context.WithoutCancel(ctx), rec.URL, key, e.ID, body)
			if aerr == nil {
				p.pending, p.delivered = e.Seq, true
			}
			if ctx.Err() != nil {
				// Stopping, or the lease was lost: commit what was delivered, so that a
				// restart or the next holder does not repeat it.
				cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				defer cancel()
				_ = h.commit(cctx, rec.ID, p, nil)
				return ctx.Err()
			}
			if aerr == nil {
				break
			}
			if err := h.commit(ctx, rec.ID, p, aerr); err != nil {
				return err
			}
			h.log.Warn("webhooks: delivery failed", "webhook", rec.ID, "seq", e.Seq, "failures", p.st.Failures,
				"status", p.st.Status, "err", aerr)
		}
		if time.Since(p.lastCommit) >= h.cfg.CursorSyncInterval {
			if err := h.commit(ctx, rec.ID, p, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// record commits a worker's progress, read as seen: the cursor moves to to; delivered says a
// delivery succeeded since the last commit, which clears the failure count; aerr, if set, is a
// failed attempt at the event after to, which is counted. The Service makes it a
// compare-and-set (AdvanceWebhookCursor): it moves nothing if another worker holds the lease
// (directory.ErrLeaseLost) or an administrator reset the cursor (errStale).
func (h *Handler) record(ctx context.Context, id string, seen directory.WebhookState, to uint64, delivered bool, aerr error) (directory.WebhookState, error) {
	now := h.svc.Now()
	st, err := h.svc.AdvanceWebhookCursor(ctx, h.lease(id), seen, func(st directory.WebhookState) directory.WebhookState {
		st = withStatus(st)
		st.Cursor = to
		if delivered {
			st.Failures, st.Status, st.LastError, st.LastAttempt = 0, StatusActive, "", now
		}
		if aerr != nil {
			st.Failures++
			st.LastError, st.LastAttempt = aerr.Error(), now
			if st.Failures >= h.cfg.MaxAttempts {
				st.Status = StatusFailing
			}
		}
		return st
	})
	if errors.Is(err, directory.ErrPrecondition) {
		return st, errStale
	}
	return st, gone(err)
}

// backoff waits before the next attempt: exponential in the failure count with jitter, and
// MaxBackoff once the webhook is failing. It polls the state meanwhile so that a resume or
// replay by an administrator on any replica cuts the wait short (errStale).
func (h *Handler) backoff(ctx context.Context, id string, st directory.WebhookState, kick chan struct{}) error {
	d := h.cfg.MaxBackoff
	if st.Failures < h.cfg.MaxAttempts {
		d = h.cfg.InitialBackoff
		for i := 1; i < st.Failures && d < h.cfg.MaxBackoff; i++ {
			d *= 2
		}
		d = min(d, h.cfg.MaxBackoff)
	}
	// Equal jitter: half fixed, half random, so that many webhooks failing at once (the
	// receiver's outage) do not retry in lockstep, and no wait is much shorter than planned.
	d = d/2 + rand.N(d/2+1)
	until := time.Now().Add(d)
	for {
		left := time.Until(until)
		if left <= 0 {
			return nil
		}
		if !sleep(ctx, min(left, h.cfg.PollInterval), nil, kick) {
			return ctx.Err()
		}
		cur, err := h.svc.Webhook(ctx, id)
		if err != nil {
			return gone(err)
		}
		if cur.State.Generation != st.Generation {
			return errStale
		}
	}
}

// sleep waits for d, or until one of the channels fires; it reports false if ctx ended.
func sleep(ctx context.Context, d time.Duration, chans ...<-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	var c0, c1 <-chan struct{}
	if len(chans) > 0 {
		c0 = chans[0]
	}
	if len(chans) > 1 {
		c1 = chans[1]
	}
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
	case <-c0:
	case <-c1:
	}
	return true
}
