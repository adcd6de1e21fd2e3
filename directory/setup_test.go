package directory_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/rosterhq/roster/directory"
)

// setup_test.go drives self-service set-up in the domain: the intent half of the one
// authorization decision, set-up links and their sessions, console access and sessions, the
// test sign-in, the key's explanation on login events, home-realm discovery and connection
// health, over a real bbolt store.

func TestAuthorizeArea(t *testing.T) {
	setup := func(intent SetupIntent) Principal {
		return Principal{ID: "link1", Role: RoleOrgAdmin, Org: "a", Kind: KindSetup, Intent: intent}
	}
	const ok, nf, fb = AuthAllowed, AuthNotFound, AuthForbidden
	const read, write = ActionRead, ActionWrite
	cases := []struct {
		name string
		p    Principal
		a    Action
		area Area
		org  string
		want AuthStatus
	}{
		{"sso reads its org", setup(SetupSSO), read, AreaOrg, "a", ok},
		{"sso may not change its org", setup(SetupSSO), write, AreaOrg, "a", fb},
		{"sso creates IdPs", setup(SetupSSO), write, AreaIdPs, "a", ok},
		{"sso tests a sign-in", setup(SetupSSO), write, AreaTestSignIn, "a", ok},
		{"sso may not make SCIM tokens", setup(SetupSSO), write, AreaSCIMTokens, "a", fb},
		{"sso may not read SCIM tokens", setup(SetupSSO), read, AreaSCIMTokens, "a", fb},
		{"sso may not verify domains", setup(SetupSSO), write, AreaDomains, "a", fb},
		{"sso may not read users", setup(SetupSSO), read, AreaOther, "a", fb},
		{"sso reads presets", setup(SetupSSO), read, AreaPresets, "", ok},
		{"sso asks who it is", setup(SetupSSO), read, AreaSelf, "", ok},

		{"scim makes SCIM tokens", setup(SetupSCIM), write, AreaSCIMTokens, "a", ok},
		{"scim reads IdPs", setup(SetupSCIM), read, AreaIdPs, "a", ok},
		{"scim may not change IdPs", setup(SetupSCIM), write, AreaIdPs, "a", fb},
		{"scim may not test a sign-in", setup(SetupSCIM), write, AreaTestSignIn, "a", fb},
		{"scim may not verify domains", setup(SetupSCIM), write, AreaDomains, "a", fb},

		{"domain verifies domains", setup(SetupDomain), write, AreaDomains, "a", ok},
		{"domain reads its org", setup(SetupDomain), read, AreaOrg, "a", ok},
		{"domain may not read IdPs", setup(SetupDomain), read, AreaIdPs, "a", fb},
		{"domain may not make SCIM tokens", setup(SetupDomain), write, AreaSCIMTokens, "a", fb},

		{"all creates IdPs", setup(SetupAll), write, AreaIdPs, "a", ok},
		{"all makes SCIM tokens", setup(SetupAll), write, AreaSCIMTokens, "a", ok},
		{"all verifies domains", setup(SetupAll), write, AreaDomains, "a", ok},
		{"all tests a sign-in", setup(SetupAll), write, AreaTestSignIn, "a", ok},
		{"all may not read events", setup(SetupAll), read, AreaOther, "a", fb},
		{"all may not do owner things", setup(SetupAll), ActionOwner, AreaOrg, "a", fb},
		{"all may not create an organization", setup(SetupAll), write, AreaOrg, "", fb},

		{"another organization's IdP does not exist", setup(SetupAll), read, AreaIdPs, "b", nf},
		{"another organization's domain does not exist", setup(SetupDomain), write, AreaDomains, "b", nf},
		{"an unknown intent reaches nothing", setup("everything"), read, AreaOrg, "a", fb},
		{"a set-up session that claims to be an owner is refused",
			Principal{ID: "link1", Role: RoleOwner, Kind: KindSetup, Intent: SetupAll}, read, AreaOrg, "a", fb},
		{"a set-up session of no organization is refused",
			Principal{ID: "link1", Role: RoleOrgAdmin, Kind: KindSetup, Intent: SetupAll}, read, AreaOrg, "a", fb},

		{"an admin token is not limited by area", Principal{ID: "t", Role: RoleOrgAdmin, Org: "a"}, read, AreaOther, "a", ok},
		{"a console org-admin is not limited by area", Principal{ID: "u", Role: RoleOrgAdmin, Org: "a", Kind: KindConsole}, write, AreaOther, "a", ok},
		{"a console viewer still only reads", Principal{ID: "u", Role: RoleViewer, Org: "a", Kind: KindConsole}, write, AreaIdPs, "a", fb},
		{"a console owner writes anywhere", Principal{ID: "u", Role: RoleOwner, Kind: KindConsole}, write, AreaOther, "b", ok},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := AuthorizeArea(c.p, c.a, c.area, c.org)
			if d.Status != c.want {
				t.Fatalf("AuthorizeArea(%+v, %s, %q, %q) = %+v, want status %d", c.p, c.a, c.area, c.org, d, c.want)
			}
			if d.Status == AuthForbidden && d.Reason == "" {
				t.Errorf("a 403 must say why")
			}
		})
	}
	d := AuthorizeArea(setup(SetupDomain), ActionRead, AreaIdPs, "a")
	if !strings.Contains(d.Reason, `intent "domain"`) || !strings.Contains(d.Reason, "domains") {
		t.Errorf("the refusal of a domain link says %q; want it to name the intent and what it may do", d.Reason)
	}
}

