package directory_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	. "github.com/rosterhq/roster/directory"
)

// orgs_test.go drives the organization operations of Service and R13 — isolation of userNames,
// email linking, lookups and events between organizations, and email_domains "verified" —
// over a real bbolt store.

func (e *env) createOrg(id string, opts ...func(*Organization)) Organization {
	e.t.Helper()
	o := Organization{ID: id, Name: strings.ToUpper(id[:1]) + id[1:]}
	for _, f := range opts {
		f(&o)
	}
	o, err := e.svc.CreateOrg(e.ctx, "admin:test", o)
	if err != nil {
		e.t.Fatalf("CreateOrg(%s): %v", id, err)
	}
	return o
}

func inOrg(org string) func(*IdP) { return func(p *IdP) { p.Org = org } }

// verifiedDomain claims and verifies domain for org, as an edge that found the TXT record would.
func (e *env) verifiedDomain(org, domain string) {
	e.t.Helper()
	d, err := e.svc.AddDomain(e.ctx, "admin:test", org, domain)
	if err != nil {
		e.t.Fatalf("AddDomain(%s, %s): %v", org, domain, err)
	}
	if _, err := e.svc.MarkDomainVerified(e.ctx, "admin:test", org, domain, []string{d.TXTValue}); err != nil {
		e.t.Fatalf("MarkDomainVerified(%s, %s): %v", org, domain, err)
	}
}

func (e *env) scimActor(idp string) SCIMActor {
	e.t.Helper()
	tok, _, err := e.svc.CreateToken(e.ctx, "admin:test", TokenSCIM, idp, "connector", time.Time{})
	if err != nil {
		e.t.Fatal(err)
	}
	return SCIMActor{IdP: idp, Org: tok.Org, TokenID: tok.ID}
}

