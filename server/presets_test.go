package server_test

import (
	"net/http"
	"testing"

	"github.com/rosterhq/roster/internal/testserver"
)

// TestNewIdPTakesItsPresetSCIMMatch: an IdP created without scim_match gets the matching its
// preset's SCIM connector can satisfy — userName for the generic preset and for no preset,
// since every SCIM client sends userName; externalId for Okta, whose connector sends the Okta
// user id there. A chosen scim_match is kept. The presets say, per vendor, what the connector
// sends as externalId.
func TestNewIdPTakesItsPresetSCIMMatch(t *testing.T) {
	srv := testserver.Start(t, testserver.Config{SkipOIDCDiscovery: true})
	cases := []struct{ id, fields, want string }{
		{"none", ``, "userName"},
		{"generic", `,"preset":"generic"`, "userName"},
		{"okta", `,"preset":"okta"`, "externalId"},
		{"entra", `,"preset":"entra"`, "externalId"},
		{"google", `,"preset":"google"`, "userName"},
		{"chosen", `,"preset":"generic","scim_match":"externalId"`, "externalId"},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			r := srv.Admin(http.MethodPost, "/admin/api/v1/idps", `{"id":"`+c.id+`","protocol":"oidc","mode":"scim",`+
				`"oidc":{"issuer":"https://idp.example/`+c.id+`","client_id":"roster","client_secret":"s"}`+c.fields+`}`)
			var idp struct {
				SCIMMatch string `json:"scim_match"`
			}
			r.JSON(t, &idp)
			if r.Status != http.StatusCreated || idp.SCIMMatch != c.want {
				t.Errorf("status %d, scim_match %q; want 201 with %q: %s", r.Status, idp.SCIMMatch, c.want, r.Body)
			}
		})
	}
	var presets struct {
		Items []struct {
			ID            string `json:"id"`
			SCIMMatch     string `json:"scim_match"`
			SCIMConnector string `json:"scim_connector"`
		} `json:"items"`
	}
	srv.Admin(http.MethodGet, "/admin/api/v1/presets", nil).JSON(t, &presets)
	if len(presets.Items) == 0 {
		t.Fatal("no presets")
	}
	for _, p := range presets.Items {
		if p.SCIMConnector == "" || (p.SCIMMatch != "externalId" && p.SCIMMatch != "userName") {
			t.Errorf("preset %s: scim_match %q, scim_connector %q", p.ID, p.SCIMMatch, p.SCIMConnector)
		}
	}
}
