package conformance

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// RFC 7643 / RFC 7644 behaviour every SCIM service provider owes its clients.

func TestSCIMAuthentication(t *testing.T) {
	for name, token := range map[string]string{"missing": "", "wrong": "not-a-valid-token-" + scimUnique()} {
		t.Run(name, func(t *testing.T) {
			scimDoToken(t, token, "GET", "/Users", nil).wantError(t, 401, "")
		})
	}
}

func TestSCIMDiscovery(t *testing.T) {
	spc := scimDo(t, "GET", "/ServiceProviderConfig", nil).want(t, 200)
	for _, feature := range []string{"patch", "bulk", "filter", "changePassword", "sort", "etag"} {
		m, ok := spc.Body[feature].(map[string]any)
		if _, isBool := m["supported"].(bool); !ok || !isBool {
			t.Errorf("ServiceProviderConfig.%s.supported missing: %s", feature, spc.Raw)
		}
	}
	if f, _ := spc.Body["filter"].(map[string]any); f["supported"] == true {
		if n, _ := f["maxResults"].(float64); n < 1 {
			t.Errorf("filter supported but maxResults = %v", f["maxResults"])
		}
	}
	if schemes, _ := spc.Body["authenticationSchemes"].([]any); len(schemes) == 0 {
		t.Error("no authenticationSchemes")
	}
	schemas := scimDo(t, "GET", "/Schemas", nil)
	schemas.wantListResponse(t, -1)
	ids := map[string]bool{}
	for _, s := range schemas.resources() {
		ids[fmt.Sprint(s["id"])] = true
	}
	for _, id := range []string{scimUserURN, scimGroupURN} {
		if !ids[id] {
			t.Errorf("/Schemas lacks %s", id)
		}
	}
	rts := scimDo(t, "GET", "/ResourceTypes", nil)
	rts.wantListResponse(t, -1)
	endpoints := map[string]bool{}
	for _, rt := range rts.resources() {
		endpoints[fmt.Sprint(rt["endpoint"])] = true
	}
	if !endpoints["/Users"] || !endpoints["/Groups"] {
		t.Errorf("ResourceTypes endpoints = %v", endpoints)
	}
}

func TestSCIMUserLifecycle(t *testing.T) {
	id, userName, externalID := scimNewUser(t, map[string]any{"displayName": "Conf User", "title": "Tester"})
	got := scimDo(t, "GET", "/Users/"+url.PathEscape(id), nil).want(t, 200)
	wantResourceShape(t, got.Body, "User")
	if got.s("userName") != userName || got.s("externalId") != externalID || got.s("title") != "Tester" || got.Body["active"] != true {
		t.Errorf("GET echoes %s", got.Raw)
	}
	etag := got.Header.Get("ETag")

	// PUT replaces; an omitted active does not deactivate.
	put := scimDo(t, "PUT", "/Users/"+id, map[string]any{
		"schemas": []string{scimUserURN}, "userName": userName, "externalId": externalID, "displayName": "Renamed",
	}).want(t, 200)
	if put.s("displayName") != "Renamed" || put.Body["title"] != nil || put.Body["active"] != true {
		t.Errorf("PUT: %s", put.Raw)
	}
	if etag != "" && put.Header.Get("ETag") == etag {
		t.Error("the ETag did not change on a write")
	}

	patch := scimDo(t, "PATCH", "/Users/"+id, map[string]any{"schemas": []string{scimPatchURN}, "Operations": []any{
		map[string]any{"op": "replace", "path": "active", "value": false},
		map[string]any{"op": "add", "path": "nickName", "value": "Confy"},
	}})
	if patch.Status != 200 && patch.Status != 204 {
		t.Fatalf("PATCH: %d %s", patch.Status, patch.Raw)
	}
	got = scimDo(t, "GET", "/Users/"+id, nil).want(t, 200)
	if got.Body["active"] != false || got.s("nickName") != "Confy" {
		t.Errorf("after PATCH: %s", got.Raw)
	}
	scimDo(t, "DELETE", "/Users/"+id, nil).want(t, 204)
	scimDo(t, "GET", "/Users/"+id, nil).wantError(t, 404, "")
}

func TestSCIMUnknownIDIs404(t *testing.T) {
	scimDo(t, "GET", "/Users/"+scimGUID(), nil).wantError(t, 404, "")
	scimDo(t, "GET", "/Groups/"+scimGUID(), nil).wantError(t, 404, "")
	scimDo(t, "DELETE", "/Users/"+scimGUID(), nil).wantError(t, 404, "")
}

