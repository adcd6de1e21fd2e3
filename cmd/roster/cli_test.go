package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testserver"
	"github.com/rosterhq/roster/internal/teststore"
	"github.com/rosterhq/roster/storage/bolt"
)

// cliBinary is the roster binary built once for the CLI tests: they run it as a person or a
// script would, against a server running in this process.
var cliBinary string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "roster-cli-test-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	cliBinary = filepath.Join(dir, "roster")
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	build := exec.Command(goBin, "build", "-o", cliBinary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building roster for the CLI tests:", err)
		return 1
	}
	return m.Run()
}

const cliAdminToken = teststore.AdminToken

type cliEnv struct {
	t   *testing.T
	url string
	svc *directory.Service
}

// newCLIEnv serves server.New on a real bbolt file, as roster serve does. The CLI tests' OIDC
// IdPs name placeholder issuers; discovery at save time is tested in server/ against a real
// OpenID provider.
func newCLIEnv(t *testing.T, withBackup bool) *cliEnv {
	t.Helper()
	return newCLIEnvWith(t, testserver.Config{Backup: withBackup, SkipOIDCDiscovery: true})
}

// newCLIEnvWith serves a test server made with cfg.
func newCLIEnvWith(t *testing.T, cfg testserver.Config) *cliEnv {
	t.Helper()
	s := testserver.Start(t, cfg)
	return &cliEnv{t: t, url: s.URL, svc: s.Service}
}

type cliResult struct {
	code           int
	stdout, stderr string
}

// run runs the built binary with the server and token in the environment, as a script would.
func (e *cliEnv) run(args ...string) cliResult {
	e.t.Helper()
	return e.runEnv([]string{"ROSTER_SERVER=" + e.url, "ROSTER_TOKEN=" + cliAdminToken}, args...)
}

func (e *cliEnv) runEnv(env []string, args ...string) cliResult {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cliBinary, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		e.t.Fatalf("running roster %v: %v", args, err)
	}
	return cliResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func (e *cliEnv) want(r cliResult, code int, stdoutHas ...string) cliResult {
	e.t.Helper()
	if r.code != code {
		e.t.Fatalf("exit code %d, want %d\nstdout: %s\nstderr: %s", r.code, code, r.stdout, r.stderr)
	}
	for _, s := range stdoutHas {
		if !strings.Contains(r.stdout, s) {
			e.t.Errorf("stdout does not contain %q:\n%s", s, r.stdout)
		}
	}
	return r
}

