package jit_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testidp"
)

// FuzzSAMLResponse posts mutations of a genuine, signed IdP-initiated response (and the
// committed corpus under testdata/fuzz) to the ACS, in process through the whole server. No
// input may make the server fail (5xx), and whatever it accepts signs in only the person the
// IdP signed: a mutation that changed who signs in would be a signature bypass.
func FuzzSAMLResponse(f *testing.F) {
	e := newEnv(f)
	e.idp.SetEncrypt(false) // mutations of a readable assertion reach more of the parser
	e.addIdP(directory.IdP{ID: "acme", Mode: directory.ModeJIT, SAML: directory.SAMLSettings{AllowIdPInitiated: true}})
	e.idp.SignIn(testidp.Person{NameID: "fuzz-person", Attrs: testidp.Attrs("uniqueUserId", "fuzz-person", "email", "fuzz@example.com")})
	b := newBrowser(f)
	genuine := b.startIdPInitiated(e, "acme", "/").ResponseXML(f)
	f.Add(genuine)
	f.Add([]byte(strings.Replace(string(genuine), "fuzz-person", "someone-else", -1)))
	f.Add([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" InResponseTo="id-1"/>`))
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><r>&a;</r>`))

	f.Fuzz(func(t *testing.T, doc []byte) {
		form := url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(doc)}}
		req := httptest.NewRequest(http.MethodPost, "/sso/acme/saml/acs", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		e.Handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("the ACS answered %d:\n%s", rec.Code, rec.Body.String())
		}
		if rec.Code != http.StatusSeeOther {
			return
		}
		err := e.svc.View(e.ctx, func(tx directory.ReadTx) error {
			return tx.ScanUsers(directory.ScanQuery{}, func(u directory.User) error {
				if u.UniqueUserID != "fuzz-person" {
					t.Errorf("a mutated response signed in %q", u.UniqueUserID)
				}
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
