package conformance

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// What third-party suites (Microsoft's SCIM reference collection, scim2-tester) check, as a
// client sees it. Where the RFC leaves a server a choice, each test accepts every answer the
// RFC allows and refuses only the one it does not: a success that did nothing.

// TestSCIMPatchRemoveOfActive: RFC 7644 §3.5.2.2 makes a removed attribute unassigned; a
// server may refuse the operation, but must not answer success and keep the value.
func TestSCIMPatchRemoveOfActive(t *testing.T) {
	id, _, _ := scimNewUser(t, nil)
	r := scimDo(t, "PATCH", "/Users/"+id, map[string]any{"schemas": []string{scimPatchURN},
		"Operations": []any{map[string]any{"op": "remove", "path": "active"}}})
	if r.Status >= 400 {
		r.wantError(t, r.Status, "")
		return
	}
	got := scimDo(t, "GET", "/Users/"+id, nil).want(t, 200)
	if v, present := got.Body["active"]; present && v != nil {
		t.Errorf("remove of active answered %d and active is still %v", r.Status, v)
	}
}

// TestSCIMLastModifiedFilterMatchesWhatIsShown: a filter with the very meta.lastModified a
// create returned does not find that resource with gt, and finds it with ge (RFC 7644
// §3.4.2.2 compares dateTime values; a client can only send what it was shown).
func TestSCIMLastModifiedFilterMatchesWhatIsShown(t *testing.T) {
	_, userName, _ := scimNewUser(t, nil)
	list := scimDo(t, "GET", "/Users?"+filterQuery(`userName eq "`+userName+`"`), nil)
	list.wantListResponse(t, 1)
	meta, _ := list.resources()[0]["meta"].(map[string]any)
	shown, _ := meta["lastModified"].(string)
	for op, want := range map[string]int{"gt": 0, "ge": 1, "le": 1, "lt": 0} {
		f := fmt.Sprintf(`meta.lastModified %s "%s" and userName eq "%s"`, op, shown, userName)
		scimDo(t, "GET", "/Users?"+filterQuery(f), nil).wantListResponse(t, want)
	}
}

// TestSCIMSchemasTellWhatGroupMembersCanBe: what /Schemas advertises for Group members holds:
// a group may be a member only where members.type allows Group, and a member's display comes
// back only where it is advertised.
func TestSCIMSchemasTellWhatGroupMembersCanBe(t *testing.T) {
	s := scimDo(t, "GET", "/Schemas/"+url.PathEscape(scimGroupURN), nil).want(t, 200)
	subs := map[string]map[string]any{}
	attrs, _ := s.Body["attributes"].([]any)
	for _, a := range attrs {
		if m, _ := a.(map[string]any); m["name"] == "members" {
			list, _ := m["subAttributes"].([]any)
			for _, x := range list {
				sm, _ := x.(map[string]any)
				subs[fmt.Sprint(sm["name"])] = sm
			}
		}
	}
	types, _ := subs["type"]["canonicalValues"].([]any)
	nested := slices.Contains(types, any("Group"))
	uid, _, _ := scimNewUser(t, nil)
	display := "Shown " + scimUnique()
	g := scimDo(t, "POST", "/Groups", map[string]any{"schemas": []string{scimGroupURN}, "displayName": "conf-g-" + scimUnique(),
		"members": []any{map[string]any{"value": uid, "type": "User", "display": display}}}).want(t, 201)
	scimCleanup(t, "/Groups/"+g.s("id"))
	got := scimDo(t, "GET", "/Groups/"+g.s("id"), nil).want(t, 200)
	if d, advertised := subs["display"]; advertised && d["returned"] != "never" && !strings.Contains(got.Raw, display) {
		t.Errorf("members.display is advertised but the display sent is not returned: %s", got.Raw)
	}
	r := scimDo(t, "POST", "/Groups", map[string]any{"schemas": []string{scimGroupURN}, "displayName": "conf-n-" + scimUnique(),
		"members": []any{map[string]any{"value": g.s("id"), "type": "Group"}}})
	if r.Status == 201 {
		scimCleanup(t, "/Groups/"+r.s("id"))
	}
	if nested && r.Status != 201 {
		t.Errorf("members.type advertises Group, but a group as a member is refused: %d %s", r.Status, r.Raw)
	}
	if !nested && r.Status < 400 {
		t.Errorf("members.type does not advertise Group, but a group as a member was accepted: %s", r.Raw)
	}
}

// TestSCIMPatchOperationMembersBesideOpPathValue: RFC 7644 §3.5.2 does not forbid other
// members in an operation (Microsoft's collection sends "name"); an unknown op is still 400.
func TestSCIMPatchOperationMembersBesideOpPathValue(t *testing.T) {
	id, _, _ := scimNewUser(t, nil)
	r := scimDo(t, "PATCH", "/Users/"+id, map[string]any{"schemas": []string{scimPatchURN},
		"Operations": []any{map[string]any{"name": "setTitle", "op": "replace", "path": "title", "value": "Named"}}})
	if r.Status != 200 && r.Status != 204 {
		t.Fatalf("PATCH with an extra member: %d %s", r.Status, r.Raw)
	}
	if got := scimDo(t, "GET", "/Users/"+id, nil).want(t, 200); got.s("title") != "Named" {
		t.Errorf("title %q", got.s("title"))
	}
	scimDo(t, "PATCH", "/Users/"+id, map[string]any{"schemas": []string{scimPatchURN},
		"Operations": []any{map[string]any{"op": "merge", "path": "title", "value": "x"}}}).wantError(t, 400, "")
}

