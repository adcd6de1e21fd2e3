package postgres

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster/directory"
)

// Members are read group by group, with the group's id a parameter of the statement: a
// subquery joined to the group (m.group_id = g.id) is planned for the average group, and where
// one group is large and the others small it read every membership of every group, in a
// sequential scan and a sort, to find a small group's few. And the statements end in LIMIT $2,
// given no limit (noLimit): a prepared statement settles on a generic plan, made for no group
// in particular, after its first runs, and PostgreSQL plans a generic LIMIT for the first
// tenth of the rows, which it reads by the index in position order — the plan a small group
// needs, and as good as any for a large one. Without it, the generic plan made after reads of
// a large group was the scan, and reading a group of 110 beside one of 50,000 took 3.5 ms.
// (TestSmallGroupReadsUseTheIndex checks both plans.)

// noLimit is the LIMIT of the statements that read a group's members.
const noLimit int64 = math.MaxInt64

// selectGroup reads a group's document, the IdP and folded displayName it holds, and its
// members in the order they were put.
const selectGroup = `SELECT g.doc, g.idp, g.display_name_folded,
	ARRAY(SELECT m.user_id FROM group_members m WHERE m.group_id = $1 ORDER BY m.pos LIMIT $2)
	FROM groups g WHERE g.id = $1`

// membersOfGroup reads a group's members in the order they were put.
const membersOfGroup = `SELECT user_id FROM group_members WHERE group_id = $1 ORDER BY pos LIMIT $2`

// groups reads the groups where selects (a WHERE clause, and an order and limit, on groups g)
// and their members: the documents in one statement, then every group's members in one round
// trip.
func (t *txn) groups(where string, args ...any) ([]directory.Group, error) {
	return t.groupsOf(true, where, args...)
}

// groupsOf is groups, with their members read when members is true; else Members is nil.
func (t *txn) groupsOf(members bool, where string, args ...any) ([]directory.Group, error) {
	docs, err := collect(t, pgx.RowTo[[]byte], `SELECT g.doc FROM groups g `+where, args...)
	if err != nil {
		return nil, err
	}
	out := make([]directory.Group, 0, len(docs))
	for _, doc := range docs {
		g, err := decodeGroup(doc)
		if err != nil {
			return nil, err
		}
		if !members {
			g.Members = nil
		}
		out = append(out, g)
	}
	if len(out) == 0 || !members {
		return out, nil
	}
	b := &pgx.Batch{}
	for _, g := range out {
		b.Queue(membersOfGroup, g.ID, noLimit)
	}
	br, err := t.send(b)
	if err != nil {
		return nil, t.fail(err)
	}
	defer br.Close()
	for i := range out {
		rows, err := br.Query()
		if err != nil {
			return nil, t.fail(err)
		}
		members, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, t.fail(err)
		}
		if members != nil {
			out[i].Members = members
		}
	}
	return out, t.fail(br.Close())
}

// decodeGroup reads a group's document; its members are read apart ([] until then, as a
// group's member list is in every surface, never null).
func decodeGroup(doc []byte) (directory.Group, error) {
	var g directory.Group
	if err := decode(doc, &g); err != nil {
		return directory.Group{}, err
	}
	g.Org = directory.OrgOrDefault(g.Org) // a group written before organizations is DefaultOrg's
	g.Members = []string{}
	return g, nil
}

// group reads group id whole, in one statement, or in none when GroupHead brought it whole.
func (t *txn) group(id string) (directory.Group, error) {
	if head, ok := t.heads[id]; ok {
		if members, ok := t.members[id]; ok {
			head.Members = members
			if head.Members == nil {
				head.Members = []string{}
			}
			return head, nil
		}
	}
	var doc []byte
	var key groupKey
	var members []string
	if err := t.queryRow(selectGroup, id, noLimit).Scan(&doc, &key.idp, &key.folded, &members); errors.Is(err, pgx.ErrNoRows) {
		return directory.Group{}, directory.ErrNotFound
	} else if err != nil {
		return directory.Group{}, t.fail(err)
	}
	g, err := decodeGroup(doc)
	if err != nil {
		return directory.Group{}, err
	}
	if members != nil {
		g.Members = members
	}
	t.remember(g.ID, g.Members)
	t.holdsKey(id, key)
	return g, nil
}

