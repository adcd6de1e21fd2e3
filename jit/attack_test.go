package jit_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testidp"
)

// setTimes moves every timestamp of the response and its assertion by d, as if the IdP had
// issued it d later (d < 0: earlier).
func setTimes(p *parsed, d time.Duration) {
	shift := func(el *etree.Element, attr string) {
		if v := el.SelectAttrValue(attr, ""); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				p.tb.Fatal(err)
			}
			el.CreateAttr(attr, t.Add(d).UTC().Format("2006-01-02T15:04:05.999Z07:00"))
		}
	}
	var walk func(el *etree.Element)
	walk = func(el *etree.Element) {
		for _, a := range []string{"IssueInstant", "NotBefore", "NotOnOrAfter", "AuthnInstant", "SessionNotOnOrAfter"} {
			shift(el, a)
		}
		for _, c := range el.ChildElements() {
			walk(c)
		}
	}
	walk(p.response())
}

// TestForgedResponsesAreRefused posts genuine responses of the test IdP after an attacker's
// change. Each must be refused with a generic page, leave users, groups and the event log as
// they were, and be refused for the reason the case names (read from the server log).
func TestForgedResponsesAreRefused(t *testing.T) {
	e := newEnv(t)
	e.idp.SetEncrypt(false) // the attacks edit the assertion, so it travels in the clear
	e.addIdP(directory.IdP{ID: "acme", Mode: directory.ModeJIT})
	other := testidp.AttackerKey()
	good := e.idp.Key()

	cases := []struct {
		name   string
		forge  func(p *parsed)
		status int
		cause  string // in the logged error
	}{
		{"unsigned response and assertion", func(p *parsed) { p.unsign() }, http.StatusForbidden, "signature"},
		{"signed by another key", func(p *parsed) { p.unsign().signAll(other) }, http.StatusForbidden, "signature"},
		{"attribute changed after signing", func(p *parsed) {
			p.attributeValue("uniqueUserId").SetText("someone-else")
		}, http.StatusForbidden, "signature"},
		{"signature wrapping: unsigned assertion beside the signed one", func(p *parsed) {
			removeSignature(p.response())
			signed := p.assertion()
			evil := signed.Copy()
			removeSignature(evil)
			evil.CreateAttr("ID", "id-evil")
			for _, a := range evil.FindElements(".//Attribute") {
				if a.SelectAttrValue("Name", "") == "uniqueUserId" {
					a.ChildElements()[0].SetText("admin")
				}
			}
			p.response().InsertChildAt(signed.Index(), evil)
		}, http.StatusForbidden, "exactly one Assertion"},
		{"signature wrapping: signed assertion hidden inside an unsigned one", func(p *parsed) {
			removeSignature(p.response())
			signed := p.assertion()
			evil := signed.Copy()
			removeSignature(evil)
			evil.CreateAttr("ID", "id-evil")
			for _, a := range evil.FindElements(".//Attribute") {
				if a.SelectAttrValue("Name", "") == "uniqueUserId" {
					a.ChildElements()[0].SetText("admin")
				}
			}
			p.response().RemoveChild(signed)
			find(p.tb, evil, "Subject").AddChild(signed)
			p.response().AddChild(evil)
		}, http.StatusForbidden, "signature element not present"},
		{"wrong audience", func(p *parsed) {
			find(p.tb, p.assertion(), "Audience").SetText("https://other.example/saml/metadata")
			p.unsign().signAll(good)
		}, http.StatusForbidden, "audience"},
		{"wrong recipient", func(p *parsed) {
			find(p.tb, p.assertion(), "SubjectConfirmationData").CreateAttr("Recipient", "https://other.example/saml/acs")
			p.unsign().signAll(good)
		}, http.StatusForbidden, "recipient"},
		{"wrong destination", func(p *parsed) {
			p.response().CreateAttr("Destination", "https://other.example/saml/acs")
			p.unsign().signAll(good)
		}, http.StatusForbidden, "destination"},
		{"wrong issuer", func(p *parsed) {
			find(p.tb, p.response(), "Issuer").SetText("https://evil.example/idp")
			find(p.tb, p.assertion(), "Issuer").SetText("https://evil.example/idp")
			p.unsign().signAll(good)
		}, http.StatusForbidden, "issuer"},
		{"expired", func(p *parsed) { setTimes(p, -2*time.Hour); p.unsign().signAll(good) }, http.StatusForbidden, "expire"},
		{"not yet valid", func(p *parsed) { setTimes(p, 2*time.Hour); p.unsign().signAll(good) }, http.StatusForbidden, "future"},
		{"not yet valid beyond Roster's skew but within crewjam's", func(p *parsed) {
			setTimes(p, 150*time.Second) // the env's ClockSkew is one minute; crewjam allows three
			p.unsign().signAll(good)
		}, http.StatusForbidden, "skew 1m0s"},
		{"InResponseTo Roster never issued", func(p *parsed) {
			p.response().CreateAttr("InResponseTo", "id-never-issued")
			find(p.tb, p.assertion(), "SubjectConfirmationData").CreateAttr("InResponseTo", "id-never-issued")
			p.unsign().signAll(good)
		}, http.StatusForbidden, "InResponseTo"},
		{"unsolicited (no InResponseTo) while IdP-initiated is off", func(p *parsed) {
			p.response().RemoveAttr("InResponseTo")
			find(p.tb, p.assertion(), "SubjectConfirmationData").RemoveAttr("InResponseTo")
			p.unsign().signAll(good)
		}, http.StatusForbidden, "InResponseTo"},
		{"XML comment inside the NameID", func(p *parsed) {
			nameID := find(p.tb, p.assertion(), "NameID")
			text := nameID.Text()
			nameID.SetText(text[:2])
			nameID.AddChild(etree.NewComment("x"))
			nameID.AddChild(etree.NewText(text[2:]))
			p.unsign().signAll(good)
		}, http.StatusBadRequest, "comment"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			uid := fmt.Sprintf("victim-%d", i)
			e.idp.SignIn(testidp.Person{NameID: uid, Attrs: testidp.Attrs("uniqueUserId", uid, "email", uid+"@example.com")})
			b := newBrowser(t)
			form := b.startLogin(e, "acme", "/app")
			p := parseResponse(t, form.ResponseXML(t))
			tc.forge(p)
			before := e.Snapshot()
			logStart := len(e.logs.String())
			resp, body := b.Submit(form.WithResponse(p.bytes()))
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d:\n%s", resp.StatusCode, tc.status, body)
			}
			if !strings.Contains(body, "Sign-in failed") || !strings.Contains(body, `id="reference"`) {
				t.Errorf("want the generic page with a reference:\n%s", body)
			}
			for _, leak := range []string{"signature", "audience", "InResponseTo", "issuer", "expired"} {
				if strings.Contains(strings.ToLower(body), strings.ToLower(leak)) {
					t.Errorf("the page leaks the internal cause (%q):\n%s", leak, body)
				}
			}
			for _, c := range resp.Cookies() {
				if c.Name == "roster_session" && c.Value != "" {
					t.Errorf("a session cookie was set")
				}
			}
			e.MustRecordRefusal(before, pageReference(t, body))
			logged := e.logs.String()[logStart:]
			if !strings.Contains(strings.ToLower(logged), strings.ToLower(tc.cause)) {
				t.Errorf("the log does not name the cause %q:\n%s", tc.cause, logged)
			}
		})
	}

	// The control: the same surgery without an attack (strip and re-sign with the IdP's own
	// key) is accepted, so each refusal above is due to its attack, not to the re-signing.
	t.Run("control: re-signed by the IdP's key is accepted", func(t *testing.T) {
		e.idp.SignIn(testidp.Person{NameID: "control", Attrs: testidp.Attrs("uniqueUserId", "control", "email", "control@example.com")})
		b := newBrowser(t)
		form := b.startLogin(e, "acme", "/app")
		p := parseResponse(t, form.ResponseXML(t)).unsign().signAll(good)
		resp, body := b.Submit(form.WithResponse(p.bytes()))
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/app" {
			t.Fatalf("control refused: %d\n%s\nlog:\n%s", resp.StatusCode, body, e.logs)
		}
	})
	t.Run("control: only the assertion signed is accepted", func(t *testing.T) {
		e.idp.SignIn(testidp.Person{NameID: "control2", Attrs: testidp.Attrs("uniqueUserId", "control2")})
		b := newBrowser(t)
		form := b.startLogin(e, "acme", "/app")
		p := parseResponse(t, form.ResponseXML(t)).unsign()
		sign(t, p.assertion(), good)
		resp, body := b.Submit(form.WithResponse(p.bytes()))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("control refused: %d\n%s", resp.StatusCode, body)
		}
	})
}

