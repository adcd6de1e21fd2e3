package conformance

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/testserver"
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

// startInProcess serves Roster on a temporary bbolt file, with an IdP in mode both and a SCIM
// token of it, and fills target.
func startInProcess() (func(), error) {
	t, stop, err := testserver.Open("conformance")
	if err != nil {
		return nil, err
	}
	target.BaseURL, target.SCIMToken, target.AdminToken, target.SCIMIdP = t.URL, t.SCIMToken, t.AdminToken, t.SCIMIdP
	return stop, nil
}
