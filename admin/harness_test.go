package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/server"
	"github.com/rosterhq/roster/storage/bolt"
)

const adminSecret = "test-admin-token-0123456789abcdef"

// env is a running Roster on a real bbolt file in a temporary directory.
type env struct {
	t     *testing.T
	svc   *directory.Service
	store *bolt.Store
	url   string
	token string
}

// newEnv serves the whole assembly (server.New), so the admin API is tested as mounted in gin
// beside SCIM and JIT.
func newEnv(t *testing.T) *env {
	t.Helper()
	e := newBareEnv(t)
	// The handler needs the base URL, which is known once the listener is: set it before
	// Start, so no request can see the server without it.
	ts := httptest.NewUnstartedServer(nil)
	e.url = "http://" + ts.Listener.Addr().String()
	// The tests' OIDC IdPs name placeholder issuers; discovery at save time is tested in
	// server/ against a real discovery endpoint.
	h, err := server.New(server.Config{BaseURL: e.url, Logger: slog.New(slog.DiscardHandler), Backup: e.store.WriteTo,
		SkipOIDCDiscovery: true}, e.svc)
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = h
	ts.Start()
	t.Cleanup(ts.Close)
	return e
}

// newHandlerEnv serves admin.New alone, with cfg, for tests of the handler's own settings.
func newHandlerEnv(t *testing.T, cfg admin.Config) *env {
	t.Helper()
	e := newBareEnv(t)
	ts := httptest.NewUnstartedServer(nil)
	e.url = "http://" + ts.Listener.Addr().String()
	if cfg.BaseURL == "" {
		cfg.BaseURL = e.url
	}
	cfg.Logger = slog.New(slog.DiscardHandler)
	ts.Config.Handler = admin.New(e.svc, cfg)
	ts.Start()
	t.Cleanup(ts.Close)
	return e
}

func newBareEnv(t *testing.T) *env {
	t.Helper()
	store, err := bolt.Open(filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	svc := directory.New(store)
	if _, _, err := svc.EnsureAdminToken(t.Context(), adminSecret); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, svc: svc, store: store, token: adminSecret}
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
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: raw}
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
	var seq uint64
	if err := e.svc.View(context.Background(), func(tx directory.ReadTx) error {
		var err error
		seq, err = tx.LastSeq()
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return seq
}

func (e *env) idps() []directory.IdP {
	e.t.Helper()
	ps, err := e.svc.IdPs(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	return ps
}

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o600) }
