package admin_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testdns"
	"github.com/rosterhq/roster/internal/testserver"
)

type orgAnswer struct {
	ID           string         `json:"id"`
	Name         string         `json:"name"`
	EmailDomains string         `json:"email_domains"`
	Domains      []domainAnswer `json:"domains"`
}

// wantProblem checks that an error answer has status and says each of want, in its message
// or one of its problems.
func (e *env) wantProblem(r resp, status int, want ...string) {
	e.t.Helper()
	e.want(r, status)
	msg, problems := r.errBody(e.t)
	all := msg + "\n" + strings.Join(problems, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			e.t.Errorf("the answer does not say %q: %s", w, r.body)
		}
	}
}

func TestOrganizations(t *testing.T) {
	e := newEnv(t)
	// A new store has the default organization, where v1 scripts keep working.
	var page struct{ Items []orgAnswer }
	e.want(e.do("GET", "/admin/api/v1/orgs", nil), 200).json(t, &page)
	if len(page.Items) != 1 || page.Items[0].ID != directory.DefaultOrg {
		t.Fatalf("a new store's organizations: %+v", page.Items)
	}

	r := e.want(e.do("POST", "/admin/api/v1/orgs", map[string]any{"id": "acme", "name": "Acme Corp", "email_domains": "verified"}), 201)
	if loc := r.header.Get("Location"); loc != "/admin/api/v1/orgs/acme" {
		t.Errorf("Location = %q", loc)
	}
	var acme orgAnswer
	r.json(t, &acme)
	if acme.ID != "acme" || acme.Name != "Acme Corp" || acme.EmailDomains != "verified" || acme.Domains == nil || len(acme.Domains) != 0 {
		t.Errorf("created %s", r.body)
	}
	e.want(e.do("GET", "/admin/api/v1/orgs/acme", nil), 200).json(t, &acme)
	if acme.Name != "Acme Corp" {
		t.Errorf("GET: %+v", acme)
	}
	e.wantProblem(e.do("POST", "/admin/api/v1/orgs", map[string]any{"id": "acme"}), 409, `"acme" already exists`)

	// PATCH is a merge patch of the writable settings; what was read can be sent back.
	e.want(e.do("PATCH", "/admin/api/v1/orgs/acme", map[string]any{"name": "Acme", "domains": []any{}, "created": "x"}), 200).json(t, &acme)
	if acme.Name != "Acme" || acme.EmailDomains != "verified" {
		t.Errorf("patched: %+v", acme)
	}

	// Bad input: each a clear 4xx naming the problem, nothing stored.
	before := e.state()
	e.wantProblem(e.do("POST", "/admin/api/v1/orgs", map[string]any{"id": "Bad Org!"}), 400, `id "Bad Org!"`, "lower-case")
	e.wantProblem(e.do("POST", "/admin/api/v1/orgs", map[string]any{"id": "x", "email_domains": "some"}), 400, `email_domains "some"`)
	e.wantProblem(e.do("POST", "/admin/api/v1/orgs", map[string]any{"name": "No id"}), 400, "id is required")
	e.wantProblem(e.do("POST", "/admin/api/v1/orgs", map[string]any{"id": "x", "domains": []string{"x.example"}}), 400, `unknown field "domains"`)
	e.wantProblem(e.do("PATCH", "/admin/api/v1/orgs/acme", map[string]any{"id": "other"}), 400, "id cannot change")
	e.wantProblem(e.do("PATCH", "/admin/api/v1/orgs/acme", map[string]any{"email_domains": "none"}), 400, `email_domains "none"`)
	e.wantProblem(e.do("PATCH", "/admin/api/v1/orgs/acme", map[string]any{"nmae": "typo"}), 400, `unknown field "nmae"`)
	e.wantProblem(e.do("GET", "/admin/api/v1/orgs/ghost", nil), 404, `organization "ghost" does not exist`)
	e.wantProblem(e.do("PATCH", "/admin/api/v1/orgs/ghost", map[string]any{"name": "x"}), 404, `organization "ghost" does not exist`)
	e.wantProblem(e.do("DELETE", "/admin/api/v1/orgs/ghost", nil), 404, `organization "ghost" does not exist`)
	if d := unchanged(before, e.state()); d != "" {
		t.Errorf("refused requests changed the store:\n%s", d)
	}
	// Console access names an IdP of this organization, never another's.
	e.createIdPIn(directory.DefaultOrg, "okta", directory.ModeBoth)
	before = e.state()
	e.wantProblem(e.do("PATCH", "/admin/api/v1/orgs/acme", map[string]any{"console_access": map[string]any{"idp": "okta", "admin_groups": []string{"it"}}}),
		400, `console_access.idp "okta" is not an IdP of organization "acme"`)
	e.wantProblem(e.do("PATCH", "/admin/api/v1/orgs/acme", map[string]any{"console_access": map[string]any{"idp": "ghost"}}),
		400, `console_access.idp "ghost"`)
	if d := unchanged(before, e.state()); d != "" {
		t.Errorf("refused requests changed the store:\n%s", d)
	}

	// An organization that still has IdPs or users cannot be deleted; the answer names them.
	// (Its users' emails are not of a verified domain, so the organization accepts any.)
	e.want(e.do("PATCH", "/admin/api/v1/orgs/acme", map[string]any{"email_domains": "any"}), 200)
	e.createIdPIn("acme", "acme-okta", directory.ModeBoth)
	e.scimCreate("acme-okta", "00u1", "ann@acme.example")
	before = e.state()
	e.wantProblem(e.do("DELETE", "/admin/api/v1/orgs/acme", nil), 409, "acme-okta")
	if d := unchanged(before, e.state()); d != "" {
		t.Errorf("a refused delete changed the store:\n%s", d)
	}
	var withConsole orgAnswer
	e.want(e.do("PATCH", "/admin/api/v1/orgs/acme", map[string]any{"console_access": map[string]any{"idp": "acme-okta", "admin_groups": []string{"it"}}}), 200).json(t, &withConsole)

	// The default organization is where every store keeps what belongs to no other.
	e.wantProblem(e.do("DELETE", "/admin/api/v1/orgs/default", nil), 409, `"default"`)

	// Deleting an organization revokes the credentials limited to it, so that one created
	// later under the same id inherits none of them.
	e.createOrg("empty")
	admin := e.adminToken("empty it", directory.RoleOrgAdmin, "empty")
	e.want(e.doWith("GET", "/admin/api/v1/orgs/empty", nil, admin), 200)
	e.want(e.do("DELETE", "/admin/api/v1/orgs/empty", nil), 204)
	e.want(e.do("GET", "/admin/api/v1/orgs/empty", nil), 404)
	e.createOrg("empty")
	e.wantProblem(e.doWith("GET", "/admin/api/v1/orgs/empty", nil, admin), 401, "unknown, revoked or expired")
}

