package directory

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
)

// Login applies one sign-in to the directory (UpsertFromLogin): it creates, updates or links
// the user, or refuses, by R1–R4, R6, R8, R9, R11 and R13, within the organization of the IdP:
// userNames and emails are looked up in it only. Every outcome is one event (R12); a
// refusal is returned as a *Refusal whose EventID names that event.
//
// uses are the one-time keys the sign-in consumes: the SAML request it answers and the
// assertion id for the replay cache, or the OIDC login state. They are used in the sign-in's
// own transaction, so that one sign-in costs one store transaction and no two sign-ins can use
// the same key: when one cannot be used, nothing is changed or recorded and the error matches
// ErrUsed. A sign-in the rules refuse uses its keys all the same.
func (s *Service) Login(ctx context.Context, in Login, uses ...OnceUse) (User, error) {
	u, _, err := s.login(ctx, in, 0, uses)
	return u, err
}

// SignIn is Login followed, unless the rules refuse it, by a session of the user that lasts
// ttl, created in the sign-in's own transaction: one store transaction per sign-in. It returns
// the session's secret, the cookie value (see CreateSession); the session counts towards the
// user's MaxSessionsPerUser as one CreateSession would.
func (s *Service) SignIn(ctx context.Context, in Login, ttl time.Duration, uses ...OnceUse) (User, string, error) {
	if ttl <= 0 {
		return User{}, "", Invalidf("a session must last a positive time, not %s", ttl)
	}
	return s.login(ctx, in, ttl, uses)
}

// login is Login, and SignIn when ttl is positive.
func (s *Service) login(ctx context.Context, in Login, ttl time.Duration, uses []OnceUse) (User, string, error) {
	if err := CheckLogin(in); err != nil {
		return User{}, "", err
	}
	in.UniqueUserID = strings.TrimSpace(in.UniqueUserID)
	var secret string
	if ttl > 0 {
		secret = newSecret(sessionPrefix)
	}
	var out User
	var refusal *Refusal
	actor := "jit:" + in.IdP
	err := retryConflicts(func() error {
		return s.update(ctx, func(tx Tx) error {
			refusal = nil
			if err := applyOnce(tx, s.Now(), uses); err != nil {
				return err
			}
			now := s.Now()
			idp, st, d, err := decideLoginIn(tx, in, now)
			if err != nil {
				return err
			}
			subject := in.UniqueUserID
			if st.ByKey != nil {
				subject = st.ByKey.ID
			}
			if d.Action == LoginRefuse {
				e, err := s.appendEvent(tx, in.explainKey(Event{Type: d.EventType(), Actor: actor, Subject: subject, Org: idp.Org, IdP: idp.ID,
					Rule: d.Rule, Reason: d.Reason + " [" + d.Code + "] uniqueUserId=" + in.UniqueUserID}))
				refusal = &Refusal{Rule: d.Rule, Code: d.Code, Reason: d.Reason, EventID: e.ID}
				return err
			}
			u := d.User
			switch d.Action {
			case LoginCreate:
				u.ID = s.newID()
				s.stamp(&u, true)
			case LoginLink:
				s.stamp(&u, false)
			default:
				// lastLoginAt alone is not a SCIM-visible change, so it keeps the version (ETag).
				if len(d.Changes) > 1 {
					s.stamp(&u, false)
				}
			}
			if err := tx.PutUser(u); err != nil {
				return err
			}
			changes := d.Changes
			if d.SyncGroups {
				names := in.Groups
				if d.Action == LoginCreate {
					names = append(slices.Clone(idp.DefaultGroups), names...)
				}
				changed, err := s.syncLoginGroups(tx, idp, u.ID, d.Action == LoginCreate, names, in.GroupsAsserted, actor)
				if err != nil {
					return err
				}
				if changed {
					changes = append(changes, "groups")
				}
			}
			if _, err := s.appendEvent(tx, in.explainKey(Event{Type: d.EventType(), Actor: actor, Subject: u.ID, Org: idp.Org, IdP: idp.ID,
				Rule: d.Rule, Reason: d.Reason, Changes: changes, User: &u})); err != nil {
				return err
			}
			if secret != "" {
				if err := putSession(tx, secret, u.ID, idp.ID, now, ttl); err != nil {
					return err
				}
			}
			out = u
			return nil
		})
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return User{}, "", DecideUnknownIdP(in.IdP)
		}
		return User{}, "", err
	}
	if refusal != nil {
		return User{}, "", refusal
	}
	return out, secret, nil
}

// decideLoginIn reads what bears on a login and decides it: DecideLogin on the current state,
// with R13's email domains of the IdP's organization over it. Login carries the decision out;
// TestLogin only reports it.
func decideLoginIn(tx ReadTx, in Login, now time.Time) (IdP, LoginState, LoginDecision, error) {
	idp, err := tx.IdP(in.IdP)
	if err != nil {
		return IdP{}, LoginState{}, LoginDecision{}, err
	}
	st, err := loadLoginState(tx, idp, in)
	if err != nil {
		return IdP{}, LoginState{}, LoginDecision{}, err
	}
	org, err := tx.Org(idp.Org)
	if err != nil {
		return IdP{}, LoginState{}, LoginDecision{}, err
	}
	d := DecideLogin(idp, st, in, now)
	if r := DecideEmailDomains(org, []string{in.Email}); r != nil {
		d = LoginDecision{Action: LoginRefuse, Rule: r.Rule, Code: r.Code, Reason: r.Reason}
	}
	return idp, st, d, nil
}

