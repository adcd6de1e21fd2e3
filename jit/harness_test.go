package jit_test

// This file is the jit tests' bench: Roster as the binary serves it (server.New) on a real
// bbolt file over HTTP (internal/testserver), beside the test SAML IdP (internal/testidp), and
// a person's browser. What is here is only what the jit tests add to those: URLs of an IdP's
// sign-in, the whole sign-in as one step, and /api/v1/me decoded.

import (
	"context"
	"encoding/json"
	"github.com/rosterhq/roster/internal/outbound"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/testidp"
	"github.com/rosterhq/roster/internal/testserver"
	"github.com/rosterhq/roster/internal/view"
	"github.com/rosterhq/roster/jit"
)

// env is one Roster server and the SAML IdP it trusts.
type env struct {
	*testserver.Server
	tb    testing.TB
	ctx   context.Context
	svc   *directory.Service
	store directory.Store
	logs  *testserver.LogBuffer
	// handler serves nothing: it names the SP's URLs (which depend only on the base URL) and
	// validates IdPs before they are created, over the server's service.
	handler *jit.Handler
	idp     *testidp.SAML
}

// jitConfig is the server set-up of the jit tests: a clock skew of one minute (the attack
// tests cross it) and hour-long sessions.
func jitConfig() testserver.Config {
	return testserver.Config{SAMLClockSkew: time.Minute, SessionTTL: time.Hour}
}

// loopbackClient is the outbound client of the tests' Roster: their IdPs and OPs listen on
// loopback, which Roster refuses unless --allow-outbound lists it.
func loopbackClient() *http.Client {
	return outbound.Policy{Allow: outbound.MustParseAllowList("127.0.0.0/8,::1")}.Client()
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	return newEnvWith(tb, jitConfig())
}

func newEnvWith(tb testing.TB, cfg testserver.Config) *env {
	tb.Helper()
	return envOf(tb, testserver.Start(tb, cfg), testidp.NewSAML(tb))
}

// envOf is the env of an already running server s, whose SAML IdP is idp.
func envOf(tb testing.TB, s *testserver.Server, idp *testidp.SAML) *env {
	tb.Helper()
	h, err := jit.New(s.Service, jit.Config{BaseURL: s.BaseURL, Logger: slog.New(slog.DiscardHandler), HTTPClient: loopbackClient()})
	if err != nil {
		tb.Fatal(err)
	}
	return &env{Server: s, tb: tb, ctx: context.Background(), svc: s.Service, store: s.Store, logs: s.Logs, handler: h, idp: idp}
}

// addIdP creates a SAML IdP in Roster that trusts the test IdP, by metadata URL unless the
// test gives metadata.
func (e *env) addIdP(p directory.IdP) directory.IdP {
	e.tb.Helper()
	p.Protocol = directory.ProtocolSAML
	if p.SAML.MetadataXML == "" && p.SAML.MetadataURL == "" {
		p.SAML.MetadataURL = e.idp.MetadataURL()
	}
	if problems := e.handler.ValidateIdP(e.ctx, p); len(problems) > 0 {
		e.tb.Fatalf("ValidateIdP(%s): %v", p.ID, problems)
	}
	return e.AddIdP(p)
}

// url is path on Roster's public base URL.
func (e *env) url(path string) string { return e.BaseURL + path }

// browser is a person's browser (testidp.Browser) with the steps of a sign-in to Roster.
type browser struct {
	*testidp.Browser
	tb testing.TB
}

func newBrowser(tb testing.TB) *browser {
	return &browser{Browser: testidp.NewBrowser(tb), tb: tb}
}

// startLogin follows an SP-initiated sign-in from Roster to the IdP and returns the IdP's form,
// not yet submitted.
func (b *browser) startLogin(e *env, idp, returnTo string) testidp.Form {
	b.tb.Helper()
	u := e.url("/sso/" + idp + "/login")
	if returnTo != "" {
		u += "?return_to=" + url.QueryEscape(returnTo)
	}
	return b.SAMLForm(u)
}

// startIdPInitiated asks the IdP to sign the person in to Roster unasked.
func (b *browser) startIdPInitiated(e *env, idp, relay string) testidp.Form {
	b.tb.Helper()
	return b.SAMLForm(e.idp.StartURL(e.handler.SPEntityID(idp), relay))
}

// login runs a whole SP-initiated sign-in and fails the test unless Roster redirects to want.
func (b *browser) login(e *env, idp, returnTo, want string) {
	b.tb.Helper()
	resp, body := b.Submit(b.startLogin(e, idp, returnTo))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
		b.tb.Fatalf("ACS answered %d Location %q, want 303 to %q:\n%s", resp.StatusCode, resp.Header.Get("Location"), want, body)
	}
}

// me returns the status of GET /api/v1/me and the user it names.
func (b *browser) me(e *env) (int, view.User) {
	b.tb.Helper()
	resp, body := b.Visit(e.url("/api/v1/me"))
	var v view.User
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			b.tb.Fatalf("/api/v1/me: %v\n%s", err, body)
		}
	}
	return resp.StatusCode, v
}

// verify answers GET /auth/verify for the browser.
func (b *browser) verify(e *env) int {
	b.tb.Helper()
	resp, _ := b.Visit(e.url("/auth/verify"))
	return resp.StatusCode
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