func (e *cliEnv) idp(id string) directory.IdP {
	e.t.Helper()
	p, err := e.svc.IdP(e.t.Context(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func TestCLIIdP(t *testing.T) {
	e := newCLIEnv(t, false)

	r := e.want(e.run("idp", "add", "okta", "--protocol", "oidc", "--preset", "okta", "--mode", "both",
		"--issuer", "https://okta.example.com", "--client-id", "roster", "--name", "Okta"), 0,
		"added IdP okta", "sp_entity_id:", e.url+"/sso/okta/saml/metadata", "acs_url:", e.url+"/sso/okta/saml/acs",
		"redirect_uri:", e.url+"/sso/okta/oidc/callback", "scim_base_url:", e.url+"/scim/v2")
	_ = r
	if p := e.idp("okta"); p.Mode != directory.ModeBoth || p.Protocol != directory.ProtocolOIDC || p.Name != "Okta" {
		t.Errorf("stored %+v", p)
	}

	// Every problem at once, exit 1, nothing stored.
	r = e.want(e.run("idp", "add", "Bad_Id", "--protocol", "oidc", "--mode", "sometimes"), 1)
	for _, s := range []string{"HTTP 400", "id \"Bad_Id\"", "mode \"sometimes\"", "issuer is required", "client_id is required"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
		}
	}
	// A full JSON body from a file.
	file := filepath.Join(t.TempDir(), "idp.json")
	os.WriteFile(file, []byte(`{"id":"kc","protocol":"oidc","mode":"jit","oidc":{"issuer":"https://kc.example.com","client_id":"c"}}`), 0o600)
	e.want(e.run("idp", "add", "--file", file), 0, "added IdP kc")

	r = e.want(e.run("idp", "list"), 0, "ID", "MODE", "okta", "Okta", "both", "kc")
	var listed struct{ Items []struct{ ID string } }
	r = e.want(e.run("idp", "list", "--json"), 0)
	if err := json.Unmarshal([]byte(r.stdout), &listed); err != nil || len(listed.Items) != 2 {
		t.Errorf("idp list --json: %v %s", err, r.stdout)
	}

	e.want(e.run("idp", "show", "okta"), 0, "mode:", "both", "preset:", "okta", e.url+"/sso/okta/oidc/callback",
		"uniqueUserId attribute:", "uniqueUserId (the preset's default)", "what must feed uniqueUserId (R1), Okta", "SSO:  user.id", "SCIM: ")
	r = e.want(e.run("idp", "show", "--json", "okta"), 0)
	var shown map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &shown); err != nil || shown["sp_metadata_url"] != e.url+"/sso/okta/saml/metadata" {
		t.Errorf("idp show --json: %v %s", err, r.stdout)
	}
	r = e.want(e.run("idp", "show", "nope"), 1)
	if !strings.Contains(r.stderr, "does not exist") || !strings.Contains(r.stderr, "404") {
		t.Errorf("stderr: %s", r.stderr)
	}

	e.want(e.run("idp", "set-mode", "okta", "scim"), 0, "okta: mode both -> scim", "R11")
	if p := e.idp("okta"); p.Mode != directory.ModeSCIM {
		t.Errorf("mode = %s", p.Mode)
	}
	e.want(e.run("idp", "set-mode", "okta", "scim"), 0, "already scim")
	e.want(e.run("idp", "set-mode", "okta", "sometimes"), 2)
	e.want(e.run("idp", "set-mode", "okta"), 2)

	// rm refuses while users exist, unless --force.
	if _, err := e.svc.SCIMCreateUser(t.Context(), directory.SCIMActor{IdP: "okta", TokenID: "t"},
		directory.User{UserName: "ada@example.com", ExternalID: "00u1", Active: true}); err != nil {
		t.Fatal(err)
	}
	r = e.want(e.run("idp", "rm", "okta"), 1)
	if !strings.Contains(r.stderr, "HTTP 409") || !strings.Contains(r.stderr, "force") {
		t.Errorf("stderr: %s", r.stderr)
	}
	e.want(e.run("idp", "rm", "okta", "--force"), 0, "deleted IdP okta")
	e.want(e.run("idp", "rm", "okta"), 1)

	// Usage errors are exit 2.
	e.want(e.run("idp"), 2)
	e.want(e.run("idp", "frobnicate"), 2)
	e.want(e.run("idp", "show"), 2)
	e.want(e.run("idp", "list", "--no-such-flag"), 2)
	e.want(e.run("idp", "list", "-h"), 0)
}

func TestCLIAuthAndServer(t *testing.T) {
	e := newCLIEnv(t, false)
	// Flags instead of the environment.
	e.want(e.runEnv([]string{"ROSTER_SERVER=", "ROSTER_TOKEN="}, "idp", "list", "--server", e.url, "--token", cliAdminToken), 0, "ID")
	r := e.want(e.runEnv([]string{"ROSTER_SERVER=" + e.url, "ROSTER_TOKEN="}, "idp", "list"), 2)
	if !strings.Contains(r.stderr, "ROSTER_TOKEN") {
		t.Errorf("stderr: %s", r.stderr)
	}
	r = e.want(e.runEnv([]string{"ROSTER_SERVER=" + e.url, "ROSTER_TOKEN=wrong"}, "idp", "list"), 1)
	if !strings.Contains(r.stderr, "HTTP 401") {
		t.Errorf("stderr: %s", r.stderr)
	}
	r = e.want(e.runEnv([]string{"ROSTER_SERVER=http://127.0.0.1:1", "ROSTER_TOKEN=x"}, "idp", "list"), 1)
	if !strings.Contains(r.stderr, "cannot reach the server") {
		t.Errorf("stderr: %s", r.stderr)
	}
	e.want(e.run("idp", "list", "--server", "ftp://x"), 2)
}

func TestCLIToken(t *testing.T) {
	e := newCLIEnv(t, false)
	if _, err := e.svc.CreateIdP(t.Context(), "test", directory.IdP{ID: "okta", Protocol: directory.ProtocolOIDC, Mode: directory.ModeBoth}); err != nil {
		t.Fatal(err)
	}
	r := e.want(e.run("token", "create", "okta", "--name", "connector", "--expires-in", "90d"), 0, "shown once", directory.SCIMTokenPrefix)
	var secret string
	for _, f := range strings.Fields(r.stdout) {
		if strings.HasPrefix(f, directory.SCIMTokenPrefix) {
			secret = f
		}
	}
	tok, err := e.svc.Authenticate(t.Context(), directory.TokenSCIM, secret)
	if err != nil {
		t.Fatalf("the printed secret does not authenticate: %v", err)
	}

	r = e.want(e.run("token", "create", "okta", "--json"), 0)
	var created struct{ ID, Token string }
	if err := json.Unmarshal([]byte(r.stdout), &created); err != nil || created.Token == "" {
		t.Errorf("token create --json: %v %s", err, r.stdout)
	}

	r = e.want(e.run("token", "list", "okta"), 0, "ID", "STATUS", tok.ID, "connector", "active")
	if strings.Contains(r.stdout, secret) {
		t.Errorf("token list shows a secret")
	}
	e.want(e.run("token", "revoke", tok.ID), 0, "revoked SCIM token "+tok.ID)
	e.want(e.run("token", "list", "okta"), 0, "revoked")
	if _, err := e.svc.Authenticate(t.Context(), directory.TokenSCIM, secret); err == nil {
		t.Errorf("revoked token still works")
	}

	r = e.want(e.run("token", "create", "okta", "--expires-in", "soon"), 1)
	if !strings.Contains(r.stderr, "expires_in") {
		t.Errorf("stderr: %s", r.stderr)
	}
	e.want(e.run("token", "create", "ghost"), 1)
	e.want(e.run("token", "revoke", "nope"), 1)
	e.want(e.run("token", "create"), 2)
	e.want(e.run("token", "list"), 2)
}

func TestCLIUser(t *testing.T) {
	e := newCLIEnv(t, false)
	ctx := t.Context()
	if _, err := e.svc.CreateIdP(ctx, "test", directory.IdP{ID: "okta", Protocol: directory.ProtocolOIDC, Mode: directory.ModeBoth}); err != nil {
		t.Fatal(err)
	}
	actor := directory.SCIMActor{IdP: "okta", TokenID: "t"}
	var ids []string
	for i := range 3 {
		u, err := e.svc.SCIMCreateUser(ctx, actor, directory.User{UserName: fmt.Sprintf("user%d@example.com", i),
			ExternalID: fmt.Sprintf("00u%d", i), Active: true, Emails: []directory.MultiValue{{Value: fmt.Sprintf("user%d@example.com", i)}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	if _, err := e.svc.SCIMCreateGroup(ctx, actor, directory.Group{DisplayName: "Engineering", Members: []string{ids[0]}}); err != nil {
		t.Fatal(err)
	}

	e.want(e.run("user", "list"), 0, "USERNAME", "user0@example.com", "user2@example.com", "00u1", "scim", "active", "never")
	sorted := slices.Sorted(slices.Values(ids))
	r := e.want(e.run("user", "list", "--limit", "2"), 0, sorted[0], sorted[1])
	if strings.Contains(r.stdout, sorted[2]) || !strings.Contains(r.stderr, "--cursor "+sorted[1]) {
		t.Errorf("paging: stdout %s stderr %s", r.stdout, r.stderr)
	}
	r = e.want(e.run("user", "list", "--limit", "1", "--all"), 0, sorted[0], sorted[1], sorted[2])
	if strings.Contains(r.stderr, "--cursor") {
		t.Errorf("--all left a cursor: %s", r.stderr)
	}
	r = e.want(e.run("user", "list", "--limit", "2", "--all", "--json"), 0)
	var every struct {
		Items      []struct{ ID string }
		NextCursor string `json:"next_cursor"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &every); err != nil || len(every.Items) != 3 || every.NextCursor != "" {
		t.Errorf("--all --json: %v %s", err, r.stdout)
	}
	r = e.want(e.run("user", "list", "--filter", `uniqueUserId eq "00u2"`), 0, "user2@example.com")
	if strings.Contains(r.stdout, "user0@") {
		t.Errorf("filter ignored:\n%s", r.stdout)
	}
	r = e.want(e.run("user", "list", "--filter", `userName eq`), 1)
	if !strings.Contains(r.stderr, "HTTP 400") || !strings.Contains(r.stderr, "filter") {
		t.Errorf("stderr: %s", r.stderr)
	}
	r = e.want(e.run("user", "list", "--json", "--filter", `uniqueUserId eq "00u0"`), 0)
	var l struct {
		Items []struct {
			ID     string
			Groups []struct{ DisplayName string }
		}
		NextCursor string `json:"next_cursor"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &l); err != nil || len(l.Items) != 1 || l.Items[0].Groups[0].DisplayName != "Engineering" {
		t.Errorf("user list --json: %v %s", err, r.stdout)
	}

	e.want(e.run("user", "show", ids[0]), 0, "userName:", "user0@example.com", "owner:", "scim", "identity:", "okta / 00u0", "groups:", "Engineering")
	e.want(e.run("user", "show", "nobody"), 1)
	e.want(e.run("user", "deactivate", ids[1]), 0, "deactivated user1@example.com")
	e.want(e.run("user", "show", ids[1]), 0, "inactive")
	e.want(e.run("user", "show"), 2)
	e.want(e.run("user", "list", "extra"), 2)
}

func TestCLIEventsTail(t *testing.T) {
	e := newCLIEnv(t, false)
	ctx := t.Context()
	if _, err := e.svc.CreateIdP(ctx, "test", directory.IdP{ID: "okta", Protocol: directory.ProtocolOIDC, Mode: directory.ModeBoth}); err != nil {
		t.Fatal(err)
	}
	// Seq 1 is the admin token's creation, seq 2 the IdP's.
	e.want(e.run("events", "tail", "--follow=false"), 0, "1 ", "token.created", "2 ", "idp.created", "actor=test", "subject=okta")
	r := e.want(e.run("events", "tail", "--follow=false", "--json", "--after", "1"), 0)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	var ev struct {
		Seq  uint64
		Type string
	}
	if err := json.Unmarshal([]byte(lines[0]), &ev); err != nil || len(lines) != 1 || ev.Seq != 2 || ev.Type != "idp.created" {
		t.Errorf("--json lines: %v %s", err, r.stdout)
	}
	e.want(e.run("events", "tail", "--follow=false", "--subject", "okta"), 0, "subject=okta")
	r = e.want(e.run("events", "tail", "--follow=false", "--last", "1"), 0, "idp.created")
	if strings.Contains(r.stdout, "token.created") {
		t.Errorf("--last 1 printed older events:\n%s", r.stdout)
	}
	e.want(e.run("events", "tail", "--last", "5000"), 2)

	// Following: the command waits on the long poll and prints the event written meanwhile.
	// It is started first and the event is written after; whichever comes first, the event
	// is after seq 1, so the follower must print it.
	done := make(chan cliResult, 1)
	go func() { done <- e.run("events", "tail", "--after", "2", "--max", "1") }()
	if _, err := e.svc.CreateIdP(ctx, "test", directory.IdP{ID: "kc", Protocol: directory.ProtocolOIDC}); err != nil {
		t.Fatal(err)
	}
	r = <-done
	e.want(r, 0, "3 ", "idp.created", "subject=kc")

	// Interrupted while it waits for more, tail stops cleanly with exit code 0.
	cmd := exec.CommandContext(t.Context(), cliBinary, "events", "tail")
	cmd.Env = append(os.Environ(), "ROSTER_SERVER="+e.url, "ROSTER_TOKEN="+cliAdminToken)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Once all three events are printed, the next request is the long poll.
	sc := bufio.NewScanner(out)
	for range 3 {
		if !sc.Scan() {
			t.Fatalf("tail ended early: %v", sc.Err())
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("tail after an interrupt: %v, want exit code 0", err)
	}

	e.want(e.run("events", "tail", "--wait", "0"), 2)
	e.want(e.run("events", "tail", "--after", "x"), 2)
	e.want(e.run("events"), 2)
}

func TestCLIBackup(t *testing.T) {
	e := newCLIEnv(t, true)
	if _, err := e.svc.CreateIdP(t.Context(), "test", directory.IdP{ID: "okta", Protocol: directory.ProtocolOIDC}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "copy.db")
	e.want(e.run("backup", file), 0, "wrote", "consistent bbolt file")
	// The copy is a working store holding what the server had.
	copyStore, err := bolt.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := directory.New(copyStore).IdP(t.Context(), "okta")
	copyStore.Close()
	if err != nil || p.ID != "okta" {
		t.Errorf("the backup lacks the IdP: %v", err)
	}

	r := e.want(e.run("backup", file), 1)
	if !strings.Contains(r.stderr, "exists") {
		t.Errorf("stderr: %s", r.stderr)
	}
	e.want(e.run("backup", file, "--force"), 0, "wrote")
	e.want(e.run("backup"), 2)

	// A server without an online backup (PostgreSQL) answers 501, and no file appears.
	none := newCLIEnv(t, false)
	other := filepath.Join(t.TempDir(), "none.db")
	r = none.want(none.run("backup", other), 1)
	if !strings.Contains(r.stderr, "HTTP 501") {
		t.Errorf("stderr: %s", r.stderr)
	}
	if _, err := os.Stat(other); err == nil {
		t.Errorf("a failed backup left a file")
	}
	entries, _ := os.ReadDir(filepath.Dir(other))
	if len(entries) != 0 {
		t.Errorf("a failed backup left %v", entries)
	}
}

// TestCLIHelpShowsNoSecret walks every command's and subcommand's -h, found from the help
// output itself, and checks that none prints the admin token held in the environment: a
// flag's default is printed by -h, so a secret must never be one.
func TestCLIHelpShowsNoSecret(t *testing.T) {
	e := newCLIEnv(t, false)
	const secret = "rst_admin_help-must-not-print-this"
	env := []string{"ROSTER_SERVER=" + e.url, "ROSTER_TOKEN=" + secret, "ROSTER_ADMIN_TOKEN=" + secret}
	top := e.want(e.runEnv(env, "-h"), 0)
	var commands []string
	for _, line := range strings.Split(top.stdout, "\n") {
		if f := strings.Fields(line); strings.HasPrefix(line, "  ") && len(f) > 1 {
			commands = append(commands, f[0])
		}
	}
	// A list of subcommands is printed as "usage: roster <path> <a|b|c> [flags]" followed by
	// "run 'roster <path> <subcommand> -h' for its flags".
	listed := regexp.MustCompile(`^usage: roster [a-z -]+ <([a-z|-]+)> \[flags\]\s+run 'roster [a-z -]+ <subcommand> -h'`)
	var seen []string
	var walk func(path []string)
	walk = func(path []string) {
		r := e.runEnv(env, append(slices.Clone(path), "-h")...)
		out := r.stdout + r.stderr
		if r.code != 0 {
			t.Errorf("roster %s -h: exit code %d\n%s", strings.Join(path, " "), r.code, out)
		}
		if strings.Contains(out, secret) {
			t.Errorf("roster %s -h prints the value of ROSTER_TOKEN:\n%s", strings.Join(path, " "), out)
		}
		seen = append(seen, strings.Join(path, " "))
		if m := listed.FindStringSubmatch(out); m != nil {
			for _, sub := range strings.Split(m[1], "|") {
				walk(append(slices.Clone(path), sub))
			}
		} else if strings.Contains(out, "  -token string") && !strings.Contains(out, "(default: from $ROSTER_TOKEN") {
			t.Errorf("roster %s -h does not say where the token comes from:\n%s", strings.Join(path, " "), out)
		}
	}
	for _, c := range commands {
		walk([]string{c})
	}
	// The walk must have reached the client commands, nested ones included, or it proved nothing.
	for _, want := range []string{"serve", "idp add", "token create", "user list", "events tail", "backup",
		"org add", "org domain verify", "admin-token create"} {
		if !slices.Contains(seen, want) {
			t.Errorf("the walk of -h outputs did not reach %q; it saw %q", want, seen)
		}
	}
}
