package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/rosterhq/roster/internal/testserver"
	"github.com/rosterhq/roster/storage/bolt"
)

func serveArgs(extra ...string) []string {
	return append([]string{"serve", "--addr", "127.0.0.1:0", "--log-level", "error"}, extra...)
}

func TestServeRefusesBadDataFiles(t *testing.T) {
	dir := t.TempDir()

	notRoster := filepath.Join(dir, "notes.txt")
	os.WriteFile(notRoster, bytes.Repeat([]byte("not a database\n"), 500), 0o600)

	foreignBolt := filepath.Join(dir, "other.db")
	db, err := bbolt.Open(foreignBolt, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket([]byte("something")); return err })
	db.Close()

	newer := filepath.Join(dir, "newer.db")
	s, err := bolt.Open(newer)
	if err != nil {
		t.Fatal(err)
	}
	s.DB().Update(func(tx *bbolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("version"), []byte("99")) })
	s.Close()

	locked := filepath.Join(dir, "locked.db")
	holder, err := bolt.Open(locked)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()

	cases := []struct {
		name, path, want string
	}{
		{"a text file", notRoster, "is not a Roster database"},
		{"a bbolt file of another program", foreignBolt, "not a Roster database"},
		{"a file from a newer Roster", newer, "newer Roster"},
		{"a file locked by another Roster", locked, "locked by another running Roster"},
		{"a directory", dir, "is a directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before []byte
			if c.path != dir {
				before, _ = os.ReadFile(c.path)
			}
			var stdout, stderr bytes.Buffer
			code := runMain(t.Context(), serveArgs("--data", c.path), &stdout, &stderr)
			if code == 0 {
				t.Fatalf("serve exited 0 on %s", c.name)
			}
			msg := strings.TrimSpace(stderr.String())
			if !strings.Contains(msg, c.want) || !strings.Contains(msg, c.path) {
				t.Errorf("error %q does not name the file and say %q", msg, c.want)
			}
			if strings.Count(msg, "\n") > 0 {
				t.Errorf("error is not one line: %q", msg)
			}
			if c.path != dir {
				after, _ := os.ReadFile(c.path)
				if !bytes.Equal(before, after) {
					t.Errorf("the file was changed")
				}
			}
		})
	}
}

func TestServeConfigProblemsAllReported(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "roster.yaml")
	os.WriteFile(cfgFile, []byte("addr: nonsense\nbase_urll: http://typo\n"), 0o600)

	var stderr bytes.Buffer
	code := runMain(t.Context(), []string{"serve", "--config", cfgFile, "--log-level", "loud", "--base-url", "ftp://x"}, io.Discard, &stderr)
	if code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
	for _, want := range []string{"base_urll", "log_level \"loud\"", "base_url \"ftp://x\""} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("errors do not mention %s:\n%s", want, stderr.String())
		}
	}

	stderr.Reset()
	code = runMain(t.Context(), []string{"serve", "--addr", "nonsense", "--session-ttl", "1s"}, io.Discard, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "addr \"nonsense\"") || !strings.Contains(stderr.String(), "session_ttl") {
		t.Errorf("exit %d, errors:\n%s", code, stderr.String())
	}

	stderr.Reset()
	if code := runMain(t.Context(), []string{"serve", "--no-such-flag"}, io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), "no-such-flag") {
		t.Errorf("unknown flag: exit %d, %s", code, stderr.String())
	}
}

func TestServeEnvironmentOverridesFile(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "roster.yaml")
	os.WriteFile(cfgFile, []byte("addr: 127.0.0.1:9000\ndata: file.db\nsession_ttl: 2h\n"), 0o600)
	env := map[string]string{"ROSTER_CONFIG": cfgFile, "ROSTER_DATA": "env.db"}
	cfg, err := loadServeConfig([]string{"--addr", "127.0.0.1:9100"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:9100" || cfg.Data != "env.db" || cfg.SessionTTL != 2*time.Hour || cfg.BaseURL != "http://127.0.0.1:9100" {
		t.Errorf("layering wrong: %+v", cfg)
	}
}

