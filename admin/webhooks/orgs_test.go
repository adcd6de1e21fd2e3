package webhooks_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/admin/webhooks"
	"github.com/rosterhq/roster/directory"
)

// TestWebhookOfOneOrganization: a webhook limited to organization acme gets acme's events only,
// every one of them, with "org" in each payload; a webhook of every organization gets all,
// those of no organization too; the cursor of acme's passes the others' events without a
// request.
func TestWebhookOfOneOrganization(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	okta := e.idp("okta") // organization default's
	if _, err := e.svc.CreateOrg(ctx, "admin:test", directory.Organization{ID: "acme"}); err != nil {
		t.Fatal(err)
	}
	e.AddIdP(directory.IdP{ID: "acme-okta", Org: "acme", Mode: directory.ModeBoth})
	acme := e.SCIMActor("acme-okta")
	h, _ := e.start(fastConfig())
	acmeOnly, everything := newReceiver(t), newReceiver(t)
	wAcme := createWebhook(t, h, acmeOnly, map[string]any{"org": "acme"})
	wAll := createWebhook(t, h, everything, nil)
	if wAcme.Org != "acme" || wAll.Org != "" {
		t.Fatalf("created webhooks of orgs %q and %q, want acme and every organization", wAcme.Org, wAll.Org)
	}

	e.changes(acme, "a", 20)
	e.changes(okta, "d", 20)
	if _, _, err := e.svc.CreateAdminToken(ctx, "admin:test", "ci", directory.RoleOwner, "", time.Time{}); err != nil {
		t.Fatal(err) // an event of no organization
	}
	e.changes(acme, "b", 10)
	want := e.Events(wAll.Cursor)
	var wantAcme []directory.Event
	for _, ev := range want {
		if ev.Org == "acme" {
			wantAcme = append(wantAcme, ev)
		}
	}
	if len(wantAcme) != 30 || len(want) != 51 {
		t.Fatalf("made %d events, %d of acme; want 51 and 30", len(want), len(wantAcme))
	}
	last := want[len(want)-1].Seq
	waitFor(t, "both cursors to reach the last event", time.Minute, func() bool {
		return getWebhook(t, h, wAcme.ID).Cursor == last && getWebhook(t, h, wAll.ID).Cursor == last
	})
	checkInOrder(t, acmeOnly.deliveries(), wantAcme, false)
	checkInOrder(t, everything.deliveries(), want, false)
	if n := acmeOnly.requestCount(); n != len(wantAcme) {
		t.Errorf("acme's receiver got %d requests, want %d", n, len(wantAcme))
	}
	for _, d := range everything.deliveries() {
		wantOrg := ""
		for _, ev := range want {
			if ev.Seq == d.Seq {
				wantOrg = ev.Org
			}
		}
		org, ok := d.Body["org"].(string)
		if !ok || org != wantOrg {
			t.Fatalf("payload of seq %d has org %v, want %q", d.Seq, d.Body["org"], wantOrg)
		}
		if u, ok := d.Body["user"].(map[string]any); ok && u["org"] != wantOrg {
			t.Fatalf("user snapshot of seq %d has org %v, want %q", d.Seq, u["org"], wantOrg)
		}
	}
}

// TestWebhookOrganizationAPI: "org" on create is checked against the organizations and the
// IdP, a webhook of an IdP is of the IdP's organization, and GET ?org= lists one
// organization's webhooks. (What each role may do is admin's isolation matrix.)
func TestWebhookOrganizationAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, id := range []string{"acme", "globex"} {
		if _, err := e.svc.CreateOrg(ctx, "admin:test", directory.Organization{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	e.AddIdP(directory.IdP{ID: "acme-okta", Org: "acme", Mode: directory.ModeBoth})
	h := e.api(webhooks.New(e.svc, fastConfig()))
	const coll = "/admin/api/v1/webhooks"
	for _, c := range []struct {
		body   string
		status int
		says   string
	}{
		{`{"url":"https://example.com/h","org":"initech"}`, 404, `organization "initech" does not exist`},
		{`{"url":"https://example.com/h","idp":"initech-okta"}`, 404, `IdP "initech-okta" does not exist`},
		{`{"url":"https://example.com/h","org":"globex","idp":"acme-okta"}`, 400, `organization "globex" has no IdP "acme-okta"`},
	} {
		var eb errorBody
		if code := call(t, h, "POST", coll, adminToken, c.body, &eb); code != c.status || !strings.Contains(eb.Error, c.says) {
			t.Errorf("POST %s: %d %q; want %d saying %s", c.body, code, eb.Error, c.status, c.says)
		}
	}
	var ofIdP, ofGlobex, ofAll webhooks.Webhook
	for body, out := range map[string]*webhooks.Webhook{
		`{"url":"https://example.com/a","idp":"acme-okta"}`: &ofIdP,
		`{"url":"https://example.com/g","org":"globex"}`:    &ofGlobex,
		`{"url":"https://example.com/x"}`:                   &ofAll,
	} {
		if code := call(t, h, "POST", coll, adminToken, body, out); code != 201 {
			t.Fatalf("POST %s: %d", body, code)
		}
	}
	if ofIdP.Org != "acme" || ofGlobex.Org != "globex" || ofAll.Org != "" {
		t.Errorf("orgs: of the IdP %q, of globex %q, of all %q", ofIdP.Org, ofGlobex.Org, ofAll.Org)
	}
	// Read back from the store, a webhook of every organization is still of every one (a
	// webhook stored before organizations, without "org", is default's: the upgrade tests).
	if got := getWebhook(t, h, ofAll.ID); got.Org != "" {
		t.Errorf("the webhook of every organization reads back as %q's", got.Org)
	}
	if code := call(t, h, "GET", coll+"?org=initech", adminToken, nil, &errorBody{}); code != 404 {
		t.Errorf("GET ?org= of no organization: %d, want 404", code)
	}
	for query, want := range map[string][]string{"?org=acme": {ofIdP.ID}, "?org=globex": {ofGlobex.ID}, "": {ofIdP.ID, ofGlobex.ID, ofAll.ID}} {
		var list struct{ Items []webhooks.Webhook }
		if code := call(t, h, "GET", coll+query, adminToken, nil, &list); code != 200 {
			t.Fatalf("GET %s: %d", query, code)
		}
		got := map[string]bool{}
		for _, w := range list.Items {
			got[w.ID] = true
		}
		if len(got) != len(want) {
			t.Errorf("GET %s lists %d webhooks, want %d", query, len(got), len(want))
		}
		for _, id := range want {
			if !got[id] {
				t.Errorf("GET %s misses %s", query, id)
			}
		}
	}
}
