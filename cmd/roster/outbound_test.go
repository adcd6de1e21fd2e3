package main

import (
	"context"
	"encoding/json"
	"github.com/rosterhq/roster/internal/testserver"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeAllowOutboundSettings: allow_outbound comes from the file, the environment or the
// flag like every setting, and a bad entry is reported with every other problem.
func TestServeAllowOutboundSettings(t *testing.T) {
	cfgFile := filepath.Join(t.TempDir(), "roster.yaml")
	os.WriteFile(cfgFile, []byte("allow_outbound: 10.0.0.0/8\n"), 0o600)
	env := map[string]string{"ROSTER_CONFIG": cfgFile}
	getenv := func(k string) string { return env[k] }
	cfg, err := loadServeConfig(nil, getenv, io.Discard)
	if err != nil || cfg.AllowOutbound != "10.0.0.0/8" {
		t.Errorf("from the file: %q, %v", cfg.AllowOutbound, err)
	}
	env["ROSTER_ALLOW_OUTBOUND"] = "127.0.0.0/8,::1"
	cfg, err = loadServeConfig(nil, getenv, io.Discard)
	if err != nil || cfg.AllowOutbound != "127.0.0.0/8,::1" {
		t.Errorf("from the environment: %q, %v", cfg.AllowOutbound, err)
	}
	cfg, err = loadServeConfig([]string{"--allow-outbound", "idp.internal.example"}, getenv, io.Discard)
	if err != nil || cfg.AllowOutbound != "idp.internal.example" {
		t.Errorf("from the flag: %q, %v", cfg.AllowOutbound, err)
	}
	_, err = loadServeConfig([]string{"--allow-outbound", "127.0.0.0/33,ok.example,10.0.0.256", "--addr", "x"}, getenv, io.Discard)
	if err == nil {
		t.Fatal("a bad allow-list was accepted")
	}
	for _, want := range []string{`"127.0.0.0/33"`, `"10.0.0.256"`, `addr "x"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not report %s:\n%v", want, err)
		}
	}
}

// TestServeOutboundDefaultIsSafe: `roster serve` without --allow-outbound refuses an OIDC
// issuer on its own loopback; with --allow-outbound listing loopback it saves the IdP.
func TestServeOutboundDefaultIsSafe(t *testing.T) {
	var op *httptest.Server
	op = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": op.URL, "authorization_endpoint": op.URL + "/authorize", "token_endpoint": op.URL + "/token",
			"jwks_uri": op.URL + "/keys", "response_types_supported": []string{"code"},
			"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"},
		})
	}))
	t.Cleanup(op.Close)
	const token = "serve-outbound-admin-token-01"
	idp := `{"id":"kc","protocol":"oidc","mode":"jit","oidc":{"issuer":"` + op.URL + `","client_id":"roster","client_secret":"s"}}`
	cases := []struct {
		name  string
		extra []string
		want  int
	}{
		{"without --allow-outbound", nil, http.StatusBadRequest},
		{"with --allow-outbound", []string{"--allow-outbound", "127.0.0.0/8,::1"}, http.StatusCreated},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			var stderr testserver.LogBuffer
			exited := make(chan int, 1)
			args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "roster.db"),
				"--admin-token", token}, c.extra...)
			go func() { exited <- runMain(ctx, args, io.Discard, &stderr) }()
			t.Cleanup(func() { cancel(); <-exited })
			addr := waitForStart(t, &stderr)
			req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/admin/api/v1/idps", strings.NewReader(idp))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.want {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, c.want, body)
			}
			if c.want == http.StatusBadRequest && !strings.Contains(string(body), "allow it with --allow-outbound") {
				t.Errorf("the refusal does not name the setting: %s", body)
			}
		})
	}
}
