package scim

import "testing"

// FuzzNormalizeBody checks that no body makes the vendor normaliser, the schema validation or
// the PATCH resolution after it panic, whatever the method and resource.
func FuzzNormalizeBody(f *testing.F) {
	f.Add("PATCH", "/Users/x", []byte(`{"Operations":[{"op":"Replace","path":"active","value":"False"},{"op":"replace","value":{"title":null,"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":""}}}]}`))
	f.Add("POST", "/Users", []byte(`{"schemas":["urn:scim:schemas:core:1.0"],"userName":"x","emails":[{"primary":"True"}],"addresses":null}`))
	f.Add("PUT", "/Groups/x", []byte(`{"members":[{"$ref":null,"value":"a"}]}`))
	f.Add("POST", "/Users", []byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, method, path string, body []byte) {
		obj, ops, se := normalizeBody(method, path, body)
		if se == nil && obj == nil && len(ops) == 0 {
			t.Fatal("no body and no error")
		}
		rt := resourceTypeOf(path)
		if obj != nil {
			_, _ = rt.validate(obj)
		}
		if ops != nil {
			_, _ = rt.resolvePatch(ops)
		}
	})
}

// FuzzPatchUser sends arbitrary PATCH bodies for a real user through the whole handler: the
// answer is never a 500, and a refused PATCH leaves the user unchanged.
func FuzzPatchUser(f *testing.F) {
	for _, s := range []string{
		`{"Operations":[{"op":"Replace","path":"active","value":"False"}]}`,
		`{"Operations":[{"op":"replace","value":{"name.givenName":"x","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":null}}]}`,
		`{"Operations":[{"op":"add","path":"emails[type eq \"work\"].value","value":"a@b"}]}`,
		`{"Operations":[{"op":"remove","path":"emails[type eq \"work\"]"}]}`,
		`{"Operations":[{"op":"add","path":"name","value":{"givenName":7}}]}`,
		`{"Operations":[{"op":"replace","path":"emails","value":[{"value":"x","primary":true},{"value":"y","primary":true}]}]}`,
	} {
		f.Add(s)
	}
	e := newEnv(f)
	id := e.createUserFuzz(f)
	f.Fuzz(func(t *testing.T, body string) {
		e.t = t
		before := e.user(id)
		r := e.do("PATCH", "/scim/v2/Users/"+id, body)
		if r.Status >= 500 {
			t.Fatalf("PATCH %s answered %d: %s", body, r.Status, r.Raw)
		}
		if r.Status >= 400 {
			if after := e.user(id); after.Meta.Version != before.Meta.Version {
				t.Fatalf("a refused PATCH (%d) changed the user", r.Status)
			}
		}
	})
}
