package webhooks_test

import (
	"context"
	"encoding/base64"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/admin/webhooks"
	"github.com/rosterhq/roster/directory"
)

type errorBody struct {
	Error string `json:"error"`
}

// TestAPIRefusesBadInput: every bad request gets its status and a JSON error, and nothing is
// stored.
func TestAPIRefusesBadInput(t *testing.T) {
	e := newEnv(t)
	e.idp("okta")
	_, scimSecret, err := e.svc.CreateToken(context.Background(), "admin:test", directory.TokenSCIM, "okta", "scim", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	h := e.api(webhooks.New(e.svc, fastConfig()))
	const coll = "/admin/api/v1/webhooks"
	valid := `{"url":"https://example.com/hook"}`
	for _, tc := range []struct {
		name         string
		method, path string
		token        string
		body         string
		status       int
		errHas       []string
	}{
		{"no token", "POST", coll, "", valid, 401, []string{"token"}},
		{"unknown token", "POST", coll, "rst_admin_nope-nope-nope", valid, 401, []string{"token"}},
		{"SCIM token is not an admin token", "POST", coll, scimSecret, valid, 401, []string{"token"}},
		{"no token on list", "GET", coll, "", "", 401, nil},
		{"no token on unknown id", "GET", coll + "/nope", "", "", 401, nil},
		{"empty body", "POST", coll, adminToken, "", 400, []string{"empty"}},
		{"broken JSON", "POST", coll, adminToken, `{"url":`, 400, []string{"JSON"}},
		{"url of wrong type", "POST", coll, adminToken, `{"url": 5}`, 400, []string{"url"}},
		{"event_types of wrong type", "POST", coll, adminToken, `{"url":"https://example.com","event_types":"user.*"}`, 400, []string{"event_types"}},
		{"unknown field", "POST", coll, adminToken, `{"url":"https://example.com","secret":"whsec_mine"}`, 400, []string{"secret"}},
		{"trailing data", "POST", coll, adminToken, valid + `{}`, 400, []string{"after"}},
		{"array body", "POST", coll, adminToken, `[]`, 400, nil},
		{"too large", "POST", coll, adminToken, `{"url":"https://example.com","event_types":["` + strings.Repeat("a", 1<<20) + `"]}`, 413, []string{"1 MiB"}},
		{"missing url", "POST", coll, adminToken, `{}`, 400, []string{"url is required"}},
		{"relative url", "POST", coll, adminToken, `{"url":"/hook"}`, 400, []string{"not absolute"}},
		{"ftp url", "POST", coll, adminToken, `{"url":"ftp://example.com/hook"}`, 400, []string{"scheme \"ftp\""}},
		{"no host", "POST", coll, adminToken, `{"url":"https:///hook"}`, 400, []string{"no host"}},
		{"userinfo", "POST", coll, adminToken, `{"url":"https://user:pw@example.com/hook"}`, 400, []string{"user information"}},
		{"unparsable url", "POST", coll, adminToken, `{"url":"http://exa mple.com:x/"}`, 400, []string{"does not parse"}},
		{"every problem at once", "POST", coll, adminToken,
			`{"url":"ftp://user@/x","event_types":["User.Created","user.","*.x"],"org":"default","idp":"nope"}`, 400,
			[]string{"scheme \"ftp\"", "no host", "user information", `"User.Created"`, `"user."`, `"*.x"`, `organization "default" has no IdP "nope"`}},
		{"unknown idp", "POST", coll, adminToken, `{"url":"https://example.com/hook","idp":"nope"}`, 404, []string{`IdP "nope" does not exist`}},
		{"unknown org", "POST", coll, adminToken, `{"url":"https://example.com/hook","org":"nope"}`, 404, []string{`organization "nope" does not exist`}},
		{"org of wrong type", "POST", coll, adminToken, `{"url":"https://example.com/hook","org":5}`, 400, []string{"org must be"}},
		{"idp of wrong type", "POST", coll, adminToken, `{"url":"https://example.com/hook","idp":["okta"]}`, 400, []string{"idp must be"}},
		{"unknown id", "GET", coll + "/nope", adminToken, "", 404, []string{`webhook "nope" does not exist`}},
		{"delete unknown id", "DELETE", coll + "/nope", adminToken, "", 404, nil},
		{"resume unknown id", "POST", coll + "/nope/resume", adminToken, "", 404, nil},
		{"replay unknown id", "POST", coll + "/nope/replay", adminToken, `{"from_seq":1}`, 404, nil},
		{"unknown sub-route", "POST", coll + "/nope/pause", adminToken, "", 404, nil},
		// As on every admin route, a method the route does not have is no endpoint at all.
		{"wrong method on collection", "PUT", coll, adminToken, valid, 404, []string{"no such endpoint"}},
		{"wrong method on resume", "GET", coll + "/x/resume", adminToken, "", 404, []string{"no such endpoint"}},
		{"outside the prefix", "GET", "/admin/api/v1/webhooksx", adminToken, "", 404, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var eb errorBody
			code := call(t, h, tc.method, tc.path, tc.token, tc.body, &eb)
			if code != tc.status {
				t.Fatalf("status %d, want %d (%q)", code, tc.status, eb.Error)
			}
			if eb.Error == "" {
				t.Error("no error message")
			}
			for _, s := range tc.errHas {
				if !strings.Contains(eb.Error, s) {
					t.Errorf("error %q lacks %q", eb.Error, s)
				}
			}
		})
	}
	var list struct{ Items []webhooks.Webhook }
	if code := call(t, h, "GET", coll, adminToken, nil, &list); code != 200 || len(list.Items) != 0 {
		t.Errorf("after bad requests: %d, %d webhooks stored", code, len(list.Items))
	}
	stored := 0
	_ = e.svc.View(context.Background(), func(tx directory.ReadTx) error {
		for _, ns := range []string{"webhook", "webhook.state", "webhook.lease"} {
			_ = tx.ScanKV(ns, time.Now(), func(string, []byte) error { stored++; return nil })
		}
		return nil
	})
	if stored != 0 {
		t.Errorf("%d webhook KV entries stored after bad requests", stored)
	}
}

