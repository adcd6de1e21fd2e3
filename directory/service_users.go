package directory

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"sort"
	"time"
)

// EventUserSignedOut records that an administrator ended every session of a user.
const EventUserSignedOut = "user.signed_out"

// idpOf reads the IdP a user belongs to; nil for a user of no IdP, or of one deleted since.
func idpOf(tx ReadTx, u User) (*IdP, error) {
	if u.IdP == "" {
		return nil, nil
	}
	p, err := tx.IdP(u.IdP)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// ReactivateUser reactivates a user on an administrator's word (DecideAdminReactivation). A
// user SCIM provisions is refused with a *Refusal and nothing changes; an active user is
// returned as it is.
func (s *Service) ReactivateUser(ctx context.Context, actor, id string) (User, error) {
	var out User
	err := s.update(ctx, func(tx Tx) error {
		u, err := tx.User(id)
		if err != nil {
			return err
		}
		p, err := idpOf(tx, u)
		if err != nil {
			return err
		}
		d, refusal := DecideAdminReactivation(p, u)
		if refusal != nil {
			return refusal
		}
		if d.Event == "" {
			out = u
			return nil
		}
		u = d.User
		s.stamp(&u, false)
		if err := tx.PutUser(u); err != nil {
			return err
		}
		if _, err := s.appendEvent(tx, Event{Type: d.Event, Actor: actor, Subject: id, Org: OrgOrDefault(u.Org), IdP: u.IdP,
			Rule: d.Rule, Reason: d.Reason, Changes: d.Changes, User: &u}); err != nil {
			return err
		}
		out = u
		return nil
	})
	return out, err
}

// UserDeletion is what deleting a user does (DecideAdminDelete): the user, and the tombstone
// its key gets, if any, with the reason that explains it.
type UserDeletion struct {
	User      User
	Tombstone *Tombstone
	Rule      Rule
	Reason    string
}

// DeleteUser deletes a user on an administrator's word: its memberships go with it, its
// sessions end, and its key is tombstoned (R6; DecideAdminDelete says what that means in the
// IdP's mode). With dryRun it only says what deleting would do, and writes nothing.
func (s *Service) DeleteUser(ctx context.Context, actor, id string, dryRun bool) (UserDeletion, error) {
	var out UserDeletion
	plan := func(tx ReadTx) (UserDeletion, error) {
		u, err := tx.User(id)
		if err != nil {
			return UserDeletion{}, err
		}
		p, err := idpOf(tx, u)
		if err != nil {
			return UserDeletion{}, err
		}
		d := DecideAdminDelete(p, u)
		del := UserDeletion{User: u, Rule: d.Rule, Reason: d.Reason}
		if d.Tombstone {
			del.Tombstone = &Tombstone{Org: OrgOrDefault(u.Org), IdP: u.IdP, UniqueUserID: u.UniqueUserID, UserID: u.ID,
				UserName: u.UserName, DeletedAt: s.Now(), Actor: actor}
		}
		return del, nil
	}
	if dryRun {
		err := s.store.View(ctx, func(tx ReadTx) error {
			var err error
			out, err = plan(tx)
			return err
		})
		return out, err
	}
	err := s.update(ctx, func(tx Tx) error {
		del, err := plan(tx)
		if err != nil {
			return err
		}
		if err := tx.DeleteUser(id); err != nil {
			return err
		}
		if del.Tombstone != nil {
			if err := tx.PutTombstone(*del.Tombstone); err != nil {
				return err
			}
		}
		if _, err := s.appendEvent(tx, Event{Type: EventUserDeleted, Actor: actor, Subject: id, Org: OrgOrDefault(del.User.Org),
			IdP: del.User.IdP, Rule: del.Rule, Reason: del.Reason}); err != nil {
			return err
		}
		out = del
		return nil
	})
	return out, err
}

// Session is one live sign-in session of a user, as an administrator sees it. ID is a short
// prefix of the hash under which the session is stored: it names the session without being a
// secret or enough to find it.
type Session struct {
	ID      string
	UserID  string
	IdP     string
	Created time.Time
	Expires time.Time
}

// UserSessions lists the live sessions of a user, newest first: those that have not expired,
// were not logged out and began after the user's sessions were last ended. It reads the user's
// list of sessions (limits.go), after listing, once, the sessions that an older Roster left on
// no list. An unknown user is ErrNotFound.
func (s *Service) UserSessions(ctx context.Context, userID string) ([]Session, error) {
	out := []Session{}
	now := s.Now()
	listed := true
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		if listed, err = sessionsListed(tx, now); err != nil || !listed {
			return err
		}
		u, err := tx.User(userID)
		if err != nil {
			return err
		}
		list, err := liveSessions(tx, userID, now)
		if err != nil {
			return err
		}
		out = out[:0]
		for _, us := range list {
			raw, err := tx.KV(sessionNS, us.Key, now)
			if errors.Is(err, ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			var rec sessionRecord
			if json.Unmarshal(raw, &rec) != nil || rec.UserID != userID || !rec.Created.After(u.SessionsValidAfter) {
				continue
			}
			id := us.Key
			if raw, err := base64.RawURLEncoding.DecodeString(us.Key); err == nil && len(raw) >= 8 {
				id = base64.RawURLEncoding.EncodeToString(raw[:8])
			}
			out = append(out, Session{ID: id, UserID: rec.UserID, IdP: rec.IdP, Created: rec.Created, Expires: rec.Expires})
		}
		return nil
	})
	if err == nil && !listed {
		if _, err := s.ListUnlistedSessions(ctx); err != nil {
			return nil, err
		}
		return s.UserSessions(ctx, userID) // once: the sessions are listed now
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, err
}

// SignOutEverywhere ends every session of a user at once ("sign out everywhere"): sessions that
// began before now no longer authenticate, on every replica, since each check compares the
// session's start with the user's cut-off. The user stays active and may sign in again. It
// returns the user and how many live sessions ended.
func (s *Service) SignOutEverywhere(ctx context.Context, actor, id string) (User, int, error) {
	live, err := s.UserSessions(ctx, id)
	if err != nil {
		return User{}, 0, err
	}
	var out User
	err = s.update(ctx, func(tx Tx) error {
		u, err := tx.User(id)
		if err != nil {
			return err
		}
		// The cut-off is not a SCIM-visible change, so it keeps the version (ETag).
		u.SessionsValidAfter = s.Now()
		if err := tx.PutUser(u); err != nil {
			return err
		}
		if _, err := s.appendEvent(tx, Event{Type: EventUserSignedOut, Actor: actor, Subject: id, Org: OrgOrDefault(u.Org), IdP: u.IdP,
			Reason: "an administrator ended every session of the user; it may sign in again"}); err != nil {
			return err
		}
		out = u
		return nil
	})
	return out, len(live), err
}