// groupKey is what a group's row holds of the unique (idp, display_name_folded).
type groupKey struct{ idp, folded string }

func (t *txn) holdsKey(id string, key groupKey) {
	if t.groupKeys == nil {
		t.groupKeys = map[string]groupKey{}
	}
	t.groupKeys[id] = key
}

// sawUsers notes users read in the transaction, for PutGroup (txn.seenUsers).
func (t *txn) sawUsers(ids ...string) {
	if t.opts.AccessMode == pgx.ReadOnly {
		return
	}
	if t.seenUsers == nil {
		t.seenUsers = map[string]bool{}
	}
	for _, id := range ids {
		t.seenUsers[id] = true
	}
}

// changedGroup forgets what the transaction read of group id's document, which a statement
// changes, and the groups it kept of users, whose names or memberships it may change.
func (t *txn) changedGroup(id string) {
	delete(t.heads, id)
	t.changedMemberships()
}

// changedMember notes that a statement set group id's meta and added or removed one member
// (joined): the group kept whole stays whole, with that meta and that member at the end of
// its list, or without it, as the statement left the rows. A group not kept whole is
// forgotten.
func (t *txn) changedMember(id, userID string, meta directory.Meta, changed, joined bool) {
	t.changedMemberships()
	head, whole := t.heads[id]
	members, listed := t.members[id]
	if !whole || !listed {
		delete(t.heads, id)
		if changed {
			delete(t.members, id) // read again when next needed
		}
		return
	}
	head.Meta = meta
	t.heads[id] = head
	switch {
	case changed && joined:
		t.members[id] = append(slices.Clip(members), userID)
	case changed:
		t.members[id] = slices.DeleteFunc(slices.Clone(members), func(m string) bool { return m == userID })
	}
}

// changedMemberships forgets the groups the transaction kept of users (refs).
func (t *txn) changedMemberships() { t.refs = nil }

// remember notes the members of group id in the transaction's snapshot; the list is the
// caller's, which it must not change afterwards (a read hands out a copy).
func (t *txn) remember(id string, members []string) {
	if t.members == nil {
		t.members = map[string][]string{}
	}
	t.members[id] = members
}

// membersOf is the member list of group id in the transaction's snapshot, in order.
func (t *txn) membersOf(id string) ([]string, error) {
	if m, ok := t.members[id]; ok {
		return m, nil
	}
	m, err := collect(t, pgx.RowTo[string], membersOfGroup, id, noLimit)
	if err == nil {
		t.remember(id, m)
	}
	return m, err
}

func (t *txn) Group(id string) (directory.Group, error) {
	g, err := t.group(id)
	g.Members = slices.Clone(g.Members) // remembered as read
	return g, err
}

func (t *txn) GroupName(id string) (string, error) {
	var name string
	if err := t.queryRow(`SELECT doc->>'displayName' FROM groups WHERE id = $1`, id).Scan(&name); errors.Is(err, pgx.ErrNoRows) {
		return "", directory.ErrNotFound
	} else if err != nil {
		return "", t.fail(err)
	}
	return name, nil
}

func foldGroupName(displayName string) string { return strings.ToLower(strings.TrimSpace(displayName)) }

func (t *txn) GroupIDByDisplayName(idp, displayName string) (string, error) {
	var id string
	err := t.queryRow(`SELECT id FROM groups WHERE idp = $1 AND display_name_folded = $2`, idp, foldGroupName(displayName)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", directory.ErrNotFound
	} else if err != nil {
		return "", t.fail(err)
	}
	return id, nil
}

