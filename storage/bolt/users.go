package bolt

import (
	"bytes"
	"errors"
	"slices"
	"strings"

	"github.com/rosterhq/roster/directory"
)

// decodeUser reads a stored user. A user written before organizations has no org and is
// DefaultOrg's.
func decodeUser(raw []byte) (directory.User, error) {
	var u directory.User
	if err := directory.DecodeUserJSON(raw, &u); err != nil {
		return directory.User{}, err
	}
	u.Org = directory.OrgOrDefault(u.Org)
	return u, nil
}

func (t *txn) User(id string) (directory.User, error) {
	raw := t.tx.Bucket(bUsers).Get([]byte(id))
	if raw == nil {
		return directory.User{}, directory.ErrNotFound
	}
	return decodeUser(raw)
}

func (t *txn) UsersByID(ids []string) ([]directory.User, error) {
	out := make([]directory.User, 0, len(ids))
	for _, id := range ids {
		u, err := t.User(id)
		if errors.Is(err, directory.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

func userNameKey(org, userName string) []byte {
	return key(directory.OrgOrDefault(org), directory.FoldUserName(userName))
}

func (t *txn) UserByUserName(org, userName string) (directory.User, error) {
	id := t.tx.Bucket(bByUserName).Get(userNameKey(org, userName))
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

// Arrival reads the three with a look-up each, and decodes a user once
// when the identity's user also holds the userName, as a returning user does.
func (t *txn) Arrival(id directory.Identity, org, userName string) (directory.Arrival, error) {
	var a directory.Arrival
	if uid := t.tx.Bucket(bByIdentity).Get(key(id.IdP, id.UniqueUserID)); uid != nil {
		u, err := t.User(string(uid))
		if err != nil {
			return directory.Arrival{}, err
		}
		a.ByKey = &u
	}
	ts, err := t.Tombstone(id)
	if err == nil {
		a.Tombstone = &ts
	} else if !errors.Is(err, directory.ErrNotFound) {
		return directory.Arrival{}, err
	}
	if named := t.tx.Bucket(bByUserName).Get(userNameKey(org, userName)); named != nil {
		if a.ByKey != nil && string(named) == a.ByKey.ID {
			u := a.ByKey.Clone()
			a.ByUserName = &u
		} else {
			u, err := t.User(string(named))
			if err != nil {
				return directory.Arrival{}, err
			}
			a.ByUserName = &u
		}
	}
	return a, nil
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
	users, err := t.usersByIndex(bByExternal, prefix(idp, externalID))
	if err != nil {
		return nil, err
	}
	// The user whose uniqueUserId is this externalId, when it is its externalId too, has no
	// entry of its own (externalIsIdentity).
	if id := t.tx.Bucket(bByIdentity).Get(key(idp, externalID)); id != nil && !slices.ContainsFunc(users, func(u directory.User) bool { return u.ID == string(id) }) {
		u, err := t.User(string(id))
		if err != nil {
			return nil, err
		}
		if u.ExternalID == externalID && u.IdP == idp {
			users = append(users, u)
			slices.SortFunc(users, func(a, b directory.User) int { return strings.Compare(a.ID, b.ID) })
		}
	}
	return users, nil
}

func (t *txn) UsersByEmail(org, email string) ([]directory.User, error) {
	folded := directory.FoldEmail(email)
	if folded == "" {
		return []directory.User{}, nil
	}
	return t.usersByIndex(bByEmail, prefix(directory.OrgOrDefault(org), folded))
}

// scanIndexed calls get with the ids an index lists under p, in id order, after the id after,
// passing over the first skip entries without calling get.
func (t *txn) scanIndexed(index, p []byte, after string, skip int, get func(id string) error) error {
	var start []byte
	if after != "" {
		start = append(append([]byte{}, p...), after...)
	}
	return t.scanPrefix(index, p, start, func(id, _ []byte) error {
		if skip > 0 {
			skip--
			return nil
		}
		return get(string(id))
	})
}

// scanAll calls fn for each record of bucket in key order, after the key after, passing over
// the first skip records without calling fn.
func (t *txn) scanAll(bucket []byte, after string, skip int, fn func(k, v []byte) error) error {
	var start []byte
	if after != "" {
		start = []byte(after)
	}
	return t.scanPrefix(bucket, nil, start, func(k, v []byte) error {
		if skip > 0 {
			skip--
			return nil
		}
		return fn(k, v)
	})
}

func (t *txn) ScanUsers(q directory.ScanQuery, fn func(directory.User) error) error {
	var passOver func([]byte) bool
	if m := newMentions(q.Mentions); m != nil {
		passOver = m.none
	}
	return scanRecords(t, q, bUsers, bUsersByIdP, bUsersByOrg, decodeUser, func(u directory.User) string { return u.Org }, passOver, fn)
}

// mentions are a scan's ScanQuery.Mentions, in lower case, and a buffer for a record.
type mentions struct {
	lower [][]byte
	buf   []byte
}

// newMentions returns nil for mentions that are not usable (directory.UsableMentions), which
// the scan then does without.
func newMentions(ms []string) *mentions {
	if !directory.UsableMentions(ms) {
		return nil
	}
	m := &mentions{}
	for _, s := range ms {
		m.lower = append(m.lower, bytes.ToLower([]byte(s)))
	}
	return m
}

// none reports whether raw, a record as stored (JSON), certainly holds none of the mentions
// in a string: it is ASCII without an escape, so that each string's characters are its
// bytes, and none of the mentions is in it under ASCII case folding. A record that is not
// such is decoded and checked like any other.
func (m *mentions) none(raw []byte) bool {
	m.buf = m.buf[:0]
	for _, c := range raw {
		if c >= 0x80 || c == '\\' {
			return false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		m.buf = append(m.buf, c)
	}
	for _, s := range m.lower {
		if bytes.Contains(m.buf, s) {
			return false
		}
	}
	return true
}

// scanRecords calls fn for each user or group that q selects, in id order: through the IdP's
// or the organization's index when q names one, else over the records. orgOf is a record's
// organization; a scan of an IdP and an organization skips an IdP of another organization.
// q.Skip is done on the index's keys alone, except for a scan of an IdP and an organization,
// where a record of another organization must not count.
func scanRecords[T any](t *txn, q directory.ScanQuery, records, byIdP, byOrg []byte,
	decode func([]byte) (T, error), orgOf func(T) string, passOver func(raw []byte) bool, fn func(T) error) error {
	// Skipping needs the records only when their organization decides whether they count.
	var skip int
	if q.IdP != "" && q.Org != "" {
		skip = q.Skip
	}
	get := func(id string) error {
		raw := t.tx.Bucket(records).Get([]byte(id))
		if raw == nil {
			return directory.ErrNotFound
		}
		if skip == 0 && passOver != nil && passOver(raw) {
			return nil
		}
		r, err := decode(raw)
		if err != nil {
			return err
		}
		if q.Org != "" && orgOf(r) != q.Org {
			return nil
		}
		if skip > 0 {
			skip--
			return nil
		}
		return fn(r)
	}
	switch {
	case q.IdP != "" && q.Org != "":
		return t.scanIndexed(byIdP, prefix(q.IdP), q.After, 0, get)
	case q.IdP != "":
		return t.scanIndexed(byIdP, prefix(q.IdP), q.After, q.Skip, get)
	case q.Org != "":
		return t.scanIndexed(byOrg, prefix(q.Org), q.After, q.Skip, get)
	}
	return t.scanAll(records, q.After, q.Skip, func(_, v []byte) error {
		if passOver != nil && passOver(v) {
			return nil
		}
		r, err := decode(v)
		if err != nil {
			return err
		}
		return fn(r)
	})
}

// CountUsers counts index keys, without reading the users, unless both an organization and
// an IdP this store does not know of are named: then each user's organization must be read.
func (t *txn) CountUsers(org, idp string) (int, error) {
	return t.countRecords(org, idp, bUsers, bUsersByIdP, bUsersByOrg, func() (int, error) {
		n := 0
		err := t.ScanUsers(directory.ScanQuery{Org: org, IdP: idp}, func(directory.User) error { n++; return nil })
		return n, err
	})
}

func (t *txn) CountGroups(org, idp string) (int, error) {
	return t.countRecords(org, idp, bGroups, bGroupsByIdP, bGroupsByOrg, func() (int, error) {
		n := 0
		err := t.ScanGroups(directory.ScanQuery{Org: org, IdP: idp}, func(directory.Group) error { n++; return nil })
		return n, err
	})
}

// countRecords counts the users or groups of organization org and IdP idp ("" for either
// counts all) by their indexes, without reading them where it can; scan counts them by
// reading them, for an IdP this store does not know of.
func (t *txn) countRecords(org, idp string, records, byIdP, byOrg []byte, scan func() (int, error)) (int, error) {
	switch {
	case org == "" && idp == "":
		return t.tx.Bucket(records).Stats().KeyN, nil
	case org == "":
		return t.countKeys(byIdP, prefix(idp)), nil
	case idp == "":
		return t.countKeys(byOrg, prefix(org)), nil
	}
	// An IdP's users and groups are of its organization, and an IdP never moves to another:
	// when the IdP is known, its index entries are counted, without reading the records.
	if p, err := t.IdP(idp); err == nil {
		if directory.OrgOrDefault(p.Org) != org {
			return 0, nil
		}
		return t.countKeys(byIdP, prefix(idp)), nil
	}
	return scan()
}

// countKeys counts the keys of bucket that start with p.
func (t *txn) countKeys(bucket, p []byte) int {
	n := 0
	c := t.tx.Bucket(bucket).Cursor()
	for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
		n++
	}
	return n
}

func (t *txn) UsersByUserName(org, from string, desc bool, fn func(directory.User) error) (bool, error) {
	p := prefix(directory.OrgOrDefault(org))
	// A user without a userName entry is one the organization's index of users counts and
	// the userName index does not.
	if t.countKeys(bByUserName, p) != t.countKeys(bUsersByOrg, p) {
		return false, nil
	}
	c := t.tx.Bucket(bByUserName).Cursor()
	start := append(append([]byte{}, p...), from...)
	var k, v []byte
	switch {
	case !desc:
		k, v = c.Seek(start)
	case from == "":
		// The last key of the organization is the one before the first key past its prefix,
		// which ends with the terminator escEndsAt: the same prefix ending one higher.
		past := append(append([]byte{}, p[:len(p)-1]...), escEndsAt+1)
		if k, v = c.Seek(past); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	default:
		if k, v = c.Seek(start); k == nil {
			k, v = c.Last()
		} else if !bytes.Equal(k, start) {
			k, v = c.Prev()
		}
	}
	next := c.Next
	if desc {
		next = c.Prev
	}
	for ; k != nil && bytes.HasPrefix(k, p); k, v = next() {
		u, err := t.User(string(v))
		if err != nil {
			return true, err
		}
		if err := fn(u); errors.Is(err, directory.ErrStopScan) {
			return true, nil
		} else if err != nil {
			return true, err
		}
	}
	return true, nil
}

// indexEntry is one index entry: its bucket, key and value.
type indexEntry struct {
	bucket []byte
	k, v   []byte
}

// userIndexes lists every index entry of u.
func userIndexes(u directory.User) []indexEntry {
	id := []byte(u.ID)
	org := directory.OrgOrDefault(u.Org)
	name, emails := foldedIndexes(u)
	out := append([]indexEntry{name,
		{bUsersByIdP, key(u.IdP, u.ID), nil},
		{bUsersByOrg, key(org, u.ID), nil},
	}, emails...)
	if ident, ok := u.Identity(); ok {
		out = append(out, indexEntry{bByIdentity, key(ident.IdP, ident.UniqueUserID), id})
	}
	if u.ExternalID != "" && !externalIsIdentity(u) {
		out = append(out, indexEntry{bByExternal, key(u.IdP, u.ExternalID, u.ID), nil})
	}
	return out
}

// externalIsIdentity reports whether u's externalId is its uniqueUserId, as it is for every
// JIT user and for the users of an IdP matched by externalId (Entra ID's, Okta's): the identity
// index finds the user by it, and the index of externalIds holds no entry of its own for it.
// That is one index entry, and its pages, fewer in each such create's commit: a new user's
// sign-in's store transaction took 4–15% less in three alternating pairs of runs. The
// look-ups of UsersByExternalID read both indexes.
func externalIsIdentity(u directory.User) bool {
	ident, ok := u.Identity()
	return ok && ident.IdP == u.IdP && ident.UniqueUserID == u.ExternalID
}

// foldedIndexes are the entries of u that depend on the folding of userNames and emails
// (RefoldUsers rebuilds them): its userName, and each distinct folded email once, under the
// user's organization.
func foldedIndexes(u directory.User) (name indexEntry, emails []indexEntry) {
	org := directory.OrgOrDefault(u.Org)
	name = indexEntry{bByUserName, userNameKey(org, u.UserName), []byte(u.ID)}
	seen := map[string]bool{}
	for _, e := range u.Emails {
		f := directory.FoldEmail(e.Value)
		if f == "" || seen[f] {
			continue
		}
		seen[f] = true
		emails = append(emails, indexEntry{bByEmail, key(org, f, u.ID), nil})
	}
	return name, emails
}

func (t *txn) indexUser(u directory.User) error {
	for _, x := range userIndexes(u) {
		if err := t.tx.Bucket(x.bucket).Put(x.k, x.v); err != nil {
			return err
		}
	}
	return nil
}

// unindexUser removes the index entries of u. An entry that names a user (userName, identity)
// is removed only while it names u: a user whose userName collides with another's under the
// present folding (RefoldUsers) has no entry of its own, and the one under its name is the
// holder's.
func (t *txn) unindexUser(u directory.User) error {
	for _, x := range userIndexes(u) {
		b := t.tx.Bucket(x.bucket)
		if x.v != nil && !bytes.Equal(b.Get(x.k), x.v) {
			continue
		}
		if err := b.Delete(x.k); err != nil {
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
	u.Org = directory.OrgOrDefault(u.Org)
	b := t.tx.Bucket
	if id := b(bByUserName).Get(userNameKey(u.Org, u.UserName)); id != nil && string(id) != u.ID {
		return &directory.ConflictError{Field: "userName", Value: u.UserName}
	}
	if ident, ok := u.Identity(); ok {
		if id := b(bByIdentity).Get(key(ident.IdP, ident.UniqueUserID)); id != nil && string(id) != u.ID {
			return &directory.ConflictError{Field: "identity", Value: ident.IdP + "/" + ident.UniqueUserID}
		}
	}
	var stale []indexEntry
	old, err := t.User(u.ID)
	existed := err == nil
	if existed {
		stale = userIndexes(old)
	} else if !errors.Is(err, directory.ErrNotFound) {
		return err
	}
	u.Meta.Created, u.Meta.LastModified = u.Meta.Created.UTC(), u.Meta.LastModified.UTC()
	u.LastLoginAt, u.SessionsValidAfter = u.LastLoginAt.UTC(), u.SessionsValidAfter.UTC()
	record, err := directory.AppendUserJSON(nil, &u)
	if err != nil {
		return err
	}
	if err := b(bUsers).Put([]byte(u.ID), record); err != nil {
		return err
	}
	if was, now := stateOf(old), stateOf(u); !existed || was != now {
		if existed {
			t.changes.add(was, -1)
		}
		t.changes.add(now, 1)
	}
	return t.reindex(stale, userIndexes(u))
}

// reindex replaces the index entries old with new, writing only those that change: a change
// that leaves every indexed value as it was (a sign-in's lastLoginAt, a title) then touches
// no index page, which keeps the pages the commit writes, and its fsync, small. A user has a
// handful of entries, so they are compared pairwise.
//
// An entry that names its user (a userName or identity) is checked against what the index
// holds, not only against the old document: after a refold, a user whose userName collided
// holds no userName entry (RefoldUsers), so its old entry must not delete the holder's, and
// once the name is free its unchanged entry must still be written.
func (t *txn) reindex(old, new []indexEntry) error {
	same := func(a, b indexEntry) bool { return bytes.Equal(a.bucket, b.bucket) && bytes.Equal(a.k, b.k) }
	held := func(x indexEntry) bool { return x.v == nil || bytes.Equal(t.tx.Bucket(x.bucket).Get(x.k), x.v) }
	for _, x := range old {
		if !slices.ContainsFunc(new, func(y indexEntry) bool { return same(x, y) }) && held(x) {
			if err := t.tx.Bucket(x.bucket).Delete(x.k); err != nil {
				return err
			}
		}
	}
	for _, x := range new {
		if slices.ContainsFunc(old, func(y indexEntry) bool { return same(x, y) && bytes.Equal(x.v, y.v) }) && held(x) {
			continue
		}
		if err := t.tx.Bucket(x.bucket).Put(x.k, x.v); err != nil {
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
		g.Members = slices.DeleteFunc(g.Members, func(m string) bool { return m == id })
		if err := t.storeGroup(g); err != nil { // and the membership
			return err
		}
	}
	if err := t.unindexUser(u); err != nil {
		return err
	}
	if err := t.tx.Bucket(bUsers).Delete([]byte(id)); err != nil {
		return err
	}
	t.changes.add(stateOf(u), -1)
	return nil
}
