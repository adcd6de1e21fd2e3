package scim

import (
	"fmt"
	"maps"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster/internal/teststore"
)

// TestGroupsWithoutMembersAnswerAsWithThem: an answer that carries no members (members
// excluded, or attributes that do not name them) reads the groups without their members, on
// both stores. Each such answer must be the answer with members, less the members: every other
// attribute, the ETag, the totals and pages. A filter that reads members still reads them
// (members[value eq …], members pr), and a selection that keeps members, or only part of
// them, carries them whole.
func TestGroupsWithoutMembersAnswerAsWithThem(t *testing.T) {
	for _, name := range []string{"bolt", "postgres"} {
		t.Run(name, func(t *testing.T) {
			var d *teststore.Directory
			if name == "bolt" {
				d = teststore.NewBolt(t)
			} else {
				d = teststore.New(t, teststore.Postgres(t, teststore.PostgresURL(t)))
			}
			groupsWithoutMembers(t, newEnvOn(t, d))
		})
	}
}

func groupsWithoutMembers(t *testing.T, e *env) {
	e.t = t
	var users []any
	for i := range 600 { // enough for a group stored in several parts
		id := e.createUser(fmt.Sprintf("heads%03d@example.com", i), fmt.Sprint("heads-", i))
		users = append(users, map[string]any{"value": id})
	}
	ids := map[string]string{}
	for _, g := range []struct {
		name    string
		members []any
	}{{"Everyone", users}, {"Few", users[:3]}, {"Nobody", []any{}}, {"One", users[599:]}} {
		body := map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": g.name,
			"externalId": "ext-" + g.name, "members": g.members}
		ids[g.name] = e.do("POST", "/scim/v2/Groups", body).must(t, 201).str("id")
	}
	q := func(filter string) string { return "filter=" + url.QueryEscape(filter) }
	// Each selection leaves members out; shape turns a resource with members into the one the
	// selection should give.
	selections := map[string]func(r map[string]any) map[string]any{
		"excludedAttributes=members": func(r map[string]any) map[string]any {
			r = maps.Clone(r)
			delete(r, "members")
			return r
		},
		"excludedAttributes=MEMBERS,externalId": func(r map[string]any) map[string]any {
			r = maps.Clone(r)
			delete(r, "members")
			delete(r, "externalId")
			return r
		},
		"attributes=displayName,externalId,meta": func(r map[string]any) map[string]any {
			out := map[string]any{}
			for _, k := range []string{"id", "schemas", "displayName", "externalId", "meta"} {
				out[k] = r[k]
			}
			return out
		},
	}
	// Reads of one group, and lists: by displayName and id (the indexed look-ups), pages of
	// every group, and a filter the store cannot answer from an index, sorted.
	for _, path := range []string{
		"/scim/v2/Groups/" + ids["Everyone"] + "?",
		"/scim/v2/Groups/" + ids["Nobody"] + "?",
		"/scim/v2/Groups?" + q(`displayName eq "everyone"`) + "&",
		"/scim/v2/Groups?" + q(`displayName eq "Few" and externalId eq "ext-Few"`) + "&",
		"/scim/v2/Groups?" + q(`id eq "`+ids["One"]+`"`) + "&",
		"/scim/v2/Groups?",
		"/scim/v2/Groups?startIndex=2&count=2&",
		"/scim/v2/Groups?" + q(`displayName sw "e" or displayName ew "ne"`) + "&sortBy=displayName&",
	} {
		full := e.do("GET", path, nil).must(t, 200)
		for sel, shape := range selections {
			got := e.do("GET", path+sel, nil).must(t, 200)
			if got.Header.Get("ETag") != full.Header.Get("ETag") {
				t.Errorf("%s: ETag %q, with members %q", path+sel, got.Header.Get("ETag"), full.Header.Get("ETag"))
			}
			want := shape(full.Body)
			if rs, ok := full.Body["Resources"].([]any); ok {
				want = maps.Clone(full.Body)
				var shaped []any
				for _, r := range rs {
					shaped = append(shaped, shape(r.(map[string]any)))
				}
				want["Resources"] = shaped
			}
			if diff := cmp.Diff(want, got.Body); diff != "" {
				t.Errorf("%s against the answer with members (-want +got):\n%s", path+sel, diff)
			}
		}
	}
	// A filter on members still reads them.
	member, outsider := users[10].(map[string]any)["value"], users[599].(map[string]any)["value"]
	for filter, want := range map[string][]string{
		fmt.Sprintf(`members[value eq "%s"]`, member):                            {"Everyone"},
		fmt.Sprintf(`displayName eq "One" and members[value eq "%s"]`, outsider): {"One"},
		fmt.Sprintf(`displayName eq "Few" and members.value eq "%s"`, outsider):  nil,
		`members pr`:       {"Everyone", "Few", "One"},
		`not (members pr)`: {"Nobody"},
	} {
		r := e.do("GET", "/scim/v2/Groups?excludedAttributes=members&sortBy=displayName&"+q(filter), nil).must(t, 200)
		var got []string
		for _, g := range resources(r) {
			if g["members"] != nil {
				t.Errorf("filter %s, members excluded: %s carries members", filter, g["displayName"])
			}
			got = append(got, fmt.Sprint(g["displayName"]))
		}
		if !cmp.Equal(want, got) {
			t.Errorf("filter %s: groups %v, want %v", filter, got, want)
		}
	}
	// Selections that keep members, whole or in part, carry all of them.
	for _, sel := range []string{"attributes=members", "attributes=urn:ietf:params:scim:schemas:core:2.0:Group:members", "attributes=members.value", "excludedAttributes=members.display", "excludedAttributes=displayName"} {
		g := e.do("GET", "/scim/v2/Groups/"+ids["Everyone"]+"?"+sel, nil).must(t, 200)
		if ms, _ := g.Body["members"].([]any); len(ms) != 600 {
			t.Errorf("%s: %d members, want 600", sel, len(ms))
		}
	}
}
