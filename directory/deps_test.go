package directory_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoTransportOrStorageImports keeps the domain free of transport and storage code: the
// arrows point from cmd, scim, jit, admin and storage towards directory, never back.
func TestNoTransportOrStorageImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	forbidden := []string{
		"net/http", "github.com/gin-gonic/", "github.com/crewjam/saml", "github.com/coreos/go-oidc",
		"go.etcd.io/bbolt", "github.com/jackc/pgx", "github.com/elimity-com/scim",
		"github.com/rosterhq/roster/",
	}
	deps := strings.Fields(string(out))
	if len(deps) < 5 {
		t.Fatalf("go list printed too little to judge: %q", out)
	}
	for _, dep := range deps {
		if dep == "github.com/rosterhq/roster/directory" {
			continue
		}
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f) {
				t.Errorf("directory depends on %s", dep)
			}
		}
	}
}
