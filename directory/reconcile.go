package directory

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// Reconciliation is what an administrator checks after switching an IdP's mode or wiring SCIM
// next to SSO: who SCIM has not adopted yet (R5, R11), who SCIM created but never signed in,
// which keys are tombstoned (R6), and what was refused lately and by which rule (R12).
type Reconciliation struct {
	IdP  string
	Mode Mode
	// JITNotAdopted and SCIMNeverSignedIn list at most ReconcileListCap users each, in id
	// order; the counts count them all.
	JITNotAdopted          []MemberUser
	JITNotAdoptedCount     int
	SCIMNeverSignedIn      []MemberUser
	SCIMNeverSignedInCount int
	Tombstones             []Tombstone
	// Refusals counts the refusals of the examined events by rule, most frequent first.
	Refusals []RefusalCount
	// RecentRefusals are the latest of those refusals, newest first, at most
	// ReconcileRecentCap.
	RecentRefusals []Event
	// EventsExamined is how many of the most recent events were read, at most
	// ReconcileEventsWindow.
	EventsExamined int
	// Notes explain, for a person, what the figures mean and what to do about them.
	Notes []string
}

// RefusalCount is how often a rule refused a login or a SCIM request ("" for a refusal without
// a rule), and when it last did.
type RefusalCount struct {
	Rule  Rule
	Count int
	Last  time.Time
}

// Bounds of a reconciliation: lists are capped (their counts are not), and refusals are taken
// from the most recent events only.
const (
	ReconcileListCap      = 200
	ReconcileEventsWindow = 10000
	ReconcileRecentCap    = 50
)

// Reconcile reads, in one transaction, the reconciliation of one IdP. An unknown IdP is
// ErrNotFound.
func (s *Service) Reconcile(ctx context.Context, idpID string) (Reconciliation, error) {
	out := Reconciliation{IdP: idpID, JITNotAdopted: []MemberUser{}, SCIMNeverSignedIn: []MemberUser{},
		Tombstones: []Tombstone{}, Refusals: []RefusalCount{}, RecentRefusals: []Event{}, Notes: []string{}}
	err := s.store.View(ctx, func(tx ReadTx) error {
		p, err := tx.IdP(idpID)
		if err != nil {
			return err
		}
		out.Mode = p.Mode
		if err := reconcileUsers(tx, idpID, &out); err != nil {
			return err
		}
		if out.Tombstones, err = tx.Tombstones(idpID); err != nil {
			return err
		}
		return reconcileRefusals(tx, idpID, &out)
	})
	if err != nil {
		return Reconciliation{}, err
	}
	if out.Mode == ModeJIT && out.JITNotAdoptedCount > 0 {
		out.Notes = append(out.Notes, "The IdP is in mode jit: SCIM adopts JIT users only after switching to both or scim (R5, R11).")
	}
	if out.Mode != ModeJIT && out.JITNotAdoptedCount > 0 {
		out.Notes = append(out.Notes, "JIT users not yet adopted keep working; SCIM adopts each when its connector creates a user with the same key (R5). If one is never adopted, check that the connector sends the same uniqueUserId (R1).")
	}
	if len(out.Tombstones) > 0 {
		out.Notes = append(out.Notes, "Tombstoned keys cannot sign in until SCIM creates them again or an administrator clears the tombstone (R6).")
	}
	return out, nil
}

// reconcileUsers collects the IdP's JIT users that SCIM has not adopted and its SCIM users who
// never signed in.
func reconcileUsers(tx ReadTx, idpID string, out *Reconciliation) error {
	add := func(list *[]MemberUser, u User) error {
		if len(*list) >= ReconcileListCap {
			return nil
		}
		groups, err := UserGroups(tx, u.ID)
		if err != nil {
			return err
		}
		*list = append(*list, MemberUser{User: u, Groups: groups})
		return nil
	}
	return tx.ScanUsers(ScanQuery{IdP: idpID}, func(u User) error {
		switch {
		case u.Owner == OwnerJIT:
			out.JITNotAdoptedCount++
			return add(&out.JITNotAdopted, u)
		case u.Owner == OwnerSCIM && u.LastLoginAt.IsZero():
			out.SCIMNeverSignedInCount++
			return add(&out.SCIMNeverSignedIn, u)
		}
		return nil
	})
}

// reconcileRefusals counts, by rule, the refusals of the IdP's logins and SCIM requests among
// the most recent events, and keeps the latest of them.
func reconcileRefusals(tx ReadTx, idpID string, out *Reconciliation) error {
	last, err := tx.LastSeq()
	if err != nil {
		return err
	}
	var after uint64
	if last > ReconcileEventsWindow {
		after = last - ReconcileEventsWindow
	}
	byRule := map[Rule]*RefusalCount{}
	var refusals []Event
	for {
		evs, err := tx.Events(after, 1000)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			after = e.Seq
			out.EventsExamined++
			if e.IdP != idpID || (e.Type != EventLoginRefused && e.Type != EventSCIMRefused) {
				continue
			}
			rc := byRule[e.Rule]
			if rc == nil {
				rc = &RefusalCount{Rule: e.Rule}
				byRule[e.Rule] = rc
			}
			rc.Count++
			rc.Last = e.Time
			refusals = append(refusals, e)
		}
	}
	for _, rc := range byRule {
		out.Refusals = append(out.Refusals, *rc)
	}
	slices.SortFunc(out.Refusals, func(a, b RefusalCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Rule, b.Rule))
	})
	// Newest first, as a person reads them.
	for i := len(refusals) - 1; i >= 0 && len(out.RecentRefusals) < ReconcileRecentCap; i-- {
		out.RecentRefusals = append(out.RecentRefusals, refusals[i])
	}
	return nil
}
