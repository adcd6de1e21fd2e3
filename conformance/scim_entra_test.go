package conformance

import (
	"fmt"
	"testing"
)

// Request transcripts of Microsoft Entra ID's provisioning service, written from Microsoft's
// public documentation ("Tutorial: Develop a sample SCIM endpoint", "Known issues and
// resolutions with SCIM 2.0 protocol compliance"). Entra ID sends application/scim+json.

func entraCreateUserBody(userName, externalID string) string {
	return fmt.Sprintf(`{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "externalId": %q,
  "userName": %q,
  "active": true,
  "addresses": null,
  "displayName": "Test User",
  "emails": [{"primary": true, "type": "work", "value": %q}],
  "meta": {"resourceType": "User"},
  "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
  "roles": [],
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "1234", "department": null}
}`, externalID, userName, userName)
}

// TestSCIMEntraDefaultMode follows one user and one group through Entra ID's default-mode
// cycle: test connection, look before create, create, update, disable, group push, delete.
func TestSCIMEntraDefaultMode(t *testing.T) {
	u := scimUnique()
	userName, externalID := "Test_User_"+u+"@contoso.com", scimGUID()

	// Test connection: a random GUID must answer 200 with an empty list, not 404.
	scimDo(t, "GET", "/Users?"+filterQuery(`externalId eq "`+scimGUID()+`"`), nil).wantListResponse(t, 0)
	// Look before create, by the matching attribute.
	scimDo(t, "GET", "/Users?"+filterQuery(`userName eq "`+userName+`"`), nil).wantListResponse(t, 0)

	r := scimDo(t, "POST", "/Users", entraCreateUserBody(userName, externalID)).want(t, 201)
	id := wantResourceShape(t, r.Body, "User")
	scimCleanup(t, "/Users/"+id)

	found := scimDo(t, "GET", "/Users?"+filterQuery(`externalId eq "`+externalID+`"`), nil)
	found.wantListResponse(t, 1)
	if res := found.resources(); len(res) != 1 || res[0]["id"] != id {
		t.Fatalf("lookup by externalId: %s", found.Raw)
	}
	byMail := scimDo(t, "GET", "/Users?"+filterQuery(`emails[type eq "work"].value eq "`+userName+`"`), nil)
	byMail.wantListResponse(t, 1)

	// Update: capitalised ops, one per attribute, value-filter and URN paths, manager as a string.
	manager, _, _ := scimNewUser(t, nil)
	r = scimDo(t, "PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
	  {"op":"Replace","path":"emails[type eq \"work\"].value","value":"updated_`+u+`@contoso.com"},
	  {"op":"Replace","path":"name.familyName","value":"updatedFamilyName"},
	  {"op":"Add","path":"title","value":"Engineer"},
	  {"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Sales"},
	  {"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"`+manager+`"}]}`)
	if r.Status != 200 && r.Status != 204 {
		t.Fatalf("update: %d %s", r.Status, r.Raw)
	}
	got := scimDo(t, "GET", "/Users/"+id, nil).want(t, 200)
	name, _ := got.Body["name"].(map[string]any)
	emails, _ := got.Body["emails"].([]any)
	ext, _ := got.Body[scimEnterpriseURN].(map[string]any)
	mgr, _ := ext["manager"].(map[string]any)
	if name["familyName"] != "updatedFamilyName" || got.s("title") != "Engineer" || len(emails) != 1 ||
		emails[0].(map[string]any)["value"] != "updated_"+u+"@contoso.com" || ext["department"] != "Sales" || mgr["value"] != manager {
		t.Errorf("after update: %s", got.Raw)
	}
	// Removing the manager is a replace with an empty value.
	scimDo(t, "PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
	  {"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":""}]}`)
	got = scimDo(t, "GET", "/Users/"+id, nil).want(t, 200)
	if ext, _ := got.Body[scimEnterpriseURN].(map[string]any); ext["manager"] != nil {
		t.Errorf("manager not removed: %s", got.Raw)
	}

	// Disable: the boolean arrives as a string; the user stays readable.
	r = scimDo(t, "PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`)
	if r.Status != 200 && r.Status != 204 {
		t.Fatalf("disable: %d %s", r.Status, r.Raw)
	}
	if got := scimDo(t, "GET", "/Users/"+id, nil).want(t, 200); got.Body["active"] != false {
		t.Errorf("after disable: %s", got.Raw)
	}

	// Group push: look up without members, create with Microsoft's extra schema, add members
	// with "$ref": null, remove by value without the flag.
	groupName := "Group_" + u
	scimDo(t, "GET", "/Groups?excludedAttributes=members&"+filterQuery(`displayName eq "`+groupName+`"`), nil).wantListResponse(t, 0)
	g := scimDo(t, "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
	  "externalId":"`+scimGUID()+`","displayName":"`+groupName+`","meta":{"resourceType":"Group"}}`).want(t, 201)
	gid := wantResourceShape(t, g.Body, "Group")
	scimCleanup(t, "/Groups/"+gid)
	r = scimDo(t, "PATCH", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
	  {"op":"Add","path":"members","value":[{"$ref":null,"value":"`+id+`"},{"$ref":null,"value":"`+manager+`"}]}]}`)
	if r.Status != 200 && r.Status != 204 {
		t.Fatalf("add members: %d %s", r.Status, r.Raw)
	}
	r = scimDo(t, "PATCH", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
	  {"op":"Remove","path":"members","value":[{"value":"`+manager+`"}]}]}`)
	if r.Status != 200 && r.Status != 204 {
		t.Fatalf("remove member: %d %s", r.Status, r.Raw)
	}
	gr := scimDo(t, "GET", "/Groups/"+gid, nil).want(t, 200)
	members, _ := gr.Body["members"].([]any)
	if len(members) != 1 || members[0].(map[string]any)["value"] != id {
		t.Errorf("members: %s", gr.Raw)
	}

	// Hard delete.
	scimDo(t, "DELETE", "/Groups/"+gid, nil).want(t, 204)
	scimDo(t, "DELETE", "/Users/"+id, nil).want(t, 204)
	scimDo(t, "GET", "/Users/"+id, nil).wantError(t, 404, "")
}

// TestSCIMEntraAadOptscim062020 follows the update cycle Entra ID sends when the tenant URL
// carries ?aadOptscim062020: lower-case ops, real booleans, single-valued attributes batched
// into one no-path replace with dotted and URN-qualified keys, members removed by filter path.
func TestSCIMEntraAadOptscim062020(t *testing.T) {
	u := scimUnique()
	userName := "Flag_User_" + u + "@contoso.com"
	r := scimDo(t, "POST", "/Users?aadOptscim062020", entraCreateUserBody(userName, scimGUID())).want(t, 201)
	id := wantResourceShape(t, r.Body, "User")
	scimCleanup(t, "/Users/"+id)

	r = scimDo(t, "PATCH", "/Users/"+id+"?aadOptscim062020", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
	  {"op":"replace","value":{"displayName":"Flag User","name.givenName":"Flag","name.familyName":"User",
	    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Finance","active":false}},
	  {"op":"replace","path":"emails[type eq \"work\"].value","value":"flag_`+u+`@contoso.com"}]}`)
	if r.Status != 200 && r.Status != 204 {
		t.Fatalf("batched replace: %d %s", r.Status, r.Raw)
	}
	got := scimDo(t, "GET", "/Users/"+id, nil).want(t, 200)
	name, _ := got.Body["name"].(map[string]any)
	ext, _ := got.Body[scimEnterpriseURN].(map[string]any)
	if got.s("displayName") != "Flag User" || name["givenName"] != "Flag" || name["familyName"] != "User" ||
		ext["department"] != "Finance" || got.Body["active"] != false {
		t.Errorf("after batched replace: %s", got.Raw)
	}

	g := scimDo(t, "POST", "/Groups?aadOptscim062020", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"FlagGroup_`+u+`","members":[{"value":"`+id+`"}]}`).want(t, 201)
	gid := wantResourceShape(t, g.Body, "Group")
	scimCleanup(t, "/Groups/"+gid)
	r = scimDo(t, "PATCH", "/Groups/"+gid+"?aadOptscim062020", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"`+id+`\"]"}]}`)
	if r.Status != 200 && r.Status != 204 {
		t.Fatalf("remove member by filter: %d %s", r.Status, r.Raw)
	}
	gr := scimDo(t, "GET", "/Groups/"+gid, nil).want(t, 200)
	if members, _ := gr.Body["members"].([]any); len(members) != 0 {
		t.Errorf("members after removal: %s", gr.Raw)
	}
}
