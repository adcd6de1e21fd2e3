package outbound

import "net/netip"

// addrRange is a range of addresses that is not public, and how an error names it.
type addrRange struct {
	prefix netip.Prefix
	what   string
}

// nonPublic lists the ranges of the IANA IPv4 and IPv6 special-purpose address registries
// that are not globally reachable, and multicast. The first match names an address, so a
// narrower range comes before a wider one that holds it.
var nonPublic = func() []addrRange {
	list := []struct{ cidr, what string }{
		{"0.0.0.0/32", "an unspecified address"},
		{"0.0.0.0/8", `a "this network" address`},
		{"10.0.0.0/8", "a private address"},
		{"100.64.0.0/10", "a shared (carrier-grade NAT) address"},
		{"127.0.0.0/8", "a loopback address"},
		{"169.254.0.0/16", "a link-local address"},
		{"172.16.0.0/12", "a private address"},
		{"192.0.0.0/24", "an IETF protocol assignment address"},
		{"192.0.2.0/24", "a documentation address"},
		{"192.88.99.0/24", "a reserved (6to4 relay) address"},
		{"192.168.0.0/16", "a private address"},
		{"198.18.0.0/15", "a benchmarking address"},
		{"198.51.100.0/24", "a documentation address"},
		{"203.0.113.0/24", "a documentation address"},
		{"224.0.0.0/4", "a multicast address"},
		{"255.255.255.255/32", "the broadcast address"},
		{"240.0.0.0/4", "a reserved address"},

		{"::/128", "an unspecified address"},
		{"::1/128", "a loopback address"},
		{"64:ff9b:1::/48", "a local-use NAT64 address"},
		{"100::/64", "a discard-only address"},
		{"100:0:0:1::/64", "a dummy address"},
		{"2001:db8::/32", "a documentation address"},
		{"2001::/23", "an IETF protocol assignment address"},
		{"3fff::/20", "a documentation address"},
		{"5f00::/16", "a segment routing (SRv6) address"},
		{"fc00::/7", "a private (unique local) address"},
		{"fe80::/10", "a link-local address"},
		{"fec0::/10", "a site-local address"},
		{"ff00::/8", "a multicast address"},
		// Holds 64:ff9b::/96 and 64:ff9b:1::/48, so it comes after them and after the check
		// of the NAT64 form in classify.
		{"::/8", "a reserved address"}, // IPv4-compatible (::a.b.c.d) and other retired forms
	}
	out := make([]addrRange, len(list))
	for i, r := range list {
		out[i] = addrRange{netip.MustParsePrefix(r.cidr), r.what}
	}
	return out
}()

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// classify returns how an error names ip when it is not a public address, or "" when it is.
// IPv4-mapped addresses are judged as the IPv4 address they carry; NAT64 (64:ff9b::/96) and
// 6to4 (2002::/16) addresses as the IPv4 address they lead to.
func classify(ip netip.Addr) string {
	ip = ip.WithZone("").Unmap()
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip):
			if what := classify(netip.AddrFrom4([4]byte(b[12:16]))); what != "" {
				return "the NAT64 form of " + what
			}
			return ""
		case sixToFour.Contains(ip):
			if what := classify(netip.AddrFrom4([4]byte(b[2:6]))); what != "" {
				return "the 6to4 form of " + what
			}
			return ""
		}
	}
	for _, r := range nonPublic {
		if r.prefix.Contains(ip) {
			return r.what
		}
	}
	if !ip.IsGlobalUnicast() {
		return "a non-public address"
	}
	return ""
}
