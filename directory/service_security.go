package directory

import (
	"context"
	"fmt"
)

// SignInRefusal is a sign-in that an edge refuses before any provisioning rule applies,
// although its protocol checks passed: a genuine response that belongs to a sign-in started
// in another browser. It is recorded so that an administrator sees the attempt.
type SignInRefusal struct {
	IdP string
	// Code is a Refuse* code; Reason says what happened in an administrator's words.
	Code   string
	Reason string
	// UniqueUserID is the identity key the refused response asserted, if any.
	UniqueUserID string
}

// RefuseSignIn records a refused sign-in as one login.refused event and uses up the sign-in's
// one-time keys (its assertion in the replay cache) in the same transaction, so that one
// response is recorded at most once however often it is posted: a second post fails with
// ErrUsed and records nothing. The returned Refusal names the event.
func (s *Service) RefuseSignIn(ctx context.Context, in SignInRefusal, uses ...OnceUse) (*Refusal, error) {
	reason := in.Reason
	if in.UniqueUserID != "" {
		reason += " uniqueUserId=" + in.UniqueUserID
	}
	var ref *Refusal
	err := s.update(ctx, func(tx Tx) error {
		if err := applyOnce(tx, s.Now(), uses); err != nil {
			return err
		}
		idp, err := tx.IdP(in.IdP)
		if err != nil {
			return err
		}
		e, err := s.appendEvent(tx, Event{Type: EventLoginRefused, Actor: "jit:" + idp.ID, Subject: in.UniqueUserID,
			Org: idp.Org, IdP: idp.ID, Reason: reason + " [" + in.Code + "]"})
		ref = &Refusal{Code: in.Code, Reason: in.Reason, EventID: e.ID}
		return err
	})
	if err != nil {
		return nil, err
	}
	return ref, nil
}

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
