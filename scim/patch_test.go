package scim

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/teststore"
)

func patchBody(ops string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + ops + `]}`
}

// onBothStores runs test on a SCIM server over each store: a bbolt file, which applies a
// PATCH to a copy read before its write transaction, and PostgreSQL, which applies it inside.
func onBothStores(t *testing.T, test func(t *testing.T, e *env)) {
	for _, name := range []string{"bolt", "postgres"} {
		t.Run(name, func(t *testing.T) {
			d := teststore.NewBolt(t)
			if name == "postgres" {
				d = teststore.New(t, teststore.Postgres(t, teststore.PostgresURL(t)))
			}
			e := newEnvOn(t, d)
			e.t = t
			if got, want := e.svc.WritersRunTogether(), name == "postgres"; got != want {
				t.Fatalf("WritersRunTogether on %s: %v, want %v", name, got, want)
			}
			test(t, e)
		})
	}
}

func TestPatchUser(t *testing.T) {
	cases := []struct {
		name  string
		ops   string
		check func(t *testing.T, u directory.User)
	}{
		{"replace simple", `{"op":"replace","path":"title","value":"Guide"}`, func(t *testing.T, u directory.User) {
			if u.Title != "Guide" {
				t.Errorf("title %q", u.Title)
			}
		}},
		{"add sub-attribute", `{"op":"add","path":"name.middleName","value":"Jane"}`, func(t *testing.T, u directory.User) {
			if u.Name.MiddleName != "Jane" || u.Name.GivenName != "Given" {
				t.Errorf("name %+v", u.Name)
			}
		}},
		{"remove sub-attribute", `{"op":"remove","path":"name.familyName"}`, func(t *testing.T, u directory.User) {
			if u.Name.FamilyName != "" || u.Name.GivenName != "Given" {
				t.Errorf("name %+v", u.Name)
			}
		}},
		{"replace complex merges", `{"op":"replace","path":"name","value":{"familyName":"Jensen"}}`, func(t *testing.T, u directory.User) {
			if u.Name.FamilyName != "Jensen" || u.Name.GivenName != "Given" {
				t.Errorf("name %+v", u.Name)
			}
		}},
		{"add to multi-valued appends", `{"op":"add","path":"emails","value":[{"value":"home@example.com","type":"home"}]}`, func(t *testing.T, u directory.User) {
			if len(u.Emails) != 2 || u.Emails[1].Value != "home@example.com" {
				t.Errorf("emails %+v", u.Emails)
			}
		}},
		{"replace multi-valued", `{"op":"replace","path":"emails","value":[{"value":"only@example.com","type":"work","primary":true}]}`, func(t *testing.T, u directory.User) {
			if len(u.Emails) != 1 || u.Emails[0].Value != "only@example.com" {
				t.Errorf("emails %+v", u.Emails)
			}
		}},
		{"value filter with sub-attribute", `{"op":"replace","path":"emails[type eq \"work\"].value","value":"new@example.com"}`, func(t *testing.T, u directory.User) {
			if len(u.Emails) != 1 || u.Emails[0].Value != "new@example.com" || !u.Emails[0].Primary {
				t.Errorf("emails %+v", u.Emails)
			}
		}},
		{"value filter creates a missing value", `{"op":"add","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 555 0100"}`, func(t *testing.T, u directory.User) {
			if len(u.PhoneNumbers) != 1 || u.PhoneNumbers[0].Type != "mobile" || u.PhoneNumbers[0].Value != "+1 555 0100" {
				t.Errorf("phones %+v", u.PhoneNumbers)
			}
		}},
		{"remove by value filter", `{"op":"remove","path":"emails[type eq \"work\"]"}`, func(t *testing.T, u directory.User) {
			if len(u.Emails) != 0 {
				t.Errorf("emails %+v", u.Emails)
			}
		}},
		{"new primary clears the old", `{"op":"add","path":"emails","value":[{"value":"p2@example.com","type":"home","primary":true}]}`, func(t *testing.T, u directory.User) {
			if len(u.Emails) != 2 || u.Emails[0].Primary || !u.Emails[1].Primary {
				t.Errorf("emails %+v", u.Emails)
			}
		}},
		{"no path object", `{"op":"replace","value":{"title":"Boss","name":{"givenName":"Babs"},"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Sales"}}}`, func(t *testing.T, u directory.User) {
			if u.Title != "Boss" || u.Name.GivenName != "Babs" || u.Name.FamilyName != "Family" || u.Enterprise.Department != "Sales" {
				t.Errorf("user %+v", u)
			}
		}},
		{"enterprise path", `{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"42"}`, func(t *testing.T, u directory.User) {
			if u.Enterprise.EmployeeNumber != "42" {
				t.Errorf("enterprise %+v", u.Enterprise)
			}
		}},
		{"manager object", `{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"boss-id"}}`, func(t *testing.T, u directory.User) {
			if u.Enterprise.ManagerID != "boss-id" {
				t.Errorf("enterprise %+v", u.Enterprise)
			}
		}},
		{"password", `{"op":"replace","path":"password","value":"n3w-secret"}`, func(t *testing.T, u directory.User) {
			if !passwordMatches(u.PasswordHash, "n3w-secret") {
				t.Error("password not stored as its hash")
			}
		}},
		{"several in order", `{"op":"add","path":"title","value":"A"},{"op":"replace","path":"title","value":"B"},{"op":"remove","path":"nickName"}`, func(t *testing.T, u directory.User) {
			if u.Title != "B" {
				t.Errorf("title %q", u.Title)
			}
		}},
		{"attribute names in any case", `{"op":"replace","path":"NAME.GIVENNAME","value":"Upper"},{"op":"replace","path":"Emails[Type eq \"work\"].Value","value":"u@example.com"}`, func(t *testing.T, u directory.User) {
			if u.Name.GivenName != "Upper" || len(u.Emails) != 1 || u.Emails[0].Value != "u@example.com" {
				t.Errorf("user %+v", u)
			}
		}},
	}
	onBothStores(t, func(t *testing.T, e *env) {
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e.t = t
				id := e.createUser(fmt.Sprintf("bjensen%d@example.com", i), fmt.Sprint("ext-", i))
				r := e.do("PATCH", "/scim/v2/Users/"+id, patchBody(c.ops)).must(t, 200)
				if r.str("id") != id {
					t.Errorf("response %s", r.Raw)
				}
				u := e.user(id)
				c.check(t, u)
				// The answer is the user as stored.
				if r.str("title") != u.Title || r.Body["meta"].(map[string]any)["version"] != fmt.Sprintf("W/\"%d\"", u.Meta.Version) {
					t.Errorf("the answer %s is not the stored user %+v", r.Raw, u)
				}
			})
		}
	})
}

