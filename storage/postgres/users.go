package postgres

import (
	"encoding/json"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster/directory"
)

func (t *txn) User(id string) (directory.User, error) {
	var u directory.User
	err := t.getDoc(&u, `SELECT doc FROM users WHERE id = $1`, id)
	return u, err
}

func (t *txn) UserByUserName(userName string) (directory.User, error) {
	var u directory.User
	err := t.getDoc(&u, `SELECT doc FROM users WHERE user_name_folded = $1`, directory.FoldUserName(userName))
	return u, err
}

func (t *txn) UserByIdentity(id directory.Identity) (directory.User, error) {
	var u directory.User
	err := t.getDoc(&u, `SELECT doc FROM users WHERE idp = $1 AND unique_user_id = $2`, id.IdP, id.UniqueUserID)
	return u, err
}

func (t *txn) UsersByExternalID(idp, externalID string) ([]directory.User, error) {
	if externalID == "" {
		return []directory.User{}, nil
	}
	return docs[directory.User](t, `SELECT doc FROM users WHERE idp = $1 AND external_id = $2 ORDER BY id`, idp, externalID)
}

func (t *txn) UsersByEmail(email string) ([]directory.User, error) {
	folded := directory.FoldEmail(email)
	if folded == "" {
		return []directory.User{}, nil
	}
	// @> with a one-element array is what the GIN index on emails serves.
	return docs[directory.User](t, `SELECT doc FROM users WHERE emails @> ARRAY[$1::text] ORDER BY id`, folded)
}

func (t *txn) ScanUsers(q directory.ScanQuery, fn func(directory.User) error) error {
	after := q.After
	for {
		var page []directory.User
		var err error
		if q.IdP == "" {
			page, err = docs[directory.User](t, `SELECT doc FROM users WHERE id > $1 ORDER BY id LIMIT $2`, after, pageSize)
		} else {
			page, err = docs[directory.User](t, `SELECT doc FROM users WHERE idp = $1 AND id > $2 ORDER BY id LIMIT $3`, q.IdP, after, pageSize)
		}
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
	}
}

func (t *txn) CountUsers(idp string) (int, error) {
	var n int
	var err error
	if idp == "" {
		err = t.queryRow(`SELECT count(*) FROM users`).Scan(&n)
	} else {
		err = t.queryRow(`SELECT count(*) FROM users WHERE idp = $1`, idp).Scan(&n)
	}
	return n, t.fail(err)
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
	SELECT CASE WHEN user_name_folded = $2 THEN 'userName' ELSE 'identity' END AS field
	FROM users
	WHERE id <> $1 AND (user_name_folded = $2 OR (idp = $3 AND unique_user_id = $4::text))
	ORDER BY user_name_folded = $2 DESC
	LIMIT 1
), put AS (
	INSERT INTO users (id, user_name_folded, idp, unique_user_id, external_id, emails, doc)
	SELECT $1, $2, $3, $4::text, $5::text, $6::text[], $7::jsonb
	WHERE NOT EXISTS (SELECT FROM clash)
	ON CONFLICT (id) DO UPDATE SET
		user_name_folded = excluded.user_name_folded, idp = excluded.idp,
		unique_user_id = excluded.unique_user_id, external_id = excluded.external_id,
		emails = excluded.emails, doc = excluded.doc
)
SELECT field FROM clash`

func (t *txn) PutUser(u directory.User) error {
	if u.ID == "" {
		return directory.Invalidf("a user needs an id")
	}
	folded := directory.FoldUserName(u.UserName)
	if folded == "" {
		return directory.Invalidf("a user needs a userName")
	}
	u.Meta.Created, u.Meta.LastModified = u.Meta.Created.UTC(), u.Meta.LastModified.UTC()
	u.LastLoginAt, u.SessionsValidAfter = u.LastLoginAt.UTC(), u.SessionsValidAfter.UTC()
	doc, err := json.Marshal(u)
	if err != nil {
		return err
	}
	// Only a complete identity is indexed (User.Identity); a half one must not collide.
	var uniqueUserID *string
	ident, hasIdent := u.Identity()
	if hasIdent {
		uniqueUserID = &ident.UniqueUserID
	}
	var field string
	err = t.queryRow(putUser, u.ID, folded, u.IdP, uniqueUserID, nullIfEmpty(u.ExternalID), emailKeys(u), doc).Scan(&field)
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
	tag, err := t.exec(`DELETE FROM users WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return directory.ErrNotFound
	}
	return nil
}
