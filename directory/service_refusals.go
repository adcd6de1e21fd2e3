package directory

import (
	"context"
	"strings"
)

// SignInRefusal is a sign-in that an edge refuses before any provisioning rule applies: a SAML
// or OIDC protocol check failed (an unsolicited response while IdP-initiated sign-in is off, a
// replayed response, an unknown request id, a bad signature, an expired assertion, a login
// state of another browser…). It is recorded so that the reference the person reads out finds
// its event, and so that every refusal is explained (R12).
type SignInRefusal struct {
	IdP string
	// Code is a Refuse* code, or a word of the edge's for the kind of failure.
	Code string
	// Reason says in plain words what happened, for the administrator ("IdP-initiated sign-in
	// is off for okta").
	Reason string
	// Detail is what the protocol library said, kept apart from Reason for whoever debugs the
	// IdP's set-up.
	Detail string
	// UniqueUserID is the identity key the refused response asserted, if it got that far.
	UniqueUserID string
}

// maxDetail bounds the library's message kept in an event: it may quote what the request
// carried.
const maxDetail = 2000

// RefuseSignIn records a refused sign-in as one login.refused event of the IdP's organization,
// with no rule (no provisioning rule decided it), and uses up the sign-in's one-time keys in the
// same transaction, so that one response is recorded at most once however often it is posted:
// a second post fails with ErrUsed and records nothing. An unknown IdP is ErrNotFound and
// records nothing: there is no organization the event could belong to. The returned Refusal
// names the event.
func (s *Service) RefuseSignIn(ctx context.Context, in SignInRefusal, uses ...OnceUse) (*Refusal, error) {
	reason := strings.TrimSpace(in.Reason)
	if in.UniqueUserID != "" {
		reason += " uniqueUserId=" + in.UniqueUserID
	}
	if in.Code != "" {
		reason += " [" + in.Code + "]"
	}
	detail := strings.ToValidUTF8(in.Detail, "?")
	if len(detail) > maxDetail {
		detail = strings.ToValidUTF8(detail[:maxDetail], "") + "…"
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
			Org: OrgOrDefault(idp.Org), IdP: idp.ID, Reason: reason, Detail: detail})
		ref = &Refusal{Code: in.Code, Reason: in.Reason, EventID: e.ID}
		return err
	})
	if err != nil {
		return nil, err
	}
	return ref, nil
}
