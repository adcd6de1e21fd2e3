package conformance

// A SAML identity provider for the JIT tests: crewjam/saml's IdentityProvider with its own key,
// served over HTTP by the test process, and a browser (cookie jar, redirects followed, the
// IdP's auto-posting form submitted as its script would). The server under test reaches the
// IdP only through the browser, so the IdP may run on the tester's machine.

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/xml"
	"io"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/crewjam/saml"
	"golang.org/x/net/html"
)

type jitIdP struct {
	srv *httptest.Server
	idp *saml.IdentityProvider

	mu   sync.Mutex
	next *saml.Session
}

func newJITIdP(t *testing.T) *jitIdP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "conformance idp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ji := &jitIdP{}
	mux := http.NewServeMux()
	ji.srv = httptest.NewServer(mux)
	t.Cleanup(ji.srv.Close)
	mdURL, _ := url.Parse(ji.srv.URL + "/metadata")
	ssoURL, _ := url.Parse(ji.srv.URL + "/sso")
	ji.idp = &saml.IdentityProvider{Key: key, Certificate: cert, MetadataURL: *mdURL, SSOURL: *ssoURL,
		ServiceProviderProvider: ji, SessionProvider: ji,
		NameIDFormats: []saml.NameIDFormat{saml.PersistentNameIDFormat}}
	mux.HandleFunc("/metadata", ji.idp.ServeMetadata)
	mux.HandleFunc("/sso", ji.idp.ServeSSO)
	return ji
}

func (ji *jitIdP) metadataXML(t *testing.T) string {
	b, err := xml.Marshal(ji.idp.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// signIn sets who the IdP signs in next, with these attributes.
func (ji *jitIdP) signIn(nameID string, attrs map[string]string) {
	var as []saml.Attribute
	for k, v := range attrs {
		as = append(as, saml.Attribute{Name: k, Values: []saml.AttributeValue{{Type: "xs:string", Value: v}}})
	}
	now := time.Now()
	ji.mu.Lock()
	ji.next = &saml.Session{ID: "s-" + nameID, CreateTime: now, ExpireTime: now.Add(time.Hour), Index: "1",
		NameID: nameID, NameIDFormat: string(saml.PersistentNameIDFormat), CustomAttributes: as}
	ji.mu.Unlock()
}

func (ji *jitIdP) GetSession(w http.ResponseWriter, r *http.Request, req *saml.IdpAuthnRequest) *saml.Session {
	ji.mu.Lock()
	defer ji.mu.Unlock()
	if ji.next == nil {
		http.Error(w, "nobody to sign in", http.StatusForbidden)
		return nil
	}
	s := *ji.next
	return &s
}

// GetServiceProvider fetches the SP metadata from its entity id, as IdPs configured with a
// metadata URL do.
func (ji *jitIdP) GetServiceProvider(r *http.Request, id string) (*saml.EntityDescriptor, error) {
	resp, err := http.Get(id)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, os.ErrNotExist
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var ed saml.EntityDescriptor
	return &ed, xml.Unmarshal(body, &ed)
}

type jitBrowser struct {
	follow, noFollow *http.Client
}

func newJITBrowser() *jitBrowser {
	jar, _ := cookiejar.New(nil)
	return &jitBrowser{
		follow: &http.Client{Jar: jar, Timeout: 30 * time.Second},
		noFollow: &http.Client{Jar: jar, Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
}

// signIn starts at the server's login URL, lets the IdP answer, posts its form to the ACS and
// returns the ACS's answer unfollowed, and the form it posted.
func (b *jitBrowser) signIn(t *testing.T, loginURL string) (*http.Response, string, url.Values) {
	t.Helper()
	resp, err := b.follow.Get(loginURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", loginURL, resp.StatusCode, body)
	}
	action, fields := postForm(t, body)
	resp, err = b.noFollow.PostForm(action, fields)
	if err != nil {
		t.Fatal(err)
	}
	return resp, action, fields
}

// postForm reads a form's action and hidden inputs from an HTML page.
func postForm(t *testing.T, page []byte) (string, url.Values) {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	action, fields := "", url.Values{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			get := func(k string) string {
				for _, a := range n.Attr {
					if a.Key == k {
						return a.Val
					}
				}
				return ""
			}
			switch n.Data {
			case "form":
				action = get("action")
			case "input":
				if name := get("name"); name != "" {
					fields.Set(name, get("value"))
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if action == "" || fields.Get("SAMLResponse") == "" {
		t.Fatalf("no SAML form in:\n%s", page)
	}
	return action, fields
}