func TestServiceOrganizations(t *testing.T) {
	e := newEnv(t)
	orgs, err := e.svc.Orgs(e.ctx)
	if err != nil || len(orgs) != 1 || orgs[0].ID != DefaultOrg {
		t.Fatalf("a new store's organizations: %+v, %v; want default", orgs, err)
	}
	for name, o := range map[string]Organization{
		"bad slug":       {ID: "Acme Corp"},
		"no id":          {Name: "Acme"},
		"bad policy":     {ID: "acme", EmailDomains: "some"},
		"domains inline": {ID: "acme", Domains: []Domain{{Domain: "acme.example", Verified: true}}},
		"console access": {ID: "acme", ConsoleAccess: &ConsoleAccess{IdP: "okta"}},
	} {
		if _, err := e.svc.CreateOrg(e.ctx, "admin:test", o); !errors.Is(err, ErrInvalid) {
			t.Errorf("CreateOrg with %s: %v, want ErrInvalid", name, err)
		}
	}
	before := e.lastSeq()
	acme := e.createOrg("acme")
	if acme.EmailDomains != EmailDomainsAny || acme.Name != "Acme" || acme.Domains == nil || acme.Created.IsZero() {
		t.Errorf("created %+v; want the defaults filled", acme)
	}
	if _, err := e.svc.CreateOrg(e.ctx, "admin:test", Organization{ID: "acme"}); !errors.Is(err, ErrConflict) {
		t.Errorf("a second acme: %v, want ErrConflict", err)
	}
	globex := e.createOrg("globex")
	e.createIdP("acme-okta", ModeBoth, inOrg("acme"))
	e.createIdP("globex-entra", ModeBoth, inOrg("globex"))

	// Console access names an IdP of the organization.
	_, err = e.svc.UpdateOrg(e.ctx, "admin:test", "acme", func(o Organization) (Organization, error) {
		o.ConsoleAccess = &ConsoleAccess{IdP: "globex-entra", AdminGroups: []string{"it"}}
		return o, nil
	})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "globex-entra") {
		t.Errorf("console access through another organization's IdP: %v, want ErrInvalid naming it", err)
	}
	updated, err := e.svc.UpdateOrg(e.ctx, "admin:test", "acme", func(o Organization) (Organization, error) {
		o.Name, o.EmailDomains = "Acme Corporation", EmailDomainsVerified
		o.ConsoleAccess = &ConsoleAccess{IdP: "acme-okta", AdminGroups: []string{"it"}}
		o.ID, o.Domains = "hijack", []Domain{{Domain: "evil.example", Verified: true}} // the server's, kept
		return o, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if updated.ID != "acme" || len(updated.Domains) != 0 || updated.Name != "Acme Corporation" ||
		updated.ConsoleAccess == nil || updated.ConsoleAccess.ViewerGroups == nil {
		t.Errorf("updated %+v; want the new name and console access, id and domains kept", updated)
	}
	if err := e.svc.DeleteIdP(e.ctx, "admin:test", "acme-okta", true); !errors.Is(err, ErrConflict) {
		t.Errorf("deleting acme's console IdP: %v, want ErrConflict", err)
	}

	// An organization with IdPs or users cannot go; the refusal names them.
	a := e.scimActor("acme-okta")
	noEmail := scimAda()
	noEmail.Emails = nil // acme now accepts only emails of its verified domains, and has none
	e.mustSCIMCreate(a, noEmail)
	err = e.svc.DeleteOrg(e.ctx, "admin:test", "acme")
	var ce *ConflictError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "acme-okta") || !strings.Contains(err.Error(), "1 users") {
		t.Errorf("deleting acme with an IdP and a user: %v, want a ConflictError naming both", err)
	}
	// An empty one goes, with the admin tokens limited to it.
	tok, secret, err := e.svc.CreateAdminToken(e.ctx, "admin:test", "globex it", RoleOrgAdmin, "globex", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteIdP(e.ctx, "admin:test", "globex-entra", false); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteOrg(e.ctx, "admin:test", globex.ID); err != nil {
		t.Fatalf("deleting empty globex: %v", err)
	}
	if _, err := e.svc.Org(e.ctx, "globex"); !errors.Is(err, ErrNotFound) {
		t.Errorf("globex after deletion: %v", err)
	}
	if _, err := e.svc.Authenticate(e.ctx, TokenAdmin, secret); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("globex's admin token %s after its organization was deleted: %v, want ErrUnauthenticated", tok.ID, err)
	}
	if err := e.svc.DeleteOrg(e.ctx, "admin:test", "globex"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting globex again: %v, want ErrNotFound", err)
	}

	// Each change is an event of its organization.
	var got []string
	for _, ev := range e.eventsAfter(before) {
		if strings.HasPrefix(ev.Type, "org.") || ev.Type == EventTokenRevoked {
			got = append(got, ev.Type+" "+ev.Org+" "+strings.Join(ev.Changes, ","))
		}
	}
	want := []string{"org.created acme ", "org.created globex ", "org.updated acme name,email_domains,console_access",
		"token.revoked globex ", "org.deleted globex "}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("organization events (-want +got):\n%s", diff)
	}
}

