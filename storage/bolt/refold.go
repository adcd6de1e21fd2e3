package bolt

import (
	"bytes"

	"github.com/rosterhq/roster/directory"
)

// RefoldUsers rebuilds the userName and email indexes from the user records under the
// present folding, in the caller's transaction: both buckets are emptied and filled again, so
// that no entry of the old folding is left behind. The holder of a userName that several
// users of an organization now share is decided by directory.FoldHolders from what the old
// index answered; the others get no userName entry.
func (t *txn) RefoldUsers() (int, []directory.FoldCollision, error) {
	// What the indexes hold now: each user's userName key, and the email keys with how many
	// each user has (an email key ends with the user's id, after the last part's terminator).
	oldName := map[string]string{}
	if err := t.tx.Bucket(bByUserName).ForEach(func(k, v []byte) error {
		oldName[string(v)] = string(k)
		return nil
	}); err != nil {
		return 0, nil, err
	}
	oldEmail := map[string]bool{}
	oldEmails := map[string]int{}
	if err := t.tx.Bucket(bByEmail).ForEach(func(k, _ []byte) error {
		oldEmail[string(k)] = true
		if i := bytes.LastIndex(k, []byte{escByte, escEndsAt}); i >= 0 {
			oldEmails[string(k[i+2:])]++
		}
		return nil
	}); err != nil {
		return 0, nil, err
	}
	var names []directory.FoldedName
	if err := t.tx.Bucket(bUsers).ForEach(func(_, v []byte) error {
		u, err := decodeUser(v)
		if err != nil {
			return err
		}
		names = append(names, directory.FoldedName{ID: u.ID, Org: u.Org, UserName: u.UserName})
		return nil
	}); err != nil {
		return 0, nil, err
	}
	indexed := t.tx.Bucket(bByUserName)
	collisions := directory.FoldHolders(names, func(org, folded string) string {
		return string(indexed.Get(key(org, folded)))
	})
	colliding := map[string]bool{}
	for _, c := range collisions {
		colliding[c.UserID] = true
	}

	for _, b := range [][]byte{bByUserName, bByEmail} {
		if err := t.tx.DeleteBucket(b); err != nil {
			return 0, nil, err
		}
		if _, err := t.tx.CreateBucket(b); err != nil {
			return 0, nil, err
		}
	}
	byName, byEmail := t.tx.Bucket(bByUserName), t.tx.Bucket(bByEmail)
	reindexed := 0
	err := t.tx.Bucket(bUsers).ForEach(func(_, v []byte) error {
		u, err := decodeUser(v)
		if err != nil {
			return err
		}
		name, emails := foldedIndexes(u)
		changed := false
		if colliding[u.ID] {
			changed = oldName[u.ID] != ""
		} else {
			changed = oldName[u.ID] != string(name.k)
			if err := byName.Put(name.k, name.v); err != nil {
				return err
			}
		}
		changed = changed || oldEmails[u.ID] != len(emails)
		for _, e := range emails {
			changed = changed || !oldEmail[string(e.k)]
			if err := byEmail.Put(e.k, e.v); err != nil {
				return err
			}
		}
		if changed {
			reindexed++
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return reindexed, collisions, nil
}
