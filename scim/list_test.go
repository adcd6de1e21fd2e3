package scim

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/rosterhq/roster/directory"
)

func TestListPaging(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for i := range 7 {
		ids = append(ids, e.createUser(fmt.Sprintf("user%d@example.com", i), fmt.Sprintf("ext-%d", i)))
	}
	sort.Strings(ids) // the stable order is id order

	var seen []string
	for start := 1; start <= 7; start += 3 {
		r := e.do("GET", fmt.Sprintf("/scim/v2/Users?startIndex=%d&count=3", start), nil).must(t, 200)
		if r.Body["totalResults"] != float64(7) || r.Body["startIndex"] != float64(start) {
			t.Errorf("page %d: %v", start, r.Body)
		}
		got := resources(r)
		want := min(3, 7-start+1)
		if len(got) != want || r.Body["itemsPerPage"] != float64(want) {
			t.Errorf("page at %d: %d resources, itemsPerPage %v, want %d", start, len(got), r.Body["itemsPerPage"], want)
		}
		for _, u := range got {
			seen = append(seen, u["id"].(string))
		}
	}
	if fmt.Sprint(seen) != fmt.Sprint(ids) {
		t.Errorf("paging saw %v, want %v in id order", seen, ids)
	}

	r := e.do("GET", "/scim/v2/Users?count=0", nil).must(t, 200)
	if r.Body["totalResults"] != float64(7) || r.Body["itemsPerPage"] != float64(0) {
		t.Errorf("count=0: %s", r.Raw)
	}
	if list, ok := r.Body["Resources"].([]any); !ok || len(list) != 0 {
		t.Errorf("count=0 Resources = %v, want []", r.Body["Resources"])
	}
	r = e.do("GET", "/scim/v2/Users?startIndex=100", nil).must(t, 200)
	if list, ok := r.Body["Resources"].([]any); !ok || len(list) != 0 || r.Body["totalResults"] != float64(7) {
		t.Errorf("past the end: %s", r.Raw)
	}
	r = e.do("GET", "/scim/v2/Users?startIndex=-4&count=2", nil).must(t, 200)
	if r.Body["startIndex"] != float64(1) || len(resources(r)) != 2 {
		t.Errorf("startIndex<1 should be 1: %s", r.Raw)
	}
	r = e.do("GET", "/scim/v2/Users?filter="+query(`userName eq "nobody"`), nil).must(t, 200)
	if r.Body["totalResults"] != float64(0) {
		t.Errorf("no match: %s", r.Raw)
	}
	if list, ok := r.Body["Resources"].([]any); !ok || list == nil {
		t.Errorf("Resources must be [] not null: %s", r.Raw)
	}
	// Filtered paging counts only matches.
	r = e.do("GET", "/scim/v2/Users?count=2&startIndex=2&filter="+query(`userName sw "user" and not (userName eq "user0@example.com")`), nil).must(t, 200)
	if r.Body["totalResults"] != float64(6) || len(resources(r)) != 2 {
		t.Errorf("filtered page: %s", r.Raw)
	}
	// More than the maximum page size is capped at it.
	r = e.do("GET", "/scim/v2/Users?count=100000", nil).must(t, 200)
	if len(resources(r)) != 7 {
		t.Errorf("count above max: %d", len(resources(r)))
	}
}

