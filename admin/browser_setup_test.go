package admin_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testdns"
	"github.com/rosterhq/roster/internal/testidp"
	"github.com/rosterhq/roster/internal/testserver"
)

// browser_setup_test.go: the journey of a customer's IT administrator through a set-up link in
// a real Chromium, against a real SAML IdP and a real OpenID provider run by the test: open the
// link, choose the vendor, paste what the IdP shows, test the sign-in, create the SCIM token,
// send a SCIM POST with it, verify the domain, and watch the checklist turn green.

// setupEnv is a server that fetches OIDC discovery (the OP runs on loopback) and asks a test
// DNS server for domain verification.
func setupEnv(t *testing.T) (*env, *testdns.Server) {
	t.Helper()
	dns := testdns.Start(t)
	s := testserver.Start(t, testserver.Config{DNSResolver: dns.Addr})
	e := &env{t: t, dir: s.Directory, svc: s.Service, url: s.URL, token: s.AdminToken}
	e.createOrg("acme")
	return e, dns
}

// checklistGreen holds when every needed item of the connection's checklist is done.
const checklistGreen = `(() => { const li = [...document.querySelectorAll("#checklist li")];
	return li.length > 0 && li.every((x) => x.dataset.done === "true" || x.classList.contains("skip")) })()`

// scimPost creates a user over SCIM with token, as the IdP's connector does once the token is
// pasted into it.
func scimPost(t *testing.T, base, token, externalID, userName string) {
	t.Helper()
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + userName + `","externalId":"` + externalID + `",` +
		`"active":true,"emails":[{"value":"` + userName + `","primary":true}]}`
	req, _ := http.NewRequestWithContext(t.Context(), "POST", base+"/scim/v2/Users", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("SCIM POST with the token the set-up made: %d", res.StatusCode)
	}
}

// verifyDomainSteps adds a domain in the set-up console, publishes the TXT record it shows in
// the test DNS server and verifies it.
func verifyDomainSteps(t *testing.T, ctx context.Context, step func(string, ...chromedp.Action[chromedp.Void]), dns *testdns.Server, domain string) {
	t.Helper()
	step("adding the domain",
		chromedp.WaitVisible(chromedp.ID("sd-name")),
		chromedp.SendKeys(chromedp.ID("sd-name"), domain),
		chromedp.Click(chromedp.ID("setup-domain-add")),
		chromedp.WaitVisible(chromedp.CSS(`#setup-domains li[data-domain="`+domain+`"] button.verify`)),
	)
	rows := eval[[]string](t, ctx, `[...document.querySelectorAll('#setup-domains li[data-domain="`+domain+`"] .paste code')].map((c) => c.textContent)`)
	if len(rows) != 2 || !strings.HasPrefix(rows[0], "_roster-verify.") || !strings.HasPrefix(rows[1], "roster-verify=") {
		t.Fatalf("the TXT record shown: %q", rows)
	}
	dns.SetTXT(rows[0], rows[1])
	step("verifying the domain",
		chromedp.Click(chromedp.CSS(`#setup-domains li[data-domain="`+domain+`"] button.verify`)),
		waitText(`#setup-domains li[data-domain="`+domain+`"]`, "verified"),
		waitFor(`!document.querySelector('#setup-domains li[data-domain="`+domain+`"] button.verify')`),
	)
}

// pasteOIDC fills in the OpenID provider's issuer and the client the tests register with it,
// and saves the connection.
func pasteOIDC(issuer string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.SendKeys(chromedp.ID("f-s-issuer"), issuer),
		chromedp.SendKeys(chromedp.ID("f-s-client_id"), "roster-app"),
		chromedp.SendKeys(chromedp.ID("f-s-client_secret"), "s3cret"),
		chromedp.Click(chromedp.ID("setup-save")),
		chromedp.WaitVisible(chromedp.ID("sso-steps")),
	)
}

// testSignInSteps clicks "Test sign-in", lets the new window run the sign-in at the IdP and
// waits for the result the console reads from the window's closing page.
func testSignInSteps(step func(string, ...chromedp.Action[chromedp.Void])) {
	step("testing the sign-in",
		chromedp.WaitVisible(chromedp.ID("test-start")),
		chromedp.Click(chromedp.ID("test-start")),
		chromedp.WaitVisible(chromedp.ID("test-result-box")),
	)
}