func TestDecideConsoleAccess(t *testing.T) {
	acme := Organization{ID: "acme", ConsoleAccess: &ConsoleAccess{IdP: "okta", AdminGroups: []string{"Roster Admins"}, ViewerGroups: []string{"Helpdesk"}}}
	none := Organization{ID: "globex"}
	cases := []struct {
		name     string
		org      Organization
		operator string
		idp      string
		groups   []string
		allowed  bool
		role     Role
		inOrg    string
		group    string
	}{
		{"admin group: org-admin of that organization", acme, "", "okta", []string{"Everyone", "Roster Admins"}, true, RoleOrgAdmin, "acme", "Roster Admins"},
		{"groups compare case-insensitively", acme, "", "okta", []string{" roster admins "}, true, RoleOrgAdmin, "acme", "roster admins"},
		{"viewer group: viewer of that organization", acme, "", "okta", []string{"Helpdesk"}, true, RoleViewer, "acme", "Helpdesk"},
		{"admin wins over viewer", acme, "", "okta", []string{"Helpdesk", "Roster Admins"}, true, RoleOrgAdmin, "acme", "Roster Admins"},
		{"no console group: refused", acme, "", "okta", []string{"Everyone"}, false, "", "", ""},
		{"no groups asserted: refused", acme, "", "okta", nil, false, "", "", ""},
		{"another IdP of the organization: refused", acme, "", "entra", []string{"Roster Admins"}, false, "", "", ""},
		{"no console access: refused", none, "", "okta", []string{"Roster Admins"}, false, "", "", ""},
		{"operator organization's admins are owners", acme, "acme", "okta", []string{"Roster Admins"}, true, RoleOwner, "", "Roster Admins"},
		{"operator organization's viewers see everything", acme, "acme", "okta", []string{"Helpdesk"}, true, RoleViewer, "", "Helpdesk"},
		{"another operator organization changes nothing", acme, "globex", "okta", []string{"Roster Admins"}, true, RoleOrgAdmin, "acme", "Roster Admins"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := DecideConsoleAccess(c.org, c.operator, c.idp, c.groups)
			if d.Allowed != c.allowed || d.Role != c.role || d.Org != c.inOrg || d.Group != c.group {
				t.Fatalf("DecideConsoleAccess = %+v; want allowed %v, role %q of %q by group %q", d, c.allowed, c.role, c.inOrg, c.group)
			}
			if d.Reason == "" {
				t.Errorf("a decision must say why")
			}
		})
	}
}