func TestListSortAndSelection(t *testing.T) {
	e := newEnv(t)
	for i, name := range []string{"carol", "alice", "bob"} {
		b := userBody(name+"@example.com", fmt.Sprint("e", i))
		b["displayName"] = name
		e.do("POST", "/scim/v2/Users", b).must(t, 201)
	}
	names := func(r response) []string {
		var out []string
		for _, u := range resources(r) {
			out = append(out, fmt.Sprint(u["userName"]))
		}
		return out
	}
	r := e.do("GET", "/scim/v2/Users?sortBy=userName", nil).must(t, 200)
	if got := names(r); fmt.Sprint(got) != "[alice@example.com bob@example.com carol@example.com]" {
		t.Errorf("ascending: %v", got)
	}
	r = e.do("GET", "/scim/v2/Users?sortBy=displayName&sortOrder=descending&count=2", nil).must(t, 200)
	if got := names(r); fmt.Sprint(got) != "[carol@example.com bob@example.com]" || r.Body["totalResults"] != float64(3) {
		t.Errorf("descending page: %v %s", got, r.Raw)
	}

	for _, g := range []string{"Ops", "Design", "Sales"} {
		e.do("POST", "/scim/v2/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": g}).must(t, 201)
	}
	r = e.do("GET", "/scim/v2/Groups?sortBy=displayName&sortOrder=descending", nil).must(t, 200)
	var groupNames []string
	for _, g := range resources(r) {
		groupNames = append(groupNames, fmt.Sprint(g["displayName"]))
	}
	if fmt.Sprint(groupNames) != "[Sales Ops Design]" {
		t.Errorf("groups by displayName descending: %v", groupNames)
	}

	r = e.do("GET", "/scim/v2/Users?attributes=userName,name.givenName", nil).must(t, 200)
	for _, u := range resources(r) {
		if u["id"] == nil || u["userName"] == nil || u["emails"] != nil || u["meta"] != nil {
			t.Errorf("attributes=userName,name.givenName gave %v", u)
		}
		if n, _ := u["name"].(map[string]any); n["givenName"] == nil || n["familyName"] != nil {
			t.Errorf("name = %v", u["name"])
		}
	}
	r = e.do("GET", "/scim/v2/Users?excludedAttributes=emails,name.familyName,id", nil).must(t, 200)
	for _, u := range resources(r) {
		if u["emails"] != nil || u["id"] == nil || u["userName"] == nil {
			t.Errorf("excludedAttributes gave %v", u)
		}
		if n, _ := u["name"].(map[string]any); n["familyName"] != nil || n["givenName"] == nil {
			t.Errorf("name = %v", u["name"])
		}
	}

	uid := resources(r)[0]["id"].(string)
	gid := e.do("POST", "/scim/v2/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Eng", "members": []any{map[string]any{"value": uid}}}).must(t, 201).str("id")
	// Entra ID looks groups up without their members.
	r = e.do("GET", "/scim/v2/Groups?excludedAttributes=members&filter="+query(`displayName eq "eng"`), nil).must(t, 200)
	if got := resources(r); len(got) != 1 || got[0]["id"] != gid || got[0]["members"] != nil || got[0]["displayName"] != "Eng" {
		t.Errorf("group lookup: %s", r.Raw)
	}
	g := e.do("GET", "/scim/v2/Groups/"+gid+"?excludedAttributes=members", nil).must(t, 200)
	if g.Body["members"] != nil {
		t.Errorf("GET group excludedAttributes=members: %s", g.Raw)
	}

	// POST /.search takes the same parameters in a body.
	r = e.do("POST", "/scim/v2/Users/.search", map[string]any{
		"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"},
		"filter":  `userName sw "b" or userName sw "c"`, "sortBy": "userName", "attributes": []string{"userName"}, "count": 10,
	}).must(t, 200)
	if got := names(r); fmt.Sprint(got) != "[bob@example.com carol@example.com]" || r.Body["itemsPerPage"] != float64(2) {
		t.Errorf(".search: %v %s", got, r.Raw)
	}
	e.do("GET", "/scim/v2/Users/.search", nil).mustSCIMError(t, 405, "")
}

