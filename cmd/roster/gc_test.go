package main

import (
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestGCSettings: the collector's target is 400 unless GOGC says otherwise, and the soft
// memory limit is 80% of the lowest memory limit of the process's cgroup and those above it
// (v2 or v1: a container's own, a systemd unit's or its slice's) unless GOMEMLIMIT says
// otherwise; no limit, or an unlimited one, sets none.
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
	const (
		container = "0::/\n"
		unit      = "0::/system.slice/roster.service\n"
		v1unit    = "12:pids:/system.slice/roster.service\n4:cpu,cpuacct:/system.slice/roster.service\n7:memory:/system.slice/roster.service\n"
	)
	cases := []struct {
		name       string
		env, files map[string]string
		percent    int
		limit      int64
	}{
		{"no cgroup", nil, nil, 400, 0},
		{"GOGC set", map[string]string{"GOGC": "100"}, nil, 0, 0},
		{"container, v2", nil, map[string]string{"/proc/self/cgroup": container, "/sys/fs/cgroup/memory.max": "1073741824\n"}, 400, 858993459},
		{"container, v2, unlimited", nil, map[string]string{"/proc/self/cgroup": container, "/sys/fs/cgroup/memory.max": "max\n"}, 400, 0},
		{"systemd unit, v2", nil, map[string]string{"/proc/self/cgroup": unit,
			"/sys/fs/cgroup/system.slice/roster.service/memory.max": "536870912\n", "/sys/fs/cgroup/system.slice/memory.max": "max\n"}, 400, 429496729},
		{"the slice's lower limit, v2", nil, map[string]string{"/proc/self/cgroup": unit,
			"/sys/fs/cgroup/system.slice/roster.service/memory.max": "max\n", "/sys/fs/cgroup/system.slice/memory.max": "1073741824\n"}, 400, 858993459},
		{"systemd unit, v1", nil, map[string]string{"/proc/self/cgroup": v1unit,
			"/sys/fs/cgroup/memory/system.slice/roster.service/memory.limit_in_bytes": "536870912\n",
			"/sys/fs/cgroup/memory/memory.limit_in_bytes":                             "9223372036854771712\n"}, 400, 429496729},
		{"v1, unlimited", nil, map[string]string{"/proc/self/cgroup": v1unit, "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n"}, 400, 0},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "200MiB"}, map[string]string{"/proc/self/cgroup": container, "/sys/fs/cgroup/memory.max": "1073741824"}, 400, 0},
		{"unreadable limit", nil, map[string]string{"/proc/self/cgroup": container, "/sys/fs/cgroup/memory.max": "lots"}, 400, 0},
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
		srv := startScaleServer(t, filepath.Join(t.TempDir(), "roster.db"), "", 0, "GOGC="+c.gogc)
		req, _ := http.NewRequest(http.MethodGet, srv.url+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+scaleAdminToken)
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
