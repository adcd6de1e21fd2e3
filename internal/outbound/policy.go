package outbound

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults of a Policy's zero fields.
const (
	DefaultMaxBodyBytes = 1 << 20
	DefaultTimeout      = 15 * time.Second
	DefaultMaxRedirects = 5
	dialTimeout         = 10 * time.Second
)

// The kinds of refusal, for errors.Is. Every error of this package is an *Error that wraps
// one of them.
var (
	// ErrRefused: the destination is not public and not on the allow-list.
	ErrRefused = errors.New("destination refused")
	// ErrRedirect: a redirect to another host, a downgrade to http, or too many redirects.
	ErrRedirect = errors.New("redirect refused")
	// ErrTooLarge: the answer's body is larger than the limit.
	ErrTooLarge = errors.New("answer too large")
)

// Error is a request the policy stopped. Its text names the problem and, where the server's
// configuration can change the outcome, the setting that does. It carries no part of any
// answer.
type Error struct {
	kind error
	msg  string
}

func (e *Error) Error() string { return e.msg }

// Unwrap returns ErrRefused, ErrRedirect or ErrTooLarge.
func (e *Error) Unwrap() error { return e.kind }

// Resolver looks up the addresses of a host name. *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Dialer connects to an address the policy has checked; it is only ever given an IP address
// and a port. *net.Dialer is one.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Policy decides where Roster's own requests may go, and makes the clients that keep to it.
// The zero Policy refuses every destination that is not public and uses the defaults.
type Policy struct {
	// Allow lists the non-public destinations that may be reached.
	Allow AllowList
	// Resolver resolves host names; nil is net.DefaultResolver.
	Resolver Resolver
	// Dialer opens connections to checked addresses; nil is a net.Dialer with a 10 s timeout.
	Dialer Dialer
	// MaxBodyBytes bounds each answer's body (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// Timeout bounds each exchange, redirects and reading the body included (default
	// DefaultTimeout).
	Timeout time.Duration
	// MaxRedirects bounds the redirects one request follows (default DefaultMaxRedirects).
	MaxRedirects int
}

func (p Policy) withDefaults() Policy {
	if p.Resolver == nil {
		p.Resolver = net.DefaultResolver
	}
	if p.Dialer == nil {
		p.Dialer = &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	}
	if p.MaxBodyBytes <= 0 {
		p.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if p.Timeout <= 0 {
		p.Timeout = DefaultTimeout
	}
	if p.MaxRedirects <= 0 {
		p.MaxRedirects = DefaultMaxRedirects
	}
	return p
}

// maxIdlePerHost is how many idle connections a client keeps to one host.
const maxIdlePerHost = 64

// Client returns an HTTP client that keeps to the policy. Each call returns a new client with
// its own connection pool.
func (p Policy) Client() *http.Client {
	p = p.withDefaults()
	base := &http.Transport{
		Proxy:             nil, // a proxy would be the checked destination instead of the real one
		DialContext:       p.DialContext,
		ForceAttemptHTTP2: true,
		MaxIdleConns:      100,
		// Sign-ins at once to one IdP exchange codes at one token endpoint: keep as many
		// connections as they use, rather than net/http's 2 per host, so that a burst of
		// sign-ins does not open (and on TLS, handshake) a connection for each.
		MaxIdleConnsPerHost:   maxIdlePerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: p.Timeout,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		Transport:     &transport{base: base, maxBody: p.MaxBodyBytes},
		CheckRedirect: p.checkRedirect,
		Timeout:       p.Timeout,
	}
}

// DialContext resolves address's host, checks every address it resolves to, and connects to
// the first checked address that answers. A refused destination is never dialled.
func (p Policy) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	p = p.withDefaults()
	host, portText, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("port %q is not a number", portText)
	}
	addrs, err := p.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	var firstErr error
	for _, ip := range addrs {
		if network == "tcp4" && !ip.Is4() || network == "tcp6" && !ip.Is6() {
			continue
		}
		conn, err := p.Dialer.DialContext(ctx, network, netip.AddrPortFrom(ip, uint16(port)).String())
		if err == nil {
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("%s has no %s address", host, network)
	}
	return nil, firstErr
}

