package bolt

import (
	"encoding/json"
	"errors"

	"github.com/rosterhq/roster/directory"
)

func (t *txn) User(id string) (directory.User, error) {
	var u directory.User
	err := t.get(bUsers, []byte(id), &u)
	return u, err
}

func (t *txn) UserByUserName(userName string) (directory.User, error) {
	id := t.tx.Bucket(bByUserName).Get([]byte(directory.FoldUserName(userName)))
	if id == nil {
		return directory.User{}, directory.ErrNotFound
	}
	return t.User(string(id))
}

func (t *txn) UserByIdentity(id directory.Identity) (directory.User, error) {
	uid := t.tx.Bucket(bByIdentity).Get(key(id.IdP, id.UniqueUserID))
	if uid == nil {
		return directory.User{}, directory.ErrNotFound
	}
	return t.User(string(uid))
}

func (t *txn) usersByIndex(bucket, prefix []byte) ([]directory.User, error) {
	users := []directory.User{}
	err := t.scanPrefix(bucket, prefix, nil, func(id, _ []byte) error {
		u, err := t.User(string(id))
		if err != nil {
			return err
		}
		users = append(users, u)
		return nil
	})
	return users, err
}

func (t *txn) UsersByExternalID(idp, externalID string) ([]directory.User, error) {
	if externalID == "" {
		return []directory.User{}, nil
	}
	return t.usersByIndex(bByExternal, append(key(idp, externalID), 0))
}

func (t *txn) UsersByEmail(email string) ([]directory.User, error) {
	if directory.FoldEmail(email) == "" {
		return []directory.User{}, nil
	}
	return t.usersByIndex(bByEmail, append([]byte(directory.FoldEmail(email)), 0))
}

func (t *txn) ScanUsers(q directory.ScanQuery, fn func(directory.User) error) error {
	if q.IdP == "" {
		c := t.tx.Bucket(bUsers).Cursor()
		var k, v []byte
		if q.After != "" {
			k, v = c.Seek([]byte(q.After))
			if k != nil && string(k) == q.After {
				k, v = c.Next()
			}
		} else {
			k, v = c.First()
		}
		for ; k != nil; k, v = c.Next() {
			var u directory.User
			if err := json.Unmarshal(v, &u); err != nil {
				return err
			}
			if err := fn(u); err != nil {
				if errors.Is(err, directory.ErrStopScan) {
					return nil
				}
				return err
			}
		}
		return nil
	}
	prefix := append([]byte(q.IdP), 0)
	var start []byte
	if q.After != "" {
		start = append(append([]byte{}, prefix...), q.After...)
	}
	return t.scanPrefix(bUsersByIdP, prefix, start, func(id, _ []byte) error {
		u, err := t.User(string(id))
		if err != nil {
			return err
		}
		return fn(u)
	})
}

func (t *txn) CountUsers(idp string) (int, error) {
	if idp == "" {
		return t.tx.Bucket(bUsers).Stats().KeyN, nil
	}
	n := 0
	err := t.scanPrefix(bUsersByIdP, append([]byte(idp), 0), nil, func(_, _ []byte) error { n++; return nil })
	return n, err
}

func emailKeys(u directory.User) [][]byte {
	seen := map[string]bool{}
	var keys [][]byte
	for _, e := range u.Emails {
		f := directory.FoldEmail(e.Value)
		if f == "" || seen[f] {
			continue
		}
		seen[f] = true
		keys = append(keys, key(f, u.ID))
	}
	return keys
}

func (t *txn) unindexUser(u directory.User) error {
	b := t.tx.Bucket
	dels := []struct {
		bucket []byte
		k      []byte
	}{
		{bByUserName, []byte(directory.FoldUserName(u.UserName))},
		{bUsersByIdP, key(u.IdP, u.ID)},
	}
	if ident, ok := u.Identity(); ok {
		dels = append(dels, struct {
			bucket []byte
			k      []byte
		}{bByIdentity, key(ident.IdP, ident.UniqueUserID)})
	}
	if u.ExternalID != "" {
		dels = append(dels, struct {
			bucket []byte
			k      []byte
		}{bByExternal, key(u.IdP, u.ExternalID, u.ID)})
	}
	for _, d := range dels {
		if err := b(d.bucket).Delete(d.k); err != nil {
			return err
		}
	}
	for _, k := range emailKeys(u) {
		if err := b(bByEmail).Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) PutUser(u directory.User) error {
	if u.ID == "" {
		return directory.Invalidf("a user needs an id")
	}
	if directory.FoldUserName(u.UserName) == "" {
		return directory.Invalidf("a user needs a userName")
	}
	b := t.tx.Bucket
	if id := b(bByUserName).Get([]byte(directory.FoldUserName(u.UserName))); id != nil && string(id) != u.ID {
		return &directory.ConflictError{Field: "userName", Value: u.UserName}
	}
	ident, hasIdent := u.Identity()
	if hasIdent {
		if id := b(bByIdentity).Get(key(ident.IdP, ident.UniqueUserID)); id != nil && string(id) != u.ID {
			return &directory.ConflictError{Field: "identity", Value: ident.IdP + "/" + ident.UniqueUserID}
		}
	}
	if old, err := t.User(u.ID); err == nil {
		if err := t.unindexUser(old); err != nil {
			return err
		}
	} else if !errors.Is(err, directory.ErrNotFound) {
		return err
	}
	u.Meta.Created, u.Meta.LastModified = u.Meta.Created.UTC(), u.Meta.LastModified.UTC()
	u.LastLoginAt, u.SessionsValidAfter = u.LastLoginAt.UTC(), u.SessionsValidAfter.UTC()
	if err := t.put(bUsers, []byte(u.ID), u); err != nil {
		return err
	}
	id := []byte(u.ID)
	if err := b(bByUserName).Put([]byte(directory.FoldUserName(u.UserName)), id); err != nil {
		return err
	}
	if err := b(bUsersByIdP).Put(key(u.IdP, u.ID), nil); err != nil {
		return err
	}
	if hasIdent {
		if err := b(bByIdentity).Put(key(ident.IdP, ident.UniqueUserID), id); err != nil {
			return err
		}
	}
	if u.ExternalID != "" {
		if err := b(bByExternal).Put(key(u.IdP, u.ExternalID, u.ID), nil); err != nil {
			return err
		}
	}
	for _, k := range emailKeys(u) {
		if err := b(bByEmail).Put(k, nil); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) DeleteUser(id string) error {
	u, err := t.User(id)
	if err != nil {
		return err
	}
	groups, err := t.GroupsOfUser(id)
	if err != nil {
		return err
	}
	for _, gid := range groups {
		g, err := t.Group(gid)
		if err != nil {
			return err
		}
		members := g.Members[:0]
		for _, m := range g.Members {
			if m != id {
				members = append(members, m)
			}
		}
		g.Members = members
		if err := t.put(bGroups, []byte(g.ID), g); err != nil {
			return err
		}
		if err := t.tx.Bucket(bMemberOf).Delete(key(id, gid)); err != nil {
			return err
		}
	}
	if err := t.unindexUser(u); err != nil {
		return err
	}
	return t.tx.Bucket(bUsers).Delete([]byte(id))
}
