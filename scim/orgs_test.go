package scim

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
)

// R13 over HTTP: a SCIM token of organization A's IdP never sees, counts or collides with the
// users of organization B, whose IdP holds the same userNames.
func TestOrganizationsAreIsolated(t *testing.T) {
	e := newEnv(t) // IdP okta of organization default, and its token
	ctx := context.Background()
	if _, err := e.svc.CreateOrg(ctx, "admin:test", directory.Organization{ID: "globex"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateIdP(ctx, "admin:test", directory.IdP{ID: "globex-okta", Org: "globex", Protocol: directory.ProtocolSAML,
		Mode: directory.ModeBoth}); err != nil {
		t.Fatal(err)
	}
	globex := e.newToken(t, "globex-okta")

	// The same userName, email and externalId at both: two 201s.
	ours := e.createUser("ada@example.com", "00u1")
	theirs := e.doAs(globex, "POST", "/scim/v2/Users", userBody("ada@example.com", "00u1")).must(t, 201).str("id")
	if ours == theirs {
		t.Fatalf("both organizations' creates returned user %s", ours)
	}
	e.doAs(globex, "POST", "/scim/v2/Users", userBody("grace@example.com", "00u2")).must(t, 201)
	// Within one organization the userName is still taken.
	e.do("POST", "/scim/v2/Users", userBody("ADA@example.com", "00u9")).mustSCIMError(t, 409, "uniqueness")

	for _, c := range []struct {
		name, query string
		total       float64
	}{
		{"no filter", "", 1},
		{"userName eq", `userName eq "ada@example.com"`, 1},
		{"userName of globex's other user", `userName eq "grace@example.com"`, 0},
		{"emails.value eq", `emails.value eq "ada@example.com"`, 1},
		{"externalId eq", `externalId eq "00u1"`, 1},
		{"a scanned filter", `userName sw "a"`, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := "/scim/v2/Users"
			if c.query != "" {
				path += "?filter=" + url.QueryEscape(c.query)
			}
			r := e.do("GET", path, nil).must(t, 200)
			if r.Body["totalResults"] != c.total {
				t.Errorf("totalResults = %v, want %v; body %s", r.Body["totalResults"], c.total, r.Raw)
			}
			if strings.Contains(r.Raw, theirs) || strings.Contains(r.Raw, "grace@") {
				t.Errorf("default's token sees globex's users: %s", r.Raw)
			}
		})
	}
	e.do("GET", "/scim/v2/Users/"+theirs, nil).mustSCIMError(t, 404, "")
	if r := e.doAs(globex, "GET", "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "ada@example.com"`), nil).must(t, 200); r.Body["totalResults"] != float64(1) || !strings.Contains(r.Raw, theirs) {
		t.Errorf("globex's own filter: %s", r.Raw)
	}
	for id, org := range map[string]string{ours: directory.DefaultOrg, theirs: "globex"} {
		if u := e.user(id); u.Org != org {
			t.Errorf("user %s is of %q, want %s", id, u.Org, org)
		}
	}
}

// R13: under email_domains "verified", a SCIM write with an email outside the organization's
// verified domains is a 400 invalidValue naming the domain, recorded as an event.
func TestEmailOutsideVerifiedDomainsIsInvalid(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	d, err := e.svc.AddDomain(ctx, "admin:test", directory.DefaultOrg, "example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.MarkDomainVerified(ctx, "admin:test", directory.DefaultOrg, "example.com", []string{d.TXTValue}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdateOrg(ctx, "admin:test", directory.DefaultOrg, func(o directory.Organization) (directory.Organization, error) {
		o.EmailDomains = directory.EmailDomainsVerified
		return o, nil
	}); err != nil {
		t.Fatal(err)
	}
	id := e.createUser("ada@example.com", "00u1")
	before := e.dir.Snapshot()
	r := e.do("POST", "/scim/v2/Users", userBody("grace@elsewhere.example", "00u2"))
	r.mustSCIMError(t, 400, "invalidValue")
	if d, _ := r.Body["detail"].(string); !strings.Contains(d, `"elsewhere.example"`) || !strings.Contains(d, "R13") {
		t.Errorf("detail %q; want it to name the domain and R13", d)
	}
	patch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"emails","value":[{"value":"ada@elsewhere.example"}]}]}`
	e.do("PATCH", "/scim/v2/Users/"+id, patch).mustSCIMError(t, 400, "invalidValue")
	evs := e.events(before.LastSeq)
	if len(evs) != 2 || evs[0].Rule != directory.RuleR13 || evs[1].Rule != directory.RuleR13 || evs[0].Type != directory.EventSCIMRefused {
		t.Errorf("events after the refusals: %+v; want two scim.refused by R13", evs)
	}
	before.LastSeq = e.dir.LastSeq()
	e.dir.MustUnchanged(before)
}
