package scim

import (
	"fmt"
	"testing"
)

// One test per vendor rewrite of normalize.go, with request bodies as the vendors document them.

func TestEntraTestConnection(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/scim/v2/Users?filter="+query(`externalId eq "8e2b5c4a-1f6d-4a4e-9b2e-3f1c0d7a9e55"`), nil).must(t, 200)
	if r.Body["totalResults"] != float64(0) {
		t.Errorf("test connection: %s", r.Raw)
	}
}

const entraCreateUser = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
  "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@contoso.com",
  "active": true,
  "addresses": null,
  "displayName": "Test User",
  "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b@contoso.com"}],
  "meta": {"resourceType": "User"},
  "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
  "roles": [],
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": null, "employeeNumber": "1234"}
}`

func TestEntraCreateUserWithNulls(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/scim/v2/Users", entraCreateUser).must(t, 201)
	u := e.user(r.str("id"))
	if u.Name.Formatted != "givenName familyName" || u.Enterprise.EmployeeNumber != "1234" || len(u.Addresses) != 0 || !u.Active {
		t.Errorf("stored %+v", u)
	}
}

func TestEntraCapitalisedOpsAndStringBooleans(t *testing.T) {
	e := newEnv(t)
	id := e.do("POST", "/scim/v2/Users", entraCreateUser).must(t, 201).str("id")
	e.do("PATCH", "/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@microsoft.com"},
		{"op":"Replace","path":"name.familyName","value":"updatedFamilyName"},
		{"op":"Add","path":"title","value":"Engineer"},
		{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Sales"}]}`).must(t, 200)
	u := e.user(id)
	if u.Emails[0].Value != "updatedEmail@microsoft.com" || u.Name.FamilyName != "updatedFamilyName" || u.Title != "Engineer" || u.Enterprise.Department != "Sales" {
		t.Errorf("stored %+v", u)
	}
	e.do("PATCH", "/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`).must(t, 200)
	if e.user(id).Active {
		t.Error(`"active":"False" did not deactivate`)
	}
	// The user stays readable while inactive.
	r := e.do("GET", "/scim/v2/Users/"+id, nil).must(t, 200)
	if r.Body["active"] != false {
		t.Errorf("inactive user reads %v", r.Body["active"])
	}
	e.do("PATCH", "/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"True"}]}`).must(t, 200)
	if !e.user(id).Active {
		t.Error(`"active":"True" did not reactivate`)
	}
}

func TestEntraEmailValueFilter(t *testing.T) {
	e := newEnv(t)
	id := e.do("POST", "/scim/v2/Users", entraCreateUser).must(t, 201).str("id")
	r := e.do("GET", "/scim/v2/Users?filter="+query(`emails[type eq "work"].value eq "test_user_fd0ea19b@contoso.com"`), nil).must(t, 200)
	if got := resources(r); len(got) != 1 || got[0]["id"] != id {
		t.Errorf("lookup by work email: %s", r.Raw)
	}
}

func TestEntraManagerAsStringAndRemovalByEmptyValue(t *testing.T) {
	e := newEnv(t)
	boss := e.createUser("boss@example.com", "boss")
	id := e.do("POST", "/scim/v2/Users", entraCreateUser).must(t, 201).str("id")
	e.do("PATCH", "/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"`+boss+`"}]}`).must(t, 200)
	if got := e.user(id).Enterprise.ManagerID; got != boss {
		t.Fatalf("manager = %q", got)
	}
	r := e.do("GET", "/scim/v2/Users/"+id, nil).must(t, 200)
	ext, _ := r.Body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)
	if mgr, _ := ext["manager"].(map[string]any); mgr["value"] != boss {
		t.Errorf("manager reads %v", ext["manager"])
	}
	e.do("PATCH", "/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":""}]}`).must(t, 200)
	if got := e.user(id).Enterprise.ManagerID; got != "" {
		t.Errorf("manager after an empty replace = %q", got)
	}
}

func TestEntraReplaceWithNullRemoves(t *testing.T) {
	e := newEnv(t)
	id := e.do("POST", "/scim/v2/Users", entraCreateUser).must(t, 201).str("id")
	e.do("PATCH", "/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"Replace","path":"displayName","value":null},
		{"op":"Replace","path":"name.formatted","value":""}]}`).must(t, 200)
	u := e.user(id)
	if u.DisplayName != "" || u.Name.Formatted != "" || u.Name.GivenName != "givenName" {
		t.Errorf("stored %+v", u)
	}
}

