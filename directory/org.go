package directory

import (
	"fmt"
	"net"
	"strings"
	"time"
)

// DefaultOrg is the organization every store starts with, and the one that a store written
// before organizations existed puts all its records in when it is opened, so that v1 scripts
// and IdP set-ups keep working unchanged.
const DefaultOrg = "default"

// Email domain policies of an organization (R13).
const (
	// EmailDomainsAny accepts any email domain.
	EmailDomainsAny = "any"
	// EmailDomainsVerified refuses a SCIM write or a login whose email is outside the
	// organization's verified domains.
	EmailDomainsVerified = "verified"
)

// Organization is one customer company: its IdPs, users, groups, tokens, events and
// administrators are its own, and nothing it does can be seen or felt by another (R13).
type Organization struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	EmailDomains string `json:"email_domains"`
	// Domains are the email domains the organization claims; only verified ones count for
	// email_domains "verified" and home-realm discovery.
	Domains []Domain `json:"domains"`
	// ConsoleAccess lets the organization's own people into the console through SSO.
	ConsoleAccess *ConsoleAccess `json:"console_access,omitempty"`
	Created       time.Time      `json:"created"`
	Updated       time.Time      `json:"updated"`
}

// Domain is an email domain an organization claims, proven by a DNS TXT record.
type Domain struct {
	Domain     string    `json:"domain"`
	Verified   bool      `json:"verified"`
	VerifiedAt time.Time `json:"verified_at"`
	// TXTName and TXTValue are the record the organization publishes to prove the domain.
	TXTName  string    `json:"txt_name"`
	TXTValue string    `json:"txt_value"`
	Created  time.Time `json:"created"`
}

// ConsoleAccess names the IdP of an organization whose sign-ins may open the console, and the
// groups (as the IdP asserts them at that sign-in) whose members get a role there.
type ConsoleAccess struct {
	IdP          string   `json:"idp"`
	AdminGroups  []string `json:"admin_groups"`
	ViewerGroups []string `json:"viewer_groups"`
}

// Clone returns a deep copy.
func (o Organization) Clone() Organization {
	o.Domains = cloneSlice(o.Domains)
	if o.ConsoleAccess != nil {
		ca := *o.ConsoleAccess
		ca.AdminGroups = cloneSlice(ca.AdminGroups)
		ca.ViewerGroups = cloneSlice(ca.ViewerGroups)
		o.ConsoleAccess = &ca
	}
	return o
}

// Stored returns the organization in the form stores keep: a deep copy with folded domains,
// times in UTC and an empty (not nil) domain list.
func (o Organization) Stored() Organization {
	o = o.Clone()
	if o.Domains == nil {
		o.Domains = []Domain{}
	}
	for i := range o.Domains {
		d := &o.Domains[i]
		d.Domain = FoldDomain(d.Domain)
		d.VerifiedAt, d.Created = d.VerifiedAt.UTC(), d.Created.UTC()
	}
	o.Created, o.Updated = o.Created.UTC(), o.Updated.UTC()
	return o
}

// VerifiedDomains lists the folded domains the organization has verified.
func (o Organization) VerifiedDomains() []string {
	out := []string{}
	for _, d := range o.Domains {
		if d.Verified {
			out = append(out, FoldDomain(d.Domain))
		}
	}
	return out
}

// Domain returns the organization's claim of domain d (folded), and false if it has none.
func (o Organization) Domain(d string) (Domain, bool) {
	d = FoldDomain(d)
	for _, x := range o.Domains {
		if x.Domain == d {
			return x, true
		}
	}
	return Domain{}, false
}

// VerifiedDomain reports whether the organization has verified domain d.
func (o Organization) VerifiedDomain(d string) bool {
	x, ok := o.Domain(d)
	return ok && x.Verified
}

// OrgOrDefault is the organization a record read with an empty org belongs to: records
// written before organizations existed are all in DefaultOrg.
func OrgOrDefault(org string) string {
	if org == "" {
		return DefaultOrg
	}
	return org
}

// UpgradeStoredToken gives a token read from a store what a token written before
// organizations lacks: a SCIM token is in its IdP's organization, DefaultOrg, and an admin
// token of that time, which could do everything, is an owner's of every organization.
func UpgradeStoredToken(t Token) Token {
	switch {
	case t.Kind == TokenSCIM:
		t.Org = OrgOrDefault(t.Org)
	case t.Kind == TokenAdmin && t.Role == "":
		t.Role = RoleOwner
	}
	return t
}

