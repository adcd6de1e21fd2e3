package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rosterhq/roster/directory"
)

// A user written after an Arrival that showed its identity and userName free is sent with the
// commit. A writer that takes the userName in between makes the insert fail on the unique
// index there; the transaction then runs again, sees that writer's user, and nothing of the
// first attempt — the user, its event — is stored.
func TestAPutAfterAnArrivalMeetsAWriterThatCommittedSince(t *testing.T) {
	st := openAt(t, freshSchema(t))
	ctx := context.Background()
	person := func(id, uid string) directory.User {
		return directory.User{ID: id, UserName: "taken@example.com", IdP: "okta", UniqueUserID: uid, Active: true, Owner: directory.OwnerSCIM}
	}
	attempts := 0
	err := st.Update(ctx, func(tx directory.Tx) error {
		attempts++
		a, err := tx.Arrival(directory.Identity{IdP: "okta", UniqueUserID: "a"}, "", "taken@example.com")
		if err != nil {
			return err
		}
		if attempts == 1 {
			if a.ByUserName != nil {
				t.Fatalf("the userName is held before anyone took it: %+v", a.ByUserName)
			}
			// Another writer takes the userName now, and commits.
			if err := st.Update(ctx, func(tx directory.Tx) error { return tx.PutUser(person("u-b", "b")) }); err != nil {
				t.Fatalf("the other writer: %v", err)
			}
		} else if a.ByUserName == nil || a.ByUserName.ID != "u-b" {
			t.Errorf("attempt %d does not see the other writer's user: %+v", attempts, a.ByUserName)
		}
		if a.ByUserName != nil {
			return &directory.ConflictError{Field: "userName", Value: "taken@example.com"}
		}
		if err := tx.PutUser(person("u-a", "a")); err != nil {
			return err
		}
		_, err = tx.AppendEvent(directory.Event{ID: "e-a", Type: directory.EventUserCreated, Subject: "u-a"})
		return err
	})
	var conflict *directory.ConflictError
	if !errors.As(err, &conflict) || conflict.Field != "userName" {
		t.Fatalf("Update: %v, want the conflict its second attempt decided", err)
	}
	if attempts != 2 {
		t.Errorf("fn ran %d times, want 2", attempts)
	}
	err = st.View(ctx, func(tx directory.ReadTx) error {
		if _, err := tx.User("u-a"); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("the first attempt's user: %v", err)
		}
		return noEvent(t, tx, "e-a")
	})
	if err != nil {
		t.Fatal(err)
	}
}

// noEvent fails the test if the log holds an event of id: one of an attempt that ran again.
func noEvent(t *testing.T, tx directory.ReadTx, id string) error {
	t.Helper()
	evs, err := tx.Events(0, 100)
	if err != nil {
		return err
	}
	for _, e := range evs {
		if e.ID == id {
			t.Errorf("the first attempt's event was stored: %+v", e)
		}
	}
	return nil
}

// A user read by id and written with its userName and identity unchanged is sent with the
// commit too. A writer that changes the user in between makes that write fail there; the
// transaction runs again on the user as that writer left it.
func TestAPutOfAUserReadByIDMeetsAWriterThatChangedIt(t *testing.T) {
	st := openAt(t, freshSchema(t))
	ctx := context.Background()
	u := directory.User{ID: "u1", UserName: "ada@example.com", IdP: "okta", UniqueUserID: "ada", Active: true, Owner: directory.OwnerSCIM}
	if err := st.Update(ctx, func(tx directory.Tx) error { return tx.PutUser(u) }); err != nil {
		t.Fatal(err)
	}
	attempts := 0
	err := st.Update(ctx, func(tx directory.Tx) error {
		attempts++
		read, err := tx.User("u1")
		if err != nil {
			return err
		}
		if attempts == 1 {
			// Another writer changes the user now, and commits.
			if err := st.Update(ctx, func(tx directory.Tx) error {
				v, err := tx.User("u1")
				if err != nil {
					return err
				}
				v.Title = "from the other writer"
				return tx.PutUser(v)
			}); err != nil {
				t.Fatalf("the other writer: %v", err)
			}
		} else if read.Title != "from the other writer" {
			t.Errorf("attempt %d reads the user as %+v", attempts, read)
		}
		read.DisplayName = "Ada"
		return tx.PutUser(read)
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if attempts != 2 {
		t.Errorf("fn ran %d times, want 2", attempts)
	}
	err = st.View(ctx, func(tx directory.ReadTx) error {
		got, err := tx.User("u1")
		if err != nil {
			return err
		}
		if got.Title != "from the other writer" || got.DisplayName != "Ada" {
			t.Errorf("the user keeps both writes only if the second ran again on the first: %+v", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