// resolve returns the addresses a connection to host may use, each checked: host itself when
// it is an address, else what the resolver answers. A name is refused when any of its
// addresses is, since a connection could use any of them. A name on the allow-list is trusted
// with whatever it resolves to.
func (p Policy) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		if err := p.check(host, ip); err != nil {
			return nil, err
		}
		return []netip.Addr{ip.Unmap()}, nil
	}
	name := canonicalHost(host)
	found, err := p.Resolver.LookupNetIP(ctx, "ip", name)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	out := make([]netip.Addr, 0, len(found))
	for _, ip := range found {
		if !p.Allow.allowsHost(name) {
			if err := p.check(host+" ("+ip.String()+")", ip); err != nil {
				return nil, err
			}
		}
		out = append(out, ip.Unmap())
	}
	return out, nil
}

// check refuses ip unless it is public or allowed. dest is how the error names it.
func (p Policy) check(dest string, ip netip.Addr) error {
	plain := ip.WithZone("").Unmap()
	if p.Allow.allowsAddr(plain) {
		return nil
	}
	if what := classify(plain); what != "" {
		return &Error{kind: ErrRefused, msg: fmt.Sprintf("destination %s is %s; allow it with --allow-outbound", dest, what)}
	}
	return nil
}

// checkRedirect is the client's redirect policy: at most MaxRedirects, the same host as the
// first request, and no downgrade from https. A redirect to an address is checked here too,
// so that the error names the address rather than only the change of host.
func (p Policy) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > p.MaxRedirects {
		return &Error{kind: ErrRedirect, msg: fmt.Sprintf("more than %d redirects", p.MaxRedirects)}
	}
	if ip, err := netip.ParseAddr(req.URL.Hostname()); err == nil {
		if err := p.check(req.URL.Hostname(), ip); err != nil {
			return err
		}
	}
	from, to := via[0].URL, req.URL
	if from.Scheme == "https" && to.Scheme != "https" {
		return &Error{kind: ErrRedirect, msg: fmt.Sprintf("redirect from https://%s to %s://%s refused: it would drop TLS",
			from.Host, to.Scheme, to.Host)}
	}
	if !sameHost(from, to) {
		return &Error{kind: ErrRedirect, msg: fmt.Sprintf("redirect from %s to %s refused: redirects must stay on the same host",
			from.Host, to.Host)}
	}
	return nil
}

// sameHost reports whether a redirect from one URL to another stays on the first's host: the
// same host name and port, or an upgrade from http to https on the same host name with both
// default ports.
func sameHost(from, to *url.URL) bool {
	if canonicalHost(from.Hostname()) != canonicalHost(to.Hostname()) {
		return false
	}
	if portOf(from) == portOf(to) {
		return true
	}
	return from.Scheme == "http" && to.Scheme == "https" && portOf(from) == "80" && portOf(to) == "443"
}

// portOf is the port a URL connects to, with http's and https's defaults filled in.
func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

// tooLarge is the error of a body past the limit.
func tooLarge(host string, limit int64) error {
	return &Error{kind: ErrTooLarge, msg: fmt.Sprintf("the answer from %s is larger than %s; it was not read further", host, byteSize(limit))}
}

// byteSize renders a limit in the unit it was most likely written in.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// statusText is a status code and the standard text for it; the server's own reason phrase is
// not repeated, since it is as much the server's to choose as the body.
func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return strconv.Itoa(code) + " " + t
	}
	return strconv.Itoa(code)
}

// hostOf names a request's destination in errors.
func hostOf(req *http.Request) string {
	return strings.ToLower(req.URL.Host)
}