func TestSetupLinkJourneySAMLInBrowser(t *testing.T) {
	e, dns := setupEnv(t)
	idp := testidp.NewSAML(t)
	idp.SignIn(testidp.Person{NameID: "00u-ada", Attrs: testidp.Attrs("uniqueUserId", "00u-ada", "email", "ada@acme.example",
		"firstName", "Ada", "lastName", "Lovelace")})
	link := e.setupLink("acme", "all")
	ctx, problems := browser(t)
	step := stepper(t, ctx, problems)

	step("opening the set-up link and choosing Okta",
		chromedp.Navigate(link.URL),
		waitText("#setup-intro", "acme"),
		chromedp.Click(chromedp.ID("vendor-okta")),
		chromedp.WaitVisible(chromedp.ID("setup-form")),
		waitText("#steps", "Okta"),
	)
	// The vendor's steps show Roster's values for this connection, each with a copy button,
	// and the claim that must feed uniqueUserId.
	steps := text(t, ctx, "steps")
	for _, want := range []string{e.url + "/sso/okta/saml/acs", e.url + "/sso/okta/saml/metadata", "uniqueUserId", "user.id"} {
		if !strings.Contains(steps, want) {
			t.Errorf("the Okta SAML steps do not show %q:\n%s", want, steps)
		}
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#steps .paste button").length`); n == 0 {
		t.Errorf("no copy button among the values to paste")
	}
	// Only what the link may do is offered: no navigation to users, events or other pages.
	if links := eval[[]string](t, ctx, `[...document.querySelectorAll("#nav-links a")].map((a) => a.getAttribute("href"))`); len(links) != 1 || links[0] != "#/setup" {
		t.Errorf("the set-up session's navigation: %q", links)
	}

	step("pasting the metadata URL and saving",
		chromedp.SendKeys(chromedp.ID("f-s-metadata_url"), idp.MetadataURL()),
		chromedp.Click(chromedp.ID("mode-both")),
		chromedp.Click(chromedp.ID("setup-save")),
		chromedp.WaitVisible(chromedp.ID("sso-steps")),
		waitFor(`!!document.querySelector('#checklist li[data-check="metadata_valid"][data-done="true"]')`),
	)
	p, err := e.svc.IdP(t.Context(), "okta")
	if err != nil || p.Org != "acme" || p.Preset != "okta" || p.Mode != directory.ModeBoth || p.SAML.MetadataURL != idp.MetadataURL() {
		t.Fatalf("the IdP the set-up saved: %+v, %v", p, err)
	}

	testSignInSteps(step)
	if v := text(t, ctx, "test-verdict"); !strings.Contains(v, "passed") {
		t.Fatalf("test sign-in: %q\n%s", v, text(t, ctx, "test-result"))
	}
	if k, src := text(t, ctx, "test-key"), text(t, ctx, "test-key-source"); k != "00u-ada" || !strings.Contains(src, "mapped") {
		t.Errorf("the test's key %q from %q; want 00u-ada from the mapped attribute", k, src)
	}
	if claims := text(t, ctx, "test-claims"); !strings.Contains(claims, "ada@acme.example") {
		t.Errorf("the test's attributes: %q", claims)
	}
	if us := e.dir.Snapshot().Users; len(us) != 0 {
		t.Errorf("a test sign-in stored users: %+v", us)
	}

	step("creating the SCIM token",
		chromedp.Click(chromedp.ID("setup-token-create")),
		chromedp.WaitVisible(chromedp.ID("setup-token-secret")),
	)
	scimPost(t, e.url, text(t, ctx, "setup-token-secret"), "00u-ada", "ada@acme.example")
	verifyDomainSteps(t, ctx, step, dns, "acme.example")

	step("watching the checklist turn green",
		chromedp.Navigate(e.url+"/admin#/setup/okta"),
		chromedp.WaitVisible(chromedp.ID("checklist")),
		waitFor(checklistGreen),
		waitText("#health-scim-last", "ok"),
	)
	if *update {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.scrollTo(0, 0); true`)); err != nil {
			t.Fatal(err)
		}
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("testdata", "setup.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The set-up acted as the link.
	var actors []string
	for _, ev := range e.dir.Events(0) {
		if ev.Org == "acme" && (ev.Type == directory.EventIdPCreated || ev.Type == directory.EventTokenCreated || ev.Type == directory.EventDomainVerified) {
			actors = append(actors, ev.Type+" "+ev.Actor)
		}
	}
	for _, a := range actors {
		if !strings.HasSuffix(a, " setup:"+link.ID) {
			t.Errorf("an event of the set-up names another actor: %s", a)
		}
	}
	if len(actors) < 3 {
		t.Errorf("the set-up's events: %q", actors)
	}
	if ps := problems(); len(ps) > 0 {
		t.Errorf("page problems: %q", ps)
	}
}

func TestSetupLinkJourneyOIDCInBrowser(t *testing.T) {
	e, dns := setupEnv(t)
	op := testidp.NewOP(t, testidp.OPConfig{})
	op.Register("roster-app", "s3cret", e.url+"/sso/oidc/oidc/callback")
	op.SignIn(testidp.OPPerson{Sub: "sub-grace", IDToken: map[string]any{"uniqueUserId": "00u-grace", "email": "grace@acme.example", "email_verified": true}})
	link := e.setupLink("acme", "all")
	ctx, problems := browser(t)
	step := stepper(t, ctx, problems)

	step("opening the set-up link and choosing another OpenID Connect provider",
		chromedp.Navigate(link.URL),
		chromedp.WaitVisible(chromedp.ID("vendors")),
		chromedp.Click(chromedp.ID("vendor-other-oidc")),
		chromedp.WaitVisible(chromedp.ID("setup-form")),
		waitText("#steps", e.url+"/sso/oidc/oidc/callback"),
	)
	step("pasting the issuer and client and saving", chromedp.Click(chromedp.ID("mode-both")), pasteOIDC(op.Issuer))
	testSignInSteps(step)
	if v := text(t, ctx, "test-verdict"); !strings.Contains(v, "passed") {
		t.Fatalf("test sign-in: %q\n%s", v, text(t, ctx, "test-result"))
	}
	if k := text(t, ctx, "test-key"); k != "00u-grace" {
		t.Errorf("the test's key %q; want 00u-grace, not the sub", k)
	}
	step("creating the SCIM token",
		chromedp.Click(chromedp.ID("setup-token-create")),
		chromedp.WaitVisible(chromedp.ID("setup-token-secret")),
	)
	scimPost(t, e.url, text(t, ctx, "setup-token-secret"), "00u-grace", "grace@acme.example")
	verifyDomainSteps(t, ctx, step, dns, "acme.example")
	step("watching the checklist turn green",
		chromedp.Click(chromedp.ID("health-refresh")),
		waitFor(checklistGreen),
	)
	if ps := problems(); len(ps) > 0 {
		t.Errorf("page problems: %q", ps)
	}
}

// TestSetupLinkPagesInBrowser opens an expired and a revoked link, and uses a session whose
// link is revoked meanwhile: each says so and grants nothing.
func TestSetupLinkPagesInBrowser(t *testing.T) {
	e := newEnv(t)
	e.createOrg("acme")
	_, expired, err := e.svc.CreateSetupLink(t.Context(), "admin:test", "acme", directory.SetupAll, time.Now().Add(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	revoked := e.setupLink("acme", "sso")
	e.want(e.do("DELETE", "/admin/api/v1/setup-links/"+revoked.ID, nil), http.StatusOK)
	live := e.setupLink("acme", "domain")
	ctx, problems := browser(t)
	step := stepper(t, ctx, problems)

	step("opening an expired link", chromedp.Navigate(e.url+"/setup/"+expired), waitText("body", "has expired"))
	step("opening the console after it", chromedp.Navigate(e.url+"/admin#/setup"), chromedp.WaitVisible(chromedp.ID("signin")))
	step("opening a revoked link", chromedp.Navigate(revoked.URL), waitText("body", "has been revoked"))

	// A domain-only link offers the domains alone, and its session ends with the link.
	step("opening a domain-only link",
		chromedp.Navigate(live.URL),
		chromedp.WaitVisible(chromedp.ID("setup-domain-form")),
	)
	if n := eval[int](t, ctx, `document.querySelectorAll("#vendors, #setup-idps").length`); n != 0 {
		t.Errorf("a domain-only link offers identity providers")
	}
	e.want(e.do("DELETE", "/admin/api/v1/setup-links/"+live.ID, nil), http.StatusOK)
	step("using the session after the link is revoked",
		chromedp.SendKeys(chromedp.ID("sd-name"), "acme.example"),
		chromedp.Click(chromedp.ID("setup-domain-add")),
		chromedp.WaitVisible(chromedp.ID("signin")),
		waitText("#signin-error", "session has ended"),
	)
	if o, err := e.svc.Org(t.Context(), "acme"); err != nil || len(o.Domains) != 0 {
		t.Errorf("the revoked link's session added a domain: %+v, %v", o, err)
	}
	_ = problems
}

// TestSetupLinksOnOrgPageInBrowser: an org-admin makes a set-up link on the organization page
// (its URL shown once, with a copy button), sees it listed and revokes it.
func TestSetupLinksOnOrgPageInBrowser(t *testing.T) {
	e := newEnv(t)
	e.createOrg("acme")
	token := e.adminToken("acme-admin", directory.RoleOrgAdmin, "acme")
	ctx, problems := browser(t)
	step := stepper(t, ctx, problems)
	step("making a set-up link",
		chromedp.Navigate(e.url+"/admin#/orgs/acme"),
		signIn(token),
		chromedp.WaitVisible(chromedp.ID("setup-link-form")),
		pick("#sl-intent", "sso"),
		chromedp.Click(chromedp.ID("setup-link-create")),
		chromedp.WaitVisible(chromedp.ID("setup-link-secret")),
	)
	u := text(t, ctx, "setup-link-secret")
	if !strings.HasPrefix(u, e.url+"/setup/") || eval[int](t, ctx, `document.querySelectorAll("#setup-link-copy").length`) != 1 {
		t.Fatalf("the link shown: %q", u)
	}
	if r := e.browser().open(u); r.status != http.StatusSeeOther {
		t.Errorf("the link the console showed does not open: %d", r.status)
	}
	step("listing and revoking it",
		goTo("#/orgs/acme"),
		waitText("#setup-link-list", "sso"),
		voidOf(chromedp.Evaluate[bool](`window.confirm = () => true; true`)),
		chromedp.Click(chromedp.CSS(`#setup-link-list button.danger`)),
		waitText("#setup-link-list", "revoked"),
	)
	if r := e.browser().open(u); r.status != http.StatusGone {
		t.Errorf("the revoked link still opens: %d", r.status)
	}
	if ps := problems(); len(ps) > 0 {
		t.Errorf("page problems: %q", ps)
	}
}

