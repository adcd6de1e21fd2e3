package directory

import (
	"context"
	"errors"
	"sort"
	"time"
)

// Data written before the input policy and the present folding may not pass them. It is never
// changed silently: RefoldIndexes only re-indexes users under the present folding (their
// records stay as they are), and AuditInput reports what does not pass, for `roster check`.

// FoldVersion names the folding of userNames and emails (foldIdentifier). A store records the
// version its indexes were built with; when it differs, RefoldIndexes builds them again.
const FoldVersion = "nfkc-casefold-1"

const (
	nsDirectory    = "directory"
	keyFoldVersion = "fold-version"
	refoldBatch    = 500
)

// FoldCollision is a user whose userName, under the present folding, is another user's: two
// users that look alike to a person, made before look-alikes were one name. Lookups by that
// userName find Holder; an administrator decides which of the two the name belongs to.
type FoldCollision struct {
	UserID   string `json:"user_id"`
	UserName string `json:"user_name"`
	Holder   string `json:"holder"`
}

// RefoldIndexes re-indexes every user under the present folding if the store's indexes were
// built with another (or none recorded, as in stores older than FoldVersion), and records the
// version. It changes no user record and writes no event. A user whose folded userName is held
// by another user keeps its old index entry and is returned as a collision; `roster check`
// reports the same. It is safe to run on several replicas at once.
func (s *Service) RefoldIndexes(ctx context.Context) (reindexed int, collisions []FoldCollision, err error) {
	var current []byte
	err = s.store.View(ctx, func(tx ReadTx) error {
		var err error
		current, err = tx.KV(nsDirectory, keyFoldVersion, s.Now())
		return err
	})
	if err == nil && string(current) == FoldVersion {
		return 0, nil, nil
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		return 0, nil, err
	}
	after := ""
	for {
		var ids []string
		err := s.store.View(ctx, func(tx ReadTx) error {
			return tx.ScanUsers(ScanQuery{After: after}, func(u User) error {
				ids = append(ids, u.ID)
				if len(ids) == refoldBatch {
					return ErrStopScan
				}
				return nil
			})
		})
		if err != nil {
			return reindexed, collisions, err
		}
		if len(ids) == 0 {
			break
		}
		after = ids[len(ids)-1]
		var batch []FoldCollision
		n := 0
		err = s.store.Update(ctx, func(tx Tx) error {
			batch, n = nil, 0
			for _, id := range ids {
				u, err := tx.User(id)
				if errors.Is(err, ErrNotFound) {
					continue
				} else if err != nil {
					return err
				}
				err = tx.PutUser(u)
				var conflict *ConflictError
				if errors.As(err, &conflict) && conflict.Field == "userName" {
					holder, herr := tx.UserByUserName(u.Org, u.UserName)
					if herr != nil {
						return herr
					}
					batch = append(batch, FoldCollision{UserID: u.ID, UserName: u.UserName, Holder: holder.ID})
					continue
				}
				if err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return reindexed, collisions, err
		}
		reindexed += n
		collisions = append(collisions, batch...)
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		return tx.PutKV(nsDirectory, keyFoldVersion, []byte(FoldVersion), time.Time{})
	})
	return reindexed, collisions, err
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
	// Collisions are pairs of users whose userNames fold to one (see FoldCollision).
	Collisions []FoldCollision
}

// AuditInput reads every user and group and reports those the input policy would refuse and
// the users whose userNames collide under the present folding. It only reads.
func (s *Service) AuditInput(ctx context.Context) (InputAudit, error) {
	var out InputAudit
	err := s.store.View(ctx, func(tx ReadTx) error {
		byFold := map[string][]User{}
		if err := tx.ScanUsers(ScanQuery{}, func(u User) error {
			out.Users++
			if err := CheckUser(u); err != nil {
				out.Problems = append(out.Problems, InputProblem{Kind: "user", ID: u.ID, Name: u.UserName, Problem: err.Error()})
			}
			f := FoldUserName(u.UserName)
			byFold[f] = append(byFold[f], u)
			return nil
		}); err != nil {
			return err
		}
		for _, us := range byFold {
			if len(us) < 2 {
				continue
			}
			// The holder is the user the index answers for the name, as lookups see it.
			holder := us[0].ID
			if h, err := tx.UserByUserName(us[0].Org, us[0].UserName); err == nil {
				holder = h.ID
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
			for _, u := range us {
				if u.ID != holder {
					out.Collisions = append(out.Collisions, FoldCollision{UserID: u.ID, UserName: u.UserName, Holder: holder})
				}
			}
		}
		sort.Slice(out.Collisions, func(i, j int) bool { return out.Collisions[i].UserID < out.Collisions[j].UserID })
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
