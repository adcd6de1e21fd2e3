package webhooks

import (
	"errors"

	"github.com/rosterhq/roster/directory"
)

// Status values shown in the API and kept in directory.WebhookState.Status.
const (
	StatusActive  = "active"
	StatusFailing = "failing"
)

// errGone ends a worker: its webhook was deleted.
var errGone = errors.New("webhook deleted")

// errStale means an administrator changed the cursor since the worker read it.
var errStale = errors.New("webhook cursor reset by an administrator")

// gone turns the Service's ErrNotFound for a webhook into errGone.
func gone(err error) error {
	if errors.Is(err, directory.ErrNotFound) {
		return errGone
	}
	return err
}

// withStatus fills the status of a state stored before any delivery set one.
func withStatus(st directory.WebhookState) directory.WebhookState {
	if st.Status == "" {
		st.Status = StatusActive
	}
	return st
}