// kvCount counts the entries of a KV namespace, to show that something stored nothing.
func (e *env) kvCount(ns string) int {
	e.t.Helper()
	n := 0
	if err := e.svc.View(e.ctx, func(tx ReadTx) error {
		return tx.ScanKV(ns, e.clock.Now(), func(string, []byte) error { n++; return nil })
	}); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestServiceSetupLinks(t *testing.T) {
	e := newEnv(t)
	e.createOrg("acme")
	e.createOrg("globex")
	now := e.clock.Now()
	for _, bad := range []struct {
		org     string
		intent  SetupIntent
		expires time.Time
		says    string
	}{
		{"acme", "admin", now.Add(time.Hour), `intent "admin" is not known`},
		{"acme", SetupSSO, now, "must expire in the future"},
		{"acme", SetupSSO, now.Add(31 * 24 * time.Hour), "30 days at most"},
		{"", SetupSSO, now.Add(time.Hour), "needs an organization"},
	} {
		if _, _, err := e.svc.CreateSetupLink(e.ctx, "admin:test", bad.org, bad.intent, bad.expires); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), bad.says) {
			t.Errorf("CreateSetupLink(%q, %q, %s): %v; want ErrInvalid saying %q", bad.org, bad.intent, bad.expires, err, bad.says)
		}
	}
	if _, _, err := e.svc.CreateSetupLink(e.ctx, "admin:test", "initech", SetupSSO, now.Add(time.Hour)); !errors.Is(err, ErrInvalid) {
		t.Errorf("a link of an unknown organization: %v, want ErrInvalid", err)
	}

	seq := e.lastSeq()
	link, secret, err := e.svc.CreateSetupLink(e.ctx, "admin:test", "acme", SetupSSO, now.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, SetupLinkPrefix) || link.Org != "acme" || link.Intent != SetupSSO || link.Status(now) != "active" {
		t.Fatalf("link %+v, secret %q", link, secret)
	}
	if evs := e.eventsAfter(seq); len(evs) != 1 || evs[0].Type != EventSetupLinkCreated || evs[0].Org != "acme" || evs[0].Actor != "admin:test" {
		t.Errorf("creating a link wrote %+v; want one setup_link.created of acme by admin:test", evs)
	}
	// The store keeps the hash only.
	var stored Token
	if err := e.svc.View(e.ctx, func(tx ReadTx) (err error) { stored, err = tx.Token(link.ID); return err }); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(fmt.Sprintf("%+v", stored), strings.TrimPrefix(secret, SetupLinkPrefix)) {
		t.Errorf("the stored link holds its secret: %+v", stored)
	}
	if _, _, err := e.svc.CreateSetupLink(e.ctx, "admin:test", "globex", SetupAll, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	links, err := e.svc.SetupLinks(e.ctx, "acme")
	if err != nil || len(links) != 1 || links[0].ID != link.ID {
		t.Errorf("acme's links: %+v, %v; want only its own", links, err)
	}
	// A set-up link is no admin token and no SCIM token.
	for _, kind := range []TokenKind{TokenAdmin, TokenSCIM} {
		if _, err := e.svc.Authenticate(e.ctx, kind, secret); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("the link's secret authenticates as a %s token: %v", kind, err)
		}
	}

	// Opening it starts a session: an org-admin of acme limited to sso, acting as the link.
	seq = e.lastSeq()
	opened, session, err := e.svc.OpenSetupLink(e.ctx, secret, 12*time.Hour)
	if err != nil || opened.ID != link.ID {
		t.Fatalf("OpenSetupLink: %+v, %v", opened, err)
	}
	evs := e.eventsAfter(seq)
	if len(evs) != 1 || evs[0].Type != EventSetupLinkOpened || evs[0].Actor != "setup:"+link.ID || evs[0].Org != "acme" {
		t.Errorf("opening wrote %+v; want one setup_link.opened by setup:%s", evs, link.ID)
	}
	p, err := e.svc.SetupPrincipal(e.ctx, session)
	want := Principal{ID: link.ID, Name: "set-up link (sso)", Role: RoleOrgAdmin, Org: "acme", Kind: KindSetup, Intent: SetupSSO, ExpiresAt: link.ExpiresAt}
	if err != nil || p != want {
		t.Fatalf("SetupPrincipal: %+v, %v; want %+v", p, err, want)
	}
	if p.Actor() != "setup:"+link.ID {
		t.Errorf("actor %q", p.Actor())
	}
	for _, wrong := range []string{"", secret, session + "x", strings.Replace(session, "rst_setupsess_", "rst_sess_", 1)} {
		if _, err := e.svc.SetupPrincipal(e.ctx, wrong); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("SetupPrincipal(%q): %v, want ErrUnauthenticated", wrong, err)
		}
	}

	// A link that cannot be opened says why, and stores and records nothing.
	expectRefused := func(secret, state string) {
		t.Helper()
		seq, sessions := e.lastSeq(), e.kvCount("setup.session")
		_, _, err := e.svc.OpenSetupLink(e.ctx, secret, time.Hour)
		var le *SetupLinkError
		if !errors.As(err, &le) || le.State != state || !errors.Is(err, ErrUnauthenticated) {
			t.Fatalf("opening %q: %v; want a SetupLinkError %q", secret, err, state)
		}
		if evs := e.eventsAfter(seq); len(evs) != 0 || e.kvCount("setup.session") != sessions {
			t.Errorf("a refused opening wrote %d events and %d sessions", len(evs), e.kvCount("setup.session")-sessions)
		}
	}
	// A character changed in the middle of the secret (not the last one, whose low bits a
	// base64 decoder may ignore).
	mid := len(SetupLinkPrefix) + (len(secret)-len(SetupLinkPrefix))/2
	swapped := byte('A')
	if secret[mid] == 'A' {
		swapped = 'B'
	}
	expectRefused(secret[:mid]+string(swapped)+secret[mid+1:], SetupLinkUnknown)
	expectRefused(secret+"x", SetupLinkUnknown)
	expectRefused("rst_admin_"+strings.TrimPrefix(secret, SetupLinkPrefix), SetupLinkUnknown)
	expectRefused("", SetupLinkUnknown)

	// Past its expiry the link neither opens nor keeps its sessions.
	e.clock.Advance(49 * time.Hour)
	expectRefused(secret, SetupLinkExpired)
	if _, err := e.svc.SetupPrincipal(e.ctx, session); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("a session of an expired link: %v, want ErrUnauthenticated", err)
	}

	// Revoking ends the sessions at once.
	link2, secret2, err := e.svc.CreateSetupLink(e.ctx, "admin:test", "acme", SetupDomain, e.clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	_, session2, err := e.svc.OpenSetupLink(e.ctx, secret2, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	seq = e.lastSeq()
	revoked, err := e.svc.RevokeSetupLink(e.ctx, "admin:test", link2.ID)
	if err != nil || revoked.Status(e.clock.Now()) != "revoked" {
		t.Fatalf("RevokeSetupLink: %+v, %v", revoked, err)
	}
	if _, err := e.svc.RevokeSetupLink(e.ctx, "admin:test", link2.ID); err != nil {
		t.Errorf("revoking twice: %v", err)
	}
	if evs := e.eventsAfter(seq); len(evs) != 1 || evs[0].Type != EventSetupLinkRevoked {
		t.Errorf("revoking (twice) wrote %+v; want one setup_link.revoked", evs)
	}
	if _, err := e.svc.SetupPrincipal(e.ctx, session2); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("a session of a revoked link: %v, want ErrUnauthenticated", err)
	}
	expectRefused(secret2, SetupLinkRevoked)
	if _, err := e.svc.RevokeSetupLink(e.ctx, "admin:test", "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoking an unknown link: %v", err)
	}
	// An admin token is no set-up link.
	admin, _, err := e.svc.CreateAdminToken(e.ctx, "admin:test", "ops", RoleOwner, "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RevokeSetupLink(e.ctx, "admin:test", admin.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoking an admin token as a set-up link: %v, want ErrNotFound", err)
	}

	// Deleting the organization revokes its links.
	link3, secret3, err := e.svc.CreateSetupLink(e.ctx, "admin:test", "globex", SetupAll, e.clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteOrg(e.ctx, "admin:test", "globex"); err != nil {
		t.Fatal(err)
	}
	if l, err := e.svc.SetupLink(e.ctx, link3.ID); err != nil || l.Status(e.clock.Now()) != "revoked" {
		t.Errorf("globex's link after globex was deleted: %+v, %v; want revoked", l, err)
	}
	expectRefused(secret3, SetupLinkRevoked)
}