func TestEntraGroupExtraSchemaNullRefAndMemberRemovalByValue(t *testing.T) {
	e := newEnv(t)
	u1 := e.createUser("a@example.com", "a")
	u2 := e.createUser("b@example.com", "b")
	r := e.do("POST", "/scim/v2/Groups", `{
		"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
		"externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "displayName": "Group1DisplayName",
		"meta": {"resourceType": "Group"}}`).must(t, 201)
	gid := r.str("id")
	e.do("PATCH", "/scim/v2/Groups/"+gid, fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"Add","path":"members","value":[{"$ref":null,"value":%q},{"$ref":null,"value":%q}]}]}`, u1, u2)).must(t, 204)
	e.do("PATCH", "/scim/v2/Groups/"+gid, fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"Remove","path":"members","value":[{"value":%q}]}]}`, u1)).must(t, 204)
	g := e.do("GET", "/scim/v2/Groups/"+gid, nil).must(t, 200)
	members, _ := g.Body["members"].([]any)
	if len(members) != 1 || members[0].(map[string]any)["value"] != u2 {
		t.Errorf("members = %v", g.Body["members"])
	}
	// Entra ID replaces displayName through a no-path Replace too.
	e.do("PATCH", "/scim/v2/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"displayName","value":"Renamed"}]}`).must(t, 204)
}

// Entra ID with ?aadOptscim062020 on the tenant URL: lower-case ops, single-valued attributes
// batched into one no-path replace with dotted and URN-qualified keys.
func TestEntraAadOptscim062020BatchedReplace(t *testing.T) {
	e := newEnv(t)
	id := e.do("POST", "/scim/v2/Users", entraCreateUser).must(t, 201).str("id")
	e.do("PATCH", "/scim/v2/Users/"+id+"?aadOptscim062020", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"replace","value":{
			"displayName":"Ed","name.givenName":"Edward","name.familyName":"Smith","active":false,
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Finance",
			"title": null}},
		{"op":"replace","path":"emails[type eq \"work\"].value","value":"ed@contoso.com"}]}`).must(t, 200)
	u := e.user(id)
	if u.DisplayName != "Ed" || u.Name.GivenName != "Edward" || u.Name.FamilyName != "Smith" || u.Active || u.Enterprise.Department != "Finance" || u.Emails[0].Value != "ed@contoso.com" {
		t.Errorf("stored %+v", u)
	}
	id2 := e.createUser("m@example.com", "m")
	e.do("PATCH", "/scim/v2/Groups/"+e.do("POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","members":[{"value":"`+id2+`"}]}`).must(t, 201).str("id"),
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"`+id2+`\"]"}]}`).must(t, 204)
}

func TestOktaExistsCheckAndImportPaging(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/scim/v2/Users?filter="+query(`userName eq "isabella@example.com"`)+"&startIndex=1&count=100", nil).must(t, 200)
	if r.Body["totalResults"] != float64(0) || r.Body["startIndex"] != float64(1) || r.Body["itemsPerPage"] != float64(0) {
		t.Errorf("exists check: %s", r.Raw)
	}
	for i := range 3 {
		e.createUser(fmt.Sprintf("u%d@example.com", i), fmt.Sprint("00u", i))
	}
	r = e.do("GET", "/scim/v2/Users?filter="+query(`userName eq "U1@EXAMPLE.COM"`)+"&startIndex=1&count=100", nil).must(t, 200)
	if r.Body["totalResults"] != float64(1) {
		t.Errorf("upper-cased userName filter: %s", r.Raw)
	}
	r = e.do("GET", "/scim/v2/Users?startIndex=1&count=1", nil).must(t, 200)
	if len(resources(r)) != 1 || r.Body["totalResults"] != float64(3) {
		t.Errorf("count=1 page: %s", r.Raw)
	}
}

func TestOktaCreateWithPasswordAndDeactivateByNoPathReplace(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
		"userName":"isabella@example.com","name":{"givenName":"Isabella","familyName":"Smith"},
		"emails":[{"primary":true,"value":"isabella@example.com","type":"work"}],"displayName":"Isabella Smith",
		"locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],"password":"1mz050nq","active":true}`, "Content-Type", "application/json").must(t, 201)
	id := r.str("id")
	if r.Body["locale"] != "en-US" || r.Body["displayName"] != "Isabella Smith" || r.Body["password"] != nil {
		t.Errorf("create echo: %s", r.Raw)
	}
	r = e.do("PATCH", "/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`, "Content-Type", "").must(t, 200)
	if r.Body["active"] != false || e.user(id).Active {
		t.Errorf("deactivate: %s", r.Raw)
	}
	// Okta's PUT of the whole object, even to reactivate, with no content type.
	put := userBody("isabella@example.com", "00ujl29u0le5T6Aj10h7")
	put["id"], put["active"], put["password"] = id, true, "1mz050nq"
	put["meta"] = map[string]any{"resourceType": "User", "created": "2024-01-01T00:00:00Z", "location": "x"}
	put["groups"] = []any{}
	e.do("PUT", "/scim/v2/Users/"+id, put, "Content-Type", "").must(t, 200)
	if !e.user(id).Active {
		t.Error("PUT active=true did not reactivate")
	}
}

