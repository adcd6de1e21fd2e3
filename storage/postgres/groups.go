package postgres

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster/directory"
)

// selectGroup reads a group's document and its members, in the order they were put.
const selectGroup = `SELECT g.doc, ARRAY(SELECT m.user_id FROM group_members m WHERE m.group_id = g.id ORDER BY m.pos) FROM groups g `

func (t *txn) groups(where string, args ...any) ([]directory.Group, error) {
	type row struct {
		doc     []byte
		members []string
	}
	raws, err := collect(t, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.doc, &x.members)
		return x, err
	}, selectGroup+where, args...)
	if err != nil {
		return nil, err
	}
	out := make([]directory.Group, 0, len(raws))
	for _, r := range raws {
		var g directory.Group
		if err := decode(r.doc, &g); err != nil {
			return nil, err
		}
		g.Org = directory.OrgOrDefault(g.Org) // a group written before organizations is DefaultOrg's
		g.Members = r.members
		if g.Members == nil {
			g.Members = []string{} // a group's member list is [] in every surface, never null
		}
		out = append(out, g)
	}
	return out, nil
}

func (t *txn) group(where string, args ...any) (directory.Group, error) {
	gs, err := t.groups(where, args...)
	if err != nil {
		return directory.Group{}, err
	}
	if len(gs) == 0 {
		return directory.Group{}, directory.ErrNotFound
	}
	return gs[0], nil
}

func (t *txn) Group(id string) (directory.Group, error) {
	return t.group(`WHERE g.id = $1`, id)
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

func (t *txn) GroupByDisplayName(idp, displayName string) (directory.Group, error) {
	return t.group(`WHERE g.idp = $1 AND g.display_name_folded = $2`, idp, foldGroupName(displayName))
}

func (t *txn) ScanGroups(q directory.ScanQuery, fn func(directory.Group) error) error {
	where, args := scanWhere(q, "g.")
	sql := fmt.Sprintf(`WHERE %sg.id > $%d ORDER BY g.id LIMIT $%d OFFSET $%d`, where, len(args)+1, len(args)+2, len(args)+3)
	// Groups are few per IdP; OFFSET skips them in the database, without sending them.
	after, skip := q.After, max(q.Skip, 0)
	for {
		page, err := t.groups(sql, append(args, after, pageSize, skip)...)
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

func (t *txn) GroupsOfUser(userID string) ([]string, error) {
	ids, err := collect(t, pgx.RowTo[string], `SELECT group_id FROM group_members WHERE user_id = $1 ORDER BY group_id`, userID)
	if err != nil {
		return nil, err
	}
	if ids == nil {
		ids = []string{}
	}
	return ids, nil
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
	seen := make(map[string]bool, len(g.Members))
	members := make([]string, 0, len(g.Members))
	for _, m := range g.Members {
		if !seen[m] {
			seen[m] = true
			members = append(members, m)
		}
	}
	folded := foldGroupName(g.DisplayName)

	var clash bool
	var missing *string
	if err := t.queryRow(checkGroup, g.ID, g.IdP, folded, members).Scan(&clash, &missing); err != nil {
		return t.fail(err)
	}
	if clash {
		return &directory.ConflictError{Field: "displayName", Value: g.DisplayName}
	}
	if missing != nil {
		return directory.Invalidf("member %q is not a user", *missing)
	}

	g.Org = directory.OrgOrDefault(g.Org)
	g.Meta.Created, g.Meta.LastModified = g.Meta.Created.UTC(), g.Meta.LastModified.UTC()
	g.Members = nil // members live in group_members
	doc, err := json.Marshal(g)
	if err != nil {
		return err
	}
	// Three statements, one round trip. Memberships that stay keep their rows (a large
	// group's PATCH does not rewrite every row); only positions that moved are updated.
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO groups (id, idp, display_name_folded, doc, org) VALUES ($1, $2, $3, $4::jsonb, $5)
		ON CONFLICT (id) DO UPDATE SET idp = excluded.idp, display_name_folded = excluded.display_name_folded,
			doc = excluded.doc, org = excluded.org`,
		g.ID, g.IdP, folded, doc, g.Org)
	b.Queue(`DELETE FROM group_members WHERE group_id = $1 AND NOT (user_id = ANY ($2::text[]))`, g.ID, members)
	b.Queue(`INSERT INTO group_members (group_id, user_id, pos)
		SELECT $1, l.m, l.o FROM unnest($2::text[]) WITH ORDINALITY AS l(m, o)
		ON CONFLICT (group_id, user_id) DO UPDATE SET pos = excluded.pos WHERE group_members.pos <> excluded.pos`,
		g.ID, members)
	return t.batch(b)
}

// DeleteGroup removes the group; its memberships go with it through the foreign key.
func (t *txn) DeleteGroup(id string) error {
	tag, err := t.exec(`DELETE FROM groups WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return directory.ErrNotFound
	}
	return nil
}
