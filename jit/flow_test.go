package jit_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testidp"
)

// TestSPInitiatedLogin drives a whole sign-in: Roster's login redirect, the IdP, an encrypted
// assertion posted to the ACS, the session cookie, /api/v1/me, /auth/verify and logout.
func TestSPInitiatedLogin(t *testing.T) {
	e := newEnv(t)
	e.addIdP(directory.IdP{ID: "okta", Preset: "okta", Mode: directory.ModeJIT, DefaultGroups: []string{"everyone"}})
	e.idp.SignIn(testidp.Person{NameID: "00u1", Attrs: testidp.Attrs(
		"uniqueUserId", "00u1", "firstName", "Ada", "lastName", "Lovelace", "email", "ada@example.com",
		"groups", "engineering", "groups", "admins")})

	b := newBrowser(t)
	form := b.startLogin(e, "okta", "/app/settings?tab=1")
	if !strings.Contains(string(form.ResponseXML(t)), "EncryptedAssertion") {
		t.Fatalf("the IdP did not encrypt the assertion to Roster's SP certificate:\n%s", form.ResponseXML(t))
	}
	if strings.Contains(form.RelayState, "/app") {
		t.Errorf("RelayState %q carries the return_to through the IdP; it should only name the pending request", form.RelayState)
	}
	resp, body := b.Submit(form)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/app/settings?tab=1" {
		t.Fatalf("ACS: %d Location %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "roster_session" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure || cookie.Path != "/" {
		t.Fatalf("session cookie = %+v, want HttpOnly, SameSite=Lax, not Secure on http, Path=/", cookie)
	}

	status, me := b.me(e)
	if status != http.StatusOK {
		t.Fatalf("/api/v1/me: %d", status)
	}
	if me.UserName != "ada@example.com" || me.Name.GivenName != "Ada" || me.Name.FamilyName != "Lovelace" ||
		me.IdP != "okta" || me.UniqueUserID != "00u1" || me.Owner != directory.OwnerJIT || !me.Active || me.LastLoginAt == nil {
		t.Errorf("/api/v1/me = %+v", me)
	}
	var groups []string
	for _, g := range me.Groups {
		groups = append(groups, g.DisplayName)
	}
	slices.Sort(groups)
	if want := []string{"admins", "engineering", "everyone"}; !slices.Equal(groups, want) {
		t.Errorf("groups = %v, want %v (default group plus the asserted ones)", groups, want)
	}

	req, _ := http.NewRequest(http.MethodGet, e.url("/auth/verify"), nil)
	vr, err := b.Follow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	vr.Body.Close()
	if vr.StatusCode != http.StatusNoContent || vr.Header.Get("X-Roster-User-Id") != me.ID ||
		vr.Header.Get("X-Roster-User-Email") != "ada@example.com" || vr.Header.Get("X-Roster-User-Name") != "ada@example.com" {
		t.Errorf("/auth/verify = %d %v", vr.StatusCode, vr.Header)
	}

	// A second sign-in with changed attributes and one group fewer updates the user and ends
	// the membership the IdP no longer asserts.
	e.idp.SignIn(testidp.Person{NameID: "00u1", Attrs: testidp.Attrs(
		"uniqueUserId", "00u1", "firstName", "Ada", "lastName", "King", "email", "ada@example.com", "groups", "engineering")})
	b.login(e, "okta", "", "/")
	_, me2 := b.me(e)
	if me2.ID != me.ID || me2.Name.FamilyName != "King" {
		t.Errorf("second login: %+v, want the same user with familyName King", me2)
	}
	var groups2 []string
	for _, g := range me2.Groups {
		groups2 = append(groups2, g.DisplayName)
	}
	if !slices.Contains(groups2, "engineering") || slices.Contains(groups2, "admins") {
		t.Errorf("second login groups = %v, want engineering kept and admins ended", groups2)
	}

	lr, err := b.NoFollow.Post(e.url("/sso/logout"), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	lr.Body.Close()
	if lr.StatusCode != http.StatusNoContent {
		t.Errorf("logout: %d", lr.StatusCode)
	}
	if status, _ := b.me(e); status != http.StatusUnauthorized {
		t.Errorf("/api/v1/me after logout: %d, want 401", status)
	}
	vr, _ = b.Follow.Get(e.url("/auth/verify"))
	vr.Body.Close()
	if vr.StatusCode != http.StatusUnauthorized {
		t.Errorf("/auth/verify after logout: %d, want 401", vr.StatusCode)
	}
}
