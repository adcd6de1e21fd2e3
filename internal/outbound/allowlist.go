package outbound

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// AllowList is what an administrator allowed Roster to reach although it is not public: CIDRs
// (a bare address is a CIDR of one address) and host names. The zero AllowList allows nothing.
type AllowList struct {
	prefixes []netip.Prefix
	hosts    []string
}

// ParseAllowList parses a comma-separated list such as "127.0.0.0/8,::1,idp.internal.example".
// Blank entries are ignored. Every entry that is not a CIDR, an IP address or a host name is
// reported, all in one error.
func ParseAllowList(list string) (AllowList, error) {
	var a AllowList
	var bad []string
	for _, entry := range strings.Split(list, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		if pfx, err := netip.ParsePrefix(entry); err == nil {
			// Destinations are checked in their unmapped form, so an IPv4-mapped CIDR is
			// kept as the IPv4 CIDR it means.
			if pfx.Addr().Is4In6() && pfx.Bits() >= 96 {
				pfx = netip.PrefixFrom(pfx.Addr().Unmap(), pfx.Bits()-96)
			}
			a.prefixes = append(a.prefixes, pfx.Masked())
			continue
		}
		if ip, err := netip.ParseAddr(entry); err == nil && ip.Zone() == "" {
			ip = ip.Unmap()
			a.prefixes = append(a.prefixes, netip.PrefixFrom(ip, ip.BitLen()))
			continue
		}
		if name := canonicalHost(entry); isHostName(name) {
			a.hosts = append(a.hosts, name)
			continue
		}
		bad = append(bad, fmt.Sprintf("%q", entry))
	}
	if len(bad) > 0 {
		return AllowList{}, fmt.Errorf("allow_outbound: %s is not a CIDR, an IP address or a host name", strings.Join(bad, ", "))
	}
	return a, nil
}

// MustParseAllowList is ParseAllowList for lists fixed in code; it panics on a bad entry.
func MustParseAllowList(list string) AllowList {
	a, err := ParseAllowList(list)
	if err != nil {
		panic(err)
	}
	return a
}

// String is the list in the form ParseAllowList reads.
func (a AllowList) String() string {
	var parts []string
	for _, p := range a.prefixes {
		parts = append(parts, p.String())
	}
	return strings.Join(append(parts, a.hosts...), ",")
}

// allowsAddr reports whether ip (already unmapped and without zone) is inside an allowed CIDR.
func (a AllowList) allowsAddr(ip netip.Addr) bool {
	for _, p := range a.prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// allowsHost reports whether a host name (canonical) is allowed by name.
func (a AllowList) allowsHost(name string) bool {
	return slices.Contains(a.hosts, name)
}

// canonicalHost is a host name as compared: lower case, without the root's trailing dot.
func canonicalHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

// isHostName reports whether s is a DNS host name: dot-separated labels of letters, digits and
// hyphens (underscores too, which some internal zones use), none empty or longer than 63,
// and a last label that is not all digits, so that a mistyped address such as 10.0.0.256 is
// reported rather than taken for a name.
func isHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return false
	}
	for _, label := range labels {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
