package postgres

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster/directory"
)

// A user written before organizations has no org in its document and is DefaultOrg's.

// users reads the users sql selects, in order.
func (t *txn) users(sql string, args ...any) ([]directory.User, error) {
	us, err := docs[directory.User](t, sql, args...)
	for i := range us {
		us[i].Org = directory.OrgOrDefault(us[i].Org)
	}
	return us, err
}

func (t *txn) user(sql string, args ...any) (directory.User, error) {
	var raw []byte
	if err := t.queryRow(sql, args...).Scan(&raw); err != nil {
		return directory.User{}, t.fail(err)
	}
	return userOf(raw)
}

// userOf decodes a stored user; one stored before organizations is DefaultOrg's.
func userOf(raw []byte) (directory.User, error) {
	var u directory.User
	if err := decode(raw, &u); err != nil {
		return directory.User{}, err
	}
	u.Org = directory.OrgOrDefault(u.Org)
	return u, nil
}

// userWithRefs is the start of a read of one user with, in the same statement, the ids and
// names of its groups, as GroupRefsOfUser reads them, for the transaction's refs. The WHERE
// clause that follows names the users table u.
const userWithRefs = `SELECT u.doc, r.ids, r.names FROM users u` + refsOfU + `
	WHERE `

// refsOfU joins the ids and names of the groups of the user u, as GroupRefsOfUser reads them;
// groupsOfU joins the IdP and folded displayName each holds as well, in the same order, for a
// write transaction (txn.groupKeys).
const (
	refsOfU   = groupsOpen + refsAggs + groupsClose
	groupsOfU = groupsOpen + refsAggs + `,
		array_agg(g.idp ORDER BY m.group_id) AS idps, array_agg(g.display_name_folded ORDER BY m.group_id) AS folded` + groupsClose

	groupsOpen = ` LEFT JOIN LATERAL (
	SELECT `
	refsAggs = `array_agg(m.group_id ORDER BY m.group_id) AS ids,
		array_agg(coalesce(g.doc->>'displayName', '') ORDER BY m.group_id) AS names`
	groupsClose = `
	FROM group_members m JOIN groups g ON g.id = m.group_id WHERE m.user_id = u.id) r ON true`
)

// userByIDToWrite reads a user in a write transaction: its document, its folded userName as
// stored (holders), and its groups (txn.refs, txn.groupKeys).
const userByIDToWrite = `SELECT u.doc, u.user_name_folded, r.ids, r.names, r.idps, r.folded FROM users u` + groupsOfU + `
	WHERE u.id = $1`

// userGroups are a user's groups as a write transaction reads them with the user.
type userGroups struct{ ids, names, idps, folded []string }

// keepGroups keeps the groups of user id for GroupRefsOfUser(s) and GroupsOfUser, and the
// name each holds for PutGroup and GroupIDsByDisplayName.
func (t *txn) keepGroups(id string, gs userGroups) {
	t.keepRefs(id, gs.ids, gs.names)
	if len(gs.idps) != len(gs.ids) || len(gs.folded) != len(gs.ids) {
		return
	}
	for i, gid := range gs.ids {
		t.holdsKey(gid, groupKey{idp: gs.idps[i], folded: gs.folded[i]})
	}
}

// keepRefs keeps the groups of user id, as read with it, for GroupRefsOfUser(s).
func (t *txn) keepRefs(id string, ids, names []string) {
	refs := make([]directory.GroupRef, len(ids))
	for i := range ids {
		refs[i] = directory.GroupRef{ID: ids[i], DisplayName: names[i]}
	}
	if t.refs == nil {
		t.refs = map[string][]directory.GroupRef{}
	}
	t.refs[id] = refs
}

