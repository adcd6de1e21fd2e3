package bolt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/rosterhq/roster/directory"
)

// A group's record holds everything but its members (data format 3). They live in
// bGroupMembers, in chunks of at most chunkMembers ids keyed by the group's id and the chunk's
// number, in the order of the group's list; the record lists its chunks (number and count). A
// write rewrites only the chunks it changes: a sign-in that joins a group of 50,000 writes one
// chunk, where the whole list was encoded and written again. Records written before format 3
// hold their members ("members") and are read as they are; their next write chunks them.

// chunkMembers is the most ids a chunk holds: about 10 kB of ids, a few pages.
const chunkMembers = 256

// chunkRef is a chunk's number and how many members it holds.
type chunkRef [2]uint32

// groupRecord is a group's stored record. Members is set only in a record from before format
// 3. Rev changes at every write, so that the record's bytes — which the decoded cache compares
// — change whenever a chunk does, even when no count does.
type groupRecord struct {
	directory.Group
	Members []string   `json:"members,omitempty"`
	Chunks  []chunkRef `json:"chunks,omitempty"`
	Rev     uint64     `json:"rev,omitempty"`
}

func chunkKey(groupID string, num uint32) []byte {
	return binary.BigEndian.AppendUint32(prefix(groupID), num)
}

// encodeChunk writes ids as their lengths (uvarint) and bytes.
func encodeChunk(ids []string) []byte {
	n := 0
	for _, id := range ids {
		n += len(id) + 1
	}
	out := make([]byte, 0, n)
	for _, id := range ids {
		out = binary.AppendUvarint(out, uint64(len(id)))
		out = append(out, id...)
	}
	return out
}

func decodeChunk(raw []byte, into []string) ([]string, error) {
	for len(raw) > 0 {
		n, w := binary.Uvarint(raw)
		if w <= 0 || n > uint64(len(raw)-w) {
			return into, errors.New("a damaged chunk of members")
		}
		into = append(into, string(raw[w:w+int(n)]))
		raw = raw[w+int(n):]
	}
	return into, nil
}

// readChunk appends the members of group gid's chunk ref to into; a chunk that does not
// hold what the record says is an error.
func (t *txn) readChunk(gid string, ref chunkRef, into []string) ([]string, error) {
	out, err := decodeChunk(t.tx.Bucket(bGroupMembers).Get(chunkKey(gid, ref[0])), into)
	if err != nil || len(out)-len(into) != int(ref[1]) {
		return into, fmt.Errorf("group %s: chunk %d of its members does not hold the %d its record lists", gid, ref[0], ref[1])
	}
	return out, nil
}

// decodeGroupRecord reads a group's record alone.
func decodeGroupRecord(raw []byte) (groupRecord, error) {
	var r groupRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		return groupRecord{}, err
	}
	r.Group.Org = directory.OrgOrDefault(r.Group.Org)
	return r, nil
}

// decodeGroup reads a group: its record, and its members from its chunks (or the record).
func (t *txn) decodeGroup(raw []byte) (directory.Group, error) {
	r, err := decodeGroupRecord(raw)
	if err != nil {
		return directory.Group{}, err
	}
	return t.groupOf(r)
}

// groupOf is the group of record r, with its members.
func (t *txn) groupOf(r groupRecord) (directory.Group, error) {
	g := r.Group
	switch {
	case r.Chunks == nil && r.Members != nil:
		g.Members = r.Members
	case r.Chunks == nil:
		g.Members = []string{}
	default:
		total := 0
		for _, c := range r.Chunks {
			total += int(c[1])
		}
		g.Members = make([]string, 0, total)
		for _, c := range r.Chunks {
			var err error
			if g.Members, err = t.readChunk(g.ID, c, g.Members); err != nil {
				return directory.Group{}, err
			}
		}
	}
	return g, nil
}

func (t *txn) Group(id string) (directory.Group, error) {
	raw := t.tx.Bucket(bGroups).Get([]byte(id))
	if raw == nil {
		return directory.Group{Members: []string{}}, directory.ErrNotFound
	}
	if t.cache == nil {
		return t.decodeGroup(raw)
	}
	return t.cache.groups.get(id, raw, t.decodeGroup, directory.Group.Clone)
}

