package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/testdns"
	"github.com/rosterhq/roster/internal/testserver"
)

// TestServeDNSResolverSettings: dns_resolver comes from the file, the environment or the flag
// like every setting, and a bad one is reported with every other problem.
func TestServeDNSResolverSettings(t *testing.T) {
	cfgFile := filepath.Join(t.TempDir(), "roster.yaml")
	os.WriteFile(cfgFile, []byte("dns_resolver: 127.0.0.1:5300\n"), 0o600)
	env := map[string]string{"ROSTER_CONFIG": cfgFile}
	getenv := func(k string) string { return env[k] }
	cfg, err := loadServeConfig(nil, getenv, io.Discard)
	if err != nil || cfg.DNSResolver != "127.0.0.1:5300" {
		t.Errorf("from the file: %q, %v", cfg.DNSResolver, err)
	}
	env["ROSTER_DNS_RESOLVER"] = "[::1]:53"
	cfg, err = loadServeConfig(nil, getenv, io.Discard)
	if err != nil || cfg.DNSResolver != "[::1]:53" {
		t.Errorf("from the environment: %q, %v", cfg.DNSResolver, err)
	}
	cfg, err = loadServeConfig([]string{"--dns-resolver", "127.0.0.1:53"}, getenv, io.Discard)
	if err != nil || cfg.DNSResolver != "127.0.0.1:53" {
		t.Errorf("from the flag: %q, %v", cfg.DNSResolver, err)
	}
	_, err = loadServeConfig([]string{"--dns-resolver", "127.0.0.1", "--addr", "x"}, getenv, io.Discard)
	if err == nil {
		t.Fatal("a resolver without a port was accepted")
	}
	for _, want := range []string{`dns_resolver "127.0.0.1" is not host:port`, `addr "x"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not report %s:\n%v", want, err)
		}
	}
}

// TestServeVerifiesDomainsThroughTheResolver: `roster serve --dns-resolver` sends domain
// verification's look-ups to that server.
func TestServeVerifiesDomainsThroughTheResolver(t *testing.T) {
	dnsSrv := testdns.Start(t)
	const token = "serve-dns-admin-token-000001"
	ctx, cancel := context.WithCancel(t.Context())
	var stderr testserver.LogBuffer
	exited := make(chan int, 1)
	go func() {
		exited <- runMain(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "roster.db"),
			"--admin-token", token, "--dns-resolver", dnsSrv.Addr}, io.Discard, &stderr)
	}()
	t.Cleanup(func() { cancel(); <-exited })
	base := "http://" + waitForStart(t, &stderr) + "/admin/api/v1"

	r := testserver.Request(t, "POST", base+"/orgs/default/domains", token, map[string]any{"domain": "example.com"})
	var d struct{ TXTName, TXTValue string }
	if r.Status != 201 {
		t.Fatalf("adding a domain: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &struct {
		TXTName  *string `json:"txt_name"`
		TXTValue *string `json:"txt_value"`
	}{&d.TXTName, &d.TXTValue})
	dnsSrv.SetTXT(d.TXTName, d.TXTValue)
	r = testserver.Request(t, "POST", base+"/orgs/default/domains/example.com/verify", token, nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"verified": true`) {
		t.Errorf("verify: %d %s", r.Status, r.Body)
	}
	if dnsSrv.Queries(d.TXTName) == 0 {
		t.Errorf("the configured resolver was not asked")
	}
}
