package directory

import (
	"context"
	"errors"
	"slices"
	"sort"
	"time"
)

// Data written before the input policy and the present folding may not pass them. It is never
// changed silently: RefoldIndexes only re-indexes users under the present folding (their
// records stay as they are), and AuditInput reports what does not pass, for `roster check`.
// userNames are unique per organization (R8, R13), so collisions are too.

// FoldVersion names the folding of userNames and emails (foldIdentifier). A store records the
// version its indexes were built with; when it differs, RefoldIndexes builds them again.
const FoldVersion = "nfkc-casefold-1"

const (
	nsDirectory    = "directory"
	keyFoldVersion = "fold-version"
)

// FoldCollision is a user whose userName, under the present folding, is another user's of the
// same organization: two users that look alike to a person, made before look-alikes were one
// name. Lookups by that userName find Holder; the colliding user keeps no userName index entry
// (it is found by its id, and by everything else it has) until an administrator renames one of
// the two, and writing it with that userName is refused like any taken userName (R8).
type FoldCollision struct {
	Org      string `json:"org"`
	UserID   string `json:"user_id"`
	UserName string `json:"user_name"`
	Holder   string `json:"holder"`
}

// FoldedName is a user's userName as a refold of the indexes reads it.
type FoldedName struct {
	ID, Org, UserName string
}

// FoldHolders decides who holds each userName of an organization once the indexes are
// rebuilt under the present folding, the same on every store. users are every user; indexed
// says which user the userName index answers for (org, folded userName) before the rebuild
// ("" for none). Of the users of one organization whose userNames fold to one, the one the
// index already answers for keeps the name, so that lookups go on finding whom they found,
// else the one of lowest id; the others are returned as collisions, ordered by organization
// and user id, and get no userName index entry.
func FoldHolders(users []FoldedName, indexed func(org, folded string) string) []FoldCollision {
	type name struct{ org, folded string }
	byName := map[name][]FoldedName{}
	for _, u := range users {
		n := name{OrgOrDefault(u.Org), FoldUserName(u.UserName)}
		byName[n] = append(byName[n], u)
	}
	var out []FoldCollision
	for n, us := range byName {
		if len(us) < 2 {
			continue
		}
		sort.Slice(us, func(i, j int) bool { return us[i].ID < us[j].ID })
		holder := us[0].ID
		if id := indexed(n.org, n.folded); id != "" && slices.ContainsFunc(us, func(u FoldedName) bool { return u.ID == id }) {
			holder = id
		}
		for _, u := range us {
			if u.ID != holder {
				out = append(out, FoldCollision{Org: n.org, UserID: u.ID, UserName: u.UserName, Holder: holder})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Org != out[j].Org {
			return out[i].Org < out[j].Org
		}
		return out[i].UserID < out[j].UserID
	})
	return out
}

// RefoldIndexes rebuilds the userName and email indexes of every user under the present
// folding if the store's were built with another (or none is recorded, as in stores older
// than FoldVersion), and records the version, all in one transaction (Tx.RefoldUsers): the
// indexes are never half of one folding and half of the other. It changes no user record and
// writes no event. reindexed counts the users whose index entries changed; collisions are the
// users whose userName is now another's of their organization (FoldHolders), which `roster
// check` reports too. Replicas starting together are safe: the store serialises the
// transactions, and the second finds the version recorded.
func (s *Service) RefoldIndexes(ctx context.Context) (reindexed int, collisions []FoldCollision, err error) {
	current := func(tx ReadTx) (bool, error) {
		v, err := tx.KV(nsDirectory, keyFoldVersion, s.Now())
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		return err == nil && string(v) == FoldVersion, err
	}
	var done bool
	// A read first, so that a store already at the present folding starts without a write.
	if err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		done, err = current(tx)
		return err
	}); err != nil || done {
		return 0, nil, err
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		reindexed, collisions = 0, nil
		if done, err := current(tx); err != nil || done {
			return err
		}
		var err error
		if reindexed, collisions, err = tx.RefoldUsers(); err != nil {
			return err
		}
		return tx.PutKV(nsDirectory, keyFoldVersion, []byte(FoldVersion), time.Time{})
	})
	if err != nil {
		return 0, nil, err
	}
	return reindexed, collisions, nil
}

// InputProblem is a stored user or group that the input policy would refuse today.
type InputProblem struct {
	Kind    string `json:"kind"` // "user" or "group"
	ID      string `json:"id"`
	Name    string `json:"name"`
	Problem string `json:"problem"`
}

// InputAudit is what AuditInput found.
type InputAudit struct {
	Users, Groups int
	Problems      []InputProblem
	// Collisions are the users whose userNames fold to another's of their organization (see
	// FoldCollision).
	Collisions []FoldCollision
}

// AuditInput reads every user and group and reports those the input policy would refuse and
// the users whose userNames collide with another's of their organization under the present
// folding. It only reads.
func (s *Service) AuditInput(ctx context.Context) (InputAudit, error) {
	var out InputAudit
	err := s.store.View(ctx, func(tx ReadTx) error {
		var names []FoldedName
		if err := tx.ScanUsers(ScanQuery{}, func(u User) error {
			out.Users++
			if err := CheckUser(u); err != nil {
				out.Problems = append(out.Problems, InputProblem{Kind: "user", ID: u.ID, Name: u.UserName, Problem: err.Error()})
			}
			names = append(names, FoldedName{ID: u.ID, Org: u.Org, UserName: u.UserName})
			return nil
		}); err != nil {
			return err
		}
		// The holder of a name is the user the index answers for it, as lookups see it.
		var lookupErr error
		out.Collisions = FoldHolders(names, func(org, folded string) string {
			h, err := tx.UserByUserName(org, folded)
			if err != nil && !errors.Is(err, ErrNotFound) && lookupErr == nil {
				lookupErr = err
			}
			return h.ID
		})
		if lookupErr != nil {
			return lookupErr
		}
		return tx.ScanGroups(ScanQuery{}, func(g Group) error {
			out.Groups++
			if err := CheckGroup(g); err != nil {
				out.Problems = append(out.Problems, InputProblem{Kind: "group", ID: g.ID, Name: g.DisplayName, Problem: err.Error()})
			}
			return nil
		})
	})
	return out, err
}