func TestDomainVerification(t *testing.T) {
	dnsSrv := testdns.Start(t)
	e := newEnvWith(t, testserver.Config{DNSResolver: dnsSrv.Addr})
	var owner whoamiAnswer
	e.want(e.do("GET", "/admin/api/v1/whoami", nil), 200).json(t, &owner)
	e.createOrg("a")
	e.createOrg("b")

	var d domainAnswer
	e.want(e.do("POST", "/admin/api/v1/orgs/a/domains", map[string]any{"domain": "Example.COM."}), 201).json(t, &d)
	if d.Domain != "example.com" || d.Verified || d.VerifiedAt != nil || d.TXTName != "_roster-verify.example.com" ||
		!strings.HasPrefix(d.TXTValue, "roster-verify=") || len(d.TXTValue) < len("roster-verify=")+16 {
		t.Fatalf("added %+v", d)
	}
	verify := func(org, domain string) resp {
		return e.do("POST", "/admin/api/v1/orgs/"+org+"/domains/"+domain+"/verify", nil)
	}

	// Nothing published yet: 409, saying what was found, and the store keeps it unverified.
	before := e.state()
	e.wantProblem(verify("a", "example.com"), 409, "no TXT record at _roster-verify.example.com")
	if dnsSrv.Queries(d.TXTName) == 0 {
		t.Fatalf("the DNS server was not asked")
	}
	dnsSrv.SetTXT(d.TXTName, "roster-verify=abc")
	e.wantProblem(verify("a", "example.com"), 409, `found TXT "roster-verify=abc"`, "expected "+d.TXTValue)
	// A resolver that fails is not a missing record.
	dnsSrv.Fail(d.TXTName, true)
	e.wantProblem(verify("a", "example.com"), 502, "look-up", dnsSrv.Addr)
	dnsSrv.Fail(d.TXTName, false)
	if diff := unchanged(before, e.state()); diff != "" {
		t.Errorf("failed verifications changed the store:\n%s", diff)
	}

	// b claims the same domain while nobody has verified it: a claim is not proof.
	var db domainAnswer
	e.want(e.do("POST", "/admin/api/v1/orgs/b/domains", map[string]any{"domain": "example.com"}), 201).json(t, &db)
	if db.TXTValue == d.TXTValue {
		t.Errorf("two organizations got the same TXT value")
	}

	// Published: verified.
	dnsSrv.SetTXT(d.TXTName, "v=spf1 -all", d.TXTValue)
	var ok domainAnswer
	e.want(verify("a", "example.com"), 200).json(t, &ok)
	if !ok.Verified || ok.VerifiedAt == nil || ok.Domain != "example.com" {
		t.Errorf("verified: %+v", ok)
	}
	var a orgAnswer
	e.want(e.do("GET", "/admin/api/v1/orgs/a", nil), 200).json(t, &a)
	if len(a.Domains) != 1 || !a.Domains[0].Verified {
		t.Errorf("organization a after verification: %+v", a)
	}

	// One domain, one organization: b can neither verify its claim nor claim it anew, even
	// with a's record published.
	before = e.state()
	dnsSrv.SetTXT(d.TXTName, d.TXTValue, db.TXTValue)
	e.wantProblem(verify("b", "example.com"), 409, "example.com")
	if diff := unchanged(before, e.state()); diff != "" {
		t.Errorf("a refused verification changed the store:\n%s", diff)
	}
	e.createOrg("c")
	before = e.state()
	e.wantProblem(e.do("POST", "/admin/api/v1/orgs/c/domains", map[string]any{"domain": "example.com"}), 409, "example.com")
	if diff := unchanged(before, e.state()); diff != "" {
		t.Errorf("a refused claim changed the store:\n%s", diff)
	}

	// Domains that are not domains: a clear 400 naming the problem, nothing stored.
	before = e.state()
	for _, c := range []struct{ domain, says string }{
		{"*.com", "wildcard"},
		{"192.0.2.1", "IP address"},
		{"2001:db8::1", "IP address"},
		{strings.Repeat("a", 60) + "." + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + "." + strings.Repeat("d", 60) + "." + strings.Repeat("e", 60) + ".com", "253"},
		{"localhost", "single label"},
		{"", "domain is required"},
		{"exa mple.com", "not a domain name"},
		{"-x.example.com", "not a domain name"},
	} {
		e.wantProblem(e.do("POST", "/admin/api/v1/orgs/c/domains", map[string]any{"domain": c.domain}), 400, c.says)
	}
	e.wantProblem(e.do("POST", "/admin/api/v1/orgs/c/domains", map[string]any{"domian": "x.example"}), 400, `unknown field "domian"`)
	e.wantProblem(e.do("POST", "/admin/api/v1/orgs/ghost/domains", map[string]any{"domain": "x.example"}), 404, `organization "ghost" does not exist`)
	e.wantProblem(verify("c", "unclaimed.example"), 404, `organization "c" has no domain "unclaimed.example"`)
	e.wantProblem(e.do("DELETE", "/admin/api/v1/orgs/c/domains/unclaimed.example", nil), 404, `has no domain "unclaimed.example"`)
	if diff := unchanged(before, e.state()); diff != "" {
		t.Errorf("bad domains changed the store:\n%s", diff)
	}

	// Removing a's domain frees it: b's claim can now be verified.
	e.want(e.do("DELETE", "/admin/api/v1/orgs/a/domains/example.com", nil), 204)
	e.want(verify("b", "example.com"), 200)

	// Every change is an event naming the credential.
	evs := e.dir.Events(0)
	var verified int
	for _, ev := range evs {
		if strings.Contains(ev.Type, "domain") && strings.Contains(ev.Reason+ev.Type, "verif") {
			verified++
			if ev.Actor != "admin:"+owner.Name {
				t.Errorf("event %s has actor %q", ev.Type, ev.Actor)
			}
		}
	}
	if verified < 2 {
		t.Errorf("%d verification events, want 2", verified)
	}
}

