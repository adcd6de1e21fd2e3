package bolt

import (
	"bytes"
	"path/filepath"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/storage/storagetest"
)

// TestRefold: a file whose userName and email indexes were built under the folding before NFKC
// and full case folding, in the format 2 key layout (per organization, length-safe), is
// re-indexed under the present folding (storagetest.Refold), and afterwards the two index
// buckets hold exactly the entries the present folding gives: nothing of the old one is left.
func TestRefold(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storagetest.Refold(t, s, func(t *testing.T, users []directory.User) {
		err := s.db.Update(func(btx *bbolt.Tx) error {
			tx := &txn{tx: btx}
			for _, u := range users {
				if err := tx.put(bUsers, []byte(u.ID), u); err != nil {
					return err
				}
				for _, x := range userIndexes(u) {
					if bytes.Equal(x.bucket, bByUserName) || bytes.Equal(x.bucket, bByEmail) {
						continue
					}
					if err := btx.Bucket(x.bucket).Put(x.k, x.v); err != nil {
						return err
					}
				}
				org := directory.OrgOrDefault(u.Org)
				if err := btx.Bucket(bByUserName).Put(key(org, storagetest.LegacyFold(u.UserName)), []byte(u.ID)); err != nil {
					return err
				}
				for _, e := range u.Emails {
					if err := btx.Bucket(bByEmail).Put(key(org, storagetest.LegacyFold(e.Value), u.ID), nil); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	// What is left is exactly what the present folding indexes: every user not deleted by
	// Refold's last steps, the colliders but the renamed one without a userName entry.
	want := map[string][]byte{}
	wantEmails := map[string]bool{}
	err = s.db.View(func(btx *bbolt.Tx) error {
		return btx.Bucket(bUsers).ForEach(func(_, v []byte) error {
			u, err := decodeUser(v)
			if err != nil {
				return err
			}
			name, emails := foldedIndexes(u)
			if got := btx.Bucket(bByUserName).Get(name.k); bytes.Equal(got, name.v) {
				want[string(name.k)] = name.v
			}
			for _, e := range emails {
				wantEmails[string(e.k)] = true
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.db.View(func(btx *bbolt.Tx) error {
		names, emails := 0, 0
		if err := btx.Bucket(bByUserName).ForEach(func(k, v []byte) error {
			names++
			if !bytes.Equal(want[string(k)], v) {
				t.Errorf("userName index entry %q → %q is not one the present folding gives", k, v)
			}
			return nil
		}); err != nil {
			return err
		}
		if err := btx.Bucket(bByEmail).ForEach(func(k, _ []byte) error {
			emails++
			if !wantEmails[string(k)] {
				t.Errorf("email index entry %q is not one the present folding gives", k)
			}
			return nil
		}); err != nil {
			return err
		}
		// u02, u03, u04, u05, u08 and the renamed u01 hold names; u06 is deleted and u10 collides.
		if names != 6 || emails != len(wantEmails) {
			t.Errorf("%d userName and %d email entries, want 6 and %d", names, emails, len(wantEmails))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