func (t *txn) GroupName(id string) (string, error) {
	raw := t.tx.Bucket(bGroups).Get([]byte(id))
	if raw == nil {
		return "", directory.ErrNotFound
	}
	if g, ok := t.cache.groups.peek(id, raw); ok {
		return g.DisplayName, nil
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

func (t *txn) GroupIDByDisplayName(idp, displayName string) (string, error) {
	id := t.tx.Bucket(bGroupByName).Get(groupNameKey(idp, displayName))
	if id == nil {
		return "", directory.ErrNotFound
	}
	return string(id), nil
}

func (t *txn) GroupIDsByDisplayName(idp string, displayNames []string) (map[string]string, error) {
	ids := make(map[string]string, len(displayNames))
	for _, n := range displayNames {
		if id := t.tx.Bucket(bGroupByName).Get(groupNameKey(idp, n)); id != nil {
			ids[n] = string(id)
		}
	}
	return ids, nil
}

// groupRecord reads group id's record alone.
func (t *txn) groupRecord(id string) (groupRecord, error) {
	raw := t.tx.Bucket(bGroups).Get([]byte(id))
	if raw == nil {
		return groupRecord{}, directory.ErrNotFound
	}
	return decodeGroupRecord(raw)
}

func (t *txn) GroupHead(id string, limit int) (directory.Group, int, error) {
	rec, err := t.groupRecord(id)
	if err != nil {
		return directory.Group{}, 0, err
	}
	n := len(rec.Members)
	for _, c := range rec.Chunks {
		n += int(c[1])
	}
	g := rec.Group
	g.Members = nil
	return g, min(n, limit+1), nil
}

func (t *txn) AddGroupMember(id, userID string, meta directory.Meta) error {
	rec, err := t.groupRecord(id)
	if err != nil {
		return err
	}
	if legacy(rec) {
		return t.storeLegacy(rec, append(slices.Clone(rec.Members), userID), meta)
	}
	if !has(t.tx.Bucket(bMemberOf), key(userID, id)) {
		if t.tx.Bucket(bUsers).Get([]byte(userID)) == nil {
			return directory.Invalidf("member %q is not a user", userID)
		}
		// Into the last chunk while it has room, else a chunk of its own after it.
		var last []string
		ref := chunkRef{0, 0}
		if n := len(rec.Chunks); n > 0 && rec.Chunks[n-1][1] < chunkMembers {
			ref = rec.Chunks[n-1]
			rec.Chunks = rec.Chunks[:n-1]
			if last, err = t.readChunk(id, ref, nil); err != nil {
				return err
			}
		} else if n > 0 {
			ref = chunkRef{rec.Chunks[n-1][0] + 1, 0}
		}
		last = append(last, userID)
		if err := t.tx.Bucket(bGroupMembers).Put(chunkKey(id, ref[0]), encodeChunk(last)); err != nil {
			return err
		}
		rec.Chunks = append(rec.Chunks, chunkRef{ref[0], uint32(len(last))})
		if err := t.tx.Bucket(bMemberOf).Put(key(userID, id), nil); err != nil {
			return err
		}
	}
	return t.putGroupRecord(id, rec, meta)
}

// legacy says a record is from before format 3 and holds its members.
func legacy(rec groupRecord) bool { return rec.Chunks == nil && len(rec.Members) > 0 }

// storeLegacy writes the group of a record from before format 3 whole, with members and meta:
// its members go into chunks.
func (t *txn) storeLegacy(rec groupRecord, members []string, meta directory.Meta) error {
	g := rec.Group
	g.Members, g.Meta = members, meta
	return t.storeGroup(g)
}

// putGroupRecord writes a group's record, whose chunks a member's joining or leaving changed,
// with the group's new meta and a new revision.
func (t *txn) putGroupRecord(id string, rec groupRecord, meta directory.Meta) error {
	rec.Group.Meta = meta
	rec.Group.Meta.Created, rec.Group.Meta.LastModified = meta.Created.UTC(), meta.LastModified.UTC()
	rec.Group.Members, rec.Rev = nil, rand.Uint64()|1
	out, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return t.tx.Bucket(bGroups).Put([]byte(id), out)
}

// RemoveGroupMember finds the member's chunk by looking for its encoding in each chunk's bytes,
// decoding only the chunk that holds it, and rewrites that chunk alone (deletes it, if it was
// the member's alone).
func (t *txn) RemoveGroupMember(id, userID string, meta directory.Meta) error {
	rec, err := t.groupRecord(id)
	if err != nil {
		return err
	}
	if legacy(rec) {
		return t.storeLegacy(rec, slices.DeleteFunc(slices.Clone(rec.Members), func(m string) bool { return m == userID }), meta)
	}
	mo := t.tx.Bucket(bMemberOf)
	if has(mo, key(userID, id)) {
		mb, needle := t.tx.Bucket(bGroupMembers), encodeChunk([]string{userID})
		found := false
		for i, ref := range rec.Chunks {
			if !bytes.Contains(mb.Get(chunkKey(id, ref[0])), needle) {
				continue
			}
			members, err := t.readChunk(id, ref, nil)
			if err != nil {
				return err
			}
			at := slices.Index(members, userID)
			if at < 0 {
				continue // the bytes were part of other ids
			}
			if members = slices.Delete(members, at, at+1); len(members) == 0 {
				err = mb.Delete(chunkKey(id, ref[0]))
				rec.Chunks = slices.Delete(rec.Chunks, i, i+1)
			} else {
				err = mb.Put(chunkKey(id, ref[0]), encodeChunk(members))
				rec.Chunks[i][1] = uint32(len(members))
			}
			if err != nil {
				return err
			}
			found = true
			break
		}
		if !found {
			return fmt.Errorf("group %s: %s is a member by its index but on none of the group's chunks", id, userID)
		}
		if err := mo.Delete(key(userID, id)); err != nil {
			return err
		}
	}
	return t.putGroupRecord(id, rec, meta)
}

func (t *txn) GroupByDisplayName(idp, displayName string) (directory.Group, error) {
	id, err := t.GroupIDByDisplayName(idp, displayName)
	if err != nil {
		return directory.Group{}, err
	}
	return t.Group(id)
}

func (t *txn) ScanGroups(q directory.ScanQuery, fn func(directory.Group) error) error {
	decode := t.decodeGroup
	if q.WithoutMembers {
		decode = decodeGroupHead
	}
	return scanRecords(t, q, bGroups, bGroupsByIdP, bGroupsByOrg, decode, func(g directory.Group) string { return g.Org }, nil, fn)
}

// decodeGroupHead reads a group's record alone, its Members nil.
func decodeGroupHead(raw []byte) (directory.Group, error) {
	rec, err := decodeGroupRecord(raw)
	g := rec.Group
	g.Members = nil
	return g, err
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

func (t *txn) GroupRefsOfUser(userID string) ([]directory.GroupRef, error) {
	ids, err := t.GroupsOfUser(userID)
	if err != nil {
		return nil, err
	}
	refs := make([]directory.GroupRef, 0, len(ids))
	for _, id := range ids {
		name, err := t.GroupName(id)
		if errors.Is(err, directory.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		refs = append(refs, directory.GroupRef{ID: id, DisplayName: name})
	}
	return refs, nil
}

func (t *txn) GroupRefsOfUsers(userIDs []string) (map[string][]directory.GroupRef, error) {
	out := make(map[string][]directory.GroupRef, len(userIDs))
	for _, id := range userIDs {
		refs, err := t.GroupRefsOfUser(id)
		if err != nil {
			return nil, err
		}
		if len(refs) > 0 {
			out[id] = refs
		}
	}
	return out, nil
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
	if id := t.tx.Bucket(bGroupByName).Get(groupNameKey(g.IdP, g.DisplayName)); id != nil && string(id) != g.ID {
		return &directory.ConflictError{Field: "displayName", Value: g.DisplayName}
	}
	return t.storeGroup(g)
}

// storeGroup writes g over what is stored under its id, if anything: its record, the chunks
// of members that change, the memberships that change and, when its name, IdP or
// organization change, its other index entries.
func (t *txn) storeGroup(g directory.Group) error {
	var old directory.Group
	var rec groupRecord
	raw := t.tx.Bucket(bGroups).Get([]byte(g.ID))
	exists := raw != nil
	if exists {
		var err error
		if rec, err = decodeGroupRecord(raw); err != nil {
			return err
		}
		// The kept value when there is one (read only here, not copied); else the chunks.
		var kept bool
		if t.cache != nil {
			old, kept = t.cache.groups.peek(g.ID, raw)
		}
		if !kept {
			if old, err = t.groupOf(rec); err != nil {
				return err
			}
		}
	}
	members, chunks, err := t.storeMembers(g.ID, old.Members, rec, g.Members)
	if err != nil {
		return err
	}
	g.Members = members
	// The group's other index entries change only when its name, IdP or organization does.
	var stale []indexEntry
	if exists {
		stale = groupIndexes(old)
	}
	if err := t.reindex(stale, groupIndexes(g)); err != nil {
		return err
	}
	g.Meta.Created, g.Meta.LastModified = g.Meta.Created.UTC(), g.Meta.LastModified.UTC()
	out := groupRecord{Group: g, Chunks: chunks, Rev: rand.Uint64() | 1}
	out.Group.Members = nil
	if raw, err = json.Marshal(out); err != nil {
		return err
	}
	if err := t.tx.Bucket(bGroups).Put([]byte(g.ID), raw); err != nil {
		return err
	}
	// g is what decoding raw gives back (ids, names and times as JSON keeps them, members as
	// the chunks keep them), unless a string of the record is not valid UTF-8, which encoding
	// replaces. Its members are a list storeMembers made, which nothing else holds.
	if t.cache != nil && validUTF8(g) {
		t.cache.groups.keep(g.ID, raw, g)
	}
	return nil
}

// storeMembers writes the members want of group gid, whose stored members are old, laid out
// as rec says, and returns the members as stored — want without repeats, the first of each
// kept — and their chunks. Only the chunks between the longest run of unchanged chunks at the
// start of the list and the one at its end are written: adding members at the end writes the
// last chunk (and new ones), taking one out writes its chunk. Only members that join are
// looked up, and only memberships that change are written.
func (t *txn) storeMembers(gid string, old []string, rec groupRecord, want []string) ([]string, []chunkRef, error) {
	// A record without chunks holds its members itself, if any (written before format 3):
	// all of them are rewritten, into chunks.
	chunks := rec.Chunks
	k := len(chunks)
	off := make([]int, k+1)
	for i, c := range chunks {
		off[i+1] = off[i] + int(c[1])
	}
	chunkOf := func(i int) []string { return old[off[i]:off[i+1]] }
	// The unchanged chunks at the start (i0 of them, p members) and at the end (from j0, s
	// members).
	i0, p := 0, 0
	for i0 < k && p+len(chunkOf(i0)) <= len(want) && slices.Equal(want[p:p+len(chunkOf(i0))], chunkOf(i0)) {
		p += len(chunkOf(i0))
		i0++
	}
	j0, s := k, 0
	for j0 > i0 && p+s+len(chunkOf(j0-1)) <= len(want) && slices.Equal(want[len(want)-s-len(chunkOf(j0-1)):len(want)-s], chunkOf(j0-1)) {
		s += len(chunkOf(j0 - 1))
		j0--
	}
	// New chunks take the numbers of those they replace, so that they sort between the
	// unchanged ones; when they need more, everything up to the end is rewritten.
	needed := func(n int) int { return (n + chunkMembers - 1) / chunkMembers }
	if j0 < k && needed(len(want)-s-p) > j0-i0 {
		j0, s = k, 0
	}
	// Members added at the end fill the last chunk before they start one.
	if j0 == k && i0 > 0 && chunks[i0-1][1] < chunkMembers {
		i0--
		p -= len(chunkOf(i0))
	}
	for {
		region, mid := old[off[i0]:off[j0]], want[p:len(want)-s]
		if rec.Chunks == nil {
			region = old
		}
		kept, added, gone, repeated, err := t.diffMembers(gid, region, mid, i0 > 0 || j0 < k)
		if err != nil {
			return nil, nil, err
		}
		if repeated {
			// A joining member is also in an unchanged chunk: which copy comes first is
			// decided over the whole list.
			i0, p, j0, s = 0, 0, k, 0
			continue
		}
		mb, mo := t.tx.Bucket(bGroupMembers), t.tx.Bucket(bMemberOf)
		var nums []uint32
		for _, c := range chunks[i0:j0] {
			nums = append(nums, c[0])
			if err := mb.Delete(chunkKey(gid, c[0])); err != nil {
				return nil, nil, err
			}
		}
		next := uint32(0)
		if len(nums) > 0 {
			next = nums[len(nums)-1] + 1
		} else if i0 > 0 {
			next = chunks[i0-1][0] + 1
		}
		var refs []chunkRef
		for from := 0; from < len(kept); from += chunkMembers {
			part := kept[from:min(from+chunkMembers, len(kept))]
			num := next
			if len(refs) < len(nums) {
				num = nums[len(refs)]
			} else {
				next++
			}
			if err := mb.Put(chunkKey(gid, num), encodeChunk(part)); err != nil {
				return nil, nil, err
			}
			refs = append(refs, chunkRef{num, uint32(len(part))})
		}
		for _, m := range gone {
			if err := mo.Delete(key(m, gid)); err != nil {
				return nil, nil, err
			}
		}
		for _, m := range added {
			if err := mo.Put(key(m, gid), nil); err != nil {
				return nil, nil, err
			}
		}
		members := make([]string, 0, off[i0]+len(kept)+(len(old)-off[j0]))
		members = append(append(append(members, old[:off[i0]]...), kept...), old[off[j0]:]...)
		if rec.Chunks == nil {
			members = kept
		}
		layout := make([]chunkRef, 0, i0+len(refs)+k-j0)
		layout = append(append(append(layout, chunks[:i0]...), refs...), chunks[j0:]...)
		return members, layout, nil
	}
}

// diffMembers compares the members mid that replace region, a run of a group's stored
// members: kept is mid without repeats, added the members of kept not in region (each a user,
// else an ErrInvalid), gone those of region not in kept. With others (members outside region
// the write keeps), a member of mid that is not in region but is a member all the same is in
// one of them: repeated says so, and nothing else is returned.
func (t *txn) diffMembers(gid string, region, mid []string, others bool) (kept, added, gone []string, repeated bool, err error) {
	had := make(map[string]bool, len(region))
	for _, m := range region {
		had[m] = true
	}
	seen := make(map[string]bool, len(mid))
	kept = make([]string, 0, len(mid))
	users, memberOf := t.tx.Bucket(bUsers), t.tx.Bucket(bMemberOf)
	for _, m := range mid {
		if seen[m] {
			continue
		}
		seen[m] = true
		if !had[m] {
			if others && has(memberOf, key(m, gid)) {
				return nil, nil, nil, true, nil
			}
			if users.Get([]byte(m)) == nil {
				return nil, nil, nil, false, directory.Invalidf("member %q is not a user", m)
			}
			added = append(added, m)
		}
		kept = append(kept, m)
	}
	for _, m := range region {
		if !seen[m] {
			gone = append(gone, m)
		}
	}
	return kept, added, gone, false, nil
}

func (t *txn) DeleteGroup(id string) error {
	rec, err := t.groupRecord(id)
	if err != nil {
		return err
	}
	g, err := t.Group(id)
	if err != nil {
		return err
	}
	if err := t.unindexGroup(g, g.Members); err != nil {
		return err
	}
	for _, c := range rec.Chunks {
		if err := t.tx.Bucket(bGroupMembers).Delete(chunkKey(id, c[0])); err != nil {
			return err
		}
	}
	return t.tx.Bucket(bGroups).Delete([]byte(id))
}

// validUTF8 reports whether every string of g's record is valid UTF-8, as JSON keeps it
// (chunks keep members' bytes as they are).
func validUTF8(g directory.Group) bool {
	for _, s := range [...]string{g.ID, g.Org, g.DisplayName, g.ExternalID, g.IdP, string(g.Owner)} {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}