// userWhere reads the user that where selects (users as u). In a read-only transaction it
// reads the user's groups too and keeps them for GroupRefsOfUser(s), which every view of a
// user calls next: GET /Users/{id} and a userName eq filter, what SCIM clients send most, take
// one statement where they took two. Nothing changes in a read-only transaction's snapshot,
// so what it keeps stays true until it ends. A write transaction keeps the groups of the users
// it reads by id (User) until it changes a group or a membership (txn.changedMemberships).
func (t *txn) userWhere(where string, args ...any) (directory.User, error) {
	if t.opts.AccessMode != pgx.ReadOnly {
		return t.user(`SELECT doc FROM users u WHERE `+where, args...)
	}
	var raw []byte
	var ids, names []string
	if err := t.queryRow(userWithRefs+where, args...).Scan(&raw, &ids, &names); err != nil {
		return directory.User{}, t.fail(err)
	}
	u, err := userOf(raw)
	if err != nil {
		return directory.User{}, err
	}
	t.keepRefs(u.ID, ids, names)
	return u, nil
}

func (t *txn) User(id string) (directory.User, error) {
	if t.opts.AccessMode == pgx.ReadOnly {
		return t.userWhere(`u.id = $1`, id)
	}
	// A write transaction notes that the user holds its own stored folded userName and
	// identity, for PutUser (holders), and keeps the user's groups, which the answer to a
	// PATCH names, until it changes a group or a membership.
	var raw []byte
	var folded *string
	var gs userGroups
	if err := t.queryRow(userByIDToWrite, id).Scan(&raw, &folded, &gs.ids, &gs.names, &gs.idps, &gs.folded); err != nil {
		return directory.User{}, t.fail(err)
	}
	u, err := userOf(raw)
	if err != nil {
		return directory.User{}, err
	}
	t.keepGroups(u.ID, gs)
	t.sawUsers(id)
	if folded != nil {
		t.holders.name(u.Org, *folded, id)
	}
	if ident, ok := u.Identity(); ok {
		t.holders.identity(ident, id)
	}
	return u, nil
}

// holders is what a write transaction's reads showed of who holds the values a user's write
// is checked for — a folded userName of an organization, an identity — by user id, "" for
// nobody, until it writes a user. PutUser of a user whose values they show free or its own
// need not wait for the check: the snapshot holds no clash.
type holders struct {
	names      map[[2]string]string // organization and folded userName
	identities map[directory.Identity]string
}

func (h *holders) name(org, folded, holder string) {
	if h.names == nil {
		h.names = map[[2]string]string{}
	}
	h.names[[2]string{org, folded}] = holder
}

func (h *holders) identity(id directory.Identity, holder string) {
	if h.identities == nil {
		h.identities = map[directory.Identity]string{}
	}
	h.identities[id] = holder
}

// free reports whether they show u's folded userName, and its identity if it has one, held by
// nobody or by u.
func (h *holders) free(u directory.User, folded string) bool {
	mine := func(holder string, known bool) bool { return known && (holder == "" || holder == u.ID) }
	if holder, known := h.names[[2]string{u.Org, folded}]; !mine(holder, known) {
		return false
	}
	id, ok := u.Identity()
	if !ok {
		return true
	}
	holder, known := h.identities[id]
	return mine(holder, known)
}

// usersByIDChunk is how many ids one statement of UsersByID reads.
const usersByIDChunk = 1000

func (t *txn) UsersByID(ids []string) ([]directory.User, error) {
	byID := make(map[string]directory.User, len(ids))
	for start := 0; start < len(ids); start += usersByIDChunk {
		us, err := t.users(`SELECT doc FROM users WHERE id = ANY ($1::text[])`, ids[start:min(start+usersByIDChunk, len(ids))])
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			byID[u.ID] = u
		}
	}
	out := make([]directory.User, 0, len(byID))
	for _, id := range ids {
		if u, ok := byID[id]; ok {
			out = append(out, u)
			t.sawUsers(id)
		}
	}
	return out, nil
}

func (t *txn) UserByUserName(org, userName string) (directory.User, error) {
	return t.userWhere(`u.org = $1 AND u.user_name_folded = $2`, directory.OrgOrDefault(org), directory.FoldUserName(userName))
}

