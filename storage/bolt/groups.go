package bolt

import (
	"errors"
	"sort"
	"strings"

	"github.com/rosterhq/roster/directory"
)

func (t *txn) Group(id string) (directory.Group, error) {
	var g directory.Group
	err := t.get(bGroups, []byte(id), &g)
	if g.Members == nil {
		g.Members = []string{}
	}
	return g, err
}

func groupNameKey(idp, displayName string) []byte {
	return key(idp, strings.ToLower(strings.TrimSpace(displayName)))
}

func (t *txn) GroupByDisplayName(idp, displayName string) (directory.Group, error) {
	id := t.tx.Bucket(bGroupByName).Get(groupNameKey(idp, displayName))
	if id == nil {
		return directory.Group{}, directory.ErrNotFound
	}
	return t.Group(string(id))
}

func (t *txn) ScanGroups(q directory.ScanQuery, fn func(directory.Group) error) error {
	prefix := append([]byte(q.IdP), 0)
	var start []byte
	if q.After != "" {
		start = append(append([]byte{}, prefix...), q.After...)
	}
	if q.IdP == "" {
		c := t.tx.Bucket(bGroups).Cursor()
		var k []byte
		if q.After != "" {
			k, _ = c.Seek([]byte(q.After))
			if k != nil && string(k) == q.After {
				k, _ = c.Next()
			}
		} else {
			k, _ = c.First()
		}
		for ; k != nil; k, _ = c.Next() {
			g, err := t.Group(string(k))
			if err != nil {
				return err
			}
			if err := fn(g); err != nil {
				if errors.Is(err, directory.ErrStopScan) {
					return nil
				}
				return err
			}
		}
		return nil
	}
	return t.scanPrefix(bGroupsByIdP, prefix, start, func(id, _ []byte) error {
		g, err := t.Group(string(id))
		if err != nil {
			return err
		}
		return fn(g)
	})
}

func (t *txn) GroupsOfUser(userID string) ([]string, error) {
	ids := []string{}
	err := t.scanPrefix(bMemberOf, append([]byte(userID), 0), nil, func(gid, _ []byte) error {
		ids = append(ids, string(gid))
		return nil
	})
	sort.Strings(ids)
	return ids, err
}

func (t *txn) PutGroup(g directory.Group) error {
	if g.ID == "" {
		return directory.Invalidf("a group needs an id")
	}
	if strings.TrimSpace(g.DisplayName) == "" {
		return directory.Invalidf("a group needs a displayName")
	}
	b := t.tx.Bucket
	nameKey := groupNameKey(g.IdP, g.DisplayName)
	if id := b(bGroupByName).Get(nameKey); id != nil && string(id) != g.ID {
		return &directory.ConflictError{Field: "displayName", Value: g.DisplayName}
	}
	seen := make(map[string]bool, len(g.Members))
	members := make([]string, 0, len(g.Members))
	for _, m := range g.Members {
		if seen[m] {
			continue
		}
		seen[m] = true
		if b(bUsers).Get([]byte(m)) == nil {
			return directory.Invalidf("member %q is not a user", m)
		}
		members = append(members, m)
	}
	g.Members = members
	if old, err := t.Group(g.ID); err == nil {
		if err := b(bGroupByName).Delete(groupNameKey(old.IdP, old.DisplayName)); err != nil {
			return err
		}
		if err := b(bGroupsByIdP).Delete(key(old.IdP, old.ID)); err != nil {
			return err
		}
		for _, m := range old.Members {
			if !seen[m] {
				if err := b(bMemberOf).Delete(key(m, g.ID)); err != nil {
					return err
				}
			}
		}
	} else if !errors.Is(err, directory.ErrNotFound) {
		return err
	}
	g.Meta.Created, g.Meta.LastModified = g.Meta.Created.UTC(), g.Meta.LastModified.UTC()
	if err := t.put(bGroups, []byte(g.ID), g); err != nil {
		return err
	}
	if err := b(bGroupByName).Put(nameKey, []byte(g.ID)); err != nil {
		return err
	}
	if err := b(bGroupsByIdP).Put(key(g.IdP, g.ID), nil); err != nil {
		return err
	}
	for _, m := range members {
		if err := b(bMemberOf).Put(key(m, g.ID), nil); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) DeleteGroup(id string) error {
	g, err := t.Group(id)
	if err != nil {
		return err
	}
	b := t.tx.Bucket
	for _, m := range g.Members {
		if err := b(bMemberOf).Delete(key(m, id)); err != nil {
			return err
		}
	}
	if err := b(bGroupByName).Delete(groupNameKey(g.IdP, g.DisplayName)); err != nil {
		return err
	}
	if err := b(bGroupsByIdP).Delete(key(g.IdP, id)); err != nil {
		return err
	}
	return b(bGroups).Delete([]byte(id))
}
