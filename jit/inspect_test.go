package jit

import (
	"errors"
	"strings"
	"testing"
)

// inspectResponse finds the InResponseTo and refuses comments and foreign documents, by its
// byte-level shortcuts as by the whole parse it falls back to for CDATA.
func TestInspectResponse(t *testing.T) {
	const open = `<?xml version="1.0"?>` + "\n" + `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="r1"`
	assertion := func(confirmation, value string) string {
		return `<saml:Assertion><saml:Subject><saml:NameID>ada</saml:NameID><saml:SubjectConfirmation><saml:SubjectConfirmationData ` + confirmation +
			`/></saml:SubjectConfirmation></saml:Subject><saml:AttributeStatement><saml:Attribute Name="note"><saml:AttributeValue>` + value +
			`</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion>`
	}
	for _, c := range []struct {
		name, doc, want, err string
	}{
		{"on the root", open + ` InResponseTo="req-1">` + assertion(`InResponseTo="req-other"`, "x") + `</samlp:Response>`, "req-1", ""},
		{"on the bearer confirmation only", open + `>` + assertion(`InResponseTo="req-2"`, "x") + `</samlp:Response>`, "req-2", ""},
		{"none: IdP-initiated", open + `>` + assertion(`Recipient="x"`, "x") + `</samlp:Response>`, "", ""},
		{"the word in a value is no attribute", open + `>` + assertion(`Recipient="x"`, "InResponseTo") + `</samlp:Response>`, "", ""},
		{"a comment", open + ` InResponseTo="req-1">` + assertion(``, "ad<!-- x -->a") + `</samlp:Response>`, "", "comment"},
		{"a comment before the root", `<!-- x -->` + open + `>` + assertion(``, "a") + `</samlp:Response>`, "", "comment"},
		{"comment-like text in CDATA is text", open + ` InResponseTo="req-3">` + assertion(``, `<![CDATA[a <!-- b]]>`) + `</samlp:Response>`, "req-3", ""},
		{"a comment beside CDATA", open + `>` + assertion(`InResponseTo="req-4"`, `<![CDATA[a]]><!-- b -->`) + `</samlp:Response>`, "", "comment"},
		{"CDATA, confirmation only", open + `>` + assertion(`InResponseTo="req-5"`, `<![CDATA[a]]>`) + `</samlp:Response>`, "req-5", ""},
		{"not a Response", `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" InResponseTo="x"/>`, "", "not a samlp:Response"},
		{"a Response of another namespace", `<Response xmlns="urn:example" InResponseTo="x"/>`, "", "not a samlp:Response"},
		{"not XML", `hello`, "", "not XML"},
		{"truncated while looking", open + `>` + `<saml:Assertion><saml:Subject InResponseTo`, "", "not XML"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := inspectResponse([]byte(c.doc))
			switch {
			case c.err == "" && err != nil:
				t.Fatalf("error %v, want %q", err, c.want)
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
				t.Fatalf("%q, %v; want an error saying %q", got, err, c.err)
			case got != c.want:
				t.Errorf("InResponseTo %q, want %q", got, c.want)
			}
			if c.err == "comment" && !errors.Is(err, errComment) {
				t.Errorf("error %v is not errComment", err)
			}
		})
	}
}