// TestAPILifecycle: create shows the secret once; get and list never show it again; replay
// checks its input; delete removes the webhook.
func TestAPILifecycle(t *testing.T) {
	e := newEnv(t)
	e.idp("okta")
	h := e.api(webhooks.New(e.svc, fastConfig()))
	const coll = "/admin/api/v1/webhooks"

	var created webhooks.Webhook
	if code := call(t, h, "POST", coll, adminToken, `{"url":" https://example.com/hook?x=1 ","event_types":["user.*","group.created","user.*"],"idp":"okta"}`, &created); code != 201 {
		t.Fatalf("create: %d", code)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(created.Secret, "whsec_"))
	if !strings.HasPrefix(created.Secret, "whsec_") || err != nil || len(key) < 24 || len(key) > 32 {
		t.Errorf("secret %q is not whsec_ and base64 of 24-32 bytes", created.Secret)
	}
	if created.URL != "https://example.com/hook?x=1" || created.IdP != "okta" || len(created.EventTypes) != 2 ||
		created.Status != "active" || created.Failures != 0 || created.LastAttempt != nil {
		t.Errorf("created: %+v", created)
	}

	for _, path := range []string{coll, coll + "/" + created.ID} {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 || strings.Contains(rec.Body.String(), created.Secret) || strings.Contains(rec.Body.String(), `"secret"`) {
			t.Errorf("GET %s: %d, shows the secret: %s", path, rec.Code, rec.Body)
		}
		if !strings.Contains(rec.Body.String(), created.ID) {
			t.Errorf("GET %s does not list the webhook: %s", path, rec.Body)
		}
	}

	var eb errorBody
	if code := call(t, h, "POST", coll+"/"+created.ID+"/replay", adminToken, `{}`, &eb); code != 400 || !strings.Contains(eb.Error, "from_seq") {
		t.Errorf("replay without from_seq: %d %q", code, eb.Error)
	}
	if code := call(t, h, "POST", coll+"/"+created.ID+"/replay", adminToken, `{"from_seq":99999}`, &eb); code != 400 || !strings.Contains(eb.Error, "beyond") {
		t.Errorf("replay beyond the log: %d %q", code, eb.Error)
	}
	if code := call(t, h, "POST", coll+"/"+created.ID+"/replay", adminToken, `{"from_seq":-1}`, &eb); code != 400 {
		t.Errorf("replay from -1: %d %q", code, eb.Error)
	}
	if got := getWebhook(t, h, created.ID); got.Cursor != created.Cursor {
		t.Errorf("refused replays moved the cursor: %d, was %d", got.Cursor, created.Cursor)
	}
	var replayed webhooks.Webhook
	if code := call(t, h, "POST", coll+"/"+created.ID+"/replay", adminToken, `{"from_seq":1}`, &replayed); code != 200 || replayed.Cursor != 0 {
		t.Errorf("replay from 1: %d cursor %d", code, replayed.Cursor)
	}

	var fromStart webhooks.Webhook
	if code := call(t, h, "POST", coll, adminToken, `{"url":"http://127.0.0.1:9/x","from_seq":2}`, &fromStart); code != 201 || fromStart.Cursor != 1 {
		t.Errorf("create from seq 2: %d cursor %d", code, fromStart.Cursor)
	}

	if code := call(t, h, "DELETE", coll+"/"+created.ID, adminToken, nil, nil); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if code := call(t, h, "GET", coll+"/"+created.ID, adminToken, nil, &eb); code != 404 {
		t.Errorf("get after delete: %d", code)
	}
	var list struct{ Items []webhooks.Webhook }
	if call(t, h, "GET", coll, adminToken, nil, &list); len(list.Items) != 1 || list.Items[0].ID != fromStart.ID {
		t.Errorf("list after delete: %+v", list.Items)
	}
}

