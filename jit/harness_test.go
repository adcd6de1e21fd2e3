package jit_test

// This file is the test bench: a real SAML IdP (crewjam/saml's IdentityProvider) served over
// HTTP with its own key, Roster's jit handler on a real bbolt file served over HTTP, and a
// browser made of an http.Client with a cookie jar that follows redirects and submits the IdP's
// auto-posting form the way a browser's script would.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crewjam/saml"
	"github.com/gin-gonic/gin"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/outbound"
	"github.com/rosterhq/roster/jit"
	"github.com/rosterhq/roster/storage/bolt"
)

// keyPair is an RSA key with a self-signed certificate.
type keyPair struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
}

var (
	keysOnce sync.Once
	keys     [2]keyPair // [0] the IdP's key, [1] an attacker's key
)

// testKeys returns two key pairs, generated once per test binary because RSA key generation
// dominates the cost of a test otherwise.
func testKeys(tb testing.TB) [2]keyPair {
	keysOnce.Do(func() {
		for i := range keys {
			keys[i] = newKeyPair(fmt.Sprintf("test idp %d", i))
		}
	})
	return keys
}

func newKeyPair(cn string) keyPair {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-24 * time.Hour),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return keyPair{key: key, cert: cert}
}

// testIdP is a SAML identity provider over HTTP. Whoever it is told to sign in (next) is
// signed in at once, as if the person had typed a password.
type testIdP struct {
	srv *httptest.Server
	idp *saml.IdentityProvider
	kp  keyPair

	mu      sync.Mutex
	next    *saml.Session
	encrypt bool // encrypt assertions to the SP's encryption certificate
}

func newTestIdP(tb testing.TB) *testIdP {
	ti := &testIdP{kp: testKeys(tb)[0], encrypt: true}
	mux := http.NewServeMux()
	ti.srv = httptest.NewServer(mux)
	tb.Cleanup(ti.srv.Close)
	mdURL, _ := url.Parse(ti.srv.URL + "/metadata")
	ssoURL, _ := url.Parse(ti.srv.URL + "/sso")
	ti.idp = &saml.IdentityProvider{
		Key:                     ti.kp.key,
		Certificate:             ti.kp.cert,
		MetadataURL:             *mdURL,
		SSOURL:                  *ssoURL,
		ServiceProviderProvider: ti,
		SessionProvider:         ti,
		NameIDFormats:           []saml.NameIDFormat{saml.PersistentNameIDFormat, saml.UnspecifiedNameIDFormat},
	}
	mux.HandleFunc("/metadata", ti.idp.ServeMetadata)
	mux.HandleFunc("/sso", ti.idp.ServeSSO)
	// /start begins an IdP-initiated sign-in to the SP whose entity id is ?sp=, with ?relay=.
	mux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) {
		ti.idp.ServeIDPInitiated(w, r, r.URL.Query().Get("sp"), r.URL.Query().Get("relay"))
	})
	return ti
}

