package conformance

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rosterhq/roster/cmd/roster/server"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/storage/bolt"
)

var (
	baseURLFlag    = flag.String("base-url", "", "base URL of the server under test; empty starts Roster in-process")
	tokenFlag      = flag.String("token", "", "SCIM bearer token of the server under test")
	adminTokenFlag = flag.String("admin-token", "", "admin bearer token of the server under test (JIT tests need it)")
)

// target is what every test knows about the server under test.
var target struct {
	BaseURL    string // no trailing slash
	SCIMToken  string
	AdminToken string
	// SCIMIdP is the IdP the SCIM token belongs to when the server is Roster in-process; "" when unknown.
	SCIMIdP string
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if *baseURLFlag != "" {
		target.BaseURL = strings.TrimRight(*baseURLFlag, "/")
		target.SCIMToken, target.AdminToken = *tokenFlag, *adminTokenFlag
		return m.Run()
	}
	stop, err := startInProcess()
	if err != nil {
		fmt.Fprintln(os.Stderr, "conformance: starting Roster in-process:", err)
		return 1
	}
	defer stop()
	return m.Run()
}

// startInProcess serves Roster on a temporary bbolt file and fills target.
func startInProcess() (func(), error) {
	dir, err := os.MkdirTemp("", "roster-conformance-*")
	if err != nil {
		return nil, err
	}
	store, err := bolt.Open(filepath.Join(dir, "roster.db"))
	if err != nil {
		return nil, err
	}
	svc := directory.New(store)
	ctx := context.Background()
	admin, _, err := svc.EnsureAdminToken(ctx, "conformance-admin-token-0123456789")
	if err != nil {
		return nil, err
	}
	if _, err := svc.CreateIdP(ctx, "system", directory.IdP{ID: "conformance", Name: "Conformance",
		Protocol: directory.ProtocolSAML, Mode: directory.ModeBoth}); err != nil {
		return nil, err
	}
	_, scimToken, err := svc.CreateToken(ctx, "system", directory.TokenSCIM, "conformance", "conformance", zeroTime)
	if err != nil {
		return nil, err
	}
	ts := httptest.NewUnstartedServer(nil)
	ts.Start()
	h, err := server.New(server.Config{BaseURL: ts.URL, Logger: slog.New(slog.DiscardHandler), AllowOutbound: "127.0.0.0/8,::1"}, svc)
	if err != nil {
		return nil, err
	}
	ts.Config.Handler = h
	target.BaseURL, target.SCIMToken, target.AdminToken, target.SCIMIdP = ts.URL, scimToken, admin, "conformance"
	return func() {
		ts.Close()
		store.Close()
		os.RemoveAll(dir)
	}, nil
}
