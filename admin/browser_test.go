package admin_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/rosterhq/roster/directory"
)

var update = flag.Bool("update", false, "write admin/testdata/console.png, the console screenshot the README shows")

// chromiumPath finds a Chromium or Chrome binary; "" when there is none.
func chromiumPath() string {
	if p := os.Getenv("ROSTER_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser starts a fresh headless Chromium and returns a tab context. Page errors and
// Content-Security-Policy violations are collected, so the test fails if the console relies
// on anything the policy forbids.
func browser(t *testing.T) (context.Context, func() []string) {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		t.Skip("SKIPPING THE BROWSER TEST: no Chromium found (/usr/bin/chromium). Install it with " +
			"'apt-get install -y chromium' or set ROSTER_CHROMIUM; CI must have it.")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		// Chromium makes its singleton socket's directory under TMPDIR and leaves it when it
		// is stopped: the test's own directory takes it away.
		chromedp.Env("TMPDIR=" + t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelTab(); cancelAlloc() })

	var mu sync.Mutex
	var problems []string
	listen := func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+ev.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			// Failed requests are logged by the network source; the test expects some (a 400
			// for an incomplete IdP) and checks each answer itself.
			if ev.Entry.Level == log.EntryLevelError && ev.Entry.Source != log.EntrySourceNetwork {
				problems = append(problems, "console: "+ev.Entry.Text)
			}
		}
	}
	if err := chromedp.Listen(ctx, listen); err != nil {
		t.Fatalf("starting Chromium at %s: %v", path, err)
	}
	if _, err := chromedp.Call(ctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("enabling the browser log: %v", err)
	}
	return ctx, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), problems...) }
}

