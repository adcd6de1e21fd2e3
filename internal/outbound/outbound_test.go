package outbound_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/outbound"
)

// stubResolver answers from a table, in place of DNS: the tests give names whatever
// addresses they need (a cloud metadata address, a private one) without any DNS traffic. A
// name with several answers gives them in turn, to play a rebinding DNS server.
type stubResolver struct {
	mu      sync.Mutex
	answers map[string][][]netip.Addr
	asked   map[string]int
}

func newStubResolver(names map[string][]string) *stubResolver {
	r := &stubResolver{answers: map[string][][]netip.Addr{}, asked: map[string]int{}}
	for name, addrs := range names {
		for _, a := range addrs {
			var answer []netip.Addr
			for _, s := range strings.Split(a, " ") {
				answer = append(answer, netip.MustParseAddr(s))
			}
			r.answers[name] = append(r.answers[name], answer)
		}
	}
	return r
}

func (r *stubResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	answers, ok := r.answers[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	i := min(r.asked[host], len(answers)-1)
	r.asked[host]++
	return answers[i], nil
}

// recordingDialer records every address it is asked to connect to. It connects only to
// loopback addresses and refuses any other without touching the network, so that a test that
// fails can never send traffic anywhere else.
type recordingDialer struct {
	mu    sync.Mutex
	asked []string
}

func (d *recordingDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	d.mu.Lock()
	d.asked = append(d.asked, address)
	d.mu.Unlock()
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !ap.Addr().IsLoopback() {
		return nil, fmt.Errorf("test dialer: %s is not a loopback address; not connecting", address)
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, address)
}

func (d *recordingDialer) addresses() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.asked...)
}

// counted is a loopback server that counts the requests it got.
type counted struct {
	*httptest.Server
	hits atomic.Int64
}

