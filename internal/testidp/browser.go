package testidp

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// Browser is a person's browser: a cookie jar shared by a client that follows redirects
// (Follow) and one that stops at the first answer (NoFollow), so a test can look at each
// redirect of a sign-in. It submits an IdP's auto-posting SAML form the way the page's script
// would.
type Browser struct {
	tb       testing.TB
	Jar      *cookiejar.Jar
	Follow   *http.Client
	NoFollow *http.Client
}

// NewBrowser returns a browser with an empty cookie jar.
func NewBrowser(tb testing.TB) *Browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return &Browser{
		tb: tb, Jar: jar,
		Follow: &http.Client{Jar: jar, Timeout: time.Minute},
		NoFollow: &http.Client{Jar: jar, Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
	}
}

// SetTransport sends the browser's requests through rt, e.g. to pick the replica behind a
// load balancer's URL.
func (b *Browser) SetTransport(rt http.RoundTripper) {
	b.Follow.Transport = rt
	b.NoFollow.Transport = rt
}

// Get requests u and returns the first answer, not followed, with its body.
func (b *Browser) Get(u string) (*http.Response, string) {
	b.tb.Helper()
	resp, err := b.NoFollow.Get(u)
	if err != nil {
		b.tb.Fatal(err)
	}
	return resp, string(ReadBody(b.tb, resp))
}

// Visit requests u, follows every redirect, and returns the last answer with its body.
func (b *Browser) Visit(u string) (*http.Response, string) {
	b.tb.Helper()
	resp, err := b.Follow.Get(u)
	if err != nil {
		b.tb.Fatal(err)
	}
	return resp, string(ReadBody(b.tb, resp))
}

// SAMLForm visits u, a service provider's login URL or an IdP-initiated start URL, follows
// the redirects to the IdP and returns the SAML form the IdP answers with, not yet submitted.
func (b *Browser) SAMLForm(u string) Form {
	b.tb.Helper()
	resp, body := b.Visit(u)
	if resp.StatusCode != http.StatusOK {
		b.tb.Fatalf("GET %s ended with %d:\n%s", u, resp.StatusCode, body)
	}
	f, err := ParseForm([]byte(body))
	if err != nil {
		b.tb.Fatal(err)
	}
	return f
}

// Submit posts the form to its action, as the page's script would, and returns the answer
// without following its redirect.
func (b *Browser) Submit(f Form) (*http.Response, string) {
	b.tb.Helper()
	resp, err := b.NoFollow.PostForm(f.Action, f.Values())
	if err != nil {
		b.tb.Fatal(err)
	}
	return resp, string(ReadBody(b.tb, resp))
}

// Post is Submit for goroutines other than the test's: it returns a failure to reach the
// server rather than ending the test.
func (b *Browser) Post(f Form) (int, string, error) {
	resp, err := b.NoFollow.PostForm(f.Action, f.Values())
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// OIDCCallback starts a sign-in at loginURL, which must redirect to the authorization
// endpoint of issuer, lets the OP answer, and returns the redirect URI (with code and state,
// or error) the OP sends the browser to, not yet visited.
func (b *Browser) OIDCCallback(loginURL, issuer string) string {
	b.tb.Helper()
	resp, body := b.Get(loginURL)
	authz := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(authz, issuer+"/authorize?") {
		b.tb.Fatalf("GET %s answered %d Location %q, want a redirect to the OP at %s:\n%s", loginURL, resp.StatusCode, authz, issuer, body)
	}
	resp, body = b.Get(authz)
	if resp.StatusCode != http.StatusFound {
		b.tb.Fatalf("the OP answered %d Location %q:\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	return resp.Header.Get("Location")
}

// ReadBody reads and closes the body of resp.
func ReadBody(tb testing.TB, resp *http.Response) []byte {
	tb.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return body
}

// Form is the auto-submitting form a SAML IdP answers with.
type Form struct {
	Action       string
	SAMLResponse string
	RelayState   string
}

// Values are the form's fields as the browser posts them.
func (f Form) Values() url.Values {
	v := url.Values{"SAMLResponse": {f.SAMLResponse}}
	if f.RelayState != "" {
		v.Set("RelayState", f.RelayState)
	}
	return v
}

// ResponseXML decodes the form's SAMLResponse.
func (f Form) ResponseXML(tb testing.TB) []byte {
	tb.Helper()
	raw, err := base64.StdEncoding.DecodeString(f.SAMLResponse)
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// WithResponse returns the form carrying another response document.
func (f Form) WithResponse(xmlDoc []byte) Form {
	f.SAMLResponse = base64.StdEncoding.EncodeToString(xmlDoc)
	return f
}

// ParseForm reads an IdP's SAML POST form out of an HTML page.
func ParseForm(page []byte) (Form, error) {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return Form{}, err
	}
	var f Form
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
		return Form{}, errors.New("no SAML form in the page:\n" + string(page))
	}
	return f, nil
}
