package admin

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/rosterhq/roster/directory"
)

// This file is the failure limiter of every admin route, the webhooks API's included. It is
// consulted only after a credential has been checked and found wrong or missing, so a correct
// credential always passes, from whatever address, however many failures that address made:
// behind a reverse proxy every administrator shares the proxy's address, and a limit that
// refused the right token there would let anyone lock the administrators out.
//
// What it does instead is slow and quieten guessing. Failures are counted per client address
// (an IPv6 client by its /64, which one host usually has whole) and per credential prefix;
// past the limit within the window, a failure is answered with 429 and Retry-After after a
// delay, so that a client guessing one request at a time makes at most one guess per delay.
// The delays are bounded in number, so a flood cannot park an unbounded number of requests.
// The tokens themselves carry 256 random bits, which is what makes guessing hopeless; the
// limiter keeps a guesser from being cheap and the failures visible as events.

// LimiterConfig tunes an AuthLimiter. Zero values take the documented defaults.
type LimiterConfig struct {
	// MaxFailures is how many failures a client address or credential prefix may make within
	// Window before its failures are slowed and answered with 429 (default 10).
	MaxFailures int
	// Window is how long failures are counted (default 15 minutes).
	Window time.Duration
	// Delay is how long a failure past the limit waits before its answer (default 1s).
	Delay time.Duration
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is believed: a request from
	// one of them is counted for the address the proxies name (the last one not itself a
	// trusted proxy). Without them the TCP peer is the client, whatever the header says.
	TrustedProxies []netip.Prefix
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

const (
	// maxEntries bounds the counters kept; past it, expired ones are dropped and, if none
	// are, the oldest window goes.
	maxEntries = 10000
	// maxSlowed bounds how many failure answers wait at once; beyond it they go out at once.
	maxSlowed = 64
	// eventBudget is how many admin.auth_failed events may be written per minute, whatever
	// the number of clients failing; the next event counts the ones left out.
	eventBudget = 30
	// credentialPrefix is how much of a wrong credential is a counter's key: the kind prefix
	// and a few characters, so that one token tried with many variations counts as one.
	credentialPrefix = 16
)

// AuthLimiter counts failed authentications of the admin surfaces. It is safe for concurrent
// use; one serves every admin route.
type AuthLimiter struct {
	cfg    LimiterConfig
	record func(context.Context, directory.AuthFailure) error
	slow   chan struct{}

	mu     sync.Mutex
	counts map[string]*failures
	// The event budget of the current minute.
	budgetStart time.Time
	budgetUsed  int
	unrecorded  int
}

type failures struct {
	count int
	start time.Time
}

// NewAuthLimiter returns a limiter that records failures as events through svc (nil records
// none).
func NewAuthLimiter(svc *directory.Service, cfg LimiterConfig) *AuthLimiter {
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = 10
	}
	if cfg.Window <= 0 {
		cfg.Window = 15 * time.Minute
	}
	if cfg.Delay <= 0 {
		cfg.Delay = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	l := &AuthLimiter{cfg: cfg, slow: make(chan struct{}, maxSlowed), counts: map[string]*failures{}}
	if svc != nil {
		l.record = svc.RecordAuthFailure
	}
	return l
}

// Failed records a failed authentication of r, which presented credential ("" for none), and
// returns the status to answer: 401, or 429 with how long until the client's window ends once
// it is over the limit, in which case Failed has already waited the configured delay.
func (l *AuthLimiter) Failed(r *http.Request, credential string) (status int, retryAfter time.Duration) {
	addr := l.ClientAddr(r)
	keys := []string{"addr " + addr}
	if credential != "" {
		p := credential
		if len(p) > credentialPrefix {
			p = p[:credentialPrefix]
		}
		keys = append(keys, "credential "+p)
	}
	l.mu.Lock()
	now := l.cfg.Now()
	limited := false
	var addrCount int
	for i, k := range keys {
		f := l.count(k, now)
		if i == 0 {
			addrCount = f.count
		}
		if f.count > l.cfg.MaxFailures {
			limited = true
			retryAfter = max(retryAfter, f.start.Add(l.cfg.Window).Sub(now))
		}
	}
	var ev *directory.AuthFailure
	// An address is recorded at its first failure of a window and when it goes over the
	// limit, within the budget.
	if addrCount == 1 || addrCount == l.cfg.MaxFailures+1 {
		ev = l.spend(now, directory.AuthFailure{Address: addr, Failures: addrCount,
			Limited: addrCount > l.cfg.MaxFailures, Credential: credentialKind(credential)})
	} else {
		l.unrecorded++
	}
	l.mu.Unlock()

	// The log line and the event share the budget, so a flood fills neither.
	if ev != nil {
		l.cfg.Logger.WarnContext(r.Context(), "admin: authentication failed", "remote", addr, "failures", addrCount,
			"limited", ev.Limited, "unrecorded", ev.Unrecorded)
	}
	if ev != nil && l.record != nil {
		// The event is written even if the client hangs up, and never holds the answer long.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
		if err := l.record(ctx, *ev); err != nil {
			l.cfg.Logger.WarnContext(ctx, "admin: recording failed authentications", "err", err)
		}
		cancel()
	}
	if !limited {
		return http.StatusUnauthorized, 0
	}
	select {
	case l.slow <- struct{}{}:
		t := time.NewTimer(l.cfg.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
		<-l.slow
	default:
	}
	return http.StatusTooManyRequests, retryAfter
}

// count adds one failure to key's counter, starting a new window when the last has ended.
func (l *AuthLimiter) count(key string, now time.Time) *failures {
	f, ok := l.counts[key]
	if !ok || now.Sub(f.start) >= l.cfg.Window {
		if !ok && len(l.counts) >= maxEntries {
			l.prune(now)
		}
		f = &failures{start: now}
		l.counts[key] = f
	}
	f.count++
	return f
}

// spend returns the event to write if the minute's budget allows it, counting in the failures
// left out since the last event.
func (l *AuthLimiter) spend(now time.Time, ev directory.AuthFailure) *directory.AuthFailure {
	if now.Sub(l.budgetStart) >= time.Minute {
		l.budgetStart, l.budgetUsed = now, 0
	}
	if l.budgetUsed >= eventBudget {
		l.unrecorded++
		return nil
	}
	l.budgetUsed++
	ev.Unrecorded, l.unrecorded = l.unrecorded, 0
	return &ev
}

func (l *AuthLimiter) prune(now time.Time) {
	var oldest string
	var oldestStart time.Time
	for k, f := range l.counts {
		if now.Sub(f.start) >= l.cfg.Window {
			delete(l.counts, k)
			continue
		}
		if oldest == "" || f.start.Before(oldestStart) {
			oldest, oldestStart = k, f.start
		}
	}
	if len(l.counts) >= maxEntries && oldest != "" {
		delete(l.counts, oldest)
	}
}

// credentialKind says what kind of credential was presented without revealing any of it:
// "none", the kind prefix of Roster's secrets ("rst_admin_", "rst_scim_", "rst_setup_",
// "rst_console_"…), or "other".
func credentialKind(c string) string {
	if c == "" {
		return "none"
	}
	if kind, rest, ok := strings.Cut(strings.TrimPrefix(c, "rst_"), "_"); ok && strings.HasPrefix(c, "rst_") && rest != "" &&
		kind != "" && len(kind) <= 12 && strings.Trim(kind, "abcdefghijklmnopqrstuvwxyz") == "" {
		return "rst_" + kind + "_"
	}
	return "other"
}

// ClientAddr is the address a request's failures are counted for: the TCP peer, or, when the
// peer is a trusted proxy, the address X-Forwarded-For names, read from the right past every
// trusted proxy (the left part of the header is whatever the client wrote). An IPv6 address
// counts as its /64.
func (l *AuthLimiter) ClientAddr(r *http.Request) string {
	client, ok := parseAddr(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr
	}
	if l.trusted(client) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			a, ok := parseAddr(hops[i])
			if !ok {
				break
			}
			client = a
			if !l.trusted(a) {
				break
			}
		}
	}
	if client.Is6() {
		p, _ := client.Prefix(64)
		return p.String()
	}
	return client.String()
}

func (l *AuthLimiter) trusted(a netip.Addr) bool {
	for _, p := range l.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseAddr reads "host:port", a bare address or a bracketed IPv6 one, as proxies write them.
func parseAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

// ParseTrustedProxies reads a comma-separated list of CIDRs and addresses (an address is its
// own /32 or /128), as --trusted-proxies takes it.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	var bad []string
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(item); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		bad = append(bad, item)
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("trusted_proxies: %q is not a CIDR or an IP address (e.g. 10.0.0.0/8,192.0.2.7)", strings.Join(bad, ", "))
	}
	return out, nil
}