func (t *txn) GroupIDsByDisplayName(idp string, displayNames []string) (map[string]string, error) {
	ids := make(map[string]string, len(displayNames))
	// The names the groups the transaction read hold, with a user or by themselves: a
	// returning sign-in that asserts the groups its user is in finds them there, with no
	// round trip, for the group holding a name at an IdP is the only one. A name not among
	// them may still be another group's, so then all are read.
	if len(t.groupKeys) > 0 {
		held := make(map[groupKey]string, len(t.groupKeys))
		for id, key := range t.groupKeys {
			held[key] = id
		}
		for _, n := range displayNames {
			id, ok := held[groupKey{idp: idp, folded: foldGroupName(n)}]
			if !ok {
				clear(ids)
				break
			}
			ids[n] = id
		}
		if len(ids) == len(displayNames) {
			return ids, nil
		}
	}
	if len(displayNames) == 0 {
		return ids, nil
	}
	folded := make([]string, len(displayNames))
	for i, n := range displayNames {
		folded[i] = foldGroupName(n)
	}
	type found struct {
		Folded, ID string
	}
	rows, err := collect(t, pgx.RowToStructByPos[found], `SELECT display_name_folded, id FROM groups
		WHERE idp = $1 AND display_name_folded = ANY ($2::text[])`, idp, folded)
	if err != nil {
		return nil, err
	}
	byFolded := make(map[string]string, len(rows))
	for _, r := range rows {
		byFolded[r.Folded] = r.ID
	}
	for i, n := range displayNames {
		if id, ok := byFolded[folded[i]]; ok {
			ids[n] = id
		}
	}
	return ids, nil
}

// groupHead reads a group's document and the key it holds, counts its members up to $2, and,
// when there are fewer than $2, reads them too, in the order they were put: a membership
// PATCH of a group within the limit reads the group whole next, and then needs no other round
// trip. A larger group's members are only counted. (LIMIT $3 is noLimit, as in selectGroup.)
const groupHead = `SELECT g.doc, g.idp, g.display_name_folded, c.n,
	CASE WHEN c.n < $2 THEN ARRAY(SELECT m.user_id FROM group_members m WHERE m.group_id = $1 ORDER BY m.pos LIMIT $3) END
	FROM groups g, LATERAL (SELECT count(*) AS n FROM (SELECT FROM group_members m WHERE m.group_id = $1 ORDER BY m.pos LIMIT $2) AS l) c
	WHERE g.id = $1`

func (t *txn) GroupHead(id string, limit int) (directory.Group, int, error) {
	var doc []byte
	var key groupKey
	var n int
	var members []string
	err := t.queryRow(groupHead, id, limit+1, noLimit).Scan(&doc, &key.idp, &key.folded, &n, &members)
	if errors.Is(err, pgx.ErrNoRows) {
		return directory.Group{}, 0, directory.ErrNotFound
	} else if err != nil {
		return directory.Group{}, 0, t.fail(err)
	}
	var g directory.Group
	if err := decode(doc, &g); err != nil {
		return directory.Group{}, 0, err
	}
	g.Org = directory.OrgOrDefault(g.Org)
	g.Members = nil
	t.holdsKey(id, key)
	if n <= limit && t.opts.AccessMode != pgx.ReadOnly {
		if members == nil {
			members = []string{}
		}
		t.remember(id, members)
		if t.heads == nil {
			t.heads = map[string]directory.Group{}
		}
		t.heads[id] = g
	}
	return g, n, nil
}

// addGroupMember sets a group's meta in its document and adds a member after the last
// position, unless it is one; it answers whether the group exists and whether the member is
// a user.
const addGroupMember = `
WITH g AS (
	UPDATE groups SET doc = jsonb_set(doc, '{meta}', $3::jsonb) WHERE id = $1 RETURNING id
), u AS (
	SELECT id FROM users WHERE id = $2
), added AS (
	INSERT INTO group_members (group_id, user_id, pos)
	SELECT g.id, u.id, coalesce((SELECT max(pos) FROM group_members WHERE group_id = $1), 0) + 1 FROM g, u
	ON CONFLICT (group_id, user_id) DO NOTHING
	RETURNING user_id
)
SELECT EXISTS (SELECT FROM g), EXISTS (SELECT FROM u), EXISTS (SELECT FROM added)`

