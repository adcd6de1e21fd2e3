package webhooks_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/admin/webhooks"
	"github.com/rosterhq/roster/directory"
)

// TestThousandChangesInOrder: 1,000 SCIM and JIT changes reach a receiver in sequence order,
// each once, each with a signature the receiver's own verifier accepts; a second webhook with a
// type and IdP filter gets exactly the matching events, and the cursor moves past the rest.
func TestThousandChangesInOrder(t *testing.T) {
	e := newEnv(t)
	okta := e.idp("okta")
	entra := e.idp("entra")
	h, _ := e.start(fastConfig())
	all, filtered := newReceiver(t), newReceiver(t)
	wAll := createWebhook(t, h, all, nil)
	wFiltered := createWebhook(t, h, filtered, map[string]any{"event_types": []string{"user.*"}, "idp": "okta"})
	if wAll.Cursor != wFiltered.Cursor || wAll.Status != webhooks.StatusActive {
		t.Fatalf("new webhooks: %+v %+v", wAll, wFiltered)
	}

	e.changes(okta, "o", 900)
	e.changes(entra, "e", 100)
	want := e.Events(wAll.Cursor)
	var wantFiltered []directory.Event
	for _, ev := range want {
		if strings.HasPrefix(ev.Type, "user.") && ev.IdP == "okta" {
			wantFiltered = append(wantFiltered, ev)
		}
	}
	if len(want) != 1000 || len(wantFiltered) != 900 {
		t.Fatalf("made %d events, %d of okta users; want 1000 and 900", len(want), len(wantFiltered))
	}

	waitFor(t, "all deliveries", 2*time.Minute, func() bool {
		return len(all.deliveries()) >= len(want) && len(filtered.deliveries()) >= len(wantFiltered)
	})
	last := want[len(want)-1].Seq
	waitFor(t, "both cursors to reach the last event", time.Minute, func() bool {
		// The filtered webhook's cursor passes the events it does not want, too.
		return getWebhook(t, h, wFiltered.ID).Cursor == last && getWebhook(t, h, wAll.ID).Cursor == last
	})
	checkInOrder(t, all.deliveries(), want, false)
	checkInOrder(t, filtered.deliveries(), wantFiltered, false)
	if bad := append(all.badRequests(), filtered.badRequests()...); len(bad) > 0 {
		t.Errorf("receiver refused %d requests, first: %s", len(bad), bad[0])
	}
	if n := filtered.requestCount(); n != len(wantFiltered) {
		t.Errorf("filtered receiver got %d requests, want %d (no request for non-matching events)", n, len(wantFiltered))
	}

	// The payload carries the resource after the change, never a password hash.
	first := all.deliveries()[0]
	user, ok := first.Body["user"].(map[string]any)
	if !ok || user["userName"] != "o-scim-0@example.com" || user["id"] != want[0].Subject {
		t.Errorf("first payload's user: %v", first.Body["user"])
	}
	for _, f := range []string{"id", "seq", "type", "time", "actor", "rule", "reason", "changes"} {
		if _, ok := first.Body[f]; !ok && f != "rule" {
			t.Errorf("payload lacks %q: %v", f, first.Body)
		}
	}
	for _, d := range all.deliveries() {
		if u, ok := d.Body["user"].(map[string]any); ok {
			if _, has := u["passwordHash"]; has {
				t.Fatalf("payload of seq %d carries a password hash", d.Seq)
			}
		}
	}
	got := getWebhook(t, h, wAll.ID)
	if got.Cursor != last || got.Status != webhooks.StatusActive || got.Failures != 0 || got.LastAttempt == nil {
		t.Errorf("webhook after delivery: %+v", got)
	}
}

