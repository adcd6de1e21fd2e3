package directory

import "testing"

func TestAuthorize(t *testing.T) {
	owner := Principal{ID: "t1", Role: RoleOwner}
	adminA := Principal{ID: "t2", Role: RoleOrgAdmin, Org: "a"}
	viewerAll := Principal{ID: "t3", Role: RoleViewer}
	viewerA := Principal{ID: "t4", Role: RoleViewer, Org: "a"}
	adminNoOrg := Principal{ID: "t5", Role: RoleOrgAdmin}
	unknownRole := Principal{ID: "t6", Role: "superuser"}

	const ok, nf, fb = AuthAllowed, AuthNotFound, AuthForbidden
	cases := []struct {
		name string
		p    Principal
		a    Action
		org  string
		want AuthStatus
	}{
		{"owner reads A", owner, ActionRead, "a", ok},
		{"owner writes B", owner, ActionWrite, "b", ok},
		{"owner does owner things", owner, ActionOwner, "", ok},
		{"owner does owner things in A", owner, ActionOwner, "a", ok},

		{"org-admin of A reads A", adminA, ActionRead, "a", ok},
		{"org-admin of A writes A", adminA, ActionWrite, "a", ok},
		{"org-admin of A reads B: does not exist", adminA, ActionRead, "b", nf},
		{"org-admin of A writes B: does not exist", adminA, ActionWrite, "b", nf},
		{"org-admin of A owner action on B: does not exist", adminA, ActionOwner, "b", nf},
		{"org-admin of A owner action on A", adminA, ActionOwner, "a", fb},
		{"org-admin reads unscoped", adminA, ActionRead, "", ok},
		{"org-admin writes unscoped", adminA, ActionWrite, "", fb},
		{"org-admin owner action unscoped", adminA, ActionOwner, "", fb},

		{"viewer of all reads A", viewerAll, ActionRead, "a", ok},
		{"viewer of all reads B", viewerAll, ActionRead, "b", ok},
		{"viewer of all writes A", viewerAll, ActionWrite, "a", fb},
		{"viewer of all owner action", viewerAll, ActionOwner, "", fb},

		{"viewer of A reads A", viewerA, ActionRead, "a", ok},
		{"viewer of A writes A", viewerA, ActionWrite, "a", fb},
		{"viewer of A reads B: does not exist", viewerA, ActionRead, "b", nf},
		{"viewer of A writes B: does not exist", viewerA, ActionWrite, "b", nf},
		{"viewer of A reads unscoped", viewerA, ActionRead, "", ok},
		{"viewer of A writes unscoped", viewerA, ActionWrite, "", fb},

		// A resource of every organization (a webhook of every organization's events): only a
		// principal of every organization sees it, only an owner changes it.
		{"owner reads every org's", owner, ActionRead, AllOrgs, ok},
		{"owner writes every org's", owner, ActionWrite, AllOrgs, ok},
		{"org-admin of A reads every org's: does not exist", adminA, ActionRead, AllOrgs, nf},
		{"org-admin of A writes every org's: does not exist", adminA, ActionWrite, AllOrgs, nf},
		{"viewer of all reads every org's", viewerAll, ActionRead, AllOrgs, ok},
		{"viewer of all writes every org's", viewerAll, ActionWrite, AllOrgs, fb},
		{"viewer of A reads every org's: does not exist", viewerA, ActionRead, AllOrgs, nf},
		{"viewer of A writes every org's: does not exist", viewerA, ActionWrite, AllOrgs, nf},
		{"org-admin of no org reads every org's", adminNoOrg, ActionRead, AllOrgs, fb},

		{"org-admin of no org reads A", adminNoOrg, ActionRead, "a", fb},
		{"org-admin of no org writes unscoped", adminNoOrg, ActionWrite, "", fb},
		{"unknown role reads", unknownRole, ActionRead, "a", fb},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Authorize(c.p, c.a, c.org)
			if d.Status != c.want {
				t.Fatalf("Authorize(%+v, %s, %q) = %+v, want status %d", c.p, c.a, c.org, d, c.want)
			}
			if d.Status == AuthForbidden && d.Reason == "" {
				t.Errorf("a 403 must say why")
			}
			if d.Allowed() != (c.want == AuthAllowed) {
				t.Errorf("Allowed() = %v", d.Allowed())
			}
		})
	}
}

func TestPrincipalActor(t *testing.T) {
	cases := []struct {
		p    Principal
		want string
	}{
		{Principal{ID: "tok1", Name: "ci-bot", Role: RoleOwner}, "admin:ci-bot"},
		{Principal{ID: "tok1", Role: RoleOwner}, "admin:tok1"},
		{Principal{ID: "link7", Name: "Acme set-up", Kind: "setup"}, "setup:link7"},
		{Principal{ID: "user9", Name: "ada@acme.test", Kind: "console"}, "console:user9"},
	}
	for _, c := range cases {
		if got := c.p.Actor(); got != c.want {
			t.Errorf("%+v.Actor() = %q, want %q", c.p, got, c.want)
		}
	}
}

func TestValidateDomain(t *testing.T) {
	good := []string{"example.com", "Acme.Example.COM.", "xn--bcher-kva.example", "a-b.co"}
	bad := []string{"", "*.com", "com", "192.0.2.1", "::1", "exa mple.com", "-a.com", "a-.com", "a..com",
		"example.123", string(make([]byte, 300)), "ex_ample.com"}
	for _, d := range good {
		if err := ValidateDomain(d); err != nil {
			t.Errorf("ValidateDomain(%q) = %v, want nil", d, err)
		}
	}
	for _, d := range bad {
		if err := ValidateDomain(d); err == nil {
			t.Errorf("ValidateDomain(%q) = nil, want an error", d)
		}
	}
}