// TestIdPHealthInBrowser: an owner with an admin token opens the IdP page, runs a test sign-in
// from it (through a single-use URL, since a navigation carries no admin token) whose key comes
// from the NameID fallback and is warned of, and, once someone signs in that way for real, the
// page's health says so.
func TestIdPHealthInBrowser(t *testing.T) {
	e := newEnv(t)
	idp := testidp.NewSAML(t)
	e.want(e.do("POST", "/admin/api/v1/idps", map[string]any{"id": "okta", "protocol": "saml", "preset": "okta", "mode": "both",
		"saml": map[string]any{"metadata_url": idp.MetadataURL()}}), http.StatusCreated)
	// The IdP sends no uniqueUserId attribute: the NameID stands in, which SCIM's externalId
	// would most likely not match.
	idp.SignIn(testidp.Person{NameID: "ada-nameid", Attrs: testidp.Attrs("email", "ada@example.com")})
	ctx, problems := browser(t)
	step := stepper(t, ctx, problems)
	step("opening the IdP page",
		chromedp.Navigate(e.url+"/admin#/idps/okta"),
		signIn(e.token),
		chromedp.WaitVisible(chromedp.ID("checklist")),
		waitFor(`!!document.querySelector('#checklist li[data-check="metadata_valid"][data-done="true"]')`),
		waitFor(`!!document.querySelector('#checklist li[data-check="test_sign_in_passed"][data-done="false"]')`),
	)
	testSignInSteps(step)
	if k, src := text(t, ctx, "test-key"), text(t, ctx, "test-key-source"); k != "ada-nameid" || !strings.Contains(src, "fallback") {
		t.Errorf("the test's key %q from %q; want the NameID fallback", k, src)
	}
	if w := eval[string](t, ctx, `[...document.querySelectorAll("#test-result .warning")].map((p) => p.textContent).join("\n")`); !strings.Contains(w, "NameID") {
		t.Errorf("the test warns %q; want a warning naming the NameID fallback", w)
	}
	if us := e.dir.Snapshot().Users; len(us) != 0 {
		t.Errorf("a test sign-in stored users: %+v", us)
	}
	// A real sign-in keyed by the fallback the administrator was warned of.
	step("signing in for real",
		chromedp.Navigate(e.url+"/sso/okta/login"),
		waitFor(`location.pathname !== "/sso/okta/login" && document.readyState === "complete"`),
	)
	step("reading the health after it",
		chromedp.Navigate(e.url+"/admin#/idps/okta"),
		chromedp.WaitVisible(chromedp.ID("checklist")),
		waitText("#health-last-sign-in", "login"),
		waitFor(`[...document.querySelectorAll(".health-warning")].some((p) => /fallback|NameID/.test(p.textContent))`),
	)
	if ps := problems(); len(ps) > 0 {
		t.Errorf("page problems: %q", ps)
	}
}

