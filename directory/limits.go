package directory

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Caps on what one IdP or one person can accumulate, so that neither a careless script nor a
// stolen credential can grow the store or the set of live credentials without end.
const (
	// MaxSCIMTokens is how many live (unrevoked, unexpired) SCIM tokens one IdP may have. An
	// IdP's connector needs one, and a rotation two.
	MaxSCIMTokens = 20
	// MaxSessionsPerUser is how many live sign-in sessions one user may have; a new sign-in
	// past it ends the oldest.
	MaxSessionsPerUser = 50
)

// checkSCIMTokenCap refuses a new SCIM token for an IdP that has MaxSCIMTokens live ones.
func checkSCIMTokenCap(tx ReadTx, idp string, now time.Time) error {
	tokens, err := tx.Tokens(TokenSCIM, idp)
	if err != nil {
		return err
	}
	live := 0
	for _, t := range tokens {
		if t.Usable(now) {
			live++
		}
	}
	if live >= MaxSCIMTokens {
		msg := fmt.Sprintf("IdP %q has %d live SCIM tokens, the most it may have; revoke one it no longer uses first", idp, live)
		return &ConflictError{Field: "tokens", Value: idp, Msg: msg}
	}
	return nil
}

// sessionsOfUserNS keeps, per user id, the keys of the user's sessions with their creation and
// expiry, oldest first, so that the cap can be kept without scanning every session.
//
// The list is exact but for expiry: a logout takes its session off the list (untrackSession)
// and the cap's evictions do, so a sign-in need not look each session up. Lists written before
// that (JSON arrays, which logouts left as they were) are checked against the sessions when
// next read, and written back in the encoding below.
const sessionsOfUserNS = "session.user"

