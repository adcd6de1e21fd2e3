package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
)

// TestCLIWebhook: create prints the secret once (list never), list shows status and cursor,
// replay moves the cursor back, resume clears the failures, rm deletes.
func TestCLIWebhook(t *testing.T) {
	e := newCLIEnv(t, false)
	// The receiver answers 503 until told otherwise, so the webhook fails and waits.
	var accept = make(chan bool, 1)
	accept <- false
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok := <-accept
		accept <- ok
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(receiver.Close)

	r := e.want(e.run("webhook", "create", receiver.URL+"/hook", "--events", "user.*,idp.*"), 0, "created webhook", "shown once", "whsec_")
	var id, secret string
	for _, f := range strings.Fields(r.stdout) {
		switch {
		case strings.HasPrefix(f, "whsec_"):
			secret = f
		case id == "" && len(f) > 20 && strings.Count(f, "-") == 4:
			id = f
		}
	}
	if id == "" || secret == "" {
		t.Fatalf("no id or secret in:\n%s", r.stdout)
	}
	if _, err := e.svc.CreateIdP(t.Context(), "test", directory.IdP{ID: "okta", Protocol: directory.ProtocolOIDC, Mode: directory.ModeJIT}); err != nil {
		t.Fatal(err)
	}
	// Delivery fails; list shows it, never the secret.
	var listed struct {
		Items []struct {
			ID, Status string
			Cursor     uint64
			Failures   int
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		r = e.want(e.run("webhook", "list", "--json"), 0)
		if strings.Contains(r.stdout, secret) {
			t.Fatal("webhook list shows the secret")
		}
		if err := json.Unmarshal([]byte(r.stdout), &listed); err != nil || len(listed.Items) != 1 {
			t.Fatalf("webhook list --json: %v %s", err, r.stdout)
		}
		if listed.Items[0].Failures > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if listed.Items[0].ID != id || listed.Items[0].Failures == 0 {
		t.Fatalf("listed %+v, want a failing webhook %s", listed.Items, id)
	}
	r = e.want(e.run("webhook", "list"), 0, "ID", "STATUS", "CURSOR", id, "user.*,idp.*", "503")
	if strings.Contains(r.stdout, secret) {
		t.Error("webhook list shows the secret")
	}
	// Resume clears the failures; then the receiver accepts, and the delivery catches up.
	<-accept
	accept <- true
	e.want(e.run("webhook", "resume", id), 0, "resumed")
	last := func() uint64 {
		evs, err := e.svc.Events(t.Context(), 0, 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		return evs[len(evs)-1].Seq
	}()
	deadline = time.Now().Add(20 * time.Second)
	for {
		w, err := e.svc.Webhook(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if w.State.Cursor >= last || time.Now().After(deadline) {
			if w.State.Cursor < last || w.State.Failures != 0 {
				t.Fatalf("after resume: %+v, want the cursor at %d", w.State, last)
			}
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.want(e.run("webhook", "replay", id, "--from-seq", "1"), 0, "delivers again from event 1")
	e.want(e.run("webhook", "replay", id), 2)
	e.want(e.run("webhook", "replay", id, "--from-seq", "99999"), 1)
	e.want(e.run("webhook", "rm", id), 0, "deleted webhook "+id)
	e.want(e.run("webhook", "rm", id), 1)
	if hooks, _ := e.svc.Webhooks(t.Context(), ""); len(hooks) != 0 {
		t.Errorf("webhooks left: %+v", hooks)
	}
	e.want(e.run("webhook", "create"), 2)
	r = e.want(e.run("webhook", "create", "not a url"), 1)
	if !strings.Contains(r.stderr, "HTTP 400") {
		t.Errorf("stderr: %s", r.stderr)
	}
}

// TestCLIEventsTailStartsAtTheEnd: without --after or --last, tail prints the last 20 events
// and not the whole log; --after 0 still reads it all.
func TestCLIEventsTailStartsAtTheEnd(t *testing.T) {
	e := newCLIEnv(t, false)
	for i := range 30 {
		if _, err := e.svc.CreateIdP(t.Context(), "test", directory.IdP{ID: fmt.Sprintf("idp%d", i), Protocol: directory.ProtocolOIDC}); err != nil {
			t.Fatal(err)
		}
	}
	// Seq 1 is the admin token's creation; the IdPs are seqs 2–31.
	r := e.want(e.run("events", "tail", "--follow=false"), 0, "subject=idp29")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 20 || !strings.HasPrefix(lines[0], "12 ") || !strings.HasPrefix(lines[19], "31 ") {
		t.Errorf("tail printed %d lines from %q, want the last 20 (12–31)", len(lines), lines[0])
	}
	r = e.want(e.run("events", "tail", "--follow=false", "--after", "0"), 0, "token.created")
	if n := len(strings.Split(strings.TrimSpace(r.stdout), "\n")); n != 31 {
		t.Errorf("--after 0 printed %d events, want 31", n)
	}
	e.want(e.run("events", "tail", "--after", "3", "--last", "5"), 2)
}

// TestCLIUserOperations: users are named by id or userName; reactivate, rm (and its dry
// run), sessions and sign out everywhere.
func TestCLIUserOperations(t *testing.T) {
	e := newCLIEnv(t, false)
	ctx := t.Context()
	if _, err := e.svc.CreateIdP(ctx, "test", directory.IdP{ID: "okta", Protocol: directory.ProtocolOIDC, Mode: directory.ModeJIT}); err != nil {
		t.Fatal(err)
	}
	u, err := e.svc.Login(ctx, directory.Login{IdP: "okta", UniqueUserID: "00u1", Email: "ada@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	e.want(e.run("user", "show", "ada@example.com"), 0, "id:", u.ID, "userName:", "ada@example.com")
	e.want(e.run("user", "show", "ADA@example.com"), 0, u.ID)
	e.want(e.run("user", "show", u.ID), 0, "ada@example.com")
	r := e.want(e.run("user", "show", "nobody@example.com"), 1)
	if !strings.Contains(r.stderr, "no user has the id or userName") {
		t.Errorf("stderr: %s", r.stderr)
	}

	e.want(e.run("user", "deactivate", "ada@example.com"), 0, "deactivated ada@example.com")
	e.want(e.run("user", "reactivate", "ada@example.com"), 0, "reactivated ada@example.com")
	if got, _ := e.svc.User(ctx, u.ID); !got.Active {
		t.Error("reactivate left the user inactive")
	}

	s1, err := e.svc.CreateSession(ctx, u.ID, "okta", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	r = e.want(e.run("user", "sessions", "ada@example.com"), 0, "SESSION", "IDP", "okta")
	if strings.Contains(r.stdout, s1) {
		t.Error("user sessions prints a secret")
	}
	e.want(e.run("user", "signout", "ada@example.com"), 0, "signed "+u.ID+" out everywhere: 1 live session(s) ended")
	if _, err := e.svc.SessionUser(ctx, s1); err == nil {
		t.Error("the session survived signout")
	}
	r = e.want(e.run("user", "sessions", "ada@example.com", "--json"), 0)
	var sessions struct{ Items []any }
	if err := json.Unmarshal([]byte(r.stdout), &sessions); err != nil || len(sessions.Items) != 0 {
		t.Errorf("sessions after signout: %v %s", err, r.stdout)
	}

	e.want(e.run("user", "rm", "ada@example.com", "--dry-run"), 0, "would delete ada@example.com", "tombstoned", "mode jit")
	if _, err := e.svc.User(ctx, u.ID); err != nil {
		t.Fatalf("the dry run deleted the user: %v", err)
	}
	e.want(e.run("user", "rm", "ada@example.com"), 0, "deleted ada@example.com", "key 00u1 of IdP okta tombstoned")
	if _, err := e.svc.User(ctx, u.ID); err == nil {
		t.Error("rm left the user")
	}
	e.want(e.run("user", "rm", "ada@example.com"), 1)
	e.want(e.run("user", "signout"), 2)
	e.want(e.run("user", "reactivate", "a", "b"), 2)
}

// TestCLIModePreview: the preview names who is adopted later and who could no longer sign
// in, and changes nothing.
func TestCLIModePreview(t *testing.T) {
	e := newCLIEnv(t, false)
	ctx := t.Context()
	if _, err := e.svc.CreateIdP(ctx, "test", directory.IdP{ID: "okta", Protocol: directory.ProtocolOIDC, Mode: directory.ModeJIT}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Login(ctx, directory.Login{IdP: "okta", UniqueUserID: "00u1", Email: "ada@example.com"}); err != nil {
		t.Fatal(err)
	}
	gone, err := e.svc.Login(ctx, directory.Login{IdP: "okta", UniqueUserID: "00u2", Email: "gone@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.DeleteUser(ctx, "admin:test", gone.ID, false); err != nil {
		t.Fatal(err)
	}
	e.want(e.run("idp", "mode-preview", "okta", "scim"), 0, "okta: mode jit -> scim", "nothing was changed",
		"adopted later by SCIM", "ada@example.com", "could no longer sign in: 1", "tombstoned key 00u2", "R6",
		"someone without a user: no_longer_signs_in (R3")
	if p, _ := e.svc.IdP(ctx, "okta"); p.Mode != directory.ModeJIT {
		t.Errorf("the preview changed the mode to %s", p.Mode)
	}
	r := e.want(e.run("idp", "mode-preview", "okta", "both", "--json"), 0)
	var out struct {
		AdoptedLater struct{ Count int } `json:"adopted_later"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.AdoptedLater.Count != 1 {
		t.Errorf("--json: %v %s", err, r.stdout)
	}
	e.want(e.run("idp", "mode-preview", "okta", "sometimes"), 1)
	e.want(e.run("idp", "mode-preview", "nope", "scim"), 1)
	e.want(e.run("idp", "mode-preview", "okta"), 2)
}
