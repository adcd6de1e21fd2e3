package scim

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
)

// The tests in this file are named for what third-party SCIM suites (Microsoft's reference
// Postman collection, python-scim's scim2-tester) found in Roster.

// TestPatchRemoveOfActiveIsRefused: a remove of active is 400 and changes nothing, never a 200
// that did nothing; whether a person may sign in is never left unassigned.
func TestPatchRemoveOfActiveIsRefused(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("active@example.com", "active")
	for name, ops := range map[string]string{
		"remove with path":     `{"op":"remove","path":"active"}`,
		"remove with URN path": `{"op":"remove","path":"urn:ietf:params:scim:schemas:core:2.0:User:active"}`,
		"replace with null":    `{"op":"replace","path":"active","value":null}`,
		"no-path null":         `{"op":"replace","value":{"active":null}}`,
	} {
		t.Run(name, func(t *testing.T) {
			before := e.snapshot()
			r := e.do("PATCH", "/scim/v2/Users/"+id, patchBody(ops))
			r.mustSCIMError(t, 400, "invalidValue")
			if !strings.Contains(r.str("detail"), "active") {
				t.Errorf("detail does not name active: %s", r.Raw)
			}
			if e.snapshot() != before {
				t.Error("a refused remove changed the store")
			}
		})
	}
	// Replacing it still works, both ways.
	e.do("PATCH", "/scim/v2/Users/"+id, patchBody(`{"op":"replace","path":"active","value":false}`)).must(t, 200)
	if e.user(id).Active {
		t.Error("replace active false did not deactivate")
	}
}

// TestLastModifiedIsShownAndComparedAtOnePrecision: meta times carry the fraction Roster
// compares at, so a filter with the very value a create returned does not find that user with
// gt or lt, and finds it with ge, le and eq; sorting follows the same values.
func TestLastModifiedIsShownAndComparedAtOnePrecision(t *testing.T) {
	// The clock has a sub-microsecond part, as a real one does: what is shown is cut, and what
	// is compared must be cut alike.
	var tick time.Duration
	now := func() time.Time {
		tick += 1500 * time.Microsecond
		return time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC).Add(tick)
	}
	e := newEnvWith(t, directory.WithClock(now))
	a := e.do("POST", "/scim/v2/Users", userBody("first@example.com", "first")).must(t, 201)
	b := e.do("POST", "/scim/v2/Users", userBody("second@example.com", "second")).must(t, 201)
	metaOf := func(r response) map[string]any { m, _ := r.Body["meta"].(map[string]any); return m }
	shown, _ := metaOf(a)["lastModified"].(string)
	if _, err := time.Parse(time.RFC3339Nano, shown); err != nil || !strings.Contains(shown, ".") || !strings.HasSuffix(shown, "Z") {
		t.Fatalf("lastModified %q is not RFC 3339 with a fraction", shown)
	}
	if created, _ := metaOf(a)["created"].(string); created != shown {
		t.Errorf("created %q, lastModified %q of a new user differ", created, shown)
	}
	if got := e.do("GET", "/scim/v2/Users/"+a.str("id"), nil).must(t, 200); metaOf(got)["lastModified"] != shown {
		t.Errorf("GET shows %v, the create showed %s", metaOf(got)["lastModified"], shown)
	}
	ids := func(f string) []string {
		t.Helper()
		r := e.do("GET", "/scim/v2/Users?filter="+query(f), nil).must(t, 200)
		var out []string
		for _, u := range resources(r) {
			out = append(out, fmt.Sprint(u["userName"]))
		}
		slices.Sort(out)
		return out
	}
	for _, c := range []struct {
		op   string
		want []string
	}{
		{"gt", []string{"second@example.com"}},
		{"ge", []string{"first@example.com", "second@example.com"}},
		{"eq", []string{"first@example.com"}},
		{"lt", nil},
		{"le", []string{"first@example.com"}},
	} {
		t.Run("meta.lastModified "+c.op, func(t *testing.T) {
			if got := ids(`meta.lastModified ` + c.op + ` "` + shown + `"`); !slices.Equal(got, c.want) {
				t.Errorf("%s %q: %v, want %v", c.op, shown, got, c.want)
			}
		})
	}
	// The same instant written with more digits compares at the shown precision too.
	if got := ids(`meta.created gt "` + strings.TrimSuffix(shown, "Z") + `999Z"`); !slices.Equal(got, []string{"second@example.com"}) {
		t.Errorf("gt with extra digits: %v", got)
	}
	r := e.do("GET", "/scim/v2/Users?sortBy=meta.lastModified&sortOrder=descending", nil).must(t, 200)
	var order []string
	for _, u := range resources(r) {
		order = append(order, fmt.Sprint(u["id"]))
	}
	if !slices.Equal(order, []string{b.str("id"), a.str("id")}) {
		t.Errorf("descending by lastModified: %v", order)
	}
	// The ETag is the version, not a time: two writes within one shown instant still differ.
	p := e.do("PATCH", "/scim/v2/Users/"+a.str("id"), patchBody(`{"op":"replace","path":"title","value":"x"}`)).must(t, 200)
	if p.Header.Get("ETag") == a.Header.Get("ETag") {
		t.Errorf("ETag unchanged by a write: %s", p.Header.Get("ETag"))
	}
}