// TestConcurrentPatchesLoseNothing: PATCHes of one user sent at the same time, each adding an
// email of its own, are all kept, whether the store applies them to a copy read before the
// write (bbolt) or inside the write (PostgreSQL): none is written over a version it did not
// see. Each answer holds its own email, and the version grows by one for each.
func TestConcurrentPatchesLoseNothing(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		id := e.createUser("busy@example.com", "ext-busy")
		before := e.user(id).Meta.Version
		const n = 12
		var wg sync.WaitGroup
		errs := make(chan string, n)
		for i := range n {
			wg.Go(func() {
				email := fmt.Sprintf("alias%d@example.com", i)
				r := e.do("PATCH", "/scim/v2/Users/"+id, patchBody(fmt.Sprintf(`{"op":"add","path":"emails","value":[{"value":%q,"type":"other"}]}`, email)))
				if r.Status != 200 || !strings.Contains(r.Raw, email) {
					errs <- fmt.Sprintf("PATCH adding %s: %d %s", email, r.Status, r.Raw)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		u := e.user(id)
		var got []string
		for _, m := range u.Emails {
			got = append(got, m.Value)
		}
		for i := range n {
			if email := fmt.Sprintf("alias%d@example.com", i); !slices.Contains(got, email) {
				t.Errorf("%s was lost: the user's emails are %v", email, got)
			}
		}
		if u.Meta.Version != before+n {
			t.Errorf("version %d after %d PATCHes of version %d; want %d", u.Meta.Version, n, before, before+n)
		}
	})
}

func TestPatchGroupMembers(t *testing.T) {
	onBothStores(t, patchGroupMembers)
}

func patchGroupMembers(t *testing.T, e *env) {
	var users []string
	for i := range 4 {
		users = append(users, e.createUser(fmt.Sprintf("m%d@example.com", i), fmt.Sprint("m", i)))
	}
	gid := e.do("POST", "/scim/v2/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Eng", "members": []any{}}).must(t, 201).str("id")
	members := func() []string {
		var g directory.Group
		g, err := e.svc.SCIMGroup(t.Context(), directory.SCIMActor{IdP: "okta"}, gid)
		if err != nil {
			t.Fatal(err)
		}
		return g.Members
	}
	steps := []struct {
		name, ops string
		want      []string
	}{
		{"add two", fmt.Sprintf(`{"op":"add","path":"members","value":[{"value":%q},{"value":%q,"display":"m1"}]}`, users[0], users[1]), users[:2]},
		{"add again is idempotent", fmt.Sprintf(`{"op":"add","path":"members","value":[{"value":%q}]}`, users[0]), users[:2]},
		{"remove by filter", fmt.Sprintf(`{"op":"remove","path":"members[value eq \"%s\"]"}`, users[0]), users[1:2]},
		{"remove by value list", fmt.Sprintf(`{"op":"remove","path":"members","value":[{"value":%q}]}`, users[1]), nil},
		{"remove an absent member", fmt.Sprintf(`{"op":"remove","path":"members[value eq \"%s\"]"}`, users[3]), nil},
		{"replace all", fmt.Sprintf(`{"op":"replace","path":"members","value":[{"value":%q},{"value":%q}]}`, users[2], users[3]), users[2:4]},
		{"remove all", `{"op":"remove","path":"members"}`, nil},
	}
	for _, s := range steps {
		e.do("PATCH", "/scim/v2/Groups/"+gid, patchBody(s.ops)).must(t, 204)
		if diff := cmp.Diff(s.want, members(), cmpEmpty); diff != "" {
			t.Errorf("%s: members (-want +got):\n%s", s.name, diff)
		}
	}
	// Okta renames by a no-path replace carrying the id.
	e.do("PATCH", "/scim/v2/Groups/"+gid, patchBody(fmt.Sprintf(`{"op":"replace","value":{"id":%q,"displayName":"Engineering"}}`, gid))).must(t, 204)
	g := e.do("GET", "/scim/v2/Groups/"+gid, nil).must(t, 200)
	if g.Body["displayName"] != "Engineering" {
		t.Errorf("rename: %s", g.Raw)
	}
	// Asking for attributes gets the group back.
	r := e.do("PATCH", "/scim/v2/Groups/"+gid+"?attributes=displayName", patchBody(`{"op":"replace","path":"displayName","value":"Eng2"}`)).must(t, 200)
	if r.Body["displayName"] != "Eng2" {
		t.Errorf("PATCH with attributes: %s", r.Raw)
	}
}

var cmpEmpty = cmp.Comparer(func(a, b []string) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
})