// consoleOrg makes organization acme with IdP okta (mode jit) whose "Roster Admins" are
// org-admins and "Helpdesk" viewers in the console.
func (e *env) consoleOrg() {
	e.t.Helper()
	e.createOrg("acme")
	e.createIdP("okta", ModeJIT, inOrg("acme"))
	if _, err := e.svc.UpdateOrg(e.ctx, "admin:test", "acme", func(o Organization) (Organization, error) {
		o.ConsoleAccess = &ConsoleAccess{IdP: "okta", AdminGroups: []string{"Roster Admins"}, ViewerGroups: []string{"Helpdesk"}}
		return o, nil
	}); err != nil {
		e.t.Fatal(err)
	}
}

func TestServiceConsoleSessions(t *testing.T) {
	e := newEnv(t)
	e.consoleOrg()
	ada := e.mustLogin(Login{IdP: "okta", UniqueUserID: "00u1", Email: "ada@acme.test"})

	d, err := e.svc.DecideConsole(e.ctx, "okta", []string{"Roster Admins"}, "")
	if err != nil || !d.Allowed || d.Role != RoleOrgAdmin || d.Org != "acme" {
		t.Fatalf("DecideConsole: %+v, %v", d, err)
	}
	seq := e.lastSeq()
	p, secret, err := e.svc.StartConsoleSession(e.ctx, ada.ID, "okta", []string{"Roster Admins"}, "", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	want := Principal{ID: ada.ID, Name: ada.UserName, Role: RoleOrgAdmin, Org: "acme", Kind: KindConsole, ExpiresAt: e.clock.Now().Add(time.Hour)}
	if p != want {
		t.Errorf("principal %+v, want %+v", p, want)
	}
	if evs := e.eventsAfter(seq); len(evs) != 1 || evs[0].Type != EventConsoleSignedIn || evs[0].Actor != "console:"+ada.ID || evs[0].Org != "acme" {
		t.Errorf("starting a console session wrote %+v", evs)
	}
	if got, err := e.svc.ConsolePrincipal(e.ctx, secret); err != nil || got != want {
		t.Errorf("ConsolePrincipal: %+v, %v", got, err)
	}
	for _, wrong := range []string{"", secret + "x", "rst_sess_" + strings.TrimPrefix(secret, "rst_console_")} {
		if _, err := e.svc.ConsolePrincipal(e.ctx, wrong); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("ConsolePrincipal(%q): %v", wrong, err)
		}
	}

	// Someone of no console group gets no session, and neither does a deactivated user.
	bob := e.mustLogin(Login{IdP: "okta", UniqueUserID: "00u2", Email: "bob@acme.test"})
	if _, _, err := e.svc.StartConsoleSession(e.ctx, bob.ID, "okta", []string{"Everyone"}, "", time.Hour); !refusedWith(err, RefuseConsoleAccess) {
		t.Errorf("a session for someone of no console group: %v", err)
	}
	ref, err := e.svc.RefuseConsole(e.ctx, "okta", "00u2", DecideConsoleAccess(Organization{ID: "acme"}, "", "okta", nil))
	if err != nil || ref.EventID == "" || ref.Code != RefuseConsoleAccess {
		t.Errorf("RefuseConsole: %+v, %v", ref, err)
	}

	// R6: deactivating the person ends the console session at once.
	if _, err := e.svc.DeactivateUser(e.ctx, "admin:test", ada.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ConsolePrincipal(e.ctx, secret); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("the console session of a deactivated user: %v, want ErrUnauthenticated", err)
	}
	if _, _, err := e.svc.StartConsoleSession(e.ctx, ada.ID, "okta", []string{"Roster Admins"}, "", time.Hour); !refusedWith(err, RefuseDeactivated) {
		t.Errorf("a new session for a deactivated user: %v", err)
	}

	// Withdrawing console access ends the sessions it granted.
	carol := e.mustLogin(Login{IdP: "okta", UniqueUserID: "00u3", Email: "carol@acme.test"})
	_, carolSecret, err := e.svc.StartConsoleSession(e.ctx, carol.ID, "okta", []string{"Helpdesk"}, "", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := e.svc.ConsolePrincipal(e.ctx, carolSecret); err != nil || p.Role != RoleViewer {
		t.Fatalf("carol: %+v, %v", p, err)
	}
	if _, err := e.svc.UpdateOrg(e.ctx, "admin:test", "acme", func(o Organization) (Organization, error) {
		o.ConsoleAccess = nil
		return o, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ConsolePrincipal(e.ctx, carolSecret); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("a console session after console access was withdrawn: %v", err)
	}

	// Signing out ends a session; expiry does too.
	dave := e.mustLogin(Login{IdP: "okta", UniqueUserID: "00u4", Email: "dave@acme.test"})
	e.consoleAccessAgain()
	_, s1, _ := e.svc.StartConsoleSession(e.ctx, dave.ID, "okta", []string{"Roster Admins"}, "", time.Hour)
	_, s2, _ := e.svc.StartConsoleSession(e.ctx, dave.ID, "okta", []string{"Roster Admins"}, "", time.Hour)
	if err := e.svc.EndConsoleSession(e.ctx, s1); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ConsolePrincipal(e.ctx, s1); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("a signed-out session: %v", err)
	}
	if _, err := e.svc.ConsolePrincipal(e.ctx, s2); err != nil {
		t.Errorf("the other session ended with the first: %v", err)
	}
	e.clock.Advance(61 * time.Minute)
	if _, err := e.svc.ConsolePrincipal(e.ctx, s2); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("an expired session: %v", err)
	}
}

