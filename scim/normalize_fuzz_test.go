package scim

import "testing"

// FuzzNormalizeBody checks that no body makes the vendor normaliser panic, whatever the
// method and resource.
func FuzzNormalizeBody(f *testing.F) {
	f.Add("PATCH", "/Users/x", []byte(`{"Operations":[{"op":"Replace","path":"active","value":"False"},{"op":"replace","value":{"title":null,"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":""}}}]}`))
	f.Add("POST", "/Users", []byte(`{"schemas":["urn:scim:schemas:core:1.0"],"userName":"x","emails":[{"primary":"True"}],"addresses":null}`))
	f.Add("PUT", "/Groups/x", []byte(`{"members":[{"$ref":null,"value":"a"}]}`))
	f.Add("POST", "/Users", []byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, method, path string, body []byte) {
		out, _, se := normalizeBody(method, path, body)
		if se == nil && out == nil {
			t.Fatal("no body and no error")
		}
		if se == nil {
			_ = precheckResource(method, path, out)
		}
	})
}