func (t *txn) AddGroupMember(id, userID string, meta directory.Meta) error {
	meta.Created, meta.LastModified = meta.Created.UTC(), meta.LastModified.UTC()
	doc, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	var group, user, added bool
	if err := t.queryRow(addGroupMember, id, userID, doc).Scan(&group, &user, &added); err != nil {
		return t.fail(err)
	}
	switch {
	case !group:
		return directory.ErrNotFound
	case !user:
		t.changedGroup(id) // its meta was set all the same
		return directory.Invalidf("member %q is not a user", userID)
	}
	t.changedMember(id, userID, meta, added, true)
	return nil
}

// removeGroupMember sets a group's meta in its document and deletes a membership; it answers
// whether the group exists and whether the member left it. The positions of the others stay
// as they are: they order the members, and need not be consecutive.
const removeGroupMember = `
WITH g AS (
	UPDATE groups SET doc = jsonb_set(doc, '{meta}', $3::jsonb) WHERE id = $1 RETURNING id
), removed AS (
	DELETE FROM group_members WHERE group_id = $1 AND user_id = $2 AND EXISTS (SELECT FROM g)
	RETURNING user_id
)
SELECT EXISTS (SELECT FROM g), EXISTS (SELECT FROM removed)`

func (t *txn) RemoveGroupMember(id, userID string, meta directory.Meta) error {
	meta.Created, meta.LastModified = meta.Created.UTC(), meta.LastModified.UTC()
	doc, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	var group, removed bool
	if err := t.queryRow(removeGroupMember, id, userID, doc).Scan(&group, &removed); err != nil {
		return t.fail(err)
	}
	if !group {
		return directory.ErrNotFound
	}
	t.changedMember(id, userID, meta, removed, false)
	return nil
}

func (t *txn) GroupByDisplayName(idp, displayName string) (directory.Group, error) {
	id, err := t.GroupIDByDisplayName(idp, displayName)
	if err != nil {
		return directory.Group{}, err
	}
	g, err := t.group(id)
	g.Members = slices.Clone(g.Members) // remembered as read
	return g, err
}

