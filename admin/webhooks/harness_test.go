package webhooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/admin/webhooks"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/outbound"
	"github.com/rosterhq/roster/internal/teststore"
)

const adminToken = teststore.AdminToken

// env is a real bbolt store, a directory.Service over it and an admin token.
type env struct {
	t testing.TB
	*teststore.Directory
	svc *directory.Service
}

func newEnv(t testing.TB) *env {
	t.Helper()
	d := teststore.NewBolt(t)
	return &env{t: t, Directory: d, svc: d.Service}
}

// loopbackClient is the outbound client of the tests' Roster: their receivers listen on
// loopback, which Roster refuses unless --allow-outbound lists it.
func loopbackClient() *http.Client {
	return outbound.Policy{Allow: outbound.MustParseAllowList("127.0.0.0/8,::1")}.Client()
}

// fastConfig keeps retries and polls short so tests wait for conditions, not for defaults.
func fastConfig() webhooks.Config {
	return webhooks.Config{MaxAttempts: 1000, InitialBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
		PollInterval: 50 * time.Millisecond, Timeout: 5 * time.Second, LeaseTTL: 3 * time.Second, HTTPClient: loopbackClient()}
}

// api serves h's routes as Roster does: behind the admin API, which authenticates and
// authorizes every request before h gets it.
func (e *env) api(h *webhooks.Handler) http.Handler {
	return admin.New(e.svc, admin.Config{Webhooks: h})
}

// start returns the admin API over a Handler whose delivery loop runs until the test ends (or
// stop is called).
func (e *env) start(cfg webhooks.Config) (http.Handler, func()) {
	h := webhooks.New(e.svc, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := h.Run(ctx); err != nil {
			e.t.Errorf("Run: %v", err)
		}
	}()
	stop := func() { cancel(); <-done }
	e.t.Cleanup(stop)
	return e.api(h), stop
}

// call sends one admin API request to h and decodes the JSON answer into out (if not nil).
func call(t testing.TB, h http.Handler, method, path, token string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if ct, _, _ := mime.ParseMediaType(rec.Header().Get("Content-Type")); rec.Code != http.StatusNoContent && ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, rec.Code, rec.Body, err)
		}
	}
	return rec.Code
}

// createWebhook creates a webhook through the API and tells the receiver its secret.
func createWebhook(t testing.TB, h http.Handler, r *receiver, body map[string]any) webhooks.Webhook {
	t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	body["url"] = r.srv.URL + "/hook"
	var w webhooks.Webhook
	if code := call(t, h, "POST", "/admin/api/v1/webhooks", adminToken, body, &w); code != http.StatusCreated {
		t.Fatalf("create webhook: %d %+v", code, w)
	}
	r.setSecret(w.Secret)
	return w
}

func getWebhook(t testing.TB, h http.Handler, id string) webhooks.Webhook {
	t.Helper()
	var w webhooks.Webhook
	if code := call(t, h, "GET", "/admin/api/v1/webhooks/"+id, adminToken, nil, &w); code != http.StatusOK {
		t.Fatalf("get webhook: %d", code)
	}
	return w
}

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t testing.TB, what string, deadline time.Duration, cond func() bool) {
	t.Helper()
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out after %s waiting for %s", deadline, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// idp creates an IdP in mode both with a SCIM token, the set-up of a customer who feeds Roster
// by SCIM and by sign-in at once.
func (e *env) idp(id string) directory.SCIMActor {
	e.t.Helper()
	e.AddIdP(directory.IdP{ID: id, Mode: directory.ModeBoth})
	return e.SCIMActor(id)
}

// changes makes n user changes alternating between SCIM creates and JIT logins (every third
// login signs an earlier JIT user in again, an update rather than a create).
func (e *env) changes(a directory.SCIMActor, prefix string, n int) {
	e.t.Helper()
	ctx := context.Background()
	for i := range n {
		var err error
		switch {
		case i%2 == 0:
			_, err = e.svc.SCIMCreateUser(ctx, a, directory.User{UserName: fmt.Sprintf("%s-scim-%d@example.com", prefix, i),
				ExternalID: fmt.Sprintf("%s-s%d", prefix, i), Active: true,
				Name: directory.Name{GivenName: "Scim", FamilyName: fmt.Sprint(i)}, PasswordHash: "secret-hash-never-sent"})
		case i%6 == 5:
			_, err = e.svc.Login(ctx, directory.Login{IdP: a.IdP, UniqueUserID: fmt.Sprintf("%s-j%d", prefix, i-2),
				Email: fmt.Sprintf("%s-jit-%d@example.com", prefix, i-2), FirstName: "Again"})
		default:
			_, err = e.svc.Login(ctx, directory.Login{IdP: a.IdP, UniqueUserID: fmt.Sprintf("%s-j%d", prefix, i),
				Email: fmt.Sprintf("%s-jit-%d@example.com", prefix, i), FirstName: "Jit", LastName: fmt.Sprint(i)})
		}
		if err != nil {
			e.t.Fatalf("change %d: %v", i, err)
		}
	}
}

// checkInOrder compares what the receiver got with the expected events: in order, each once
// (consecutive duplicates of one webhook-id, the trace of a redelivery, are allowed only when
// dupsOK), nothing missing, nothing extra.
func checkInOrder(t testing.TB, got []delivery, want []directory.Event, dupsOK bool) {
	t.Helper()
	var dedup []delivery
	for i, d := range got {
		if i > 0 && d.WebhookID == got[i-1].WebhookID {
			if !dupsOK {
				t.Errorf("duplicate delivery of %s (seq %d)", d.WebhookID, d.Seq)
			}
			continue
		}
		dedup = append(dedup, d)
	}
	if len(dedup) != len(want) {
		t.Errorf("got %d distinct deliveries, want %d", len(dedup), len(want))
	}
	for i := range min(len(dedup), len(want)) {
		if dedup[i].WebhookID != want[i].ID || dedup[i].Seq != want[i].Seq || dedup[i].Type != want[i].Type {
			t.Fatalf("delivery %d is %s seq %d %s, want %s seq %d %s", i, dedup[i].WebhookID, dedup[i].Seq, dedup[i].Type,
				want[i].ID, want[i].Seq, want[i].Type)
		}
	}
}
