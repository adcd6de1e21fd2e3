package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Webhooks deliver the event log to the product's endpoints (admin/webhooks does the
// delivering). What they need to keep — each webhook's configuration, its delivery cursor and
// the lease of the one worker that delivers it — is kept here, behind operations that can
// touch nothing else: an administrator creates, resets and deletes webhooks, and a lease holder
// takes, renews and releases its lease and advances its cursor by compare-and-set.
//
// The three parts are stored apart, in the KV namespaces below, because they have different
// writers: the administrator writes the configuration, the lease holder writes the state and
// renews the lease, and keeping them separate keeps each write small. Existing stores hold
// these namespaces and these JSON shapes.
const (
	nsWebhook      = "webhook"
	nsWebhookState = "webhook.state"
	nsWebhookLease = "webhook.lease"
)

// Webhook is a webhook as stored: the configuration an administrator gave and, stored apart
// from it, its delivery State.
type Webhook struct {
	ID     string `json:"id"`
	URL    string `json:"url"`
	Secret string `json:"secret"`
	// EventTypes filters the events delivered: exact types or patterns such as "user.*".
	EventTypes []string `json:"event_types"`
	// IdP, when set, limits delivery to the events of one IdP.
	IdP string `json:"idp,omitempty"`
	// Org, when set, limits delivery to the events of one organization, and makes the
	// webhook that organization's; "" delivers the events of every organization. A webhook
	// limited to an IdP is of the IdP's organization.
	Org     string    `json:"org"`
	Created time.Time `json:"created"`

	// State is the delivery progress, kept under its own key.
	State WebhookState `json:"-"`
}

// UnmarshalJSON reads a stored webhook. One stored before organizations existed has no "org"
// at all, as opposed to "org": "" for every organization: it was a webhook of the only
// organization there was, and is DefaultOrg's.
func (w *Webhook) UnmarshalJSON(raw []byte) error {
	type stored Webhook // without this method
	var probe struct {
		Org *string `json:"org"`
	}
	if err := json.Unmarshal(raw, (*stored)(w)); err != nil {
		return err
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return err
	}
	if probe.Org == nil {
		w.Org = DefaultOrg
	}
	return nil
}

// WebhookState is a webhook's delivery progress.
type WebhookState struct {
	// Cursor is the seq of the last event given to the webhook (delivered or skipped).
	Cursor uint64 `json:"cursor"`
	// Status is the delivery package's word for the webhook's health; "" until it sets one.
	Status      string    `json:"status"`
	Failures    int       `json:"failures"`
	LastError   string    `json:"last_error,omitempty"`
	LastAttempt time.Time `json:"last_attempt"`
	// Generation increases whenever an administrator resets the state (ResetWebhook), so a
	// worker in the middle of a batch notices that its view of the cursor is stale and does not
	// overwrite the administrator's choice.
	Generation uint64 `json:"generation"`
}

// WebhookLease is one worker's claim on delivering one webhook: at most one holder has an
// unexpired lease of a webhook at a time, across every replica sharing the store.
type WebhookLease struct {
	Webhook string
	// Holder names the worker; it must be unique to the worker's process.
	Holder string
	// TTL is how long the lease lasts from each take or renewal.
	TTL time.Duration
}

func readKVJSON(tx ReadTx, ns, key string, now time.Time, v any) error {
	raw, err := tx.KV(ns, key, now)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("corrupt %s entry %q: %w", ns, key, err)
	}
	return nil
}

func putKVJSON(tx Tx, ns, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.PutKV(ns, key, raw, time.Time{})
}

// loadWebhook reads a webhook's configuration and state; ErrNotFound if it does not exist.
func loadWebhook(tx ReadTx, id string, now time.Time) (Webhook, error) {
	var w Webhook
	if err := readKVJSON(tx, nsWebhook, id, now, &w); err != nil {
		return Webhook{}, err
	}
	if err := readKVJSON(tx, nsWebhookState, id, now, &w.State); err != nil && !errors.Is(err, ErrNotFound) {
		return Webhook{}, err
	}
	return w, nil
}

// Webhook returns one webhook with its state.
func (s *Service) Webhook(ctx context.Context, id string) (Webhook, error) {
	var w Webhook
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		w, err = loadWebhook(tx, id, s.Now())
		return err
	})
	return w, err
}