// Filters over HTTP: every operator, on indexed and scanned attributes, and users created by
// JIT login are found too (R5: IdPs that look before they create link naturally).
func TestListFilters(t *testing.T) {
	e := newEnv(t)
	a := e.createUser("alice@example.com", "ext-a")
	b := e.do("POST", "/scim/v2/Users", map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "Bob", "externalId": "ext-b", "active": false,
		"title":  "Engineer",
		"emails": []any{map[string]any{"value": "bob@work.example", "type": "work", "primary": true}, map[string]any{"value": "bob@home.example", "type": "home"}},
	}).must(t, 201).str("id")
	jit, err := e.svc.Login(context.Background(), directory.Login{IdP: "okta", UniqueUserID: "00u-jit", Email: "jit@example.com", FirstName: "Jit"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		filter string
		want   []string
	}{
		{`userName eq "ALICE@example.com"`, []string{a}},
		{`username Eq "bob"`, []string{b}},
		{`externalId eq "ext-b"`, []string{b}},
		{`externalId eq "EXT-B"`, nil},
		{`id eq "` + a + `"`, []string{a}},
		{`emails.value eq "bob@home.example"`, []string{b}},
		{`emails[type eq "work"].value eq "bob@work.example"`, []string{b}},
		{`emails[type eq "work"].value eq "bob@home.example"`, nil},
		{`emails[type eq "work" and primary eq true]`, []string{a, b, jit.ID}}, // a login sets a primary work email
		{`userName eq "jit@example.com"`, []string{jit.ID}},
		{`active eq false`, []string{b}},
		{`title pr`, []string{b}},
		{`title co "gin"`, []string{b}},
		{`userName sw "ali" or userName ew "ample.com"`, []string{a, jit.ID}},
		{`not (active eq true)`, []string{b}},
		{`userName ne "Bob"`, []string{a, jit.ID}},
		{`meta.created gt "2000-01-01T00:00:00Z"`, []string{a, b, jit.ID}},
		{`meta.created lt "2000-01-01T00:00:00Z"`, nil},
		{`userName gt "b" and userName lt "c"`, []string{b}},
		{`externalId eq "ext-a" and userName eq "nope"`, nil},
		{`externalId eq "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"`, nil},
	}
	for _, c := range cases {
		t.Run(c.filter, func(t *testing.T) {
			r := e.do("GET", "/scim/v2/Users?filter="+query(c.filter), nil).must(t, 200)
			var got []string
			for _, u := range resources(r) {
				got = append(got, u["id"].(string))
			}
			sort.Strings(got)
			want := append([]string(nil), c.want...)
			sort.Strings(want)
			if fmt.Sprint(got) != fmt.Sprint(want) || r.Body["totalResults"] != float64(len(want)) {
				t.Errorf("got %v (total %v), want %v", got, r.Body["totalResults"], want)
			}
		})
	}
}

