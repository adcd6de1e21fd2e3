package bolt_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/storage/bolt"
)

// Joining one member to a large group writes what that member changes — the group's record,
// the new membership — and not one membership entry per member again: on the old code (every
// membership put on every write) adding a member to a group of 3,000 rewrote about 40 pages
// of memberships. Leaving the group removes only that membership; the others stay readable
// both ways, and a member that is not a user is still refused.
func TestJoiningALargeGroupWritesLittle(t *testing.T) {
	ctx := context.Background()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 3000
	g := directory.Group{ID: "g1", DisplayName: "Everyone", IdP: "okta", Owner: directory.OwnerJIT}
	if err := s.UpdateUnbatched(ctx, func(tx directory.Tx) error {
		for i := range n + 1 {
			id := fmt.Sprintf("u%05d", i)
			if err := tx.PutUser(directory.User{ID: id, UserName: id, IdP: "okta", Owner: directory.OwnerJIT}); err != nil {
				return err
			}
			if i < n {
				g.Members = append(g.Members, id)
			}
		}
		return tx.PutGroup(g)
	}); err != nil {
		t.Fatal(err)
	}

	written := func() int64 { st := s.DB().Stats(); return st.TxStats.GetWrite() }
	before := written()
	g.Members = append(g.Members, fmt.Sprintf("u%05d", n))
	if err := s.Update(ctx, func(tx directory.Tx) error { return tx.PutGroup(g) }); err != nil {
		t.Fatal(err)
	}
	// The group record (about 20 kB: five or six pages), the membership's leaf and the
	// branches above them, the freelist and the meta page.
	if w := written() - before; w > 16 {
		t.Errorf("joining one member to a group of %d wrote %d pages", n, w)
	}

	leaver := "u00017"
	g.Members = slices.DeleteFunc(g.Members, func(m string) bool { return m == leaver })
	if err := s.Update(ctx, func(tx directory.Tx) error { return tx.PutGroup(g) }); err != nil {
		t.Fatal(err)
	}
	if err := s.View(ctx, func(tx directory.ReadTx) error {
		got, err := tx.Group("g1")
		if err != nil {
			return err
		}
		if len(got.Members) != n || slices.Contains(got.Members, leaver) {
			t.Errorf("the group has %d members after one left (%s still there: %v)", len(got.Members), leaver, slices.Contains(got.Members, leaver))
		}
		for _, u := range []string{"u00000", "u02999", fmt.Sprintf("u%05d", n)} {
			if of, err := tx.GroupsOfUser(u); err != nil || !slices.Equal(of, []string{"g1"}) {
				t.Errorf("groups of %s: %v, %v", u, of, err)
			}
		}
		if of, err := tx.GroupsOfUser(leaver); err != nil || len(of) != 0 {
			t.Errorf("groups of %s, who left: %v, %v", leaver, of, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	g.Members = append(g.Members, "nobody")
	err = s.Update(ctx, func(tx directory.Tx) error { return tx.PutGroup(g) })
	var inv *directory.InvalidError
	if !errors.As(err, &inv) {
		t.Errorf("a member that is not a user: %v, want an invalid error", err)
	}
}
