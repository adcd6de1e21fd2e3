package storagetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster/directory"
)

// CountStatesByScan counts the users of organization org ("" for every one) by IdP, owner and
// status by reading every user: what CountUserStates must answer. Rows are sorted.
func CountStatesByScan(t testing.TB, tx directory.ReadTx, org string) []directory.UserCountRow {
	t.Helper()
	type k struct {
		idp    string
		owner  directory.Owner
		active bool
	}
	counts := map[k]int{}
	if err := tx.ScanUsers(directory.ScanQuery{Org: org}, func(u directory.User) error {
		counts[k{u.IdP, u.Owner, u.Active}]++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var rows []directory.UserCountRow
	for key, n := range counts {
		rows = append(rows, directory.UserCountRow{IdP: key.idp, Owner: key.owner, Active: key.active, Count: n})
	}
	SortStates(rows)
	return rows
}

// SortStates sorts rows of CountUserStates by IdP, owner and status.
func SortStates(rows []directory.UserCountRow) {
	slices.SortFunc(rows, func(a, b directory.UserCountRow) int {
		return cmp.Or(cmp.Compare(a.IdP, b.IdP), cmp.Compare(a.Owner, b.Owner), cmp.Compare(boolRank(a.Active), boolRank(b.Active)))
	})
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CheckStates fails unless CountUserStates agrees with reading every user, for every
// organization and for all of them.
func CheckStates(t testing.TB, tx directory.ReadTx, step string, orgs ...string) {
	t.Helper()
	for _, org := range append([]string{""}, orgs...) {
		got, err := tx.CountUserStates(org)
		if err != nil {
			t.Fatalf("%s: CountUserStates(%q): %v", step, org, err)
		}
		SortStates(got)
		if diff := gocmp.Diff(CountStatesByScan(t, tx, org), got); diff != "" {
			t.Errorf("%s: CountUserStates(%q) (-read from every user +counted):\n%s", step, org, diff)
		}
	}
}

// userStates: the counts of users by IdP, owner and status agree with the users after every
// kind of write — creates, a deactivation, a change of owner and of IdP, a delete, a write that
// changes none of them — in each organization and in all, and inside a write transaction that
// changed users.
func userStates(t *testing.T, s directory.Store) {
	var users []directory.User
	for i := range 40 {
		u := user(fmt.Sprintf("s%02d", i), fmt.Sprint("state", i), []string{"okta", "entra", ""}[i%3], fmt.Sprint(i))
		if u.IdP == "" {
			u.UniqueUserID, u.Owner = "", directory.OwnerAdmin
		}
		u.Active = i%4 != 0
		if i%5 == 0 {
			u.Org = "globex"
		}
		users = append(users, u)
	}
	putUsers(t, s, users...)
	orgs := []string{directory.DefaultOrg, "globex"}
	check := func(step string) {
		t.Helper()
		view(t, s, func(tx directory.ReadTx) error { CheckStates(t, tx, step, orgs...); return nil })
	}
	check("after the creates")
	check("read again")
	steps := []struct {
		name string
		fn   func(tx directory.Tx) error
	}{
		{"deactivate one", func(tx directory.Tx) error {
			u := users[1]
			u.Active = false
			return tx.PutUser(u)
		}},
		{"a change of title only", func(tx directory.Tx) error {
			u := users[2]
			u.Title = "Engineer"
			return tx.PutUser(u)
		}},
		{"owner to JIT", func(tx directory.Tx) error {
			u := users[3]
			u.Owner = directory.OwnerJIT
			return tx.PutUser(u)
		}},
		{"an admin's user claimed by okta", func(tx directory.Tx) error {
			u := users[2]
			u.IdP, u.UniqueUserID, u.Owner = "okta", "claimed", directory.OwnerSCIM
			return tx.PutUser(u)
		}},
		{"delete two", func(tx directory.Tx) error {
			if err := tx.DeleteUser(users[4].ID); err != nil {
				return err
			}
			return tx.DeleteUser(users[5].ID)
		}},
		{"create, deactivate and delete in one transaction", func(tx directory.Tx) error {
			u := user("s-new", "state-new", "okta", "new")
			if err := tx.PutUser(u); err != nil {
				return err
			}
			u.Active = false
			if err := tx.PutUser(u); err != nil {
				return err
			}
			v := user("s-gone", "state-gone", "entra", "gone")
			if err := tx.PutUser(v); err != nil {
				return err
			}
			CheckStates(t, tx, "inside the transaction", orgs...)
			return tx.DeleteUser(v.ID)
		}},
	}
	for _, step := range steps {
		mustUpdate(t, s, step.fn)
		check(step.name)
	}
	// A write that fails changes nothing.
	if err := update(t, s, func(tx directory.Tx) error {
		if err := tx.DeleteUser(users[6].ID); err != nil {
			return err
		}
		return fmt.Errorf("refused")
	}); err == nil {
		t.Fatal("the failing write succeeded")
	}
	check("after a failed write")
}