func TestServiceDomains(t *testing.T) {
	e := newEnv(t)
	e.createOrg("acme")
	e.createOrg("globex")
	for _, bad := range []string{"*.com", "192.0.2.1", "localhost", strings.Repeat("a", 300) + ".com", "exa mple.com"} {
		if _, err := e.svc.AddDomain(e.ctx, "admin:test", "acme", bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("AddDomain(%q): %v, want ErrInvalid", bad, err)
		}
	}
	if _, err := e.svc.AddDomain(e.ctx, "admin:test", "initech", "initech.example"); !errors.Is(err, ErrNotFound) {
		t.Errorf("AddDomain to an unknown organization: %v, want ErrNotFound", err)
	}
	d, err := e.svc.AddDomain(e.ctx, "admin:test", "acme", "Acme.Example.")
	if err != nil {
		t.Fatal(err)
	}
	if d.Domain != "acme.example" || d.TXTName != "_roster-verify.acme.example" || !strings.HasPrefix(d.TXTValue, "roster-verify=") ||
		len(d.TXTValue) < len("roster-verify=")+20 || d.Verified {
		t.Errorf("claim %+v; want the folded domain, its TXT name and a random value, unverified", d)
	}
	again, err := e.svc.AddDomain(e.ctx, "admin:test", "acme", "acme.example")
	if err != nil || again != d {
		t.Errorf("claiming it again: %+v, %v; want the same claim", again, err)
	}
	// globex may claim it too while nobody has verified it; only one may verify it.
	gd, err := e.svc.AddDomain(e.ctx, "admin:test", "globex", "acme.example")
	if err != nil || gd.TXTValue == d.TXTValue {
		t.Fatalf("globex's claim: %+v, %v; want a claim with its own value", gd, err)
	}

	for _, c := range []struct {
		found []string
		says  string
	}{
		{nil, "no TXT record at _roster-verify.acme.example"},
		{[]string{"v=spf1 -all", gd.TXTValue}, `"v=spf1 -all", "` + gd.TXTValue + `"`},
	} {
		_, err := e.svc.MarkDomainVerified(e.ctx, "admin:test", "acme", "acme.example", c.found)
		var nv *DomainNotVerifiedError
		if !errors.As(err, &nv) || !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), d.TXTValue) {
			t.Errorf("verifying with %q found: %v; want a DomainNotVerifiedError saying %s and the value wanted", c.found, err, c.says)
		}
	}
	if _, err := e.svc.MarkDomainVerified(e.ctx, "admin:test", "acme", "other.example", []string{d.TXTValue}); !errors.Is(err, ErrNotFound) {
		t.Errorf("verifying an unclaimed domain: %v, want ErrNotFound", err)
	}
	v, err := e.svc.MarkDomainVerified(e.ctx, "admin:test", "acme", "ACME.example", []string{" " + d.TXTValue + " "})
	if err != nil || !v.Verified || !v.VerifiedAt.Equal(e.clock.Now()) {
		t.Fatalf("verifying with the value: %+v, %v", v, err)
	}
	// Now acme has it: globex can neither verify its claim nor claim it anew.
	if _, err := e.svc.MarkDomainVerified(e.ctx, "admin:test", "globex", "acme.example", []string{gd.TXTValue}); !errors.Is(err, ErrConflict) {
		t.Errorf("globex verifying acme's domain: %v, want ErrConflict", err)
	}
	if err := e.svc.RemoveDomain(e.ctx, "admin:test", "globex", "acme.example"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AddDomain(e.ctx, "admin:test", "globex", "acme.example"); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "another organization") {
		t.Errorf("globex claiming acme's verified domain: %v, want ErrConflict", err)
	}
	var byDomain Organization
	if err := e.svc.View(e.ctx, func(tx ReadTx) (err error) { byDomain, err = tx.OrgByDomain("acme.example"); return err }); err != nil || byDomain.ID != "acme" {
		t.Errorf("OrgByDomain: %q, %v", byDomain.ID, err)
	}
	// Released, it is free again.
	if err := e.svc.RemoveDomain(e.ctx, "admin:test", "acme", "acme.example"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RemoveDomain(e.ctx, "admin:test", "acme", "acme.example"); !errors.Is(err, ErrNotFound) {
		t.Errorf("removing it twice: %v, want ErrNotFound", err)
	}
	e.verifiedDomain("globex", "acme.example")
}

