package scim

import (
	"context"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
)

func TestCreateUser(t *testing.T) {
	e := newEnv(t)
	body := userBody("bjensen@example.com", "ext-1")
	body["password"] = "s3cret-Passw0rd"
	body["addresses"] = nil // Entra ID's explicit null means absent
	body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] = map[string]any{"department": "Tour Operations", "employeeNumber": "701984"}
	r := e.do("POST", "/scim/v2/Users", body).must(t, 201)
	id := r.str("id")
	if id == "" {
		t.Fatal("no id")
	}
	if loc := r.Header.Get("Location"); loc != "https://roster.example/scim/v2/Users/"+id {
		t.Errorf("Location = %q", loc)
	}
	if r.Header.Get("ETag") != `W/"1"` {
		t.Errorf("ETag = %q", r.Header.Get("ETag"))
	}
	if r.Body["active"] != true {
		t.Errorf("omitted active should be true on create, got %v", r.Body["active"])
	}
	if strings.Contains(r.Raw, "password") || strings.Contains(r.Raw, "s3cret") {
		t.Errorf("the response carries the password: %s", r.Raw)
	}
	u := e.user(id)
	if u.PasswordHash == "" || strings.Contains(u.PasswordHash, "s3cret") {
		t.Errorf("password hash = %q; want a hash, not the clear text", u.PasswordHash)
	}
	if !passwordMatches(u.PasswordHash, "s3cret-Passw0rd") || passwordMatches(u.PasswordHash, "other") {
		t.Error("the stored hash does not verify the password it was made from")
	}
	if u.Enterprise.Department != "Tour Operations" || u.Owner != directory.OwnerSCIM || u.UniqueUserID != "ext-1" || u.IdP != "okta" {
		t.Errorf("stored user = %+v", u)
	}
	g := e.do("GET", "/scim/v2/Users/"+id, nil).must(t, 200)
	if strings.Contains(g.Raw, "password") {
		t.Errorf("GET returns the password: %s", g.Raw)
	}
	ext, _ := g.Body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)
	if ext["department"] != "Tour Operations" {
		t.Errorf("enterprise extension = %v", ext)
	}
	if _, ok := g.Body["groups"]; ok {
		t.Errorf("a user in no group has groups: %s", g.Raw)
	}
}

func TestCreateUserConflict(t *testing.T) {
	e := newEnv(t)
	e.createUser("taken@example.com", "ext-1")
	before := e.snapshot()
	r := e.do("POST", "/scim/v2/Users", userBody("TAKEN@example.com", "ext-2"))
	r.mustSCIMError(t, 409, "uniqueness")
	if !strings.Contains(r.str("detail"), "userName") {
		t.Errorf("detail %q does not name the attribute", r.str("detail"))
	}
	// The refusal is recorded (R8, R12), nothing else changes.
	after := e.snapshot()
	if before == after {
		t.Fatal("no event for the refused create")
	}
	evs := e.events(0)
	last := evs[len(evs)-1]
	if last.Type != directory.EventSCIMRefused || last.Rule != "R8" || !strings.HasPrefix(last.Actor, "scim:") {
		t.Errorf("last event = %+v, want scim.refused by R8 naming the token", last)
	}
	var n int
	if err := e.svc.View(context.Background(), func(tx directory.ReadTx) (err error) { n, err = tx.CountUsers("", "okta"); return err }); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d users, want 1", n)
	}
}

func TestPutReplacesAndKeepsActive(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("bjensen@example.com", "ext-1")
	// Okta sends the whole object back, with id, meta, groups and the password.
	put := map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"id":       id,
		"userName": "bjensen@example.com", "externalId": "ext-1",
		"name":     map[string]any{"givenName": "Barbara"},
		"title":    "Guide",
		"groups":   []any{},
		"password": "pw-1",
		"meta":     map[string]any{"resourceType": "User", "version": `W/"1"`},
	}
	r := e.do("PUT", "/scim/v2/Users/"+id, put).must(t, 200)
	if r.Body["active"] != true {
		t.Errorf("PUT without active deactivated the user: %s", r.Raw)
	}
	if _, ok := r.Body["emails"]; ok {
		t.Errorf("PUT is a full replace; omitted emails should be gone: %s", r.Raw)
	}
	u := e.user(id)
	if u.Title != "Guide" || u.Name.FamilyName != "" || u.Name.GivenName != "Barbara" {
		t.Errorf("stored %+v", u)
	}
	v := u.Meta.Version
	hash := u.PasswordHash
	// The same PUT again is no change: same version, same hash.
	e.do("PUT", "/scim/v2/Users/"+id, put).must(t, 200)
	if u2 := e.user(id); u2.Meta.Version != v || u2.PasswordHash != hash {
		t.Errorf("an identical PUT changed the user: version %d→%d", v, u2.Meta.Version)
	}
	put["active"] = false
	e.do("PUT", "/scim/v2/Users/"+id, put).must(t, 200)
	if e.user(id).Active {
		t.Error("PUT active=false did not deactivate")
	}
}