func newCounted(t *testing.T, h http.HandlerFunc) *counted {
	t.Helper()
	c := &counted{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(c.Close)
	return c
}

func ok(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }

func get(t *testing.T, c *http.Client, u string) (string, error) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

func wantErr(t *testing.T, err, kind error, parts ...string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("error %v, want one of kind %q", err, kind)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

// TestLoopbackRefusedByDefault: with no allow-list the server's own loopback is refused,
// before any connection, and the error says which setting allows it.
func TestLoopbackRefusedByDefault(t *testing.T) {
	srv := newCounted(t, ok)
	d := &recordingDialer{}
	_, err := get(t, outbound.Policy{Dialer: d}.Client(), srv.URL)
	wantErr(t, err, outbound.ErrRefused, "destination 127.0.0.1 is a loopback address; allow it with --allow-outbound")
	if n := srv.hits.Load(); n != 0 {
		t.Errorf("the server got %d requests", n)
	}
	if a := d.addresses(); len(a) != 0 {
		t.Errorf("the dialer was asked for %v", a)
	}
}

// TestNamesResolvingToInternalAddresses: a name whose DNS answer is link-local, private, the
// cloud metadata service or a mapped form of those is refused after resolution, and the
// dialer is never asked to connect to it.
func TestNamesResolvingToInternalAddresses(t *testing.T) {
	res := newStubResolver(map[string][]string{
		"metadata.test":   {"169.254.169.254"},
		"intranet.test":   {"10.0.0.1"},
		"mapped.test":     {"::ffff:169.254.169.254"},
		"mapped-lo.test":  {"::ffff:127.0.0.1"},
		"ula.test":        {"fd12:3456::1"},
		"linklocal6.test": {"fe80::1"},
		"cgnat.test":      {"100.64.1.2"},
		"mixed.test":      {"93.184.215.14 10.1.2.3"},
	})
	cases := []struct{ url, want string }{
		{"http://metadata.test/latest/meta-data/", "destination metadata.test (169.254.169.254) is a link-local address"},
		{"http://intranet.test/", "destination intranet.test (10.0.0.1) is a private address"},
		{"http://mapped.test/", "(::ffff:169.254.169.254) is a link-local address"},
		{"http://mapped-lo.test/", "(::ffff:127.0.0.1) is a loopback address"},
		{"http://ula.test/", "is a private (unique local) address"},
		{"http://linklocal6.test/", "is a link-local address"},
		{"http://cgnat.test/", "is a shared (carrier-grade NAT) address"},
		{"http://mixed.test/", "destination mixed.test (10.1.2.3) is a private address"},
		{"http://169.254.169.254/latest/meta-data/", "destination 169.254.169.254 is a link-local address"},
		{"http://[::ffff:169.254.169.254]/", "destination ::ffff:169.254.169.254 is a link-local address"},
		{"http://[::ffff:a00:1]/", "is a private address"},
		{"http://[fe80::1%25eth0]/", "is a link-local address"},
		{"http://[64:ff9b::a9fe:a9fe]/", "is the NAT64 form of a link-local address"},
		{"http://0.0.0.0/", "is an unspecified address"},
	}
	for _, c := range cases {
		t.Run(c.url, func(t *testing.T) {
			d := &recordingDialer{}
			_, err := get(t, outbound.Policy{Resolver: res, Dialer: d}.Client(), c.url)
			wantErr(t, err, outbound.ErrRefused, c.want, "allow it with --allow-outbound")
			if a := d.addresses(); len(a) != 0 {
				t.Errorf("the dialer was asked for %v", a)
			}
		})
	}
}

// TestAllowList: CIDRs and bare addresses allow addresses; a host name allows whatever that
// name resolves to, and nothing else.
func TestAllowList(t *testing.T) {
	srv := newCounted(t, ok)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	res := newStubResolver(map[string][]string{
		"idp.internal.example": {"127.0.0.1"},
		"other.internal.test":  {"127.0.0.1"},
	})
	at := func(host string) string { return fmt.Sprintf("http://%s:%d/", host, port) }
	cases := []struct {
		allow, url string
		refused    bool
	}{
		{"127.0.0.0/8", at("127.0.0.1"), false},
		{"127.0.0.1", at("127.0.0.1"), false},
		{"::ffff:127.0.0.0/104", at("127.0.0.1"), false},
		{"127.0.0.0/8", at("[::ffff:127.0.0.1]"), false},
		{"10.0.0.0/8,::1", at("127.0.0.1"), true},
		{"127.0.0.2/32", at("127.0.0.1"), true},
		{"idp.internal.example", at("idp.internal.example"), false},
		{"IDP.Internal.Example.", at("idp.internal.example"), false},
		{"idp.internal.example", at("other.internal.test"), true},
		{"idp.internal.example", at("127.0.0.1"), true},
		{"127.0.0.0/8", at("other.internal.test"), false},
	}
	for _, c := range cases {
		t.Run(c.allow+" "+c.url, func(t *testing.T) {
			p := outbound.Policy{Allow: outbound.MustParseAllowList(c.allow), Resolver: res, Dialer: &recordingDialer{}}
			body, err := get(t, p.Client(), c.url)
			if c.refused {
				wantErr(t, err, outbound.ErrRefused, "is a loopback address")
				return
			}
			if err != nil || body != "ok" {
				t.Fatalf("got %q, %v; want the server's answer", body, err)
			}
		})
	}
}

func TestParseAllowList(t *testing.T) {
	a, err := outbound.ParseAllowList(" 127.0.0.0/8, ::1 ,,idp.internal.example,10.1.2.3/8")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := a.String(), "127.0.0.0/8,::1/128,10.0.0.0/8,idp.internal.example"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	_, err = outbound.ParseAllowList("127.0.0.0/33,ok.example,10.0.0.256,http://x.example,bad_/name,-x.example")
	if err == nil {
		t.Fatal("bad entries were accepted")
	}
	for _, bad := range []string{`"127.0.0.0/33"`, `"10.0.0.256"`, `"http://x.example"`, `"-x.example"`} {
		if !strings.Contains(err.Error(), bad) {
			t.Errorf("error %q does not name %s", err, bad)
		}
	}
	if strings.Contains(err.Error(), "ok.example") {
		t.Errorf("error %q names a good entry", err)
	}
	if a, err := outbound.ParseAllowList(""); err != nil || a.String() != "" {
		t.Errorf("empty list: %q, %v", a, err)
	}
}

// loopbackPolicy allows the test servers on 127.0.0.0/8 only.
func loopbackPolicy(d outbound.Dialer, r outbound.Resolver) outbound.Policy {
	return outbound.Policy{Allow: outbound.MustParseAllowList("127.0.0.0/8"), Dialer: d, Resolver: r}
}

// TestRedirects: redirects on the same host are followed, a bounded number of times; a
// redirect to another port, another host name or a refused address is not, and the other
// destination gets no request.
func TestRedirects(t *testing.T) {
	other := newCounted(t, ok)
	var self *counted
	self = newCounted(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/final", http.StatusFound)
		case "/final":
			ok(w, r)
		case "/port":
			http.Redirect(w, r, other.URL+"/", http.StatusFound)
		case "/name":
			http.Redirect(w, r, strings.Replace(self.URL, "127.0.0.1", "alias.test", 1)+"/final", http.StatusFound)
		case "/metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		case "/mapped":
			http.Redirect(w, r, "http://[::ffff:a9fe:a9fe]/", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		}
	})
	res := newStubResolver(map[string][]string{"alias.test": {"127.0.0.1"}})
	t.Run("same host", func(t *testing.T) {
		body, err := get(t, loopbackPolicy(&recordingDialer{}, res).Client(), self.URL+"/same")
		if err != nil || body != "ok" {
			t.Fatalf("got %q, %v", body, err)
		}
	})
	t.Run("another port", func(t *testing.T) {
		_, err := get(t, loopbackPolicy(&recordingDialer{}, res).Client(), self.URL+"/port")
		wantErr(t, err, outbound.ErrRedirect, "redirects must stay on the same host", other.Listener.Addr().String())
		if n := other.hits.Load(); n != 0 {
			t.Errorf("the other server got %d requests", n)
		}
	})
	t.Run("another host name for the same address", func(t *testing.T) {
		_, err := get(t, loopbackPolicy(&recordingDialer{}, res).Client(), self.URL+"/name")
		wantErr(t, err, outbound.ErrRedirect, "redirects must stay on the same host")
	})
	for _, path := range []string{"/metadata", "/mapped"} {
		t.Run("refused address "+path, func(t *testing.T) {
			d := &recordingDialer{}
			_, err := get(t, loopbackPolicy(d, res).Client(), self.URL+path)
			wantErr(t, err, outbound.ErrRefused, "is a link-local address")
			for _, a := range d.addresses() {
				if !strings.HasPrefix(a, "127.0.0.1:") {
					t.Errorf("the dialer was asked for %s", a)
				}
			}
		})
	}
	t.Run("endless", func(t *testing.T) {
		before := self.hits.Load()
		p := loopbackPolicy(&recordingDialer{}, res)
		p.MaxRedirects = 3
		_, err := get(t, p.Client(), self.URL+"/loop")
		wantErr(t, err, outbound.ErrRedirect, "more than 3 redirects")
		if n := self.hits.Load() - before; n != 4 {
			t.Errorf("%d requests for 3 redirects, want 4", n)
		}
	})
}

// TestRebindingIsCheckedOnEveryConnection: a name that first resolves to an allowed address
// and then, for the redirect's new connection, to a private one is refused at that second
// connection, without connecting.
func TestRebindingIsCheckedOnEveryConnection(t *testing.T) {
	srv := newCounted(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/start" {
			// Closing the connection makes the client dial again for the redirect.
			w.Header().Set("Connection", "close")
			http.Redirect(w, r, "/next", http.StatusFound)
			return
		}
		ok(w, r)
	})
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	res := newStubResolver(map[string][]string{"rebind.test": {"127.0.0.1", "10.0.0.1"}})
	d := &recordingDialer{}
	_, err := get(t, loopbackPolicy(d, res).Client(), fmt.Sprintf("http://rebind.test:%d/start", port))
	wantErr(t, err, outbound.ErrRefused, "destination rebind.test (10.0.0.1) is a private address")
	if got := d.addresses(); len(got) != 1 || got[0] != fmt.Sprintf("127.0.0.1:%d", port) {
		t.Errorf("the dialer was asked for %v, want only the first, allowed address", got)
	}
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("the server got %d requests, want 1", n)
	}
}

