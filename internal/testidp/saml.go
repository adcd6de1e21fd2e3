package testidp

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/crewjam/saml"
)

// SAML is a SAML 2.0 identity provider over HTTP: metadata at /metadata, single sign-on at
// /sso, and IdP-initiated sign-in at /start (StartURL). It learns a service provider by
// fetching the SP's metadata from its entity id, as an IdP configured with a metadata URL does,
// and encrypts assertions to the SP's encryption certificate unless told otherwise.
type SAML struct {
	// URL is the IdP's base URL, without a trailing slash.
	URL string

	idp *saml.IdentityProvider
	key KeyPair
	// keyMu guards the key the IdP signs with and publishes (SetKey).
	keyMu sync.RWMutex

	mu      sync.Mutex
	next    *saml.Session
	encrypt bool
}

// Person is someone the SAML IdP signs in: the NameID (persistent unless said otherwise) and
// the attributes of the assertion.
type Person struct {
	NameID       string
	NameIDFormat saml.NameIDFormat
	Attrs        map[string][]string
}

// Attrs builds an attribute map from name, value pairs; a name may repeat.
func Attrs(kv ...string) map[string][]string {
	m := map[string][]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = append(m[kv[i]], kv[i+1])
	}
	return m
}

// NewSAML starts a SAML IdP signing with IdPKey; it stops when the test ends.
func NewSAML(tb testing.TB) *SAML {
	tb.Helper()
	s := &SAML{key: IdPKey(), encrypt: true}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	s.URL = srv.URL
	mdURL, _ := url.Parse(s.URL + "/metadata")
	ssoURL, _ := url.Parse(s.URL + "/sso")
	s.idp = &saml.IdentityProvider{
		Key:                     s.key.Key,
		Certificate:             s.key.Cert,
		MetadataURL:             *mdURL,
		SSOURL:                  *ssoURL,
		ServiceProviderProvider: s,
		SessionProvider:         s,
		NameIDFormats:           []saml.NameIDFormat{saml.PersistentNameIDFormat, saml.UnspecifiedNameIDFormat},
	}
	mux.HandleFunc("/metadata", s.withKey(s.idp.ServeMetadata))
	mux.HandleFunc("/sso", s.withKey(s.idp.ServeSSO))
	mux.HandleFunc("/start", s.withKey(func(w http.ResponseWriter, r *http.Request) {
		s.idp.ServeIDPInitiated(w, r, r.URL.Query().Get("sp"), r.URL.Query().Get("relay"))
	}))
	return s
}

// withKey runs h while the key cannot change.
func (s *SAML) withKey(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.keyMu.RLock()
		defer s.keyMu.RUnlock()
		h(w, r)
	}
}

// SetKey makes the IdP sign with k and publish k's certificate in its metadata, as an IdP does
// when its signing certificate is rolled over.
func (s *SAML) SetKey(k KeyPair) {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	s.key, s.idp.Key, s.idp.Certificate = k, k.Key, k.Cert
}

// MetadataURL is where the IdP serves its metadata.
func (s *SAML) MetadataURL() string { return s.URL + "/metadata" }

// Metadata is the IdP's metadata document.
func (s *SAML) Metadata() *saml.EntityDescriptor {
	s.keyMu.RLock()
	defer s.keyMu.RUnlock()
	return s.idp.Metadata()
}

// MetadataXML is the IdP's metadata, as an administrator would paste it.
func (s *SAML) MetadataXML(tb testing.TB) string {
	tb.Helper()
	buf, err := xml.MarshalIndent(s.Metadata(), "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	return string(buf)
}

// Key is the key pair the IdP signs with.
func (s *SAML) Key() KeyPair {
	s.keyMu.RLock()
	defer s.keyMu.RUnlock()
	return s.key
}

// StartURL begins an IdP-initiated sign-in to the SP whose entity id is sp, with relay as its
// RelayState.
func (s *SAML) StartURL(sp, relay string) string {
	return s.URL + "/start?" + url.Values{"sp": {sp}, "relay": {relay}}.Encode()
}

// SignIn names the person the IdP signs in from now on.
func (s *SAML) SignIn(p Person) {
	var attrs []saml.Attribute
	for name, vals := range p.Attrs {
		a := saml.Attribute{Name: name, NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified"}
		for _, v := range vals {
			a.Values = append(a.Values, saml.AttributeValue{Type: "xs:string", Value: v})
		}
		attrs = append(attrs, a)
	}
	format := p.NameIDFormat
	if format == "" {
		format = saml.PersistentNameIDFormat
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next = &saml.Session{
		ID: "session-" + p.NameID, CreateTime: now, ExpireTime: now.Add(time.Hour), Index: "1",
		NameID: p.NameID, NameIDFormat: string(format), CustomAttributes: attrs,
	}
}

// SetEncrypt chooses whether assertions are encrypted to the SP (the default) or sent in the
// clear, which attack tests need in order to edit them.
func (s *SAML) SetEncrypt(on bool) {
	s.mu.Lock()
	s.encrypt = on
	s.mu.Unlock()
}

// SetSignatureMethod makes the IdP sign with method (a goxmldsig method URI such as RSA-SHA1's),
// as an old IdP does; "" is the default, RSA-SHA256.
func (s *SAML) SetSignatureMethod(method string) {
	s.mu.Lock()
	s.idp.SignatureMethod = method
	s.mu.Unlock()
}

// GetSession implements saml.SessionProvider: the person named by SignIn, at once.
func (s *SAML) GetSession(w http.ResponseWriter, r *http.Request, req *saml.IdpAuthnRequest) *saml.Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next == nil {
		http.Error(w, "test IdP: nobody to sign in", http.StatusForbidden)
		return nil
	}
	sess := *s.next
	return &sess
}

// GetServiceProvider implements saml.ServiceProviderProvider by fetching the SP's metadata
// from its entity id over HTTP. Without encryption it drops the SP's encryption key, so the
// IdP sends the assertion in the clear.
func (s *SAML) GetServiceProvider(r *http.Request, id string) (*saml.EntityDescriptor, error) {
	resp, err := http.Get(id)
	if err != nil {
		return nil, os.ErrNotExist
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, os.ErrNotExist
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(body, &ed); err != nil {
		return nil, err
	}
	s.mu.Lock()
	encrypt := s.encrypt
	s.mu.Unlock()
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
