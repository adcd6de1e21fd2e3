package conformance

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// scimResp is one SCIM answer: status, headers, raw body and the body as generic JSON.
type scimResp struct {
	Status int
	Header http.Header
	Raw    string
	Body   map[string]any
}

// scimDo sends one SCIM request to the server under test with the suite's token. body is sent
// verbatim when it is a string, else encoded as JSON. headers are name, value pairs; an empty
// value removes the header.
func scimDo(t *testing.T, method, path string, body any, headers ...string) scimResp {
	t.Helper()
	return scimDoToken(t, target.SCIMToken, method, path, body, headers...)
}

func scimDoToken(t *testing.T, token, method, path string, body any, headers ...string) scimResp {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, target.BaseURL+"/scim/v2"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Accept", "application/scim+json")
	if rd != nil {
		req.Header.Set("Content-Type", "application/scim+json; charset=utf-8")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	client := &http.Client{Timeout: 30 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := scimResp{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	_ = json.Unmarshal(raw, &out.Body)
	return out
}

func (r scimResp) want(t *testing.T, status int) scimResp {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body: %s", r.Status, status, r.Raw)
	}
	return r
}

func (r scimResp) s(key string) string { v, _ := r.Body[key].(string); return v }

func (r scimResp) resources() []map[string]any {
	list, _ := r.Body["Resources"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, x := range list {
		m, _ := x.(map[string]any)
		out = append(out, m)
	}
	return out
}

// wantError checks a SCIM error body (RFC 7644 §3.12): the error schema, status as a string,
// a detail, and the scimType when one is expected.
func (r scimResp) wantError(t *testing.T, status int, scimType string) {
	t.Helper()
	r.want(t, status)
	schemas, _ := r.Body["schemas"].([]any)
	if len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
		t.Errorf("error schemas = %v; body %s", r.Body["schemas"], r.Raw)
	}
	if st, _ := r.Body["status"].(string); st != itoaStatus(status) {
		t.Errorf("error status = %#v, want the string %q", r.Body["status"], itoaStatus(status))
	}
	if r.s("detail") == "" {
		t.Errorf("error without detail: %s", r.Raw)
	}
	if scimType != "" && r.s("scimType") != scimType {
		t.Errorf("scimType = %q, want %q; body %s", r.s("scimType"), scimType, r.Raw)
	}
}

func itoaStatus(n int) string { b, _ := json.Marshal(n); return string(b) }

// wantListResponse checks the list envelope (RFC 7644 §3.4.2): integers, Resources an array.
func (r scimResp) wantListResponse(t *testing.T, total int) {
	t.Helper()
	r.want(t, 200)
	schemas, _ := r.Body["schemas"].([]any)
	if len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:ListResponse" {
		t.Errorf("list schemas = %v", r.Body["schemas"])
	}
	if got, ok := r.Body["totalResults"].(float64); !ok || (total >= 0 && int(got) != total) {
		t.Errorf("totalResults = %v, want %d; body %s", r.Body["totalResults"], total, r.Raw)
	}
	if _, ok := r.Body["Resources"].([]any); !ok && total != 0 {
		t.Errorf("Resources is not an array: %s", r.Raw)
	}
	if ipp, ok := r.Body["itemsPerPage"].(float64); ok && int(ipp) != len(r.resources()) {
		t.Errorf("itemsPerPage %v but %d resources", ipp, len(r.resources()))
	}
}

var (
	scimTimeRE    = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$`)
	scimVersionRE = regexp.MustCompile(`^(W/)?"[^"]+"$`)
)

// wantResourceShape matches server-generated fields by shape: a non-empty id, meta with the
// resource type, RFC 3339 times, an absolute location ending in the id, and an entity tag.
func wantResourceShape(t *testing.T, res map[string]any, resourceType string) string {
	t.Helper()
	id, _ := res["id"].(string)
	if id == "" {
		t.Fatalf("resource without id: %v", res)
	}
	meta, _ := res["meta"].(map[string]any)
	if meta["resourceType"] != resourceType {
		t.Errorf("meta.resourceType = %v, want %s", meta["resourceType"], resourceType)
	}
	for _, k := range []string{"created", "lastModified"} {
		if s, _ := meta[k].(string); !scimTimeRE.MatchString(s) {
			t.Errorf("meta.%s = %q is not an RFC 3339 time", k, s)
		}
	}
	if loc, _ := meta["location"].(string); !strings.HasSuffix(loc, "/"+url.PathEscape(id)) || !strings.HasPrefix(loc, "http") {
		t.Errorf("meta.location = %q", loc)
	}
	if v, ok := meta["version"].(string); ok && !scimVersionRE.MatchString(v) {
		t.Errorf("meta.version = %q is not an entity tag", v)
	}
	return id
}

// scimUnique is a fresh suffix so runs against a shared server do not collide.
func scimUnique() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func scimGUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func filterQuery(f string) string { return "filter=" + url.QueryEscape(f) }

// scimCleanup deletes a resource when the test ends, whatever its outcome.
func scimCleanup(t *testing.T, path string) {
	t.Cleanup(func() {
		req, _ := http.NewRequest("DELETE", target.BaseURL+"/scim/v2"+path, nil)
		req.Header.Set("Authorization", "Bearer "+target.SCIMToken)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	})
}

const (
	scimUserURN       = "urn:ietf:params:scim:schemas:core:2.0:User"
	scimGroupURN      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	scimEnterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	scimPatchURN      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

// scimNewUser creates a user with a fresh userName and externalId and deletes it afterwards.
func scimNewUser(t *testing.T, extra map[string]any) (id, userName, externalID string) {
	t.Helper()
	u := scimUnique()
	userName, externalID = "conf-"+u+"@example.com", "ext-"+u
	body := map[string]any{
		"schemas": []string{scimUserURN}, "userName": userName, "externalId": externalID,
		"name":   map[string]any{"givenName": "Conf", "familyName": "User"},
		"emails": []any{map[string]any{"value": userName, "type": "work", "primary": true}},
	}
	for k, v := range extra {
		body[k] = v
	}
	r := scimDo(t, "POST", "/Users", body).want(t, 201)
	id = wantResourceShape(t, r.Body, "User")
	scimCleanup(t, "/Users/"+id)
	return id, userName, externalID
}
