package directory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// SCIMActor is the caller of a SCIM operation: one token of one IdP. Every SCIM read and write
// is scoped to that IdP (R10).
type SCIMActor struct {
	IdP string
	// Org is the organization of the IdP, and so of everything the actor may see (R13); ""
	// reads as DefaultOrg.
	Org     string
	TokenID string
}

func (a SCIMActor) String() string { return "scim:" + a.TokenID }

// scimIdP loads the actor's IdP and applies R2; a refusal is logged as an event.
func (s *Service) scimIdP(tx Tx, a SCIMActor, subject string) (IdP, error) {
	idp, err := tx.IdP(a.IdP)
	if err != nil {
		return IdP{}, err
	}
	if r := DecideSCIMAccess(idp); r != nil {
		return IdP{}, r
	}
	return idp, nil
}

// CheckSCIMAccessOf reports whether the actor's IdP takes SCIM requests at all (R2). The SCIM
// edge calls it before anything else, so reads are refused the same way writes are; a refusal
// is recorded as an event naming the token, the rule and subject — what the request addressed —
// so that every refusal is explained (R12).
//
// idp is the actor's IdP as AuthenticateSCIM read it with the token (zero: it no longer
// exists, ErrNotFound), which saves the SCIM edge a read per request.
func (s *Service) CheckSCIMAccessOf(ctx context.Context, a SCIMActor, idp IdP, subject string) error {
	if idp.ID == "" || idp.ID != a.IdP {
		return ErrNotFound
	}
	var err error
	if r := DecideSCIMAccess(idp); r != nil {
		err = r
	}
	return s.recordRefusal(ctx, a, subject, err)
}

// scoped loads one record with get and hides it unless idpOf says it belongs to the IdP idp
// (R10): a record of another IdP reads as not found, the same answer as one that does not exist.
func scoped[T any](get func(id string) (T, error), idpOf func(T) string, idp, id string) (T, error) {
	var none T
	v, err := get(id)
	if err != nil {
		return none, err
	}
	if idpOf(v) != idp {
		return none, ErrNotFound
	}
	return v, nil
}

// viewScoped reads one record of the actor's IdP with lookup, in a read transaction.
func viewScoped[T any](ctx context.Context, s *Service, a SCIMActor, id string, lookup func(tx ReadTx, idp, id string) (T, error)) (T, error) {
	var v T
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		v, err = lookup(tx, a.IdP, id)
		return err
	})
	return v, err
}

// scopedUser loads a user and hides it unless it belongs to the actor's IdP (R10).
func scopedUser(tx ReadTx, idp, id string) (User, error) {
	return scoped(tx.User, func(u User) string { return u.IdP }, idp, id)
}

// SCIMUser returns one user of the actor's IdP.
func (s *Service) SCIMUser(ctx context.Context, a SCIMActor, id string) (User, error) {
	return viewScoped(ctx, s, a, id, scopedUser)
}

