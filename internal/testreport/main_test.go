package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ev builds one line of go test -json.
func ev(action, pkg, test, output string) string {
	var b strings.Builder
	b.WriteString(`{"Action":"` + action + `","Package":"` + pkg + `"`)
	if test != "" {
		b.WriteString(`,"Test":"` + test + `"`)
	}
	if output != "" {
		b.WriteString(`,"Output":` + quote(output))
	}
	return b.String() + "}\n"
}

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}

func TestReport(t *testing.T) {
	cases := []struct {
		name       string
		in         string
		wantFailed bool
		want       string
	}{
		{
			name: "passing package with skips, grouped by package and reason",
			in: ev("start", "r/pg", "", "") +
				ev("run", "r/pg", "TestStore", "") +
				ev("output", "r/pg", "TestStore", "=== RUN   TestStore\n") +
				ev("output", "r/pg", "TestStore", "    harness_test.go:25: DATABASE_URL is not set\n") +
				ev("output", "r/pg", "TestStore", "--- SKIP: TestStore (0.00s)\n") +
				ev("skip", "r/pg", "TestStore", "") +
				ev("run", "r/pg", "TestReplicas", "") +
				ev("output", "r/pg", "TestReplicas", "    harness_test.go:25: DATABASE_URL is not set\n") +
				ev("skip", "r/pg", "TestReplicas", "") +
				ev("run", "r/pg", "TestKV", "") +
				ev("pass", "r/pg", "TestKV", "") +
				ev("output", "r/pg", "", "PASS\n") +
				ev("output", "r/pg", "", "ok  \tr/pg\t0.01s\n") +
				ev("pass", "r/pg", "", "") +
				ev("output", "r/cmd", "", "?   \tr/cmd\t[no test files]\n") +
				ev("skip", "r/cmd", "", ""),
			want: "ok  \tr/pg\t0.01s\n" +
				"?   \tr/cmd\t[no test files]\n" +
				"skipped: 2 tests\n" +
				"  r/pg: 2 skipped: DATABASE_URL is not set\n" +
				"      TestStore, TestReplicas\n",
		},
		{
			name: "failed subtest nested under its parent, passing tests silent",
			in: ev("run", "r/scim", "TestA", "") +
				ev("output", "r/scim", "TestA", "=== RUN   TestA\n") +
				ev("run", "r/scim", "TestA/sub", "") +
				ev("output", "r/scim", "TestA/sub", "    a_test.go:4: boom\n") +
				ev("output", "r/scim", "TestA/sub", "--- FAIL: TestA/sub (0.00s)\n") +
				ev("fail", "r/scim", "TestA/sub", "") +
				ev("output", "r/scim", "TestA", "--- FAIL: TestA (0.00s)\n") +
				ev("fail", "r/scim", "TestA", "") +
				ev("run", "r/scim", "TestB", "") +
				ev("output", "r/scim", "TestB", "    b_test.go:9: chatter\n") +
				ev("pass", "r/scim", "TestB", "") +
				ev("output", "r/scim", "", "FAIL\n") +
				ev("output", "r/scim", "", "FAIL\tr/scim\t0.02s\n") +
				ev("fail", "r/scim", "", ""),
			wantFailed: true,
			want: "--- FAIL: TestA (0.00s)\n" +
				"    --- FAIL: TestA/sub (0.00s)\n" +
				"        a_test.go:4: boom\n" +
				"FAIL\n" +
				"FAIL\tr/scim\t0.02s\n" +
				"skipped: none\n",
		},
		{
			name: "build failure",
			in: `{"ImportPath":"r/x","Action":"build-output","Output":"x.go:3:1: syntax error\n"}` + "\n" +
				`{"ImportPath":"r/x","Action":"build-fail"}` + "\n" +
				ev("output", "r/x", "", "FAIL\tr/x [build failed]\n") +
				ev("fail", "r/x", "", ""),
			wantFailed: true,
			want:       "x.go:3:1: syntax error\nFAIL\tr/x [build failed]\nskipped: none\n",
		},
		{
			name: "output cut off before the package's result",
			in: ev("output", "r/ok", "", "ok  \tr/ok\t0.01s\n") + ev("pass", "r/ok", "", "") +
				ev("run", "r/slow", "TestSlow", "") + ev("output", "r/slow", "TestSlow", "=== RUN   TestSlow\n"),
			wantFailed: true,
			want:       "ok  \tr/ok\t0.01s\nFAIL\tr/slow\t(no result: the test output ended early)\nskipped: none\n",
		},
		{
			name:       "lines that are not events pass through",
			in:         "go: cannot find main module\n" + ev("output", "r/ok", "", "ok  \tr/ok\t0.01s\n") + ev("pass", "r/ok", "", ""),
			wantFailed: false,
			want:       "go: cannot find main module\nok  \tr/ok\t0.01s\nskipped: none\n",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out strings.Builder
			failed, err := report(strings.NewReader(c.in), &out)
			if err != nil {
				t.Fatal(err)
			}
			if failed != c.wantFailed {
				t.Errorf("failed = %v, want %v", failed, c.wantFailed)
			}
			if diff := cmp.Diff(c.want, out.String()); diff != "" {
				t.Errorf("report (-want +got):\n%s", diff)
			}
		})
	}
}

// Without any result, go test did not run: that is a failure, not an empty success.
func TestReportWithoutResults(t *testing.T) {
	var out strings.Builder
	if _, err := report(strings.NewReader("go: no Go files\n"), &out); err == nil {
		t.Errorf("no error for input without results; printed %q", out.String())
	}
}