// userByIdentity reads an identity's user and, in the same statement, its tombstone: what a
// SCIM create or a first sign-in reads next when the identity has no user (R2, R7). The
// tombstone is kept for Tombstone until the transaction writes one (txn.tombstones).
const userByIdentity = `SELECT (SELECT doc FROM users WHERE idp = $1 AND unique_user_id = $2),
	(SELECT doc FROM tombstones WHERE idp = $1 AND unique_user_id = $2)`

func (t *txn) UserByIdentity(id directory.Identity) (directory.User, error) {
	var user, tomb []byte
	if err := t.queryRow(userByIdentity, id.IdP, id.UniqueUserID).Scan(&user, &tomb); err != nil {
		return directory.User{}, t.fail(err)
	}
	if t.tombstones == nil {
		t.tombstones = map[directory.Identity][]byte{}
	}
	t.tombstones[id] = tomb
	if user == nil {
		return directory.User{}, directory.ErrNotFound
	}
	return userOf(user)
}

// arrivalRead is userByIdentity with, in the same statement, the user holding the userName.
// The identity's user comes with its groups, kept for GroupsOfUser, GroupRefsOfUser and
// GroupIDsByDisplayName (txn.refs, txn.groupKeys): a returning sign-in compares them with the
// groups it asserts, which it looks up by name.
const arrivalRead = `SELECT u.doc,
	(SELECT doc FROM tombstones WHERE idp = $1 AND unique_user_id = $2),
	(SELECT doc FROM users WHERE org = $3 AND user_name_folded = $4),
	r.ids, r.names, r.idps, r.folded
	FROM (SELECT) AS one LEFT JOIN users u ON u.idp = $1 AND u.unique_user_id = $2` + groupsOfU

// Arrival reads in one round trip what a SCIM create and a first sign-in read in three. The
// tombstone is kept for Tombstone, as UserByIdentity keeps it, and who holds the identity and
// the userName for PutUser (holders).
func (t *txn) Arrival(id directory.Identity, org, userName string) (directory.Arrival, error) {
	var user, tomb, named []byte
	var gs userGroups
	org, folded := directory.OrgOrDefault(org), directory.FoldUserName(userName)
	if err := t.queryRow(arrivalRead, id.IdP, id.UniqueUserID, org, folded).Scan(&user, &tomb, &named, &gs.ids, &gs.names, &gs.idps, &gs.folded); err != nil {
		return directory.Arrival{}, t.fail(err)
	}
	if t.tombstones == nil {
		t.tombstones = map[directory.Identity][]byte{}
	}
	t.tombstones[id] = tomb
	var a directory.Arrival
	if user != nil {
		u, err := userOf(user)
		if err != nil {
			return directory.Arrival{}, err
		}
		a.ByKey = &u
		t.keepGroups(u.ID, gs)
	}
	switch {
	case named == nil:
	case a.ByKey != nil && bytes.Equal(named, user): // a returning user: decoded once
		u := a.ByKey.Clone()
		a.ByUserName = &u
	default:
		u, err := userOf(named)
		if err != nil {
			return directory.Arrival{}, err
		}
		a.ByUserName = &u
	}
	keyHolder, nameHolder := "", ""
	if a.ByKey != nil {
		keyHolder = a.ByKey.ID
	}
	if a.ByUserName != nil {
		nameHolder = a.ByUserName.ID
	}
	t.holders.identity(id, keyHolder)
	t.holders.name(org, folded, nameHolder)
	if tomb != nil {
		ts, err := t.Tombstone(id)
		if err != nil {
			return directory.Arrival{}, err
		}
		a.Tombstone = &ts
	}
	return a, nil
}

func (t *txn) UsersByExternalID(idp, externalID string) ([]directory.User, error) {
	if externalID == "" {
		return []directory.User{}, nil
	}
	return t.users(`SELECT doc FROM users WHERE idp = $1 AND external_id = $2 ORDER BY id`, idp, externalID)
}

func (t *txn) UsersByEmail(org, email string) ([]directory.User, error) {
	folded := directory.FoldEmail(email)
	if folded == "" {
		return []directory.User{}, nil
	}
	// @> with a one-element array is what the GIN index on emails serves.
	return t.users(`SELECT doc FROM users WHERE emails @> ARRAY[$2::text] AND org = $1 ORDER BY id`,
		directory.OrgOrDefault(org), folded)
}