// refuseSCIM records a SCIM refusal as an event and returns it as a *Refusal.
func (s *Service) refuseSCIM(ctx context.Context, a SCIMActor, subject string, rule Rule, code, reason string) error {
	r := &Refusal{Rule: rule, Code: code, Reason: reason}
	err := s.update(ctx, func(tx Tx) error {
		org := a.Org
		if p, err := tx.IdP(a.IdP); err == nil {
			org = p.Org
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		e, err := s.appendEvent(tx, Event{Type: EventSCIMRefused, Actor: a.String(), Subject: subject,
			Org: org, IdP: a.IdP, Rule: rule, Reason: reason})
		r.EventID = e.ID
		return err
	})
	if err != nil {
		return err
	}
	return r
}

// SCIMCreateUser creates a user from a SCIM POST, applying R1, R2, R5–R8 and R13 within the
// organization of the actor's IdP. When the key matches
// a JIT-created user, that user is adopted and keeps its id (R5). A taken userName or identity
// is a *ConflictError (R7, R8), recorded as an event.
func (s *Service) SCIMCreateUser(ctx context.Context, a SCIMActor, in User, opts ...WriteOption) (User, error) {
	if err := CheckUser(in); err != nil {
		return User{}, err
	}
	o := applyWriteOptions(opts)
	var out User
	var decision SCIMDecision
	err := retryConflicts(func() error {
		return s.update(ctx, func(tx Tx) error {
			idp, err := s.scimIdP(tx, a, in.UserName)
			if err != nil {
				return err
			}
			key := SCIMKey(idp, in)
			var st SCIMCreateState
			if key != "" {
				a, err := tx.Arrival(Identity{IdP: idp.ID, UniqueUserID: key}, idp.Org, in.UserName)
				if err != nil {
					return err
				}
				st = SCIMCreateState{ByKey: a.ByKey, Tombstone: a.Tombstone, ByUserName: a.ByUserName}
			} else if st.ByUserName, err = userOrNil(tx.UserByUserName(idp.Org, in.UserName)); err != nil {
				return err
			}
			decision = DecideSCIMCreate(idp, st, key, in)
			if decision.Action != SCIMRefuse {
				org, err := tx.Org(idp.Org)
				if err != nil {
					return err
				}
				if r := DecideEmailDomains(org, emailValues(in.Emails, nil)); r != nil {
					decision = SCIMDecision{Action: SCIMRefuse, Rule: r.Rule, Event: EventSCIMRefused, Code: r.Code, Reason: r.Reason}
				}
			}
			switch decision.Action {
			case SCIMRefuse, SCIMConflict:
				return nil // recorded below, outside this transaction
			}
			u := in.Clone()
			u.Org, u.IdP, u.UniqueUserID, u.Owner = idp.Org, idp.ID, key, OwnerSCIM
			e := Event{Type: decision.Event, Actor: a.String(), Org: idp.Org, IdP: idp.ID, Rule: decision.Rule, Reason: decision.Reason}
			if decision.Action == SCIMAdopt {
				old := *st.ByKey
				u.ID, u.Meta, u.LastLoginAt, u.SessionsValidAfter = old.ID, old.Meta, old.LastLoginAt, old.SessionsValidAfter
				if decision.EndsSessions {
					u.SessionsValidAfter = s.Now()
				}
				s.stamp(&u, false)
				e.Changes = diffUsers(old, u)
			} else {
				u.ID = s.newID()
				u.Meta = Meta{}
				s.stamp(&u, true)
				e.Changes = []string{"userName"}
			}
			if err := tx.PutUser(u); err != nil {
				return err
			}
			if decision.ClearsTombstone {
				if err := tx.DeleteTombstone(Identity{IdP: idp.ID, UniqueUserID: key}); err != nil {
					return err
				}
			}
			e.Subject, e.User = u.ID, &u
			if _, err := s.appendEvent(tx, e); err != nil {
				return err
			}
			out = u
			if decision.Action != SCIMAdopt {
				// A user with a fresh id belongs to no group yet: nothing to read.
				return o.answerNone()
			}
			return o.answer(tx, u.ID)
		})
	})
	if err != nil {
		return User{}, s.recordRefusal(ctx, a, in.UserName, err)
	}
	switch decision.Action {
	case SCIMRefuse:
		return User{}, s.refuseSCIM(ctx, a, in.UserName, decision.Rule, decision.Code, decision.Reason)
	case SCIMConflict:
		if rerr := s.refuseSCIM(ctx, a, in.UserName, decision.Rule, decision.Code, decision.Reason); !isRefusal(rerr) {
			return User{}, rerr
		}
		return User{}, decision.Conflict
	}
	return out, nil
}

// emailValues lists the email values of emails that are not among those of except, compared
// folded.
func emailValues(emails, except []MultiValue) []string {
	had := make(map[string]bool, len(except))
	for _, e := range except {
		had[FoldEmail(e.Value)] = true
	}
	var out []string
	for _, e := range emails {
		if !had[FoldEmail(e.Value)] {
			out = append(out, e.Value)
		}
	}
	return out
}

func isRefusal(err error) bool { _, ok := AsRefusal(err); return ok }

// recordRefusal logs a refusal that a write transaction returned (R2) as an event, so that every
// refusal is explained (R12). Other errors pass through.
func (s *Service) recordRefusal(ctx context.Context, a SCIMActor, subject string, err error) error {
	if r, ok := AsRefusal(err); ok && r.EventID == "" {
		return s.refuseSCIM(ctx, a, subject, r.Rule, r.Code, r.Reason)
	}
	return err
}

func checkVersion(current, expect int64) error {
	if expect != 0 && current != expect {
		return fmt.Errorf("%w: the resource is at version %d, the request expected %d", ErrPrecondition, current, expect)
	}
	return nil
}

// SCIMUpdateUser changes one user of the actor's IdP through fn (PUT and PATCH). expectVersion
// is the If-Match version, 0 for none. Server-kept fields (id, identity, owner, meta) are kept
// whatever fn returns, except that a change of the matching attribute moves the identity (R1),
// and a JIT-created user that SCIM updates becomes SCIM-owned (R5). Deactivation ends the
// user's sessions (R6).
func (s *Service) SCIMUpdateUser(ctx context.Context, a SCIMActor, id string, expectVersion int64, fn func(User) (User, error), opts ...WriteOption) (User, error) {
	o := applyWriteOptions(opts)
	var out User
	err := s.update(ctx, func(tx Tx) error {
		idp, err := s.scimIdP(tx, a, id)
		if err != nil {
			return err
		}
		old, err := scopedUser(tx, a.IdP, id)
		if err != nil {
			return err
		}
		if err := checkVersion(old.Meta.Version, expectVersion); err != nil {
			return err
		}
		in, err := fn(old.Clone())
		if err != nil {
			return err
		}
		if err := CheckUser(in); err != nil {
			return err
		}
		d, err := DecideSCIMUpdate(idp, old, in, s.Now())
		if err != nil {
			return err
		}
		// R13 judges the emails the update adds: a user whose emails were accepted before
		// the organization limited them can still be changed, deactivated above all.
		if added := emailValues(d.User.Emails, old.Emails); d.Event != "" && len(added) > 0 {
			org, err := tx.Org(idp.Org)
			if err != nil {
				return err
			}
			if r := DecideEmailDomains(org, added); r != nil {
				return r // recorded as an event by recordRefusal
			}
		}
		if d.Event == "" {
			out = old
			return o.answer(tx, old.ID)
		}
		u := d.User
		s.stamp(&u, false)
		if err := tx.PutUser(u); err != nil {
			return err
		}
		if _, err := s.appendEvent(tx, Event{Type: d.Event, Actor: a.String(), Subject: u.ID, Org: u.Org, IdP: idp.ID,
			Rule: d.Rule, Reason: d.Reason, Changes: d.Changes, User: &u}); err != nil {
			return err
		}
		out = u
		return o.answer(tx, u.ID)
	})
	return out, s.recordRefusal(ctx, a, id, err)
}

// SCIMDeleteUser deletes a user of the actor's IdP, ends its sessions and tombstones its key so
// that no login brings it back (R6).
func (s *Service) SCIMDeleteUser(ctx context.Context, a SCIMActor, id string, expectVersion int64) error {
	return s.recordRefusal(ctx, a, id, s.update(ctx, func(tx Tx) error {
		if _, err := s.scimIdP(tx, a, id); err != nil {
			return err
		}
		u, err := scopedUser(tx, a.IdP, id)
		if err != nil {
			return err
		}
		if err := checkVersion(u.Meta.Version, expectVersion); err != nil {
			return err
		}
		d := DecideSCIMDelete(u)
		if err := tx.DeleteUser(id); err != nil {
			return err
		}
		if d.Tombstone {
			if err := tx.PutTombstone(Tombstone{Org: u.Org, IdP: u.IdP, UniqueUserID: u.UniqueUserID, UserID: u.ID,
				UserName: u.UserName, DeletedAt: s.Now(), Actor: a.String()}); err != nil {
				return err
			}
		}
		_, err = s.appendEvent(tx, Event{Type: d.Event, Actor: a.String(), Subject: id, Org: u.Org, IdP: a.IdP, Rule: d.Rule,
			Reason: d.Reason})
		return err
	}))
}

// scopedGroup loads a group and hides it unless it belongs to the actor's IdP (R10).
func scopedGroup(tx ReadTx, idp, id string) (Group, error) {
	return scoped(tx.Group, func(g Group) string { return g.IdP }, idp, id)
}

// SCIMGroup returns one group of the actor's IdP.
func (s *Service) SCIMGroup(ctx context.Context, a SCIMActor, id string) (Group, error) {
	return viewScoped(ctx, s, a, id, scopedGroup)
}

// checkMembers makes sure every member is a user of the IdP (R10) and drops duplicates.
// Members the group already has (had) were checked when they joined and are not read again:
// a user leaves every group when deleted, and a user's IdP changes only when a user of no IdP
// is linked (R9), who could not have been a member. So a PATCH that adds one member to a
// group of thousands reads one user, not thousands. The new members are read together
// (UsersByID): on PostgreSQL, a group created with 500 members reads them in one round trip,
// not 500.
func checkMembers(tx ReadTx, idp string, members, had []string) ([]string, error) {
	known := make(map[string]bool, len(had))
	for _, m := range had {
		known[m] = true
	}
	seen := make(map[string]bool, len(members))
	out := make([]string, 0, len(members))
	var unknown []string
	for _, m := range members {
		if seen[m] {
			continue
		}
		seen[m] = true
		if !known[m] {
			unknown = append(unknown, m)
		}
		out = append(out, m)
	}
	if len(unknown) == 0 {
		return out, nil
	}
	users, err := tx.UsersByID(unknown)
	if err != nil {
		return nil, err
	}
	ofIdP := make(map[string]bool, len(users))
	for _, u := range users {
		ofIdP[u.ID] = u.IdP == idp
	}
	for _, m := range unknown { // the first in the request's order is the one reported
		if !ofIdP[m] {
			return nil, Invalidf("member %q is not a user of this IdP", m)
		}
	}
	return out, nil
}

// SCIMCreateGroup creates a group of the actor's IdP. A displayName taken within the IdP is a
// *ConflictError.
func (s *Service) SCIMCreateGroup(ctx context.Context, a SCIMActor, in Group) (Group, error) {
	if err := CheckGroup(in); err != nil {
		return Group{}, err
	}
	var out Group
	err := s.update(ctx, func(tx Tx) error {
		idp, err := s.scimIdP(tx, a, in.DisplayName)
		if err != nil {
			return err
		}
		if strings.TrimSpace(in.DisplayName) == "" {
			return Invalidf("displayName is required")
		}
		g := in.Clone()
		if g.Members, err = checkMembers(tx, a.IdP, g.Members, nil); err != nil {
			return err
		}
		g.ID, g.Org, g.IdP, g.Owner, g.Meta = s.newID(), idp.Org, a.IdP, OwnerSCIM, Meta{}
		s.stampGroup(&g, true)
		if err := tx.PutGroup(g); err != nil {
			return err
		}
		if _, err := s.appendEvent(tx, Event{Type: EventGroupCreated, Actor: a.String(), Subject: g.ID, Org: g.Org, IdP: a.IdP,
			Changes: []string{"displayName", "members"}, Group: &g}); err != nil {
			return err
		}
		out = g
		return nil
	})
	return out, s.recordRefusal(ctx, a, in.DisplayName, err)
}

// SCIMUpdateGroup changes a group of the actor's IdP through fn (PUT and PATCH).
func (s *Service) SCIMUpdateGroup(ctx context.Context, a SCIMActor, id string, expectVersion int64, fn func(Group) (Group, error)) (Group, error) {
	var out Group
	err := s.update(ctx, func(tx Tx) error {
		if _, err := s.scimIdP(tx, a, id); err != nil {
			return err
		}
		old, err := scopedGroup(tx, a.IdP, id)
		if err != nil {
			return err
		}
		if err := checkVersion(old.Meta.Version, expectVersion); err != nil {
			return err
		}
		g, err := fn(old.Clone())
		if err != nil {
			return err
		}
		out, err = s.writeSCIMGroup(tx, a, old, g)
		return err
	})
	return out, s.recordRefusal(ctx, a, id, err)
}

// writeSCIMGroup writes g, what a SCIM write made of the group old, as SCIMUpdateGroup writes
// it: checked, its members users of the IdP, and with its event — or not at all when nothing
// changed, returning old.
func (s *Service) writeSCIMGroup(tx Tx, a SCIMActor, old, g Group) (Group, error) {
	if err := CheckGroup(g); err != nil {
		return Group{}, err
	}
	g.ID, g.Org, g.IdP, g.Meta, g.Owner = old.ID, old.Org, old.IdP, old.Meta, OwnerSCIM
	if strings.TrimSpace(g.DisplayName) == "" {
		return Group{}, Invalidf("displayName is required")
	}
	var err error
	if g.Members, err = checkMembers(tx, a.IdP, g.Members, old.Members); err != nil {
		return Group{}, err
	}
	var changes []string
	if g.DisplayName != old.DisplayName {
		changes = append(changes, "displayName")
	}
	if g.ExternalID != old.ExternalID {
		changes = append(changes, "externalId")
	}
	if !sameMembers(old.Members, g.Members) {
		changes = append(changes, "members")
	}
	if len(changes) == 0 {
		return old, nil
	}
	s.stampGroup(&g, false)
	if err := tx.PutGroup(g); err != nil {
		return Group{}, err
	}
	if _, err := s.appendEvent(tx, Event{Type: EventGroupUpdated, Actor: a.String(), Subject: g.ID, Org: g.Org, IdP: a.IdP,
		Changes: changes, Group: &g}); err != nil {
		return Group{}, err
	}
	return g, nil
}

// MemberChange is one operation of a PATCH that changes a group's members and nothing else:
// the ids it adds (Add) or removes, in order.
type MemberChange struct {
	Add bool
	IDs []string
}

// ErrWholeGroup says SCIMChangeMembers cannot apply a change; SCIMUpdateGroup can.
var ErrWholeGroup = errors.New("the change needs the group written whole")

// defaultMembersPerChange: a change is made member by member when the group has more than 500
// members per member the change names. Member by member, each named member costs a few reads
// and a write (on PostgreSQL, round trips); reading the group costs in proportion to its
// members. Measured: one member joining a group of 50,000 costs 0.7–1 ms that way against
// 8–10 ms read whole on bbolt, 2.7–4 against 28 ms on PostgreSQL; 500 joining an empty group
// 9 against 3 ms on bbolt, 138 against 23 ms on PostgreSQL.
const defaultMembersPerChange = 500

// SCIMChangeMembers applies changes — the operations of a membership PATCH, in order, no id in
// two of them or twice in one — to a group of the actor's IdP in one transaction. The outcome
// is what SCIMUpdateGroup gives for the same PATCH: the group's new version, or the same group
// when nothing changes; new members checked alike; one event whose snapshot lists the members
// while they are at most MaxSnapshotMembers. It returns the group without its members.
//
// A large group (membersPerChange members or more per id named) is changed without reading its
// members: the store says whether each id is a member, and each who joins or leaves is one
// write. A smaller one is read and written whole, which costs less. A group whose write would
// change more than its members (a displayName or externalId SCIMUpdateGroup would trim or
// refuse, an owner other than SCIM) is ErrWholeGroup, changing nothing.
func (s *Service) SCIMChangeMembers(ctx context.Context, a SCIMActor, id string, expectVersion int64, changes []MemberChange) (Group, error) {
	named, removing := 0, 0
	for _, c := range changes {
		named += len(c.IDs)
		if !c.Add {
			removing += len(c.IDs)
		}
	}
	large := s.membersPerChange * max(named, 1)
	var out Group
	err := s.update(ctx, func(tx Tx) error {
		// Counted far enough to tell a large group, and whether the event can list the
		// members after the change.
		head, size, err := tx.GroupHead(id, max(MaxSnapshotMembers+removing, large))
		if err != nil {
			return err
		}
		// As SCIMUpdateGroup's caller reads the group before it writes: a group that is not the
		// IdP's is not found, whether or not the IdP may write.
		if head.IdP != a.IdP {
			return ErrNotFound
		}
		if _, err := s.scimIdP(tx, a, id); err != nil {
			return err
		}
		if err := checkVersion(head.Meta.Version, expectVersion); err != nil {
			return err
		}
		if head.Owner != OwnerSCIM || CheckGroup(head) != nil || strings.TrimSpace(head.DisplayName) == "" ||
			strings.TrimSpace(head.DisplayName) != head.DisplayName || strings.TrimSpace(head.ExternalID) != head.ExternalID {
			return ErrWholeGroup
		}
		if size < large {
			// A small group is read and written whole, as SCIMUpdateGroup writes it.
			old, err := tx.Group(id)
			if err != nil {
				return err
			}
			gone, g := map[string]bool{}, old.Clone()
			var adds []string
			for _, c := range changes {
				for _, uid := range c.IDs {
					if c.Add {
						adds = append(adds, uid)
					} else {
						gone[uid] = true
					}
				}
			}
			g.Members = append(slices.DeleteFunc(g.Members, func(m string) bool { return gone[m] }), adds...)
			out, err = s.writeSCIMGroup(tx, a, old, g)
			out.Members = nil
			return err
		}
		var adds, removes []string
		for _, c := range changes {
			for _, uid := range c.IDs {
				// One who joins is read first: a store may bring the user's groups with the
				// user (PostgreSQL does, in the same round trip).
				if c.Add {
					if _, err := scopedUser(tx, a.IdP, uid); errors.Is(err, ErrNotFound) {
						return Invalidf("member %q is not a user of this IdP", uid)
					} else if err != nil {
						return err
					}
				}
				groups, err := tx.GroupsOfUser(uid)
				if err != nil {
					return err
				}
				switch member := slices.Contains(groups, id); {
				case c.Add && !member:
					adds = append(adds, uid)
				case !c.Add && member:
					removes = append(removes, uid)
				}
			}
		}
		out = head
		if len(adds)+len(removes) == 0 {
			return nil
		}
		s.stampGroup(&head, false)
		for _, uid := range removes {
			if err := tx.RemoveGroupMember(id, uid, head.Meta); err != nil {
				return err
			}
		}
		for _, uid := range adds {
			if err := tx.AddGroupMember(id, uid, head.Meta); err != nil {
				return err
			}
		}
		e := Event{Type: EventGroupUpdated, Actor: a.String(), Subject: id, Org: head.Org, IdP: a.IdP, Changes: []string{"members"}}
		if e.Group, e.Partial, err = groupAfterChange(tx, head, size+len(adds)-len(removes)); err != nil {
			return err
		}
		if _, err := s.appendEvent(tx, e); err != nil {
			return err
		}
		out = head
		return nil
	})
	return out, s.recordRefusal(ctx, a, id, err)
}

func sameMembers(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	set := make(map[string]bool, len(a))
	for _, m := range a {
		set[m] = true
	}
	for _, m := range b {
		if !set[m] {
			return false
		}
	}
	return true
}

// SCIMDeleteGroup deletes a group of the actor's IdP.
func (s *Service) SCIMDeleteGroup(ctx context.Context, a SCIMActor, id string, expectVersion int64) error {
	return s.recordRefusal(ctx, a, id, s.update(ctx, func(tx Tx) error {
		if _, err := s.scimIdP(tx, a, id); err != nil {
			return err
		}
		g, err := scopedGroup(tx, a.IdP, id)
		if err != nil {
			return err
		}
		if err := checkVersion(g.Meta.Version, expectVersion); err != nil {
			return err
		}
		if err := tx.DeleteGroup(id); err != nil {
			return err
		}
		_, err = s.appendEvent(tx, Event{Type: EventGroupDeleted, Actor: a.String(), Subject: id, Org: g.Org, IdP: a.IdP})
		return err
	}))
}
