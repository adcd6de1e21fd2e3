package admin_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testserver"
	"github.com/rosterhq/roster/internal/teststore"
)

// env is a running Roster on a real bbolt file in a temporary directory.
type env struct {
	t     *testing.T
	dir   *teststore.Directory
	svc   *directory.Service
	url   string
	token string
}

// newEnv serves the whole assembly (server.New), so the admin API is tested as mounted in gin
// beside SCIM and JIT. The tests' OIDC IdPs name placeholder issuers; discovery at save time
// is tested in server/ against a real OpenID provider.
func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, testserver.Config{})
}

// newEnvWith is newEnv with more of the server's settings (a DNS resolver, PostgreSQL).
func newEnvWith(t *testing.T, cfg testserver.Config) *env {
	t.Helper()
	cfg.Backup, cfg.SkipOIDCDiscovery = true, true
	s := testserver.Start(t, cfg)
	return &env{t: t, dir: s.Directory, svc: s.Service, url: s.URL, token: s.AdminToken}
}

// newHandlerEnv serves admin.New alone, with cfg, for tests of the handler's own settings.
func newHandlerEnv(t *testing.T, cfg admin.Config) *env {
	t.Helper()
	d := teststore.NewBolt(t)
	ts := httptest.NewUnstartedServer(nil)
	e := &env{t: t, dir: d, svc: d.Service, url: "http://" + ts.Listener.Addr().String(), token: d.AdminToken}
	if cfg.BaseURL == "" {
		cfg.BaseURL = e.url
	}
	ts.Config.Handler = admin.New(e.svc, cfg)
	ts.Start()
	t.Cleanup(ts.Close)
	return e
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

// errBody decodes an error answer.
func (r resp) errBody(t *testing.T) (msg string, problems []string) {
	t.Helper()
	var b struct {
		Error    string   `json:"error"`
		Problems []string `json:"problems"`
	}
	r.json(t, &b)
	if b.Error == "" {
		t.Fatalf("error answer without a message: %s", r.body)
	}
	return b.Error, b.Problems
}

func (e *env) do(method, path string, body any) resp {
	e.t.Helper()
	return e.doWith(method, path, body, e.token)
}

func (e *env) doWith(method, path string, body any, token string) resp {
	e.t.Helper()
	r := testserver.Request(e.t, method, e.url+path, token, body)
	return resp{status: r.Status, header: r.Header, body: r.Body}
}

func (e *env) want(r resp, status int) resp {
	e.t.Helper()
	if r.status != status {
		e.t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	return r
}

// oidcIdP is an IdP body that passes jit's protocol checks without a network.
func oidcIdP(id string, mode directory.Mode) map[string]any {
	return map[string]any{"id": id, "name": "Test " + id, "protocol": "oidc", "mode": mode, "preset": "okta",
		"oidc": map[string]any{"issuer": "https://idp.example.com", "client_id": "roster", "client_secret": "s3cret"}}
}

func (e *env) createIdP(id string, mode directory.Mode) {
	e.t.Helper()
	e.want(e.do("POST", "/admin/api/v1/idps", oidcIdP(id, mode)), http.StatusCreated)
}

func (e *env) scimCreate(idp, key, userName string) directory.User {
	e.t.Helper()
	u, err := e.svc.SCIMCreateUser(e.t.Context(), directory.SCIMActor{IdP: idp, TokenID: "test"}, directory.User{
		UserName: userName, ExternalID: key, Active: true, DisplayName: "User " + userName,
		Emails: []directory.MultiValue{{Value: userName, Primary: true}}})
	if err != nil {
		e.t.Fatalf("SCIM create %s: %v", userName, err)
	}
	return u
}

func (e *env) lastSeq() uint64 {
	e.t.Helper()
	return e.dir.LastSeq()
}

func (e *env) idps() []directory.IdP {
	e.t.Helper()
	ps, err := e.svc.IdPs(e.t.Context(), "")
	if err != nil {
		e.t.Fatal(err)
	}
	return ps
}

// createOrg creates an organization as the owner.
func (e *env) createOrg(id string) {
	e.t.Helper()
	e.want(e.do("POST", "/admin/api/v1/orgs", map[string]any{"id": id, "name": "Org " + id}), http.StatusCreated)
}

// createIdPIn creates an IdP in organization org as the owner.
func (e *env) createIdPIn(org, id string, mode directory.Mode) {
	e.t.Helper()
	body := oidcIdP(id, mode)
	body["org"] = org
	e.want(e.do("POST", "/admin/api/v1/idps", body), http.StatusCreated)
}

// adminToken creates an admin credential as the owner and returns its secret.
func (e *env) adminToken(name string, role directory.Role, org string) string {
	e.t.Helper()
	var out struct {
		Token string `json:"token"`
	}
	e.want(e.do("POST", "/admin/api/v1/admin-tokens", map[string]any{"name": name, "role": role, "org": org}), http.StatusCreated).json(e.t, &out)
	if out.Token == "" {
		e.t.Fatalf("no secret for admin token %s", name)
	}
	return out.Token
}

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o600) }
