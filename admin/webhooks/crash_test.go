package webhooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rosterhq/roster/admin/webhooks"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testserver"
	"github.com/rosterhq/roster/storage/bolt"
)

// rosterProcess is the real roster binary serving a bbolt file.
type rosterProcess struct {
	cmd  *exec.Cmd
	out  *testserver.LogBuffer
	base string
	done chan struct{}
}

func startRoster(t *testing.T, bin, addr, data string) *rosterProcess {
	t.Helper()
	p := &rosterProcess{out: &testserver.LogBuffer{}, base: "http://" + addr, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "serve", "--addr", addr, "--data", data, "--admin-token", adminToken, "--allow-outbound", "127.0.0.0/8,::1")
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			out := p.out.String()
			t.Logf("roster output (tail):\n%s", out[max(0, len(out)-20000):])
		}
	})
	waitFor(t, "roster to answer /healthz", time.Minute, func() bool {
		resp, err := http.Get(p.base + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})
	return p
}

func (p *rosterProcess) request(t *testing.T, method, path, token string, body any, out any) int {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, p.base+path, bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %d: %v", method, path, resp.StatusCode, err)
		}
	}
	return resp.StatusCode
}

// createSCIMUsers creates users through the server's SCIM API.
func (p *rosterProcess) createSCIMUsers(t *testing.T, token, prefix string, n int) {
	t.Helper()
	for i := range n {
		body := map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName": fmt.Sprintf("%s-%d@example.com", prefix, i), "externalId": fmt.Sprintf("%s-%d", prefix, i),
			"active": true, "name": map[string]any{"givenName": "Crash", "familyName": fmt.Sprint(i)}}
		if code := p.request(t, "POST", "/scim/v2/Users", token, body, nil); code != http.StatusCreated {
			t.Fatalf("SCIM create %d: status %d", i, code)
		}
	}
}