func TestOktaGroupPush(t *testing.T) {
	e := newEnv(t)
	u1 := e.createUser("a@example.com", "a")
	u2 := e.createUser("b@example.com", "b")
	gid := e.do("POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Test SCIMv2","members":[]}`, "Content-Type", "application/json").must(t, 201).str("id")
	e.do("PATCH", "/scim/v2/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"id":"`+gid+`","displayName":"Test SCIMv2 renamed"}}]}`).must(t, 204)
	e.do("PATCH", "/scim/v2/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"add","path":"members","value":[{"value":"`+u1+`","display":"a@example.com"},{"value":"`+u2+`","display":"b@example.com"}]}]}`).must(t, 204)
	e.do("PATCH", "/scim/v2/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"remove","path":"members[value eq \"`+u1+`\"]"}]}`).must(t, 204)
	e.do("PATCH", "/scim/v2/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"replace","path":"members","value":[{"value":"`+u1+`"}]}]}`).must(t, 204)
	g := e.do("GET", "/scim/v2/Groups/"+gid, nil).must(t, 200)
	members, _ := g.Body["members"].([]any)
	if g.Body["displayName"] != "Test SCIMv2 renamed" || len(members) != 1 || members[0].(map[string]any)["value"] != u1 {
		t.Errorf("group: %s", g.Raw)
	}
	e.do("DELETE", "/scim/v2/Groups/"+gid, nil).must(t, 204)
	e.do("GET", "/scim/v2/Groups/"+gid, nil).must(t, 404)
}

func TestPingOneOperatorCasing(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("pat@example.com", "p")
	for _, f := range []string{`username Eq "pat@example.com"`, `userName EQ "PAT@example.com"`, `emails Co "pat@"`} {
		r := e.do("GET", "/scim/v2/Users?filter="+query(f), nil).must(t, 200)
		if got := resources(r); len(got) != 1 || got[0]["id"] != id {
			t.Errorf("%s: %s", f, r.Raw)
		}
	}
}

func TestOneLoginTemplateBodies(t *testing.T) {
	e := newEnv(t)
	// A SCIM 1.1 URN and its enterprise container, from a template.
	r := e.do("POST", "/scim/v2/Users", `{"schemas":["urn:scim:schemas:core:1.0","urn:scim:schemas:extension:enterprise:1.0"],
		"userName":"ol@example.com","externalId":"ol-1","name":{"givenName":"One","familyName":"Login"},
		"urn:scim:schemas:extension:enterprise:1.0":{"department":"Ops"}}`).must(t, 201)
	if u := e.user(r.str("id")); u.Enterprise.Department != "Ops" {
		t.Errorf("stored %+v", u)
	}
	// No schemas at all.
	e.do("POST", "/scim/v2/Users", `{"userName":"ol2@example.com","externalId":"ol-2"}`).must(t, 201)
	// PATCH without the PatchOp schema.
	e.do("PATCH", "/scim/v2/Users/"+r.str("id"), `{"Operations":[{"op":"replace","path":"title","value":"T"}]}`).must(t, 200)
}

func TestTrailingSlashOnCollection(t *testing.T) {
	e := newEnv(t)
	id := e.do("POST", "/scim/v2/Users/", userBody("slash@example.com", "s")).must(t, 201).str("id")
	r := e.do("GET", "/scim/v2/Users/", nil).must(t, 200)
	if r.Body["totalResults"] != float64(1) {
		t.Errorf("GET /Users/: %s", r.Raw)
	}
	e.do("GET", "/scim/v2/Users/"+id+"/", nil).must(t, 200)
}

func TestLowerCaseResourcePaths(t *testing.T) {
	e := newEnv(t)
	id := e.do("POST", "/scim/v2/users", userBody("lower@example.com", "l")).must(t, 201).str("id")
	e.do("GET", "/scim/v2/users/"+id, nil).must(t, 200)
	e.do("GET", "/scim/v2/groups", nil).must(t, 200)
	e.do("GET", "/scim/v2/serviceproviderconfig", nil).must(t, 200)
	e.do("GET", "/scim/v2/schemas", nil).must(t, 200)
	e.do("GET", "/scim/v2/resourcetypes", nil).must(t, 200)
	e.do("PATCH", "/scim/v2/USERS/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"x"}]}`).must(t, 200)
}
