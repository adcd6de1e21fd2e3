package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
)

func main() {
	failed, err := report(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testreport:", err)
		os.Exit(1)
	}
	if failed {
		os.Exit(1)
	}
}

// event is one line of `go test -json` (cmd/test2json), build events included.
type event struct {
	Action     string
	Package    string
	ImportPath string
	Test       string
	Output     string
}

// testRun is what one test printed, and how it ended.
type testRun struct {
	name   string
	lines  []string
	result string // "pass", "fail" or "skip"; "" while running
}

// pkgRun collects one package's tests until the package's result.
type pkgRun struct {
	tests   map[string]*testRun
	order   []*testRun
	outside []string // package output outside any test
}

func (p *pkgRun) test(name string) *testRun {
	t := p.tests[name]
	if t == nil {
		t = &testRun{name: name}
		p.tests[name] = t
		p.order = append(p.order, t)
	}
	return t
}

// skip is a skipped test and the reason it gave.
type skip struct {
	pkg, test, reason string
}

// report reads events from in and writes the report to out. failed says whether anything
// failed.
func report(in io.Reader, out io.Writer) (failed bool, err error) {
	pkgs := map[string]*pkgRun{}
	var skips []skip
	results := 0
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintln(out, string(line))
			continue
		}
		switch e.Action {
		case "build-output":
			fmt.Fprint(out, e.Output)
			continue
		case "build-fail":
			failed = true
			continue
		}
		p := pkgs[e.Package]
		if p == nil {
			p = &pkgRun{tests: map[string]*testRun{}}
			pkgs[e.Package] = p
		}
		if e.Test != "" {
			t := p.test(e.Test)
			switch e.Action {
			case "output":
				t.lines = append(t.lines, e.Output)
			case "pass", "fail", "skip":
				t.result = e.Action
				if e.Action == "skip" {
					skips = append(skips, skip{pkg: e.Package, test: e.Test, reason: skipReason(t.lines)})
				}
			}
			continue
		}
		switch e.Action {
		case "output":
			p.outside = append(p.outside, e.Output)
		case "pass", "skip":
			results++
			printPackage(out, p, false)
			delete(pkgs, e.Package)
		case "fail":
			results++
			failed = true
			printPackage(out, p, true)
			delete(pkgs, e.Package)
		}
	}
	if err := sc.Err(); err != nil {
		return true, err
	}
	// A package without a result was cut off (go test killed, input ended).
	for _, name := range slices.Sorted(maps.Keys(pkgs)) {
		failed = true
		fmt.Fprintf(out, "FAIL\t%s\t(no result: the test output ended early)\n", name)
		printPackage(out, pkgs[name], true)
	}
	printSkips(out, skips)
	if results == 0 {
		return true, fmt.Errorf("no test results in the input; did go test run?")
	}
	return failed, nil
}

// printPackage prints what go test prints for a package without -v: its result line and, when
// it failed, the output of its failed tests, nested as go test nests subtests.
func printPackage(out io.Writer, p *pkgRun, failed bool) {
	if failed {
		for _, t := range p.order {
			if t.result != "fail" {
				continue
			}
			indent := strings.Repeat("    ", strings.Count(t.name, "/"))
			var header string
			var body []string
			for _, l := range t.lines {
				switch {
				case strings.HasPrefix(l, "=== "):
				case strings.HasPrefix(l, "--- FAIL"):
					header = l
				default:
					body = append(body, l)
				}
			}
			fmt.Fprint(out, indent+header)
			for _, l := range body {
				fmt.Fprint(out, indent+l)
			}
		}
	}
	for _, l := range p.outside {
		switch {
		case strings.HasPrefix(l, "=== "):
		case failed, strings.HasPrefix(l, "ok "), strings.HasPrefix(l, "?"), strings.HasPrefix(l, "FAIL"):
			fmt.Fprint(out, l)
		}
	}
}

// location is the file:line prefix of a test's log line.
var location = regexp.MustCompile(`^\s*[\w.-]+\.go:\d+: `)

// skipReason is what a skipped test logged, without the file and line, on one line.
func skipReason(lines []string) string {
	var parts []string
	for _, l := range lines {
		if strings.HasPrefix(l, "=== ") || strings.HasPrefix(strings.TrimSpace(l), "--- SKIP") {
			continue
		}
		if l = strings.TrimSpace(location.ReplaceAllString(l, "")); l != "" {
			parts = append(parts, l)
		}
	}
	if len(parts) == 0 {
		return "(no reason given)"
	}
	return strings.Join(parts, " ")
}

// printSkips lists the skipped tests, one group per package and reason.
func printSkips(out io.Writer, skips []skip) {
	if len(skips) == 0 {
		fmt.Fprintln(out, "skipped: none")
		return
	}
	type group struct {
		pkg, reason string
		tests       []string
	}
	var groups []*group
	for _, s := range skips {
		i := slices.IndexFunc(groups, func(g *group) bool { return g.pkg == s.pkg && g.reason == s.reason })
		if i < 0 {
			groups = append(groups, &group{pkg: s.pkg, reason: s.reason})
			i = len(groups) - 1
		}
		groups[i].tests = append(groups[i].tests, s.test)
	}
	fmt.Fprintf(out, "skipped: %d tests\n", len(skips))
	for _, g := range groups {
		fmt.Fprintf(out, "  %s: %d skipped: %s\n      %s\n", g.pkg, len(g.tests), g.reason, strings.Join(g.tests, ", "))
	}
}
