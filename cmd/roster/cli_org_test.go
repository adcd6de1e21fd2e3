package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testdns"
	"github.com/rosterhq/roster/internal/testserver"
)

// stderrHas fails the test unless r's stderr holds every one of want.
func stderrHas(t *testing.T, r cliResult, want ...string) {
	t.Helper()
	for _, s := range want {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
		}
	}
}

// lacks fails the test if out holds any of unwanted.
func lacks(t *testing.T, what, out string, unwanted ...string) {
	t.Helper()
	for _, s := range unwanted {
		if strings.Contains(out, s) {
			t.Errorf("%s shows %q:\n%s", what, s, out)
		}
	}
}

// secretIn is the word of out that starts with prefix: a secret a command printed once.
func secretIn(t *testing.T, out, prefix string) string {
	t.Helper()
	for _, f := range strings.Fields(out) {
		if strings.HasPrefix(f, prefix) {
			return f
		}
	}
	t.Fatalf("no %s… secret in:\n%s", prefix, out)
	return ""
}

func (e *cliEnv) org(id string) directory.Organization {
	e.t.Helper()
	o, err := e.svc.Org(e.t.Context(), id)
	if err != nil {
		e.t.Fatalf("organization %s: %v", id, err)
	}
	return o
}

func (e *cliEnv) orgCount() int {
	e.t.Helper()
	os, err := e.svc.Orgs(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	return len(os)
}

// asToken runs the binary with another admin token.
func (e *cliEnv) asToken(token string, args ...string) cliResult {
	e.t.Helper()
	return e.runEnv([]string{"ROSTER_SERVER=" + e.url, "ROSTER_TOKEN=" + token}, args...)
}

// TestCLIOrg manages organizations and their domains through the built binary, against a
// server whose TXT look-ups go to a real DNS server on loopback.
func TestCLIOrg(t *testing.T) {
	dns := testdns.Start(t)
	e := newCLIEnvWith(t, testserver.Config{SkipOIDCDiscovery: true, DNSResolver: dns.Addr})

	e.want(e.run("org", "list"), 0, "ID", "EMAIL DOMAINS", "default")
	e.want(e.run("org", "add", "acme", "--name", "Acme Corp", "--email-domains", "verified"), 0,
		"added organization acme", "name:", "Acme Corp", "email_domains:", "verified", "no domain claimed yet")
	if o := e.org("acme"); o.Name != "Acme Corp" || o.EmailDomains != directory.EmailDomainsVerified {
		t.Errorf("stored %+v", o)
	}

	// Every problem at once, exit 1, nothing stored; a taken id is a conflict.
	r := e.want(e.run("org", "add", "Bad_Id", "--email-domains", "sometimes"), 1)
	stderrHas(t, r, "HTTP 400", `id "Bad_Id"`, `email_domains "sometimes"`)
	r = e.want(e.run("org", "add", "acme"), 1)
	stderrHas(t, r, "HTTP 409", "acme")
	if n := e.orgCount(); n != 2 {
		t.Errorf("%d organizations after refused adds, want 2", n)
	}

	e.want(e.run("org", "list"), 0, "acme", "Acme Corp", "verified", "0 (0 verified)", "default")
	r = e.want(e.run("org", "list", "--json"), 0)
	var listed struct{ Items []struct{ ID, Name string } }
	if err := json.Unmarshal([]byte(r.stdout), &listed); err != nil || len(listed.Items) != 2 {
		t.Errorf("org list --json: %v %s", err, r.stdout)
	}

	// A domain: the record to publish, refused until it is published, then verified.
	r = e.want(e.run("org", "domain", "add", "acme", "Acme.Example"), 0, "organization acme claims acme.example", "not verified",
		"name:", "_roster-verify.acme.example", "roster org domain verify acme acme.example")
	d, ok := e.org("acme").Domain("acme.example")
	if !ok || d.TXTValue == "" || !strings.Contains(r.stdout, "value:  "+d.TXTValue) {
		t.Fatalf("the printed record is not the stored one (%+v):\n%s", d, r.stdout)
	}
	r = e.want(e.run("org", "domain", "verify", "acme", "acme.example"), 1)
	stderrHas(t, r, "HTTP 409", `domain "acme.example" is not verified`)
	dns.SetTXT(d.TXTName, "roster-verify=someone-elses")
	r = e.want(e.run("org", "domain", "verify", "acme", "acme.example"), 1)
	stderrHas(t, r, "HTTP 409", "roster-verify=someone-elses")
	if e.org("acme").VerifiedDomain("acme.example") {
		t.Fatal("a wrong record verified the domain")
	}
	dns.SetTXT(d.TXTName, d.TXTValue)
	e.want(e.run("org", "domain", "verify", "acme", "acme.example"), 0, "acme.example is verified for organization acme")
	if !e.org("acme").VerifiedDomain("acme.example") {
		t.Fatal("the domain is not stored as verified")
	}
	e.want(e.run("org", "show", "acme"), 0, "acme.example", "verified", fmt.Sprintf("_roster-verify.acme.example TXT %q", d.TXTValue))
	e.want(e.run("org", "list"), 0, "1 (1 verified)")
	r = e.want(e.run("org", "show", "acme", "--json"), 0)
	var shown struct {
		Domains []struct {
			Domain   string
			Verified bool
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &shown); err != nil || len(shown.Domains) != 1 || !shown.Domains[0].Verified {
		t.Errorf("org show --json: %v %s", err, r.stdout)
	}

	// One domain, one organization; not a domain at all is refused before anything is stored.
	e.want(e.run("org", "add", "beta"), 0)
	r = e.want(e.run("org", "domain", "add", "beta", "acme.example"), 1)
	stderrHas(t, r, "HTTP 409", "acme.example")
	r = e.want(e.run("org", "domain", "add", "beta", "*.com"), 1)
	stderrHas(t, r, "HTTP 400", "wildcard")
	if ds := e.org("beta").Domains; len(ds) != 0 {
		t.Errorf("refused domains were stored: %+v", ds)
	}
	r = e.want(e.run("org", "show", "nope"), 1)
	stderrHas(t, r, "HTTP 404", `organization "nope" does not exist`)

	e.want(e.run("org", "domain", "rm", "acme", "acme.example"), 0, "organization acme no longer claims acme.example")
	if _, ok := e.org("acme").Domain("acme.example"); ok {
		t.Error("the removed domain is still stored")
	}
	e.want(e.run("org", "domain", "rm", "acme", "acme.example"), 1)

	// An organization that still has an IdP is not deleted, and the answer names it.
	e.want(e.run("idp", "add", "okta", "--org", "acme", "--protocol", "oidc", "--issuer", "https://okta.example.com", "--client-id", "roster"), 0,
		"organization:", "acme")
	r = e.want(e.run("org", "rm", "acme"), 1)
	stderrHas(t, r, "HTTP 409", "okta")
	e.want(e.run("idp", "rm", "okta"), 0)
	e.want(e.run("org", "rm", "acme"), 0, "deleted organization acme")
	e.want(e.run("org", "rm", "beta", "--json"), 0, `{"deleted": "beta"}`)
	if n := e.orgCount(); n != 1 {
		t.Errorf("%d organizations after both were deleted, want 1", n)
	}

	// Usage errors are exit 2.
	e.want(e.run("org"), 2)
	e.want(e.run("org", "frobnicate"), 2)
	e.want(e.run("org", "show"), 2)
	e.want(e.run("org", "domain"), 2)
	e.want(e.run("org", "domain", "add", "acme"), 2)
	e.want(e.run("org", "domain", "frobnicate"), 2)
	e.want(e.run("org", "domain", "-h"), 0, "usage: roster org domain <add|verify|rm>")
}

// TestCLIOrgScopeAndRoles: --org on the commands that list or create, admin credentials made
// with the CLI, and what each role's credential gets when it uses the CLI itself.
func TestCLIOrgScopeAndRoles(t *testing.T) {
	e := newCLIEnv(t, false)
	ctx := t.Context()
	e.want(e.run("org", "add", "acme"), 0)
	e.want(e.run("org", "add", "beta"), 0)
	oidc := []string{"--mode", "both", "--protocol", "oidc", "--issuer", "https://idp.example.com", "--client-id", "roster"}
	e.want(e.run(append([]string{"idp", "add", "okta", "--org", "acme"}, oidc...)...), 0, "added IdP okta")
	e.want(e.run(append([]string{"idp", "add", "kc", "--org", "beta"}, oidc...)...), 0, "added IdP kc")
	if e.idp("okta").Org != "acme" || e.idp("kc").Org != "beta" {
		t.Fatalf("stored orgs: okta %q, kc %q", e.idp("okta").Org, e.idp("kc").Org)
	}
	// With three organizations, an IdP without one is refused, naming them.
	r := e.want(e.run(append([]string{"idp", "add", "loose"}, oidc...)...), 1)
	stderrHas(t, r, "HTTP 400", "org is required", `"acme"`, `"beta"`)

	// The same userName in both organizations is two users (R13).
	users := map[string]directory.User{}
	for _, idp := range []string{"okta", "kc"} {
		u, err := e.svc.SCIMCreateUser(ctx, directory.SCIMActor{IdP: idp, TokenID: "t"},
			directory.User{UserName: "ada@example.com", ExternalID: "00u-" + idp, Active: true})
		if err != nil {
			t.Fatal(err)
		}
		users[idp] = u
	}

	r = e.want(e.run("idp", "list"), 0, "ORG", "okta", "acme", "kc", "beta")
	r = e.want(e.run("idp", "list", "--org", "acme"), 0, "okta")
	lacks(t, "idp list --org acme", r.stdout, "kc", "beta")
	r = e.want(e.run("user", "list", "--org", "beta"), 0, "ORG", users["kc"].ID, "beta")
	lacks(t, "user list --org beta", r.stdout, users["okta"].ID)
	r = e.want(e.run("user", "list", "--org", "acme", "--json"), 0)
	var page struct{ Items []struct{ ID, Org string } }
	if err := json.Unmarshal([]byte(r.stdout), &page); err != nil || len(page.Items) != 1 || page.Items[0].ID != users["okta"].ID || page.Items[0].Org != "acme" {
		t.Errorf("user list --org acme --json: %v %s", err, r.stdout)
	}
	e.want(e.run("user", "show", users["kc"].ID), 0, "organization:", "beta")
	r = e.want(e.run("events", "tail", "--follow=false", "--org", "acme"), 0, "idp.created", "subject=okta", "org=acme", "user.created")
	lacks(t, "events tail --org acme", r.stdout, "org=beta", "subject=kc")
	r = e.want(e.run("events", "tail", "--follow=false", "--org", "beta", "--json"), 0)
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var ev struct{ Org string }
		if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.Org != "beta" {
			t.Errorf("events tail --org beta --json printed %s (%v)", line, err)
		}
	}

	// Admin credentials: the secret is printed once, and the list never shows it.
	r = e.want(e.run("admin-token", "create", "--name", "acme-it", "--role", "org-admin", "--org", "acme", "--expires-in", "90d"), 0,
		"org-admin of organization acme", "shown once")
	orgAdmin := secretIn(t, r.stdout, directory.AdminTokenPrefix)
	r = e.want(e.run("admin-token", "create", "--name", "audit", "--role", "viewer", "--json"), 0)
	var created struct{ ID, Token, Role, Org string }
	if err := json.Unmarshal([]byte(r.stdout), &created); err != nil || created.Role != "viewer" || created.Org != "" || created.Token == "" {
		t.Fatalf("admin-token create --json: %v %s", err, r.stdout)
	}
	viewer := created.Token
	tok, err := e.svc.Authenticate(ctx, directory.TokenAdmin, orgAdmin)
	if err != nil || tok.Role != directory.RoleOrgAdmin || tok.Org != "acme" || tok.ExpiresAt.IsZero() {
		t.Fatalf("the printed org-admin secret: %+v, %v", tok, err)
	}
	r = e.want(e.run("admin-token", "list"), 0, "ROLE", "acme-it", "org-admin", "acme", "audit", "viewer", "(all)", "owner")
	lacks(t, "admin-token list", r.stdout, orgAdmin, viewer)
	r = e.want(e.run("admin-token", "list", "--org", "acme"), 0, "acme-it")
	lacks(t, "admin-token list --org acme", r.stdout, "audit")
	r = e.want(e.run("admin-token", "list", "--org", "acme", "--json"), 0)
	var admins struct{ Items []struct{ ID, Name string } }
	if err := json.Unmarshal([]byte(r.stdout), &admins); err != nil || len(admins.Items) != 1 || admins.Items[0].ID != tok.ID {
		t.Errorf("admin-token list --org acme --json: %v %s", err, r.stdout)
	}
	r = e.want(e.run("admin-token", "create", "--name", "x", "--role", "org-admin"), 1)
	stderrHas(t, r, "HTTP 400", "org is required")
	e.want(e.run("admin-token", "create", "--name", "x"), 2)
	e.want(e.run("admin-token", "create", "--role", "viewer", "extra"), 2)

	// The org-admin's CLI sees its organization alone: the other's IdP is as missing as one
	// that does not exist, and what only an owner may do says so.
	r = e.want(e.asToken(orgAdmin, "idp", "list"), 0, "okta")
	lacks(t, "the org-admin's idp list", r.stdout, "kc")
	r = e.want(e.asToken(orgAdmin, "user", "list"), 0, users["okta"].ID)
	lacks(t, "the org-admin's user list", r.stdout, users["kc"].ID)
	hidden, missing := e.asToken(orgAdmin, "idp", "show", "kc"), e.asToken(orgAdmin, "idp", "show", "nope")
	e.want(hidden, 1)
	stderrHas(t, hidden, "HTTP 404")
	if strings.ReplaceAll(hidden.stderr, "kc", "nope") != missing.stderr {
		t.Errorf("another organization's IdP reads unlike a missing one:\n%s\n%s", hidden.stderr, missing.stderr)
	}
	r = e.want(e.asToken(orgAdmin, "org", "add", "gamma"), 1)
	stderrHas(t, r, "HTTP 403", "only an owner", "org-admin")
	r = e.want(e.asToken(orgAdmin, "admin-token", "list"), 1)
	stderrHas(t, r, "HTTP 403")
	e.want(e.asToken(orgAdmin, append([]string{"idp", "add", "okta2", "--org", "acme"}, oidc...)...), 0, "added IdP okta2")
	r = e.want(e.asToken(orgAdmin, append([]string{"idp", "add", "kc2", "--org", "beta"}, oidc...)...), 1)
	stderrHas(t, r, "HTTP 404")

	// The viewer reads everything and writes nothing.
	e.want(e.asToken(viewer, "idp", "list"), 0, "okta", "kc")
	r = e.want(e.asToken(viewer, "idp", "rm", "okta"), 1)
	stderrHas(t, r, "HTTP 403", "viewer")
	r = e.want(e.asToken(viewer, "org", "domain", "add", "acme", "acme.example"), 1)
	stderrHas(t, r, "HTTP 403", "viewer")
	if _, err := e.svc.IdP(ctx, "okta"); err != nil {
		t.Errorf("the viewer's refused rm removed the IdP: %v", err)
	}

	// A revoked credential answers 401.
	e.want(e.run("admin-token", "revoke", tok.ID), 0, "revoked admin token "+tok.ID)
	r = e.want(e.asToken(orgAdmin, "idp", "list"), 1)
	stderrHas(t, r, "HTTP 401")
	e.want(e.run("admin-token", "list"), 0, "revoked")
	r = e.want(e.run("admin-token", "revoke", "nope"), 1)
	stderrHas(t, r, "HTTP 404")
	e.want(e.run("admin-token", "revoke"), 2)
}