// TestReplayIsRefused posts one genuine response twice: the second post is refused, both for
// an SP-initiated response (its request is used up) and for an IdP-initiated one (the replay
// cache of assertion ids in the store).
func TestReplayIsRefused(t *testing.T) {
	e := newEnv(t)
	e.addIdP(directory.IdP{ID: "acme", Mode: directory.ModeJIT, SAML: directory.SAMLSettings{AllowIdPInitiated: true}})
	e.idp.SignIn(testidp.Person{NameID: "u1", Attrs: testidp.Attrs("uniqueUserId", "u1", "email", "u1@example.com")})

	for _, flow := range []string{"sp-initiated", "idp-initiated"} {
		t.Run(flow, func(t *testing.T) {
			b := newBrowser(t)
			var form testidp.Form
			if flow == "sp-initiated" {
				form = b.startLogin(e, "acme", "/app")
			} else {
				form = b.startIdPInitiated(e, "acme", "/app")
			}
			resp, body := b.Submit(form)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("first post: %d\n%s", resp.StatusCode, body)
			}
			before := e.Snapshot()
			logStart := len(e.logs.String())
			resp, body = newBrowser(t).Submit(form)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("replay: %d, want 403\n%s", resp.StatusCode, body)
			}
			ev := e.MustRecordRefusal(before, pageReference(t, body))
			if flow == "idp-initiated" && !strings.Contains(ev.Reason, "used already (a replay)") {
				t.Errorf("the replay's event does not say so: %q", ev.Reason)
			}
			if flow == "idp-initiated" && !strings.Contains(e.logs.String()[logStart:], "already been used") {
				t.Errorf("the replay was not refused by the replay cache:\n%s", e.logs.String()[logStart:])
			}
		})
	}
}
