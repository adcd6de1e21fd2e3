package directory

import (
	"context"
	"fmt"
)

// ModePreview is what switching an IdP to another mode would do, read in one transaction and
// decided by DecideModePreview for each user and tombstoned key of the IdP, and for a person
// who has no user yet. Computing it writes nothing.
type ModePreview struct {
	IdP  string
	From Mode
	To   Mode
	// Change is the decision the switch itself would record (R11); its Event is "" when the
	// mode stays the same.
	Change Decision
	// Newcomer is what happens to someone who signs in without a user.
	Newcomer ModePreviewDecision
	// Groups holds, by outcome, the users and tombstoned keys, each list capped at
	// ModePreviewListCap in id order; Counts counts them all.
	Groups map[ModeOutcome][]ModePreviewEntry
	Counts map[ModeOutcome]int
}

// ModePreviewEntry is one user, or one tombstoned key (User is nil then), and what the switch
// means for it.
type ModePreviewEntry struct {
	User      *User
	Tombstone *Tombstone
	Decision  ModePreviewDecision
}

// ModePreviewListCap bounds each list of a preview; its count is not bounded.
const ModePreviewListCap = 500

// PreviewModeChange computes what switching IdP idpID to mode to would do. An unknown IdP is
// ErrNotFound; an unknown mode is an ErrInvalid.
func (s *Service) PreviewModeChange(ctx context.Context, idpID string, to Mode) (ModePreview, error) {
	if !to.Valid() {
		return ModePreview{}, Invalidf("mode %q is not known; use \"jit\", \"scim\" or \"both\"", to)
	}
	out := ModePreview{IdP: idpID, To: to, Groups: map[ModeOutcome][]ModePreviewEntry{}, Counts: map[ModeOutcome]int{}}
	for _, o := range []ModeOutcome{ModeKeepsWorking, ModeAdoptedLater, ModeNoLongerSignsIn, ModeSignsInAgain, ModeStaysRefused} {
		out.Groups[o] = []ModePreviewEntry{}
		out.Counts[o] = 0
	}
	now := s.Now()
	add := func(e ModePreviewEntry) {
		o := e.Decision.Outcome
		out.Counts[o]++
		if len(out.Groups[o]) < ModePreviewListCap {
			out.Groups[o] = append(out.Groups[o], e)
		}
	}
	err := s.store.View(ctx, func(tx ReadTx) error {
		p, err := tx.IdP(idpID)
		if err != nil {
			return err
		}
		out.From = p.Mode
		jitUsers, scimUsers := 0, 0
		if err := tx.ScanUsers(ScanQuery{IdP: idpID}, func(u User) error {
			switch u.Owner {
			case OwnerJIT:
				jitUsers++
			case OwnerSCIM:
				scimUsers++
			}
			u.PasswordHash = ""
			add(ModePreviewEntry{User: &u, Decision: DecideModePreview(p, to, LoginState{ByKey: &u}, now)})
			return nil
		}); err != nil {
			return err
		}
		tombs, err := tx.Tombstones(idpID)
		if err != nil {
			return err
		}
		for _, t := range tombs {
			add(ModePreviewEntry{Tombstone: &t, Decision: DecideModePreview(p, to, LoginState{Tombstone: &t}, now)})
		}
		out.Change = DecideModeChange(p.Mode, to, jitUsers, scimUsers)
		out.Newcomer = DecideModePreview(p, to, LoginState{}, now)
		return nil
	})
	if err != nil {
		return ModePreview{}, err
	}
	return out, nil
}

// Summary says the preview in one sentence per outcome that has anyone, for a person.
func (p ModePreview) Summary() []string {
	var out []string
	if p.From == p.To {
		return []string{fmt.Sprintf("IdP %s is in mode %s already; nothing changes", p.IdP, p.To)}
	}
	words := []struct {
		o    ModeOutcome
		what string
	}{
		{ModeAdoptedLater, "JIT-created users keep signing in and are adopted when SCIM creates them"},
		{ModeNoLongerSignsIn, "could no longer sign in"},
		{ModeSignsInAgain, "refused now, could sign in again"},
		{ModeKeepsWorking, "keep working"},
		{ModeStaysRefused, "stay refused"},
	}
	for _, w := range words {
		if n := p.Counts[w.o]; n > 0 {
			out = append(out, fmt.Sprintf("%d %s", n, w.what))
		}
	}
	if p.Newcomer.Outcome == ModeNoLongerSignsIn {
		out = append(out, "people without a user can no longer sign in: "+p.Newcomer.Reason)
	}
	if p.Newcomer.Outcome == ModeSignsInAgain {
		out = append(out, "people without a user can sign in again: "+p.Newcomer.Reason)
	}
	return out
}
