package postgres

import (
	"encoding/json"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster/directory"
)

// refoldRow is a user as RefoldUsers reads it: the record and its folded columns as they are.
type refoldRow struct {
	id, org string
	folded  *string
	emails  []string
	doc     []byte
}

// RefoldUsers computes every user's folded userName and emails under the present folding
// from the user documents, in the caller's transaction, and writes the columns that changed;
// the documents stay as they are. The holder of a userName that several users of an
// organization now share is decided by directory.FoldHolders from the column's present
// values; the others get NULL, which no lookup matches and the unique index lets many rows
// have (migration 0003). Columns that change are set to NULL first and then to their new
// values, so that no row takes a value another row gives up later in the same statement (a
// unique index is checked row by row).
func (t *txn) RefoldUsers() (int, []directory.FoldCollision, error) {
	const page = `SELECT id, org, user_name_folded, emails, doc FROM users WHERE id > $1 ORDER BY id LIMIT $2`
	scan := func(row pgx.CollectableRow) (refoldRow, error) {
		var r refoldRow
		err := row.Scan(&r.id, &r.org, &r.folded, &r.emails, &r.doc)
		return r, err
	}
	type user struct {
		row    refoldRow
		name   string
		emails []string
	}
	var users []user
	for after := ""; ; {
		rows, err := collect(t, scan, page, after, pageSize)
		if err != nil {
			return 0, nil, err
		}
		for _, r := range rows {
			var u directory.User
			if err := decode(r.doc, &u); err != nil {
				return 0, nil, err
			}
			r.doc = nil
			users = append(users, user{row: r, name: u.UserName, emails: emailKeys(u)})
		}
		if len(rows) < pageSize {
			break
		}
		after = rows[len(rows)-1].id
	}

	names := make([]directory.FoldedName, len(users))
	holds := map[[2]string]string{}
	for i, u := range users {
		names[i] = directory.FoldedName{ID: u.row.id, Org: u.row.org, UserName: u.name}
		if u.row.folded != nil {
			holds[[2]string{u.row.org, *u.row.folded}] = u.row.id
		}
	}
	collisions := directory.FoldHolders(names, func(org, folded string) string { return holds[[2]string{org, folded}] })
	colliding := map[string]bool{}
	for _, c := range collisions {
		colliding[c.UserID] = true
	}

	var cleared, setIDs, setNames, emailIDs, emailLists []string
	reindexed := 0
	for _, u := range users {
		var folded *string
		if !colliding[u.row.id] {
			f := directory.FoldUserName(u.name)
			folded = &f
		}
		nameChanged := (folded == nil) != (u.row.folded == nil) || folded != nil && *folded != *u.row.folded
		emailsChanged := !slices.Equal(u.emails, u.row.emails)
		if nameChanged {
			cleared = append(cleared, u.row.id)
			if folded != nil {
				setIDs, setNames = append(setIDs, u.row.id), append(setNames, *folded)
			}
		}
		if emailsChanged {
			list, err := json.Marshal(u.emails)
			if err != nil {
				return 0, nil, err
			}
			emailIDs, emailLists = append(emailIDs, u.row.id), append(emailLists, string(list))
		}
		if nameChanged || emailsChanged {
			reindexed++
		}
	}
	if reindexed == 0 {
		return 0, collisions, nil
	}
	b := &pgx.Batch{}
	b.Queue(`UPDATE users SET user_name_folded = NULL WHERE id = ANY ($1::text[])`, cleared)
	b.Queue(`UPDATE users AS u SET user_name_folded = v.folded
		FROM unnest($1::text[], $2::text[]) AS v(id, folded) WHERE u.id = v.id`, setIDs, setNames)
	b.Queue(`UPDATE users AS u SET emails = ARRAY(SELECT jsonb_array_elements_text(v.emails::jsonb))
		FROM unnest($1::text[], $2::text[]) AS v(id, emails) WHERE u.id = v.id`, emailIDs, emailLists)
	if err := t.batch(b); err != nil {
		return 0, nil, err
	}
	return reindexed, collisions, nil
}