// scanWhere is the condition of a scan of q, each term followed by AND, on the columns of
// table (a qualifier such as "g." or ""), and its arguments, numbered from $1; the caller
// adds the page's.
func scanWhere(q directory.ScanQuery, table string) (string, []any) {
	var where strings.Builder
	var args []any
	if q.Org != "" {
		args = append(args, q.Org)
		fmt.Fprintf(&where, "%sorg = $%d AND ", table, len(args))
	}
	if q.IdP != "" {
		args = append(args, q.IdP)
		fmt.Fprintf(&where, "%sidp = $%d AND ", table, len(args))
	}
	return where.String(), args
}

// mentioned is the condition by which a scan passes over users that hold none of its
// mentions (directory.ScanQuery.Mentions): it keeps a document whose text is not all ASCII or
// holds an escape, and one whose text, folded to lower case in ASCII alone (collation "C"),
// matches one of the patterns.
//
// The text is made once per user, by mentionedFrom (OFFSET 0 keeps the planner from
// inlining it into each use); making it is most of what the condition costs.
const (
	mentionedFrom = `users, LATERAL (SELECT doc::text AS raw OFFSET 0) AS text`
	mentioned     = `(octet_length(text.raw) <> length(text.raw) OR strpos(text.raw, '\') > 0
	OR lower(text.raw COLLATE "C") LIKE ANY ($%d)) AND `
)

// mentionPatterns are LIKE patterns for the mentions, in lower case; false when they are
// not usable (directory.UsableMentions).
func mentionPatterns(ms []string) ([]string, bool) {
	if !directory.UsableMentions(ms) {
		return nil, false
	}
	pats := make([]string, 0, len(ms))
	for _, m := range ms {
		var p strings.Builder
		p.WriteByte('%')
		for i := range len(m) {
			c := m[i]
			switch {
			case c == '%' || c == '_' || c == '\\':
				p.WriteByte('\\')
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			}
			p.WriteByte(c)
		}
		p.WriteByte('%')
		pats = append(pats, p.String())
	}
	return pats, true
}

func (t *txn) ScanUsers(q directory.ScanQuery, fn func(directory.User) error) error {
	where, args := scanWhere(q, "")
	from := "users"
	// Skip counts users whether or not they hold a mention, so a scan that skips does without.
	if pats, ok := mentionPatterns(q.Mentions); ok && q.Skip == 0 {
		args = append(args, pats)
		from, where = mentionedFrom, where+fmt.Sprintf(mentioned, len(args))
	}
	a, l := len(args)+1, len(args)+2
	sql := fmt.Sprintf(`SELECT doc FROM %s WHERE %sid > $%d ORDER BY id LIMIT $%d`, from, where, a, l)
	after := q.After
	var page []directory.User
	var err error
	if q.Skip > 0 {
		// The first page starts at the id found by skipping on the index alone (an
		// index-only scan of (idp, id), (org, id) or id): no skipped document is read.
		first := fmt.Sprintf(`SELECT doc FROM users WHERE %[1]sid >= (SELECT id FROM users WHERE %[1]sid > $%[2]d ORDER BY id OFFSET $%[4]d LIMIT 1)
			ORDER BY id LIMIT $%[3]d`, where, a, l, l+1)
		page, err = t.users(first, append(args, after, pageSize, q.Skip)...)
	} else {
		page, err = t.users(sql, append(args, after, pageSize)...)
	}
	for {
		if err != nil {
			return err
		}
		for _, u := range page {
			if err := fn(u); err != nil {
				return stopScan(err)
			}
		}
		if len(page) < pageSize {
			return nil
		}
		after = page[len(page)-1].ID
		page, err = t.users(sql, append(args, after, pageSize)...)
	}
}