// TestLargeAnswers: a 60 MB answer is read only up to the limit, whether announced by
// Content-Length (refused before reading) or streamed (reading fails one byte past it).
func TestLargeAnswers(t *testing.T) {
	const size = 60 << 20
	chunk := []byte(strings.Repeat("A", 64<<10))
	srv := newCounted(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/announced" {
			w.Header().Set("Content-Length", fmt.Sprint(size))
		}
		if r.URL.Path == "/error" {
			w.WriteHeader(http.StatusInternalServerError)
		}
		for sent := 0; sent < size; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return // the client went away, as it should
			}
		}
	})
	c := loopbackPolicy(nil, nil).Client()

	t.Run("announced", func(t *testing.T) {
		resp, err := c.Get(srv.URL + "/announced")
		if err == nil {
			resp.Body.Close()
		}
		wantErr(t, err, outbound.ErrTooLarge, "larger than 1 MiB")
	})
	for _, path := range []string{"/streamed", "/error"} {
		t.Run(path, func(t *testing.T) {
			resp, err := c.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			n, err := io.Copy(io.Discard, resp.Body)
			wantErr(t, err, outbound.ErrTooLarge, "the answer from 127.0.0.1:", "is larger than 1 MiB")
			if n != outbound.DefaultMaxBodyBytes {
				t.Errorf("read %d bytes, want exactly the limit %d", n, outbound.DefaultMaxBodyBytes)
			}
			if strings.Contains(err.Error(), "AAAA") {
				t.Errorf("the error quotes the body: %.100q", err)
			}
		})
	}
	t.Run("exactly the limit", func(t *testing.T) {
		p := loopbackPolicy(nil, nil)
		p.MaxBodyBytes = int64(len(chunk))
		exact := newCounted(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(chunk) })
		body, err := get(t, p.Client(), exact.URL)
		if err != nil || len(body) != len(chunk) {
			t.Errorf("an answer of exactly the limit: %d bytes, %v", len(body), err)
		}
		over := newCounted(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(append(chunk, 'A')) })
		_, err = get(t, p.Client(), over.URL)
		wantErr(t, err, outbound.ErrTooLarge, "larger than 64 KiB")
	})
}

