package testserver

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
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/teststore"
	"github.com/rosterhq/roster/server"
	"github.com/rosterhq/roster/storage/bolt"
	"github.com/rosterhq/roster/storage/timed"
)

// Config is how a test server is set up. The zero value is a server on a fresh bbolt file.
type Config struct {
	// DatabaseURL, when set, runs the server on PostgreSQL at that URL (a fresh schema from
	// teststore.PostgresURL) instead of a bbolt file.
	DatabaseURL string
	// BaseURL is the public URL the server names in metadata and redirect URIs; "" is the
	// server's own listener. Replicas share the first one's.
	BaseURL string
	// Backup serves the admin API's online backup (bbolt only).
	Backup bool
	// SkipOIDCDiscovery saves OIDC IdPs without fetching their issuer's discovery document,
	// for tests whose IdPs name placeholder issuers.
	SkipOIDCDiscovery bool
	// SAMLClockSkew and SessionTTL are server.Config's; zero takes its defaults.
	SAMLClockSkew time.Duration
	SessionTTL    time.Duration
	// Wrap, when set, wraps the server's handler, e.g. to mark which replica answered.
	Wrap func(http.Handler) http.Handler
	// RefuseLoopback starts the server without an outbound allow-list, as a plain `roster
	// serve` runs: its own requests to the tests' loopback servers are refused. Otherwise the
	// server allows 127.0.0.0/8 and ::1, where every test IdP and receiver listens.
	RefuseLoopback bool
	// DNSResolver is the DNS server (host:port) that domain verification asks, such as an
	// internal/testdns server. "" is a loopback port where nothing listens: a test server
	// never asks the system resolver, so no test sends a query off this machine.
	DNSResolver string
	// DiscardLog throws the server's log away instead of keeping it in Logs (benchmarks,
	// whose log would only grow).
	DiscardLog bool
	// TrustedProxies is server.Config's: the proxies whose X-Forwarded-For names the client.
	TrustedProxies string
	// OperatorOrg is server.Config's: the operator's own organization.
	OperatorOrg string
	// OnCommit, when set, is told of every write transaction of the server's store, as
	// /metrics is: its duration (queueing for the group commit and the fsync included) and
	// its error. Benchmarks use it to show what a request spends in the store.
	OnCommit func(d time.Duration, err error)
}

// Server is a running Roster.
type Server struct {
	*teststore.Directory
	// URL is the server's own listener, without a trailing slash.
	URL string
	// BaseURL is the public URL the server was configured with (URL unless Config.BaseURL).
	BaseURL string
	// Handler is the server's handler, for benchmarks that serve requests in-process.
	Handler http.Handler
	// Logs is what the server logged (empty with Config.DiscardLog).
	Logs *LogBuffer
	// Metrics is what the server's /metrics shows; its store is timed too.
	Metrics *server.Metrics

	tb     testing.TB
	cfg    Config
	backup func(io.Writer) (int64, error)
}

// Start starts a server; it stops, and its store closes, when the test ends. When the test
// fails, the server's log is printed.
func Start(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	var st directory.Store
	var backup func(io.Writer) (int64, error)
	if cfg.DatabaseURL != "" {
		st = teststore.Postgres(tb, cfg.DatabaseURL)
	} else {
		b := teststore.Bolt(tb)
		st, backup = b, b.WriteTo
	}
	if !cfg.Backup {
		backup = nil
	}
	m := server.NewMetrics()
	return startOn(tb, cfg, teststore.New(tb, timed.New(st, observeCommit(cfg, m))), backup, m)
}

// observeCommit is what the timed store of a server tells of each write transaction.
func observeCommit(cfg Config, m *server.Metrics) func(time.Duration, error) {
	if cfg.OnCommit == nil {
		return m.ObserveCommit
	}
	return func(d time.Duration, err error) {
		m.ObserveCommit(d, err)
		cfg.OnCommit(d, err)
	}
}

// Replica starts another server over the same data, with the same public base URL: on
// PostgreSQL a store of its own (its own connection pool) on the same schema; on bbolt, which
// one process opens once, the same store. Either way it has its own directory.Service and its
// own handlers, so nothing is shared in memory. wrap, when set, wraps its handler.
func (s *Server) Replica(tb testing.TB, wrap func(http.Handler) http.Handler) *Server {
	tb.Helper()
	cfg := s.cfg
	cfg.BaseURL, cfg.Wrap = s.BaseURL, wrap
	st, backup := s.Store, s.backup
	m := server.NewMetrics()
	if cfg.DatabaseURL != "" {
		st, backup = timed.New(teststore.Postgres(tb, cfg.DatabaseURL), observeCommit(cfg, m)), nil
	}
	return startOn(tb, cfg, teststore.New(tb, st), backup, m)
}

func startOn(tb testing.TB, cfg Config, d *teststore.Directory, backup func(io.Writer) (int64, error), m *server.Metrics) *Server {
	tb.Helper()
	logs := &LogBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	if cfg.DiscardLog {
		log = slog.New(slog.DiscardHandler)
	}
	own, base, h, stop, err := listen(cfg, d.Service, backup, log, m)
	if err != nil {
		tb.Fatal(err)
	}
	// Cleanups run last-in first-out: this one runs before the store's, registered earlier,
	// closes it.
	tb.Cleanup(func() {
		stop()
		if tb.Failed() && logs.Len() > 0 {
			tb.Logf("server %s log:\n%s", own, logs)
		}
	})
	return &Server{Directory: d, URL: own, BaseURL: base, Handler: h, Logs: logs, Metrics: m, tb: tb, cfg: cfg, backup: backup}
}