// TestSCIMCreateWithoutExternalIdIsNotAnAuthorizationError: a body the server cannot accept is
// a client error of the 400 family (RFC 7644 §3.12), not 403.
func TestSCIMCreateWithoutExternalIdIsNotAnAuthorizationError(t *testing.T) {
	userName := "conf-noext-" + scimUnique() + "@example.com"
	r := scimDo(t, "POST", "/Users", map[string]any{"schemas": []string{scimUserURN}, "userName": userName})
	if r.Status == 201 {
		scimCleanup(t, "/Users/"+r.s("id"))
		return
	}
	r.wantError(t, 400, "invalidValue")
}

// TestSCIMBulk: where ServiceProviderConfig says bulk is supported, bulkId references work
// across operations (RFC 7644 §3.7.2), each operation has its status, failOnErrors stops
// processing, circular references are 409 (§3.7.1), and the advertised maxOperations is
// enforced with 413 (§3.7.4).
func TestSCIMBulk(t *testing.T) {
	spc := scimDo(t, "GET", "/ServiceProviderConfig", nil).want(t, 200)
	bulk, _ := spc.Body["bulk"].(map[string]any)
	if bulk["supported"] != true {
		t.Skip("the server under test does not support bulk")
	}
	u := scimUnique()
	user := func(bulkID, name string) map[string]any {
		return map[string]any{"method": "POST", "path": "/Users", "bulkId": bulkID, "data": map[string]any{
			"schemas": []string{scimUserURN}, "userName": name + "-" + u + "@example.com", "externalId": name + "-" + u}}
	}
	request := func(failOnErrors int, ops ...map[string]any) map[string]any {
		m := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"}, "Operations": ops}
		if failOnErrors > 0 {
			m["failOnErrors"] = failOnErrors
		}
		return m
	}
	answered := func(r scimResp) map[string]map[string]any {
		t.Helper()
		r.want(t, 200)
		out := map[string]map[string]any{}
		list, _ := r.Body["Operations"].([]any)
		for _, x := range list {
			op, _ := x.(map[string]any)
			out[fmt.Sprint(op["bulkId"])] = op
			if loc, _ := op["location"].(string); op["method"] == "POST" && strings.HasPrefix(fmt.Sprint(op["status"]), "2") {
				scimCleanup(t, loc[strings.Index(loc, "/scim/v2")+len("/scim/v2"):])
			}
		}
		return out
	}
	group := map[string]any{"method": "POST", "path": "/Groups", "bulkId": "g", "data": map[string]any{
		"schemas": []string{scimGroupURN}, "displayName": "conf-bulk-" + u,
		"members": []any{map[string]any{"type": "User", "value": "bulkId:alice"}}}}
	ops := answered(scimDo(t, "POST", "/Bulk", request(0, user("alice", "alice"), group)))
	if fmt.Sprint(ops["alice"]["status"]) != "201" || fmt.Sprint(ops["g"]["status"]) != "201" {
		t.Fatalf("answered %v", ops)
	}
	loc := fmt.Sprint(ops["alice"]["location"])
	gloc := fmt.Sprint(ops["g"]["location"])
	g := scimDo(t, "GET", gloc[strings.Index(gloc, "/scim/v2")+len("/scim/v2"):], nil).want(t, 200)
	if !strings.Contains(g.Raw, loc[strings.LastIndexByte(loc, '/')+1:]) {
		t.Errorf("the group's member is not the user created by bulkId: %s", g.Raw)
	}

	ops = answered(scimDo(t, "POST", "/Bulk", request(1, user("dup", "alice"), user("after", "after"))))
	if len(ops) != 1 || fmt.Sprint(ops["dup"]["status"]) != "409" {
		t.Errorf("failOnErrors 1 after a conflict: %v", ops)
	}

	circular := func(id, other string) map[string]any {
		return map[string]any{"method": "POST", "path": "/Groups", "bulkId": id, "data": map[string]any{
			"schemas": []string{scimGroupURN}, "displayName": "conf-" + id + "-" + u,
			"members": []any{map[string]any{"type": "Group", "value": "bulkId:" + other}}}}
	}
	ops = answered(scimDo(t, "POST", "/Bulk", request(0, circular("ca", "cb"), circular("cb", "ca"))))
	for _, k := range []string{"ca", "cb"} {
		if st := fmt.Sprint(ops[k]["status"]); st != "201" && st != "409" && st != "400" {
			t.Errorf("circular reference %s answered %s", k, st)
		}
	}

	if max, ok := bulk["maxOperations"].(float64); ok && max > 0 && max < 5000 {
		many := make([]map[string]any, int(max)+1)
		for i := range many {
			many[i] = map[string]any{"method": "DELETE", "path": "/Users/" + scimGUID()}
		}
		scimDo(t, "POST", "/Bulk", request(0, many...)).wantError(t, 413, "")
	}
}