func (e *env) consoleAccessAgain() {
	e.t.Helper()
	if _, err := e.svc.UpdateOrg(e.ctx, "admin:test", "acme", func(o Organization) (Organization, error) {
		o.ConsoleAccess = &ConsoleAccess{IdP: "okta", AdminGroups: []string{"Roster Admins"}}
		return o, nil
	}); err != nil {
		e.t.Fatal(err)
	}
}

func refusedWith(err error, code string) bool {
	r, ok := AsRefusal(err)
	return ok && r.Code == code
}

func TestServiceTestLogin(t *testing.T) {
	e := newEnv(t)
	e.createOrg("acme")
	e.createIdP("okta", ModeBoth, inOrg("acme"))
	e.createIdP("scimonly", ModeSCIM, inOrg("acme"))
	users := func() int {
		n := 0
		if err := e.svc.View(e.ctx, func(tx ReadTx) (err error) { n, err = tx.CountUsers("", ""); return err }); err != nil {
			t.Fatal(err)
		}
		return n
	}

	seq := e.lastSeq()
	in := Login{IdP: "okta", UniqueUserID: "00u1", Email: "ada@acme.test", FirstName: "Ada", Groups: []string{"Eng"}, GroupsAsserted: true, KeySource: KeyMapped}
	res, err := e.svc.TestLogin(e.ctx, "setup:link1", in, nil, PutOnce(OnceSAMLAssertion, "okta/a1", []byte{1}, e.clock.Now().Add(time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Decision.Action != LoginCreate || res.Decision.Rule != RuleR4 {
		t.Errorf("decision %+v; want create by R4", res.Decision)
	}
	evs := e.eventsAfter(seq)
	if len(evs) != 1 {
		t.Fatalf("a test sign-in wrote %d events: %+v", len(evs), evs)
	}
	ev := evs[0]
	if ev.Type != EventLoginTested || ev.Actor != "setup:link1" || ev.Org != "acme" || ev.IdP != "okta" || ev.Rule != RuleR4 ||
		ev.KeySource != KeyMapped || ev.ID != res.Event.ID || !LoginTestPassed(ev) {
		t.Errorf("event %+v", ev)
	}
	if strings.Contains(fmt.Sprintf("%+v", ev), "00u1") || strings.Contains(fmt.Sprintf("%+v", ev), "ada@") || ev.User != nil {
		t.Errorf("the login.tested event holds something of the person: %+v", ev)
	}
	if users() != 0 {
		t.Errorf("a test sign-in created a user")
	}
	var groups int
	_ = e.svc.View(e.ctx, func(tx ReadTx) error {
		return tx.ScanGroups(ScanQuery{}, func(Group) error { groups++; return nil })
	})
	if groups != 0 {
		t.Errorf("a test sign-in created %d groups", groups)
	}
	// Its one-time keys are used like a real sign-in's.
	if _, err := e.svc.TestLogin(e.ctx, "setup:link1", in, nil, PutOnce(OnceSAMLAssertion, "okta/a1", []byte{1}, e.clock.Now().Add(time.Minute))); !errors.Is(err, ErrUsed) {
		t.Errorf("a replayed test sign-in: %v, want ErrUsed", err)
	}

	// Warnings of the edge and of the decision make the test fail; mode scim's refusal of a
	// person not provisioned yet does not.
	res, err = e.svc.TestLogin(e.ctx, "console:u1", Login{IdP: "okta", UniqueUserID: "sub-1", KeySource: KeyFallback},
		[]string{"uniqueUserId came from the OIDC sub"})
	if err != nil || LoginTestPassed(res.Event) || len(res.Event.Warnings) != 1 || !strings.Contains(res.Event.Reason, "1 warning") {
		t.Errorf("a test with a warning: %+v, %v", res.Event, err)
	}
	res, err = e.svc.TestLogin(e.ctx, "console:u1", Login{IdP: "scimonly", UniqueUserID: "00u9", KeySource: KeyMapped}, nil)
	if err != nil || res.Decision.Code != RefuseNotProvisioned || !LoginTestPassed(res.Event) {
		t.Errorf("mode scim, not provisioned yet: %+v / %+v, %v; want a passed test", res.Decision, res.Event, err)
	}
	res, err = e.svc.TestLogin(e.ctx, "console:u1", Login{IdP: "okta", KeySource: ""}, nil)
	if err != nil || res.Decision.Code != RefuseNoIdentity || LoginTestPassed(res.Event) || len(res.Event.Warnings) != 1 {
		t.Errorf("no key: %+v / %+v, %v; want a failed test with the refusal as its warning", res.Decision, res.Event, err)
	}
	// The decision is on the current state: a deactivated person's test says so.
	u := e.mustLogin(Login{IdP: "okta", UniqueUserID: "00u1", Email: "ada@acme.test"})
	if _, err := e.svc.DeactivateUser(e.ctx, "admin:test", u.ID); err != nil {
		t.Fatal(err)
	}
	before := e.lastSeq()
	res, err = e.svc.TestLogin(e.ctx, "console:u1", in, nil)
	if err != nil || res.Decision.Code != RefuseDeactivated || LoginTestPassed(res.Event) {
		t.Errorf("a deactivated person: %+v, %v", res.Decision, err)
	}
	if evs := e.eventsAfter(before); len(evs) != 1 || evs[0].Type != EventLoginTested {
		t.Errorf("the test of a deactivated person wrote %+v; want one login.tested and no refusal", evs)
	}
	if _, err := e.svc.TestLogin(e.ctx, "console:u1", Login{IdP: "nope", UniqueUserID: "x"}, nil); !refusedWith(err, RefuseUnknownIdP) {
		t.Errorf("an unknown IdP: %v", err)
	}
}

func TestServiceLoginExplainsKey(t *testing.T) {
	e := newEnv(t)
	e.createIdP("op", ModeBoth)
	seq := e.lastSeq()
	e.mustLogin(Login{IdP: "op", UniqueUserID: "sub-1", Email: "ada@acme.test", KeySource: KeyFallback,
		KeyWarning: "no uniqueUserId claim arrived, so the OIDC sub stands in"})
	e.mustLogin(Login{IdP: "op", UniqueUserID: "00u2", Email: "bob@acme.test", KeySource: KeyMapped})
	evs := e.eventsAfter(seq)
	var created []Event
	for _, ev := range evs {
		if ev.Type == EventUserCreated {
			created = append(created, ev)
		}
	}
	if len(created) != 2 {
		t.Fatalf("events %+v", evs)
	}
	if created[0].KeySource != KeyFallback || !slices.Equal(created[0].Warnings, []string{"no uniqueUserId claim arrived, so the OIDC sub stands in"}) ||
		!strings.Contains(created[0].Reason, "uniqueUserId: no uniqueUserId claim arrived") {
		t.Errorf("the fallback's user.created: %+v", created[0])
	}
	if created[1].KeySource != KeyMapped || len(created[1].Warnings) != 0 || strings.Contains(created[1].Reason, "uniqueUserId:") {
		t.Errorf("the mapped key's user.created: %+v", created[1])
	}
	// A refusal explains its key too.
	_, err := e.svc.Login(e.ctx, Login{IdP: "op", KeySource: "", KeyWarning: "neither a uniqueUserId attribute nor a persistent NameID arrived"})
	if !refusedWith(err, RefuseNoIdentity) {
		t.Fatal(err)
	}
	last := e.eventsAfter(e.lastSeq() - 1)[0]
	if last.Type != EventLoginRefused || !strings.Contains(last.Reason, "neither a uniqueUserId attribute") || len(last.Warnings) != 1 {
		t.Errorf("the refusal: %+v", last)
	}
}

func TestServiceDiscoverSignIn(t *testing.T) {
	e := newEnv(t)
	e.createOrg("acme")
	e.createOrg("globex")
	e.createOrg("initech")
	e.createIdP("okta", ModeJIT, inOrg("acme"))
	e.createIdP("entra", ModeJIT, inOrg("acme"))
	e.createIdP("gx", ModeJIT, inOrg("globex"))
	e.verifiedDomain("acme", "acme.test")
	if _, err := e.svc.AddDomain(e.ctx, "admin:test", "globex", "globex.test"); err != nil { // claimed, never verified
		t.Fatal(err)
	}
	e.verifiedDomain("initech", "initech.test") // verified, but no IdP
	d, ok, err := e.svc.DiscoverSignIn(e.ctx, " Ada@ACME.test ")
	if err != nil || !ok || d.Org != "acme" || len(d.IdPs) != 2 || d.IdPs[0].ID != "entra" || d.IdPs[1].ID != "okta" {
		t.Errorf("acme.test: %+v, %v, %v; want acme's two IdPs in id order", d, ok, err)
	}
	for _, email := range []string{"bob@globex.test", "eve@unknown.test", "pat@initech.test", "no-at-sign", "x@", ""} {
		if d, ok, err := e.svc.DiscoverSignIn(e.ctx, email); err != nil || ok || d.Org != "" || d.IdPs != nil {
			t.Errorf("%q: %+v, %v, %v; want nothing", email, d, ok, err)
		}
	}
}

func TestServiceIdPHealth(t *testing.T) {
	e := newEnv(t)
	e.createOrg("acme")
	e.createIdP("okta", ModeBoth, inOrg("acme"))
	e.createIdP("other", ModeBoth, inOrg("acme"))
	now := e.clock.Now()
	valid := ProtocolStatus{Checked: true, Valid: true, Source: "metadata_url", Certificates: []IdPCertificate{
		{Subject: "CN=okta", NotAfter: now.Add(10 * 24 * time.Hour), SHA256: "aa"},
		{Subject: "CN=okta next", NotAfter: now.Add(400 * 24 * time.Hour), SHA256: "bb"},
	}}

	h, err := e.svc.IdPHealth(e.ctx, "okta", valid)
	if err != nil {
		t.Fatal(err)
	}
	check := func(h IdPHealth) map[string]bool {
		m := map[string]bool{}
		for _, c := range h.Checklist {
			m[c.ID] = c.Done
			if c.Detail == "" || c.Title == "" {
				t.Errorf("check item %+v lacks words", c)
			}
		}
		return m
	}
	if got := check(h); !got["metadata_valid"] || got["test_sign_in_passed"] || got["first_scim_request"] || got["domain_verified"] {
		t.Errorf("a new IdP's checklist: %+v", h.Checklist)
	}
	if h.Certificates[0].DaysLeft != 10 || h.Certificates[0].Warning == "" || h.Certificates[1].Warning != "" {
		t.Errorf("certificates %+v; want the one expiring in 10 days warned of", h.Certificates)
	}
	if !hasWarning(h, "no usable SCIM token") || !hasWarning(h, `"CN=okta" expires`) {
		t.Errorf("warnings %q", h.Warnings)
	}

	// A token that expires soon, a SCIM write, a refusal, sign-ins and a test.
	if _, _, err := e.svc.CreateToken(e.ctx, "admin:test", TokenSCIM, "okta", "entra-connector", now.Add(5*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	a := e.scimActor("okta")
	e.mustSCIMCreate(a, User{UserName: "ada@acme.test", ExternalID: "00u1", Active: true})
	if _, err := e.svc.SCIMCreateUser(e.ctx, a, User{UserName: "ada@acme.test", ExternalID: "00u9", Active: true}); !errors.Is(err, ErrConflict) {
		t.Fatalf("a conflicting create: %v", err)
	}
	e.mustLogin(Login{IdP: "okta", UniqueUserID: "00u1", Email: "ada@acme.test", KeySource: KeyMapped})
	e.mustLogin(Login{IdP: "okta", UniqueUserID: "sub-7", Email: "bob@acme.test", KeySource: KeyFallback, KeyWarning: "the OIDC sub stands in"})
	e.mustLogin(Login{IdP: "other", UniqueUserID: "x", Email: "x@acme.test", KeySource: KeyFallback, KeyWarning: "the OIDC sub stands in"})
	if _, err := e.svc.TestLogin(e.ctx, "setup:l1", Login{IdP: "okta", UniqueUserID: "00u5", KeySource: KeyMapped}, nil); err != nil {
		t.Fatal(err)
	}
	e.verifiedDomain("acme", "acme.test")

	h, err = e.svc.IdPHealth(e.ctx, "okta", valid)
	if err != nil {
		t.Fatal(err)
	}
	if got := check(h); !got["metadata_valid"] || !got["test_sign_in_passed"] || !got["first_scim_request"] || !got["domain_verified"] {
		t.Errorf("the checklist: %+v", h.Checklist)
	}
	if r := h.SCIM.LastRequest; r == nil || r.Operation != "request refused" || r.Outcome != "refused" || r.Rule != RuleR8 {
		t.Errorf("last SCIM request %+v; want the refused create (R8)", r)
	}
	if len(h.SCIM.RecentErrors) != 1 || h.SCIM.RecentErrors[0].Rule != RuleR8 {
		t.Errorf("SCIM errors %+v", h.SCIM.RecentErrors)
	}
	if len(h.SCIM.Tokens) != 2 || h.SCIM.Tokens[0].Warning == "" || h.SCIM.Tokens[1].Warning != "" {
		t.Errorf("tokens %+v; want the one expiring in 5 days warned of", h.SCIM.Tokens)
	}
	if h.LastSignIn == nil || h.LastSignIn.KeySource != KeyFallback || h.LastTest == nil || h.FallbackKeys != 1 {
		t.Errorf("sign-ins: last %+v, test %+v, fallbacks %d; want bob's, the test, and one fallback of this IdP", h.LastSignIn, h.LastTest, h.FallbackKeys)
	}
	if !hasWarning(h, "1 sign-in(s) among the recent events took uniqueUserId from a fallback") || hasWarning(h, "no usable SCIM token") ||
		!hasWarning(h, `SCIM token "entra-connector" expires`) {
		t.Errorf("warnings %q", h.Warnings)
	}

	// A failed metadata check and a refused sign-in.
	if _, err := e.svc.Login(e.ctx, Login{IdP: "okta"}); !refusedWith(err, RefuseNoIdentity) {
		t.Fatal(err)
	}
	h, err = e.svc.IdPHealth(e.ctx, "okta", ProtocolStatus{Checked: true, Problem: "fetching saml.metadata_url: the server answered 404 Not Found"})
	if err != nil {
		t.Fatal(err)
	}
	if check(h)["metadata_valid"] || !hasWarning(h, "nobody can sign in: fetching saml.metadata_url") {
		t.Errorf("a broken metadata URL: checklist %+v, warnings %q", h.Checklist, h.Warnings)
	}
	if h.LastRefusal == nil || h.LastRefusal.Rule != RuleR1 {
		t.Errorf("last refusal %+v", h.LastRefusal)
	}
	// Mode jit needs no SCIM.
	e.setMode("other", ModeJIT)
	h, err = e.svc.IdPHealth(e.ctx, "other", valid)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range h.Checklist {
		if c.ID == "first_scim_request" && c.Needed {
			t.Errorf("mode jit needs a SCIM request: %+v", c)
		}
	}
	if _, err := e.svc.IdPHealth(e.ctx, "nope", valid); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown IdP: %v", err)
	}
}

func hasWarning(h IdPHealth, part string) bool {
	return slices.ContainsFunc(h.Warnings, func(w string) bool { return strings.Contains(w, part) })
}

func TestServiceObserveIdPCertificates(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeJIT)
	first := []IdPCertificate{{Subject: "CN=a", SHA256: "aa", NotAfter: e.clock.Now().Add(time.Hour)}}
	seq := e.lastSeq()
	if changed, err := e.svc.ObserveIdPCertificates(e.ctx, "okta", first); err != nil || changed {
		t.Fatalf("the first observation: %v, %v; want it recorded without an event", changed, err)
	}
	if changed, err := e.svc.ObserveIdPCertificates(e.ctx, "okta", first); err != nil || changed {
		t.Fatalf("the same again: %v, %v", changed, err)
	}
	if evs := e.eventsAfter(seq); len(evs) != 0 {
		t.Errorf("unchanged certificates wrote %+v", evs)
	}
	rolled := append(slices.Clone(first), IdPCertificate{Subject: "CN=b", SHA256: "bb", NotAfter: e.clock.Now().Add(48 * time.Hour)})
	if changed, err := e.svc.ObserveIdPCertificates(e.ctx, "okta", rolled); err != nil || !changed {
		t.Fatalf("a new certificate: %v, %v", changed, err)
	}
	if changed, _ := e.svc.ObserveIdPCertificates(e.ctx, "okta", []IdPCertificate{rolled[1], rolled[0]}); changed {
		t.Errorf("the same certificates in another order count as a change")
	}
	evs := e.eventsAfter(seq)
	if len(evs) != 1 || evs[0].Type != EventIdPCertificateChanged || evs[0].IdP != "okta" || !strings.Contains(evs[0].Reason, `"CN=b" (SHA-256 bb`) {
		t.Errorf("events %+v; want one idp.certificate_changed naming CN=b", evs)
	}
	if _, err := e.svc.ObserveIdPCertificates(e.ctx, "nope", rolled); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown IdP: %v", err)
	}
	// A new IdP under a deleted one's id starts afresh.
	if err := e.svc.DeleteIdP(e.ctx, "admin:test", "okta", true); err != nil {
		t.Fatal(err)
	}
	e.createIdP("okta", ModeJIT)
	if changed, err := e.svc.ObserveIdPCertificates(e.ctx, "okta", first); err != nil || changed {
		t.Errorf("the first observation of the new okta: %v, %v", changed, err)
	}
}
