package testdns

import (
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// Server is a DNS server on 127.0.0.1 that answers from the records a test publishes.
type Server struct {
	// Addr is the server's host:port, what --dns-resolver takes.
	Addr string

	mu      sync.Mutex
	txt     map[string][]string
	fail    map[string]bool
	queries map[string]int
}

// Start starts a server; it stops when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("testdns: %v", err)
	}
	s := &Server{Addr: pc.LocalAddr().String(), txt: map[string][]string{}, fail: map[string]bool{}, queries: map[string]int{}}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(s.answer), NotifyStartedFunc: func() { close(started) }}
	done := make(chan error, 1)
	go func() { done <- srv.ActivateAndServe() }()
	select {
	case <-started:
	case err := <-done:
		tb.Fatalf("testdns: %v", err)
	}
	tb.Cleanup(func() {
		_ = srv.Shutdown()
		<-done
	})
	return s
}

func fold(name string) string { return strings.TrimSuffix(strings.ToLower(name), ".") }

// SetTXT publishes the TXT records of name, replacing any it had; no values removes the name.
func (s *Server) SetTXT(name string, values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(values) == 0 {
		delete(s.txt, fold(name))
		return
	}
	s.txt[fold(name)] = append([]string(nil), values...)
}

// Fail makes every question about name answered with SERVFAIL, as a broken authoritative
// server would; false undoes it.
func (s *Server) Fail(name string, fail bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[fold(name)] = fail
}

// Queries is how many questions about name the server was asked.
func (s *Server) Queries(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries[fold(name)]
}

func (s *Server) answer(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	if len(req.Question) == 1 {
		q := req.Question[0]
		name := fold(q.Name)
		s.mu.Lock()
		s.queries[name]++
		values, known := s.txt[name]
		failing := s.fail[name]
		s.mu.Unlock()
		switch {
		case failing:
			m.Rcode = dns.RcodeServerFailure
		case !known:
			m.Rcode = dns.RcodeNameError
		case q.Qtype == dns.TypeTXT:
			for _, v := range values {
				m.Answer = append(m.Answer, &dns.TXT{
					Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60},
					Txt: splitTXT(v)})
			}
		}
	} else {
		m.Rcode = dns.RcodeFormatError
	}
	_ = w.WriteMsg(m)
}

// splitTXT cuts a value into the 255-byte character strings a TXT record is made of; a
// resolver joins them again.
func splitTXT(v string) []string {
	var out []string
	for len(v) > 255 {
		out = append(out, v[:255])
		v = v[255:]
	}
	return append(out, v)
}
