package directory_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	. "github.com/rosterhq/roster/directory"
)

// The tests of this file keep the Service the only way to change the store (STYLE.md 19): an
// edge that needs state asks for an operation that says what it is for, and nothing outside
// directory and storage/... can reach a write transaction.

const (
	modulePath    = "github.com/rosterhq/roster"
	directoryPath = modulePath + "/directory"
)

// listedPackage is what `go list -json -export` says of a package.
type listedPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Export     string
	ImportMap  map[string]string
	Module     *struct{ Path string }
}

// mayWrite reports whether a package of the module may open write transactions: the domain
// and the storage backends, which implement them.
func mayWrite(importPath string) bool {
	for _, p := range []string{directoryPath, modulePath + "/storage"} {
		if importPath == p || strings.HasPrefix(importPath, p+"/") {
			return true
		}
	}
	return false
}

// TestNoWriteTransactionOutsideTheDomain type-checks every non-test package of the module
// outside directory/ and storage/ and fails on any expression whose type involves a
// directory.Tx: naming the type, a closure that takes one, a Store's Update method (or any
// other method that hands one out), whether called or only referred to. Holding a
// directory.Store stays allowed, so that the server wiring can open one and give it to
// directory.New, and the offline subcommands (migrate) can pass one to storage/....
func TestNoWriteTransactionOutsideTheDomain(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-e", "-export", "-deps", "-json", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	exports := map[string]string{}
	var ours []listedPackage
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		exports[p.ImportPath] = p.Export
		if p.Module != nil && p.Module.Path == modulePath && len(p.GoFiles) > 0 {
			ours = append(ours, p)
		}
	}

	checked := map[string]bool{}
	var control []string
	for _, p := range ours {
		found, err := txUses(p, exports)
		if err != nil {
			t.Fatalf("type-checking %s: %v", p.ImportPath, err)
		}
		if p.ImportPath == directoryPath {
			control = found
			continue
		}
		if mayWrite(p.ImportPath) {
			continue
		}
		checked[p.ImportPath] = true
		for _, f := range found {
			t.Errorf("%s: %s", p.ImportPath, f)
		}
	}
	// The check must be able to see what it forbids: directory itself opens write
	// transactions, and the edges that once did are among the packages checked.
	if len(control) == 0 {
		t.Fatal("the check finds no use of directory.Tx in directory itself; it would find none anywhere")
	}
	for _, edge := range []string{"/jit", "/scim", "/admin", "/admin/webhooks", "/cmd/roster"} {
		if !checked[modulePath+edge] {
			t.Errorf("package %s%s was not checked", modulePath, edge)
		}
	}
}

// txUses type-checks the non-test files of p against its dependencies' export data and lists
// the places whose expressions involve directory.Tx.
func txUses(p listedPackage, exports map[string]string) ([]string, error) {
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range p.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		if mapped, ok := p.ImportMap[path]; ok {
			path = mapped
		}
		file := exports[path]
		if file == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(file)
	})
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}}
	conf := types.Config{Importer: imp}
	if _, err := conf.Check(p.ImportPath, fset, files, info); err != nil {
		return nil, err
	}
	// One line per source line, naming its shortest offending expression.
	byLine := map[string]string{}
	for expr, tv := range info.Types {
		if tv.Type == nil || !involvesTx(tv.Type, map[types.Type]bool{}) {
			continue
		}
		pos := fset.Position(expr.Pos())
		at := fmt.Sprintf("%s:%d", filepath.Base(pos.Filename), pos.Line)
		if e := types.ExprString(expr); byLine[at] == "" || len(e) < len(byLine[at]) {
			byLine[at] = e
		}
	}
	var found []string
	for at, e := range byLine {
		found = append(found, fmt.Sprintf("%s: %s reaches a directory.Tx", at, e))
	}
	slices.Sort(found)
	return found, nil
}

// involvesTx reports whether t is directory.Tx or is built from it without a name in between:
// a function taking or returning one, a pointer, slice, map, channel or unnamed struct of one.
// Other named types stop the search, so that holding a directory.Store (whose Update takes a
// Tx) or a backend's store is allowed; using their write methods is not, since the method's
// own type involves Tx.
func involvesTx(t types.Type, seen map[types.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t := t.(type) {
	case *types.Named:
		obj := t.Obj()
		return obj.Pkg() != nil && obj.Pkg().Path() == directoryPath && obj.Name() == "Tx"
	case *types.Alias:
		return involvesTx(types.Unalias(t), seen)
	case *types.Pointer:
		return involvesTx(t.Elem(), seen)
	case *types.Slice:
		return involvesTx(t.Elem(), seen)
	case *types.Array:
		return involvesTx(t.Elem(), seen)
	case *types.Map:
		return involvesTx(t.Key(), seen) || involvesTx(t.Elem(), seen)
	case *types.Chan:
		return involvesTx(t.Elem(), seen)
	case *types.Signature:
		return involvesTx(t.Params(), seen) || involvesTx(t.Results(), seen)
	case *types.Tuple:
		for i := range t.Len() {
			if involvesTx(t.At(i).Type(), seen) {
				return true
			}
		}
	case *types.Struct:
		for i := range t.NumFields() {
			if involvesTx(t.Field(i).Type(), seen) {
				return true
			}
		}
	}
	return false
}

// TestServiceHandsOutNoWriteTransaction keeps the Service from handing out write power: no
// exported method takes or returns a Store or a Tx, or a function, pointer or struct that
// carries one. (Store() once returned the store, and 13 write transactions went around the
// Service through it.)
func TestServiceHandsOutNoWriteTransaction(t *testing.T) {
	store := reflect.TypeFor[Store]()
	tx := reflect.TypeFor[Tx]()
	// The check must see what it forbids.
	for _, bad := range []any{func() Store { return nil }, func(func(Tx) error) {}, func() *struct{ S Store } { return nil }} {
		if !carriesWritePower(reflect.TypeOf(bad), store, tx, map[reflect.Type]bool{}) {
			t.Fatalf("the check misses %T", bad)
		}
	}
	svc := reflect.TypeFor[*Service]()
	if svc.NumMethod() < 20 {
		t.Fatalf("*Service has %d methods; the check is not looking at it", svc.NumMethod())
	}
	for i := range svc.NumMethod() {
		m := svc.Method(i)
		// In(0) is the receiver, whose store is unexported.
		seen := map[reflect.Type]bool{svc: true}
		if carriesWritePower(m.Type, store, tx, seen) {
			t.Errorf("Service.%s %s hands out a Store or a write transaction; add a narrow operation instead", m.Name, m.Type)
		}
	}
}

func carriesWritePower(t, store, tx reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	if t == store || t == tx || (t.Kind() == reflect.Interface && t != reflect.TypeFor[any]() && (t.Implements(store) || t.Implements(tx))) {
		return true
	}
	switch t.Kind() {
	case reflect.Func:
		for i := range t.NumIn() {
			if carriesWritePower(t.In(i), store, tx, seen) {
				return true
			}
		}
		for i := range t.NumOut() {
			if carriesWritePower(t.Out(i), store, tx, seen) {
				return true
			}
		}
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Chan:
		return carriesWritePower(t.Elem(), store, tx, seen)
	case reflect.Map:
		return carriesWritePower(t.Key(), store, tx, seen) || carriesWritePower(t.Elem(), store, tx, seen)
	case reflect.Struct:
		// Unexported fields are out of the caller's reach.
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && carriesWritePower(f.Type, store, tx, seen) {
				return true
			}
		}
	}
	return false
}
