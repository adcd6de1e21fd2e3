package outbound

import (
	"net/netip"
	"net/url"
	"testing"
)

// TestClassify names every kind of non-public address, in each of the forms an attacker can
// spell it, and leaves public addresses alone. Nothing here opens a connection.
func TestClassify(t *testing.T) {
	cases := []struct{ addr, want string }{
		{"127.0.0.1", "a loopback address"},
		{"127.255.255.254", "a loopback address"},
		{"::1", "a loopback address"},
		{"::ffff:127.0.0.1", "a loopback address"},
		{"169.254.169.254", "a link-local address"},
		{"::ffff:169.254.169.254", "a link-local address"},
		{"fe80::1", "a link-local address"},
		{"fe80::1%eth0", "a link-local address"},
		{"10.0.0.1", "a private address"},
		{"::ffff:10.0.0.1", "a private address"},
		{"172.16.0.1", "a private address"},
		{"172.31.255.255", "a private address"},
		{"192.168.1.1", "a private address"},
		{"fd00::1", "a private (unique local) address"},
		{"fc00::1", "a private (unique local) address"},
		{"100.64.0.1", "a shared (carrier-grade NAT) address"},
		{"100.127.255.255", "a shared (carrier-grade NAT) address"},
		{"224.0.0.1", "a multicast address"},
		{"239.255.255.250", "a multicast address"},
		{"ff02::1", "a multicast address"},
		{"0.0.0.0", "an unspecified address"},
		{"::", "an unspecified address"},
		{"::ffff:0.0.0.0", "an unspecified address"},
		{"0.1.2.3", `a "this network" address`},
		{"255.255.255.255", "the broadcast address"},
		{"240.0.0.1", "a reserved address"},
		{"192.0.2.10", "a documentation address"},
		{"2001:db8::1", "a documentation address"},
		{"198.18.0.1", "a benchmarking address"},
		{"::127.0.0.1", "a reserved address"}, // the retired IPv4-compatible form
		{"64:ff9b::7f00:1", "the NAT64 form of a loopback address"},
		{"64:ff9b::a9fe:a9fe", "the NAT64 form of a link-local address"},
		{"64:ff9b:1::1", "a local-use NAT64 address"},
		{"2002:a00:1::1", "the 6to4 form of a private address"},
		{"2002:7f00:1::", "the 6to4 form of a loopback address"},
		{"fec0::1", "a site-local address"},
		{"2001::1", "an IETF protocol assignment address"},
		// Public addresses, in every form.
		{"93.184.215.14", ""},
		{"::ffff:93.184.215.14", ""},
		{"64:ff9b::5db8:d70e", ""},
		{"2606:4700::1111", ""},
		{"100.128.0.1", ""},
		{"172.32.0.1", ""},
		{"169.253.255.255", ""},
	}
	for _, c := range cases {
		t.Run(c.addr, func(t *testing.T) {
			if got := classify(netip.MustParseAddr(c.addr)); got != c.want {
				t.Errorf("classify(%s) = %q, want %q", c.addr, got, c.want)
			}
		})
	}
}

func TestSameHost(t *testing.T) {
	cases := []struct {
		from, to string
		want     bool
	}{
		{"http://idp.example/a", "http://idp.example/b", true},
		{"http://idp.example/a", "http://IDP.example./b", true},
		{"http://idp.example/a", "http://idp.example:80/b", true},
		{"http://idp.example/a", "https://idp.example/b", true},
		{"http://idp.example:8080/a", "https://idp.example/b", false},
		{"http://127.0.0.1:1234/a", "http://127.0.0.1:1235/a", false},
		{"http://idp.example/a", "http://other.example/a", false},
		{"http://idp.example/a", "http://idp.example.evil.test/a", false},
		{"https://idp.example/a", "https://idp.example:8443/a", false},
	}
	for _, c := range cases {
		from, _ := url.Parse(c.from)
		to, _ := url.Parse(c.to)
		if got := sameHost(from, to); got != c.want {
			t.Errorf("sameHost(%s, %s) = %v, want %v", c.from, c.to, got, c.want)
		}
	}
}
