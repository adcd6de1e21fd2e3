package directory_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// ruleID is what a rule id looks like as a string literal.
var ruleID = regexp.MustCompile(`^R[0-9]+$`)

// TestRuleIDsAreSpelledOnlyInRules keeps rule ids a type (STYLE.md 20): outside
// directory/rules.go no non-test Go file of the module spells one as a string literal ("R6");
// code names the constant (RuleR6) or takes the rule from a decision. Tests may still compare
// with the literal, since "R6" is the value the event log and webhooks carry.
func TestRuleIDsAreSpelledOnlyInRules(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("the module root is not the parent of directory/: %v", err)
	}
	rulesFile := filepath.Join(root, "directory", "rules.go")
	inRules, files := 0, 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		files++
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			v, err := strconv.Unquote(lit.Value)
			if err != nil || !ruleID.MatchString(v) {
				return true
			}
			if path == rulesFile {
				inRules++
				return true
			}
			rel, _ := filepath.Rel(root, path)
			t.Errorf("%s:%d: rule id %s spelled as a literal; use the directory.Rule constant or the decision's rule",
				rel, fset.Position(lit.Pos()).Line, lit.Value)
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The scan must see what it guards: the constants of rules.go are literals it finds.
	if inRules < 12 || files < 20 {
		t.Fatalf("the scan found %d rule literals in rules.go and %d files in all; it is not reading the module", inRules, files)
	}
}