type adminTokenAnswer struct {
	ID        string     `json:"id"`
	Token     string     `json:"token"`
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	Org       string     `json:"org"`
	ExpiresAt *time.Time `json:"expires_at"`
	Status    string     `json:"status"`
}

type whoamiAnswer struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
	Org  string `json:"org"`
}

func TestAdminTokens(t *testing.T) {
	e := newEnv(t)
	e.createOrg("a")

	var who whoamiAnswer
	e.want(e.do("GET", "/admin/api/v1/whoami", nil), 200).json(t, &who)
	if who.Role != "owner" || who.Org != "" || !strings.HasPrefix(who.Name, "bootstrap") || who.ID == "" {
		t.Errorf("the bootstrap token: %+v", who)
	}

	var created adminTokenAnswer
	e.want(e.do("POST", "/admin/api/v1/admin-tokens", map[string]any{"name": "it of a", "role": "org-admin", "org": "a", "expires_in": "720h"}), 201).json(t, &created)
	if !strings.HasPrefix(created.Token, directory.AdminTokenPrefix) || created.ID == "" || created.Name != "it of a" ||
		created.Role != "org-admin" || created.Org != "a" || created.ExpiresAt == nil {
		t.Fatalf("created %+v", created)
	}
	if h := time.Until(*created.ExpiresAt).Hours(); h < 719 || h > 721 {
		t.Errorf("expires in %.1f hours, want 720", h)
	}
	e.want(e.doWith("GET", "/admin/api/v1/whoami", nil, created.Token), 200).json(t, &who)
	if who != (whoamiAnswer{ID: created.ID, Name: "it of a", Role: "org-admin", Org: "a"}) {
		t.Errorf("whoami of the new token: %+v", who)
	}

	// Its actions are events naming it, in its organization.
	before := e.lastSeq()
	body := oidcIdP("a-okta", directory.ModeJIT)
	e.want(e.doWith("POST", "/admin/api/v1/idps", body, created.Token), 201)
	evs := e.dir.Events(before)
	if len(evs) != 1 || evs[0].Actor != "admin:it of a" {
		t.Errorf("events of the org-admin's create: %+v", evs)
	}

	r := e.want(e.do("GET", "/admin/api/v1/admin-tokens", nil), 200)
	if strings.Contains(string(r.body), created.Token) || strings.Contains(string(r.body), `"token"`) {
		t.Errorf("the list shows a secret: %s", r.body)
	}
	var page struct{ Items []adminTokenAnswer }
	r.json(t, &page)
	if len(page.Items) != 2 || page.Items[0].Role != "owner" || page.Items[1].ID != created.ID || page.Items[1].Status != "active" {
		t.Errorf("list: %+v", page.Items)
	}

	// Bad requests: each names its problem, and nothing is stored.
	st := e.state()
	for _, c := range []struct {
		body any
		says []string
	}{
		{map[string]any{"name": "x", "role": "root"}, []string{`role "root" is not known`}},
		{map[string]any{"name": "x"}, []string{"role is required"}},
		{map[string]any{"name": "x", "role": "org-admin"}, []string{"org is required for an org-admin"}},
		{map[string]any{"name": "x", "role": "owner", "org": "a"}, []string{"an owner acts in every organization"}},
		{map[string]any{"name": "x", "role": "viewer", "org": "ghost"}, []string{`org "ghost" does not exist`}},
		{map[string]any{"role": "viewer"}, []string{"name is required"}},
		{map[string]any{"name": "x", "role": "viewer", "expires_in": "soon"}, []string{`expires_in "soon"`}},
		{map[string]any{"name": "x", "role": "viewer", "expires_in": -1}, []string{"expires_in must be positive"}},
		{map[string]any{"name": "x", "role": "viewer", "roles": "typo"}, []string{`unknown field "roles"`}},
		// Every problem at once.
		{map[string]any{"role": "org-admin", "expires_in": "soon"}, []string{"name is required", "org is required", `expires_in "soon"`}},
	} {
		e.wantProblem(e.do("POST", "/admin/api/v1/admin-tokens", c.body), 400, c.says...)
	}
	e.wantProblem(e.do("DELETE", "/admin/api/v1/admin-tokens/ghost", nil), 404, `admin token "ghost" does not exist`)
	// A SCIM token is not revoked here.
	e.createIdPIn("a", "a-scim", directory.ModeBoth)
	var scimTok struct{ ID string }
	e.want(e.do("POST", "/admin/api/v1/idps/a-scim/scim-tokens", map[string]any{}), 201).json(t, &scimTok)
	st = e.state()
	e.want(e.do("DELETE", "/admin/api/v1/admin-tokens/"+scimTok.ID, nil), 404)
	if d := unchanged(st, e.state()); d != "" {
		t.Errorf("refused requests changed the store:\n%s", d)
	}

	// Revoked: it no longer authenticates.
	var revoked adminTokenAnswer
	e.want(e.do("DELETE", "/admin/api/v1/admin-tokens/"+created.ID, nil), 200).json(t, &revoked)
	if revoked.Status != "revoked" {
		t.Errorf("revoked: %+v", revoked)
	}
	e.wantProblem(e.doWith("GET", "/admin/api/v1/whoami", nil, created.Token), 401, "unknown, revoked or expired")

	// Expired: the same.
	var short adminTokenAnswer
	e.want(e.do("POST", "/admin/api/v1/admin-tokens", map[string]any{"name": "short", "role": "viewer", "expires_in": "1s"}), 201).json(t, &short)
	e.want(e.doWith("GET", "/admin/api/v1/whoami", nil, short.Token), 200)
	time.Sleep(time.Until(*short.ExpiresAt) + 10*time.Millisecond)
	st = e.state()
	e.wantProblem(e.doWith("POST", "/admin/api/v1/orgs", map[string]any{"id": "late"}, short.Token), 401, "unknown, revoked or expired")
	e.wantProblem(e.doWith("GET", "/admin/api/v1/idps", nil, short.Token), 401, "unknown, revoked or expired")
	if d := unchanged(st, e.state()); d != "" {
		t.Errorf("an expired token changed the store:\n%s", d)
	}
}

