package main

import (
	"bufio"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGCSettings: the collector's target is 400 unless GOGC says otherwise, and the soft
// memory limit is 80% of a container's (cgroup v2 or v1) memory limit unless GOMEMLIMIT says
// otherwise; no container limit, or an unlimited one, sets none.
func TestGCSettings(t *testing.T) {
	files := func(m map[string]string) func(string) ([]byte, error) {
		return func(path string) ([]byte, error) {
			if v, ok := m[path]; ok {
				return []byte(v), nil
			}
			return nil, fs.ErrNotExist
		}
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	const v2, v1 = "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"
	cases := []struct {
		name       string
		env, files map[string]string
		percent    int
		limit      int64
	}{
		{"no container", nil, nil, 400, 0},
		{"GOGC set", map[string]string{"GOGC": "100"}, nil, 0, 0},
		{"cgroup v2 limit", nil, map[string]string{v2: "1073741824\n"}, 400, 858993459},
		{"cgroup v2 unlimited", nil, map[string]string{v2: "max\n"}, 400, 0},
		{"cgroup v1 limit", nil, map[string]string{v1: "536870912\n"}, 400, 429496729},
		{"cgroup v1 unlimited", nil, map[string]string{v1: "9223372036854771712\n"}, 400, 0},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "200MiB"}, map[string]string{v2: "1073741824"}, 400, 0},
		{"unreadable limit", nil, map[string]string{v2: "lots"}, 400, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			percent, limit := gcSettings(env(c.env), files(c.files))
			if percent != c.percent || limit != c.limit {
				t.Errorf("gcSettings = %d, %d; want %d, %d", percent, limit, c.percent, c.limit)
			}
		})
	}
}

// TestServerGCTarget: the built server runs with the collector's target at 400, or at what
// GOGC says, as its /metrics report.
func TestServerGCTarget(t *testing.T) {
	for _, c := range []struct{ gogc, want string }{{"", "go_gc_gogc_percent 400"}, {"150", "go_gc_gogc_percent 150"}} {
		token := "rst_admin_" + strings.Repeat("g", 43)
		cmd := exec.Command(cliBinary, "serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "roster.db"), "--admin-token", token)
		cmd.Env = append(os.Environ(), "GOGC="+c.gogc)
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout = io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		addr := ""
		for lines := bufio.NewScanner(stderr); addr == "" && lines.Scan(); {
			var rec struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal(lines.Bytes(), &rec) == nil && rec.Msg == "roster started" {
				addr = rec.Addr
			}
		}
		if addr == "" {
			t.Fatal("roster serve did not start")
		}
		go func() { _, _ = io.Copy(io.Discard, stderr) }()
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(body), "\n"+c.want+"\n") {
			t.Errorf("GOGC=%q: /metrics (%d) lacks %q", c.gogc, res.StatusCode, c.want)
		}
	}
}