func (t *txn) ScanGroups(q directory.ScanQuery, fn func(directory.Group) error) error {
	where, args := scanWhere(q, "g.")
	sql := fmt.Sprintf(`WHERE %sg.id > $%d ORDER BY g.id LIMIT $%d OFFSET $%d`, where, len(args)+1, len(args)+2, len(args)+3)
	// Groups are few per IdP; OFFSET skips them in the database, without sending them.
	after, skip := q.After, max(q.Skip, 0)
	for {
		page, err := t.groupsOf(!q.WithoutMembers, sql, append(args, after, pageSize, skip)...)
		skip = 0
		if err != nil {
			return err
		}
		for _, g := range page {
			if err := fn(g); err != nil {
				return stopScan(err)
			}
		}
		if len(page) < pageSize {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

func (t *txn) CountGroups(org, idp string) (int, error) {
	where, args := scanWhere(directory.ScanQuery{Org: org, IdP: idp}, "")
	var n int
	err := t.queryRow(`SELECT count(*) FROM groups WHERE `+where+`true`, args...).Scan(&n)
	return n, t.fail(err)
}

func (t *txn) GroupsOfUser(userID string) ([]string, error) {
	if refs, ok := t.refs[userID]; ok { // in the same order
		ids := make([]string, len(refs))
		for i, r := range refs {
			ids[i] = r.ID
		}
		return ids, nil
	}
	ids, err := collect(t, pgx.RowTo[string], `SELECT group_id FROM group_members WHERE user_id = $1 ORDER BY group_id`, userID)
	if err != nil {
		return nil, err
	}
	if ids == nil {
		ids = []string{}
	}
	return ids, nil
}

func (t *txn) GroupRefsOfUser(userID string) ([]directory.GroupRef, error) {
	if refs, ok := t.refs[userID]; ok {
		return slices.Clone(refs), nil
	}
	refs, err := collect(t, pgx.RowToStructByPos[directory.GroupRef], `SELECT m.group_id, coalesce(g.doc->>'displayName', '')
		FROM group_members m JOIN groups g ON g.id = m.group_id WHERE m.user_id = $1 ORDER BY m.group_id`, userID)
	if err != nil {
		return nil, err
	}
	if refs == nil {
		refs = []directory.GroupRef{}
	}
	return refs, nil
}

func (t *txn) GroupRefsOfUsers(userIDs []string) (map[string][]directory.GroupRef, error) {
	out := make(map[string][]directory.GroupRef, len(userIDs))
	if len(userIDs) == 0 {
		return out, nil
	}
	if kept := t.keptRefs(userIDs); kept != nil {
		return kept, nil
	}
	type row struct{ UserID, GroupID, Name string }
	rows, err := collect(t, pgx.RowToStructByPos[row], `SELECT m.user_id, m.group_id, coalesce(g.doc->>'displayName', '')
		FROM group_members m JOIN groups g ON g.id = m.group_id WHERE m.user_id = ANY ($1::text[]) ORDER BY m.user_id, m.group_id`, userIDs)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.UserID] = append(out[r.UserID], directory.GroupRef{ID: r.GroupID, DisplayName: r.Name})
	}
	return out, nil
}

// keptRefs is GroupRefsOfUsers from the refs the transaction keeps (userWhere), or nil when it
// does not keep every user's.
func (t *txn) keptRefs(userIDs []string) map[string][]directory.GroupRef {
	for _, id := range userIDs {
		if _, ok := t.refs[id]; !ok {
			return nil
		}
	}
	out := make(map[string][]directory.GroupRef, len(userIDs))
	for _, id := range userIDs {
		if refs := t.refs[id]; len(refs) > 0 {
			out[id] = slices.Clone(refs)
		}
	}
	return out
}

// checkGroup finds, in the transaction's snapshot, another group of the IdP with the same
// folded displayName and the first member that is not a user.
const checkGroup = `
SELECT
	EXISTS (SELECT FROM groups WHERE idp = $2 AND display_name_folded = $3 AND id <> $1),
	(SELECT m FROM unnest($4::text[]) WITH ORDINALITY AS l(m, o)
	 WHERE NOT EXISTS (SELECT FROM users WHERE id = l.m) ORDER BY o LIMIT 1)`

func (t *txn) PutGroup(g directory.Group) error {
	if g.ID == "" {
		return directory.Invalidf("a group needs an id")
	}
	if strings.TrimSpace(g.DisplayName) == "" {
		return directory.Invalidf("a group needs a displayName")
	}
	old, err := t.membersOf(g.ID)
	if err != nil {
		return err
	}
	gone, added, members, ok := memberChange(old, g.Members)
	all := !ok
	if all {
		members = firstOfEach(g.Members)
		stay := make(map[string]bool, len(members))
		for _, m := range members {
			stay[m] = true
		}
		gone = slices.DeleteFunc(slices.Clone(old), func(m string) bool { return stay[m] })
	}
	folded := foldGroupName(g.DisplayName)
	key := groupKey{idp: g.IdP, folded: folded}

	check := added
	if all {
		check = members
	}
	// The check reads the snapshot for a clash the write would meet. None can be there when
	// the group's own row holds its (IdP, folded displayName) as read in this transaction, and
	// every member it adds is a user the transaction read (a SCIM write reads each new member,
	// checkMembers): only a writer that committed since could then stand in the way — by
	// taking the name after renaming this group, or deleting a member — and the write fails
	// on the unique index or the foreign key, or on the row changed since, at the next round
	// trip, and Update runs the transaction again, as when the check meets such a writer.
	if held, ok := t.groupKeys[g.ID]; !ok || held != key || slices.ContainsFunc(check, func(m string) bool { return !t.seenUsers[m] }) {
		var clash bool
		var missing *string
		if err := t.queryRow(checkGroup, g.ID, g.IdP, folded, check).Scan(&clash, &missing); err != nil {
			return t.fail(err)
		}
		if clash {
			return &directory.ConflictError{Field: "displayName", Value: g.DisplayName}
		}
		if missing != nil {
			return directory.Invalidf("member %q is not a user", *missing)
		}
	}

	g.Org = directory.OrgOrDefault(g.Org)
	g.Meta.Created, g.Meta.LastModified = g.Meta.Created.UTC(), g.Meta.LastModified.UTC()
	g.Members = nil // members live in group_members
	doc, err := json.Marshal(g)
	if err != nil {
		return err
	}
	// Checked, the write answers nothing anybody reads: it goes with the transaction's next
	// round trip, usually its commit. When the change leaves the members that stay in their
	// order and adds members only at the end — a member joins, some leave — only their rows
	// are written, the new ones after the last position. Otherwise every member's position is
	// set again, and only rows whose position moved are written.
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO groups (id, idp, display_name_folded, doc, org) VALUES ($1, $2, $3, $4::jsonb, $5)
		ON CONFLICT (id) DO UPDATE SET idp = excluded.idp, display_name_folded = excluded.display_name_folded,
			doc = excluded.doc, org = excluded.org`,
		g.ID, g.IdP, folded, doc, g.Org)
	if len(gone) > 0 {
		b.Queue(`DELETE FROM group_members WHERE group_id = $1 AND user_id = ANY ($2::text[])`, g.ID, gone)
	}
	switch {
	case all:
		b.Queue(`INSERT INTO group_members (group_id, user_id, pos)
			SELECT $1, l.m, l.o FROM unnest($2::text[]) WITH ORDINALITY AS l(m, o)
			ON CONFLICT (group_id, user_id) DO UPDATE SET pos = excluded.pos WHERE group_members.pos <> excluded.pos`,
			g.ID, members)
	default:
		if len(added) > 0 {
			b.Queue(`INSERT INTO group_members (group_id, user_id, pos)
				SELECT $1, l.m, coalesce((SELECT max(pos) FROM group_members WHERE group_id = $1), 0) + l.o
				FROM unnest($2::text[]) WITH ORDINALITY AS l(m, o)`, g.ID, added)
		}
	}
	t.deferred = append(t.deferred, b.QueuedQueries...)
	t.remember(g.ID, members)
	t.changedGroup(g.ID)
	t.holdsKey(g.ID, key)
	return nil
}

// memberChange compares the member list want with old, the stored one: when want keeps the
// members that stay in old's order and adds members only after them, ok is set, gone are the
// members of old that want leaves out, added the new members (each once, in want's order) and
// members the list as stored. Repeats of a member are dropped, the first kept, as PutGroup
// does with any list. The comparison walks both lists once, which costs little when want was
// made from old: the same strings.
func memberChange(old, want []string) (gone, added, members []string, ok bool) {
	j := 0
	for _, m := range old {
		if j < len(want) && want[j] == m {
			j++
		} else {
			gone = append(gone, m)
		}
	}
	rest := want[j:]
	if len(rest) > 0 {
		inOld := make(map[string]bool, len(old))
		for _, m := range old {
			inOld[m] = true
		}
		left := make(map[string]bool, len(gone))
		for _, m := range gone {
			left[m] = true
		}
		seen := map[string]bool{}
		for _, m := range rest {
			switch {
			case left[m]:
				return nil, nil, nil, false // a member moved
			case inOld[m] || seen[m]:
				continue // a repeat
			}
			seen[m] = true
			added = append(added, m)
		}
	}
	members = make([]string, 0, len(old)-len(gone)+len(added))
	members = append(append(members, want[:j]...), added...)
	return gone, added, members, true
}

// firstOfEach is list without repeats, the first of each kept.
func firstOfEach(list []string) []string {
	seen := make(map[string]bool, len(list))
	out := make([]string, 0, len(list))
	for _, m := range list {
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}

// DeleteGroup removes the group; its memberships go with it through the foreign key.
func (t *txn) DeleteGroup(id string) error {
	delete(t.members, id)
	delete(t.groupKeys, id)
	t.changedGroup(id)
	tag, err := t.exec(`DELETE FROM groups WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return directory.ErrNotFound
	}
	return nil
}