// TestSetupTestSignInWarnsInBrowser is the OIDC case of issue 13: the provider releases the
// uniqueUserId claim only with a scope the connection does not ask for. The set-up's test
// sign-in says so before anyone depends on it, and stores nothing.
func TestSetupTestSignInWarnsInBrowser(t *testing.T) {
	e, _ := setupEnv(t)
	op := testidp.NewOP(t, testidp.OPConfig{})
	op.Register("roster-app", "s3cret", e.url+"/sso/oidc/oidc/callback")
	op.SignIn(testidp.OPPerson{Sub: "sub-grace", IDToken: map[string]any{"email": "grace@acme.example"},
		ScopedClaims: map[string]map[string]any{"roster": {"uniqueUserId": "00u-grace"}}})
	link := e.setupLink("acme", "sso")
	ctx, problems := browser(t)
	step := stepper(t, ctx, problems)
	step("connecting the provider",
		chromedp.Navigate(link.URL),
		chromedp.Click(chromedp.ID("vendor-other-oidc")),
		chromedp.WaitVisible(chromedp.ID("setup-form")),
		pasteOIDC(op.Issuer),
	)
	// A link for single sign-on only offers no SCIM token and no domains.
	if n := eval[int](t, ctx, `document.querySelectorAll("#setup-token-form, #setup-domains").length`); n != 0 {
		t.Errorf("an sso link offers SCIM tokens or domains")
	}
	testSignInSteps(step)
	if v := text(t, ctx, "test-verdict"); !strings.Contains(v, "did not pass") {
		t.Errorf("test sign-in: %q", v)
	}
	if k, src := text(t, ctx, "test-key"), text(t, ctx, "test-key-source"); k != "sub-grace" || !strings.Contains(src, "fallback") {
		t.Errorf("the test's key %q from %q; want the sub fallback", k, src)
	}
	if w := eval[string](t, ctx, `[...document.querySelectorAll("#test-result .warning")].map((p) => p.textContent).join("\n")`); !strings.Contains(w, "uniqueUserId") || !strings.Contains(w, "sub") {
		t.Errorf("the test warns %q; want the missing uniqueUserId claim and the sub fallback named", w)
	}
	if us := e.dir.Snapshot().Users; len(us) != 0 {
		t.Errorf("a test sign-in stored users: %+v", us)
	}
	step("seeing the checklist item open",
		chromedp.Click(chromedp.ID("health-refresh")),
		waitFor(`!!document.querySelector('#checklist li[data-check="test_sign_in_passed"][data-done="false"]')`),
	)
	if ps := problems(); len(ps) > 0 {
		t.Errorf("page problems: %q", ps)
	}
}

