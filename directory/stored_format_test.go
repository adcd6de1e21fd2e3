package directory_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	. "github.com/rosterhq/roster/directory"
)

// TestStateKeepsItsStoredFormat: the edges' state moved behind Service operations, but stores
// written before keep working: the same KV namespaces, keys and JSON shapes are read and
// written.
func TestStateKeepsItsStoredFormat(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	// As the webhooks package wrote them itself.
	oldConfig := `{"id":"w1","url":"https://example.com/hook","secret":"whsec_x","event_types":["user.*"],"idp":"okta","created":"2026-11-29T08:00:00Z"}`
	oldState := `{"cursor":7,"status":"failing","failures":3,"last_error":"502","last_attempt":"2026-11-29T07:59:00Z","generation":2}`
	if err := e.store.Update(e.ctx, func(tx Tx) error {
		if err := tx.PutKV("webhook", "w1", []byte(oldConfig), time.Time{}); err != nil {
			return err
		}
		if err := tx.PutKV("webhook.state", "w1", []byte(oldState), time.Time{}); err != nil {
			return err
		}
		if err := tx.PutKV("jit.saml", "sp-keypair", []byte(`{"keyPem":"k","certPem":"c"}`), time.Time{}); err != nil {
			return err
		}
		return tx.PutKV("jit.saml.request", "id-old", []byte(`{"idp":"okta","returnTo":"/"}`), now.Add(time.Minute))
	}); err != nil {
		t.Fatal(err)
	}
	w, err := e.svc.Webhook(e.ctx, "w1")
	if err != nil {
		t.Fatal(err)
	}
	// Written before organizations, without "org", it is organization default's.
	want := Webhook{ID: "w1", URL: "https://example.com/hook", Secret: "whsec_x", EventTypes: []string{"user.*"}, IdP: "okta",
		Org: DefaultOrg, Created: time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC),
		State: WebhookState{Cursor: 7, Status: "failing", Failures: 3, LastError: "502",
			LastAttempt: time.Date(2026, 11, 29, 7, 59, 0, 0, time.UTC), Generation: 2}}
	if diff := cmp.Diff(want, w); diff != "" {
		t.Errorf("webhook read from the stored format (-want +got):\n%s", diff)
	}
	// With organizations, "org": "" is a webhook of every organization, kept as such.
	if err := e.store.Update(e.ctx, func(tx Tx) error {
		return tx.PutKV("webhook", "w2", []byte(`{"id":"w2","url":"https://example.com/all","secret":"whsec_y","org":""}`), time.Time{})
	}); err != nil {
		t.Fatal(err)
	}
	if all, err := e.svc.Webhook(e.ctx, "w2"); err != nil || all.Org != "" {
		t.Errorf("a webhook stored with org \"\": org %q, %v; want every organization", all.Org, err)
	}
	kp, err := e.svc.SPKeyPair(e.ctx, func() ([]byte, error) { t.Error("generated a key over the stored one"); return nil, nil })
	if err != nil || string(kp) != `{"keyPem":"k","certPem":"c"}` {
		t.Errorf("SP key pair: %q, %v", kp, err)
	}
	if err := e.svc.UseOnce(e.ctx, TakeOnce(OnceSAMLRequest, "id-old")); err != nil {
		t.Errorf("a request stored before: %v", err)
	}

	// What the Service writes, older code reads: the same namespaces and field names.
	l := WebhookLease{Webhook: "w1", Holder: "h", TTL: time.Minute}
	if err := e.svc.AcquireWebhookLease(e.ctx, l); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AdvanceWebhookCursor(e.ctx, l, w.State, func(st WebhookState) WebhookState { st.Cursor = 9; return st }); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.UseOnce(e.ctx, PutOnce(OnceSAMLAssertion, "okta/a1", []byte{1}, now.Add(time.Minute)),
		PutOnce(OnceOIDCState, "s1", []byte("{}"), now.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.View(e.ctx, func(tx ReadTx) error {
		raw, err := tx.KV("webhook.state", "w1", now)
		if err != nil {
			return err
		}
		var st map[string]any
		if err := json.Unmarshal(raw, &st); err != nil {
			return err
		}
		if st["cursor"] != 9.0 || st["status"] != "failing" || st["generation"] != 2.0 || st["last_error"] != "502" {
			t.Errorf("stored state %s", raw)
		}
		if holder, err := tx.KV("webhook.lease", "w1", now); err != nil || string(holder) != "h" {
			t.Errorf("stored lease %q, %v", holder, err)
		}
		for ns, key := range map[string]string{"jit.saml.replay": "okta/a1", "jit.oidc.state": "s1"} {
			if _, err := tx.KV(ns, key, now); err != nil {
				t.Errorf("%s/%s: %v", ns, key, err)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
