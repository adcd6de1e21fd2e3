package jit_test

import (
	"net/http"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testidp"
)

// A person signing in at an IdP of organization acme is acme's: /api/v1/me says "org" and
// /auth/verify says X-Roster-Org, for the product to scope what it shows.
func TestSignInCarriesTheOrganization(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.CreateOrg(e.ctx, "admin:test", directory.Organization{ID: "acme"}); err != nil {
		t.Fatal(err)
	}
	e.addIdP(directory.IdP{ID: "acme-okta", Org: "acme", Preset: "okta", Mode: directory.ModeJIT})
	e.idp.SignIn(testidp.Person{NameID: "00u1", Attrs: testidp.Attrs("uniqueUserId", "00u1", "email", "ada@acme.example")})
	b := newBrowser(t)
	b.login(e, "acme-okta", "/", "/")
	status, me := b.me(e)
	if status != http.StatusOK || me.Org != "acme" || me.IdP != "acme-okta" {
		t.Fatalf("/api/v1/me = %d %+v; want acme's user", status, me)
	}
	resp, _ := b.Visit(e.url("/auth/verify"))
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("X-Roster-Org") != "acme" || resp.Header.Get("X-Roster-User-Id") != me.ID {
		t.Errorf("/auth/verify = %d, X-Roster-Org %q, X-Roster-User-Id %q; want 204, acme, %s",
			resp.StatusCode, resp.Header.Get("X-Roster-Org"), resp.Header.Get("X-Roster-User-Id"), me.ID)
	}
}

// R13: an organization that accepts only emails of its verified domains refuses a sign-in
// whose email is outside them, with the refusal page and an event naming R13; nobody is signed
// in and no user is made.
func TestSignInWithAnEmailOutsideTheVerifiedDomainsIsRefused(t *testing.T) {
	e := newEnv(t)
	org := directory.DefaultOrg
	d, err := e.svc.AddDomain(e.ctx, "admin:test", org, "acme.example")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.MarkDomainVerified(e.ctx, "admin:test", org, "acme.example", []string{d.TXTValue}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdateOrg(e.ctx, "admin:test", org, func(o directory.Organization) (directory.Organization, error) {
		o.EmailDomains = directory.EmailDomainsVerified
		return o, nil
	}); err != nil {
		t.Fatal(err)
	}
	e.addIdP(directory.IdP{ID: "okta", Preset: "okta", Mode: directory.ModeJIT})
	e.idp.SignIn(testidp.Person{NameID: "00u1", Attrs: testidp.Attrs("uniqueUserId", "00u1", "email", "mal@elsewhere.example")})
	before := e.Snapshot()
	b := newBrowser(t)
	resp, body := b.Submit(b.startLogin(e, "okta", "/"))
	evs := e.Events(before.LastSeq)
	if resp.StatusCode != http.StatusForbidden || !contains(body, "not accepted") {
		t.Fatalf("ACS answered %d:\n%s", resp.StatusCode, body)
	}
	if len(evs) != 1 || evs[0].Type != directory.EventLoginRefused || evs[0].Rule != "R13" || evs[0].Org != org || !contains(body, evs[0].ID) {
		t.Errorf("events %+v; want one login.refused by R13, quoted on the page", evs)
	}
	if code := b.verify(e); code != http.StatusUnauthorized {
		t.Errorf("/auth/verify after the refusal: %d, want 401", code)
	}
	before.LastSeq = e.LastSeq()
	e.MustUnchanged(before)

	// The same person with an email of the verified domain signs in.
	e.idp.SignIn(testidp.Person{NameID: "00u1", Attrs: testidp.Attrs("uniqueUserId", "00u1", "email", "ada@acme.example")})
	b.login(e, "okta", "/", "/")
	if status, me := b.me(e); status != http.StatusOK || me.Org != org {
		t.Errorf("/api/v1/me after signing in with a verified domain's email: %d %+v", status, me)
	}
}
