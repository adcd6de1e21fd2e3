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
// the last chunk of its members, the new membership — and neither every member again nor one
// membership entry per member: before data format 3 the group's record held its members and a
// join rewrote all of them (about 20 kB for 3,000 members, 330 kB for 50,000); before that,
// every membership entry too. Leaving the group removes only that membership; the others stay
// readable both ways, and a member that is not a user is still refused.
func TestJoiningALargeGroupWritesLittle(t *testing.T) {
	ctx := context.Background()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 50_000
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

	// What the commits allocate is the pages they write.
	written := func() int64 { st := s.DB().Stats(); return st.TxStats.GetPageAlloc() }
	before := written()
	g.Members = append(g.Members, fmt.Sprintf("u%05d", n))
	if err := s.Update(ctx, func(tx directory.Tx) error { return tx.PutGroup(g) }); err != nil {
		t.Fatal(err)
	}
	// The record's leaf, the chunk (about 10 kB), the membership's leaf, the branches above
	// them and the freelist.
	w := written() - before
	if w > 64<<10 {
		t.Errorf("joining one member to a group of %d wrote %d kB", n, w>>10)
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
		for _, u := range []string{"u00000", fmt.Sprintf("u%05d", n-1), fmt.Sprintf("u%05d", n)} {
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