func TestSCIMDuplicateUserNameIs409(t *testing.T) {
	_, userName, _ := scimNewUser(t, nil)
	r := scimDo(t, "POST", "/Users", map[string]any{"schemas": []string{scimUserURN}, "userName": strings.ToUpper(userName), "externalId": "ext-" + scimUnique()})
	if r.Status == 201 {
		scimCleanup(t, "/Users/"+r.s("id"))
	}
	r.wantError(t, 409, "uniqueness")
}

func TestSCIMFilters(t *testing.T) {
	id, userName, externalID := scimNewUser(t, map[string]any{"title": "Filter Target " + scimUnique()})
	cases := []struct {
		filter string
		match  bool
	}{
		{`userName eq "` + userName + `"`, true},
		{`userName eq "` + strings.ToUpper(userName) + `"`, true},
		{`externalId eq "` + externalID + `"`, true},
		{`emails.value eq "` + userName + `"`, true},
		{`emails[type eq "work" and value eq "` + userName + `"]`, true},
		{`userName sw "` + userName[:12] + `" and active eq true`, true},
		{`userName eq "` + userName + `" and not (title pr)`, false},
		{`userName ew "@example.com" and userName co "` + userName[5:17] + `"`, true},
		{`(userName eq "nobody" or externalId eq "` + externalID + `")`, true},
		{`userName eq "` + userName + `" and userName ne "` + userName + `"`, false},
		{`meta.lastModified gt "2000-01-01T00:00:00Z" and userName eq "` + userName + `"`, true},
	}
	for _, c := range cases {
		t.Run(c.filter, func(t *testing.T) {
			r := scimDo(t, "GET", "/Users?"+filterQuery(c.filter), nil)
			found := false
			for _, u := range r.resources() {
				found = found || u["id"] == id
			}
			r.wantListResponse(t, -1)
			if found != c.match {
				t.Errorf("match = %v, want %v: %s", found, c.match, r.Raw)
			}
		})
	}
	scimDo(t, "GET", "/Users?"+filterQuery(`userName eq`), nil).wantError(t, 400, "invalidFilter")
	scimDo(t, "GET", "/Users?"+filterQuery(`userName eq "x" and (`), nil).wantError(t, 400, "invalidFilter")
}

func TestSCIMPagingIsStable(t *testing.T) {
	tag := scimUnique()
	want := map[string]bool{}
	for i := range 5 {
		id, _, _ := scimNewUser(t, map[string]any{"title": "page-" + tag, "displayName": fmt.Sprint("P", i)})
		want[id] = true
	}
	f := filterQuery(`title eq "page-` + tag + `"`)
	seen := map[string]bool{}
	for start := 1; start <= 5; start += 2 {
		r := scimDo(t, "GET", fmt.Sprintf("/Users?%s&startIndex=%d&count=2", f, start), nil)
		r.wantListResponse(t, 5)
		if r.Body["startIndex"] != float64(start) {
			t.Errorf("startIndex = %v", r.Body["startIndex"])
		}
		for _, u := range r.resources() {
			id := u["id"].(string)
			if seen[id] {
				t.Errorf("%s seen on two pages", id)
			}
			seen[id] = true
		}
	}
	if len(seen) != 5 {
		t.Errorf("paging saw %d of 5 users", len(seen))
	}
	zero := scimDo(t, "GET", "/Users?"+f+"&count=0", nil)
	zero.wantListResponse(t, 5)
	if len(zero.resources()) != 0 {
		t.Errorf("count=0 returned resources")
	}
}

func TestSCIMAttributeSelection(t *testing.T) {
	id, userName, _ := scimNewUser(t, nil)
	r := scimDo(t, "GET", "/Users/"+id+"?attributes=userName", nil).want(t, 200)
	if r.s("id") != id || r.s("userName") != userName || r.Body["emails"] != nil {
		t.Errorf("attributes=userName: %s", r.Raw)
	}
	r = scimDo(t, "GET", "/Users/"+id+"?excludedAttributes=emails", nil).want(t, 200)
	if r.s("id") != id || r.Body["emails"] != nil || r.s("userName") != userName {
		t.Errorf("excludedAttributes=emails: %s", r.Raw)
	}
}