// metadataXML is the IdP's metadata, as an administrator would paste it.
func (ti *testIdP) metadataXML(tb testing.TB) string {
	buf, err := xml.MarshalIndent(ti.idp.Metadata(), "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	return string(buf)
}

// person is someone the IdP can sign in.
type person struct {
	nameID       string
	nameIDFormat saml.NameIDFormat
	attrs        map[string][]string
}

func (ti *testIdP) signIn(p person) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	var attrs []saml.Attribute
	for name, vals := range p.attrs {
		a := saml.Attribute{Name: name, NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified"}
		for _, v := range vals {
			a.Values = append(a.Values, saml.AttributeValue{Type: "xs:string", Value: v})
		}
		attrs = append(attrs, a)
	}
	format := p.nameIDFormat
	if format == "" {
		format = saml.PersistentNameIDFormat
	}
	now := time.Now()
	ti.next = &saml.Session{
		ID: "session-" + p.nameID, CreateTime: now, ExpireTime: now.Add(time.Hour), Index: "1",
		NameID: p.nameID, NameIDFormat: string(format), CustomAttributes: attrs,
	}
}

// GetSession implements saml.SessionProvider.
func (ti *testIdP) GetSession(w http.ResponseWriter, r *http.Request, req *saml.IdpAuthnRequest) *saml.Session {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	if ti.next == nil {
		http.Error(w, "test IdP: nobody to sign in", http.StatusForbidden)
		return nil
	}
	s := *ti.next
	return &s
}

// GetServiceProvider implements saml.ServiceProviderProvider by fetching the SP's metadata
// from its entity id over HTTP, as an IdP configured with a metadata URL does. Without
// encryption it drops the SP's encryption key, so the IdP sends the assertion in the clear.
func (ti *testIdP) GetServiceProvider(r *http.Request, id string) (*saml.EntityDescriptor, error) {
	resp, err := http.Get(id)
	if err != nil {
		return nil, os.ErrNotExist
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, os.ErrNotExist
	}
	body, _ := io.ReadAll(resp.Body)
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(body, &ed); err != nil {
		return nil, err
	}
	ti.mu.Lock()
	encrypt := ti.encrypt
	ti.mu.Unlock()
	if !encrypt {
		for i := range ed.SPSSODescriptors {
			var kds []saml.KeyDescriptor
			for _, kd := range ed.SPSSODescriptors[i].KeyDescriptors {
				if kd.Use != "encryption" {
					kds = append(kds, kd)
				}
			}
			ed.SPSSODescriptors[i].KeyDescriptors = kds
		}
	}
	return &ed, nil
}

func (ti *testIdP) setEncrypt(on bool) {
	ti.mu.Lock()
	ti.encrypt = on
	ti.mu.Unlock()
}

// syncBuffer is a log sink that tests read while the server writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is Roster's sign-in edge on a real bbolt file, served over HTTP through gin the way
// cmd/roster mounts it, beside a test IdP.
type env struct {
	tb      testing.TB
	ctx     context.Context
	svc     *directory.Service
	store   *bolt.Store
	handler *jit.Handler
	roster  *httptest.Server
	logs    *syncBuffer
	idp     *testIdP
}

// loopbackClient is the outbound client of the tests' Roster: their IdPs and OPs listen on
// loopback, which Roster refuses unless --allow-outbound lists it.
func loopbackClient() *http.Client {
	return outbound.Policy{Allow: outbound.MustParseAllowList("127.0.0.0/8,::1")}.Client()
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	st, err := bolt.Open(filepath.Join(tb.TempDir(), "roster.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	e := &env{tb: tb, ctx: context.Background(), svc: directory.New(st), store: st, logs: &syncBuffer{}}
	e.roster = httptest.NewUnstartedServer(nil)
	e.handler, err = jit.New(e.svc, jit.Config{
		BaseURL:    "http://" + e.roster.Listener.Addr().String(),
		Logger:     slog.New(slog.NewTextHandler(e.logs, nil)),
		ClockSkew:  time.Minute,
		SessionTTL: time.Hour,
		HTTPClient: loopbackClient(),
	})
	if err != nil {
		tb.Fatal(err)
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	e.handler.Routes(r)
	e.roster.Config.Handler = r
	e.roster.Start()
	tb.Cleanup(e.roster.Close)
	e.idp = newTestIdP(tb)
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("server log:\n%s", e.logs)
		}
	})
	return e
}

// addIdP creates a SAML IdP in Roster that trusts the test IdP, by metadata URL.
func (e *env) addIdP(p directory.IdP) directory.IdP {
	e.tb.Helper()
	p.Protocol = directory.ProtocolSAML
	if p.SAML.MetadataXML == "" && p.SAML.MetadataURL == "" {
		p.SAML.MetadataURL = e.idp.srv.URL + "/metadata"
	}
	if problems := e.handler.ValidateIdP(e.ctx, p); len(problems) > 0 {
		e.tb.Fatalf("ValidateIdP(%s): %v", p.ID, problems)
	}
	out, err := e.svc.CreateIdP(e.ctx, "admin:test", p)
	if err != nil {
		e.tb.Fatal(err)
	}
	return out
}

func (e *env) url(path string) string { return e.roster.URL + path }

// snapshot is what a refused or forged response must leave unchanged.
type snapshot struct {
	Users   []directory.User
	Groups  []directory.Group
	LastSeq uint64
}

func (e *env) snapshot() snapshot {
	e.tb.Helper()
	var s snapshot
	err := e.svc.View(e.ctx, func(tx directory.ReadTx) error {
		if err := tx.ScanUsers(directory.ScanQuery{}, func(u directory.User) error { s.Users = append(s.Users, u); return nil }); err != nil {
			return err
		}
		if err := tx.ScanGroups(directory.ScanQuery{}, func(g directory.Group) error { s.Groups = append(s.Groups, g); return nil }); err != nil {
			return err
		}
		var err error
		s.LastSeq, err = tx.LastSeq()
		return err
	})
	if err != nil {
		e.tb.Fatal(err)
	}
	return s
}

func (e *env) mustUnchanged(before snapshot) {
	e.tb.Helper()
	if diff := cmp.Diff(before, e.snapshot()); diff != "" {
		e.tb.Errorf("store changed (-before +after):\n%s", diff)
	}
}

// events returns the events after seq.
func (e *env) events(after uint64) []directory.Event {
	e.tb.Helper()
	evs, err := e.svc.Events(e.ctx, after, 1000, 0)
	if err != nil {
		e.tb.Fatal(err)
	}
	return evs
}

// browser is a person's browser: a cookie jar, and a client that follows redirects beside one
// that stops at the first answer, so tests can look at Roster's redirect after the ACS.
type browser struct {
	tb       testing.TB
	jar      *cookiejar.Jar
	follow   *http.Client
	noFollow *http.Client
}

func newBrowser(tb testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{
		tb: tb, jar: jar,
		follow: &http.Client{Jar: jar},
		noFollow: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
	}
}

// samlForm is the auto-submitting form an IdP answers with.
type samlForm struct {
	Action       string
	SAMLResponse string
	RelayState   string
}

// responseXML decodes the form's SAMLResponse.
func (f samlForm) responseXML(tb testing.TB) []byte {
	raw, err := base64.StdEncoding.DecodeString(f.SAMLResponse)
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

func (f samlForm) withResponse(xmlDoc []byte) samlForm {
	f.SAMLResponse = base64.StdEncoding.EncodeToString(xmlDoc)
	return f
}

// parseForm reads the IdP's POST form out of an HTML page.
func parseForm(tb testing.TB, body []byte) samlForm {
	tb.Helper()
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	var f samlForm
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			attr := func(k string) string {
				for _, a := range n.Attr {
					if a.Key == k {
						return a.Val
					}
				}
				return ""
			}
			switch n.Data {
			case "form":
				f.Action = attr("action")
			case "input":
				switch attr("name") {
				case "SAMLResponse":
					f.SAMLResponse = attr("value")
				case "RelayState":
					f.RelayState = attr("value")
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if f.Action == "" || f.SAMLResponse == "" {
		tb.Fatalf("no SAML form in page:\n%s", body)
	}
	return f
}

// startLogin follows an SP-initiated sign-in from Roster to the IdP and returns the IdP's form,
// not yet submitted.
func (b *browser) startLogin(e *env, idp, returnTo string) samlForm {
	b.tb.Helper()
	u := e.url("/sso/" + idp + "/login")
	if returnTo != "" {
		u += "?return_to=" + url.QueryEscape(returnTo)
	}
	resp, err := b.follow.Get(u)
	if err != nil {
		b.tb.Fatal(err)
	}
	body := readBody(b.tb, resp)
	if resp.StatusCode != http.StatusOK {
		b.tb.Fatalf("GET %s ended with %d:\n%s", u, resp.StatusCode, body)
	}
	return parseForm(b.tb, body)
}

// startIdPInitiated asks the IdP to sign the person in to Roster unasked.
func (b *browser) startIdPInitiated(e *env, idp, relay string) samlForm {
	b.tb.Helper()
	u := e.idp.srv.URL + "/start?sp=" + url.QueryEscape(e.handler.SPEntityID(idp)) + "&relay=" + url.QueryEscape(relay)
	resp, err := b.follow.Get(u)
	if err != nil {
		b.tb.Fatal(err)
	}
	body := readBody(b.tb, resp)
	if resp.StatusCode != http.StatusOK {
		b.tb.Fatalf("GET %s ended with %d:\n%s", u, resp.StatusCode, body)
	}
	return parseForm(b.tb, body)
}

// submit posts the form to its action, as the page's script would, and returns Roster's answer
// without following its redirect.
func (b *browser) submit(f samlForm) (*http.Response, string) {
	b.tb.Helper()
	form := url.Values{"SAMLResponse": {f.SAMLResponse}}
	if f.RelayState != "" {
		form.Set("RelayState", f.RelayState)
	}
	resp, err := b.noFollow.PostForm(f.Action, form)
	if err != nil {
		b.tb.Fatal(err)
	}
	return resp, string(readBody(b.tb, resp))
}

// login runs a whole SP-initiated sign-in and fails the test unless Roster redirects to want.
func (b *browser) login(e *env, idp, returnTo, want string) {
	b.tb.Helper()
	resp, body := b.submit(b.startLogin(e, idp, returnTo))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
		b.tb.Fatalf("ACS answered %d Location %q, want 303 to %q:\n%s", resp.StatusCode, resp.Header.Get("Location"), want, body)
	}
}

// me returns the status of GET /api/v1/me and the user it names.
func (b *browser) me(e *env) (int, jit.UserView) {
	b.tb.Helper()
	resp, err := b.follow.Get(e.url("/api/v1/me"))
	if err != nil {
		b.tb.Fatal(err)
	}
	body := readBody(b.tb, resp)
	var v jit.UserView
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &v); err != nil {
			b.tb.Fatalf("/api/v1/me: %v\n%s", err, body)
		}
	}
	return resp.StatusCode, v
}

func readBody(tb testing.TB, resp *http.Response) []byte {
	tb.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return body
}

// attrs builds an attribute map from name, value pairs.
func attrs(kv ...string) map[string][]string {
	m := map[string][]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = append(m[kv[i]], kv[i+1])
	}
	return m
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
