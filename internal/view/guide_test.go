package view_test

import (
	"testing"

	"github.com/rosterhq/roster/internal/view"
)

func TestGuideFilled(t *testing.T) {
	g := view.Guide{SAML: []view.Step{{Title: "Basic SAML Configuration", Paste: []view.Value{{Name: "acs_url", Label: "Reply URL"}, {Name: "scim_token", Label: "Secret Token"}}}}}
	f := g.Filled(map[string]string{"acs_url": "https://roster.example/sso/e/saml/acs"})
	if got := f.SAML[0].Paste; got[0].Value != "https://roster.example/sso/e/saml/acs" || got[1].Value != "" || got[0].Label != "Reply URL" {
		t.Errorf("filled %+v", got)
	}
	if g.SAML[0].Paste[0].Value != "" {
		t.Errorf("filling changed the guide it was made from")
	}
	if f.OIDC == nil || f.SCIM == nil || f.SAML[0].Claims == nil || f.SAML[0].Bring == nil {
		t.Errorf("a filled guide has null lists: %+v", f)
	}
}
