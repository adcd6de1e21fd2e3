package jit_test

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crewjam/saml"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testidp"
	"github.com/rosterhq/roster/jit"
)

func TestValidateIdP(t *testing.T) {
	e := newEnv(t)
	good := e.idp.MetadataXML(t)
	noCert := func() string {
		md := e.idp.Metadata()
		for i := range md.IDPSSODescriptors {
			md.IDPSSODescriptors[i].KeyDescriptors = nil
		}
		b, _ := xml.Marshal(md)
		return string(b)
	}()
	missing := httptest.NewServer(http.NotFoundHandler())
	defer missing.Close()

	cases := []struct {
		name string
		idp  directory.IdP
		want []string // substrings, one per problem, in order
	}{
		{"pasted metadata", directory.IdP{Protocol: directory.ProtocolSAML, SAML: directory.SAMLSettings{MetadataXML: good}}, nil},
		{"metadata URL", directory.IdP{Protocol: directory.ProtocolSAML, SAML: directory.SAMLSettings{MetadataURL: e.idp.MetadataURL()}}, nil},
		{"neither", directory.IdP{Protocol: directory.ProtocolSAML}, []string{"set metadata_xml"}},
		{"both", directory.IdP{Protocol: directory.ProtocolSAML, SAML: directory.SAMLSettings{MetadataXML: good, MetadataURL: "https://x"}}, []string{"only one"}},
		{"garbage", directory.IdP{Protocol: directory.ProtocolSAML, SAML: directory.SAMLSettings{MetadataXML: "<not metadata"}}, []string{"does not parse"}},
		{"SP metadata pasted by mistake", directory.IdP{Protocol: directory.ProtocolSAML, SAML: directory.SAMLSettings{MetadataXML: `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></EntityDescriptor>`}}, []string{"no IDPSSODescriptor"}},
		{"no signing certificate", directory.IdP{Protocol: directory.ProtocolSAML, SAML: directory.SAMLSettings{MetadataXML: noCert}}, []string{"no signing certificate"}},
		{"URL answers 404", directory.IdP{Protocol: directory.ProtocolSAML, SAML: directory.SAMLSettings{MetadataURL: missing.URL}}, []string{"404"}},
		{"URL not http", directory.IdP{Protocol: directory.ProtocolSAML, SAML: directory.SAMLSettings{MetadataURL: "file:///etc/passwd"}}, []string{"not an http(s) URL"}},
		{"unknown preset and no metadata", directory.IdP{Protocol: directory.ProtocolSAML, Preset: "nope"}, []string{"preset \"nope\"", "set metadata_xml"}},
		{"OIDC complete", directory.IdP{Protocol: directory.ProtocolOIDC, OIDC: directory.OIDCSettings{Issuer: "https://i", ClientID: "c"}}, nil},
		{"OIDC empty", directory.IdP{Protocol: directory.ProtocolOIDC}, []string{"issuer is required", "client_id is required"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := e.handler.ValidateIdP(e.ctx, tc.idp)
			if len(got) != len(tc.want) {
				t.Fatalf("problems %q, want %d like %q", got, len(tc.want), tc.want)
			}
			for i := range got {
				if !strings.Contains(got[i], tc.want[i]) {
					t.Errorf("problem %d = %q, want it to say %q", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// TestSPMetadata: the SP metadata names its own URL as entity id, the ACS with the POST
// binding, and a certificate for signing and encryption that survives a restart.
func TestSPMetadata(t *testing.T) {
	e := newEnv(t)
	e.addIdP(directory.IdP{ID: "acme", Mode: directory.ModeJIT})
	fetch := func() *saml.EntityDescriptor {
		resp, err := http.Get(e.url("/sso/acme/saml/metadata"))
		if err != nil {
			t.Fatal(err)
		}
		body := testidp.ReadBody(t, resp)
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "xml") {
			t.Fatalf("%d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		var ed saml.EntityDescriptor
		if err := xml.Unmarshal(body, &ed); err != nil {
			t.Fatal(err)
		}
		return &ed
	}
	ed := fetch()
	if ed.EntityID != e.url("/sso/acme/saml/metadata") || ed.EntityID != e.handler.SPEntityID("acme") {
		t.Errorf("entityID %q", ed.EntityID)
	}
	for got, want := range map[string]string{
		e.handler.ACSURL("acme"):          e.url("/sso/acme/saml/acs"),
		e.handler.LoginURL("acme"):        e.url("/sso/acme/login"),
		e.handler.OIDCRedirectURI("acme"): e.url("/sso/acme/oidc/callback"),
	} {
		if got != want {
			t.Errorf("URL helper gave %q, want %q", got, want)
		}
	}
	if len(ed.SPSSODescriptors) != 1 {
		t.Fatalf("SPSSODescriptors %d", len(ed.SPSSODescriptors))
	}
	sp := ed.SPSSODescriptors[0]
	var acs []string
	for _, a := range sp.AssertionConsumerServices {
		acs = append(acs, a.Binding+" "+a.Location)
	}
	if want := saml.HTTPPostBinding + " " + e.url("/sso/acme/saml/acs"); len(acs) != 1 || acs[0] != want {
		t.Errorf("ACS %q, want only %q", acs, want)
	}
	certs := map[string]string{}
	for _, kd := range sp.KeyDescriptors {
		certs[kd.Use] = kd.KeyInfo.X509Data.X509Certificates[0].Data
	}
	if certs["signing"] == "" || certs["encryption"] == "" {
		t.Errorf("key descriptors %v, want signing and encryption", certs)
	}

	// A new handler on the same store (a restart, or another replica) serves the same key.
	h2, err := jit.New(e.svc, jit.Config{BaseURL: e.url(""), HTTPClient: loopbackClient()})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h2.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/sso/acme/saml/metadata", nil))
	if !strings.Contains(strings.Join(strings.Fields(rec.Body.String()), ""), strings.Join(strings.Fields(certs["signing"]), "")) {
		t.Errorf("the restarted handler serves another certificate")
	}
}