// TestRoutes: mounted in gin with the rest of the admin API, as Roster serves them, the routes
// reach the handler for every path of the API, and the admin API's own routes still answer.
func TestRoutes(t *testing.T) {
	e := newEnv(t)
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	admin.New(e.svc, admin.Config{Webhooks: webhooks.New(e.svc, fastConfig())}).Routes(r)
	var created webhooks.Webhook
	if code := call(t, r, "POST", "/admin/api/v1/webhooks", adminToken, `{"url":"https://example.com/h"}`, &created); code != 201 {
		t.Fatalf("create via gin: %d", code)
	}
	for _, tc := range []struct {
		method, path string
		body         string
		status       int
	}{
		{"GET", "/admin/api/v1/webhooks", "", 200},
		{"GET", "/admin/api/v1/webhooks/" + created.ID, "", 200},
		{"POST", "/admin/api/v1/webhooks/" + created.ID + "/resume", "", 200},
		{"POST", "/admin/api/v1/webhooks/" + created.ID + "/replay", `{"from_seq":1}`, 200},
		{"DELETE", "/admin/api/v1/webhooks/" + created.ID, "", 204},
		{"GET", "/admin/api/v1/webhooks/" + created.ID, "", 404},
	} {
		if code := call(t, r, tc.method, tc.path, adminToken, tc.body, nil); code != tc.status {
			t.Errorf("%s %s via gin: %d, want %d", tc.method, tc.path, code, tc.status)
		}
	}
	var orgs struct{ Items []struct{ ID string } }
	if code := call(t, r, "GET", "/admin/api/v1/orgs", adminToken, nil, &orgs); code != 200 || len(orgs.Items) != 1 {
		t.Errorf("neighbouring route GET /orgs: %d %+v", code, orgs.Items)
	}
}
