package directory_test

import (
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
