package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testserver"
)

// adminAs sends an admin API request with token as if from client, which the test servers'
// loopback peer names in X-Forwarded-For.
func adminAs(t *testing.T, srv *testserver.Server, client, path, token string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Forwarded-For", client)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestEveryAdminRouteSharesTheLimiter (issue 17, V4): the webhooks API, which authenticated on
// its own before and let 300 wrong tokens through as 401s, counts its failures in the same
// limiter as the rest of the admin API and GET /metrics, which take the admin credential too;
// past the limit wrong tokens get 429 on each, the right token still passes, and behind a
// trusted proxy each client is counted by the address the proxy names, while without one the
// header is ignored.
func TestEveryAdminRouteSharesTheLimiter(t *testing.T) {
	srv := testserver.Start(t, testserver.Config{TrustedProxies: "127.0.0.1"})
	const guesser, other = "198.51.100.7", "203.0.113.20"
	seq := srv.LastSeq()
	for i := range 10 {
		if r := adminAs(t, srv, guesser, "/admin/api/v1/webhooks", fmt.Sprintf("rst_admin_wrong-%d", i)); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d on /webhooks: %d, want 401", i+1, r.StatusCode)
		}
	}
	r := adminAs(t, srv, guesser, "/admin/api/v1/webhooks", "rst_admin_wrong-10")
	if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Errorf("the 11th failure on /webhooks: %d Retry-After %q, want 429 with Retry-After", r.StatusCode, r.Header.Get("Retry-After"))
	}
	for _, path := range []string{"/admin/api/v1/idps", "/metrics"} {
		if r := adminAs(t, srv, guesser, path, ""); r.StatusCode != http.StatusTooManyRequests {
			t.Errorf("a failure on %s after ten on /webhooks: %d, want 429", path, r.StatusCode)
		}
	}
	for _, path := range []string{"/admin/api/v1/webhooks", "/admin/api/v1/idps", "/metrics"} {
		if r := adminAs(t, srv, guesser, path, srv.AdminToken); r.StatusCode != http.StatusOK {
			t.Errorf("the right token on %s from the limited client: %d, want 200", path, r.StatusCode)
		}
	}
	if r := adminAs(t, srv, other, "/admin/api/v1/webhooks", "rst_admin_nope"); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("another client behind the proxy: %d, want 401", r.StatusCode)
	}
	var subjects []string
	for _, e := range srv.Events(seq) {
		if e.Type == directory.EventAdminAuthFailed {
			subjects = append(subjects, e.Subject)
		}
	}
	if want := []string{guesser, guesser, other}; strings.Join(subjects, " ") != strings.Join(want, " ") {
		t.Errorf("admin.auth_failed events for %v, want %v", subjects, want)
	}

	// Without trusted proxies the header is whatever the client wrote: failures count for
	// the TCP peer however the header varies.
	plain := testserver.Start(t, testserver.Config{})
	for i := range 10 {
		adminAs(t, plain, fmt.Sprintf("192.0.2.%d", i), "/admin/api/v1/webhooks", "")
	}
	if r := adminAs(t, plain, "192.0.2.99", "/admin/api/v1/webhooks", ""); r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the 11th failure from one peer under varying X-Forwarded-For: %d, want 429", r.StatusCode)
	}
}
