package server_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testidp"
	"github.com/rosterhq/roster/internal/testserver"
)

var referenceRE = regexp.MustCompile(`<code id="reference">([^<]+)</code>`)

// TestRefusedSignInReferenceFindsItsEvent: a person refused by a protocol check (an
// IdP-initiated sign-in while it is off) reads out the page's reference, and the events API
// finds the event by it: the reason in plain words, the library's message as its detail.
func TestRefusedSignInReferenceFindsItsEvent(t *testing.T) {
	srv := testserver.Start(t, testserver.Config{})
	idp := testidp.NewSAML(t)
	if r := srv.Admin(http.MethodPost, "/admin/api/v1/idps", map[string]any{"id": "okta", "protocol": "saml", "mode": "jit",
		"saml": map[string]any{"metadata_url": idp.MetadataURL()}}); r.Status != http.StatusCreated {
		t.Fatalf("creating the IdP: %d %s", r.Status, r.Body)
	}
	idp.SignIn(testidp.Person{NameID: "00u1", Attrs: testidp.Attrs("uniqueUserId", "00u1")})
	b := testidp.NewBrowser(t)
	resp, body := b.Submit(b.SAMLForm(idp.StartURL(srv.BaseURL+"/sso/okta/saml/metadata", "/")))
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("IdP-initiated sign-in while it is off: %d\n%s", resp.StatusCode, body)
	}
	ref := referenceRE.FindStringSubmatch(body)
	if ref == nil {
		t.Fatalf("no reference on the page:\n%s", body)
	}
	var page struct {
		Items []struct {
			ID, Type, IdP, Rule, Reason, Detail, ActorName string
		} `json:"items"`
	}
	r := srv.Admin(http.MethodGet, "/admin/api/v1/events?id="+url.QueryEscape(ref[1]), nil)
	if r.Status != http.StatusOK {
		t.Fatalf("events?id=: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &page)
	if len(page.Items) != 1 {
		t.Fatalf("the reference finds %d events: %s", len(page.Items), r.Body)
	}
	ev := page.Items[0]
	if ev.ID != ref[1] || ev.Type != directory.EventLoginRefused || ev.IdP != "okta" || ev.Rule != "" ||
		!strings.HasPrefix(ev.Reason, "IdP-initiated sign-in is off for okta") || !strings.Contains(ev.Detail, "InResponseTo") {
		t.Errorf("event %+v", ev)
	}
	if strings.Contains(body, "InResponseTo") {
		t.Errorf("the person's page shows the library's message:\n%s", body)
	}
}
