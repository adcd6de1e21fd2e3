package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/internal/dnscheck"
	"github.com/rosterhq/roster/internal/outbound"
)

// serveConfig is the configuration of `roster serve`. It is read from an optional YAML file,
// then ROSTER_* environment variables, then flags, each over the one before.
type serveConfig struct {
	Addr           string        `yaml:"addr"`
	Data           string        `yaml:"data"`
	DatabaseURL    string        `yaml:"database_url"`
	BaseURL        string        `yaml:"base_url"`
	AdminToken     string        `yaml:"admin_token"`
	LogLevel       string        `yaml:"log_level"`
	SAMLClockSkew  time.Duration `yaml:"saml_clock_skew"`
	SessionTTL     time.Duration `yaml:"session_ttl"`
	ShutdownGrace  time.Duration `yaml:"shutdown_grace"`
	AllowOutbound  string        `yaml:"allow_outbound"`
	TrustedProxies string        `yaml:"trusted_proxies"`
	DNSResolver    string        `yaml:"dns_resolver"`
	OperatorOrg    string        `yaml:"operator_org"`
}

// flagHelp is returned when -h was asked for; the usage is already printed.
var flagHelp = flag.ErrHelp

func defaultServeConfig() serveConfig {
	return serveConfig{
		Addr: "127.0.0.1:8080", Data: "roster.db", LogLevel: "info",
		SAMLClockSkew: 2 * time.Minute, SessionTTL: 12 * time.Hour, ShutdownGrace: 20 * time.Second,
	}
}

// setting is one configuration value: its flag, its environment variable, and how a text
// value is stored into the configuration.
type setting struct {
	flag, env, usage string
	set              func(v string) error
}

func stringInto(dst *string) func(string) error {
	return func(v string) error { *dst = v; return nil }
}

func durationInto(dst *time.Duration) func(string) error {
	return func(v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%q is not a duration such as 90s or 5m", v)
		}
		*dst = d
		return nil
	}
}

// loadServeConfig builds the configuration from args and the environment. It returns every
// problem at once.
func loadServeConfig(args []string, getenv func(string) string, stderr io.Writer) (serveConfig, error) {
	cfg := defaultServeConfig()
	settings := []setting{
		{"addr", "ROSTER_ADDR", "listen address (default 127.0.0.1:8080)", stringInto(&cfg.Addr)},
		{"data", "ROSTER_DATA", "bbolt data file (default ./roster.db)", stringInto(&cfg.Data)},
		{"database-url", "ROSTER_DATABASE_URL", "a postgres:// URL switches storage to PostgreSQL", stringInto(&cfg.DatabaseURL)},
		{"base-url", "ROSTER_BASE_URL", "public URL used in metadata and redirect URIs (default http://<addr>)", stringInto(&cfg.BaseURL)},
		{"admin-token", "ROSTER_ADMIN_TOKEN", "bootstrap admin token instead of a generated one", stringInto(&cfg.AdminToken)},
		{"log-level", "ROSTER_LOG_LEVEL", "debug, info, warn or error", stringInto(&cfg.LogLevel)},
		{"saml-clock-skew", "ROSTER_SAML_CLOCK_SKEW", "tolerance for SAML assertion validity times (default 2m)", durationInto(&cfg.SAMLClockSkew)},
		{"session-ttl", "ROSTER_SESSION_TTL", "sign-in session lifetime (default 12h)", durationInto(&cfg.SessionTTL)},
		{"shutdown-grace", "ROSTER_SHUTDOWN_GRACE", "time to finish in-flight requests on SIGTERM (default 20s)", durationInto(&cfg.ShutdownGrace)},
		{"trusted-proxies", "ROSTER_TRUSTED_PROXIES", "comma-separated CIDRs or addresses of reverse proxies whose X-Forwarded-For names the client (e.g. 10.0.0.0/8); none by default", stringInto(&cfg.TrustedProxies)},
		{"allow-outbound", "ROSTER_ALLOW_OUTBOUND", "comma-separated CIDRs and host names that metadata URLs, OIDC issuers and webhooks may reach although they are not public (e.g. 127.0.0.0/8,::1,idp.internal.example)", stringInto(&cfg.AllowOutbound)},
		{"dns-resolver", "ROSTER_DNS_RESOLVER", "host:port of the DNS server that verifies organizations' domains (default: the system resolver)", stringInto(&cfg.DNSResolver)},
		{"operator-org", "ROSTER_OPERATOR_ORG", "the operator's own organization: its console admin groups sign in to the console as owners, its viewer groups as viewers of every organization", stringInto(&cfg.OperatorOrg)},
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", getenv("ROSTER_CONFIG"), "YAML configuration file (env ROSTER_CONFIG)")
	// Flags are parsed first, to find --config, but applied last, over the file and the
	// environment.
	type flagValue struct {
		setting
		value string
	}
	var fromFlags []flagValue
	for _, st := range settings {
		fs.Func(st.flag, st.usage+" (env "+st.env+")", func(v string) error {
			fromFlags = append(fromFlags, flagValue{st, v})
			return nil
		})
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, flagHelp
		}
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
	var problems []string
	if *configPath != "" {
		if err := readConfigFile(*configPath, &cfg); err != nil {
			problems = append(problems, err.Error())
		}
	}
	for _, st := range settings {
		if v := getenv(st.env); v != "" {
			if err := st.set(v); err != nil {
				problems = append(problems, fmt.Sprintf("%s=%v", st.env, err))
			}
		}
	}
	for _, fv := range fromFlags {
		if err := fv.set(fv.value); err != nil {
			problems = append(problems, fmt.Sprintf("--%s %v", fv.flag, err))
		}
	}
	problems = append(problems, cfg.validate()...)
	if len(problems) > 0 {
		return cfg, errors.New("invalid configuration:\n  - " + strings.Join(problems, "\n  - "))
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://" + cfg.Addr
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return cfg, nil
}

func readConfigFile(path string, cfg *serveConfig) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true) // an unknown key is an error naming it, not a silent typo
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("config file %s: %v", path, err)
	}
	return nil
}

