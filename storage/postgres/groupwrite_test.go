package postgres_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/rosterhq/roster/directory"
)

// A group read in a write transaction and put with its name kept and only users the
// transaction read added is sent with the commit, unchecked. A writer that deletes the new
// member in between makes the membership fail there; the transaction runs again, no longer
// finds the user, and refuses as the check would have: nothing of the first attempt stays.
func TestAGroupPutWithoutCheckMeetsADeleteOfItsNewMember(t *testing.T) {
	st := openAt(t, freshSchema(t))
	ctx := context.Background()
	if err := st.Update(ctx, func(tx directory.Tx) error {
		for _, id := range []string{"u1", "u2"} {
			if err := tx.PutUser(directory.User{ID: id, UserName: id, IdP: "okta"}); err != nil {
				return err
			}
		}
		return tx.PutGroup(directory.Group{ID: "g1", DisplayName: "Eng", IdP: "okta", Members: []string{"u1"}})
	}); err != nil {
		t.Fatal(err)
	}
	attempts := 0
	err := st.Update(ctx, func(tx directory.Tx) error {
		attempts++
		g, err := tx.Group("g1")
		if err != nil {
			return err
		}
		found, err := tx.UsersByID([]string{"u2"})
		if err != nil {
			return err
		}
		if attempts == 1 {
			if len(found) != 1 {
				t.Fatalf("u2 is not found before anyone deleted it: %v", found)
			}
			// Another writer deletes the user now, and commits.
			if err := st.Update(ctx, func(tx directory.Tx) error { return tx.DeleteUser("u2") }); err != nil {
				t.Fatalf("the other writer: %v", err)
			}
		}
		if len(found) == 0 {
			return directory.Invalidf("member u2 is not a user")
		}
		g.Members = append(g.Members, "u2")
		if err := tx.PutGroup(g); err != nil {
			return err
		}
		_, err = tx.AppendEvent(directory.Event{ID: "e-a", Type: directory.EventGroupUpdated, Subject: "g1"})
		return err
	})
	if !errors.Is(err, directory.ErrInvalid) {
		t.Fatalf("Update: %v, want the refusal its second attempt decided", err)
	}
	if attempts != 2 {
		t.Errorf("fn ran %d times, want 2", attempts)
	}
	err = st.View(ctx, func(tx directory.ReadTx) error {
		g, err := tx.Group("g1")
		if err != nil {
			return err
		}
		if !slices.Equal(g.Members, []string{"u1"}) {
			t.Errorf("g1 has members %v, want [u1]", g.Members)
		}
		return noEvent(t, tx, "e-a")
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A group read and put with its name kept is sent unchecked whatever the name. A writer that
// renames the group in between, and gives its old name to another group, makes the write
// fail on the row changed since; the transaction runs again on the group as renamed, and
// neither the write nor the rename is lost, nor does the name end up held twice.
func TestAGroupPutWithoutCheckMeetsARenameSince(t *testing.T) {
	st := openAt(t, freshSchema(t))
	ctx := context.Background()
	if err := st.Update(ctx, func(tx directory.Tx) error {
		if err := tx.PutGroup(directory.Group{ID: "g1", DisplayName: "Eng", IdP: "okta"}); err != nil {
			return err
		}
		return tx.PutGroup(directory.Group{ID: "g2", DisplayName: "Ops", IdP: "okta"})
	}); err != nil {
		t.Fatal(err)
	}
	attempts := 0
	err := st.Update(ctx, func(tx directory.Tx) error {
		attempts++
		g, err := tx.Group("g1")
		if err != nil {
			return err
		}
		if attempts == 1 {
			// Another writer renames g1 and gives its name to g2, and commits.
			if err := st.Update(ctx, func(tx directory.Tx) error {
				g, err := tx.Group("g1")
				if err != nil {
					return err
				}
				g.DisplayName = "Platform"
				if err := tx.PutGroup(g); err != nil {
					return err
				}
				if g, err = tx.Group("g2"); err != nil {
					return err
				}
				g.DisplayName = "Eng"
				return tx.PutGroup(g)
			}); err != nil {
				t.Fatalf("the other writer: %v", err)
			}
		} else if g.DisplayName != "Platform" {
			t.Errorf("attempt %d reads g1 as %q", attempts, g.DisplayName)
		}
		g.ExternalID = "ext-1"
		return tx.PutGroup(g)
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if attempts != 2 {
		t.Errorf("fn ran %d times, want 2", attempts)
	}
	err = st.View(ctx, func(tx directory.ReadTx) error {
		g1, err := tx.Group("g1")
		if err != nil {
			return err
		}
		g2, err := tx.Group("g2")
		if err != nil {
			return err
		}
		if g1.DisplayName != "Platform" || g1.ExternalID != "ext-1" || g2.DisplayName != "Eng" {
			t.Errorf("g1 is %q (externalId %q), g2 %q: want Platform with ext-1, and Eng", g1.DisplayName, g1.ExternalID, g2.DisplayName)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