func TestDeleteUser(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("bjensen@example.com", "ext-1")
	r := e.do("DELETE", "/scim/v2/Users/"+id, nil).must(t, 204)
	if r.Raw != "" {
		t.Errorf("204 with a body: %s", r.Raw)
	}
	e.do("GET", "/scim/v2/Users/"+id, nil).mustSCIMError(t, 404, "")
	e.do("DELETE", "/scim/v2/Users/"+id, nil).mustSCIMError(t, 404, "")
}

func TestUnknownID(t *testing.T) {
	e := newEnv(t)
	before := e.snapshot()
	for _, m := range []string{"GET", "PUT", "PATCH", "DELETE"} {
		var body any
		switch m {
		case "PUT":
			body = userBody("x@example.com", "x")
		case "PATCH":
			body = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"x"}]}`
		}
		e.do(m, "/scim/v2/Users/does-not-exist", body).mustSCIMError(t, 404, "")
		e.do(m, "/scim/v2/Groups/does-not-exist", groupPutOrPatch(m)).mustSCIMError(t, 404, "")
	}
	if e.snapshot() != before {
		t.Error("requests for an unknown id changed the store")
	}
}

func groupPutOrPatch(m string) any {
	switch m {
	case "PUT":
		return map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "x"}
	case "PATCH":
		return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"y"}]}`
	}
	return nil
}

// R10: a token sees only its IdP's users and groups.
func TestIsolationBetweenIdPs(t *testing.T) {
	e := newEnv(t)
	e.addIdP(t, "entra", directory.ModeSCIM, directory.MatchExternalID)
	other := e.newToken(t, "entra")
	mine := e.createUser("mine@example.com", "ext-1")
	theirs := e.doAs(other, "POST", "/scim/v2/Users", userBody("theirs@example.com", "ext-1")).must(t, 201).str("id")
	theirGroup := e.doAs(other, "POST", "/scim/v2/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Eng"}).must(t, 201).str("id")

	before := e.snapshot()
	e.do("GET", "/scim/v2/Users/"+theirs, nil).mustSCIMError(t, 404, "")
	e.do("GET", "/scim/v2/Groups/"+theirGroup, nil).mustSCIMError(t, 404, "")
	e.do("PATCH", "/scim/v2/Users/"+theirs, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`).mustSCIMError(t, 404, "")
	e.do("DELETE", "/scim/v2/Users/"+theirs, nil).mustSCIMError(t, 404, "")
	e.do("DELETE", "/scim/v2/Groups/"+theirGroup, nil).mustSCIMError(t, 404, "")
	for _, f := range []string{`userName eq "theirs@example.com"`, `externalId eq "ext-1"`, `id eq "` + theirs + `"`, `emails.value eq "theirs@example.com"`, `userName sw "t"`} {
		r := e.do("GET", "/scim/v2/Users?filter="+query(f), nil).must(t, 200)
		for _, res := range resources(r) {
			if res["id"] == theirs {
				t.Errorf("filter %s returned another IdP's user", f)
			}
		}
	}
	r := e.do("GET", "/scim/v2/Users", nil).must(t, 200)
	if r.Body["totalResults"] != float64(1) || resources(r)[0]["id"] != mine {
		t.Errorf("list = %s", r.Raw)
	}
	if e.snapshot() != before {
		t.Error("refused cross-IdP requests changed the store")
	}
	// Another IdP's user cannot be made a member either.
	r = e.do("POST", "/scim/v2/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Mixed", "members": []any{map[string]any{"value": theirs}}})
	r.mustSCIMError(t, 400, "invalidValue")
}

func TestETags(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("bjensen@example.com", "ext-1")
	g := e.do("GET", "/scim/v2/Users/"+id, nil).must(t, 200)
	tag := g.Header.Get("ETag")
	meta, _ := g.Body["meta"].(map[string]any)
	if tag != `W/"1"` || meta["version"] != tag {
		t.Fatalf("ETag %q, meta.version %v", tag, meta["version"])
	}
	e.do("GET", "/scim/v2/Users/"+id, nil, "If-None-Match", tag).must(t, 304)
	e.do("GET", "/scim/v2/Users/"+id, nil, "If-None-Match", `W/"99"`).must(t, 200)

	patch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"Guide"}]}`
	r := e.do("PATCH", "/scim/v2/Users/"+id, patch, "If-Match", tag).must(t, 200)
	newTag := r.Header.Get("ETag")
	if newTag == tag || newTag != `W/"2"` {
		t.Errorf("ETag after a write = %q", newTag)
	}
	before := e.snapshot()
	stale := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"Stale"}]}`
	e.do("PATCH", "/scim/v2/Users/"+id, stale, "If-Match", tag).mustSCIMError(t, 412, "")
	e.do("PUT", "/scim/v2/Users/"+id, userBody("bjensen@example.com", "ext-1"), "If-Match", tag).mustSCIMError(t, 412, "")
	e.do("DELETE", "/scim/v2/Users/"+id, nil, "If-Match", tag).mustSCIMError(t, 412, "")
	e.do("DELETE", "/scim/v2/Users/"+id, nil, "If-Match", `"garbage"`).mustSCIMError(t, 412, "")
	if e.snapshot() != before {
		t.Error("a stale If-Match changed the store")
	}
	e.do("DELETE", "/scim/v2/Users/"+id, nil, "If-Match", newTag).must(t, 204)
}

func TestGroupsAttributeIsComputedAndReadOnly(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("bjensen@example.com", "ext-1")
	gid := e.do("POST", "/scim/v2/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Eng", "members": []any{map[string]any{"value": id}}}).must(t, 201).str("id")
	r := e.do("GET", "/scim/v2/Users/"+id, nil).must(t, 200)
	groups, _ := r.Body["groups"].([]any)
	if len(groups) != 1 || groups[0].(map[string]any)["value"] != gid || groups[0].(map[string]any)["display"] != "Eng" {
		t.Fatalf("groups = %v", r.Body["groups"])
	}
	// A list names them too, read for the whole page at once: a page of every user, and one
	// through a filter no index answers.
	other := e.createUser("alice@example.com", "ext-2")
	for _, path := range []string{"/scim/v2/Users", "/scim/v2/Users?filter=" + query(`userName co "example.com"`)} {
		seen := 0
		for _, u := range resources(e.do("GET", path, nil).must(t, 200)) {
			gs, _ := u["groups"].([]any)
			switch u["id"] {
			case id:
				seen++
				if len(gs) != 1 || gs[0].(map[string]any)["value"] != gid || gs[0].(map[string]any)["display"] != "Eng" {
					t.Errorf("%s: bjensen's groups = %v", path, u["groups"])
				}
			case other:
				seen++
				if len(gs) != 0 {
					t.Errorf("%s: alice's groups = %v, want none", path, u["groups"])
				}
			}
		}
		if seen != 2 {
			t.Errorf("%s listed %d of the two users", path, seen)
		}
	}
	// A PUT's groups are ignored: membership changes only through the group.
	put := userBody("bjensen@example.com", "ext-1")
	put["groups"] = []any{}
	r = e.do("PUT", "/scim/v2/Users/"+id, put).must(t, 200)
	if groups, _ := r.Body["groups"].([]any); len(groups) != 1 {
		t.Errorf("PUT with groups [] changed membership: %v", r.Body["groups"])
	}
}

// R8 on update: a PATCH or PUT to a userName another user holds is 409 and changes nothing.
func TestUpdateToTakenUserName(t *testing.T) {
	e := newEnv(t)
	e.createUser("first@example.com", "ext-1")
	id := e.createUser("second@example.com", "ext-2")
	before := e.snapshot()
	e.do("PATCH", "/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"userName","value":"FIRST@example.com"}]}`).mustSCIMError(t, 409, "uniqueness")
	e.do("PUT", "/scim/v2/Users/"+id, userBody("first@example.com", "ext-2")).mustSCIMError(t, 409, "uniqueness")
	if e.snapshot() != before {
		t.Error("a refused update changed the store")
	}
}