// TestSurvivesSIGKILL runs the real roster binary, has it deliver to a slow receiver, kills it
// with SIGKILL while deliveries are in flight, restarts it on the same data file, and checks
// that every event arrived, in order, and that every repeated delivery carried the same
// webhook-id as the first.
//
// Everything — the IdP, its SCIM token, the webhook and every change — is made through the
// running server's HTTP APIs (admin and SCIM); the data file is read only at the end, once the
// server has stopped.
func TestSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the roster binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "roster")
	build := exec.Command("go", "build", "-o", bin, "github.com/rosterhq/roster/cmd/roster")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building roster: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "roster.db")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	// The receiver answers slowly, so that deliveries are in flight, and holds the holdAt-th
	// request unanswered until the server is killed: that event arrived, but its 2xx never
	// reached the server, so the restarted server must deliver it again, with the same
	// webhook-id. That is the repeated delivery the at-least-once promise allows, made certain.
	const holdAt = 40
	held := make(chan delivery, 1)
	release := make(chan struct{})
	var releaseOnce sync.Once
	releaseHeld := func() { releaseOnce.Do(func() { close(release) }) }
	r := newReceiver(t)
	t.Cleanup(releaseHeld) // before the receiver's server closes, which waits for its handlers
	r.setRespond(func(n int, d delivery) int {
		if n == holdAt {
			held <- d
			<-release
		}
		time.Sleep(20 * time.Millisecond)
		return http.StatusOK
	})
	first := startRoster(t, bin, addr, data)
	// Roster saves an OIDC IdP only when its issuer's discovery answers; nobody signs in here,
	// so a discovery document is all the issuer needs to serve.
	var issuer *httptest.Server
	issuer = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": issuer.URL, "authorization_endpoint": issuer.URL + "/authorize",
			"token_endpoint": issuer.URL + "/token", "jwks_uri": issuer.URL + "/keys", "response_types_supported": []string{"code"},
			"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"}})
	}))
	defer issuer.Close()
	idp := map[string]any{"id": "okta", "name": "Okta", "protocol": "oidc", "mode": "both",
		"oidc": map[string]any{"issuer": issuer.URL, "client_id": "roster", "client_secret": "s3cret"}}
	var answer map[string]any
	if code := first.request(t, "POST", "/admin/api/v1/idps", adminToken, idp, &answer); code != http.StatusCreated {
		t.Fatalf("create IdP through the admin API: %d %v", code, answer)
	}
	var tok struct {
		Token string `json:"token"`
	}
	if code := first.request(t, "POST", "/admin/api/v1/idps/okta/scim-tokens", adminToken, map[string]any{"name": "crash test"}, &tok); code != http.StatusCreated || tok.Token == "" {
		t.Fatalf("create SCIM token through the admin API: %d", code)
	}
	scimToken := tok.Token
	var w webhooks.Webhook
	if code := first.request(t, "POST", "/admin/api/v1/webhooks", adminToken, map[string]any{"url": r.srv.URL + "/hook"}, &w); code != http.StatusCreated {
		t.Fatalf("create webhook: %d", code)
	}
	r.setSecret(w.Secret)
	const before, after = 150, 50
	first.createSCIMUsers(t, scimToken, "a", before)
	var inFlight delivery
	select {
	case inFlight = <-held:
	case <-time.After(time.Minute):
		t.Fatalf("delivery %d never reached the receiver", holdAt)
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.done
	atKill := len(r.deliveries())
	if atKill >= before {
		t.Fatalf("all %d events were delivered before the kill; the test did not kill mid-delivery", atKill)
	}
	// The held request now gets its 2xx, which nobody reads: the receiver has the event.
	releaseHeld()
	waitFor(t, "the held delivery to be recorded", time.Minute, func() bool { return len(r.deliveries()) > atKill })

	second := startRoster(t, bin, addr, data)
	second.createSCIMUsers(t, scimToken, "b", after)
	waitFor(t, "every event after the restart", 2*time.Minute, func() bool {
		return distinct(r.deliveries()) >= before+after
	})
	var got webhooks.Webhook
	waitFor(t, "the cursor to reach the last event", time.Minute, func() bool {
		second.request(t, "GET", "/admin/api/v1/webhooks/"+w.ID, adminToken, nil, &got)
		return got.Cursor >= w.Cursor+before+after
	})
	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-second.done

	// The expected events, read from the data file once the server has stopped.
	st, err := bolt.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	svc := directory.New(st)
	want, err := svc.Events(context.Background(), w.Cursor, 1000, 0)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != before+after {
		t.Fatalf("the log has %d events after the webhook's cursor, want %d", len(want), before+after)
	}
	arrived := r.deliveries()
	dups := checkAtLeastOnceInOrder(t, arrived, want)
	t.Logf("killed after %d deliveries; %d deliveries repeated after the restart", atKill, dups)
	times := 0
	for _, d := range arrived {
		if d.Seq == inFlight.Seq {
			times++
		}
	}
	if times < 2 || dups < 1 {
		t.Errorf("the event in flight at the kill (seq %d) arrived %d times and %d deliveries were repeated; "+
			"the restarted server must deliver it again", inFlight.Seq, times, dups)
	}
	if bad := r.badRequests(); len(bad) > 0 {
		t.Errorf("receiver refused %d requests, first: %s", len(bad), bad[0])
	}
}

func distinct(ds []delivery) int {
	seen := map[string]bool{}
	for _, d := range ds {
		seen[d.WebhookID] = true
	}
	return len(seen)
}

// checkAtLeastOnceInOrder checks the at-least-once, in-order contract: every expected event
// arrived; no delivery came before all the events preceding it had arrived (nothing skipped
// ahead); and every delivery, first or repeated, carried its event's id as webhook-id. It
// returns the number of repeated deliveries.
func checkAtLeastOnceInOrder(t *testing.T, got []delivery, want []directory.Event) int {
	t.Helper()
	index := map[uint64]int{}
	for i, e := range want {
		index[e.Seq] = i
	}
	next, dups := 0, 0 // next: index of the first event not yet delivered
	for _, d := range got {
		i, ok := index[d.Seq]
		if !ok {
			t.Errorf("delivery of seq %d, which is not an expected event", d.Seq)
			continue
		}
		if d.WebhookID != want[i].ID || d.Type != want[i].Type {
			t.Errorf("seq %d arrived as %s %s, want %s %s", d.Seq, d.WebhookID, d.Type, want[i].ID, want[i].Type)
		}
		switch {
		case i == next:
			next++
		case i < next:
			dups++
		default:
			t.Fatalf("seq %d arrived before seq %d", d.Seq, want[next].Seq)
		}
	}
	if next != len(want) {
		t.Errorf("%d of %d events arrived", next, len(want))
	}
	return dups
}
