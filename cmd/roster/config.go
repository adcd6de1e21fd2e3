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
)

// serveConfig is the configuration of `roster serve`. It is read from an optional YAML file,
// then ROSTER_* environment variables, then flags, each over the one before.
type serveConfig struct {
	Addr          string        `yaml:"addr"`
	Data          string        `yaml:"data"`
	DatabaseURL   string        `yaml:"database_url"`
	BaseURL       string        `yaml:"base_url"`
	AdminToken    string        `yaml:"admin_token"`
	LogLevel      string        `yaml:"log_level"`
	SAMLClockSkew time.Duration `yaml:"saml_clock_skew"`
	SessionTTL    time.Duration `yaml:"session_ttl"`
	ShutdownGrace time.Duration `yaml:"shutdown_grace"`
}

// flagHelp is returned when -h was asked for; the usage is already printed.
var flagHelp = flag.ErrHelp

func defaultServeConfig() serveConfig {
	return serveConfig{
		Addr: "127.0.0.1:8080", Data: "roster.db", LogLevel: "info",
		SAMLClockSkew: 2 * time.Minute, SessionTTL: 12 * time.Hour, ShutdownGrace: 20 * time.Second,
	}
}

// loadServeConfig builds the configuration from args and the environment. It returns every
// problem at once.
func loadServeConfig(args []string, getenv func(string) string, stderr io.Writer) (serveConfig, error) {
	cfg := defaultServeConfig()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", getenv("ROSTER_CONFIG"), "YAML configuration file (env ROSTER_CONFIG)")
	var f serveConfig
	fs.StringVar(&f.Addr, "addr", "", "listen address (env ROSTER_ADDR; default 127.0.0.1:8080)")
	fs.StringVar(&f.Data, "data", "", "bbolt data file (env ROSTER_DATA; default ./roster.db)")
	fs.StringVar(&f.DatabaseURL, "database-url", "", "a postgres:// URL switches storage to PostgreSQL (env ROSTER_DATABASE_URL)")
	fs.StringVar(&f.BaseURL, "base-url", "", "public URL used in metadata and redirect URIs (env ROSTER_BASE_URL; default http://<addr>)")
	fs.StringVar(&f.AdminToken, "admin-token", "", "bootstrap admin token instead of a generated one (env ROSTER_ADMIN_TOKEN)")
	fs.StringVar(&f.LogLevel, "log-level", "", "debug, info, warn or error (env ROSTER_LOG_LEVEL)")
	fs.DurationVar(&f.SAMLClockSkew, "saml-clock-skew", 0, "tolerance for SAML assertion validity times (env ROSTER_SAML_CLOCK_SKEW; default 2m)")
	fs.DurationVar(&f.SessionTTL, "session-ttl", 0, "sign-in session lifetime (env ROSTER_SESSION_TTL; default 12h)")
	fs.DurationVar(&f.ShutdownGrace, "shutdown-grace", 0, "time to finish in-flight requests on SIGTERM (env ROSTER_SHUTDOWN_GRACE; default 20s)")
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
	for _, e := range []struct {
		env string
		dst *string
	}{
		{"ROSTER_ADDR", &cfg.Addr}, {"ROSTER_DATA", &cfg.Data}, {"ROSTER_DATABASE_URL", &cfg.DatabaseURL},
		{"ROSTER_BASE_URL", &cfg.BaseURL}, {"ROSTER_ADMIN_TOKEN", &cfg.AdminToken}, {"ROSTER_LOG_LEVEL", &cfg.LogLevel},
	} {
		if v := getenv(e.env); v != "" {
			*e.dst = v
		}
	}
	for _, e := range []struct {
		env string
		dst *time.Duration
	}{
		{"ROSTER_SAML_CLOCK_SKEW", &cfg.SAMLClockSkew}, {"ROSTER_SESSION_TTL", &cfg.SessionTTL}, {"ROSTER_SHUTDOWN_GRACE", &cfg.ShutdownGrace},
	} {
		if v := getenv(e.env); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s=%q is not a duration such as 90s or 5m", e.env, v))
				continue
			}
			*e.dst = d
		}
	}
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "addr":
			cfg.Addr = f.Addr
		case "data":
			cfg.Data = f.Data
		case "database-url":
			cfg.DatabaseURL = f.DatabaseURL
		case "base-url":
			cfg.BaseURL = f.BaseURL
		case "admin-token":
			cfg.AdminToken = f.AdminToken
		case "log-level":
			cfg.LogLevel = f.LogLevel
		case "saml-clock-skew":
			cfg.SAMLClockSkew = f.SAMLClockSkew
		case "session-ttl":
			cfg.SessionTTL = f.SessionTTL
		case "shutdown-grace":
			cfg.ShutdownGrace = f.ShutdownGrace
		}
	})
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
	return problems
}
