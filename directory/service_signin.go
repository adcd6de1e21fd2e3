package directory

import "context"

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