// The statements of UsersByUserName: the first page from a folded userName on (that one
// included) or from the last, and the pages after a folded userName. Each reads the index on
// (org, user_name_folded) in order.
const (
	userNamesFrom     = `SELECT user_name_folded, doc FROM users WHERE org = $1 AND user_name_folded >= $2 ORDER BY user_name_folded LIMIT $3`
	userNamesAfter    = `SELECT user_name_folded, doc FROM users WHERE org = $1 AND user_name_folded > $2 ORDER BY user_name_folded LIMIT $3`
	userNamesDescLast = `SELECT user_name_folded, doc FROM users WHERE org = $1 AND user_name_folded IS NOT NULL ORDER BY user_name_folded DESC LIMIT $2`
	userNamesDescFrom = `SELECT user_name_folded, doc FROM users WHERE org = $1 AND user_name_folded <= $2 ORDER BY user_name_folded DESC LIMIT $3`
	userNamesBefore   = `SELECT user_name_folded, doc FROM users WHERE org = $1 AND user_name_folded < $2 ORDER BY user_name_folded DESC LIMIT $3`
)

// namedUser is a row of UsersByUserName's statements: the folded userName the page goes on
// from, and the user.
type namedUser struct {
	Folded string
	Doc    []byte
}

func (t *txn) UsersByUserName(org, from string, desc bool, fn func(directory.User) error) (bool, error) {
	org = directory.OrgOrDefault(org)
	var unnamed bool
	if err := t.queryRow(`SELECT EXISTS (SELECT FROM users WHERE org = $1 AND user_name_folded IS NULL)`, org).Scan(&unnamed); err != nil {
		return false, t.fail(err)
	}
	if unnamed {
		return false, nil
	}
	read := func(sql string, args ...any) ([]namedUser, error) {
		return collect(t, pgx.RowToStructByPos[namedUser], sql, append(args, pageSize)...)
	}
	var page []namedUser
	var err error
	switch {
	case !desc:
		page, err = read(userNamesFrom, org, from)
	case from == "":
		page, err = read(userNamesDescLast, org)
	default:
		page, err = read(userNamesDescFrom, org, from)
	}
	for {
		if err != nil {
			return true, err
		}
		for _, row := range page {
			u, err := userOf(row.Doc)
			if err != nil {
				return true, err
			}
			if err := fn(u); err != nil {
				return true, stopScan(err)
			}
		}
		if len(page) < pageSize {
			return true, nil
		}
		if last := page[len(page)-1].Folded; desc {
			page, err = read(userNamesBefore, org, last)
		} else {
			page, err = read(userNamesAfter, org, last)
		}
	}
}

func (t *txn) CountUsers(org, idp string) (int, error) {
	where, args := scanWhere(directory.ScanQuery{Org: org, IdP: idp}, "")
	var n int
	err := t.queryRow(`SELECT count(*) FROM users WHERE `+where+`true`, args...).Scan(&n)
	return n, t.fail(err)
}

func (t *txn) CountUserStates(org string) ([]directory.UserCountRow, error) {
	where, args := scanWhere(directory.ScanQuery{Org: org}, "")
	rows, err := collect(t, pgx.RowToStructByPos[directory.UserCountRow],
		`SELECT idp, coalesce(doc->>'owner', ''), coalesce((doc->>'active')::boolean, false), count(*)
		FROM users WHERE `+where+`true GROUP BY 1, 2, 3`, args...)
	return rows, t.fail(err)
}

// emailKeys are the distinct folded emails of a user, the values of the emails column.
func emailKeys(u directory.User) []string {
	keys := []string{}
	seen := map[string]bool{}
	for _, e := range u.Emails {
		f := directory.FoldEmail(e.Value)
		if f == "" || seen[f] {
			continue
		}
		seen[f] = true
		keys = append(keys, f)
	}
	return keys
}

