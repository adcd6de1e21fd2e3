package main

import (
	"io"
	"strings"
	"testing"
)

// TestServeTrustedProxiesSetting: trusted_proxies comes from the environment or the flag, and
// an entry that is neither a CIDR nor an address is reported with every other problem.
func TestServeTrustedProxiesSetting(t *testing.T) {
	env := map[string]string{"ROSTER_TRUSTED_PROXIES": "10.0.0.0/8"}
	getenv := func(k string) string { return env[k] }
	cfg, err := loadServeConfig(nil, getenv, io.Discard)
	if err != nil || cfg.TrustedProxies != "10.0.0.0/8" {
		t.Errorf("from the environment: %q, %v", cfg.TrustedProxies, err)
	}
	cfg, err = loadServeConfig([]string{"--trusted-proxies", "192.0.2.7,2001:db8::/32"}, getenv, io.Discard)
	if err != nil || cfg.TrustedProxies != "192.0.2.7,2001:db8::/32" {
		t.Errorf("from the flag: %q, %v", cfg.TrustedProxies, err)
	}
	_, err = loadServeConfig([]string{"--trusted-proxies", "10.0.0.0/8,proxy.example", "--addr", "x"}, getenv, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "proxy.example") || !strings.Contains(err.Error(), `addr "x"`) {
		t.Errorf("a host name among the trusted proxies: %v, want it reported with the other problems", err)
	}
}