type userSession struct {
	Key     string    `json:"key"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

// sessionListV1 starts an encoded list: after it, per session, the key's length (a uvarint),
// the key, and the creation and expiry as Unix nanoseconds, 8 bytes each, big-endian. A user
// at the cap signs in often; decoding and encoding 50 JSON entries with their RFC 3339 times
// was most of such a sign-in's work.
const sessionListV1 = 0x01

func encodeSessions(list []userSession) []byte {
	out := make([]byte, 1, 1+len(list)*(1+43+16))
	out[0] = sessionListV1
	for _, us := range list {
		out = binary.AppendUvarint(out, uint64(len(us.Key)))
		out = append(out, us.Key...)
		out = binary.BigEndian.AppendUint64(out, uint64(us.Created.UnixNano()))
		out = binary.BigEndian.AppendUint64(out, uint64(us.Expires.UnixNano()))
	}
	return out
}

// decodeSessions reads an encoded list; exact says it was, rather than a JSON list from
// before, whose entries may have been logged out. What cannot be read is an empty list.
func decodeSessions(raw []byte) (list []userSession, exact bool) {
	if len(raw) == 0 || raw[0] != sessionListV1 {
		if json.Unmarshal(raw, &list) != nil {
			return nil, false
		}
		return list, false
	}
	for rest := raw[1:]; len(rest) > 0; {
		n, w := binary.Uvarint(rest)
		if w <= 0 || n > uint64(len(rest)-w) || uint64(len(rest)-w)-n < 16 {
			return nil, true
		}
		rest = rest[w:]
		key := string(rest[:n])
		rest = rest[n:]
		created := time.Unix(0, int64(binary.BigEndian.Uint64(rest))).UTC()
		expires := time.Unix(0, int64(binary.BigEndian.Uint64(rest[8:]))).UTC()
		rest = rest[16:]
		list = append(list, userSession{Key: key, Created: created, Expires: expires})
	}
	return list, true
}

// liveSessions reads a user's list without the sessions that expired, and, for a list from
// before logouts kept it, those logged out.
func liveSessions(tx ReadTx, userID string, now time.Time) ([]userSession, error) {
	raw, err := tx.KV(sessionsOfUserNS, userID, now)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	list, exact := decodeSessions(raw)
	kept := list[:0]
	for _, us := range list {
		if !us.Expires.After(now) {
			continue
		}
		if !exact {
			if _, err := tx.KV(sessionNS, us.Key, now); errors.Is(err, ErrNotFound) {
				continue
			} else if err != nil {
				return nil, err
			}
		}
		kept = append(kept, us)
	}
	return kept, nil
}

// putSessions writes a user's list, kept until its last session expires.
func putSessions(tx Tx, userID string, list []userSession) error {
	if len(list) == 0 {
		return tx.DeleteKV(sessionsOfUserNS, userID)
	}
	last := list[0].Expires
	for _, us := range list {
		if us.Expires.After(last) {
			last = us.Expires
		}
	}
	return tx.PutKV(sessionsOfUserNS, userID, encodeSessions(list), last)
}

// trackSession records a new session of a user and ends the user's oldest sessions beyond
// MaxSessionsPerUser.
func trackSession(tx Tx, userID, key string, now, expires time.Time) error {
	list, err := liveSessions(tx, userID, now)
	if err != nil {
		return err
	}
	list = append(list, userSession{Key: key, Created: now, Expires: expires})
	slices.SortStableFunc(list, func(a, b userSession) int { return a.Created.Compare(b.Created) })
	for len(list) > MaxSessionsPerUser {
		if err := tx.DeleteKV(sessionNS, list[0].Key); err != nil {
			return err
		}
		list = list[1:]
	}
	return putSessions(tx, userID, list)
}

// untrackSession takes a logged-out session off its user's list.
func untrackSession(tx Tx, userID, key string, now time.Time) error {
	list, err := liveSessions(tx, userID, now)
	if err != nil {
		return err
	}
	return putSessions(tx, userID, slices.DeleteFunc(list, func(us userSession) bool { return us.Key == key }))
}

// Sessions on no list. Roster from before the lists (issue 17) kept sessions by the hash of
// their secret alone, so such a session is on no user's list until it expires. Once every
// session is on its user's list, the marker below says so, and a user's sessions are read from
// the list (UserSessions) instead of from every session of every user.
const (
	sessionListsNS       = "session.lists"
	sessionListsComplete = "complete"
)

// sessionsListed says whether every session is on its user's list (ListUnlistedSessions ran).
func sessionsListed(tx ReadTx, now time.Time) (bool, error) {
	_, err := tx.KV(sessionListsNS, sessionListsComplete, now)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// sessionListsBatch is how many users' lists one transaction of ListUnlistedSessions writes.
const sessionListsBatch = 500

// ListUnlistedSessions puts every live session that is on no list on its user's list, once:
// it reads every session, writes the lists that miss some, and records that every session is
// listed, after which it returns at once. It returns how many sessions it listed. Sessions
// begun meanwhile are listed as they begin; one logged out meanwhile is not listed again (on
// PostgreSQL a logout that races the listing may leave its entry on the list, which holds one
// of the user's places until the session would have expired). A replica of a version from
// before the lists that still runs after the marker is written begins sessions on no list,
// which a look-up does not show; such sessions still end by every means.
func (s *Service) ListUnlistedSessions(ctx context.Context) (int, error) {
	now := s.Now()
	complete := false
	missing := map[string][]userSession{} // by user
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		if complete, err = sessionsListed(tx, now); err != nil || complete {
			return err
		}
		listed := map[string]map[string]bool{} // the keys on each user's list
		return tx.ScanKV(sessionNS, now, func(key string, value []byte) error {
			var rec sessionRecord
			if json.Unmarshal(value, &rec) != nil || rec.UserID == "" {
				return nil
			}
			keys, ok := listed[rec.UserID]
			if !ok {
				keys = map[string]bool{}
				raw, err := tx.KV(sessionsOfUserNS, rec.UserID, now)
				if err != nil && !errors.Is(err, ErrNotFound) {
					return err
				}
				list, _ := decodeSessions(raw)
				for _, us := range list {
					keys[us.Key] = true
				}
				listed[rec.UserID] = keys
			}
			if !keys[key] {
				missing[rec.UserID] = append(missing[rec.UserID], userSession{Key: key, Created: rec.Created.UTC(), Expires: rec.Expires.UTC()})
			}
			return nil
		})
	})
	if err != nil || complete {
		return 0, err
	}
	users := make([]string, 0, len(missing))
	for id := range missing {
		users = append(users, id)
	}
	slices.Sort(users)
	total := 0
	for len(users) > 0 {
		batch := users[:min(sessionListsBatch, len(users))]
		users = users[len(batch):]
		n := 0
		err := s.store.Update(ctx, func(tx Tx) error {
			n = 0
			for _, id := range batch {
				added, err := listSessions(tx, id, missing[id], now)
				if err != nil {
					return err
				}
				n += added
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		return tx.PutKV(sessionListsNS, sessionListsComplete, []byte(now.Format(time.RFC3339)), time.Time{})
	})
	return total, err
}

// listSessions adds to a user's list those of sessions that are still live and not on it yet,
// and returns how many it added. It ends none: a user who had more than MaxSessionsPerUser
// sessions keeps them until the next sign-in makes room.
func listSessions(tx Tx, userID string, sessions []userSession, now time.Time) (int, error) {
	list, err := liveSessions(tx, userID, now)
	if err != nil {
		return 0, err
	}
	added := 0
	for _, us := range sessions {
		if slices.ContainsFunc(list, func(on userSession) bool { return on.Key == us.Key }) {
			continue
		}
		if _, err := tx.KV(sessionNS, us.Key, now); errors.Is(err, ErrNotFound) {
			continue // logged out or expired since
		} else if err != nil {
			return 0, err
		}
		list = append(list, us)
		added++
	}
	if added == 0 {
		return 0, nil
	}
	slices.SortStableFunc(list, func(a, b userSession) int { return a.Created.Compare(b.Created) })
	return added, putSessions(tx, userID, list)
}
