package bolt

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/rosterhq/roster/directory"
)

// TestRefoldIndexesOfAnOldStore: a file written before userNames were folded with NFKC and full
// case folding holds "Straße" under "straße" and "STRASSE" under "strasse", two users, and an
// email with a NUL the input policy now refuses. AuditInput reports both; RefoldIndexes
// re-indexes every user under the present folding without changing a record, runs once, and
// reports the collision: "STRASSE", whose old key is the new key of both, keeps the name, and
// "Straße" keeps its old key, which no lookup reaches, until an administrator renames one.
func TestRefoldIndexesOfAnOldStore(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	users := []directory.User{
		{ID: "u1", UserName: "Straße@x.test", IdP: "okta", UniqueUserID: "k1", Owner: directory.OwnerSCIM},
		{ID: "u2", UserName: "ann@x.test", IdP: "okta", UniqueUserID: "k2", Owner: directory.OwnerSCIM,
			Emails: []directory.MultiValue{{Value: "victim@x.test\x00"}}},
		{ID: "u3", UserName: "\ufb01nn@x.test", IdP: "okta", UniqueUserID: "k3", Owner: directory.OwnerSCIM},
	}
	// The store's own writes index under the present folding; the old layout is then made by
	// hand: each userName under its lower-case form, as the old folding had it, and a second
	// user whose name only the new folding makes the first's.
	if err := s.Update(ctx, func(tx directory.Tx) error {
		for _, u := range users {
			if err := tx.PutUser(u); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	u4 := directory.User{ID: "u4", UserName: "STRASSE@x.test", IdP: "okta", UniqueUserID: "k4", Owner: directory.OwnerSCIM}
	if err := s.db.Update(func(tx *bbolt.Tx) error {
		idx := tx.Bucket(bByUserName)
		c := idx.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		for _, u := range append(users, u4) {
			if err := idx.Put([]byte(strings.ToLower(u.UserName)), []byte(u.ID)); err != nil {
				return err
			}
		}
		raw, _ := json.Marshal(u4)
		return tx.Bucket(bUsers).Put([]byte(u4.ID), raw)
	}); err != nil {
		t.Fatal(err)
	}
	records := func() string {
		var b strings.Builder
		_ = s.db.View(func(tx *bbolt.Tx) error {
			return tx.Bucket(bUsers).ForEach(func(k, v []byte) error { b.Write(k); b.Write(v); return nil })
		})
		return b.String()
	}
	before := records()
	svc := directory.New(s)

	audit, err := svc.AuditInput(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(audit.Problems) != 1 || audit.Problems[0].ID != "u2" || !strings.Contains(audit.Problems[0].Problem, "emails[0].value") {
		t.Errorf("problems %+v, want u2's email", audit.Problems)
	}
	if len(audit.Collisions) != 1 || audit.Collisions[0].UserID != "u1" || audit.Collisions[0].Holder != "u4" {
		t.Errorf("collisions %+v, want u1 colliding with u4, which holds the name", audit.Collisions)
	}
	// Under the old index, the new folding finds neither Straße nor ﬁnn.
	lookup := func(name string) string {
		var id string
		_ = s.View(ctx, func(tx directory.ReadTx) error {
			u, err := tx.UserByUserName("", name)
			id = u.ID
			return err
		})
		return id
	}
	if lookup("Finn@x.test") == "u3" {
		t.Fatalf("the hand-made old index already answers under the new folding; the test proves nothing")
	}

	n, collisions, err := svc.RefoldIndexes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 || len(collisions) != 1 || collisions[0].UserID != "u1" || collisions[0].Holder != "u4" {
		t.Errorf("RefoldIndexes = %d, %+v; want 3 re-indexed and u1 colliding with u4", n, collisions)
	}
	if got := records(); got != before {
		t.Errorf("RefoldIndexes changed user records")
	}
	for name, want := range map[string]string{"strasse@X.TEST": "u4", "STRAẞE@x.test": "u4", "Finn@x.test": "u3", "ANN@x.test": "u2"} {
		if got := lookup(name); got != want {
			t.Errorf("userName %q after re-indexing: user %q, want %q", name, got, want)
		}
	}
	if n, collisions, err := svc.RefoldIndexes(ctx); err != nil || n != 0 || len(collisions) != 0 {
		t.Errorf("a second RefoldIndexes = %d, %v, %v; want nothing to do", n, collisions, err)
	}
}