// Deep paging resumes from remembered positions; the pages must be exactly those of a fresh
// scan, also after a write moves every position.
func TestPagingCursorsStayExact(t *testing.T) {
	e := newEnv(t)
	for i := range 6 {
		e.createUser(fmt.Sprintf("c%d@example.com", i), fmt.Sprint("c", i))
	}
	pageIDs := func() []string {
		var ids []string
		for start := 1; ; start += 2 {
			r := e.do("GET", fmt.Sprintf("/scim/v2/Users?startIndex=%d&count=2", start), nil).must(t, 200)
			got := resources(r)
			if len(got) == 0 {
				return ids
			}
			for _, u := range got {
				ids = append(ids, u["id"].(string))
			}
		}
	}
	allIDs := func() []string {
		var ids []string
		if err := e.svc.View(context.Background(), func(tx directory.ReadTx) error {
			return tx.ScanUsers(directory.ScanQuery{IdP: "okta"}, func(u directory.User) error { ids = append(ids, u.ID); return nil })
		}); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	first := pageIDs()
	if fmt.Sprint(first) != fmt.Sprint(allIDs()) {
		t.Fatalf("pages %v, want %v", first, allIDs())
	}
	if again := pageIDs(); fmt.Sprint(again) != fmt.Sprint(first) {
		t.Errorf("second pass (from remembered positions) %v, want %v", again, first)
	}
	// New users land at arbitrary positions in id order; remembered positions must not be used.
	for i := range 4 {
		e.createUser(fmt.Sprintf("d%d@example.com", i), fmt.Sprint("d", i))
	}
	if after := pageIDs(); fmt.Sprint(after) != fmt.Sprint(allIDs()) {
		t.Errorf("after writes: pages %v, want %v", after, allIDs())
	}
	// A page deep in the list answered twice is the same page.
	a := e.do("GET", "/scim/v2/Users?startIndex=7&count=3", nil).must(t, 200)
	b := e.do("GET", "/scim/v2/Users?startIndex=7&count=3", nil).must(t, 200)
	if fmt.Sprint(resources(a)) != fmt.Sprint(resources(b)) || len(resources(a)) != 3 {
		t.Errorf("repeated deep page differs: %v vs %v", resources(a), resources(b))
	}
}

// A query against the server root lists the token's users, then its groups (RFC 7644 §3.4.2.1).
func TestRootQuery(t *testing.T) {
	e := newEnv(t)
	u1 := e.createUser("r1@example.com", "r1")
	u2 := e.createUser("r2@example.com", "r2")
	g := e.do("POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Root"}`).must(t, 201).str("id")
	r := e.do("GET", "/scim/v2/", nil).must(t, 200)
	if r.Body["totalResults"] != float64(3) || len(resources(r)) != 3 {
		t.Fatalf("root list: %s", r.Raw)
	}
	r = e.do("GET", "/scim/v2?startIndex=2&count=2", nil).must(t, 200)
	got := resources(r)
	if len(got) != 2 || got[1]["id"] != g || r.Body["itemsPerPage"] != float64(2) {
		t.Errorf("second page: %s", r.Raw)
	}
	if meta, _ := got[1]["meta"].(map[string]any); meta["resourceType"] != "Group" {
		t.Errorf("root results must say their type: %v", got[1]["meta"])
	}
	r = e.do("POST", "/scim/v2/.search", map[string]any{"schemas": []string{searchRequestURN}, "filter": `userName eq "r2@example.com" or displayName eq "Root"`}).must(t, 200)
	ids := map[any]bool{}
	for _, res := range resources(r) {
		ids[res["id"]] = true
	}
	if len(ids) != 2 || !ids[u2] || !ids[g] || ids[u1] {
		t.Errorf("root search: %s", r.Raw)
	}
}

func TestGroupFilters(t *testing.T) {
	e := newEnv(t)
	u := e.createUser("gf@example.com", "gf")
	g1 := e.do("POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Alpha","externalId":"A-1","members":[{"value":"`+u+`"}]}`).must(t, 201).str("id")
	g2 := e.do("POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Beta"}`).must(t, 201).str("id")
	cases := map[string][]string{
		`displayName eq "alpha"`:                    {g1},
		`id eq "` + g2 + `"`:                        {g2},
		`externalId eq "A-1"`:                       {g1},
		`members[value eq "` + u + `"]`:             {g1},
		`not (members pr)`:                          {g2},
		`displayName sw "a" or displayName ew "ta"`: {g1, g2},
		`displayName eq "Gamma"`:                    nil,
	}
	for f, want := range cases {
		r := e.do("GET", "/scim/v2/Groups?filter="+query(f), nil).must(t, 200)
		var got []string
		for _, res := range resources(r) {
			got = append(got, res["id"].(string))
		}
		sort.Strings(got)
		sort.Strings(want)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: got %v, want %v", f, got, want)
		}
	}
}

// TestGroupPagesAgreeWithReadingEveryGroup: an unfiltered list of groups reads only the page
// (the store counts the IdP's groups and skips those before the page on its index); every
// page, with and without members, at the edges and past the end, is what the list reading
// every group of the IdP answers (forced by a filter every group matches), and another IdP's
// groups count in neither.
func TestGroupPagesAgreeWithReadingEveryGroup(t *testing.T) {
	e := newEnv(t)
	u := e.createUser("member@example.com", "member")
	for i := range 23 {
		members := ""
		if i%3 == 0 {
			members = `,"members":[{"value":"` + u + `"}]`
		}
		e.do("POST", "/scim/v2/Groups", fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Group %d"%s}`, i, members)).must(t, 201)
	}
	e.addIdP(t, "entra", directory.ModeSCIM, directory.MatchExternalID)
	other := e.newToken(t, "entra")
	for i := range 5 {
		e.doAs(other, "POST", "/scim/v2/Groups", fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Other %d"}`, i)).must(t, 201)
	}
	everyGroup := "&filter=" + query("displayName pr")
	for _, q := range []string{
		"startIndex=1&count=10", "startIndex=11&count=10", "startIndex=21&count=10", "startIndex=23&count=1",
		"startIndex=24&count=10", "startIndex=100", "count=0", "startIndex=5&count=0", "startIndex=-3&count=4",
		"startIndex=2&count=7&excludedAttributes=members", "startIndex=4&count=5&attributes=displayName",
		"count=100000",
	} {
		got := e.do("GET", "/scim/v2/Groups?"+q, nil).must(t, 200)
		want := e.do("GET", "/scim/v2/Groups?"+q+everyGroup, nil).must(t, 200)
		if got.Raw != want.Raw {
			t.Errorf("%s:\n got %s\nwant %s", q, got.Raw, want.Raw)
		}
		if got.Body["totalResults"] != float64(23) {
			t.Errorf("%s: totalResults %v, want the IdP's 23 groups", q, got.Body["totalResults"])
		}
	}
}