// A write answers with the user as its transaction wrote it, groups included: the adopted
// JIT user keeps the groups its login gave it, and a PATCH or PUT shows them too.
func TestWriteAnswersShowGroups(t *testing.T) {
	e := newEnv(t)
	jit, err := e.svc.Login(t.Context(), directory.Login{IdP: "okta", UniqueUserID: "00u-9", Email: "pat@example.com",
		Groups: []string{"Eng"}, GroupsAsserted: true})
	if err != nil {
		t.Fatal(err)
	}
	wantGroups := func(r response) {
		t.Helper()
		groups, _ := r.Body["groups"].([]any)
		if len(groups) != 1 {
			t.Fatalf("groups = %v, want Eng", r.Body["groups"])
		}
		if g, _ := groups[0].(map[string]any); g["display"] != "Eng" || g["value"] == "" {
			t.Errorf("group = %v", g)
		}
	}
	r := e.do("POST", "/scim/v2/Users", userBody("pat@example.com", "00u-9")).must(t, 201)
	if r.str("id") != jit.ID {
		t.Fatalf("the POST did not adopt the JIT user: %s", r.Raw)
	}
	wantGroups(r)
	wantGroups(e.do("PATCH", "/scim/v2/Users/"+jit.ID, patchBody(`{"op":"replace","path":"title","value":"Lead"}`)).must(t, 200))
	wantGroups(e.do("PUT", "/scim/v2/Users/"+jit.ID, userBody("pat@example.com", "00u-9")).must(t, 200))
	sel := e.do("PATCH", "/scim/v2/Users/"+jit.ID+"?attributes=groups", patchBody(`{"op":"replace","path":"title","value":"Head"}`)).must(t, 200)
	wantGroups(sel)
	if _, ok := sel.Body["title"]; ok {
		t.Errorf("attributes=groups answered the title too: %s", sel.Raw)
	}
}