// Webhooks lists the webhooks of organization org, or every webhook for "", with their state,
// in id order. A webhook of every organization is of none: listing one organization's leaves
// it out.
func (s *Service) Webhooks(ctx context.Context, org string) ([]Webhook, error) {
	var out []Webhook
	err := s.store.View(ctx, func(tx ReadTx) error {
		out = out[:0]
		now := s.Now()
		var ids []string
		if err := tx.ScanKV(nsWebhook, now, func(key string, _ []byte) error {
			ids = append(ids, key)
			return nil
		}); err != nil {
			return err
		}
		for _, id := range ids {
			w, err := loadWebhook(tx, id, now)
			if err != nil {
				return err
			}
			if org == "" || w.Org == org {
				out = append(out, w)
			}
		}
		return nil
	})
	return out, err
}

// CreateWebhook stores a new webhook. start gives its first state from the sequence number of
// the last event written so far, read in the same transaction, so that "the events after its
// creation" means exactly that; an error from start is returned as is. A taken id is a
// *ConflictError. Its organization, if set, must exist, and its IdP, if set, must be of it; a
// webhook of an IdP and no organization is of the IdP's.
func (s *Service) CreateWebhook(ctx context.Context, w Webhook, start func(lastSeq uint64) (WebhookState, error)) (Webhook, error) {
	if w.ID == "" {
		return Webhook{}, Invalidf("a webhook needs an id")
	}
	asked := w.Org
	err := s.store.Update(ctx, func(tx Tx) error {
		w.Org = asked
		if w.IdP != "" {
			p, err := tx.IdP(w.IdP)
			if errors.Is(err, ErrNotFound) {
				return Invalidf("idp: no IdP %q", w.IdP)
			} else if err != nil {
				return err
			}
			if w.Org != "" && w.Org != p.Org {
				return Invalidf("idp: IdP %q is not of organization %q", w.IdP, w.Org)
			}
			w.Org = p.Org
		} else if w.Org != "" {
			if _, err := tx.Org(w.Org); errors.Is(err, ErrNotFound) {
				return Invalidf("org: no organization %q", w.Org)
			} else if err != nil {
				return err
			}
		}
		last, err := tx.LastSeq()
		if err != nil {
			return err
		}
		if w.State, err = start(last); err != nil {
			return err
		}
		raw, err := json.Marshal(w)
		if err != nil {
			return err
		}
		if err := tx.InsertKV(nsWebhook, w.ID, raw, time.Time{}, s.Now()); err != nil {
			return err
		}
		return putKVJSON(tx, nsWebhookState, w.ID, w.State)
	})
	if err != nil {
		return Webhook{}, err
	}
	return w, nil
}

// DeleteWebhook deletes a webhook's configuration and state; ErrNotFound if there is none. A
// lease stays until its holder notices the webhook is gone, stops and releases it.
func (s *Service) DeleteWebhook(ctx context.Context, id string) error {
	return s.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.KV(nsWebhook, id, s.Now()); err != nil {
			return err
		}
		if err := tx.DeleteKV(nsWebhook, id); err != nil {
			return err
		}
		return tx.DeleteKV(nsWebhookState, id)
	})
}

// ResetWebhook changes a webhook's state on an administrator's word (resume, replay): fn gets
// the state and the sequence number of the last event written, and returns the new state; an
// error from fn is returned as is. The generation always increases, which tells the lease
// holder that its view of the cursor is stale.
func (s *Service) ResetWebhook(ctx context.Context, id string, fn func(st WebhookState, lastSeq uint64) (WebhookState, error)) (Webhook, error) {
	var out Webhook
	err := s.store.Update(ctx, func(tx Tx) error {
		w, err := loadWebhook(tx, id, s.Now())
		if err != nil {
			return err
		}
		last, err := tx.LastSeq()
		if err != nil {
			return err
		}
		next, err := fn(w.State, last)
		if err != nil {
			return err
		}
		next.Generation = w.State.Generation + 1
		if err := putKVJSON(tx, nsWebhookState, id, next); err != nil {
			return err
		}
		w.State = next
		out = w
		return nil
	})
	return out, err
}

// holderOf reads who holds a webhook's unexpired lease; "" if nobody does.
func holderOf(tx ReadTx, id string, now time.Time) (string, error) {
	v, err := tx.KV(nsWebhookLease, id, now)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	return string(v), err
}

func (l WebhookLease) valid() error {
	if l.Webhook == "" || l.Holder == "" || l.TTL <= 0 {
		return Invalidf("a webhook lease needs a webhook, a holder and a positive TTL")
	}
	return nil
}

// take records the lease for its holder; a *ConflictError while another holder's lease is
// unexpired.
func (l WebhookLease) take(tx Tx, now time.Time) error {
	return tx.InsertKV(nsWebhookLease, l.Webhook, []byte(l.Holder), now.Add(l.TTL), now)
}

