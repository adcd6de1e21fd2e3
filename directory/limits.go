package directory

import (
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
const sessionsOfUserNS = "session.user"

type userSession struct {
	Key     string    `json:"key"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

// trackSession records a new session of a user and ends the user's oldest sessions beyond
// MaxSessionsPerUser. Sessions that expired or were logged out leave the list as it is read.
func trackSession(tx Tx, userID, key string, now, expires time.Time) error {
	var list []userSession
	raw, err := tx.KV(sessionsOfUserNS, userID, now)
	switch {
	case err == nil:
		if json.Unmarshal(raw, &list) != nil {
			list = nil
		}
	case !errors.Is(err, ErrNotFound):
		return err
	}
	kept := list[:0]
	for _, us := range list {
		if !us.Expires.After(now) {
			continue
		}
		if _, err := tx.KV(sessionNS, us.Key, now); errors.Is(err, ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		kept = append(kept, us)
	}
	list = append(kept, userSession{Key: key, Created: now, Expires: expires})
	slices.SortStableFunc(list, func(a, b userSession) int { return a.Created.Compare(b.Created) })
	for len(list) > MaxSessionsPerUser {
		if err := tx.DeleteKV(sessionNS, list[0].Key); err != nil {
			return err
		}
		list = list[1:]
	}
	last := expires
	for _, us := range list {
		if us.Expires.After(last) {
			last = us.Expires
		}
	}
	out, err := json.Marshal(list)
	if err != nil {
		return err
	}
	return tx.PutKV(sessionsOfUserNS, userID, out, last)
}
