package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func events(t *testing.T, evs ...event) string {
	t.Helper()
	var b strings.Builder
	for _, e := range evs {
		raw, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(raw)
		b.WriteByte('\n')
	}
	return b.String()
}

func row(t *testing.T, table, id, what string) string {
	t.Helper()
	for _, line := range strings.Split(table, "\n") {
		if strings.HasPrefix(line, "| "+id+" ") && strings.Contains(line, what) {
			return line
		}
	}
	t.Fatalf("no row %s %q in:\n%s", id, what, table)
	return ""
}

// A run's metrics land in their goals' rows — a result line split over two output events
// included — with the verdict against the goal; a goal whose benchmark did not run says so.
func TestTableOfGoals(t *testing.T) {
	scim, jit := mod+"scim", mod+"jit"
	in := events(t,
		event{Action: "output", Package: scim, Output: "BenchmarkCreateUser/clients=1-2         \t"},
		event{Action: "output", Package: scim, Output: "       1\t2456092428 ns/op\t       285.0 creates/s\t         0.7937 x-raw\n"},
		event{Action: "output", Package: scim, Output: "BenchmarkCreateUser/clients=32-2 \t 1\t 99 ns/op\t 0.32 x-raw\n"},
		event{Action: "output", Package: jit, Output: "BenchmarkACSReturningUser-8 \t 3\t 1 ns/op\t 1.25 x-verify\t 200 logins/s\n"},
		event{Action: "output", Package: jit, Output: "BenchmarkOIDCCallbackReturningUser-8 \t 3\t 1 ns/op\t 3.0004 x-verify\n"},
		event{Action: "output", Package: jit, Output: "BenchmarkACSNewUsers-8 \t 3\t 1 ns/op\t 1.75 x-verify\n"},
		event{Action: "output", Package: mod + "cmd/roster", Output: "BenchmarkUserNameLookupScale-2 \t 1\t 1 ns/op\t 4252.4 file-MiB\t 1.15 p99-x-10k\n"},
		event{Action: "pass", Package: scim},
		event{Action: "pass", Package: jit},
	)
	var out strings.Builder
	failed, err := report(strings.NewReader(in), &out)
	if err != nil || failed {
		t.Fatalf("report: failed %v, %v", failed, err)
	}
	got := out.String()
	if !strings.Contains(got, "BenchmarkCreateUser/clients=1-2         \t       1\t2456092428 ns/op") {
		t.Errorf("the benchmarks' own output is not passed through:\n%s", got)
	}
	for _, c := range []struct{ id, what, want string }{
		{"1a", "1 client", "| 0.7937 |    ≥ 0.5 | yes  |"},
		{"1b", "32 clients", "| 0.32 |    ≥ 0.5 | no   |"},
		{"2a", "returning", "| 1.25 |    ≤ 1.3 | yes  |"},
		{"2b", "new user", "| 1.75 |    ≤ 1.6 | no   |"},
		{"2c", "OIDC callback, returning", "| 3.0004 |      ≤ 3 | no   |"},
		{"3", "startIndex", "| not run |      ≤ 5 |      |"},
		{"4", "data file", "| 4252 | | |"},
	} {
		if r := row(t, got, c.id, c.what); !strings.Contains(strings.Join(strings.Fields(r), " "), strings.Join(strings.Fields(c.want), " ")) {
			t.Errorf("row %s: %q, want it to end %q", c.id, r, c.want)
		}
	}
}

func TestFailedPackageFailsTheRun(t *testing.T) {
	in := events(t, event{Action: "build-fail", ImportPath: mod + "scim"}, event{Action: "fail", Package: mod + "jit"})
	var out strings.Builder
	failed, err := report(strings.NewReader(in), &out)
	if err != nil || !failed {
		t.Fatalf("failed %v, %v; want a failed run", failed, err)
	}
	for _, want := range []string{"FAILED: " + mod + "scim did not build", "FAILED: " + mod + "jit failed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("missing %q in:\n%s", want, out.String())
		}
	}
}
