package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testserver"
	"github.com/rosterhq/roster/internal/teststore"
)

// scimCall sends a SCIM request with a raw body and content type.
func scimCall(t *testing.T, srv *testserver.Server, token, method, path, contentType, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+"/scim/v2"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// userJSON is a SCIM user body with its strings JSON-encoded, or spliced in raw when a value
// starts with "raw:" (for escapes that encoding/json would not write).
func userJSON(userName, externalID, email string) string {
	str := func(s string) string {
		if raw, ok := strings.CutPrefix(s, "raw:"); ok {
			return `"` + raw + `"`
		}
		b, _ := json.Marshal(s)
		return string(b)
	}
	return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":` + str(userName) +
		`,"externalId":` + str(externalID) + `,"emails":[{"value":` + str(email) + `,"type":"work"}]}`
}

// TestInputPolicyOverHTTP runs issue 17's V2 (its input half), V6, W1 and W2 through SCIM
// against both backends: what the policy refuses is a 400 naming the attribute, never a 500,
// and the same on bbolt and PostgreSQL; look-alike userNames are one user (409 uniqueness).
// On the old code the long values were 500 (bbolt past 32 KB, PostgreSQL past ~3 KB), the NUL
// was stored on bbolt and refused on PostgreSQL, and each look-alike was a second user.
func TestInputPolicyOverHTTP(t *testing.T) {
	for _, backend := range []string{"bbolt", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			cfg := testserver.Config{DiscardLog: true}
			if backend == "postgres" {
				cfg.DatabaseURL = teststore.PostgresURL(t)
			}
			srv := testserver.Start(t, cfg)
			srv.AddIdP(directory.IdP{ID: "idp-a", Mode: directory.ModeBoth})
			srv.AddIdP(directory.IdP{ID: "idp-b", Mode: directory.ModeBoth})
			_, tokA := srv.SCIMToken("idp-a")
			_, tokB := srv.SCIMToken("idp-b")
			const scimJSON = "application/scim+json"

			if status, body := scimCall(t, srv, tokB, "POST", "/Users", scimJSON, userJSON("victim@x.test", "b-1", "victim@x.test")); status != http.StatusCreated {
				t.Fatalf("IdP B's user: %d %v", status, body)
			}
			refused := []struct {
				name, contentType, body string
				status                  int
				detail                  string
			}{
				{"V2: NUL after another IdP's email", scimJSON, userJSON("mallory@x.test", "a-1", `raw:victim@x.test\u0000`), 400, "emails[0].value"},
				{"V6: userName of 33 KB", scimJSON, userJSON(strings.Repeat("u", 33<<10), "a-2", "a2@x.test"), 400, "userName"},
				{"V6: userName of 3 KB", scimJSON, userJSON(strings.Repeat("u", 3<<10), "a-3", "a3@x.test"), 400, "userName"},
				{"V6: externalId of 33 KB", scimJSON, userJSON("a4@x.test", strings.Repeat("e", 33<<10), "a4@x.test"), 400, "externalId"},
				{"V6: email of 3 KB", scimJSON, userJSON("a5@x.test", "a-5", strings.Repeat("m", 3<<10)+"@x.test"), 400, "emails[0].value"},
				{"W1: Cyrillic a in a Latin name", scimJSON, userJSON("\u0430dmin@x.test", "a-6", "a6@x.test"), 400, "userName"},
				{"W1: zero-width space", scimJSON, userJSON("ad\u200bmin@x.test", "a-7", "a7@x.test"), 400, "userName"},
				{"W2: right-to-left override", scimJSON, userJSON("admin\u202e@x.test", "a-8", "a8@x.test"), 400, "userName"},
				{"W2: invalid UTF-8", scimJSON, userJSON("raw:ann\xff@x.test", "a-9", "a9@x.test"), 400, "UTF-8"},
				{"W2: a lone surrogate", scimJSON, userJSON(`raw:ann\ud800@x.test`, "a-10", "a10@x.test"), 400, "surrogate"},
				{"W2: text/plain", "text/plain", userJSON("ann@x.test", "a-11", "a11@x.test"), 415, "application/scim+json"},
			}
			for _, c := range refused {
				t.Run(c.name, func(t *testing.T) {
					before := srv.Snapshot()
					status, body := scimCall(t, srv, tokA, "POST", "/Users", c.contentType, c.body)
					detail, _ := body["detail"].(string)
					if status != c.status || !strings.Contains(detail, c.detail) {
						t.Errorf("%d %q, want %d naming %q", status, detail, c.status, c.detail)
					}
					srv.MustUnchanged(before)
				})
			}
			// IdP B still finds its user by the email IdP A tried to shadow.
			status, list := scimCall(t, srv, tokB, "GET", "/Users?filter="+url.QueryEscape(`emails.value eq "victim@x.test"`), "", "")
			if n, _ := list["totalResults"].(float64); status != http.StatusOK || n != 1 {
				t.Errorf("IdP B's filter for its user's email: %d, %v results, want 1", status, list["totalResults"])
			}

			// Home-realm discovery takes an email alone: what the policy refuses in one is a 400
			// on both stores, never a lookup that one store answers and the other fails.
			for _, email := range []string{"ada@acme.test\x00", "ada@acme\u202e.test", "ada@acme.test\ufffd"} {
				r := testserver.Request(t, http.MethodGet, srv.URL+"/sso/discover?email="+url.QueryEscape(email), "", nil)
				if r.Status != http.StatusBadRequest {
					t.Errorf("discovery of %q: %d, want 400", email, r.Status)
				}
			}

			// W1: a look-alike of a taken userName is that userName.
			if status, body := scimCall(t, srv, tokA, "POST", "/Users", scimJSON, userJSON("stra\u00dfe@x.test", "a-20", "s@x.test")); status != http.StatusCreated {
				t.Fatalf("straße: %d %v", status, body)
			}
			for _, same := range []string{"STRASSE@X.TEST", "\uff53\uff54\uff52\uff41\uff53\uff53\uff45@x.test", "stra\u1e9ee@x.test"} {
				if status, body := scimCall(t, srv, tokA, "POST", "/Users", scimJSON, userJSON(same, "a-21", "t@x.test")); status != http.StatusConflict || body["scimType"] != "uniqueness" {
					t.Errorf("%q after straße@x.test: %d %v, want 409 uniqueness", same, status, body)
				}
			}
			if status, body := scimCall(t, srv, tokA, "POST", "/Users", scimJSON, userJSON("jos\u00e9@x.test", "a-22", "j@x.test")); status != http.StatusCreated {
				t.Fatalf("josé (NFC): %d %v", status, body)
			}
			if status, _ := scimCall(t, srv, tokA, "POST", "/Users", scimJSON, userJSON("jose\u0301@x.test", "a-23", "j2@x.test")); status != http.StatusConflict {
				t.Errorf("josé (NFD) after josé (NFC): %d, want 409", status)
			}
		})
	}
}