// waitText waits until the element's text contains want.
func waitText(sel, want string) chromedp.Action[chromedp.Void] {
	return voidOf(chromedp.Poll[bool](fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.textContent.includes(%q); })()`, sel, want),
		chromedp.WithPollingInterval(50*time.Millisecond)))
}

// voidOf drops an action's value, so it can run among the steps of chromedp.Do.
func voidOf[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, t)
		return chromedp.Void{}, err
	}
}

// signIn waits for the sign-in form and signs in with token, by keyboard only: type the token
// and press Enter.
func signIn(token string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.WaitVisible(chromedp.ID("token")), chromedp.SendKeys(chromedp.ID("token"), token+"\r"))
}

// stepper returns step, which runs actions one by one, each with its own time limit, so that a
// failure names the action and shows what the page said.
func stepper(t *testing.T, ctx context.Context, problems func() []string) func(what string, actions ...chromedp.Action[chromedp.Void]) {
	return func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		for i, a := range actions {
			actx, cancel := context.WithTimeout(ctx, 20*time.Second)
			err := chromedp.Do(actx, a)
			cancel()
			if err != nil {
				body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
				t.Fatalf("%s, action %d: %v\npage problems: %q\npage text:\n%s", what, i+1, err, problems(), body)
			}
		}
	}
}

// text reads an element's text.
func text(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id)))
	if err != nil {
		t.Fatalf("reading #%s: %v", id, err)
	}
	return s
}

// TestConsoleInBrowser drives the console in a real Chromium: sign in, add an IdP from a preset,
// switch its mode, create a SCIM token and use it over /scim/v2, find the user and open its
// events, and watch the live events page receive a new event.
func TestConsoleInBrowser(t *testing.T) {
	e := newEnv(t)
	ctx, problems := browser(t)
	step := stepper(t, ctx, problems)

	step("signing in and opening the IdP form",
		chromedp.Navigate(e.url+"/admin"),
		signIn(e.token),
		chromedp.WaitVisible(chromedp.ID("add-idp")),
		chromedp.Click(chromedp.ID("add-idp")),
		chromedp.WaitVisible(chromedp.ID("idp-form")),
		// Pick the Okta preset: it fills the mapping and says what feeds uniqueUserId.
		chromedp.SetValue(chromedp.ID("f-preset"), "okta"),
		voidOf(chromedp.Evaluate[bool](`document.getElementById("f-preset").dispatchEvent(new Event("change"))`)),
		waitText("#r1", "user.id"),
	)
	r1 := text(t, ctx, "r1")
	// The preset named the IdP "okta", so the values to paste are shown before it is saved.
	if got := text(t, ctx, "p-acs-url"); got != e.url+"/sso/okta/saml/acs" {
		t.Errorf("preview ACS URL %q", got)
	}
	uidMapping, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("f-mapping-uniqueUserId")))
	if err != nil {
		t.Fatal(err)
	}
	if uidMapping != "uniqueUserId" || !strings.Contains(r1, "SCIM") {
		t.Errorf("preset did not fill the form: mapping %q, R1 box %q", uidMapping, r1)
	}
	// Saving as SAML without metadata is refused with the problem listed, and nothing is stored.
	step("saving an incomplete IdP",
		chromedp.Click(chromedp.ID("idp-save")),
		waitText("#idp-errors", "metadata_xml"),
	)
	if ps := e.idps(); len(ps) != 0 {
		t.Fatalf("a refused IdP was stored: %+v", ps)
	}
	step("adding the IdP",
		chromedp.Click(chromedp.ID("protocol-oidc")),
		chromedp.WaitVisible(chromedp.ID("f-oidc-issuer")),
		chromedp.SendKeys(chromedp.ID("f-oidc-issuer"), "https://okta.example.com"),
		chromedp.SendKeys(chromedp.ID("f-oidc-client_id"), "roster-app"),
		chromedp.Click(chromedp.ID("mode-jit")),
		chromedp.Click(chromedp.ID("idp-save")),
		chromedp.WaitVisible(chromedp.ID("paste")),
	)
	// An OIDC IdP in mode jit shows its redirect URI and sign-in URL only: no SAML values, no
	// SCIM URL.
	if got, want := text(t, ctx, "v-redirect-uri"), e.url+"/sso/okta/oidc/callback"; got != want {
		t.Errorf("#v-redirect-uri shows %q, want %q", got, want)
	}
	if got := text(t, ctx, "v-login-url"); !strings.HasPrefix(got, e.url+"/sso/okta/") {
		t.Errorf("#v-login-url shows %q", got)
	}
	if shown := eval[[]string](t, ctx, `["v-acs-url", "v-sp-entity-id", "v-sp-metadata-url", "v-scim-base-url"].filter((id) => document.getElementById(id))`); len(shown) != 0 {
		t.Errorf("an OIDC IdP in mode jit shows %v", shown)
	}
	p, err := e.svc.IdP(t.Context(), "okta")
	if err != nil || p.Mode != directory.ModeJIT || p.Preset != "okta" || p.OIDC.ClientID != "roster-app" || p.Mapping.UniqueUserID != "uniqueUserId" {
		t.Fatalf("stored IdP %+v, %v", p, err)
	}
	if *update {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("testdata", "console.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// Switch the mode to both, then create a SCIM token, shown once.
	step("switching the mode and creating a token",
		chromedp.Click(chromedp.ID("mode-both")),
		chromedp.Click(chromedp.ID("mode-save")),
		waitText("#idp-mode", "both"),
		chromedp.SendKeys(chromedp.ID("t-name"), "okta connector"),
		chromedp.Click(chromedp.ID("token-create")),
		chromedp.WaitVisible(chromedp.ID("token-secret")),
	)
	secret := text(t, ctx, "token-secret")
	if p, _ := e.svc.IdP(t.Context(), "okta"); p.Mode != directory.ModeBoth {
		t.Errorf("mode after the switch: %s", p.Mode)
	}

	// The IdP's connector: a user created over SCIM with the new token.
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com","externalId":"00uADA",` +
		`"active":true,"name":{"givenName":"Ada","familyName":"Lovelace"},"emails":[{"value":"ada@example.com","primary":true}]}`
	req, _ := http.NewRequestWithContext(t.Context(), "POST", e.url+"/scim/v2/Users", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("SCIM POST with the console's token: %d", res.StatusCode)
	}

	// Edit a setting through the form, then revoke the token (confirming the dialog).
	step("editing the IdP and revoking the token",
		chromedp.Navigate(e.url+"/admin#/idps/okta/edit"),
		chromedp.WaitVisible(chromedp.ID("f-name")),
		voidOf(chromedp.Evaluate[string](`document.getElementById("f-name").value = ""`)),
		chromedp.SendKeys(chromedp.ID("f-name"), "Okta (production)"),
		chromedp.Click(chromedp.ID("idp-save")),
		waitText("#view h1", "Okta (production) (okta)"),
		voidOf(chromedp.Evaluate[bool](`window.confirm = () => true; true`)),
		chromedp.Click(chromedp.CSS(`#tokens button`)),
		waitText("#tokens", "revoked"),
	)
	if p, _ := e.svc.IdP(t.Context(), "okta"); p.Name != "Okta (production)" || p.Mode != directory.ModeBoth || p.OIDC.ClientID != "roster-app" {
		t.Errorf("after the edit: %+v", p)
	}
	if _, err := e.svc.Authenticate(t.Context(), directory.TokenSCIM, secret); err == nil {
		t.Errorf("the token revoked in the console still works")
	}

	// Find the user, open its page and its events.
	step("finding the user",
		chromedp.Click(chromedp.CSS(`nav a[href="#/users"]`)),
		chromedp.WaitVisible(chromedp.ID("user-q")),
		chromedp.SendKeys(chromedp.ID("user-q"), "ada"),
		chromedp.Click(chromedp.ID("user-search-button")),
		// The list shown before the search also holds ada: wait for the search's own answer.
		chromedp.WaitVisible(chromedp.CSS(`#user-results[data-filter*="ada"] #users a`)),
		chromedp.Click(chromedp.CSS(`#user-results[data-filter*="ada"] #users a`)),
		chromedp.WaitVisible(chromedp.ID("user-events")),
	)
	owner, identity, events := text(t, ctx, "user-owner"), text(t, ctx, "user-identity"), text(t, ctx, "user-events")
	if owner != "scim" || identity != "okta / 00uADA" || !strings.Contains(events, "user.created") {
		t.Errorf("user page: owner %q identity %q events %q", owner, identity, events)
	}

	// The reconciliation view lists her among the SCIM users who never signed in.
	step("opening the reconciliation view",
		chromedp.Navigate(e.url+"/admin#/idps/okta/reconciliation"),
		waitText("#scim-never", "ada@example.com"),
	)

	// The live events page shows an event written after it opened (long poll).
	step("opening the events page",
		chromedp.Click(chromedp.CSS(`nav a[href="#/events"]`)),
		waitText("#events", "user.created"),
	)
	if _, err := e.svc.DeactivateUser(t.Context(), "admin:test", findUserID(t, e, "00uADA")); err != nil {
		t.Fatal(err)
	}
	step("seeing a live event", waitText("#events", "user.deactivated"))
	// Her page lists her events newest first: the deactivation above her creation.
	step("opening her page again",
		chromedp.Navigate(e.url+"/admin#/users/"+findUserID(t, e, "00uADA")),
		waitText("#user-events tbody tr:first-child", "user.deactivated"),
		waitText("#user-events tbody tr:last-child", "user.created"),
	)

	href, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	stored, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`sessionStorage.getItem("roster.adminToken") !== null`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(href, e.token) || !stored {
		t.Errorf("the token must stay in session storage and out of URLs: %s (stored %v)", href, stored)
	}
	if ps := problems(); len(ps) > 0 {
		t.Errorf("the page reported problems (CSP violations or script errors): %q", ps)
	}
}