// validate reports every problem of the configuration at once.
func (c serveConfig) validate() []string {
	var problems []string
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		problems = append(problems, fmt.Sprintf("addr %q is not host:port (e.g. 127.0.0.1:8080)", c.Addr))
	}
	if c.DatabaseURL == "" && c.Data == "" {
		problems = append(problems, "data is empty: name the bbolt file, or set database_url")
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			problems = append(problems, "database_url must be a postgres:// URL")
		}
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			problems = append(problems, fmt.Sprintf("base_url %q must be an absolute http:// or https:// URL", c.BaseURL))
		} else if u.RawQuery != "" || u.Fragment != "" {
			problems = append(problems, fmt.Sprintf("base_url %q must not carry a query or fragment", c.BaseURL))
		}
	}
	if c.AdminToken != "" && len(c.AdminToken) < 16 {
		problems = append(problems, "admin_token must be at least 16 characters")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		problems = append(problems, fmt.Sprintf("log_level %q is not one of debug, info, warn, error", c.LogLevel))
	}
	if c.SAMLClockSkew < 0 || c.SAMLClockSkew > 10*time.Minute {
		problems = append(problems, fmt.Sprintf("saml_clock_skew %v must be between 0 and 10m", c.SAMLClockSkew))
	}
	if c.SessionTTL < time.Minute {
		problems = append(problems, fmt.Sprintf("session_ttl %v must be at least 1m", c.SessionTTL))
	}
	if c.ShutdownGrace < 0 {
		problems = append(problems, "shutdown_grace must not be negative")
	}
	if _, err := outbound.ParseAllowList(c.AllowOutbound); err != nil {
		problems = append(problems, err.Error())
	}
	if _, err := admin.ParseTrustedProxies(c.TrustedProxies); err != nil {
		problems = append(problems, err.Error())
	}
	if c.DNSResolver != "" {
		if err := dnscheck.ValidateServer(c.DNSResolver); err != nil {
			problems = append(problems, err.Error())
		}
	}
	return problems
}
