package bolt

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/rosterhq/roster/directory"
)

// TestExternalIDIsNotIndexedTwice: a user whose externalId is its uniqueUserId gets no entry in
// the index of externalIds, the identity index serving for both; a file written before holds
// such entries, which look-ups do not count twice and which go when their user changes its
// externalId or is deleted.
func TestExternalIDIsNotIndexedTwice(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	mk := func(id, uid, ext string) directory.User {
		return directory.User{ID: id, UserName: id + "@example.com", IdP: "okta", UniqueUserID: uid, ExternalID: ext, Active: true, Owner: directory.OwnerSCIM}
	}
	update := func(fn func(tx directory.Tx) error) {
		t.Helper()
		if err := s.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	update(func(tx directory.Tx) error {
		for i := range 50 {
			if err := tx.PutUser(mk(fmt.Sprint("same-", i), fmt.Sprint("00u", i), fmt.Sprint("00u", i))); err != nil {
				return err
			}
		}
		return tx.PutUser(mk("other", "00u-other", "mail-nickname"))
	})
	keys := func() []string {
		t.Helper()
		var out []string
		if err := s.DB().View(func(tx *bbolt.Tx) error {
			return tx.Bucket(bByExternal).ForEach(func(k, _ []byte) error { out = append(out, fmt.Sprintf("%q", k)); return nil })
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := keys(); len(got) != 1 {
		t.Fatalf("the index of externalIds holds %v; want only the entry of the user whose externalId is not its uniqueUserId", got)
	}
	// Entries an older version wrote for users whose externalId is their uniqueUserId.
	legacy := func(u directory.User) []byte { return key(u.IdP, u.ExternalID, u.ID) }
	l, m := mk("same-1", "00u1", "00u1"), mk("same-2", "00u2", "00u2")
	if err := s.DB().Update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bByExternal).Put(legacy(l), nil); err != nil {
			return err
		}
		return tx.Bucket(bByExternal).Put(legacy(m), nil)
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.View(ctx, func(tx directory.ReadTx) error {
		us, err := tx.UsersByExternalID("okta", "00u1")
		if err == nil && (len(us) != 1 || us[0].ID != l.ID) {
			err = fmt.Errorf("externalId 00u1 with an older entry finds %d users, want %s once", len(us), l.ID)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	update(func(tx directory.Tx) error {
		l.ExternalID = "renamed"
		if err := tx.PutUser(l); err != nil {
			return err
		}
		return tx.DeleteUser(m.ID)
	})
	want := []string{fmt.Sprintf("%q", key("okta", "mail-nickname", "other")), fmt.Sprintf("%q", key("okta", "renamed", l.ID))}
	if got := keys(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after one user with an older entry changed its externalId and another was deleted, the index holds %v, want %v", got, want)
	}
	if err := s.View(ctx, func(tx directory.ReadTx) error {
		for ext, n := range map[string]int{"00u1": 0, "00u2": 0, "renamed": 1} {
			us, err := tx.UsersByExternalID("okta", ext)
			if err != nil {
				return err
			}
			if len(us) != n {
				t.Errorf("externalId %s finds %d users, want %d", ext, len(us), n)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
