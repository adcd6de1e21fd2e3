package postgres_test

import (
	"encoding/json"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/storage/storagetest"
)

// TestRefold: a database whose folded userName and email columns were computed under the
// folding before NFKC and full case folding is re-indexed under the present folding
// (storagetest.Refold), the colliding users keeping a NULL folded userName until they are
// renamed or their name's holder is gone.
func TestRefold(t *testing.T) {
	connURL := freshSchema(t)
	s := openAt(t, connURL)
	storagetest.Refold(t, s, func(t *testing.T, users []directory.User) {
		for _, u := range users {
			doc, err := json.Marshal(u)
			if err != nil {
				t.Fatal(err)
			}
			emails := []string{}
			for _, e := range u.Emails {
				emails = append(emails, storagetest.LegacyFold(e.Value))
			}
			admin(t, connURL, `INSERT INTO users (id, user_name_folded, idp, unique_user_id, emails, doc, org)
				VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)`,
				u.ID, storagetest.LegacyFold(u.UserName), u.IdP, u.UniqueUserID, emails, doc, directory.OrgOrDefault(u.Org))
		}
	})
	var nulls int
	if err := pgxConnect(t, connURL).QueryRow(t.Context(), `SELECT count(*) FROM users WHERE user_name_folded IS NULL`).Scan(&nulls); err != nil || nulls != 0 {
		t.Errorf("%d users without a folded userName (%v), want none: the last collider (u10) takes its name once its holder is deleted", nulls, err)
	}
}
