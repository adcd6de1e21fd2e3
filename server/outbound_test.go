package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testidp"
	"github.com/rosterhq/roster/internal/testserver"
)

// loopback is the allow-list of a Roster whose IdPs and receivers are the tests' own servers.
const loopback = testserver.Loopback

// newServer starts Roster with allowOutbound as its --allow-outbound ("" for none).
func newServer(t *testing.T, allowOutbound string) (*testserver.Server, *directory.Service) {
	t.Helper()
	srv := testserver.Start(t, testserver.Config{RefuseLoopback: allowOutbound == ""})
	return srv, srv.Service
}

// adminCall sends one admin API request and returns the status and the raw answer.
func adminCall(srv *testserver.Server, method, path, body string) (int, string) {
	r := srv.Admin(method, path, body)
	return r.Status, string(r.Body)
}

// postIdP creates an IdP through the admin API and returns the status and the raw answer.
func postIdP(t *testing.T, srv *testserver.Server, body string) (int, string) {
	t.Helper()
	r := srv.Admin(http.MethodPost, "/admin/api/v1/idps", body)
	return r.Status, string(r.Body)
}

// TestIdPOnLoopbackNeedsTheAllowList: a Roster started without --allow-outbound refuses to
// fetch an OIDC issuer's discovery document or SAML metadata from its own loopback, and says
// which setting allows it; with the allow-list the same IdP is saved.
func TestIdPOnLoopbackNeedsTheAllowList(t *testing.T) {
	op := testidp.NewOP(t, testidp.OPConfig{})
	var metadataHits atomic.Int64
	metadata := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		metadataHits.Add(1)
		http.NotFound(w, r)
	}))
	t.Cleanup(metadata.Close)
	oidcIdP := `{"id":"kc","protocol":"oidc","mode":"jit","oidc":{"issuer":"` + op.Issuer + `","client_id":"roster","client_secret":"s"}}`
	samlIdP := `{"id":"acme","protocol":"saml","mode":"jit","saml":{"metadata_url":"` + metadata.URL + `/metadata"}}`

	ts, svc := newServer(t, "")
	for name, body := range map[string]string{"oidc": oidcIdP, "saml": samlIdP} {
		t.Run(name+" without the allow-list", func(t *testing.T) {
			status, answer := postIdP(t, ts, body)
			if status != http.StatusBadRequest || !strings.Contains(answer, "destination 127.0.0.1 is a loopback address; allow it with --allow-outbound") {
				t.Errorf("status %d, answer %s; want 400 naming the outbound policy", status, answer)
			}
		})
	}
	if ps, _ := svc.IdPs(t.Context(), ""); len(ps) != 0 {
		t.Errorf("a refused IdP was stored: %+v", ps)
	}
	if n := metadataHits.Load(); n != 0 {
		t.Errorf("the refused metadata URL got %d requests", n)
	}

	allowed, _ := newServer(t, loopback)
	if status, answer := postIdP(t, allowed, oidcIdP); status != http.StatusCreated {
		t.Errorf("with the allow-list: %d %s", status, answer)
	}
}

// TestDiscoveryAnswerIsNotEchoed: an issuer URL that answers 60 MB, an error page or a
// redirect elsewhere makes a short 400 that says what happened and quotes none of the answer.
func TestDiscoveryAnswerIsNotEchoed(t *testing.T) {
	const marker = "internal-only-value-"
	op := testidp.NewOP(t, testidp.OPConfig{})
	var sent atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat(marker, 3000))
		switch r.URL.Path {
		case "/huge/.well-known/openid-configuration":
			w.Header().Set("Content-Type", "application/json")
		case "/huge-error/.well-known/openid-configuration":
			w.WriteHeader(http.StatusInternalServerError)
		case "/error/.well-known/openid-configuration":
			http.Error(w, strings.Repeat(marker, 5000), http.StatusForbidden)
			return
		case "/away/.well-known/openid-configuration":
			http.Redirect(w, r, op.Issuer+"/.well-known/openid-configuration", http.StatusFound)
			return
		default:
			http.NotFound(w, r)
			return
		}
		for total := 0; total < 60<<20; total += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return // Roster stopped reading, as it should
			}
			sent.Add(int64(len(chunk)))
		}
	}))
	t.Cleanup(target.Close)
	ts, svc := newServer(t, loopback)
	cases := []struct{ path, want string }{
		{"/huge", "is larger than 1 MiB"},
		{"/huge-error", "is larger than 1 MiB"},
		{"/error", "the server answered 403 Forbidden"},
		{"/away", "redirects must stay on the same host"},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			issuer := target.URL + c.path
			status, answer := postIdP(t, ts, `{"id":"kc","protocol":"oidc","mode":"jit","oidc":{"issuer":"`+issuer+`","client_id":"roster","client_secret":"s"}}`)
			if status != http.StatusBadRequest || !strings.Contains(answer, c.want) {
				t.Errorf("status %d, answer %.500s; want 400 saying %q", status, answer, c.want)
			}
			if strings.Contains(answer, marker) || len(answer) > 2048 {
				t.Errorf("the answer (%d bytes) quotes what the issuer URL sent: %.300s", len(answer), answer)
			}
		})
	}
	if ps, _ := svc.IdPs(t.Context(), ""); len(ps) != 0 {
		t.Errorf("a refused IdP was stored: %+v", ps)
	}
	// The server may have written more than Roster read into the connection's buffers before
	// Roster closed it, but nowhere near the 2 × 60 MB it meant to send.
	if n := sent.Load(); n > 20<<20 {
		t.Errorf("the issuer URL managed to send %d bytes", n)
	}
}

// TestWebhookToRefusedDestination: a Roster started without --allow-outbound does not deliver
// to a receiver on its loopback; the webhook's last_error names the policy.
func TestWebhookToRefusedDestination(t *testing.T) {
	ts, svc := newServer(t, "")
	var hits atomic.Int64
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(receiver.Close)
	status, answer := adminCall(ts, http.MethodPost, "/admin/api/v1/webhooks", `{"url":"`+receiver.URL+`/hook"}`)
	if status != http.StatusCreated {
		t.Fatalf("create webhook: %d %s", status, answer)
	}
	var hook struct{ ID string }
	if err := json.Unmarshal([]byte(answer), &hook); err != nil {
		t.Fatal(err)
	}
	// An event to deliver: the IdP is created in the store directly, since its protocol
	// settings are not what this test is about.
	if _, err := svc.CreateIdP(t.Context(), "admin:test", directory.IdP{ID: "kc", Protocol: directory.ProtocolOIDC,
		Mode: directory.ModeJIT, OIDC: directory.OIDCSettings{Issuer: "https://idp.example", ClientID: "c", ClientSecret: "s"}}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Status    string `json:"status"`
		Failures  int    `json:"failures"`
		LastError string `json:"last_error"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for got.Failures == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		_, answer := adminCall(ts, http.MethodGet, "/admin/api/v1/webhooks/"+hook.ID, "")
		if err := json.Unmarshal([]byte(answer), &got); err != nil {
			t.Fatalf("%v: %s", err, answer)
		}
	}
	want := "destination 127.0.0.1 is a loopback address; allow it with --allow-outbound"
	if got.Failures == 0 || !strings.Contains(got.LastError, want) {
		t.Errorf("webhook %+v; want a failure whose last_error says %q", got, want)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the refused receiver got %d requests", n)
	}
}
