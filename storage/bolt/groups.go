package bolt

import (
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/rosterhq/roster/directory"
)

func decodeGroup(raw []byte) (directory.Group, error) {
	var g directory.Group
	if err := json.Unmarshal(raw, &g); err != nil {
		return directory.Group{}, err
	}
	g.Org = directory.OrgOrDefault(g.Org)
	if g.Members == nil {
		g.Members = []string{}
	}
	return g, nil
}

func (t *txn) Group(id string) (directory.Group, error) {
	raw := t.tx.Bucket(bGroups).Get([]byte(id))
	if raw == nil {
		return directory.Group{Members: []string{}}, directory.ErrNotFound
	}
	return t.cache.groups.get(id, raw, decodeGroup, directory.Group.Clone)
}

func (t *txn) GroupName(id string) (string, error) {
	raw := t.tx.Bucket(bGroups).Get([]byte(id))
	if raw == nil {
		return "", directory.ErrNotFound
	}
	if g, ok := t.cache.groups.peek(id, raw); ok {
		return g.DisplayName, nil
	}
	if t.cache.groups.keeps(raw) {
		g, err := t.Group(id) // kept for the next reader
		return g.DisplayName, err
	}
	var named struct {
		DisplayName string `json:"displayName"`
	}
	err := json.Unmarshal(raw, &named)
	return named.DisplayName, err
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
	return scanRecords(t, q, bGroups, bGroupsByIdP, bGroupsByOrg, decodeGroup, func(g directory.Group) string { return g.Org }, fn)
}

func (t *txn) GroupsOfUser(userID string) ([]string, error) {
	ids := []string{}
	err := t.scanPrefix(bMemberOf, prefix(userID), nil, func(gid, _ []byte) error {
		ids = append(ids, string(gid))
		return nil
	})
	sort.Strings(ids)
	return ids, err
}

// groupIndexes lists the index entries of g other than its memberships.
func groupIndexes(g directory.Group) []indexEntry {
	return []indexEntry{
		{bGroupByName, groupNameKey(g.IdP, g.DisplayName), []byte(g.ID)},
		{bGroupsByIdP, key(g.IdP, g.ID), nil},
		{bGroupsByOrg, key(directory.OrgOrDefault(g.Org), g.ID), nil},
	}
}

// indexGroup puts the index entries of g and the memberships of members.
func (t *txn) indexGroup(g directory.Group, members []string) error {
	for _, x := range groupIndexes(g) {
		if err := t.tx.Bucket(x.bucket).Put(x.k, x.v); err != nil {
			return err
		}
	}
	for _, m := range members {
		if err := t.tx.Bucket(bMemberOf).Put(key(m, g.ID), nil); err != nil {
			return err
		}
	}
	return nil
}

// unindexGroup deletes the index entries of g and the memberships of members.
func (t *txn) unindexGroup(g directory.Group, members []string) error {
	for _, x := range groupIndexes(g) {
		if err := t.tx.Bucket(x.bucket).Delete(x.k); err != nil {
			return err
		}
	}
	for _, m := range members {
		if err := t.tx.Bucket(bMemberOf).Delete(key(m, g.ID)); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) PutGroup(g directory.Group) error {
	if g.ID == "" {
		return directory.Invalidf("a group needs an id")
	}
	if strings.TrimSpace(g.DisplayName) == "" {
		return directory.Invalidf("a group needs a displayName")
	}
	g.Org = directory.OrgOrDefault(g.Org)
	b := t.tx.Bucket
	if id := b(bGroupByName).Get(groupNameKey(g.IdP, g.DisplayName)); id != nil && string(id) != g.ID {
		return &directory.ConflictError{Field: "displayName", Value: g.DisplayName}
	}
	old, err := t.Group(g.ID)
	exists := err == nil
	if err != nil && !errors.Is(err, directory.ErrNotFound) {
		return err
	}
	had := make(map[string]bool, len(old.Members))
	for _, m := range old.Members {
		had[m] = true
	}
	// Only a member the group did not have is looked up and gets a membership entry: joining
	// one member to a large group reads and writes what that member changes, not every
	// member's entry again (a bbolt Put dirties its page even when the value is the same).
	seen := make(map[string]bool, len(g.Members))
	members := make([]string, 0, len(g.Members))
	var added []string
	for _, m := range g.Members {
		if seen[m] {
			continue
		}
		seen[m] = true
		if !had[m] {
			if b(bUsers).Get([]byte(m)) == nil {
				return directory.Invalidf("member %q is not a user", m)
			}
			added = append(added, m)
		}
		members = append(members, m)
	}
	g.Members = members
	var gone []string
	for _, m := range old.Members {
		if !seen[m] {
			gone = append(gone, m)
		}
	}
	for _, m := range gone {
		if err := b(bMemberOf).Delete(key(m, g.ID)); err != nil {
			return err
		}
	}
	// The group's other index entries change only when its name, IdP or organization does.
	var stale []indexEntry
	if exists {
		stale = groupIndexes(old)
	}
	if err := t.reindex(stale, groupIndexes(g)); err != nil {
		return err
	}
	g.Meta.Created, g.Meta.LastModified = g.Meta.Created.UTC(), g.Meta.LastModified.UTC()
	raw, err := json.Marshal(g)
	if err != nil {
		return err
	}
	if err := b(bGroups).Put([]byte(g.ID), raw); err != nil {
		return err
	}
	// g is what decoding raw gives back (ids, names and times as JSON keeps them), unless a
	// string is not valid UTF-8, which encoding replaces.
	if t.cache != nil && t.cache.groups.keeps(raw) && validUTF8(g) {
		t.cache.groups.keep(g.ID, raw, g.Clone())
	}
	for _, m := range added {
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
	if err := t.unindexGroup(g, g.Members); err != nil {
		return err
	}
	return t.tx.Bucket(bGroups).Delete([]byte(id))
}

// validUTF8 reports whether every string of g is valid UTF-8, as JSON keeps it.
func validUTF8(g directory.Group) bool {
	for _, s := range [...]string{g.ID, g.Org, g.DisplayName, g.ExternalID, g.IdP, string(g.Owner)} {
		if !utf8.ValidString(s) {
			return false
		}
	}
	for _, m := range g.Members {
		if !utf8.ValidString(m) {
			return false
		}
	}
	return true
}