func TestServiceIdPsBelongToOneOrganization(t *testing.T) {
	e := newEnv(t)
	// While the store has one organization, an IdP without an org is that organization's.
	if p := e.createIdP("okta", ModeBoth); p.Org != DefaultOrg {
		t.Errorf("IdP created without an org in a store of one organization: org %q, want default", p.Org)
	}
	e.createOrg("acme")
	_, err := e.svc.CreateIdP(e.ctx, "admin:test", IdP{ID: "entra", Protocol: ProtocolSAML})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "acme, default") {
		t.Errorf("IdP without an org among two organizations: %v, want ErrInvalid listing them", err)
	}
	if _, err := e.svc.CreateIdP(e.ctx, "admin:test", IdP{ID: "entra", Org: "initech", Protocol: ProtocolSAML}); !errors.Is(err, ErrInvalid) {
		t.Errorf("IdP of an unknown organization: %v, want ErrInvalid", err)
	}
	p := e.createIdP("acme-okta", ModeSCIM, inOrg("acme"))
	if _, err := e.svc.UpdateIdP(e.ctx, "admin:test", p.ID, func(p IdP) (IdP, error) { p.Org = DefaultOrg; return p, nil }); !errors.Is(err, ErrInvalid) {
		t.Errorf("moving an IdP to another organization: %v, want ErrInvalid", err)
	}
	if got, err := e.svc.UpdateIdP(e.ctx, "admin:test", p.ID, func(p IdP) (IdP, error) { p.Org, p.Name = "", "Acme Okta"; return p, nil }); err != nil || got.Org != "acme" {
		t.Errorf("an update that leaves org out: org %q, %v; want acme kept", got.Org, err)
	}
	for org, want := range map[string][]string{"": {"acme-okta", "okta"}, "acme": {"acme-okta"}, DefaultOrg: {"okta"}, "initech": {}} {
		ps, err := e.svc.IdPs(e.ctx, org)
		ids := []string{}
		for _, p := range ps {
			ids = append(ids, p.ID)
		}
		if err != nil || !slices.Equal(ids, want) {
			t.Errorf("IdPs(%q) = %v, %v; want %v", org, ids, err, want)
		}
	}
	// A SCIM token is its IdP's organization's, and so are the events it causes.
	a := e.scimActor("acme-okta")
	if a.Org != "acme" {
		t.Errorf("acme-okta's SCIM token is of %q", a.Org)
	}
	before := e.lastSeq()
	u := e.mustSCIMCreate(a, scimAda())
	if u.Org != "acme" {
		t.Errorf("SCIM-created user of org %q, want acme", u.Org)
	}
	if err := e.svc.SCIMDeleteUser(e.ctx, a, u.ID, 0); err != nil {
		t.Fatal(err)
	}
	ts, err := e.svc.Tombstones(e.ctx, "acme", "")
	if err != nil || len(ts) != 1 || ts[0].Org != "acme" {
		t.Errorf("acme's tombstones: %+v, %v", ts, err)
	}
	if ts, err := e.svc.Tombstones(e.ctx, DefaultOrg, ""); err != nil || len(ts) != 0 {
		t.Errorf("default's tombstones: %+v, %v; want none", ts, err)
	}
	for _, ev := range e.eventsAfter(before) {
		if ev.Org != "acme" {
			t.Errorf("event %s %s of org %q, want acme", ev.Type, ev.Subject, ev.Org)
		}
	}
}

