package directory

import (
	"context"
	"fmt"
)

// EventAdminAuthFailed records failed authentications at the admin surface. The limiter that
// writes it does so at most once per client address and window step, so a flood of wrong
// tokens cannot fill the log.
const EventAdminAuthFailed = "admin.auth_failed"

// AuthFailure is what the admin surface reports about failed authentications from one client.
type AuthFailure struct {
	// Address is the client address (or IPv6 /64) the failures came from.
	Address string
	// Failures is how many failed within the current window, this one included.
	Failures int
	// Limited says the client is over the limit: its failures are now answered slowly with 429.
	Limited bool
	// Credential says what was presented, never the secret: "none", or the kind prefix of
	// the token ("rst_admin_", "rst_scim_") or "other".
	Credential string
	// Unrecorded is how many failures of any client were not recorded individually since the
	// last event, because the log's budget for them was spent.
	Unrecorded int
}

// RecordAuthFailure writes one admin.auth_failed event. It belongs to no organization.
func (s *Service) RecordAuthFailure(ctx context.Context, f AuthFailure) error {
	reason := fmt.Sprintf("%d failed admin authentication(s) from %s in the current window (credential: %s)", f.Failures, f.Address, f.Credential)
	if f.Limited {
		reason += "; the client is over the limit and its failures are answered with 429"
	}
	if f.Unrecorded > 0 {
		reason += fmt.Sprintf("; %d further failure(s) since the last such event were not recorded one by one", f.Unrecorded)
	}
	return s.update(ctx, func(tx Tx) error {
		_, err := s.appendEvent(tx, Event{Type: EventAdminAuthFailed, Actor: "system", Subject: f.Address, Reason: reason})
		return err
	})
}