// updateLease runs fn in a write transaction, for a valid lease of a webhook that exists.
func (s *Service) updateLease(ctx context.Context, l WebhookLease, fn func(tx Tx, now time.Time) error) error {
	if err := l.valid(); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx Tx) error {
		now := s.Now()
		if _, err := tx.KV(nsWebhook, l.Webhook, now); err != nil {
			return err
		}
		return fn(tx, now)
	})
}

// AcquireWebhookLease takes the lease of a webhook for l.Holder. It fails with ErrNotFound if
// the webhook was deleted and with a *ConflictError while another holder's lease is
// unexpired.
func (s *Service) AcquireWebhookLease(ctx context.Context, l WebhookLease) error {
	return s.updateLease(ctx, l, l.take)
}

// RenewWebhookLease extends l.Holder's lease by its TTL. A lease that expired and is free is
// taken again: should another holder have had it in between and moved the cursor, the
// compare-and-set of AdvanceWebhookCursor refuses this holder's next commit. It fails with
// ErrNotFound if the webhook was deleted and ErrLeaseLost if another holder has the lease.
func (s *Service) RenewWebhookLease(ctx context.Context, l WebhookLease) error {
	return s.updateLease(ctx, l, func(tx Tx, now time.Time) error {
		holder, err := holderOf(tx, l.Webhook, now)
		switch {
		case err != nil:
			return err
		case holder == "":
			return l.take(tx, now)
		case holder != l.Holder:
			return ErrLeaseLost
		}
		return tx.PutKV(nsWebhookLease, l.Webhook, []byte(l.Holder), now.Add(l.TTL))
	})
}

// ReleaseWebhookLease ends l.Holder's lease, so that another worker can take over without
// waiting for it to expire. It fails with ErrLeaseLost if l.Holder does not have the lease.
func (s *Service) ReleaseWebhookLease(ctx context.Context, l WebhookLease) error {
	if err := l.valid(); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx Tx) error {
		holder, err := holderOf(tx, l.Webhook, s.Now())
		if err != nil {
			return err
		}
		if holder != l.Holder {
			return ErrLeaseLost
		}
		return tx.DeleteKV(nsWebhookLease, l.Webhook)
	})
}

// AdvanceWebhookCursor is how l.Holder commits its delivery progress: a compare-and-set that
// checks, in one transaction, that no other holder has the lease and that the state's cursor
// and generation are still those of seen, the state the holder read; then fn gives the new
// state from the stored one. The generation is kept whatever fn returns, and the cursor may
// only move forward. So a holder that lost its lease, or raced an administrator's reset, moves
// nothing.
//
// A lease that expired without anybody taking it (a slow store, a paused process) is taken
// again rather than dropped, since the unchanged cursor proves nobody delivered meanwhile.
// Errors: ErrNotFound if the webhook was deleted, ErrLeaseLost if another holder has the lease
// or took it and moved the cursor meanwhile, ErrPrecondition if the cursor or generation
// changed under a lease that was never lost (an administrator's reset).
func (s *Service) AdvanceWebhookCursor(ctx context.Context, l WebhookLease, seen WebhookState, fn func(WebhookState) WebhookState) (WebhookState, error) {
	if err := l.valid(); err != nil {
		return WebhookState{}, err
	}
	var out WebhookState
	err := s.store.Update(ctx, func(tx Tx) error {
		now := s.Now()
		holder, err := holderOf(tx, l.Webhook, now)
		if err != nil {
			return err
		}
		lapsed := holder == ""
		if !lapsed && holder != l.Holder {
			return ErrLeaseLost
		}
		w, err := loadWebhook(tx, l.Webhook, now)
		if err != nil {
			return err
		}
		cur := w.State
		if cur.Generation != seen.Generation || cur.Cursor != seen.Cursor {
			if lapsed {
				return ErrLeaseLost
			}
			return fmt.Errorf("%w: the cursor of webhook %s is at %d (generation %d), the holder read %d (generation %d)",
				ErrPrecondition, l.Webhook, cur.Cursor, cur.Generation, seen.Cursor, seen.Generation)
		}
		if lapsed {
			if err := l.take(tx, now); err != nil {
				return err
			}
		}
		next := fn(cur)
		next.Generation = cur.Generation
		if next.Cursor < cur.Cursor {
			return Invalidf("the cursor of webhook %s cannot move back from %d to %d", l.Webhook, cur.Cursor, next.Cursor)
		}
		if err := putKVJSON(tx, nsWebhookState, l.Webhook, next); err != nil {
			return err
		}
		out = next
		return nil
	})
	return out, err
}