func TestServiceAdminTokens(t *testing.T) {
	e := newEnv(t)
	e.createOrg("acme")
	for name, c := range map[string]struct {
		role Role
		org  string
	}{
		"unknown role":          {"root", ""},
		"org-admin without org": {RoleOrgAdmin, ""},
		"owner of one org":      {RoleOwner, "acme"},
		"unknown org":           {RoleViewer, "initech"},
	} {
		if _, _, err := e.svc.CreateAdminToken(e.ctx, "admin:test", name, c.role, c.org, time.Time{}); !errors.Is(err, ErrInvalid) {
			t.Errorf("CreateAdminToken(%s): %v, want ErrInvalid", name, err)
		}
	}
	before := e.lastSeq()
	for _, c := range []struct {
		name string
		role Role
		org  string
	}{{"ci", RoleOwner, ""}, {"acme it", RoleOrgAdmin, "acme"}, {"auditor", RoleViewer, ""}, {"acme audit", RoleViewer, "acme"}} {
		tok, secret, err := e.svc.CreateAdminToken(e.ctx, "admin:test", c.name, c.role, c.org, e.clock.Now().Add(time.Hour))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !strings.HasPrefix(secret, AdminTokenPrefix) || tok.Role != c.role || tok.Org != c.org || tok.Name != c.name {
			t.Errorf("%s: token %+v", c.name, tok)
		}
		got, err := e.svc.Authenticate(e.ctx, TokenAdmin, secret)
		if err != nil || got.ID != tok.ID || got.Role != c.role || got.Org != c.org {
			t.Errorf("%s authenticates as %+v, %v", c.name, got, err)
		}
	}
	all, err := e.svc.AdminTokens(e.ctx)
	if err != nil || len(all) != 4 {
		t.Errorf("AdminTokens: %d, %v; want 4", len(all), err)
	}
	var orgs []string
	for _, ev := range e.eventsAfter(before) {
		orgs = append(orgs, ev.Org)
	}
	if diff := cmp.Diff([]string{"", "acme", "", "acme"}, orgs); diff != "" {
		t.Errorf("the organizations of the token events (-want +got):\n%s", diff)
	}
	// The bootstrap token is an owner's.
	boot, _, err := e.svc.EnsureAdminToken(e.ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if boot != "" {
		t.Errorf("EnsureAdminToken made another token while usable ones exist")
	}
	e2 := newEnv(t)
	secret, created, err := e2.svc.EnsureAdminToken(e2.ctx, "")
	if err != nil || !created {
		t.Fatal(err)
	}
	if tok, err := e2.svc.Authenticate(e2.ctx, TokenAdmin, secret); err != nil || tok.Role != RoleOwner || tok.Org != "" {
		t.Errorf("the bootstrap token: %+v, %v; want an owner of every organization", tok, err)
	}
}

// twoOrgs sets up organizations acme and globex, each with an IdP in mode both that links by
// verified email, and a SCIM actor for each.
func twoOrgs(t *testing.T) (e *env, acme, globex SCIMActor) {
	e = newEnv(t)
	e.createOrg("acme")
	e.createOrg("globex")
	link := func(p *IdP) { p.LinkPolicy = LinkVerifiedEmail }
	e.createIdP("acme-okta", ModeBoth, inOrg("acme"), link)
	e.createIdP("globex-okta", ModeBoth, inOrg("globex"), link)
	return e, e.scimActor("acme-okta"), e.scimActor("globex-okta")
}

func TestServiceR13UserNamesPerOrganization(t *testing.T) {
	e, acme, globex := twoOrgs(t)
	a := e.mustSCIMCreate(acme, scimAda())
	b, err := e.svc.SCIMCreateUser(e.ctx, globex, scimAda())
	if err != nil {
		t.Fatalf("globex creating the userName acme has: %v, want it created", err)
	}
	if a.ID == b.ID || a.Org != "acme" || b.Org != "globex" {
		t.Errorf("two Adas: %s of %s and %s of %s", a.ID, a.Org, b.ID, b.Org)
	}
	// Within one organization the userName is still unique (R8).
	other := scimAda()
	other.ExternalID = "00u2"
	if _, err := e.svc.SCIMCreateUser(e.ctx, acme, other); !errors.Is(err, ErrConflict) {
		t.Errorf("a second Ada in acme: %v, want ErrConflict", err)
	}
	err = e.svc.View(e.ctx, func(tx ReadTx) error {
		for org, want := range map[string]string{"acme": a.ID, "globex": b.ID} {
			if u, err := tx.UserByUserName(org, "ada@example.com"); err != nil || u.ID != want {
				t.Errorf("Ada of %s: %q, %v; want %s", org, u.ID, err, want)
			}
			if n, err := tx.CountUsers(org, ""); err != nil || n != 1 {
				t.Errorf("%s has %d users, %v; want 1", org, n, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A login at globex's IdP never links to acme's user with the same verified email (R9
	// within the organization): it creates globex's own, or links to globex's.
	if err := e.svc.DeleteIdP(e.ctx, "admin:test", "globex-okta", true); err != nil {
		t.Fatal(err)
	}
	e.createIdP("globex-entra", ModeJIT, inOrg("globex"), func(p *IdP) { p.LinkPolicy = LinkVerifiedEmail })
	u := e.mustLogin(Login{IdP: "globex-entra", UniqueUserID: "oid-1", Email: "ada@example.com", EmailVerified: true})
	if u.ID == a.ID || u.Org != "globex" {
		t.Errorf("a login at globex with acme Ada's email gave user %s of %s; want a globex user", u.ID, u.Org)
	}
	if still, err := e.svc.User(e.ctx, a.ID); err != nil || still.IdP != "acme-okta" {
		t.Errorf("acme's Ada after globex's login: %+v, %v; want untouched", still, err)
	}
	// Events follow: each organization's page holds its own only.
	for _, org := range []string{"acme", "globex"} {
		var evs []Event
		_, err := e.svc.SearchEvents(e.ctx, EventScan{Org: org}, func(ev Event) error { evs = append(evs, ev); return nil })
		if err != nil || len(evs) == 0 {
			t.Fatalf("events of %s: %d, %v", org, len(evs), err)
		}
		for _, ev := range evs {
			if ev.Org != org {
				t.Errorf("SearchEvents(%s) returned %s of %q", org, ev.Type, ev.Org)
			}
		}
	}
}

func TestServiceR13EmailDomains(t *testing.T) {
	e, acme, _ := twoOrgs(t)
	e.verifiedDomain("acme", "acme.example")
	e.createIdP("acme-jit", ModeJIT, inOrg("acme"))
	if _, err := e.svc.UpdateOrg(e.ctx, "admin:test", "acme", func(o Organization) (Organization, error) {
		o.EmailDomains = EmailDomainsVerified
		return o, nil
	}); err != nil {
		t.Fatal(err)
	}
	expectRefusal := func(what string, err error, before uint64) {
		t.Helper()
		r, ok := AsRefusal(err)
		if !ok || r.Rule != RuleR13 || r.Code != RefuseEmailDomain || !strings.Contains(r.Reason, `"elsewhere.example"`) {
			t.Fatalf("%s: %v; want an R13 refusal naming elsewhere.example", what, err)
		}
		evs := e.eventsAfter(before)
		if len(evs) != 1 || evs[0].Rule != RuleR13 || evs[0].Org != "acme" || evs[0].ID != r.EventID {
			t.Errorf("%s: events %+v; want one R13 event of acme, the refusal's", what, evs)
		}
	}

	outside := scimAda()
	outside.Emails = []MultiValue{{Value: "ada@acme.example"}, {Value: "ada@elsewhere.example"}}
	before := e.lastSeq()
	_, err := e.svc.SCIMCreateUser(e.ctx, acme, outside)
	expectRefusal("SCIM create with an outside email", err, before)

	inside := scimAda()
	inside.Emails = []MultiValue{{Value: "Ada@ACME.example"}}
	u := e.mustSCIMCreate(acme, inside)

	before = e.lastSeq()
	_, err = e.svc.SCIMUpdateUser(e.ctx, acme, u.ID, 0, func(u User) (User, error) {
		u.Emails = append(u.Emails, MultiValue{Value: "ada@elsewhere.example"})
		return u, nil
	})
	expectRefusal("SCIM update adding an outside email", err, before)

	before = e.lastSeq()
	_, err = e.svc.Login(e.ctx, Login{IdP: "acme-jit", UniqueUserID: "grace", Email: "grace@elsewhere.example"})
	expectRefusal("login with an outside email", err, before)
	if g, err := e.svc.Login(e.ctx, Login{IdP: "acme-jit", UniqueUserID: "grace", Email: "grace@acme.example"}); err != nil || g.Org != "acme" {
		t.Errorf("login with an email of acme's domain: %+v, %v", g, err)
	}

	// A user whose email was accepted before the policy can still be deprovisioned.
	if _, err := e.svc.UpdateOrg(e.ctx, "admin:test", "acme", func(o Organization) (Organization, error) {
		o.EmailDomains = EmailDomainsAny
		return o, nil
	}); err != nil {
		t.Fatal(err)
	}
	old := scimAda()
	old.UserName, old.ExternalID = "old@elsewhere.example", "00u9"
	old.Emails = []MultiValue{{Value: "old@elsewhere.example"}}
	oldUser := e.mustSCIMCreate(acme, old)
	if _, err := e.svc.UpdateOrg(e.ctx, "admin:test", "acme", func(o Organization) (Organization, error) {
		o.EmailDomains = EmailDomainsVerified
		return o, nil
	}); err != nil {
		t.Fatal(err)
	}
	if got, err := e.svc.SCIMUpdateUser(e.ctx, acme, oldUser.ID, 0, func(u User) (User, error) { u.Active = false; return u, nil }); err != nil || got.Active {
		t.Errorf("deactivating a user whose email predates the policy: %+v, %v", got.Active, err)
	}
}