// TestConsoleDropsAnAnswerForAPageLeft holds the browser's request for an IdP's page until the
// person has gone on to the users, then lets it through: the late answer must not draw the
// IdP's page over the one the person is reading.
func TestConsoleDropsAnAnswerForAPageLeft(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", directory.ModeJIT)
	ctx, problems := browser(t)
	step := stepper(t, ctx, problems)
	step("signing in",
		chromedp.Navigate(e.url+"/admin#/events"),
		signIn(e.token),
		waitText("#events", "idp.created"),
	)
	idpURL := e.url + "/admin/api/v1/idps/okta"
	paused := make(chan fetch.RequestID, 1)
	call := func(what string, fn func(ctx context.Context, tg *chromedp.Target) error) {
		t.Helper()
		_, err := chromedp.Run(ctx, chromedp.Action[chromedp.Void](func(actx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			return chromedp.Void{}, fn(actx, tg)
		}))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	call("holding the IdP's request", func(actx context.Context, tg *chromedp.Target) error {
		// The subscription starts here, before any request can be held.
		held := cdp.Events(ctx, tg, fetch.RequestPaused)
		go func() {
			for ev, err := range held {
				if err == nil {
					paused <- ev.RequestID
				}
				return
			}
		}()
		_, err := cdp.Call(actx, tg, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: idpURL}}})
		return err
	})
	step("opening the IdP's page", goTo("#/idps/okta"))
	var id fetch.RequestID
	select {
	case id = <-paused:
	case <-time.After(20 * time.Second):
		t.Fatal("the IdP page's request was never made")
	}
	step("going on to the users",
		goTo("#/users"),
		chromedp.WaitVisible(chromedp.ID("user-search")),
		waitFor(`!!document.querySelector("#user-results p, #user-results table")`),
	)
	call("letting the IdP's request through", func(actx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(actx, tg, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: id}); err != nil {
			return err
		}
		_, err := cdp.Call(actx, tg, fetch.Disable, cdp.Empty{})
		return err
	})
	// Once the answer has arrived, the page has had it; give its script a moment to act on it.
	step("receiving the late answer", waitFor(fmt.Sprintf(`performance.getEntriesByName(%q).length > 0`, idpURL)))
	time.Sleep(500 * time.Millisecond)
	if h1 := text(t, ctx, "view"); !strings.HasPrefix(h1, "Users") {
		t.Errorf("the late answer drew over the users page:\n%s", h1)
	}
	if ps := problems(); len(ps) > 0 {
		t.Errorf("the page reported problems: %q", ps)
	}
}

func findUserID(t *testing.T, e *env, key string) string {
	t.Helper()
	var id string
	err := e.svc.View(t.Context(), func(tx directory.ReadTx) error {
		u, err := tx.UserByIdentity(directory.Identity{IdP: "okta", UniqueUserID: key})
		id = u.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}
