package webhooks_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/admin/webhooks"
)

// TestRefusedDestination: with the default client, which allows no non-public destination, a
// receiver on loopback is never sent a request; the webhook keeps its place, is marked failing,
// and last_error names the policy and the setting that allows the destination.
func TestRefusedDestination(t *testing.T) {
	e := newEnv(t)
	a := e.idp("okta")
	cfg := fastConfig()
	cfg.HTTPClient = nil
	cfg.MaxAttempts = 2
	cfg.MaxBackoff = time.Hour // a failing webhook waits for the administrator in this test
	h, _ := e.start(cfg)
	r := newReceiver(t)
	w := createWebhook(t, h, r, nil)
	e.changes(a, "u", 1)
	var got webhooks.Webhook
	waitFor(t, "status failing", time.Minute, func() bool {
		got = getWebhook(t, h, w.ID)
		return got.Status == webhooks.StatusFailing
	})
	if !strings.Contains(got.LastError, "destination 127.0.0.1 is a loopback address; allow it with --allow-outbound") {
		t.Errorf("last_error %q does not name the policy", got.LastError)
	}
	if got.Cursor != w.Cursor || got.Failures != 2 {
		t.Errorf("failing webhook: %+v", got)
	}
	if n := r.requestCount(); n != 0 {
		t.Errorf("the refused receiver got %d requests", n)
	}
}
