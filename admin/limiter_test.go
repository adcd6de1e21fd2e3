package admin

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
)

// failing is a request from remote presenting a wrong token.
func failing(remote string, xff ...string) *http.Request {
	r := httptest.NewRequest("GET", "/admin/api/v1/idps", nil)
	r.RemoteAddr = remote
	for _, v := range xff {
		r.Header.Add("X-Forwarded-For", v)
	}
	return r
}

// TestLimiterIsBounded: a flood of failures from ever new addresses must not grow the table
// without end, and the newest address is still counted.
func TestLimiterIsBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewAuthLimiter(nil, LimiterConfig{MaxFailures: 3, Window: time.Minute, Delay: time.Millisecond, Now: func() time.Time { return now }})
	for i := range maxEntries + 500 {
		l.Failed(failing(fmt.Sprintf("10.0.%d.%d:1234", i/256, i%256)), "")
	}
	if n := len(l.counts); n > maxEntries {
		t.Errorf("%d entries, want at most %d", n, maxEntries)
	}
	for range 3 {
		if status, _ := l.Failed(failing("10.200.0.1:1"), ""); status != http.StatusUnauthorized {
			t.Fatalf("a failure within the limit: %d, want 401", status)
		}
	}
	status, wait := l.Failed(failing("10.200.0.1:1"), "")
	if status != http.StatusTooManyRequests || wait <= 0 || wait > time.Minute {
		t.Errorf("the fourth failure: %d, retry after %v; want 429 within the window", status, wait)
	}
	// Once the window has passed, everyone starts afresh.
	now = now.Add(time.Minute)
	if status, _ := l.Failed(failing("10.200.0.1:1"), ""); status != http.StatusUnauthorized {
		t.Errorf("after the window: %d, want 401", status)
	}
}

// TestLimiterCountsCredentialPrefixes: one token tried with many variations from many
// addresses is limited by its prefix, each address being under its own limit.
func TestLimiterCountsCredentialPrefixes(t *testing.T) {
	l := NewAuthLimiter(nil, LimiterConfig{MaxFailures: 3, Delay: time.Millisecond})
	var statuses []int
	for i := range 5 {
		s, _ := l.Failed(failing(fmt.Sprintf("192.0.2.%d:1", i)), fmt.Sprintf("rst_admin_AbCdEf-guess-%d", i))
		statuses = append(statuses, s)
	}
	want := []int{401, 401, 401, 429, 429}
	if fmt.Sprint(statuses) != fmt.Sprint(want) {
		t.Errorf("statuses %v, want %v", statuses, want)
	}
}

// TestClientAddr: X-Forwarded-For counts only from a trusted proxy, read from the right past
// the trusted proxies, and an IPv6 client counts as its /64.
func TestClientAddr(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 192.0.2.7")
	if err != nil {
		t.Fatal(err)
	}
	l := NewAuthLimiter(nil, LimiterConfig{TrustedProxies: trusted})
	none := NewAuthLimiter(nil, LimiterConfig{})
	cases := []struct {
		name   string
		l      *AuthLimiter
		remote string
		xff    []string
		want   string
	}{
		{"no proxy: the peer", l, "198.51.100.1:5000", nil, "198.51.100.1"},
		{"untrusted peer: the header is ignored", l, "198.51.100.1:5000", []string{"203.0.113.9"}, "198.51.100.1"},
		{"nothing trusted: the header is ignored", none, "10.1.1.1:5000", []string{"203.0.113.9"}, "10.1.1.1"},
		{"trusted proxy: the client it names", l, "10.1.1.1:5000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"the client's own entries on the left are ignored", l, "10.1.1.1:5000", []string{"1.2.3.4, 203.0.113.9"}, "203.0.113.9"},
		{"a chain of trusted proxies", l, "192.0.2.7:5000", []string{"1.2.3.4, 203.0.113.9, 10.2.2.2"}, "203.0.113.9"},
		{"header lines joined", l, "10.1.1.1:5000", []string{"1.2.3.4", "203.0.113.9"}, "203.0.113.9"},
		{"garbage stops the walk", l, "10.1.1.1:5000", []string{"203.0.113.9, nonsense"}, "10.1.1.1"},
		{"only trusted hops: the leftmost", l, "10.1.1.1:5000", []string{"10.3.3.3"}, "10.3.3.3"},
		{"IPv6 peer by its /64", l, "[2001:db8:1:2:3:4:5:6]:443", nil, "2001:db8:1:2::/64"},
		{"IPv6 client behind a proxy, bracketed with a port", l, "10.1.1.1:5000", []string{"[2001:db8:9:9::1]:1234"}, "2001:db8:9:9::/64"},
		{"IPv4-mapped IPv6 peer", l, "[::ffff:198.51.100.1]:5000", nil, "198.51.100.1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.l.ClientAddr(failing(tc.remote, tc.xff...)); got != tc.want {
				t.Errorf("ClientAddr = %q, want %q", got, tc.want)
			}
		})
	}
	if _, err := ParseTrustedProxies("10.0.0.0/8,proxy.example"); err == nil || !strings.Contains(err.Error(), "proxy.example") {
		t.Errorf("ParseTrustedProxies of a host name: %v, want an error naming it", err)
	}
}

// TestLimiterEventsAreBounded: a failing address is recorded when it first fails and when it
// goes over the limit, and a flood from many addresses writes at most the minute's budget of
// events, the next one counting those left out.
func TestLimiterEventsAreBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewAuthLimiter(nil, LimiterConfig{MaxFailures: 3, Delay: time.Millisecond, Now: func() time.Time { return now }})
	var got []directory.AuthFailure
	l.record = func(_ context.Context, f directory.AuthFailure) error { got = append(got, f); return nil }

	for range 10 {
		l.Failed(failing("198.51.100.1:1"), "rst_admin_wrong")
	}
	if len(got) != 2 || got[0].Failures != 1 || got[0].Limited || got[1].Failures != 4 || !got[1].Limited ||
		got[0].Address != "198.51.100.1" || got[0].Credential != directory.AdminTokenPrefix {
		t.Fatalf("events %+v, want the first failure and the crossing of the limit", got)
	}
	got = nil
	for i := range 1000 {
		l.Failed(failing(fmt.Sprintf("10.9.%d.%d:1", i/256, i%256)), "")
	}
	if len(got) != eventBudget-2 {
		t.Errorf("%d events for 1000 failing addresses, want the rest of the budget, %d", len(got), eventBudget-2)
	}
	now = now.Add(time.Minute)
	got = nil
	l.Failed(failing("10.10.0.1:1"), "")
	if len(got) != 1 || got[0].Unrecorded != 1000-(eventBudget-2) {
		t.Errorf("the next minute's first event %+v, want it to count the %d failures left out", got, 1000-(eventBudget-2))
	}
}
