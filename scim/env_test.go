package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/teststore"
)

// env is a SCIM server on a real bbolt file, served over real HTTP.
type env struct {
	t     *testing.T
	dir   *teststore.Directory
	svc   *directory.Service
	store directory.Store
	srv   *httptest.Server
	token string // SCIM token of IdP "okta" (mode both)
	idp   string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvWith(t)
}

// newEnvWith is newEnv with options for the Service, such as its clock.
func newEnvWith(t testing.TB, opts ...directory.Option) *env {
	t.Helper()
	return newEnvOn(t, teststore.NewBolt(t, opts...))
}

// newEnvOn is newEnv on the store of d.
func newEnvOn(t testing.TB, d *teststore.Directory) *env {
	t.Helper()
	svc := d.Service
	e := &env{dir: d, svc: svc, store: d.Store, idp: "okta"}
	if tt, ok := t.(*testing.T); ok {
		e.t = tt
	}
	e.addIdP(t, "okta", directory.ModeBoth, directory.MatchExternalID)
	e.token = e.newToken(t, "okta")
	h := New(svc, Options{BaseURL: "https://roster.example", Logger: slog.New(slog.DiscardHandler)})
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) addIdP(t testing.TB, id string, mode directory.Mode, match string) {
	t.Helper()
	if _, err := e.svc.CreateIdP(context.Background(), "admin:test", directory.IdP{ID: id, Protocol: directory.ProtocolSAML, Mode: mode, SCIMMatch: match}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) newToken(t testing.TB, idp string) string {
	t.Helper()
	_, secret, err := e.svc.CreateToken(context.Background(), "admin:test", directory.TokenSCIM, idp, "test", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// response is an HTTP answer with its body decoded as JSON when it is JSON.
type response struct {
	Status int
	Header http.Header
	Raw    string
	Body   map[string]any
}

// do sends a request with the default token; body may be a string (sent verbatim) or a value
// (encoded as JSON).
func (e *env) do(method, path string, body any, headers ...string) response {
	return e.doAs(e.token, method, path, body, headers...)
}

func (e *env) doAs(token, method, path string, body any, headers ...string) response {
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
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatalf("%s %s: reading the answer: %v", method, path, err)
	}
	out := response{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	_ = json.Unmarshal(raw, &out.Body)
	return out
}

// must fails the test unless the response has the status.
func (r response) must(t *testing.T, status int) response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Raw)
	}
	return r
}

func (r response) str(key string) string {
	v, _ := r.Body[key].(string)
	return v
}

// mustSCIMError checks an error response's status, scimType and shape.
func (r response) mustSCIMError(t *testing.T, status int, scimType string) {
	t.Helper()
	r.must(t, status)
	schemas, _ := r.Body["schemas"].([]any)
	if len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
		t.Errorf("error body schemas = %v; body %s", r.Body["schemas"], r.Raw)
	}
	if got, _ := r.Body["status"].(string); got != itoa(status) {
		t.Errorf("error body status = %v, want the string %q", r.Body["status"], itoa(status))
	}
	if got, _ := r.Body["scimType"].(string); got != scimType {
		t.Errorf("scimType = %q, want %q; body %s", got, scimType, r.Raw)
	}
	if d, _ := r.Body["detail"].(string); d == "" {
		t.Errorf("error without detail: %s", r.Raw)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// userBody is a minimal valid user for the "okta" IdP (which matches by externalId).
func userBody(userName, externalID string) map[string]any {
	return map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName":   userName,
		"externalId": externalID,
		"name":       map[string]any{"givenName": "Given", "familyName": "Family"},
		"emails":     []any{map[string]any{"value": userName, "type": "work", "primary": true}},
	}
}

func (e *env) createUser(userName, externalID string) string {
	e.t.Helper()
	r := e.do("POST", "/scim/v2/Users", userBody(userName, externalID)).must(e.t, 201)
	return r.str("id")
}

// createUserFuzz creates the user a fuzz target patches.
func (e *env) createUserFuzz(f *testing.F) string {
	f.Helper()
	st, err := e.svc.SCIMCreateUser(context.Background(), directory.SCIMActor{IdP: e.idp, TokenID: "fuzz"}, directory.User{
		UserName: "fuzz@example.com", ExternalID: "fuzz", Active: true,
		Emails: []directory.MultiValue{{Value: "fuzz@example.com", Type: "work", Primary: true}}})
	if err != nil {
		f.Fatal(err)
	}
	return st.ID
}

// snapshot is the store's user, group and event state, to prove a refused request changed
// nothing.
func (e *env) snapshot() string {
	e.t.Helper()
	var b strings.Builder
	err := e.svc.View(context.Background(), func(tx directory.ReadTx) error {
		enc := json.NewEncoder(&b)
		if err := tx.ScanUsers(directory.ScanQuery{}, func(u directory.User) error { return enc.Encode(u) }); err != nil {
			return err
		}
		if err := tx.ScanGroups(directory.ScanQuery{}, func(g directory.Group) error { return enc.Encode(g) }); err != nil {
			return err
		}
		seq, err := tx.LastSeq()
		if err != nil {
			return err
		}
		return enc.Encode(seq)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return b.String()
}

// events returns the events after seq.
func (e *env) events(after uint64) []directory.Event {
	e.t.Helper()
	return e.dir.Events(after)
}

func (e *env) lastSeq() uint64 {
	e.t.Helper()
	return e.dir.LastSeq()
}

func (e *env) user(id string) directory.User {
	e.t.Helper()
	u, err := e.svc.User(context.Background(), id)
	if err != nil {
		e.t.Fatalf("user %s: %v", id, err)
	}
	return u
}