// TestConsoleSSOInBrowser: a member of the organization's admin group signs in to the console
// through the organization's SAML IdP, with no token to paste; the console runs in that
// session's cookie, as org-admin of that organization alone, and shows the sign-in form again
// once the person is deactivated.
func TestConsoleSSOInBrowser(t *testing.T) {
	e := newEnv(t)
	e.createOrg("acme")
	idp := testidp.NewSAML(t)
	e.want(e.do("POST", "/admin/api/v1/idps", map[string]any{"id": "okta", "org": "acme", "protocol": "saml", "preset": "okta", "mode": "jit",
		"saml": map[string]any{"metadata_url": idp.MetadataURL()}}), http.StatusCreated)
	e.want(e.do("PATCH", "/admin/api/v1/orgs/acme", map[string]any{"console_access": map[string]any{"idp": "okta", "admin_groups": []string{"Roster Admins"}}}), http.StatusOK)
	idp.SignIn(testidp.Person{NameID: "00u-ada", Attrs: testidp.Attrs("uniqueUserId", "00u-ada", "email", "ada@acme.example", "groups", "Roster Admins")})
	ctx, problems := browser(t)
	step := stepper(t, ctx, problems)
	step("signing in through the organization's IdP",
		chromedp.Navigate(e.url+"/admin/sso/acme"),
		chromedp.WaitVisible(chromedp.ID("org-current")),
		waitText("#whoami", "org-admin"),
		chromedp.WaitVisible(chromedp.ID("idps")),
	)
	// An org-admin's navigation: its own organization's pages, no organization list, no admin
	// credentials.
	if links := eval[[]string](t, ctx, `[...document.querySelectorAll("#nav-links a")].map((a) => a.getAttribute("href"))`); !slices.Contains(links, "#/orgs/acme") ||
		!slices.Contains(links, "#/idps") || slices.Contains(links, "#/orgs") || slices.Contains(links, "#/admin-tokens") {
		t.Errorf("the console session's navigation: %q", links)
	}
	if stored := eval[bool](t, ctx, `sessionStorage.getItem("roster.adminToken") !== null`); stored {
		t.Errorf("a console session keeps a token in session storage")
	}
	// Its set-up links: the organization page offers them to the organization's admin.
	step("opening the organization page", goTo("#/orgs/acme"), chromedp.WaitVisible(chromedp.ID("setup-link-form")))

	if _, err := e.svc.DeactivateUser(t.Context(), "admin:test", findUserID(t, e, "00u-ada")); err != nil {
		t.Fatal(err)
	}
	step("seeing the session end", goTo("#/idps"), chromedp.WaitVisible(chromedp.ID("signin")), waitText("#signin-error", "session has ended"))
	if ps := problems(); len(ps) > 0 {
		t.Errorf("page problems: %q", ps)
	}
}

