package conformance

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/testidp"
)

func randomSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// TestJITWithoutSession: the session endpoints answer 401 to a stranger, and the SSO routes of
// an IdP that does not exist answer 404.
func TestJITWithoutSession(t *testing.T) {
	for path, want := range map[string]int{
		"/api/v1/me":   http.StatusUnauthorized,
		"/auth/verify": http.StatusUnauthorized,
		"/sso/no-such-idp-" + randomSuffix() + "/saml/metadata": http.StatusNotFound,
		"/sso/no-such-idp-" + randomSuffix() + "/login":         http.StatusNotFound,
	} {
		resp, err := http.Get(target.BaseURL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	resp, err := http.Get(target.BaseURL + "/sso/x/login?return_to=" + "%2F%2Fevil.example")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusFound || resp.StatusCode == http.StatusSeeOther {
		t.Errorf("a protocol-relative return_to was redirected: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// adminJSON calls the admin API and decodes its answer.
func adminJSON(t *testing.T, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, target.BaseURL+"/admin/api/v1"+path, rd)
	req.Header.Set("Authorization", "Bearer "+target.AdminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, raw)
		}
	}
	return resp.StatusCode
}

// wantRedirect fails the test unless resp, the answer of step, redirects to the path want.
func wantRedirect(t *testing.T, step string, resp *http.Response, want string) {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
		t.Fatalf("%s: %d, want a redirect", step, resp.StatusCode)
	}
	if loc := resp.Header.Get("Location"); loc != want && !strings.HasSuffix(loc, want) {
		t.Errorf("%s redirected to %q, want %s", step, loc, want)
	}
}

// signedIn returns the user GET /api/v1/me answers for the browser, which must be signed in.
func signedIn(t *testing.T, b *testidp.Browser) map[string]any {
	t.Helper()
	resp, body := b.Visit(target.BaseURL + "/api/v1/me")
	var me map[string]any
	if err := json.Unmarshal([]byte(body), &me); resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("/api/v1/me: %d %v\n%s", resp.StatusCode, err, body)
	}
	return me
}

// TestJITSAMLSignIn registers a SAML IdP through the admin API, signs a person in through it
// the way a browser does, and checks the session surfaces and the event that explains the
// login. It needs the admin token (-admin-token) and the admin API.
func TestJITSAMLSignIn(t *testing.T) {
	if target.AdminToken == "" {
		t.Skip("no -admin-token: the JIT sign-in test registers its IdP through the admin API")
	}
	ji := testidp.NewSAML(t)
	id := "conf-saml-" + randomSuffix()
	var created map[string]any
	status := adminJSON(t, http.MethodPost, "/idps", map[string]any{
		"id": id, "name": "Conformance SAML", "protocol": "saml", "mode": "jit", "preset": "okta",
		"saml":           map[string]any{"metadata_xml": ji.MetadataXML(t)},
		"default_groups": []string{"conformance-everyone"},
	}, &created)
	if status == http.StatusNotFound || status == http.StatusMethodNotAllowed {
		t.Skipf("the admin API does not offer POST /idps (%d)", status)
	}
	if status != http.StatusCreated && status != http.StatusOK {
		t.Fatalf("POST /idps: %d", status)
	}
	t.Cleanup(func() { adminJSON(t, http.MethodDelete, "/idps/"+id+"?force=true", nil, nil) })
	for _, k := range []string{"sp_entity_id", "acs_url", "sp_metadata_url"} {
		if s, _ := created[k].(string); !strings.HasPrefix(s, "http") {
			t.Errorf("the created IdP's %s = %v, want a URL", k, created[k])
		}
	}
	if s, _ := created["acs_url"].(string); !strings.HasSuffix(s, "/sso/"+id+"/saml/acs") {
		t.Errorf("acs_url %q", s)
	}

	var before struct {
		NextAfter json.Number `json:"next_after"`
	}
	adminJSON(t, http.MethodGet, "/events?limit=1000", nil, &before)

	uid := "conf-" + randomSuffix()
	ji.SignIn(testidp.Person{NameID: uid, Attrs: testidp.Attrs("uniqueUserId", uid, "firstName", "Con", "lastName", "Formance",
		"email", uid+"@example.com")})
	b := testidp.NewBrowser(t)
	form := b.SAMLForm(target.BaseURL + "/sso/" + id + "/login?return_to=%2Fwelcome")
	resp, _ := b.Submit(form)
	wantRedirect(t, "ACS", resp, "/welcome")

	me := signedIn(t, b)
	for _, k := range []string{"id", "userName", "displayName", "name", "emails", "active", "idp", "uniqueUserId",
		"externalId", "owner", "groups", "lastLoginAt", "meta"} {
		if _, ok := me[k]; !ok {
			t.Errorf("/api/v1/me lacks %q: %v", k, me)
		}
	}
	if me["idp"] != id || me["uniqueUserId"] != uid || me["owner"] != "jit" || me["active"] != true {
		t.Errorf("/api/v1/me = %v", me)
	}
	if name, _ := me["name"].(map[string]any); name["givenName"] != "Con" || name["familyName"] != "Formance" {
		t.Errorf("name = %v", me["name"])
	}

	vr, err := b.Follow.Get(target.BaseURL + "/auth/verify")
	if err != nil {
		t.Fatal(err)
	}
	vr.Body.Close()
	if vr.StatusCode != http.StatusNoContent || vr.Header.Get("X-Roster-User-Id") != me["id"] ||
		vr.Header.Get("X-Roster-User-Email") != uid+"@example.com" {
		t.Errorf("/auth/verify: %d %v", vr.StatusCode, vr.Header)
	}

	var evs struct {
		Items []map[string]any `json:"items"`
	}
	adminJSON(t, http.MethodGet, "/events?limit=1000&after="+before.NextAfter.String(), nil, &evs)
	found := false
	for _, ev := range evs.Items {
		if ev["type"] == "user.created" && ev["subject"] == me["id"] && ev["rule"] == "R2" {
			found = true
		}
	}
	if !found {
		t.Errorf("no user.created event by R2 for %v among %v", me["id"], evs.Items)
	}

	// The same response posted again, from another browser, signs nobody in.
	other := testidp.NewBrowser(t)
	if rr, _ := other.Submit(form); rr.StatusCode != http.StatusForbidden && rr.StatusCode != http.StatusBadRequest {
		t.Errorf("replayed response: %d, want 403 or 400", rr.StatusCode)
	}
	if mr, err := other.Follow.Get(target.BaseURL + "/api/v1/me"); err != nil {
		t.Fatal(err)
	} else if mr.Body.Close(); mr.StatusCode != http.StatusUnauthorized {
		t.Errorf("the replaying browser has a session: %d", mr.StatusCode)
	}

	lr, err := b.Follow.Post(target.BaseURL+"/sso/logout", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	lr.Body.Close()
	if mr, _ := b.Visit(target.BaseURL + "/api/v1/me"); mr.StatusCode != http.StatusUnauthorized {
		t.Errorf("/api/v1/me after logout: %d, want 401", mr.StatusCode)
	}
}
