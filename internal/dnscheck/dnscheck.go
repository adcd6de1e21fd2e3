package dnscheck

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Timeout bounds one look-up, retries included.
const Timeout = 5 * time.Second

const (
	maxShown      = 5
	maxValueShown = 100
)

// Resolver looks up TXT records.
type Resolver struct {
	r      *net.Resolver
	server string
}

// ValidateServer reports what is wrong with a resolver address: it must be host:port with a
// port number.
func ValidateServer(server string) error {
	host, port, err := net.SplitHostPort(server)
	if err != nil || host == "" {
		return fmt.Errorf("dns_resolver %q is not host:port (e.g. 127.0.0.1:53)", server)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("dns_resolver %q: port %q is not a number from 1 to 65535", server, port)
	}
	return nil
}

// New returns a resolver that asks server (host:port), or the system resolver when server is
// "".
func New(server string) (*Resolver, error) {
	if server == "" {
		return &Resolver{r: &net.Resolver{PreferGo: true}}, nil
	}
	if err := ValidateServer(server); err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: Timeout}
	return &Resolver{server: server, r: &net.Resolver{PreferGo: true,
		// The address Go's resolver would ask (from resolv.conf) is replaced by the one
		// configured; the network (udp, or tcp for a truncated answer) is kept.
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, server)
		}}}, nil
}

// Server is the resolver's address, "" for the system resolver.
func (r *Resolver) Server() string { return r.server }

// Result is what a look-up found at a record's name.
type Result struct {
	// Verified: one of the TXT values is the expected one.
	Verified bool
	// Found are the TXT values at the name (nil when it has none).
	Found []string
	// Message says, for a person, what was found when Verified is false.
	Message string
}

// Check looks up the TXT records at name and reports whether one of them is want. A name
// without TXT records is a Result saying so; only a failed look-up (timeout, refused, a
// server failure) is an error.
func (r *Resolver) Check(ctx context.Context, name, want string) (Result, error) {
	name = strings.TrimSuffix(name, ".")
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	values, err := r.r.LookupTXT(ctx, name+".")
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return Result{Message: fmt.Sprintf("no TXT record at %s; publish %s there", name, want)}, nil
	}
	if err != nil {
		return Result{}, r.lookupFailed(name, err)
	}
	for _, v := range values {
		if strings.TrimSpace(v) == want {
			return Result{Verified: true, Found: values}, nil
		}
	}
	if len(values) == 0 {
		return Result{Message: fmt.Sprintf("no TXT record at %s; publish %s there", name, want)}, nil
	}
	return Result{Found: values, Message: fmt.Sprintf("found %s at %s, expected %s", shown(values), name, want)}, nil
}

func (r *Resolver) lookupFailed(name string, err error) error {
	var dnsErr *net.DNSError
	reason := err.Error()
	if errors.As(err, &dnsErr) {
		reason = dnsErr.Err
		if dnsErr.IsTimeout {
			reason = "no answer in time"
		}
	}
	via := "the system resolver"
	if r.server != "" {
		via = "the DNS resolver " + r.server
	}
	return &LookupError{Name: name, Msg: fmt.Sprintf("the TXT look-up of %s through %s failed: %s; try again later", name, via, reason)}
}

// LookupError is a look-up that failed, as opposed to one that found no record.
type LookupError struct {
	Name string
	Msg  string
}

func (e *LookupError) Error() string { return e.Msg }

// shown lists the values found, bounded.
func shown(values []string) string {
	var parts []string
	for i, v := range values {
		if i == maxShown {
			parts = append(parts, fmt.Sprintf("and %d more", len(values)-maxShown))
			break
		}
		if len(v) > maxValueShown {
			v = v[:maxValueShown] + "…"
		}
		parts = append(parts, strconv.Quote(v))
	}
	if len(values) == 1 {
		return "TXT " + parts[0]
	}
	return "TXT records " + strings.Join(parts, ", ")
}