// TestSetupSCIMLinkInBrowser: a link for SCIM alone shows the existing connection's SCIM steps
// and token, and offers neither a new connection, nor the mode, nor a test sign-in.
func TestSetupSCIMLinkInBrowser(t *testing.T) {
	e := newEnv(t)
	e.createOrg("acme")
	e.createIdPIn("acme", "okta", directory.ModeBoth)
	link := e.setupLink("acme", "scim")
	ctx, problems := browser(t)
	step := stepper(t, ctx, problems)
	step("opening the link and the connection",
		chromedp.Navigate(link.URL),
		chromedp.WaitVisible(chromedp.ID("setup-idps")),
		chromedp.Click(chromedp.CSS(`#setup-idps a`)),
		chromedp.WaitVisible(chromedp.ID("scim-steps")),
		chromedp.WaitVisible(chromedp.ID("checklist")),
	)
	if n := eval[int](t, ctx, `document.querySelectorAll("#vendors, #sso-steps, #setup-mode, #test-start, #setup-domains").length`); n != 0 {
		t.Errorf("a SCIM link offers %d controls of other intents", n)
	}
	if steps := text(t, ctx, "scim-steps"); !strings.Contains(steps, e.url+"/scim/v2") {
		t.Errorf("the SCIM steps do not show the SCIM base URL: %s", steps)
	}
	step("creating the token",
		chromedp.Click(chromedp.ID("setup-token-create")),
		chromedp.WaitVisible(chromedp.ID("setup-token-secret")),
	)
	scimPost(t, e.url, text(t, ctx, "setup-token-secret"), "00u-lin", "lin@acme.example")
	step("seeing the first SCIM request", chromedp.Click(chromedp.ID("health-refresh")),
		waitFor(`!!document.querySelector('#checklist li[data-check="first_scim_request"][data-done="true"]')`))
	if ps := problems(); len(ps) > 0 {
		t.Errorf("page problems: %q", ps)
	}
}