func TestSCIMETagPreconditions(t *testing.T) {
	id, _, _ := scimNewUser(t, nil)
	got := scimDo(t, "GET", "/Users/"+id, nil).want(t, 200)
	etag := got.Header.Get("ETag")
	if etag == "" {
		t.Skip("the server does not send ETags")
	}
	scimDo(t, "GET", "/Users/"+id, nil, "If-None-Match", etag).want(t, 304)
	body := map[string]any{"schemas": []string{scimPatchURN}, "Operations": []any{map[string]any{"op": "replace", "path": "title", "value": "v2"}}}
	scimDo(t, "PATCH", "/Users/"+id, body, "If-Match", etag).want(t, 200)
	body["Operations"] = []any{map[string]any{"op": "replace", "path": "title", "value": "stale"}}
	scimDo(t, "PATCH", "/Users/"+id, body, "If-Match", etag).wantError(t, 412, "")
	if r := scimDo(t, "GET", "/Users/"+id, nil).want(t, 200); r.s("title") != "v2" {
		t.Errorf("a stale write changed the user: %s", r.Raw)
	}
}

func TestSCIMBadInput(t *testing.T) {
	id, _, _ := scimNewUser(t, nil)
	scimDo(t, "POST", "/Users", `{"userName": `).wantError(t, 400, "")
	scimDo(t, "POST", "/Users", map[string]any{"schemas": []string{scimUserURN}, "userName": 17, "externalId": "x"}).wantError(t, 400, "")
	scimDo(t, "PATCH", "/Users/"+id, map[string]any{"schemas": []string{scimPatchURN}, "Operations": []any{
		map[string]any{"op": "remove", "path": `emails[type eq "nonexistent-` + scimUnique() + `"]`}}}).wantError(t, 400, "noTarget")
	scimDo(t, "PATCH", "/Users/"+id, map[string]any{"schemas": []string{scimPatchURN}, "Operations": []any{
		map[string]any{"op": "replace", "path": "noSuchAttribute", "value": "x"}}}).wantError(t, 400, "invalidPath")
	scimDo(t, "POST", "/Users", strings.Repeat(" ", 2<<20)+"{}").wantError(t, 413, "")
}

func TestSCIMGroups(t *testing.T) {
	u1, _, _ := scimNewUser(t, nil)
	u2, _, _ := scimNewUser(t, nil)
	name := "conf-group-" + scimUnique()
	r := scimDo(t, "POST", "/Groups", map[string]any{"schemas": []string{scimGroupURN}, "displayName": name,
		"members": []any{map[string]any{"value": u1}}}).want(t, 201)
	gid := wantResourceShape(t, r.Body, "Group")
	scimCleanup(t, "/Groups/"+gid)

	patch := func(ops ...any) {
		t.Helper()
		r := scimDo(t, "PATCH", "/Groups/"+gid, map[string]any{"schemas": []string{scimPatchURN}, "Operations": ops})
		if r.Status != 200 && r.Status != 204 {
			t.Fatalf("PATCH group: %d %s", r.Status, r.Raw)
		}
	}
	members := func() map[string]bool {
		r := scimDo(t, "GET", "/Groups/"+gid, nil).want(t, 200)
		out := map[string]bool{}
		list, _ := r.Body["members"].([]any)
		for _, m := range list {
			out[fmt.Sprint(m.(map[string]any)["value"])] = true
		}
		return out
	}
	patch(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": u2}}})
	if m := members(); !m[u1] || !m[u2] || len(m) != 2 {
		t.Errorf("after add: %v", m)
	}
	patch(map[string]any{"op": "remove", "path": `members[value eq "` + u1 + `"]`})
	if m := members(); m[u1] || !m[u2] {
		t.Errorf("after remove: %v", m)
	}
	// The user's groups attribute reflects membership.
	u := scimDo(t, "GET", "/Users/"+u2, nil).want(t, 200)
	groups, _ := u.Body["groups"].([]any)
	if len(groups) != 1 || groups[0].(map[string]any)["value"] != gid {
		t.Errorf("user groups = %v", u.Body["groups"])
	}
	lookup := scimDo(t, "GET", "/Groups?excludedAttributes=members&"+filterQuery(`displayName eq "`+name+`"`), nil)
	lookup.wantListResponse(t, 1)
	if res := lookup.resources(); len(res) == 1 && res[0]["members"] != nil {
		t.Errorf("excludedAttributes=members returned members")
	}
	scimDo(t, "DELETE", "/Groups/"+gid, nil).want(t, 204)
	scimDo(t, "GET", "/Groups/"+gid, nil).wantError(t, 404, "")
}