// putUser checks uniqueness and writes the user in one statement. The check reads the
// transaction's snapshot (so the transaction stays usable when it finds a conflict, as in the
// bbolt store), and the insert runs only when it found none. The unique indexes stand behind
// it: a value that a concurrent writer took after the snapshot fails the insert, and Update
// runs the whole transaction again.
const putUser = `
WITH clash AS (
	SELECT CASE WHEN org = $8 AND user_name_folded = $2 THEN 'userName' ELSE 'identity' END AS field
	FROM users
	WHERE id <> $1 AND ((org = $8 AND user_name_folded = $2) OR (idp = $3 AND unique_user_id = $4::text))
	ORDER BY (org = $8 AND user_name_folded = $2) DESC
	LIMIT 1
), put AS (
	INSERT INTO users (id, user_name_folded, idp, unique_user_id, external_id, emails, doc, org)
	SELECT $1, $2, $3, $4::text, $5::text, $6::text[], $7::jsonb, $8
	WHERE NOT EXISTS (SELECT FROM clash)
	ON CONFLICT (id) DO UPDATE SET
		user_name_folded = excluded.user_name_folded, idp = excluded.idp,
		unique_user_id = excluded.unique_user_id, external_id = excluded.external_id,
		emails = excluded.emails, doc = excluded.doc, org = excluded.org
)
SELECT field FROM clash`

// putUserUnchecked is putUser without its check in the snapshot, for a user whose identity
// and userName the transaction has read free or its own (holders.free): a clash can then come
// only from a concurrent writer, and the unique indexes refuse it.
const putUserUnchecked = `
INSERT INTO users (id, user_name_folded, idp, unique_user_id, external_id, emails, doc, org)
VALUES ($1, $2, $3, $4::text, $5::text, $6::text[], $7::jsonb, $8)
ON CONFLICT (id) DO UPDATE SET
	user_name_folded = excluded.user_name_folded, idp = excluded.idp,
	unique_user_id = excluded.unique_user_id, external_id = excluded.external_id,
	emails = excluded.emails, doc = excluded.doc, org = excluded.org`

func (t *txn) PutUser(u directory.User) error {
	if u.ID == "" {
		return directory.Invalidf("a user needs an id")
	}
	folded := directory.FoldUserName(u.UserName)
	if folded == "" {
		return directory.Invalidf("a user needs a userName")
	}
	u.Org = directory.OrgOrDefault(u.Org)
	u.Meta.Created, u.Meta.LastModified = u.Meta.Created.UTC(), u.Meta.LastModified.UTC()
	u.LastLoginAt, u.SessionsValidAfter = u.LastLoginAt.UTC(), u.SessionsValidAfter.UTC()
	doc, err := directory.AppendUserJSON(nil, &u)
	if err != nil {
		return err
	}
	// Only a complete identity is indexed (User.Identity); a half one must not collide.
	var uniqueUserID *string
	ident, hasIdent := u.Identity()
	if hasIdent {
		uniqueUserID = &ident.UniqueUserID
	}
	args := []any{u.ID, folded, u.IdP, uniqueUserID, nullIfEmpty(u.ExternalID), emailKeys(u), doc, u.Org}
	free := t.holders.free(u, folded)
	t.holders = holders{} // what the reads showed no longer holds once a user is written
	if free {
		// This transaction's snapshot holds no clash: an Arrival showed the identity and the
		// userName free, or this user's own, or the user read by id holds them itself (a
		// PATCH that changes neither). Only a writer that committed since could hold them;
		// the insert then fails on the unique indexes at the transaction's next round trip,
		// often its commit — or on this user's row, changed since — and Update runs it again,
		// as it does when the check below meets such a writer. So the write need not wait for
		// an answer.
		t.later(putUserUnchecked, args...)
		return nil
	}
	var field string
	err = t.queryRow(putUser, args...).Scan(&field)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil // no clash: the user was written
	case err != nil:
		return t.fail(err)
	case field == "userName":
		return &directory.ConflictError{Field: "userName", Value: u.UserName}
	default:
		return &directory.ConflictError{Field: "identity", Value: ident.IdP + "/" + ident.UniqueUserID}
	}
}

// DeleteUser removes the user; the foreign keys of group_members remove its memberships in the
// same statement.
func (t *txn) DeleteUser(id string) error {
	t.members, t.heads = nil, nil // its memberships go with it
	t.changedMemberships()
	t.holders = holders{}
	t.seenUsers = nil
	tag, err := t.exec(`DELETE FROM users WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return directory.ErrNotFound
	}
	return nil
}