// A PATCH runs inside the store's update function, which may run more than once: applying the
// same operations to the same user twice must give the same result and leave the operations
// as they were, also when one operation changes what an earlier one added.
func TestApplyPatchIsRepeatable(t *testing.T) {
	h := New(nil, Options{BaseURL: "https://roster.example"})
	ops, se := normalizePatch(map[string]any{"Operations": []any{
		map[string]any{"op": "add", "path": "name", "value": map[string]any{"givenName": "Ada"}},
		map[string]any{"op": "replace", "path": "name.familyName", "value": "King"},
		map[string]any{"op": "add", "path": "emails", "value": []any{map[string]any{"value": "a@example.com", "type": "work"}}},
		map[string]any{"op": "add", "path": "emails", "value": []any{map[string]any{"value": "a@example.com", "primary": true}}},
		map[string]any{"op": "remove", "path": "name.givenName"},
	}})
	if se != nil {
		t.Fatal(se)
	}
	resolved, err := userType.resolvePatch(ops)
	if err != nil {
		t.Fatal(err)
	}
	before := fmt.Sprint(resolved)
	stored := directory.User{ID: "u1", UserName: "ada@example.com", Active: true}
	var results []directory.User
	for range 2 {
		m := h.userAttrsOf(stored, nil)
		if err := applyPatch(m, resolved, false); err != nil {
			t.Fatal(err)
		}
		u, err := userFromAttrs(m, &stored)
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, u)
	}
	if diff := cmp.Diff(results[0], results[1]); diff != "" {
		t.Errorf("the second application differs (-first +second):\n%s", diff)
	}
	want := directory.User{UserName: "ada@example.com", Active: true, Name: directory.Name{FamilyName: "King"},
		Emails: []directory.MultiValue{{Value: "a@example.com", Type: "work", Primary: true}}}
	if diff := cmp.Diff(want, results[0]); diff != "" {
		t.Errorf("patched user (-want +got):\n%s", diff)
	}
	if after := fmt.Sprint(resolved); after != before {
		t.Errorf("applying changed the operations:\n%s\n%s", before, after)
	}
}