// TestSchemasDescribeGroupMembersAsRosterKeepsThem: /Schemas advertises for members what
// Roster does: users only (type and $ref), no display; a group as a member is refused, and a
// display a client sends is ignored rather than promised back.
func TestSchemasDescribeGroupMembersAsRosterKeepsThem(t *testing.T) {
	e := newEnv(t)
	s := e.do("GET", "/scim/v2/Schemas/"+url.PathEscape(groupSchemaURN), nil).must(t, 200)
	var members map[string]any
	for _, a := range s.Body["attributes"].([]any) {
		if m := a.(map[string]any); m["name"] == "members" {
			members = m
		}
	}
	subs := map[string]map[string]any{}
	for _, x := range members["subAttributes"].([]any) {
		m := x.(map[string]any)
		subs[m["name"].(string)] = m
	}
	if _, ok := subs["display"]; ok {
		t.Error("members.display is advertised but not kept")
	}
	if got := fmt.Sprint(subs["type"]["canonicalValues"]); got != "[User]" {
		t.Errorf("members.type canonicalValues = %s, want [User]", got)
	}
	if got := fmt.Sprint(subs["$ref"]["referenceTypes"]); got != "[User]" {
		t.Errorf("members.$ref referenceTypes = %s, want [User]", got)
	}

	uid := e.createUser("member@example.com", "member")
	g := e.do("POST", "/scim/v2/Groups", map[string]any{"schemas": []string{groupSchemaURN}, "displayName": "Staff",
		"members": []any{map[string]any{"value": uid, "display": "Member Shown", "type": "User"}}}).must(t, 201)
	if strings.Contains(g.Raw, "Member Shown") {
		t.Errorf("a display Roster does not keep came back: %s", g.Raw)
	}
	got := e.do("GET", "/scim/v2/Groups/"+g.str("id"), nil).must(t, 200)
	list, _ := got.Body["members"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["type"] != "User" {
		t.Errorf("members = %v", got.Body["members"])
	}
	nested := e.do("POST", "/scim/v2/Groups", map[string]any{"schemas": []string{groupSchemaURN}, "displayName": "Nested",
		"members": []any{map[string]any{"value": g.str("id"), "type": "Group"}}})
	nested.mustSCIMError(t, 400, "invalidValue")
}

// TestCreateWithoutMatchingAttributeIs400: a create without the IdP's matching attribute is a
// client mistake: 400 invalidValue with the advice, and still a refusal event (R12).
func TestCreateWithoutMatchingAttributeIs400(t *testing.T) {
	e := newEnv(t)
	seq := e.lastSeq()
	r := e.do("POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"nokey@example.com"}`)
	r.mustSCIMError(t, 400, "invalidValue")
	if d := r.str("detail"); !strings.Contains(d, "externalId") || !strings.Contains(d, "R1") {
		t.Errorf("detail lacks the advice: %q", d)
	}
	evs := e.events(seq)
	if len(evs) != 1 || evs[0].Type != directory.EventSCIMRefused || evs[0].Rule != directory.RuleR1 {
		t.Errorf("events %+v, want one scim refusal naming R1", evs)
	}
	// An IdP matching by userName takes the same body.
	e.addIdP(t, "generic", directory.ModeSCIM, directory.MatchUserName)
	e.doAs(e.newToken(t, "generic"), "POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"nokey2@example.com"}`).must(t, 201)
}

// TestPatchOperationUnknownMembersAreIgnored: members beside op, path and value (Microsoft's
// collection sends "name": "addMember") are accepted and ignored; an unknown op stays 400.
func TestPatchOperationUnknownMembersAreIgnored(t *testing.T) {
	e := newEnv(t)
	uid := e.createUser("named@example.com", "named")
	gid := e.do("POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Named"}`).must(t, 201).str("id")
	e.do("PATCH", "/scim/v2/Groups/"+gid, patchBody(`{"name":"addMember","op":"add","path":"members","value":[{"displayName":"new User","value":"`+uid+`"}]}`)).must(t, 204)
	g, err := e.svc.SCIMGroup(context.Background(), directory.SCIMActor{IdP: e.idp}, gid)
	if err != nil || !slices.Equal(g.Members, []string{uid}) {
		t.Fatalf("members %v, %v", g.Members, err)
	}
	before := e.snapshot()
	e.do("PATCH", "/scim/v2/Groups/"+gid, patchBody(`{"name":"x","op":"merge","path":"members","value":[]}`)).mustSCIMError(t, 400, "invalidSyntax")
	if e.snapshot() != before {
		t.Error("a refused op changed the store")
	}
}

// TestPatchPathNamingTheExtension: a path that is the enterprise extension's URN addresses
// its attributes together (scim2-tester sends it so).
func TestPatchPathNamingTheExtension(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("ext@example.com", "ext")
	e.do("PATCH", "/scim/v2/Users/"+id, patchBody(`{"op":"add","path":"`+enterpriseSchemaURN+`","value":{"schemas":["`+enterpriseSchemaURN+`"],"department":"Ops","costCenter":"42"}}`)).must(t, 200)
	if ent := e.user(id).Enterprise; ent.Department != "Ops" || ent.CostCenter != "42" {
		t.Fatalf("after add: %+v", ent)
	}
	e.do("PATCH", "/scim/v2/Users/"+id, patchBody(`{"op":"replace","path":"`+enterpriseSchemaURN+`","value":{"department":"Dev"}}`)).must(t, 200)
	if ent := e.user(id).Enterprise; ent.Department != "Dev" || ent.CostCenter != "42" {
		t.Fatalf("after replace: %+v", ent)
	}
	e.do("PATCH", "/scim/v2/Users/"+id, patchBody(`{"op":"remove","path":"`+enterpriseSchemaURN+`"}`)).must(t, 200)
	if ent := e.user(id).Enterprise; ent != (directory.Enterprise{}) {
		t.Fatalf("after remove: %+v", ent)
	}
	e.do("PATCH", "/scim/v2/Users/"+id, patchBody(`{"op":"add","path":"`+enterpriseSchemaURN+`","value":"Ops"}`)).mustSCIMError(t, 400, "invalidValue")
}
