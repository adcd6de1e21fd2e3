package scim

import (
	"testing"
)

// If-Match on /Groups: a matching tag lets PUT, PATCH and DELETE through, a stale or foreign
// one is 412 and changes nothing.
func TestGroupETags(t *testing.T) {
	e := newEnv(t)
	member := e.createUser("m@example.com", "m")
	created := e.do("POST", "/scim/v2/Groups", map[string]any{"schemas": []string{groupSchemaURN}, "displayName": "Eng"}).must(t, 201)
	gid, tag := created.str("id"), created.Header.Get("ETag")
	if tag != `W/"1"` {
		t.Fatalf("ETag of a new group = %q", tag)
	}
	if got := e.do("GET", "/scim/v2/Groups/"+gid, nil).must(t, 200).Header.Get("ETag"); got != tag {
		t.Fatalf("GET ETag %q, POST said %q", got, tag)
	}
	put := map[string]any{"schemas": []string{groupSchemaURN}, "displayName": "Engineering"}
	patch := patchBody(`{"op":"add","path":"members","value":[{"value":"` + member + `"}]}`)

	// Matching tags: each write moves the version on.
	r := e.do("PUT", "/scim/v2/Groups/"+gid, put, "If-Match", tag).must(t, 200)
	if r.Header.Get("ETag") != `W/"2"` || r.str("displayName") != "Engineering" {
		t.Fatalf("PUT with a matching If-Match: ETag %q, body %s", r.Header.Get("ETag"), r.Raw)
	}
	stale, tag := tag, r.Header.Get("ETag")
	r = e.do("PATCH", "/scim/v2/Groups/"+gid, patch, "If-Match", tag).must(t, 204)
	if r.Header.Get("ETag") != `W/"3"` {
		t.Fatalf("PATCH with a matching If-Match: ETag %q", r.Header.Get("ETag"))
	}
	afterPatch := r.Header.Get("ETag")

	// Stale and foreign tags: 412, nothing changes.
	before := e.snapshot()
	for _, bad := range []string{stale, tag, `"garbage"`} {
		e.do("PUT", "/scim/v2/Groups/"+gid, put, "If-Match", bad).mustSCIMError(t, 412, "")
		e.do("PATCH", "/scim/v2/Groups/"+gid, patchBody(`{"op":"replace","path":"displayName","value":"Stale"}`), "If-Match", bad).mustSCIMError(t, 412, "")
		e.do("DELETE", "/scim/v2/Groups/"+gid, nil, "If-Match", bad).mustSCIMError(t, 412, "")
	}
	if e.snapshot() != before {
		t.Error("a stale If-Match changed the store")
	}
	g := e.do("GET", "/scim/v2/Groups/"+gid, nil).must(t, 200)
	if g.str("displayName") != "Engineering" || len(g.Body["members"].([]any)) != 1 {
		t.Errorf("group after refused writes: %s", g.Raw)
	}

	// "*" matches any version.
	e.do("PATCH", "/scim/v2/Groups/"+gid, patchBody(`{"op":"replace","path":"displayName","value":"Eng"}`), "If-Match", "*").must(t, 204)
	e.do("DELETE", "/scim/v2/Groups/"+gid, nil, "If-Match", afterPatch).mustSCIMError(t, 412, "")
	e.do("DELETE", "/scim/v2/Groups/"+gid, nil, "If-Match", `W/"4"`).must(t, 204)
	e.do("GET", "/scim/v2/Groups/"+gid, nil).mustSCIMError(t, 404, "")
}
