package conformance

import (
	"fmt"
	"testing"
)

// Request transcripts of Okta's SCIM 2.0 client, written from Okta's public "SCIM 2.0
// protocol reference" and its SCIM spec test. Okta sends application/json.

const oktaJSON = "application/json"

func TestSCIMOktaUserLifecycle(t *testing.T) {
	u := scimUnique()
	userName := "isabella_" + u + "@example.com"
	oktaID := "00u" + u

	// Exists check before create.
	r := scimDo(t, "GET", "/Users?"+filterQuery(`userName eq "`+userName+`"`)+"&startIndex=1&count=100", nil, "Content-Type", oktaJSON)
	r.wantListResponse(t, 0)
	for _, k := range []string{"totalResults", "startIndex", "itemsPerPage"} {
		if _, ok := r.Body[k].(float64); !ok {
			t.Errorf("%s is not an integer: %s", k, r.Raw)
		}
	}

	create := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%q,
	  "name":{"givenName":"Isabella","familyName":"Smith"},"emails":[{"primary":true,"value":%q,"type":"work"}],
	  "displayName":"Isabella Smith","locale":"en-US","externalId":%q,"groups":[],"password":"1mz050nq","active":true}`, userName, userName, oktaID)
	r = scimDo(t, "POST", "/Users", create, "Content-Type", oktaJSON).want(t, 201)
	id := wantResourceShape(t, r.Body, "User")
	scimCleanup(t, "/Users/"+id)
	if r.s("userName") != userName || r.s("displayName") != "Isabella Smith" || r.s("locale") != "en-US" || r.Body["active"] != true {
		t.Errorf("create does not echo its values: %s", r.Raw)
	}
	if _, ok := r.Body["password"]; ok {
		t.Errorf("the password is returned: %s", r.Raw)
	}
	// A second create of the same user is a conflict with an error body.
	scimDo(t, "POST", "/Users", create, "Content-Type", oktaJSON).wantError(t, 409, "")

	got := scimDo(t, "GET", "/Users/"+id, nil).want(t, 200)

	// Profile update: PUT of the whole object as Okta holds it (id, meta, groups, password).
	got.Body["name"] = map[string]any{"givenName": "Isabella", "familyName": "Jones"}
	got.Body["password"] = "1mz050nq"
	got.Body["groups"] = []any{}
	r = scimDo(t, "PUT", "/Users/"+id, got.Body, "Content-Type", oktaJSON).want(t, 200)
	if n, _ := r.Body["name"].(map[string]any); n["familyName"] != "Jones" || r.Body["active"] != true {
		t.Errorf("PUT: %s", r.Raw)
	}

	// Deactivate: a no-path replace; 200 with the user or 204.
	r = scimDo(t, "PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`, "Content-Type", oktaJSON)
	switch r.Status {
	case 200:
		if r.Body["active"] != false {
			t.Errorf("deactivate answered %s", r.Raw)
		}
	case 204:
	default:
		t.Fatalf("deactivate: %d %s", r.Status, r.Raw)
	}
	if got := scimDo(t, "GET", "/Users/"+id, nil).want(t, 200); got.Body["active"] != false {
		t.Errorf("after deactivate: %s", got.Raw)
	}
	// Custom integrations reactivate by PUT.
	got = scimDo(t, "GET", "/Users/"+id, nil).want(t, 200)
	got.Body["active"] = true
	scimDo(t, "PUT", "/Users/"+id, got.Body, "Content-Type", "").want(t, 200)

	// The spec test's case-insensitive userName filter and count=1 paging.
	r = scimDo(t, "GET", "/Users?"+filterQuery(`userName eq "ISABELLA_`+u+`@EXAMPLE.COM"`)+"&startIndex=1&count=100", nil)
	r.wantListResponse(t, 1)
	r = scimDo(t, "GET", "/Users?startIndex=1&count=1", nil)
	r.wantListResponse(t, -1)
	if len(r.resources()) != 1 {
		t.Errorf("count=1 gave %d resources", len(r.resources()))
	}
}

func TestSCIMOktaImportPaging(t *testing.T) {
	tag := scimUnique()
	want := map[string]bool{}
	for i := range 3 {
		id, _, _ := scimNewUser(t, map[string]any{"title": "import-" + tag, "displayName": fmt.Sprint("I", i)})
		want[id] = true
	}
	seen := map[string]bool{}
	for start := 1; ; start += 100 {
		r := scimDo(t, "GET", fmt.Sprintf("/Users?startIndex=%d&count=100", start), nil)
		r.wantListResponse(t, -1)
		for _, res := range r.resources() {
			id, _ := res["id"].(string)
			if seen[id] {
				t.Fatalf("%s imported twice", id)
			}
			seen[id] = true
		}
		if total, _ := r.Body["totalResults"].(float64); start+100 > int(total) {
			break
		}
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("import missed %s", id)
		}
	}
}

func TestSCIMOktaGroupPush(t *testing.T) {
	u1, _, _ := scimNewUser(t, nil)
	u2, _, _ := scimNewUser(t, nil)
	name := "Test SCIMv2 " + scimUnique()
	r := scimDo(t, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"`+name+`","members":[]}`, "Content-Type", oktaJSON).want(t, 201)
	gid := wantResourceShape(t, r.Body, "Group")
	scimCleanup(t, "/Groups/"+gid)
	if r.s("displayName") != name {
		t.Errorf("create: %s", r.Raw)
	}
	patch := func(body string) {
		t.Helper()
		r := scimDo(t, "PATCH", "/Groups/"+gid, body, "Content-Type", oktaJSON)
		if r.Status != 200 && r.Status != 204 {
			t.Fatalf("PATCH group: %d %s", r.Status, r.Raw)
		}
	}
	members := func() map[string]bool {
		g := scimDo(t, "GET", "/Groups/"+gid, nil).want(t, 200)
		out := map[string]bool{}
		list, _ := g.Body["members"].([]any)
		for _, m := range list {
			out[fmt.Sprint(m.(map[string]any)["value"])] = true
		}
		return out
	}
	// Rename by a no-path replace carrying the id.
	patch(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"id":"` + gid + `","displayName":"` + name + ` renamed"}}]}`)
	if g := scimDo(t, "GET", "/Groups/"+gid, nil).want(t, 200); g.s("displayName") != name+" renamed" {
		t.Errorf("rename: %s", g.Raw)
	}
	patch(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"` + u1 + `","display":"u1"}]}]}`)
	patch(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
	  {"op":"remove","path":"members[value eq \"` + u1 + `\"]"},
	  {"op":"add","path":"members","value":[{"value":"` + u2 + `","display":"u2"}]}]}`)
	if m := members(); m[u1] || !m[u2] || len(m) != 1 {
		t.Errorf("after remove+add: %v", m)
	}
	patch(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"members","value":[{"value":"` + u1 + `"},{"value":"` + u2 + `"}]}]}`)
	if m := members(); !m[u1] || !m[u2] || len(m) != 2 {
		t.Errorf("after replace: %v", m)
	}
	scimDo(t, "DELETE", "/Groups/"+gid, nil).want(t, 204)
}