// FoldDomain is the form under which domains are compared and stored: lower case, without a
// trailing dot.
func FoldDomain(s string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
}

// EmailDomain is the folded domain part of an email address, "" if it has none.
func EmailDomain(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 || at == len(email)-1 {
		return ""
	}
	return FoldDomain(email[at+1:])
}

// ValidateDomain reports what is wrong with a domain an organization wants to claim: it must be
// a DNS name of at least two labels, each 1–63 letters, digits or inner dashes, 253 characters
// at most, not an IP address and not a wildcard.
func ValidateDomain(d string) error {
	d = FoldDomain(d)
	switch {
	case d == "":
		return Invalidf("domain is required (for example \"example.com\")")
	case len(d) > 253:
		return Invalidf("domain %.40q… is %d characters long; a domain name has at most 253", d, len(d))
	case strings.Contains(d, "*"):
		return Invalidf("domain %q is a wildcard; claim each domain by its own name", d)
	case net.ParseIP(d) != nil:
		return Invalidf("domain %q is an IP address, not a domain name", d)
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return Invalidf("domain %q has a single label; give the whole name, such as \"example.com\"", d)
	}
	for _, l := range labels {
		if !validLabel(l) {
			return Invalidf("domain %q is not a domain name: label %q must be 1–63 letters, digits or inner dashes", d, l)
		}
	}
	if allDigits(labels[len(labels)-1]) {
		return Invalidf("domain %q ends in a numeric label, which no top-level domain is", d)
	}
	return nil
}

func validLabel(l string) bool {
	if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// NormalizeOrg fills defaults and reports every problem of an organization's settings at once.
func NormalizeOrg(o *Organization) []string {
	var problems []string
	o.ID = strings.TrimSpace(o.ID)
	if o.ID == "" {
		problems = append(problems, "id is required (a short slug such as \"acme\")")
	} else if !validSlug(o.ID) {
		problems = append(problems, fmt.Sprintf("id %q must be 1–63 lower-case letters, digits or dashes, starting with a letter or digit", o.ID))
	}
	o.Name = strings.TrimSpace(o.Name)
	if o.Name == "" {
		o.Name = o.ID
	}
	if o.EmailDomains == "" {
		o.EmailDomains = EmailDomainsAny
	}
	if o.EmailDomains != EmailDomainsAny && o.EmailDomains != EmailDomainsVerified {
		problems = append(problems, fmt.Sprintf("email_domains %q is not known; use \"any\" or \"verified\"", o.EmailDomains))
	}
	return problems
}

// Role is what an administrator credential may do (DESIGN, "Administrators and roles").
type Role string

const (
	// RoleOwner may do everything, in every organization, including organizations and admin
	// credentials themselves.
	RoleOwner Role = "owner"
	// RoleOrgAdmin manages one organization's IdPs, SCIM tokens, users, groups, tombstones,
	// webhooks and events.
	RoleOrgAdmin Role = "org-admin"
	// RoleViewer reads, in every organization or in one.
	RoleViewer Role = "viewer"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleOwner || r == RoleOrgAdmin || r == RoleViewer }

// Principal is who calls the admin surface: an admin token, a set-up link or a console
// session, with the role and organization it acts in. Org "" means every organization.
type Principal struct {
	// ID is the credential's id: the token id, the set-up link id or the console user id.
	ID   string
	Name string
	Role Role
	Org  string
	// Kind prefixes the actor of the events the principal causes: "admin", "setup" or
	// "console" (KindSetup, KindConsole). "" is "admin".
	Kind string

	// Intent limits a set-up session (Kind "setup") to what its link was made for;
	// AuthorizeArea applies it.
	Intent SetupIntent
	// ExpiresAt is when the credential ends, for a caller to show; zero when it does not.
	ExpiresAt time.Time
}

// Kinds of principal besides admin tokens.
const (
	// KindSetup is a set-up session: a set-up link opened in a browser.
	KindSetup = "setup"
	// KindConsole is a console session: a person signed in to the console through the
	// organization's IdP.
	KindConsole = "console"
)

// Actor is the event actor naming the credential: "admin:<name>", "setup:<link id>",
// "console:<user id>".
func (p Principal) Actor() string {
	kind := p.Kind
	if kind == "" {
		kind = "admin"
	}
	who := p.Name
	if kind != "admin" || who == "" {
		who = p.ID
	}
	return kind + ":" + who
}

// CanSeeOrg reports whether the principal may read anything of organization org.
func (p Principal) CanSeeOrg(org string) bool {
	return p.Role == RoleOwner || p.Org == "" || p.Org == org
}
