package dnscheck_test

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/dnscheck"
	"github.com/rosterhq/roster/internal/testdns"
)

const (
	name = "_roster-verify.example.com"
	want = "roster-verify=xyz"
)

func TestCheck(t *testing.T) {
	dnsSrv := testdns.Start(t)
	r, err := dnscheck.New(dnsSrv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("v", 600)
	cases := []struct {
		name      string
		published []string
		verified  bool
		message   []string
		found     int
	}{
		{"published", []string{want}, true, nil, 1},
		{"published among others", []string{"v=spf1 -all", want}, true, nil, 2},
		{"missing", nil, false, []string{"no TXT record at " + name, "publish " + want}, 0},
		{"wrong value", []string{"roster-verify=abc"}, false, []string{`found TXT "roster-verify=abc" at ` + name, "expected " + want}, 1},
		{"value of another case", []string{"ROSTER-VERIFY=XYZ"}, false, []string{`"ROSTER-VERIFY=XYZ"`}, 1},
		{"many wrong values, bounded", []string{"a", "b", "c", "d", "e", "f", "g"}, false, []string{"and 2 more"}, 7},
		{"long value, in several strings, bounded", []string{long}, false, []string{strings.Repeat("v", 100) + "…"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dnsSrv.SetTXT(name, c.published...)
			before := dnsSrv.Queries(name)
			res, err := r.Check(t.Context(), name, want)
			if err != nil {
				t.Fatal(err)
			}
			if dnsSrv.Queries(name) == before {
				t.Fatalf("the server was not asked")
			}
			if res.Verified != c.verified || len(res.Found) != c.found {
				t.Fatalf("Check = %+v, want verified %v with %d values", res, c.verified, c.found)
			}
			for _, m := range c.message {
				if !strings.Contains(res.Message, m) {
					t.Errorf("message %q does not say %q", res.Message, m)
				}
			}
			if len(res.Message) > 1000 {
				t.Errorf("message is %d bytes long", len(res.Message))
			}
			if c.name == "long value, in several strings, bounded" && res.Found[0] != long {
				t.Errorf("the strings of one record were not joined: %d bytes", len(res.Found[0]))
			}
		})
	}
}

func TestCheckLookupFailures(t *testing.T) {
	dnsSrv := testdns.Start(t)
	dnsSrv.SetTXT(name, want)
	dnsSrv.Fail(name, true)
	r, err := dnscheck.New(dnsSrv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Check(t.Context(), name, want)
	var le *dnscheck.LookupError
	if !errors.As(err, &le) || !strings.Contains(le.Msg, dnsSrv.Addr) || !strings.Contains(le.Msg, name) {
		t.Fatalf("a failing server: err = %v, want a LookupError naming the resolver and the name", err)
	}

	// A resolver that is not there: nothing listens on the port.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := pc.LocalAddr().String()
	pc.Close()
	r, err = dnscheck.New(closed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err = r.Check(t.Context(), name, want); !errors.As(err, &le) {
		t.Fatalf("a closed port: err = %v, want a LookupError", err)
	}
}

func TestValidateServer(t *testing.T) {
	for _, ok := range []string{"127.0.0.1:53", "[::1]:5353", "dns.internal.example:53"} {
		if err := dnscheck.ValidateServer(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"127.0.0.1", ":53", "127.0.0.1:dns", "127.0.0.1:0", "127.0.0.1:70000", "udp://1.1.1.1:53"} {
		if err := dnscheck.ValidateServer(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
		if _, err := dnscheck.New(bad); err == nil {
			t.Errorf("New(%s): accepted", bad)
		}
	}
}
