package directory_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	. "github.com/rosterhq/roster/directory"
)

// ReadGroups answers each SCIM user write with the user's groups as its own transaction read
// them: after an adoption that keeps the JIT user's groups, after a change, and after a write
// that changes nothing.
func TestSCIMUserWritesReadGroups(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeBoth)
	a := SCIMActor{IdP: "okta", TokenID: "t1"}
	jit := e.mustLogin(Login{IdP: "okta", UniqueUserID: "00u1", Email: "ada@example.com",
		Groups: []string{"Eng", "Ops"}, GroupsAsserted: true})
	want := func() []GroupRef {
		var refs []GroupRef
		if err := e.svc.View(e.ctx, func(tx ReadTx) error {
			var err error
			refs, err = UserGroups(tx, jit.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return refs
	}
	if got := want(); len(got) != 2 {
		t.Fatalf("the login made the user a member of %+v, want Eng and Ops", got)
	}

	var groups []GroupRef
	u, err := e.svc.SCIMCreateUser(e.ctx, a, scimAda(), ReadGroups(&groups))
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != jit.ID {
		t.Fatalf("the create adopted %s, want %s", u.ID, jit.ID)
	}
	if diff := cmp.Diff(want(), groups); diff != "" {
		t.Errorf("groups after the adoption (-stored +answered):\n%s", diff)
	}

	g, err := e.svc.SCIMCreateGroup(e.ctx, a, Group{DisplayName: "Board", Members: []string{u.ID}})
	if err != nil {
		t.Fatal(err)
	}
	groups = nil
	if _, err := e.svc.SCIMUpdateUser(e.ctx, a, u.ID, 0, func(u User) (User, error) { u.Title = "Chair"; return u, nil }, ReadGroups(&groups)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want(), groups); diff != "" || len(groups) != 3 {
		t.Errorf("groups after a change (-stored +answered):\n%s", diff)
	}
	found := false
	for _, ref := range groups {
		found = found || ref == GroupRef{ID: g.ID, DisplayName: "Board"}
	}
	if !found {
		t.Errorf("the answer lacks the group just joined: %+v", groups)
	}

	groups = nil
	same, err := e.svc.SCIMUpdateUser(e.ctx, a, u.ID, 0, func(u User) (User, error) { return u, nil }, ReadGroups(&groups))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want(), groups); diff != "" || same.Title != "Chair" {
		t.Errorf("a write that changes nothing answered %+v with groups (-stored +answered):\n%s", same, diff)
	}
}

// userReadingStore counts the users its write transactions read.
type userReadingStore struct {
	Store
	userReads *int
}

type userReadingTx struct {
	Tx
	userReads *int
}

func (s userReadingStore) Update(ctx context.Context, fn func(tx Tx) error) error {
	return s.Store.Update(ctx, func(tx Tx) error { return fn(userReadingTx{tx, s.userReads}) })
}

func (t userReadingTx) User(id string) (User, error) {
	*t.userReads++
	return t.Tx.User(id)
}

// UsersByID counts every user it is asked for, found or not.
func (t userReadingTx) UsersByID(ids []string) ([]User, error) {
	*t.userReads += len(ids)
	return t.Tx.UsersByID(ids)
}

// A group's members must be users of its IdP (R10), but the members it already has were
// checked when they joined: adding one member to a group of 300 reads that one user in the
// write transaction, not all 301 (on the old code, every member was read and decoded on every
// PATCH). A new member of another IdP, or no user at all, is still refused and changes nothing.
func TestGroupUpdateReadsOnlyNewMembers(t *testing.T) {
	e := newEnv(t)
	reads := 0
	svc := New(userReadingStore{e.store, &reads})
	e.createIdP("okta", ModeBoth)
	e.createIdP("entra", ModeBoth)
	a := SCIMActor{IdP: "okta", TokenID: "t1"}
	var members []string
	for i := range 301 {
		u := e.mustSCIMCreate(a, User{UserName: fmt.Sprintf("u%d@example.com", i), ExternalID: fmt.Sprint("x", i), Active: true})
		members = append(members, u.ID)
	}
	other := e.mustSCIMCreate(SCIMActor{IdP: "entra", TokenID: "t2"}, User{UserName: "eve@example.com", ExternalID: "e1", Active: true})
	g, err := svc.SCIMCreateGroup(e.ctx, a, Group{DisplayName: "everyone", Members: members[:300]})
	if err != nil {
		t.Fatal(err)
	}

	reads = 0
	g, err = svc.SCIMUpdateGroup(e.ctx, a, g.ID, 0, func(g Group) (Group, error) {
		g.Members = append(g.Members, members[300])
		return g, nil
	})
	if err != nil || len(g.Members) != 301 {
		t.Fatalf("adding a member: %d members, %v", len(g.Members), err)
	}
	if reads > 2 {
		t.Errorf("adding one member to a group of 300 read %d users", reads)
	}

	for name, m := range map[string]string{"a user of another IdP": other.ID, "no user": "nobody"} {
		_, err := svc.SCIMUpdateGroup(e.ctx, a, g.ID, 0, func(g Group) (Group, error) {
			g.Members = append(g.Members, m)
			return g, nil
		})
		var inv *InvalidError
		if !errors.As(err, &inv) {
			t.Errorf("adding %s: %v, want an invalid error (R10)", name, err)
		}
	}
	if got, err := svc.SCIMGroup(e.ctx, a, g.ID); err != nil || len(got.Members) != 301 || got.Meta.Version != g.Meta.Version {
		t.Errorf("the group after refused additions: %d members, version %d (want 301, %d), %v", len(got.Members), got.Meta.Version, g.Meta.Version, err)
	}
}