func TestServeFirstStartAndGracefulShutdown(t *testing.T) {
	data := filepath.Join(t.TempDir(), "roster.db")
	ctx, cancel := context.WithCancel(t.Context())
	var stdout, stderr testserver.LogBuffer
	exited := make(chan int, 1)
	go func() {
		exited <- runMain(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", data}, &stdout, &stderr)
	}()
	addr := waitForStart(t, &stderr)

	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", err, resp)
	}
	resp.Body.Close()
	if !strings.Contains(stdout.String(), "rst_admin_") || !strings.Contains(stdout.String(), "/admin") {
		t.Errorf("first start did not print an admin token and console URL:\n%s", stdout.String())
	}
	cancel()
	if code := <-exited; code != 0 {
		t.Fatalf("exit code after SIGTERM-equivalent: %d\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "roster stopped") {
		t.Errorf("no clean stop logged")
	}

	// The second start of the same store prints no new token, and the file opens cleanly.
	ctx2, cancel2 := context.WithCancel(t.Context())
	var stdout2, stderr2 testserver.LogBuffer
	go func() {
		exited <- runMain(ctx2, []string{"serve", "--addr", "127.0.0.1:0", "--data", data}, &stdout2, &stderr2)
	}()
	waitForStart(t, &stderr2)
	cancel2()
	<-exited
	if strings.Contains(stdout2.String(), "rst_admin_") {
		t.Errorf("second start printed a new admin token")
	}
}

// waitForStart reads the JSON log until the "roster started" line and returns its address.
func waitForStart(t *testing.T, stderr *testserver.LogBuffer) string {
	t.Helper()
	for range 500 {
		sc := bufio.NewScanner(strings.NewReader(stderr.String()))
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "roster started" {
				return line.Addr
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("server did not start:\n%s", stderr.String())
	return ""
}

func TestServeBadDurationsReportedTogether(t *testing.T) {
	env := map[string]string{"ROSTER_SESSION_TTL": "forever"}
	_, err := loadServeConfig([]string{"--saml-clock-skew", "soon", "--addr", "x"}, func(k string) string { return env[k] }, io.Discard)
	if err == nil {
		t.Fatal("bad durations were accepted")
	}
	for _, want := range []string{`ROSTER_SESSION_TTL="forever"`, `--saml-clock-skew "soon"`, `addr "x"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not report %s:\n%v", want, err)
		}
	}
}

// TestServeOnAPortInUse: roster serve listens before anything else, so a port in use is an
// error that prints no admin token, mints none, and leaves the store untouched — an existing
// store as it was, and no new file where there was none.
func TestServeOnAPortInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir := t.TempDir()

	fresh := filepath.Join(dir, "fresh.db")
	var stdout, stderr bytes.Buffer
	if code := runMain(t.Context(), []string{"serve", "--addr", busy.Addr().String(), "--data", fresh}, &stdout, &stderr); code != 1 {
		t.Fatalf("exit code %d, want 1\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "cannot listen on "+busy.Addr().String()) {
		t.Errorf("stderr does not say the port is in use: %s", stderr.String())
	}
	if strings.Contains(stdout.String()+stderr.String(), "rst_admin_") || strings.Contains(stdout.String(), "ready") {
		t.Errorf("a failed start announced Roster or printed a token:\n%s%s", stdout.String(), stderr.String())
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("a failed start created the data file: %v", err)
	}

	// An existing store keeps its bytes and gets no admin token.
	existing := filepath.Join(dir, "existing.db")
	s, err := bolt.Open(existing)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	before, err := os.ReadFile(existing)
	if err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	stderr.Reset()
	if code := runMain(t.Context(), []string{"serve", "--addr", busy.Addr().String(), "--data", existing}, &stdout, &stderr); code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	after, err := os.ReadFile(existing)
	if err != nil || !bytes.Equal(before, after) {
		t.Errorf("a failed start changed the store (%v)", err)
	}
	if stdout.Len() > 0 {
		t.Errorf("stdout: %s", stdout.String())
	}
}
