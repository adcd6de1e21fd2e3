package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testdns"
	"github.com/rosterhq/roster/internal/testserver"
)

// goTo shows the console page at hash; if the page is already there, it is drawn again.
func goTo(hash string) chromedp.Action[chromedp.Void] {
	return voidOf(chromedp.Evaluate[bool](fmt.Sprintf(`(() => { if (location.hash === %[1]q) route(); else location.hash = %[1]q; return true; })()`, hash)))
}

// waitFor waits until a JavaScript condition holds on the page.
func waitFor(cond string) chromedp.Action[chromedp.Void] {
	return voidOf(chromedp.Poll[bool](cond, chromedp.WithPollingInterval(50*time.Millisecond)))
}

// pick chooses value in a select and lets the page know, as a person's choice would.
func pick(sel, value string) chromedp.Action[chromedp.Void] {
	return voidOf(chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q; s.dispatchEvent(new Event("change")); return s.value === %[2]q; })()`, sel, value)))
}

// eval reads a JavaScript expression's value from the page.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// writeControls lists the controls on the page that would change something: every form but the
// user and event searches, and the buttons and links that create, verify, revoke, clear or delete.
const writeControls = `[...document.querySelectorAll("#view form:not(#user-search):not(#event-search), #view button.danger, #view button.verify, " +
	"#view #tokens button, #view #tombstones button, #add-idp, #org-add-idp, #idp-edit")].map((e) => e.id || e.textContent)`

// TestConsoleRolesInBrowser signs in to the console in a real Chromium with a credential of each
// role and checks what each is shown: an org-admin sees its organization alone (no switcher,
// none of the other organization's IdPs, users or events, no owner pages) and manages its
// domains; a viewer of every organization is offered nothing that writes; an owner switches
// organizations, and makes and revokes an admin credential and an organization.
func TestConsoleRolesInBrowser(t *testing.T) {
	dns := testdns.Start(t)
	e := newEnvWith(t, testserver.Config{DNSResolver: dns.Addr})
	e.createOrg("acme")
	e.createOrg("beta")
	e.createIdPIn("acme", "okta", directory.ModeBoth)
	e.createIdPIn("beta", "kc", directory.ModeBoth)
	ada := e.scimCreate("okta", "00u-acme", "ada@acme.example")
	bob := e.scimCreate("kc", "00u-beta", "bob@beta.example")
	e.want(e.do("POST", "/admin/api/v1/idps/okta/scim-tokens", map[string]any{"name": "connector"}), http.StatusCreated)
	orgAdmin := e.adminToken("acme-it", directory.RoleOrgAdmin, "acme")
	viewer := e.adminToken("audit", directory.RoleViewer, "")

	ctx, problems := browser(t)
	step := stepper(t, ctx, problems)
	has := func(sel string) bool {
		t.Helper()
		return eval[bool](t, ctx, fmt.Sprintf(`document.querySelector(%q) !== null`, sel))
	}
	noWriteControls := func(page string) {
		t.Helper()
		if found := eval[[]string](t, ctx, writeControls); len(found) > 0 {
			t.Errorf("%s offers a viewer controls that write: %q", page, found)
		}
	}
	navLinks := func() string { t.Helper(); return text(t, ctx, "nav-links") }
	// ids is the first column of a table: the ids of the IdPs it lists.
	ids := func(table string) string {
		t.Helper()
		return strings.Join(eval[[]string](t, ctx, fmt.Sprintf(`[...document.querySelectorAll("#%s tbody tr td:first-child")].map((td) => td.textContent)`, table)), ",")
	}

	// --- an org-admin of acme ---
	step("signing in as acme's org-admin",
		chromedp.Navigate(e.url+"/admin#/idps"),
		signIn(orgAdmin),
		waitText("#idps", "okta"),
	)
	if got := ids("idps"); got != "okta" {
		t.Errorf("the org-admin of acme is shown the IdPs %q, want okta alone", got)
	}
	if has("#org-switch") {
		t.Error("the org-admin of one organization is offered the organization switcher")
	}
	if got := text(t, ctx, "org-current"); got != "Org acme" {
		t.Errorf("the organization shown is %q, want Org acme", got)
	}
	if nav := navLinks(); strings.Contains(nav, "Admin credentials") || strings.Contains(nav, "Organizations") || !strings.Contains(nav, "Organization") {
		t.Errorf("the org-admin's navigation: %q", nav)
	}
	if !has("#add-idp") {
		t.Error("the org-admin may add an IdP to its organization, but is not offered it")
	}
	if who := text(t, ctx, "whoami"); !strings.Contains(who, "acme-it") || !strings.Contains(who, "org-admin of Org acme") {
		t.Errorf("#whoami says %q", who)
	}
	step("the org-admin's users", goTo("#/users"), waitText("#users", ada.UserName))
	if users := text(t, ctx, "users"); strings.Contains(users, bob.UserName) || strings.Contains(users, "00u-beta") {
		t.Errorf("the org-admin of acme sees beta's user:\n%s", users)
	}
	// The first page of events arrives in one answer, drawn at once: when acme's creation is
	// shown, so is every other event the org-admin may read.
	step("the org-admin's events", goTo("#/events"), waitText("#events", "org.created"))
	evs := text(t, ctx, "events")
	if strings.Contains(evs, bob.ID) || strings.Contains(evs, "kc") {
		t.Errorf("the org-admin of acme sees beta's events:\n%s", evs)
	}
	if !strings.Contains(evs, ada.ID) || !strings.Contains(evs, "okta") {
		t.Errorf("the org-admin of acme does not see the creation of its IdP and user (%s):\n%s", ada.ID, evs)
	}

	// The organization page: the org-admin adds a domain, is told why it is not verified yet,
	// publishes the record and verifies it.
	step("the org-admin's organization page",
		goTo("#/orgs"),
		waitFor(`location.hash === "#/orgs/acme" && !!document.getElementById("org-facts")`),
		waitText("#org-idps", "okta"),
		waitText("#org-users", ada.UserName),
		chromedp.WaitVisible(chromedp.ID("d-name")),
		chromedp.SendKeys(chromedp.ID("d-name"), "acme.example"),
		chromedp.Click(chromedp.ID("domain-add")),
		waitText("#domains", "_roster-verify.acme.example"),
	)
	if has("#org-settings") || has("#org-delete") {
		t.Error("the org-admin is offered what only an owner may do with the organization")
	}
	o, err := e.svc.Org(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	d, ok := o.Domain("acme.example")
	if !ok || !strings.Contains(text(t, ctx, "domains"), d.TXTValue) {
		t.Fatalf("the page does not show the stored TXT value %q (stored: %v)", d.TXTValue, ok)
	}
	step("verifying before the record is published",
		chromedp.Click(chromedp.CSS(`#domains button.verify`)),
		waitText("#domain-error", "is not verified"),
	)
	dns.SetTXT(d.TXTName, d.TXTValue)
	step("verifying the published record",
		chromedp.Click(chromedp.CSS(`#domains button.verify`)),
		waitFor(`!document.querySelector("#domains button.verify") && !!document.querySelector("#domains .badge.on")`),
	)
	if o, _ := e.svc.Org(t.Context(), "acme"); !o.VerifiedDomain("acme.example") {
		t.Error("the domain verified in the console is not stored as verified")
	}

	// Another organization's pages are as missing as pages of one that does not exist; the
	// owner's pages are not there at all.
	step("the other organization's page", goTo("#/orgs/beta"), waitText("#view h1", "Error"))
	other := text(t, ctx, "view")
	step("a missing organization's page", goTo("#/orgs/nope"), waitText("#view", "nope"))
	if missing := text(t, ctx, "view"); strings.ReplaceAll(other, "beta", "nope") != missing {
		t.Errorf("beta's page reads unlike a missing organization's:\n%s\n---\n%s", other, missing)
	}
	step("the other organization's IdP", goTo("#/idps/kc"), waitText("#view", `IdP "kc" does not exist`))
	step("the admin credentials page", goTo("#/admin-tokens"), waitText("#view h1", "Not found"))

	// --- a viewer of every organization ---
	step("signing in as a viewer",
		chromedp.Click(chromedp.ID("signout")),
		signIn(viewer),
		goTo("#/idps"),
		waitText("#idps", "okta"),
		waitText("#idps", "kc"),
	)
	if !has("#org-switch") {
		t.Error("a viewer of every organization has no organization switcher")
	}
	if nav := navLinks(); strings.Contains(nav, "Admin credentials") {
		t.Errorf("the viewer's navigation offers admin credentials: %q", nav)
	}
	noWriteControls("the IdP list")
	step("the viewer on an IdP's page", goTo("#/idps/okta"), chromedp.WaitVisible(chromedp.ID("paste")), waitText("#tokens", "connector"))
	noWriteControls("the IdP page")
	step("the viewer on the reconciliation page", goTo("#/idps/okta/reconciliation"), waitText("#view h1", "Reconciliation"))
	noWriteControls("the reconciliation page")
	step("the viewer on a user's page", goTo("#/users/"+ada.ID), chromedp.WaitVisible(chromedp.ID("user-facts")))
	noWriteControls("the user page")
	step("the viewer on an organization's page", goTo("#/orgs/acme"), waitText("#domains", "acme.example"), waitText("#org-idps", "okta"))
	noWriteControls("the organization page")
	step("the viewer on the organizations", goTo("#/orgs"), waitText("#orgs", "beta"))
	noWriteControls("the list of organizations")

	// --- the owner ---
	step("signing in as the owner",
		chromedp.Click(chromedp.ID("signout")),
		signIn(e.token),
		goTo("#/idps"),
		waitText("#idps", "kc"),
		waitText("#idps", "Organization"),
	)
	options := eval[[]string](t, ctx, `[...document.querySelectorAll("#org-switch option")].map((o) => o.value)`)
	if strings.Join(options, ",") != ",acme,beta,default" {
		t.Errorf("the switcher offers %q", options)
	}
	step("switching to acme", pick("#org-switch", "acme"), waitText("#view h1", "Identity providers of Org acme"), waitText("#idps", "okta"))
	if got := ids("idps"); got != "okta" {
		t.Errorf("acme's IdPs are shown as %q, want okta alone", got)
	}
	step("switching to beta", pick("#org-switch", "beta"), waitText("#view h1", "Identity providers of Org beta"), waitText("#idps", "kc"))
	if got := ids("idps"); got != "kc" {
		t.Errorf("beta's IdPs are shown as %q, want kc alone", got)
	}
	step("beta's users", goTo("#/users"), waitText("#view h1", "Users of Org beta"), waitText("#users", bob.UserName))
	if users := text(t, ctx, "users"); strings.Contains(users, ada.UserName) {
		t.Errorf("beta's users include acme's:\n%s", users)
	}

	// Admin credentials: one is made for beta, shown once, listed, and revoked.
	step("making an admin credential",
		goTo("#/admin-tokens"),
		waitText("#admin-tokens", "acme-it"),
		chromedp.SendKeys(chromedp.ID("a-name"), "beta-it"),
		pick("#a-role", "org-admin"),
		pick("#a-org", "beta"),
		chromedp.SendKeys(chromedp.ID("a-exp"), "30d"),
		chromedp.Click(chromedp.ID("admin-token-create")),
		chromedp.WaitVisible(chromedp.ID("admin-token-secret")),
	)
	secret := text(t, ctx, "admin-token-secret")
	tok, err := e.svc.Authenticate(t.Context(), directory.TokenAdmin, secret)
	if err != nil || tok.Role != directory.RoleOrgAdmin || tok.Org != "beta" || tok.Name != "beta-it" || tok.ExpiresAt.IsZero() {
		t.Fatalf("the credential made in the console: %+v, %v", tok, err)
	}
	step("revoking it",
		chromedp.Click(chromedp.CSS(`#admin-token-out button.secondary`)),
		waitText("#admin-tokens", "beta-it"),
		voidOf(chromedp.Evaluate[bool](`window.confirm = () => true; true`)),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#admin-tokens button[aria-label="Revoke admin token %s"]`, tok.ID))),
		waitFor(fmt.Sprintf(`!document.querySelector('#admin-tokens button[aria-label="Revoke admin token %s"]')`, tok.ID)),
	)
	if _, err := e.svc.Authenticate(t.Context(), directory.TokenAdmin, secret); err == nil {
		t.Error("the admin credential revoked in the console still works")
	}
	if page := text(t, ctx, "view"); strings.Contains(page, secret) {
		t.Error("the secret is still shown after the list was drawn again")
	}

	// A new organization, which the switcher then offers.
	step("adding an organization",
		goTo("#/orgs"),
		chromedp.WaitVisible(chromedp.ID("org-form")),
		chromedp.SendKeys(chromedp.ID("o-id"), "gamma"),
		chromedp.SendKeys(chromedp.ID("o-name"), "Gamma Inc"),
		chromedp.Click(chromedp.ID("org-create")),
		waitText("#view h1", "Gamma Inc (gamma)"),
		waitFor(`!!document.querySelector('#org-switch option[value="gamma"]')`),
	)
	if o, err := e.svc.Org(t.Context(), "gamma"); err != nil || o.Name != "Gamma Inc" {
		t.Errorf("the organization added in the console: %+v, %v", o, err)
	}
	if ps := problems(); len(ps) > 0 {
		t.Errorf("the page reported problems (CSP violations or script errors): %q", ps)
	}
}