// TestTimeout: an answer that does not come in time ends the exchange.
func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := newCounted(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	p := loopbackPolicy(nil, nil)
	p.Timeout = 200 * time.Millisecond
	ctx, obs := outbound.Observe(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	start := time.Now()
	_, err := p.Client().Do(req)
	if err == nil {
		t.Fatal("no error")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the request took %v", d)
	}
	if reason, ok := obs.Explain(err); !ok || reason != "no answer in time" {
		t.Errorf("Explain = %q, %v", reason, ok)
	}
}

// TestExplain: a library that reads an error answer itself and quotes its body in its error
// (as OpenID Connect discovery does) is explained by status alone.
func TestExplain(t *testing.T) {
	const secret = "internal-service-secret-value"
	srv := newCounted(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/error":
			http.Error(w, secret, http.StatusForbidden)
		case "/big":
			_, _ = w.Write([]byte(strings.Repeat(secret, 1<<16)))
		default:
			_, _ = io.WriteString(w, "not json")
		}
	})
	// quotingFetch is what such a library does.
	quotingFetch := func(ctx context.Context, c *http.Client, u string) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return fmt.Errorf("reading: %v", err) // %v: the cause's type is lost
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s", resp.Status, body)
		}
		return errors.New("the answer is not a document")
	}
	c := loopbackPolicy(nil, nil).Client()
	cases := []struct {
		name, url, want string
		ok              bool
	}{
		{"error status", srv.URL + "/error", "the server answered 403 Forbidden", true},
		{"too large", srv.URL + "/big", "is larger than 1 MiB", true},
		{"refused", "http://169.254.169.254/", "destination 169.254.169.254 is a link-local address; allow it with --allow-outbound", true},
		{"no server", "http://127.0.0.1:1/", "connection refused", true},
		{"success, unusable", srv.URL + "/doc", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, obs := outbound.Observe(context.Background())
			err := quotingFetch(ctx, c, tc.url)
			reason, ok := obs.Explain(err)
			if ok != tc.ok || !strings.Contains(reason, tc.want) {
				t.Errorf("Explain(%v) = %q, %v; want %q, %v", err, reason, ok, tc.want, tc.ok)
			}
			if strings.Contains(reason, secret) {
				t.Errorf("the reason quotes the body: %.200q", reason)
			}
		})
	}
}

// TestConcurrentRequestsReuseTheirConnections: rounds of 16 requests at once to one host —
// sign-ins exchanging codes at one IdP's token endpoint — reuse the connections of the
// rounds before; the client does not close all but two of them after each round and open
// them again.
func TestConcurrentRequestsReuseTheirConnections(t *testing.T) {
	const atOnce, rounds = 16, 10
	var inFlight, most atomic.Int64
	srv := newCounted(t, func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(5 * time.Millisecond) // so that a round's requests overlap
		ok(w, r)
	})
	d := &recordingDialer{}
	c := outbound.Policy{Allow: outbound.MustParseAllowList("127.0.0.1"), Dialer: d}.Client()
	for range rounds {
		var wg sync.WaitGroup
		for range atOnce {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if body, err := get(t, c, srv.URL); err != nil || body != "ok" {
					t.Errorf("got %q, %v", body, err)
				}
			}()
		}
		wg.Wait()
	}
	if most.Load() < 4 {
		t.Fatalf("at most %d requests were in flight at once; the test needs them to overlap", most.Load())
	}
	if dials := len(d.addresses()); dials > atOnce {
		t.Errorf("%d rounds of %d requests at once opened %d connections, want at most %d: connections are closed between rounds", rounds, atOnce, dials, atOnce)
	}
}