func loadLoginState(tx ReadTx, idp IdP, in Login) (LoginState, error) {
	var st LoginState
	if in.UniqueUserID == "" {
		return st, nil
	}
	// A returning user's identity decides alone; what else Arrival read is for a first
	// sign-in, which reads it in the same statement on PostgreSQL.
	a, err := tx.Arrival(Identity{IdP: idp.ID, UniqueUserID: in.UniqueUserID}, idp.Org, in.DesiredUserName())
	if err != nil || a.ByKey != nil {
		st.ByKey = a.ByKey
		return st, err
	}
	st.Tombstone, st.ByUserName = a.Tombstone, a.ByUserName
	if idp.LinkPolicy == LinkVerifiedEmail && in.Email != "" {
		if st.ByEmail, err = tx.UsersByEmail(idp.Org, in.Email); err != nil {
			return st, err
		}
		// The user holding the userName is the link target itself when linking applies.
		if st.ByUserName != nil {
			if _, ok := linkTarget(idp, st.ByEmail, in); ok {
				st.ByUserName = nil
			}
		}
	}
	return st, nil
}

// joinReason explains a group event of a sign-in that joins the group.
const joinReason = "group membership from the login's group claims"

// syncLoginGroups makes the user a member of the named groups of the IdP, creating missing ones
// as JIT-owned. When the IdP asserted its groups, the user also leaves the JIT-owned groups of
// the IdP that the login no longer names; groups SCIM or an administrator manage are left alone.
//
// A group the user is a member of is not read, only named: a returning member of a group of
// thousands signs in without its list being read. A user the login created (created) has an
// id nobody had, and so no groups to read.
func (s *Service) syncLoginGroups(tx Tx, idp IdP, userID string, created bool, names []string, asserted bool, actor string) (bool, error) {
	want := make(map[string]bool)
	named := make(map[string]bool) // groups of the user's that the login names, found by name
	changed := false
	var mine []string
	if !created {
		var err error
		if mine, err = tx.GroupsOfUser(userID); err != nil {
			return false, err
		}
	}
	var asked []string // the names, trimmed, each once
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" || want[strings.ToLower(n)] {
			continue
		}
		want[strings.ToLower(n)] = true
		asked = append(asked, n)
	}
	// The groups' ids in one read: a round trip, not one per group, on PostgreSQL.
	ids, err := tx.GroupIDsByDisplayName(idp.ID, asked)
	if err != nil {
		return false, err
	}
	for _, n := range asked {
		id, found := ids[n]
		switch {
		case found && slices.Contains(mine, id):
			named[id] = true
			continue
		case !found:
			g := Group{ID: s.newID(), Org: idp.Org, DisplayName: n, IdP: idp.ID, Owner: OwnerJIT, Members: []string{userID}}
			s.stampGroup(&g, true)
			if err := tx.PutGroup(g); err != nil {
				return false, err
			}
			if _, err := s.appendEvent(tx, Event{Type: EventGroupCreated, Actor: actor, Subject: g.ID, Org: idp.Org, IdP: idp.ID,
				Changes: []string{"members"}, Reason: joinReason, Group: &g}); err != nil {
				return false, err
			}
			changed = true
			continue
		}
		// The group's head, and its members only if the event can carry them: joining a group
		// of thousands reads and writes what the join changes.
		g, size, err := tx.GroupHead(id, MaxSnapshotMembers)
		if err != nil {
			return false, err
		}
		// A group of the same name that SCIM manages is SCIM's to fill; a login never joins it.
		if g.Owner != OwnerJIT {
			continue
		}
		s.stampGroup(&g, false)
		if err := tx.AddGroupMember(g.ID, userID, g.Meta); err != nil {
			return false, err
		}
		e := Event{Type: EventGroupUpdated, Actor: actor, Subject: g.ID, Org: idp.Org, IdP: idp.ID,
			Changes: []string{"members"}, Reason: joinReason}
		if e.Group, e.Partial, err = groupAfterChange(tx, g, size+1); err != nil {
			return false, err
		}
		if _, err := s.appendEvent(tx, e); err != nil {
			return false, err
		}
		changed = true
	}
	if !asserted {
		return changed, nil
	}
	// The IdP's default groups are given on create and are not the IdP's claims to take away.
	for _, n := range idp.DefaultGroups {
		want[strings.ToLower(strings.TrimSpace(n))] = true
	}
	// The groups the login joined are all named, so the memberships read before it are the
	// ones to look at, but for those the login named: a returning user's groups cost no read
	// of their names (a round trip each on PostgreSQL).
	for _, id := range mine {
		if named[id] {
			continue
		}
		name, err := tx.GroupName(id)
		if err != nil {
			return false, err
		}
		if want[strings.ToLower(strings.TrimSpace(name))] {
			continue
		}
		// As a join: the group's head, one write, and the members only for an event that can
		// carry them.
		g, size, err := tx.GroupHead(id, MaxSnapshotMembers+1)
		if err != nil {
			return false, err
		}
		if g.IdP != idp.ID || g.Owner != OwnerJIT {
			continue
		}
		s.stampGroup(&g, false)
		if err := tx.RemoveGroupMember(g.ID, userID, g.Meta); err != nil {
			return false, err
		}
		e := Event{Type: EventGroupUpdated, Actor: actor, Subject: g.ID, Org: idp.Org, IdP: idp.ID,
			Changes: []string{"members"}, Reason: "the login no longer names this group"}
		if e.Group, e.Partial, err = groupAfterChange(tx, g, size-1); err != nil {
			return false, err
		}
		if _, err := s.appendEvent(tx, e); err != nil {
			return false, err
		}
		changed = true
	}
	return changed, nil
}
