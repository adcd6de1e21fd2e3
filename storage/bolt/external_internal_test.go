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
// the index of externalIds, the identity index serving for both; a file of format 3 holds such
// entries, which the upgrade to format 4 deletes, ids and values with zero bytes included.
func TestExternalIDIsNotIndexedTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roster.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
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
	// A file of format 3 holds an entry for every user, its externalId its uniqueUserId or not;
	// opening it upgrades it to format 4, without those entries.
	legacy := func(u directory.User) []byte { return key(u.IdP, u.ExternalID, u.ID) }
	l, m := mk("same-1", "00u1", "00u1"), mk("same-\x00-2", "00u\x002", "00u\x002")
	update(func(tx directory.Tx) error { return tx.PutUser(m) })
	if err := s.DB().Update(func(tx *bbolt.Tx) error {
		for _, u := range []directory.User{l, m} {
			if err := tx.Bucket(bByExternal).Put(legacy(u), nil); err != nil {
				return err
			}
		}
		return tx.Bucket(bMeta).Put([]byte("version"), []byte("3"))
	}); err != nil {
		t.Fatal(err)
	}
	if got := keys(); len(got) != 3 {
		t.Fatalf("the format-3 file's index holds %v, want 3 entries", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	want := []string{fmt.Sprintf("%q", key("okta", "mail-nickname", "other"))}
	if got := keys(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after the upgrade the index holds %v, want %v", got, want)
	}
	if err := s.DB().View(func(tx *bbolt.Tx) error {
		if v := string(tx.Bucket(bMeta).Get([]byte("version"))); v != fmt.Sprint(formatVersion) {
			t.Errorf("data format %s after the upgrade, want %d", v, formatVersion)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.View(ctx, func(tx directory.ReadTx) error {
		for ext, id := range map[string]string{"00u1": l.ID, "00u\x002": m.ID, "mail-nickname": "other"} {
			us, err := tx.UsersByExternalID("okta", ext)
			if err != nil {
				return err
			}
			if len(us) != 1 || us[0].ID != id {
				t.Errorf("externalId %q finds %d users, want %s once", ext, len(us), id)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