// TestReceiverOutage: the receiver answers 500 until the API has shown the failures; every
// event still arrives after it recovers, in order, each retry with the same webhook-id.
func TestReceiverOutage(t *testing.T) {
	e := newEnv(t)
	a := e.idp("okta")
	h, _ := e.start(fastConfig())
	r := newReceiver(t)
	var down atomic.Bool
	down.Store(true)
	r.setRespond(func(int, delivery) int {
		if down.Load() {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	w := createWebhook(t, h, r, nil)
	e.changes(a, "u", 60)
	want := e.Events(w.Cursor)
	var during webhooks.Webhook
	waitFor(t, "failures to show in the API", time.Minute, func() bool {
		during = getWebhook(t, h, w.ID)
		return during.Failures >= 5
	})
	if during.Cursor != w.Cursor || !strings.Contains(during.LastError, "500") || during.LastAttempt == nil {
		t.Errorf("during the outage: %+v", during)
	}
	e.changes(a, "v", 20) // changes keep coming during the outage
	want = e.Events(w.Cursor)
	down.Store(false)
	waitFor(t, "all deliveries", time.Minute, func() bool { return len(r.deliveries()) >= len(want) })
	checkInOrder(t, r.deliveries(), want, false)
	for _, at := range r.allAttempts() {
		if at.WebhookID != want[0].ID && at.Seq == want[0].Seq {
			t.Errorf("a retry of seq %d carried webhook-id %s, want %s", at.Seq, at.WebhookID, want[0].ID)
		}
	}
	if n := len(r.allAttempts()) - len(want); n < 5 {
		t.Errorf("only %d failed attempts recorded", n)
	}
	var got webhooks.Webhook
	waitFor(t, "the cursor to reach the last event", time.Minute, func() bool {
		got = getWebhook(t, h, w.ID)
		return got.Cursor == want[len(want)-1].Seq
	})
	if got.Failures != 0 || got.Status != webhooks.StatusActive || got.LastError != "" {
		t.Errorf("after recovery: %+v", got)
	}
}

// TestFailingThenResume: after MaxAttempts failures the webhook is failing, keeps its place,
// and an administrator's resume delivers everything once the receiver is back.
func TestFailingThenResume(t *testing.T) {
	e := newEnv(t)
	a := e.idp("okta")
	cfg := fastConfig()
	cfg.MaxAttempts = 3
	cfg.MaxBackoff = time.Hour // a failing webhook waits for the administrator in this test
	h, _ := e.start(cfg)
	r := newReceiver(t)
	var down atomic.Bool
	down.Store(true)
	r.setRespond(func(int, delivery) int {
		if down.Load() {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	w := createWebhook(t, h, r, nil)
	e.changes(a, "u", 20)
	want := e.Events(w.Cursor)
	var failing webhooks.Webhook
	waitFor(t, "status failing", time.Minute, func() bool {
		failing = getWebhook(t, h, w.ID)
		return failing.Status == webhooks.StatusFailing
	})
	if failing.Cursor != w.Cursor || failing.Failures != 3 || !strings.Contains(failing.LastError, "503") || failing.LastAttempt == nil {
		t.Errorf("failing webhook: %+v", failing)
	}
	down.Store(false)
	var resumed webhooks.Webhook
	if code := call(t, h, "POST", "/admin/api/v1/webhooks/"+w.ID+"/resume", adminToken, nil, &resumed); code != http.StatusOK {
		t.Fatalf("resume: %d", code)
	}
	if resumed.Status != webhooks.StatusActive || resumed.Failures != 0 {
		t.Errorf("resumed: %+v", resumed)
	}
	waitFor(t, "all deliveries", time.Minute, func() bool { return len(r.deliveries()) >= len(want) })
	checkInOrder(t, r.deliveries(), want, false)
}

// TestReplay: replaying from a sequence number redelivers from there, with the same
// webhook-ids as the first time.
func TestReplay(t *testing.T) {
	e := newEnv(t)
	a := e.idp("okta")
	h, _ := e.start(fastConfig())
	r := newReceiver(t)
	w := createWebhook(t, h, r, nil)
	e.changes(a, "u", 30)
	want := e.Events(w.Cursor)
	waitFor(t, "first deliveries", time.Minute, func() bool { return len(r.deliveries()) >= len(want) })
	from := want[10].Seq
	var out webhooks.Webhook
	if code := call(t, h, "POST", "/admin/api/v1/webhooks/"+w.ID+"/replay", adminToken, map[string]any{"from_seq": from}, &out); code != http.StatusOK {
		t.Fatalf("replay: %d", code)
	}
	if out.Cursor != from-1 {
		t.Errorf("cursor after replay = %d, want %d", out.Cursor, from-1)
	}
	waitFor(t, "replayed deliveries", time.Minute, func() bool { return len(r.deliveries()) >= len(want)+len(want)-10 })
	got := r.deliveries()
	checkInOrder(t, got[:len(want)], want, false)
	checkInOrder(t, got[len(want):], want[10:], false)
}

// TestTimeoutIsAFailure: an attempt that gets no answer within Timeout fails and is retried
// with the same webhook-id.
func TestTimeoutIsAFailure(t *testing.T) {
	e := newEnv(t)
	a := e.idp("okta")
	cfg := fastConfig()
	cfg.Timeout = 100 * time.Millisecond
	cfg.InitialBackoff = time.Hour // so the test can read the failure before the retry
	h, _ := e.start(cfg)
	r := newReceiver(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	r.setRespond(func(n int, d delivery) int {
		if n == 1 {
			<-release // never answers in time
		}
		return http.StatusOK
	})
	w := createWebhook(t, h, r, nil)
	e.changes(a, "u", 3)
	want := e.Events(w.Cursor)
	var failed webhooks.Webhook
	waitFor(t, "the timeout to show", time.Minute, func() bool {
		failed = getWebhook(t, h, w.ID)
		return failed.Failures == 1
	})
	if !strings.Contains(failed.LastError, "no answer within 100ms") || failed.Cursor != w.Cursor {
		t.Errorf("after the timeout: %+v", failed)
	}
	// Resume retries at once instead of after the hour of backoff.
	if code := call(t, h, "POST", "/admin/api/v1/webhooks/"+w.ID+"/resume", adminToken, nil, nil); code != http.StatusOK {
		t.Fatalf("resume: %d", code)
	}
	waitFor(t, "all deliveries", time.Minute, func() bool { return len(r.deliveries()) >= len(want) })
	checkInOrder(t, r.deliveries(), want, false)
	if at := r.allAttempts(); len(at) < 2 || at[0].WebhookID != at[1].WebhookID {
		t.Errorf("the retry after the timeout was not the same message: %+v", at)
	}
}

// TestRedirects: a redirect to another host is a failure and that host gets nothing; a 308 on
// the same host is followed with the same signed body.
func TestRedirects(t *testing.T) {
	e := newEnv(t)
	a := e.idp("okta")
	cfg := fastConfig()
	cfg.MaxAttempts = 2
	cfg.MaxBackoff = time.Hour
	h, _ := e.start(cfg)

	elsewhere := newReceiver(t)
	away := httptest.NewServer(http.RedirectHandler(elsewhere.srv.URL+"/hook", http.StatusTemporaryRedirect))
	t.Cleanup(away.Close)
	var wAway webhooks.Webhook
	if code := call(t, h, "POST", "/admin/api/v1/webhooks", adminToken, map[string]any{"url": away.URL + "/hook"}, &wAway); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	elsewhere.setSecret(wAway.Secret)

	same := newReceiver(t)
	moved := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hook" {
			http.Redirect(w, r, "/moved", http.StatusPermanentRedirect)
			return
		}
		same.serve(w, r)
	}))
	t.Cleanup(moved.Close)
	var wSame webhooks.Webhook
	if code := call(t, h, "POST", "/admin/api/v1/webhooks", adminToken, map[string]any{"url": moved.URL + "/hook"}, &wSame); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	same.setSecret(wSame.Secret)

	e.changes(a, "u", 2)
	want := e.Events(wSame.Cursor)
	waitFor(t, "same-host deliveries", time.Minute, func() bool { return len(same.deliveries()) >= len(want) })
	checkInOrder(t, same.deliveries(), want, false)

	var got webhooks.Webhook
	waitFor(t, "the other-host webhook to fail", time.Minute, func() bool {
		got = getWebhook(t, h, wAway.ID)
		return got.Status == webhooks.StatusFailing
	})
	if !strings.Contains(got.LastError, "another host") || got.Cursor != wAway.Cursor {
		t.Errorf("other-host webhook: %+v", got)
	}
	if n := elsewhere.requestCount(); n != 0 {
		t.Errorf("the other host got %d requests", n)
	}
}

// TestTwoReplicas: two handlers over one store (two replicas of Roster) share the work
// through the lease: the replica that holds it delivers alone, and when it stops the other
// takes over; every event arrives once and in order. Each replica sends through its own
// client, so the test sees which one delivered.
func TestTwoReplicas(t *testing.T) {
	e := newEnv(t)
	a := e.idp("okta")
	r := newReceiver(t)
	sent1, sent2 := &countingTransport{}, &countingTransport{}
	cfg1, cfg2 := fastConfig(), fastConfig()
	cfg1.HTTPClient = &http.Client{Transport: sent1}
	cfg2.HTTPClient = &http.Client{Transport: sent2}

	// Replica 1 is alone when the webhook is created, so it takes the lease.
	h1, stop1 := e.start(cfg1)
	w := createWebhook(t, h1, r, nil)
	e.changes(a, "a", 30)
	waitFor(t, "replica 1's deliveries", time.Minute, func() bool { return len(r.deliveries()) >= 30 })
	// With replica 2 running, replica 1 keeps delivering: it holds the lease.
	_, _ = e.start(cfg2)
	e.changes(a, "b", 30)
	waitFor(t, "the deliveries with both replicas running", time.Minute, func() bool { return len(r.deliveries()) >= 60 })
	if n1, n2 := sent1.count(), sent2.count(); n1 < 60 || n2 != 0 {
		t.Fatalf("before the stop, replica 1 sent %d requests and replica 2 %d; replica 1 should hold the lease and send all 60", n1, n2)
	}

	stop1()
	atStop := sent1.count()
	e.changes(a, "c", 40)
	want := e.Events(w.Cursor)
	waitFor(t, "all deliveries", time.Minute, func() bool { return len(r.deliveries()) >= len(want) })
	if n := sent1.count(); n != atStop {
		t.Errorf("replica 1 sent %d requests after it stopped", n-atStop)
	}
	if n := sent2.count(); n < 40 {
		t.Errorf("replica 2 sent %d requests after replica 1 stopped, want the 40 new events", n)
	}
	// A clean stop releases the lease after the last committed delivery, so even the handover
	// sends nothing twice.
	checkInOrder(t, r.deliveries(), want, false)
}

// countingTransport counts the requests a replica sends.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(req)
}

func (c *countingTransport) count() int64 { return c.n.Load() }

// TestDeleteStopsDelivery: a deleted webhook gets nothing more.
func TestDeleteStopsDelivery(t *testing.T) {
	e := newEnv(t)
	a := e.idp("okta")
	h, _ := e.start(fastConfig())
	r := newReceiver(t)
	w := createWebhook(t, h, r, nil)
	e.changes(a, "a", 5)
	waitFor(t, "deliveries", time.Minute, func() bool { return len(r.deliveries()) >= 5 })
	if code := call(t, h, "DELETE", "/admin/api/v1/webhooks/"+w.ID, adminToken, nil, nil); code != http.StatusNoContent {
		t.Fatalf("delete: %d", code)
	}
	// A marker webhook created after the delete receives the next events; once it has them,
	// the deleted one has had every chance to (wrongly) receive them too.
	marker := newReceiver(t)
	createWebhook(t, h, marker, nil)
	e.changes(a, "b", 5)
	waitFor(t, "marker deliveries", time.Minute, func() bool { return len(marker.deliveries()) >= 5 })
	if n := len(r.deliveries()); n != 5 {
		t.Errorf("deleted webhook received %d deliveries, want 5", n)
	}
}

// TestGroupPayload: a group event carries the group after the change, members included.
func TestGroupPayload(t *testing.T) {
	e := newEnv(t)
	a := e.idp("okta")
	h, _ := e.start(fastConfig())
	r := newReceiver(t)
	createWebhook(t, h, r, map[string]any{"event_types": []string{"group.*"}})
	u, err := e.svc.SCIMCreateUser(t.Context(), a, directory.User{UserName: "m@example.com", ExternalID: "m", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	g, err := e.svc.SCIMCreateGroup(t.Context(), a, directory.Group{DisplayName: "Engineering", Members: []string{u.ID}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the group delivery", time.Minute, func() bool { return len(r.deliveries()) >= 1 })
	d := r.deliveries()[0]
	group, _ := d.Body["group"].(map[string]any)
	members, _ := group["members"].([]any)
	if d.Type != directory.EventGroupCreated || group["id"] != g.ID || group["displayName"] != "Engineering" ||
		len(members) != 1 || members[0] != u.ID {
		t.Errorf("group payload: %s %v", d.Type, d.Body)
	}
	if _, has := d.Body["user"]; has {
		t.Errorf("group payload carries a user: %v", d.Body)
	}
}

// TestHugeErrorAnswer: a receiver's long error answer is read only in part, and last_error
// names the status alone: nothing the receiver wrote, not even its reason phrase, is repeated.
func TestHugeErrorAnswer(t *testing.T) {
	e := newEnv(t)
	a := e.idp("okta")
	cfg := fastConfig()
	cfg.InitialBackoff = time.Hour
	h, _ := e.start(cfg)
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A reason phrase of the receiver's own, which the standard library's server cannot
		// send, so the status line is written on the hijacked connection.
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		_, _ = buf.WriteString("HTTP/1.1 502 secret-reason-phrase\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n")
		_, _ = buf.WriteString(strings.Repeat("x", 4<<20))
		_ = buf.Flush()
	}))
	t.Cleanup(big.Close)
	var w webhooks.Webhook
	if code := call(t, h, "POST", "/admin/api/v1/webhooks", adminToken, map[string]any{"url": big.URL}, &w); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	e.changes(a, "u", 1)
	var got webhooks.Webhook
	waitFor(t, "the failure", time.Minute, func() bool {
		got = getWebhook(t, h, w.ID)
		return got.Failures == 1
	})
	if got.LastError != "HTTP 502 Bad Gateway" {
		t.Errorf("last_error (%d bytes): %.80q, want only the status", len(got.LastError), got.LastError)
	}
}

// TestResumeOnAnotherReplica: an administrator's resume reaches the worker even when it is
// made on a replica that does not deliver this webhook (so no in-process wake-up helps).
func TestResumeOnAnotherReplica(t *testing.T) {
	e := newEnv(t)
	a := e.idp("okta")
	cfg := fastConfig()
	cfg.MaxAttempts = 2
	cfg.MaxBackoff = time.Hour
	worker, _ := e.start(cfg)
	apiOnly := e.api(webhooks.New(e.svc, cfg)) // a replica whose delivery loop is not running
	r := newReceiver(t)
	var down atomic.Bool
	down.Store(true)
	r.setRespond(func(int, delivery) int {
		if down.Load() {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	w := createWebhook(t, apiOnly, r, nil)
	e.changes(a, "u", 5)
	want := e.Events(w.Cursor)
	waitFor(t, "status failing", time.Minute, func() bool {
		return getWebhook(t, worker, w.ID).Status == webhooks.StatusFailing
	})
	down.Store(false)
	if code := call(t, apiOnly, "POST", "/admin/api/v1/webhooks/"+w.ID+"/resume", adminToken, nil, nil); code != http.StatusOK {
		t.Fatalf("resume: %d", code)
	}
	waitFor(t, "all deliveries", time.Minute, func() bool { return len(r.deliveries()) >= len(want) })
	checkInOrder(t, r.deliveries(), want, false)
}
