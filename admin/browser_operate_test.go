package admin_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testidp"
	"github.com/rosterhq/roster/internal/testserver"
)

// screenshot writes the page at width pixels wide to admin/testdata/<name>-<width>.png when
// the test runs with -update, once ready holds at that width; the window is 1280 wide again after.
func screenshot(t *testing.T, ctx context.Context, step func(string, ...chromedp.Action[chromedp.Void]), name string, width int64, ready chromedp.Action[chromedp.Void]) {
	t.Helper()
	if !*update {
		return
	}
	step("narrowing the window to "+strconv.FormatInt(width, 10)+" px", chromedp.EmulateViewport(width, 900), ready)
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	step("widening the window again", chromedp.EmulateViewport(1280, 1000))
	if err := os.WriteFile(filepath.Join("testdata", name+"-"+strconv.FormatInt(width, 10)+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestConsoleOperatingInBrowser drives the operating pages in a real Chromium against a server
// that has seen real traffic: SCIM requests over HTTP (one refused), an OIDC sign-in through a
// real OpenID provider that creates its user, and one that R6 refuses with a reference on its
// page. The dashboard draws them, the reference finds its event, a user is signed out
// everywhere, deactivated, reactivated and deleted with its tombstone explained, a webhook's
// secret is shown once, and the IdP page previews a mode switch without making it.
func TestConsoleOperatingInBrowser(t *testing.T) {
	srv := testserver.Start(t, testserver.Config{})
	op := testidp.NewOP(t, testidp.OPConfig{})
	op.Register("roster", "s3cret", srv.BaseURL+"/sso/okta/oidc/callback")
	if r := srv.Admin(http.MethodPost, "/admin/api/v1/idps", map[string]any{"id": "okta", "name": "Okta", "protocol": "oidc", "mode": "both", "scim_match": "externalId",
		"oidc": map[string]any{"issuer": op.Issuer, "client_id": "roster", "client_secret": "s3cret"}}); r.Status != http.StatusCreated {
		t.Fatalf("creating the IdP: %d %s", r.Status, r.Body)
	}
	var tok struct{ Token string }
	if r := srv.Admin(http.MethodPost, "/admin/api/v1/idps/okta/scim-tokens", map[string]any{"name": "Okta connector"}); r.Status != http.StatusCreated {
		t.Fatalf("creating a SCIM token: %d %s", r.Status, r.Body)
	} else {
		r.JSON(t, &tok)
	}
	scim := func(resource, body string) int {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/scim/v2/"+resource, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		req.Header.Set("Content-Type", "application/scim+json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	const bob = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob@example.com","externalId":"00u-bob","active":true}`
	if st := scim("Users", bob); st != http.StatusCreated {
		t.Fatalf("SCIM create: %d", st)
	}
	if st := scim("Users", bob); st != http.StatusConflict {
		t.Fatalf("SCIM create of the same user again: %d, want 409", st)
	}
	// A sign-in that creates its user (and a session), and one that R6 refuses: SCIM
	// deactivated bob.
	op.SignIn(testidp.OPPerson{Sub: "00u-fay", IDToken: map[string]any{"email": "fay@example.com", "given_name": "Fay", "family_name": "Jit"}})
	b := testidp.NewBrowser(t)
	if resp, body := b.Get(b.OIDCCallback(srv.URL+"/sso/okta/login", op.Issuer)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d %s", resp.StatusCode, body)
	}
	ctx := t.Context()
	byKey := func(key string) directory.User {
		t.Helper()
		var u directory.User
		if err := srv.Service.View(ctx, func(tx directory.ReadTx) error {
			var err error
			u, err = tx.UserByIdentity(directory.Identity{IdP: "okta", UniqueUserID: key})
			return err
		}); err != nil {
			t.Fatalf("user %s: %v", key, err)
		}
		return u
	}
	if _, err := srv.Service.DeactivateUser(ctx, "admin:test", byKey("00u-bob").ID); err != nil {
		t.Fatal(err)
	}
	op.SignIn(testidp.OPPerson{Sub: "00u-bob", IDToken: map[string]any{"email": "bob@example.com"}})
	b = testidp.NewBrowser(t)
	resp, page := b.Get(b.OIDCCallback(srv.URL+"/sso/okta/login", op.Issuer))
	m := regexp.MustCompile(`<code id="reference">([^<]+)</code>`).FindStringSubmatch(page)
	if resp.StatusCode != http.StatusForbidden || m == nil {
		t.Fatalf("a deactivated user's sign-in: %d, want 403 with a reference:\n%s", resp.StatusCode, page)
	}
	reference := m[1]
	fay := byKey("00u-fay")
	if st := scim("Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Engineering","externalId":"g-eng","members":[{"value":"`+byKey("00u-bob").ID+`"}]}`); st != http.StatusCreated {
		t.Fatalf("SCIM group create: %d", st)
	}

	bctx, problems := browser(t)
	step := stepper(t, bctx, problems)

	// The dashboard draws the sign-in, the refusal and the SCIM requests (a user and a group
	// created, one create refused) as lines, and the users as bars.
	step("opening the dashboard",
		chromedp.Navigate(srv.URL+"/admin"),
		signIn(srv.AdminToken),
		chromedp.WaitVisible(chromedp.CSS(`nav a[href="#/dashboard"]`)),
		chromedp.Click(chromedp.CSS(`nav a[href="#/dashboard"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#chart-sign-ins svg polyline`)),
	)
	charts := eval[map[string]string](t, bctx, `Object.fromEntries([...document.querySelectorAll("figure.figure")].map((f) =>
		[f.id, [...f.querySelectorAll("svg title")].map((x) => x.textContent).join("; ")]))`)
	for id, want := range map[string]string{
		"chart-sign-ins":     "okta: 1",
		"chart-refusals":     "okta · R6: 1",
		"chart-scim":         "okta: 2",
		"chart-scim-errors":  "okta",
		"chart-users-idp":    "okta: 2",
		"chart-users-owner":  "scim: 1",
		"chart-users-status": "inactive: 1",
	} {
		if !strings.Contains(charts[id], want) {
			t.Errorf("%s shows %q, want %q in it", id, charts[id], want)
		}
	}
	if n := eval[int](t, bctx, `document.querySelectorAll("#chart-sign-ins circle").length`); n != 1 {
		t.Errorf("the sign-ins chart marks %d buckets, want the one with the sign-in", n)
	}
	screenshot(t, bctx, step, "operate-dashboard", 1280, waitFor(`!!document.querySelector("#chart-refusals svg")`))
	screenshot(t, bctx, step, "operate-dashboard", 390, waitFor(`!!document.querySelector("#chart-refusals svg")`))

	// The reference the refused person read out finds its event; a user's event links to the
	// user and names the SCIM token by its name.
	step("searching the events by reference",
		chromedp.Click(chromedp.CSS(`nav a[href="#/events"]`)),
		chromedp.WaitVisible(chromedp.ID("ev-id")),
		chromedp.SendKeys(chromedp.ID("ev-id"), reference),
		chromedp.Click(chromedp.ID("event-search-button")),
		chromedp.WaitVisible(chromedp.CSS(`#event-list tr[data-event="`+reference+`"]`)),
	)
	if rows := eval[[]string](t, bctx, `[...document.querySelectorAll("#event-list tbody tr")].map((r) => r.textContent)`); len(rows) != 1 ||
		!strings.Contains(rows[0], "login.refused") || !strings.Contains(rows[0], "R6") {
		t.Errorf("search by reference %s: %q", reference, rows)
	}
	step("filtering the events by type and actor",
		goTo("#/events?type=user.created&actor=scim%3A"),
		chromedp.WaitVisible(chromedp.CSS(`#event-list a[href="#/users/`+byKey("00u-bob").ID+`"]`)),
	)
	if rows := eval[[]string](t, bctx, `[...document.querySelectorAll("#event-list tbody tr")].map((r) => r.textContent)`); len(rows) != 1 || !strings.Contains(rows[0], "Okta connector") {
		t.Errorf("user.created by SCIM: %q", rows)
	}
	// The export is the API's, fetched with the console's credential.
	step("exporting the filtered events",
		chromedp.Click(chromedp.ID("export-csv")),
		waitText("#status", "Exported as CSV"),
		chromedp.Click(chromedp.ID("export-jsonl")),
		waitText("#status", "Exported as JSON Lines"),
	)

	// The group's page lists its member, linked to the member's page.
	step("opening a group",
		chromedp.Click(chromedp.CSS(`nav a[href="#/groups"]`)),
		waitText("#groups", "Engineering"),
		chromedp.Click(chromedp.CSS(`#groups a`)),
		chromedp.WaitVisible(chromedp.CSS(`#group-members a[href="#/users/`+byKey("00u-bob").ID+`"]`)),
		chromedp.Click(chromedp.CSS(`#group-members a`)),
		waitText("#user-groups", "Engineering"),
		// and the user's page links back to the group.
		chromedp.Click(chromedp.CSS(`#user-groups a`)),
		waitText("#view h1", "Engineering"),
		chromedp.WaitVisible(chromedp.ID("group-members")),
		voidOf(chromedp.NavigateBack()),
		chromedp.WaitVisible(chromedp.ID("user-groups")),
	)
	// Bob is deactivated by SCIM: the console sends the admin to the IdP instead of offering a
	// reactivation the API would refuse.
	if n := eval[int](t, bctx, `document.querySelectorAll("#reactivate").length + (document.getElementById("reactivate-in-idp") ? 10 : 0)`); n != 10 {
		t.Errorf("a SCIM-deactivated user's page: reactivate offered or not explained (%d)", n)
	}

	// The users list filters and counts.
	step("filtering the users",
		goTo("#/users"),
		chromedp.WaitVisible(chromedp.ID("user-status")),
		pick("#user-status", "inactive"),
		waitText("#user-count", "1 user matches."),
		waitText("#users", "bob@example.com"),
	)

	// A mode switch is previewed before it is made: in mode scim, fay (JIT, never provisioned)
	// keeps signing in until SCIM adopts her, bob stays refused, and someone new could no
	// longer sign in; nothing changes until the admin saves.
	step("previewing a mode switch",
		goTo("#/idps/okta"),
		chromedp.WaitVisible(chromedp.ID("mode-scim")),
		chromedp.Click(chromedp.ID("mode-scim")),
		waitText("#preview-adopted-later", fay.UserName),
		waitText("#preview-stays-refused", "bob@example.com"),
		waitText("#preview-summary", "can no longer sign in"),
		chromedp.Click(chromedp.ID("mode-both")),
		waitFor(`document.getElementById("mode-preview").dataset.mode === "both" && !document.getElementById("preview-summary")`),
		chromedp.Click(chromedp.ID("mode-scim")),
		chromedp.WaitVisible(chromedp.ID("preview-adopted-later")),
	)
	if p, _ := srv.Service.IdP(ctx, "okta"); p.Mode != directory.ModeBoth {
		t.Errorf("the preview changed the mode to %s", p.Mode)
	}
	screenshot(t, bctx, step, "operate-mode-preview", 390, waitFor(`!!document.querySelector("#preview-adopted-later")`))

	// On a 390 px screen the values to paste take the width of the page instead of being
	// squeezed beside their labels; a dark preference gets dark colours.
	step("narrowing the window", chromedp.EmulateViewport(390, 900), goTo("#/idps/okta"), chromedp.WaitVisible(chromedp.ID("v-redirect-uri")))
	if w := eval[float64](t, bctx, `document.getElementById("v-redirect-uri").getBoundingClientRect().width`); w < 250 {
		t.Errorf("at 390 px the redirect URI is %.0f px wide", w)
	}
	if w := eval[float64](t, bctx, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("at 390 px the page is %.0f px wide", w)
	}
	step("widening the window", chromedp.EmulateViewport(1280, 1000))
	if _, err := chromedp.Call(bctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
		t.Fatal(err)
	}
	if bg := eval[string](t, bctx, `getComputedStyle(document.body).backgroundColor`); bg != "rgb(13, 17, 23)" {
		t.Errorf("with a dark preference the page's background is %s", bg)
	}
	if _, err := chromedp.Call(bctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
		t.Fatal(err)
	}
	if bg := eval[string](t, bctx, `getComputedStyle(document.body).backgroundColor`); bg != "rgb(255, 255, 255)" {
		t.Errorf("with a light preference the page's background is %s", bg)
	}

	// While an IdP is added, the values to paste follow the protocol and mode chosen.
	shownValues := `["p-sp-entity-id", "p-acs-url", "p-sp-metadata-url", "p-redirect-uri", "p-login-url", "p-scim-base-url"].filter((id) => document.getElementById(id))`
	step("adding a SAML IdP", goTo("#/idps/new"), chromedp.WaitVisible(chromedp.ID("f-id")), chromedp.SendKeys(chromedp.ID("f-id"), "entra"),
		chromedp.Click(chromedp.ID("mode-scim")), chromedp.WaitVisible(chromedp.ID("p-scim-base-url")))
	if got := eval[[]string](t, bctx, shownValues); !slices.Equal(got, []string{"p-sp-entity-id", "p-acs-url", "p-sp-metadata-url", "p-login-url", "p-scim-base-url"}) {
		t.Errorf("SAML in mode scim shows %v", got)
	}
	step("choosing OIDC and JIT", chromedp.Click(chromedp.ID("protocol-oidc")), chromedp.Click(chromedp.ID("mode-jit")), chromedp.WaitVisible(chromedp.ID("p-redirect-uri")))
	if got := eval[[]string](t, bctx, shownValues); !slices.Equal(got, []string{"p-redirect-uri", "p-login-url"}) {
		t.Errorf("OIDC in mode jit shows %v", got)
	}

	// Fay's page: her session, sign out everywhere, deactivate, reactivate, delete.
	step("signing fay out everywhere",
		voidOf(chromedp.Evaluate[bool](`window.confirm = () => true; true`)),
		goTo("#/users/"+fay.ID),
		chromedp.WaitVisible(chromedp.CSS(`#sessions tbody tr`)),
		chromedp.Click(chromedp.ID("signout-everywhere")),
		chromedp.WaitVisible(chromedp.ID("no-sessions")),
	)
	if ss, err := srv.Service.UserSessions(ctx, fay.ID); err != nil || len(ss) != 0 {
		t.Errorf("after sign out everywhere: %v, %v", ss, err)
	}
	step("deactivating and reactivating fay",
		chromedp.Click(chromedp.ID("deactivate")),
		chromedp.WaitVisible(chromedp.ID("reactivate")),
		waitText("#user-active", "inactive"),
		chromedp.Click(chromedp.ID("reactivate")),
		chromedp.WaitVisible(chromedp.ID("deactivate")),
		waitText("#user-active", "active"),
	)
	if u := byKey("00u-fay"); !u.Active {
		t.Error("fay is not active after the reactivation")
	}
	step("deleting fay",
		chromedp.Click(chromedp.ID("delete-user")),
		chromedp.WaitVisible(chromedp.ID("delete-explained")),
	)
	explained := text(t, bctx, "delete-explained")
	if !strings.Contains(explained, "okta / 00u-fay") {
		t.Errorf("the deletion is not explained with its tombstone: %q", explained)
	}
	if u := byKey("00u-fay"); u.ID != fay.ID {
		t.Fatal("the dry run deleted")
	}
	step("confirming the deletion",
		chromedp.Click(chromedp.ID("delete-confirm")),
		waitFor(`location.hash === "#/users"`),
		chromedp.WaitVisible(chromedp.ID("user-count")),
	)
	if _, err := srv.Service.User(ctx, fay.ID); err == nil {
		t.Error("fay is still there")
	}
	// The reconciliation page shows the tombstone and its notes as text.
	step("opening the reconciliation page",
		goTo("#/idps/okta/reconciliation"),
		waitText("#tombstones", "00u-fay"),
	)
	if body := eval[string](t, bctx, `document.getElementById("view").textContent`); strings.Contains(body, "[object") {
		t.Errorf("the reconciliation page shows an object's name instead of its text:\n%s", body)
	}

	// A webhook: its secret is shown once, then resume, replay and delete.
	var delivered atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		delivered.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(receiver.Close)
	step("creating a webhook",
		chromedp.Click(chromedp.CSS(`nav a[href="#/webhooks"]`)),
		chromedp.WaitVisible(chromedp.ID("w-url")),
		chromedp.SendKeys(chromedp.ID("w-url"), receiver.URL+"/hook"),
		chromedp.Click(chromedp.ID("webhook-create")),
		chromedp.WaitVisible(chromedp.ID("webhook-secret")),
	)
	secret := text(t, bctx, "webhook-secret")
	if len(secret) < 16 {
		t.Errorf("webhook secret %q", secret)
	}
	step("closing the secret",
		chromedp.Click(chromedp.ID("webhook-done")),
		chromedp.WaitVisible(chromedp.CSS(`#webhooks tbody tr`)),
	)
	if body := eval[string](t, bctx, `document.body.textContent`); strings.Contains(body, secret) {
		t.Error("the webhook secret is shown again")
	}
	if r := srv.Admin(http.MethodGet, "/admin/api/v1/webhooks", nil); strings.Contains(string(r.Body), secret) {
		t.Error("the API lists the webhook secret")
	}
	step("resuming, replaying and deleting the webhook",
		chromedp.Click(chromedp.CSS(`#webhooks button[aria-label^="Resume"]`)),
		waitText("#status", "Resumed"),
		chromedp.WaitVisible(chromedp.CSS(`#webhooks input.seq`)),
		chromedp.SendKeys(chromedp.CSS(`#webhooks input.seq`), "0"),
		chromedp.Click(chromedp.CSS(`#webhooks button[aria-label^="Replay"]`)),
		waitText("#status", "Delivery restarts at 0"),
		chromedp.WaitVisible(chromedp.CSS(`#webhooks button[aria-label^="Delete"]`)),
		chromedp.Click(chromedp.CSS(`#webhooks button[aria-label^="Delete"]`)),
		chromedp.WaitVisible(chromedp.ID("no-webhooks")),
	)
	// A viewer is shown the same pages with nothing that changes anything: no reactivation,
	// deletion or sign-out of a user, no webhook form or buttons, no mode form (and so no
	// preview to make).
	var viewer struct{ Token string }
	if r := srv.Admin(http.MethodPost, "/admin/api/v1/admin-tokens", map[string]any{"name": "auditor", "role": directory.RoleViewer}); r.Status != http.StatusCreated {
		t.Fatalf("creating a viewer: %d %s", r.Status, r.Body)
	} else {
		r.JSON(t, &viewer)
	}
	hook := srv.Admin(http.MethodPost, "/admin/api/v1/webhooks", map[string]any{"url": receiver.URL + "/hook"})
	if hook.Status != http.StatusCreated {
		t.Fatalf("creating a webhook: %d %s", hook.Status, hook.Body)
	}
	const changers = `[...document.querySelectorAll("#view form:not(#user-search):not(#event-search), #view button.danger, #reactivate, #signout-everywhere, #delete-user, #webhooks button, #webhooks input, #mode-form, #mode-preview")].map((e) => e.id || e.textContent)`
	step("signing in as a viewer",
		chromedp.Click(chromedp.ID("signout")),
		signIn(viewer.Token),
		waitText("#whoami", "viewer"),
		goTo("#/users/"+byKey("00u-bob").ID),
		chromedp.WaitVisible(chromedp.ID("user-facts")),
	)
	for _, page := range []struct{ hash, ready string }{
		{"#/users/" + byKey("00u-bob").ID, "user-facts"}, {"#/webhooks", "webhooks"}, {"#/idps/okta", "paste"}, {"#/dashboard", "chart-sign-ins"},
	} {
		step("opening "+page.hash+" as a viewer", goTo(page.hash), chromedp.WaitVisible(chromedp.ID(page.ready)))
		if got := eval[[]string](t, bctx, changers); len(got) != 0 {
			t.Errorf("a viewer is offered on %s: %q", page.hash, got)
		}
	}
	if ps := problems(); len(ps) > 0 {
		t.Errorf("the page reported problems (CSP violations or script errors): %q", ps)
	}
}
