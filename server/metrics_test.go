package server_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testidp"
	"github.com/rosterhq/roster/internal/testserver"
)

// scrape reads /metrics with the token and parses it with the Prometheus text parser.
func scrape(t *testing.T, srv *testserver.Server, token string) map[string]*dto.MetricFamily {
	t.Helper()
	r := srv.Do(http.MethodGet, "/metrics", token, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", r.Status, r.Body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatalf("parsing /metrics: %v\n%s", err, r.Body)
	}
	return families
}

// value is the value of the metric of family name whose labels include labels; for a
// histogram, its count. A metric that is not there is 0.
func value(families map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	f, ok := families[name]
	if !ok {
		return 0
	}
	sum := 0.0
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range labels {
			if have[k] != v {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}

// TestMetricsMoveWithRealRequests: SCIM requests over HTTP, an OIDC sign-in through a real
// OpenID provider, a refused sign-in and a webhook move the counters /metrics shows, and the
// gauges read from the store agree with it.
func TestMetricsMoveWithRealRequests(t *testing.T) {
	srv := testserver.Start(t, testserver.Config{})
	op := testidp.NewOP(t, testidp.OPConfig{})
	op.Register("roster", "s3cret", srv.BaseURL+"/sso/okta/oidc/callback")
	if r := srv.Admin(http.MethodPost, "/admin/api/v1/idps", map[string]any{"id": "okta", "protocol": "oidc", "mode": "both", "scim_match": "externalId",
		"oidc": map[string]any{"issuer": op.Issuer, "client_id": "roster", "client_secret": "s3cret"}}); r.Status != http.StatusCreated {
		t.Fatalf("creating the IdP: %d %s", r.Status, r.Body)
	}
	srv.AddIdP(directory.IdP{ID: "hr", Mode: directory.ModeJIT})
	_, scimToken := srv.SCIMToken("okta")
	_, jitToken := srv.SCIMToken("hr")
	before := scrape(t, srv, srv.AdminToken)
	seqBefore := srv.LastSeq()

	scim := func(token, body string) int {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/scim/v2/Users", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/scim+json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	for _, u := range []string{"ada", "bob"} {
		if st := scim(scimToken, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+u+`@example.com","externalId":"00u-`+u+`","active":true}`); st != http.StatusCreated {
			t.Fatalf("SCIM create: %d", st)
		}
	}
	if st := scim(jitToken, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"eve@example.com","externalId":"e1"}`); st != http.StatusForbidden {
		t.Fatalf("SCIM create with a token of an IdP in mode jit: %d, want 403", st)
	}
	// A sign-in that creates its user, and one that a rule refuses (R6: SCIM deactivated it).
	op.SignIn(testidp.OPPerson{Sub: "00u-new", IDToken: map[string]any{"email": "new@example.com", "given_name": "N", "family_name": "Ew"}})
	b := testidp.NewBrowser(t)
	if resp, body := b.Get(b.OIDCCallback(srv.URL+"/sso/okta/login", op.Issuer)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d %s", resp.StatusCode, body)
	}
	bob, err := srv.Service.SCIMUser(t.Context(), directory.SCIMActor{IdP: "okta", TokenID: "t"}, findUser(t, srv, "bob@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Service.DeactivateUser(t.Context(), "admin:test", bob.ID); err != nil {
		t.Fatal(err)
	}
	op.SignIn(testidp.OPPerson{Sub: "00u-bob", IDToken: map[string]any{"email": "bob@example.com", "given_name": "B", "family_name": "Ob"}})
	b = testidp.NewBrowser(t)
	if resp, _ := b.Get(b.OIDCCallback(srv.URL+"/sso/okta/login", op.Issuer)); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a deactivated user's sign-in: %d, want 403", resp.StatusCode)
	}
	// A webhook created now lags behind every event written after it.
	// Its receiver, on loopback, holds every delivery back, so the lag stays.
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(receiver.Close)
	hook := srv.Admin(http.MethodPost, "/admin/api/v1/webhooks", map[string]any{"url": receiver.URL + "/hook"})
	if hook.Status != http.StatusCreated {
		t.Fatalf("creating a webhook: %d %s", hook.Status, hook.Body)
	}
	var created struct{ ID string }
	hook.JSON(t, &created)
	if _, err := srv.Service.DeactivateUser(t.Context(), "admin:test", findUser(t, srv, "ada@example.com")); err != nil {
		t.Fatal(err)
	}

	after := scrape(t, srv, srv.AdminToken)
	moved := func(name string, labels map[string]string, want float64) {
		t.Helper()
		if got := value(after, name, labels) - value(before, name, labels); got != want {
			t.Errorf("%s%v moved by %v, want %v", name, labels, got, want)
		}
	}
	moved("roster_scim_operations_total", map[string]string{"idp": "okta", "operation": "user.created", "result": "ok"}, 2)
	moved("roster_scim_operations_total", map[string]string{"idp": "hr", "operation": "scim.refused", "result": "refused"}, 1)
	moved("roster_logins_total", map[string]string{"idp": "okta", "outcome": "created", "rule": "R4"}, 1)
	moved("roster_logins_total", map[string]string{"idp": "okta", "outcome": "refused", "rule": "R6"}, 1)
	moved("roster_events_total", map[string]string{"type": "user.deactivated"}, 2)
	moved("roster_http_requests_total", map[string]string{"surface": "scim", "code": "2xx"}, 2)
	moved("roster_http_requests_total", map[string]string{"surface": "scim", "code": "4xx"}, 1)
	moved("roster_http_requests_total", map[string]string{"surface": "sso", "code": "4xx"}, 1)
	moved("roster_http_request_duration_seconds", map[string]string{"surface": "scim"}, 3)
	// The first scrape is counted by the second.
	moved("roster_http_requests_total", map[string]string{"surface": "ops", "code": "2xx"}, 1)
	if got := value(after, "roster_store_commit_seconds", map[string]string{"result": "ok"}) - value(before, "roster_store_commit_seconds", map[string]string{"result": "ok"}); got < 6 {
		t.Errorf("store commits moved by %v, want at least the 6 writes made", got)
	}
	last := srv.LastSeq()
	if got := value(after, "roster_event_log_last_seq", nil); got != float64(last) {
		t.Errorf("roster_event_log_last_seq = %v, the log's last seq is %d", got, last)
	}
	hooks, err := srv.Service.Webhooks(t.Context(), "")
	if err != nil || len(hooks) != 1 {
		t.Fatalf("webhooks %v %v", hooks, err)
	}
	if got, want := value(after, "roster_webhook_lag_events", map[string]string{"webhook": created.ID}), float64(last-hooks[0].State.Cursor); got != want || want < 1 {
		t.Errorf("roster_webhook_lag_events = %v, want %v (at least the deactivation after it)", got, want)
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if _, ok := after[name]; !ok {
			t.Errorf("the Go runtime's %s is missing", name)
		}
	}
	// What the counters count agrees with the log: between the scrapes, the events of each
	// type the counters moved by are the log's.
	byType := map[string]float64{}
	for _, e := range srv.Events(seqBefore) {
		byType[e.Type]++
	}
	if len(byType) < 4 {
		t.Fatalf("only %v between the scrapes", byType)
	}
	for typ, n := range byType {
		moved("roster_events_total", map[string]string{"type": typ}, n)
	}
}

func findUser(t *testing.T, srv *testserver.Server, userName string) string {
	t.Helper()
	var id string
	if err := srv.Service.View(t.Context(), func(tx directory.ReadTx) error {
		u, err := tx.UserByUserName(directory.DefaultOrg, userName)
		id = u.ID
		return err
	}); err != nil {
		t.Fatalf("user %s: %v", userName, err)
	}
	return id
}

// TestMetricsNeedACredentialOfEveryOrganization: the metrics name every organization's IdPs,
// so only an owner or a viewer of every organization reads them (R13).
func TestMetricsNeedACredentialOfEveryOrganization(t *testing.T) {
	srv := testserver.Start(t, testserver.Config{})
	if r := srv.Admin(http.MethodPost, "/admin/api/v1/orgs", map[string]any{"id": "acme", "name": "Acme"}); r.Status != http.StatusCreated {
		t.Fatalf("creating an organization: %d %s", r.Status, r.Body)
	}
	token := func(role, org string) string {
		var out struct{ Token string }
		r := srv.Admin(http.MethodPost, "/admin/api/v1/admin-tokens", map[string]any{"name": role + org, "role": role, "org": org})
		if r.Status != http.StatusCreated {
			t.Fatalf("admin token: %d %s", r.Status, r.Body)
		}
		r.JSON(t, &out)
		return out.Token
	}
	for _, c := range []struct {
		name, token string
		status      int
	}{
		{"no credential", "", http.StatusUnauthorized},
		{"a wrong token", "rst_admin_wrong", http.StatusUnauthorized},
		{"an org-admin of one organization", token("org-admin", "acme"), http.StatusForbidden},
		{"a viewer of one organization", token("viewer", "acme"), http.StatusForbidden},
		{"a viewer of every organization", token("viewer", ""), http.StatusOK},
		{"the owner", srv.AdminToken, http.StatusOK},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := srv.Do(http.MethodGet, "/metrics", c.token, nil)
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
			if c.status == http.StatusOK && !strings.Contains(string(r.Body), "roster_event_log_last_seq") {
				t.Errorf("no metrics in %s", r.Body)
			}
			if c.status != http.StatusOK && strings.Contains(string(r.Body), "roster_") {
				t.Errorf("a refused scrape shows metrics: %s", r.Body)
			}
		})
	}
}

// TestHeadAndRoot: HEAD is answered wherever GET is, with GET's status and headers and no body;
// / sends a person to the console.
func TestHeadAndRoot(t *testing.T) {
	srv := testserver.Start(t, testserver.Config{})
	srv.AddIdP(directory.IdP{ID: "okta", Mode: directory.ModeBoth})
	for _, path := range []string{"/admin", "/admin/", "/admin/static/app.js", "/healthz", "/readyz", "/sso/okta/saml/metadata",
		"/scim/v2/ServiceProviderConfig", "/admin/api/v1/users", "/api/v1/me", "/metrics", "/no/such/page"} {
		t.Run(path, func(t *testing.T) {
			get := srv.Do(http.MethodGet, path, srv.AdminToken, nil)
			head := srv.Do(http.MethodHead, path, srv.AdminToken, nil)
			if path == "/scim/v2/ServiceProviderConfig" {
				_, scimToken := srv.SCIMToken("okta")
				get = srv.Do(http.MethodGet, path, scimToken, nil)
				head = srv.Do(http.MethodHead, path, scimToken, nil)
			}
			if head.Status != get.Status {
				t.Errorf("HEAD %d, GET %d", head.Status, get.Status)
			}
			if len(head.Body) != 0 {
				t.Errorf("HEAD answered a body: %q", head.Body)
			}
			if h, g := head.Header.Get("Content-Type"), get.Header.Get("Content-Type"); h != g {
				t.Errorf("HEAD Content-Type %q, GET %q", h, g)
			}
			if path != "/no/such/page" && path != "/api/v1/me" && get.Status != http.StatusOK {
				t.Errorf("GET %s: %d", path, get.Status)
			}
		})
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		req, _ := http.NewRequestWithContext(t.Context(), m, srv.URL+"/", nil)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/admin/" {
			t.Errorf("%s /: %d to %q, want 302 to /admin/", m, res.StatusCode, res.Header.Get("Location"))
		}
	}
}
