package webhooks

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rosterhq/roster/directory"
)

// KV namespaces. The configuration, the delivery state and the lease are kept apart because
// they have different writers: the administrator writes the configuration, the lease holder
// writes the state and renews the lease, and keeping them separate keeps each write small.
const (
	nsWebhook = "webhook"
	nsState   = "webhook.state"
	nsLease   = "webhook.lease"
)

// Status values shown in the API.
const (
	StatusActive  = "active"
	StatusFailing = "failing"
)

// record is a webhook's configuration as stored.
type record struct {
	ID         string    `json:"id"`
	URL        string    `json:"url"`
	Secret     string    `json:"secret"`
	EventTypes []string  `json:"event_types"`
	IdP        string    `json:"idp,omitempty"`
	Created    time.Time `json:"created"`
}

// state is a webhook's delivery progress as stored.
type state struct {
	// Cursor is the seq of the last event given to the webhook (delivered or skipped).
	Cursor      uint64    `json:"cursor"`
	Status      string    `json:"status"`
	Failures    int       `json:"failures"`
	LastError   string    `json:"last_error,omitempty"`
	LastAttempt time.Time `json:"last_attempt"`
	// Generation increases whenever an administrator resumes or replays the webhook, so a
	// worker in the middle of a batch notices that its view of the cursor is stale and does
	// not overwrite the administrator's choice.
	Generation uint64 `json:"generation"`
}

// errLeaseLost ends a worker's turn: another worker holds the webhook's lease now.
var errLeaseLost = errors.New("webhook lease lost")

// errStale means an administrator changed the cursor since the worker read it.
var errStale = errors.New("webhook cursor reset by an administrator")

func readJSON(tx directory.ReadTx, ns, key string, now time.Time, v any) error {
	raw, err := tx.KV(ns, key, now)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("webhooks: corrupt %s entry %q: %w", ns, key, err)
	}
	return nil
}

func putJSON(tx directory.Tx, ns, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.PutKV(ns, key, raw, time.Time{})
}

// loadWebhook reads a webhook's configuration and state; ErrNotFound if it does not exist.
func loadWebhook(tx directory.ReadTx, id string, now time.Time) (record, state, error) {
	var rec record
	var st state
	if err := readJSON(tx, nsWebhook, id, now, &rec); err != nil {
		return record{}, state{}, err
	}
	if err := readJSON(tx, nsState, id, now, &st); err != nil && !errors.Is(err, directory.ErrNotFound) {
		return record{}, state{}, err
	}
	if st.Status == "" {
		st.Status = StatusActive
	}
	return rec, st, nil
}

// checkLease returns errLeaseLost unless holder holds the webhook's unexpired lease.
func checkLease(tx directory.ReadTx, id, holder string, now time.Time) error {
	v, err := tx.KV(nsLease, id, now)
	if errors.Is(err, directory.ErrNotFound) {
		return errLeaseLost
	}
	if err != nil {
		return err
	}
	if string(v) != holder {
		return errLeaseLost
	}
	return nil
}