// listen serves server.New over svc on a loopback listener. stop closes the listener, ends the
// background workers and waits for them.
func listen(cfg Config, svc *directory.Service, backup func(io.Writer) (int64, error), log *slog.Logger, m *server.Metrics) (own, base string, h http.Handler, stop func(), err error) {
	// The handler needs the base URL, known once the listener is: it is set before Start, so
	// no request can see the server without it.
	ts := httptest.NewUnstartedServer(nil)
	own = "http://" + ts.Listener.Addr().String()
	base = cfg.BaseURL
	if base == "" {
		base = own
	}
	ctx, stopWorkers := context.WithCancel(context.Background())
	var workers sync.WaitGroup
	h, err = server.New(server.Config{
		BaseURL: base, Logger: log, Backup: backup,
		SAMLClockSkew: cfg.SAMLClockSkew, SessionTTL: cfg.SessionTTL, SkipOIDCDiscovery: cfg.SkipOIDCDiscovery,
		Context: ctx, Workers: &workers, AllowOutbound: allowOutbound(cfg), DNSResolver: dnsResolver(cfg), Metrics: m,
		OperatorOrg: cfg.OperatorOrg, TrustedProxies: cfg.TrustedProxies,
	}, svc)
	if err != nil {
		stopWorkers()
		ts.Listener.Close()
		return "", "", nil, nil, err
	}
	if cfg.Wrap != nil {
		h = cfg.Wrap(h)
	}
	ts.Config.Handler = h
	server.SetTimeouts(ts.Config)
	ts.Start()
	return own, base, h, func() {
		ts.Close()
		stopWorkers()
		workers.Wait()
	}, nil
}

// noResolver is a loopback port where no DNS server listens (the discard port): a look-up
// there fails at once.
const noResolver = "127.0.0.1:9"

func dnsResolver(cfg Config) string {
	if cfg.DNSResolver != "" {
		return cfg.DNSResolver
	}
	return noResolver
}

// Target is a server started by Open, as a black-box client knows it.
type Target struct {
	// URL is the server's base URL, without a trailing slash.
	URL        string
	AdminToken string
	// SCIMIdP is the IdP, in mode both, that SCIMToken belongs to.
	SCIMIdP   string
	SCIMToken string
}

// Open starts a server on a fresh bbolt file for a caller without a testing.TB (a TestMain),
// with an IdP idp in mode both and a SCIM token of it: what a SCIM client needs. stop ends the
// server and removes its data. The server's log is discarded.
func Open(idp string) (t Target, stop func(), err error) {
	dir, err := os.MkdirTemp("", "roster-test-*")
	if err != nil {
		return Target{}, nil, err
	}
	st, err := bolt.Open(filepath.Join(dir, "roster.db"))
	if err != nil {
		os.RemoveAll(dir)
		return Target{}, nil, err
	}
	closeStore := func() { st.Close(); os.RemoveAll(dir) }
	ctx := context.Background()
	svc := directory.New(st)
	t.SCIMIdP = idp
	t.AdminToken, _, err = svc.EnsureAdminToken(ctx, teststore.AdminToken)
	if err == nil {
		_, err = svc.CreateIdP(ctx, teststore.Actor, directory.IdP{ID: idp, Name: idp, Protocol: directory.ProtocolSAML, Mode: directory.ModeBoth})
	}
	if err == nil {
		_, t.SCIMToken, err = svc.CreateToken(ctx, teststore.Actor, directory.TokenSCIM, idp, idp, time.Time{})
	}
	if err != nil {
		closeStore()
		return Target{}, nil, err
	}
	url, _, _, stopServer, err := listen(Config{}, svc, nil, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		closeStore()
		return Target{}, nil, err
	}
	t.URL = url
	return t, func() { stopServer(); closeStore() }, nil
}

// Response is an HTTP answer, its body read.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test if it is not JSON.
func (r Response) JSON(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("decoding %s: %v", r.Body, err)
	}
}

// Do sends a request to the server with token as its bearer token ("" sends none); body is
// as for Request.
func (s *Server) Do(method, path, token string, body any) Response {
	s.tb.Helper()
	return Request(s.tb, method, s.URL+path, token, body)
}

// Request sends one request with token as its bearer token ("" sends none) and reads the
// answer. body may be nil, a string or []byte (sent as is), or a value (sent as JSON); a body
// is labelled application/json.
func Request(tb testing.TB, method, url, token string, body any) Response {
	tb.Helper()
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
			tb.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(tb.Context(), method, url, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: raw}
}

// Admin sends a request with the admin token.
func (s *Server) Admin(method, path string, body any) Response {
	s.tb.Helper()
	return s.Do(method, path, s.AdminToken, body)
}

// LogBuffer is a log sink that tests read while the server writes.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is everything logged so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Len is the length of String, to read what is logged after a point.
func (b *LogBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

// Loopback is the outbound allow-list of a test server: the tests' own IdPs, OpenID providers
// and webhook receivers listen on loopback.
const Loopback = "127.0.0.0/8,::1"

func allowOutbound(cfg Config) string {
	if cfg.RefuseLoopback {
		return ""
	}
	return Loopback
}