// TestCreateIdPOrganization: POST /idps without org is accepted while one organization
// exists, as v1 scripts send it; with several, it must name one; an org-scoped credential
// creates in its own.
func TestCreateIdPOrganization(t *testing.T) {
	e := newEnv(t)
	var p struct{ ID, Org string }
	e.want(e.do("POST", "/admin/api/v1/idps", oidcIdP("v1", directory.ModeJIT)), 201).json(t, &p)
	if p.Org != directory.DefaultOrg {
		t.Errorf("an IdP created without org in a store of one organization went to %q", p.Org)
	}

	e.createOrg("acme")
	st := e.state()
	e.wantProblem(e.do("POST", "/admin/api/v1/idps", oidcIdP("which", directory.ModeJIT)), 400, "org is required", `"acme"`, `"default"`)
	body := oidcIdP("ghost-idp", directory.ModeJIT)
	body["org"] = "ghost"
	e.wantProblem(e.do("POST", "/admin/api/v1/idps", body), 404, `organization "ghost" does not exist`)
	body["org"] = 7
	e.wantProblem(e.do("POST", "/admin/api/v1/idps", body), 400, "org must be")
	e.wantProblem(e.do("POST", "/admin/api/v1/idps?org=ghost", oidcIdP("ghost-idp", directory.ModeJIT)), 404, `organization "ghost" does not exist`)
	if d := unchanged(st, e.state()); d != "" {
		t.Errorf("refused creates changed the store:\n%s", d)
	}

	e.want(e.do("POST", "/admin/api/v1/idps?org=acme", oidcIdP("by-query", directory.ModeJIT)), 201).json(t, &p)
	if p.Org != "acme" {
		t.Errorf("?org=acme created in %q", p.Org)
	}
	admin := e.adminToken("acme it", directory.RoleOrgAdmin, "acme")
	e.want(e.doWith("POST", "/admin/api/v1/idps", oidcIdP("own", directory.ModeJIT), admin), 201).json(t, &p)
	if p.Org != "acme" {
		t.Errorf("an org-admin of acme created without org in %q", p.Org)
	}
	// An org-admin never learns of another organization, even by name.
	st = e.state()
	body = oidcIdP("elsewhere", directory.ModeJIT)
	body["org"] = directory.DefaultOrg
	e.wantProblem(e.doWith("POST", "/admin/api/v1/idps", body, admin), 404, `organization "default" does not exist`)
	if d := unchanged(st, e.state()); d != "" {
		t.Errorf("a refused create changed the store:\n%s", d)
	}

	// An IdP stays in its organization.
	e.wantProblem(e.do("PATCH", "/admin/api/v1/idps/own", map[string]any{"org": directory.DefaultOrg}), 400, "org cannot change")
	e.want(e.do("PATCH", "/admin/api/v1/idps/own", map[string]any{"org": "acme", "name": "Own"}), 200)
}
