package deps_test

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const mod = "github.com/rosterhq/roster"

// matches reports whether the package path is named by pattern: "net/http" names that package,
// "github.com/gin-gonic/..." the path itself and every package below it.
func matches(path, pattern string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == base || strings.HasPrefix(path, base+"/")
	}
	return path == pattern
}

// own makes patterns relative to the module absolute: "storage/..." is
// github.com/rosterhq/roster/storage/....
func own(patterns ...string) []string {
	out := make([]string, len(patterns))
	for i, p := range patterns {
		out[i] = mod + "/" + p
	}
	return out
}

var (
	surfaces = own("scim/...", "jit/...", "admin/...")
	testKit  = own("internal/testidp", "internal/teststore", "internal/testserver", "internal/testdns", "internal/slowlink", "storage/storagetest")
	// transports are what the domain must not know: HTTP and its routers, the protocols'
	// libraries, and the storage drivers.
	transports = []string{"net/http/...", "github.com/gin-gonic/...", "github.com/crewjam/saml/...",
		"github.com/coreos/go-oidc/...", "github.com/go-jose/...", "golang.org/x/oauth2/...",
		"github.com/elimity-com/scim/...", "go.etcd.io/bbolt/...", "github.com/jackc/pgx/..."}
)

// rules is the table: the packages a rule is about, what they must not depend on (directly or
// through anything they import), and why.
var rules = []struct {
	pkgs   []string
	forbid []string
	why    string
}{
	{own("directory"), append(own("..."), transports...),
		"directory is the domain: it imports no other package of Roster and no transport or storage driver (STYLE 1)"},
	{own("scim/..."), own("storage/...", "jit/...", "admin/...", "server/...", "cmd/..."),
		"scim reaches data only through directory.Service and knows no other surface; server wires the surfaces"},
	{own("jit/..."), own("storage/...", "scim/...", "admin/...", "server/...", "cmd/..."),
		"jit reaches data only through directory.Service and knows no other surface; server wires the surfaces"},
	{own("admin/..."), own("storage/...", "scim/...", "jit/...", "server/...", "cmd/..."),
		"admin reaches data only through directory.Service and knows no other surface; server wires the surfaces (the SCIM filter it shares is internal/scimfilter)"},
	{own("internal/view", "internal/scimfilter", "internal/adminsession"), append(own("storage/...", "server/...", "cmd/..."), surfaces...),
		"a package the surfaces share must not drag one surface into another"},
	{own("server"), own("storage/...", "cmd/..."),
		"server assembles the surfaces over a directory.Service; only cmd/roster picks and opens a store"},
	{own("storage/..."), append(own("server/...", "cmd/..."), surfaces...),
		"dependencies point down: storage implements directory's port and knows no surface"},
	{own("internal/testidp"), own("..."),
		"the test IdPs serve the black-box conformance suite, which knows Roster only by URL and tokens"},
}

// pkg is what go list says of one package.
type pkg struct {
	ImportPath   string
	Deps         []string
	TestImports  []string
	XTestImports []string
}

// list runs go list over the whole module.
func list(t *testing.T) []pkg {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to read the import graph: %v", err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(goBin, "list", "-deps=false", "-json=ImportPath,Deps,TestImports,XTestImports", mod+"/...")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("reading go list's answer: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	// A module of this size has well over a dozen packages; fewer means go list saw
	// something else than the module, and every rule would pass on nothing.
	if len(pkgs) < 15 {
		t.Fatalf("go list named only %d packages", len(pkgs))
	}
	return pkgs
}

func TestImportRules(t *testing.T) {
	pkgs := list(t)
	for _, r := range rules {
		t.Run(strings.ReplaceAll(strings.Join(r.pkgs, ","), mod+"/", ""), func(t *testing.T) {
			covered := 0
			for _, p := range pkgs {
				if !slices.ContainsFunc(r.pkgs, func(pat string) bool { return matches(p.ImportPath, pat) }) {
					continue
				}
				covered++
				for _, dep := range p.Deps {
					for _, f := range r.forbid {
						if matches(dep, f) {
							t.Errorf("%s depends on %s: %s", p.ImportPath, dep, r.why)
						}
					}
				}
			}
			// A rule about packages that no longer exist (renamed, moved) guards nothing.
			if covered == 0 {
				t.Errorf("no package matches %v; the rule guards nothing", r.pkgs)
			}
		})
	}
}

// TestTestKitOnlyInTests: no package outside the test kit depends on it, so the binary never
// carries test code, fake keys or test servers.
func TestTestKitOnlyInTests(t *testing.T) {
	inKit := func(path string) bool {
		return slices.ContainsFunc(testKit, func(pat string) bool { return matches(path, pat) })
	}
	kit := 0
	for _, p := range list(t) {
		if inKit(p.ImportPath) {
			kit++
			continue
		}
		for _, dep := range p.Deps {
			if inKit(dep) {
				t.Errorf("%s depends on %s, which is for tests only", p.ImportPath, dep)
			}
		}
	}
	if kit != len(testKit) {
		t.Errorf("go list names %d of the %d test kit packages %v; the rule guards what is gone", kit, len(testKit), testKit)
	}
}

// TestConformanceIsBlackBox: the conformance tests know a server by URL and tokens only; of
// Roster they import the test IdPs and the in-process target, nothing else.
func TestConformanceIsBlackBox(t *testing.T) {
	allowed := own("internal/testidp", "internal/testserver")
	found := false
	for _, p := range list(t) {
		if p.ImportPath != mod+"/conformance" {
			continue
		}
		found = true
		for _, imp := range append(p.TestImports, p.XTestImports...) {
			if matches(imp, mod+"/...") && !slices.Contains(allowed, imp) {
				t.Errorf("the conformance tests import %s; they may use only %v of Roster", imp, allowed)
			}
		}
		if !slices.Contains(p.TestImports, mod+"/internal/testidp") {
			t.Errorf("the conformance tests do not import internal/testidp; is go list reading test imports? %v", p.TestImports)
		}
	}
	if !found {
		t.Fatal("go list does not name the conformance package")
	}
}
