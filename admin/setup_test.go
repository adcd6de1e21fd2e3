package admin_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/adminsession"
	"github.com/rosterhq/roster/internal/testidp"
	"github.com/rosterhq/roster/internal/testserver"
)

// setup_test.go: set-up links through the admin API — who may make them, what opening one
// grants (an org-admin of one organization limited to the link's intent, acting as the link),
// what a link that cannot be opened does (a page, nothing granted, nothing stored) — and the
// set-up guide and connection health the set-up console reads.

type setupLinkAnswer struct {
	ID        string    `json:"id"`
	Org       string    `json:"org"`
	Intent    string    `json:"intent"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
	Status    string    `json:"status"`
}

func (e *env) setupLink(org, intent string) setupLinkAnswer {
	e.t.Helper()
	var l setupLinkAnswer
	e.want(e.do("POST", "/admin/api/v1/orgs/"+org+"/setup-links", map[string]any{"intent": intent}), http.StatusCreated).json(e.t, &l)
	return l
}

// cookieBrowser is a browser of the set-up console: a cookie jar, redirects not followed.
type cookieBrowser struct {
	t      *testing.T
	e      *env
	client *http.Client
}

func (e *env) browser() *cookieBrowser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &cookieBrowser{t: e.t, e: e, client: &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// open opens a URL as a person clicking a link.
func (b *cookieBrowser) open(u string) resp {
	b.t.Helper()
	r, err := b.client.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	defer r.Body.Close()
	body, _ := io.ReadAll(r.Body)
	return resp{status: r.StatusCode, header: r.Header, body: body}
}

// api calls the admin API as the console's scripts do, with the browser's cookies and, for a
// write, the console's header.
func (b *cookieBrowser) api(method, path string, body any, headers ...string) resp {
	b.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, b.e.url+path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if method != http.MethodGet {
		req.Header.Set(adminsession.WriteHeader, "1")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	r, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer r.Body.Close()
	raw, _ := io.ReadAll(r.Body)
	return resp{status: r.StatusCode, header: r.Header, body: raw}
}

type whoami struct {
	ID     string `json:"id"`
	Role   string `json:"role"`
	Org    string `json:"org"`
	Actor  string `json:"actor"`
	Kind   string `json:"kind"`
	Intent string `json:"intent"`
}

func (b *cookieBrowser) whoami() (int, whoami) {
	b.t.Helper()
	r := b.api("GET", "/admin/api/v1/whoami", nil)
	var w whoami
	if r.status == http.StatusOK {
		r.json(b.t, &w)
	}
	return r.status, w
}

func TestSetupLinksAPI(t *testing.T) {
	e := newEnv(t)
	e.createOrg("acme")
	e.createOrg("globex")
	adminA := e.adminToken("acme-admin", directory.RoleOrgAdmin, "acme")
	viewerA := e.adminToken("acme-viewer", directory.RoleViewer, "acme")

	l := e.setupLink("acme", "sso")
	if !strings.HasPrefix(l.URL, e.url+"/setup/"+directory.SetupLinkPrefix) || l.Org != "acme" || l.Intent != "sso" || l.Status != "active" {
		t.Errorf("link %+v", l)
	}
	if d := time.Until(l.ExpiresAt); d < 6*24*time.Hour || d > 7*24*time.Hour {
		t.Errorf("a link without expires_in expires in %s; want 7 days", d)
	}
	// The org's own admin may make one; a viewer may not; another organization's admin does
	// not see the organization.
	e.want(e.doWith("POST", "/admin/api/v1/orgs/acme/setup-links", map[string]any{"intent": "domain", "expires_in": "2h"}, adminA), http.StatusCreated)
	e.want(e.doWith("POST", "/admin/api/v1/orgs/acme/setup-links", map[string]any{"intent": "all"}, viewerA), http.StatusForbidden)
	adminG := e.adminToken("globex-admin", directory.RoleOrgAdmin, "globex")
	e.want(e.doWith("POST", "/admin/api/v1/orgs/acme/setup-links", map[string]any{"intent": "all"}, adminG), http.StatusNotFound)
	e.want(e.doWith("GET", "/admin/api/v1/orgs/acme/setup-links", nil, adminG), http.StatusNotFound)

	for _, bad := range []map[string]any{{}, {"intent": "owner"}, {"intent": "sso", "expires_in": "45d"}, {"intent": "sso", "expires_in": "-1h"},
		{"intent": "sso", "extra": 1}} {
		e.want(e.do("POST", "/admin/api/v1/orgs/acme/setup-links", bad), http.StatusBadRequest)
	}

	var page struct {
		Items []setupLinkAnswer `json:"items"`
	}
	e.want(e.doWith("GET", "/admin/api/v1/orgs/acme/setup-links", nil, viewerA), http.StatusOK).json(t, &page)
	if len(page.Items) != 2 {
		t.Fatalf("acme's links: %+v", page.Items)
	}
	for _, it := range page.Items {
		if it.URL != "" {
			t.Errorf("a listed link shows its URL again: %+v", it)
		}
	}
	// Revoking: the org's admin may, another organization's admin sees no such link.
	e.want(e.doWith("DELETE", "/admin/api/v1/setup-links/"+l.ID, nil, adminG), http.StatusNotFound)
	var revoked setupLinkAnswer
	e.want(e.doWith("DELETE", "/admin/api/v1/setup-links/"+l.ID, nil, adminA), http.StatusOK).json(t, &revoked)
	if revoked.Status != "revoked" {
		t.Errorf("revoked: %+v", revoked)
	}
	e.want(e.do("DELETE", "/admin/api/v1/setup-links/nope", nil), http.StatusNotFound)
}

func TestSetupLinkSession(t *testing.T) {
	e := newEnv(t)
	e.createOrg("acme")
	e.createOrg("globex")
	e.createIdPIn("globex", "gx", directory.ModeBoth)

	l := e.setupLink("acme", "sso")
	b := e.browser()
	r := b.open(l.URL)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/#/setup" {
		t.Fatalf("opening the link: %d %q %s", r.status, r.header.Get("Location"), r.body)
	}
	cookie := setCookie(r.header, adminsession.SetupCookie)
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/" || cookie.Secure {
		t.Fatalf("the set-up cookie %+v; want HttpOnly, SameSite=Strict, Path=/ (not Secure behind http)", cookie)
	}
	status, who := b.whoami()
	if status != http.StatusOK || who.Kind != "setup" || who.Role != "org-admin" || who.Org != "acme" || who.Intent != "sso" || who.Actor != "setup:"+l.ID {
		t.Fatalf("whoami: %d %+v", status, who)
	}

	// sso: IdPs and their test sign-in, nothing else.
	seq := e.lastSeq()
	idp := oidcIdP("okta", directory.ModeBoth)
	e.want(b.api("POST", "/admin/api/v1/idps", idp), http.StatusCreated)
	evs := e.dir.Events(seq)
	if len(evs) != 1 || evs[0].Type != directory.EventIdPCreated || evs[0].Actor != "setup:"+l.ID || evs[0].Org != "acme" {
		t.Errorf("creating an IdP by the set-up session wrote %+v; want idp.created of acme by setup:%s", evs, l.ID)
	}
	e.want(b.api("PATCH", "/admin/api/v1/idps/okta", map[string]any{"mode": "jit"}), http.StatusOK)
	e.want(b.api("GET", "/admin/api/v1/idps/okta/health", nil), http.StatusOK)
	e.want(b.api("GET", "/admin/api/v1/idps/okta/setup-guide", nil), http.StatusOK)
	e.want(b.api("POST", "/admin/api/v1/idps/okta/test-sign-in", nil), http.StatusCreated)
	e.want(b.api("GET", "/admin/api/v1/presets", nil), http.StatusOK)
	e.want(b.api("GET", "/admin/api/v1/orgs/acme", nil), http.StatusOK)
	for _, denied := range []struct{ method, path string }{
		{"POST", "/admin/api/v1/idps/okta/scim-tokens"}, {"GET", "/admin/api/v1/idps/okta/scim-tokens"},
		{"POST", "/admin/api/v1/orgs/acme/domains"}, {"GET", "/admin/api/v1/users"}, {"GET", "/admin/api/v1/events"},
		{"GET", "/admin/api/v1/orgs/acme/setup-links"}, {"POST", "/admin/api/v1/orgs/acme/setup-links"},
		{"GET", "/admin/api/v1/idps/okta/reconciliation"}, {"PATCH", "/admin/api/v1/orgs/acme"}, {"GET", "/admin/api/v1/admin-tokens"},
		{"GET", "/admin/api/v1/webhooks"},
	} {
		r := b.api(denied.method, denied.path, map[string]any{"domain": "acme.test", "intent": "all"})
		if r.status != http.StatusForbidden {
			t.Errorf("%s %s by an sso set-up session: %d %s; want 403", denied.method, denied.path, r.status, r.body)
		}
	}
	// Another organization's IdP does not exist for it.
	e.want(b.api("GET", "/admin/api/v1/idps/gx", nil), http.StatusNotFound)
	e.want(b.api("GET", "/admin/api/v1/orgs/globex", nil), http.StatusNotFound)
	body := oidcIdP("evil", directory.ModeBoth)
	body["org"] = "globex"
	e.want(b.api("POST", "/admin/api/v1/idps", body), http.StatusNotFound)

	// A write without the console's header, or said by the browser to come from another site,
	// is refused.
	seq = e.lastSeq()
	e.want(b.api("PATCH", "/admin/api/v1/idps/okta", map[string]any{"mode": "both"}, adminsession.WriteHeader, ""), http.StatusForbidden)
	e.want(b.api("PATCH", "/admin/api/v1/idps/okta", map[string]any{"mode": "both"}, "Sec-Fetch-Site", "cross-site"), http.StatusForbidden)
	e.want(b.api("PATCH", "/admin/api/v1/idps/okta", map[string]any{"mode": "both"}, "Sec-Fetch-Site", "same-site"), http.StatusForbidden)
	if evs := e.dir.Events(seq); len(evs) != 0 {
		t.Errorf("refused writes wrote %+v", evs)
	}
	// A bearer token wins over the cookie.
	r = b.api("GET", "/admin/api/v1/whoami", nil, "Authorization", "Bearer "+e.token)
	var asOwner whoami
	r.json(t, &asOwner)
	if asOwner.Kind != "admin" || asOwner.Role != "owner" {
		t.Errorf("whoami with a token and a cookie: %+v", asOwner)
	}

	// Each intent reaches its own part.
	for _, c := range []struct {
		intent  string
		allowed []struct{ method, path string }
		denied  []struct{ method, path string }
	}{
		{"domain",
			[]struct{ method, path string }{{"POST", "/admin/api/v1/orgs/acme/domains"}, {"GET", "/admin/api/v1/orgs/acme"}},
			[]struct{ method, path string }{{"GET", "/admin/api/v1/idps"}, {"POST", "/admin/api/v1/idps/okta/scim-tokens"}, {"POST", "/admin/api/v1/idps/okta/test-sign-in"}}},
		{"scim",
			[]struct{ method, path string }{{"POST", "/admin/api/v1/idps/okta/scim-tokens"}, {"GET", "/admin/api/v1/idps/okta"}, {"GET", "/admin/api/v1/idps/okta/scim-tokens"}},
			[]struct{ method, path string }{{"PATCH", "/admin/api/v1/idps/okta"}, {"POST", "/admin/api/v1/orgs/acme/domains"}, {"POST", "/admin/api/v1/idps/okta/test-sign-in"}}},
		{"all",
			[]struct{ method, path string }{{"POST", "/admin/api/v1/idps/okta/scim-tokens"}, {"PATCH", "/admin/api/v1/idps/okta"}, {"POST", "/admin/api/v1/orgs/acme/domains"},
				{"POST", "/admin/api/v1/idps/okta/test-sign-in"}},
			[]struct{ method, path string }{{"GET", "/admin/api/v1/users"}, {"GET", "/admin/api/v1/groups"}, {"POST", "/admin/api/v1/orgs/acme/setup-links"}}},
	} {
		b := e.browser()
		b.open(e.setupLink("acme", c.intent).URL)
		body := func(path string) any {
			switch {
			case strings.HasSuffix(path, "/domains"):
				return map[string]any{"domain": "acme-" + c.intent + ".test"}
			case strings.HasSuffix(path, "/scim-tokens"):
				return map[string]any{"name": "connector"}
			case strings.HasSuffix(path, "/okta"):
				return map[string]any{"mode": "both"}
			}
			return nil
		}
		for _, a := range c.allowed {
			if r := b.api(a.method, a.path, body(a.path)); r.status >= 300 {
				t.Errorf("%s %s by a %s set-up session: %d %s", a.method, a.path, c.intent, r.status, r.body)
			}
		}
		for _, d := range c.denied {
			if r := b.api(d.method, d.path, body(d.path)); r.status != http.StatusForbidden {
				t.Errorf("%s %s by a %s set-up session: %d %s; want 403", d.method, d.path, c.intent, r.status, r.body)
			}
		}
	}

	// Signing out ends the session; the link itself still opens.
	e.want(b.api("POST", "/admin/api/v1/logout", nil), http.StatusNoContent)
	if status, _ := b.whoami(); status != http.StatusUnauthorized {
		t.Errorf("whoami after signing out: %d", status)
	}
	e.want(e.do("POST", "/admin/api/v1/logout", nil), http.StatusBadRequest)
}

func setCookie(h http.Header, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestSetupLinkThatCannotBeOpened(t *testing.T) {
	e := newEnv(t)
	e.createOrg("acme")
	// A session opened before the link was revoked ends with it.
	revoked := e.setupLink("acme", "all")
	b := e.browser()
	b.open(revoked.URL)
	if status, _ := b.whoami(); status != http.StatusOK {
		t.Fatalf("the session before revoking: %d", status)
	}
	e.want(e.do("DELETE", "/admin/api/v1/setup-links/"+revoked.ID, nil), http.StatusOK)
	r := b.api("GET", "/admin/api/v1/whoami", nil)
	if c := setCookie(r.header, adminsession.SetupCookie); r.status != http.StatusUnauthorized || c == nil || c.MaxAge >= 0 {
		t.Errorf("the session of a revoked link: %d, cookie %+v; want 401 and the cookie cleared", r.status, c)
	}

	expired, secret, err := e.svc.CreateSetupLink(t.Context(), "admin:test", "acme", directory.SetupAll, time.Now().Add(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	_ = expired
	good := e.setupLink("acme", "sso")
	tampered := good.URL[:len(good.URL)-3] + "abc"

	for _, c := range []struct {
		name, url, says string
		status          int
	}{
		{"expired", e.url + "/setup/" + secret, "has expired", http.StatusGone},
		{"revoked", revoked.URL, "has been revoked", http.StatusGone},
		{"tampered", tampered, "is not valid", http.StatusNotFound},
		{"cut short", good.URL[:len(good.URL)-10], "is not valid", http.StatusNotFound},
		{"not a link", e.url + "/setup/" + url.PathEscape(e.token), "is not valid", http.StatusNotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			seq := e.lastSeq()
			b := e.browser()
			r := b.open(c.url)
			if r.status != c.status || !strings.Contains(string(r.body), c.says) || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
				t.Errorf("%d %s; want %d and a page saying the link %s", r.status, r.body, c.status, c.says)
			}
			if len(r.header.Values("Set-Cookie")) != 0 {
				t.Errorf("a refused link set cookies: %q", r.header.Values("Set-Cookie"))
			}
			if evs := e.dir.Events(seq); len(evs) != 0 {
				t.Errorf("a refused link wrote events: %+v", evs)
			}
			if status, _ := b.whoami(); status != http.StatusUnauthorized {
				t.Errorf("after a refused link the browser is someone: %d", status)
			}
		})
	}
	// The good link still works: the refusals consumed nothing of it.
	if r := e.browser().open(good.URL); r.status != http.StatusSeeOther {
		t.Errorf("the good link: %d", r.status)
	}
}

func TestSetupCookieIsSecureBehindHTTPS(t *testing.T) {
	s := testserver.Start(t, testserver.Config{BaseURL: "https://roster.test", SkipOIDCDiscovery: true})
	e := &env{t: t, dir: s.Directory, svc: s.Service, url: s.URL, token: s.AdminToken}
	e.createOrg("acme")
	l := e.setupLink("acme", "sso")
	if !strings.HasPrefix(l.URL, "https://roster.test/setup/") {
		t.Fatalf("url %q", l.URL)
	}
	r := e.browser().open(s.URL + strings.TrimPrefix(l.URL, "https://roster.test"))
	c := setCookie(r.header, adminsession.SetupCookie)
	if c == nil || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
		t.Errorf("the set-up cookie behind https: %+v", c)
	}
}

func TestSetupGuides(t *testing.T) {
	e := newEnv(t)
	type guide struct {
		SAML, OIDC, SCIM []struct {
			Title  string `json:"title"`
			Text   string `json:"text"`
			Paste  []struct{ Name, Label, Value string }
			Claims []struct {
				Name, Source, Feeds string
				Required            bool
			}
		}
	}
	var presets struct {
		Items []struct {
			ID    string `json:"id"`
			Guide guide  `json:"guide"`
		} `json:"items"`
	}
	e.want(e.do("GET", "/admin/api/v1/presets", nil), http.StatusOK).json(t, &presets)
	want := []string{"entra", "okta", "pingone", "google", "onelogin", "jumpcloud", "keycloak", "generic"}
	if len(presets.Items) != len(want) {
		t.Fatalf("%d presets", len(presets.Items))
	}
	keys := map[string]string{}
	for i, p := range presets.Items {
		if p.ID != want[i] {
			t.Errorf("preset %d is %q, want %q", i, p.ID, want[i])
		}
		if len(p.Guide.SAML) == 0 || len(p.Guide.OIDC) == 0 || len(p.Guide.SCIM) == 0 {
			t.Errorf("%s: a guide lacks SAML, OIDC or SCIM steps", p.ID)
		}
		for proto, steps := range map[string]int{"saml": len(p.Guide.SAML), "oidc": len(p.Guide.OIDC)} {
			list := p.Guide.SAML
			if proto == "oidc" {
				list = p.Guide.OIDC
			}
			found := false
			for _, st := range list[:steps] {
				for _, c := range st.Claims {
					if c.Feeds == "uniqueUserId" && c.Required {
						found = true
						keys[p.ID+"/"+proto] = c.Name + " ← " + c.Source
					}
				}
			}
			if !found {
				t.Errorf("%s %s: no step says what feeds uniqueUserId", p.ID, proto)
			}
		}
	}
	for k, v := range map[string]string{
		"entra/saml":   "userUniqueId ← user.objectid",
		"okta/saml":    "uniqueUserId ← user.id",
		"pingone/saml": "userUniqueId ← User ID",
	} {
		if keys[k] != v {
			t.Errorf("%s feeds the key by %q, want %q", k, keys[k], v)
		}
	}

	// One IdP's guide has Roster's values filled in.
	md := testidp.NewSAML(t).MetadataXML(t)
	e.want(e.do("POST", "/admin/api/v1/idps", map[string]any{"id": "entra", "protocol": "saml", "preset": "entra",
		"saml": map[string]any{"metadata_xml": md}}), http.StatusCreated)
	var g struct {
		Preset string            `json:"preset"`
		Values map[string]string `json:"values"`
		Guide  guide             `json:"guide"`
	}
	e.want(e.do("GET", "/admin/api/v1/idps/entra/setup-guide", nil), http.StatusOK).json(t, &g)
	if g.Preset != "entra" || g.Values["acs_url"] != e.url+"/sso/entra/saml/acs" || g.Values["scim_base_url"] != e.url+"/scim/v2" {
		t.Errorf("guide values %+v", g.Values)
	}
	var filled, external bool
	for _, st := range append(g.Guide.SAML, g.Guide.SCIM...) {
		for _, p := range st.Paste {
			if p.Name == "acs_url" && p.Label == "Reply URL (Assertion Consumer Service URL)" && p.Value == g.Values["acs_url"] {
				filled = true
			}
		}
		for _, c := range st.Claims {
			if c.Name == "externalId" && c.Source == "objectId" {
				external = true
			}
		}
	}
	if !filled || !external {
		t.Errorf("entra's guide: Reply URL filled %v, externalId ← objectId %v", filled, external)
	}
}

func TestIdPHealthAPI(t *testing.T) {
	e := newEnv(t)
	saml := testidp.NewSAML(t)
	e.want(e.do("POST", "/admin/api/v1/idps", map[string]any{"id": "okta", "protocol": "saml", "preset": "okta", "mode": "both",
		"saml": map[string]any{"metadata_xml": saml.MetadataXML(t)}}), http.StatusCreated)
	var h struct {
		Metadata struct {
			Checked, Valid bool
			Source         string
		} `json:"metadata"`
		Certificates []struct {
			Subject  string `json:"subject"`
			DaysLeft int    `json:"days_left"`
			SHA256   string `json:"sha256"`
		} `json:"certificates"`
		SCIM struct {
			LastRequest *struct {
				Operation, Status string
			} `json:"last_request"`
		} `json:"scim"`
		Warnings  []string `json:"warnings"`
		Checklist []struct {
			ID     string `json:"id"`
			Done   bool   `json:"done"`
			Needed bool   `json:"needed"`
		} `json:"checklist"`
	}
	e.want(e.do("GET", "/admin/api/v1/idps/okta/health", nil), http.StatusOK).json(t, &h)
	if !h.Metadata.Checked || !h.Metadata.Valid || h.Metadata.Source != "metadata_xml" || len(h.Certificates) != 1 ||
		!strings.Contains(h.Certificates[0].Subject, "test idp") || h.Certificates[0].DaysLeft < 360 || len(h.Certificates[0].SHA256) != 64 {
		t.Errorf("metadata %+v, certificates %+v", h.Metadata, h.Certificates)
	}
	if len(h.Checklist) != 4 || !h.Checklist[0].Done || h.Checklist[2].Done || !h.Checklist[2].Needed {
		t.Errorf("checklist %+v", h.Checklist)
	}
	if !strings.Contains(strings.Join(h.Warnings, "\n"), "no usable SCIM token") {
		t.Errorf("warnings %q", h.Warnings)
	}
	// A SCIM request turns its item green.
	_, secret := e.dir.SCIMToken("okta")
	r := testserver.Request(t, "POST", e.url+"/scim/v2/Users", secret, map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "ada@example.com", "externalId": "00u1", "active": true})
	if r.Status != http.StatusCreated {
		t.Fatalf("SCIM create: %d %s", r.Status, r.Body)
	}
	e.want(e.do("GET", "/admin/api/v1/idps/okta/health", nil), http.StatusOK).json(t, &h)
	if h.SCIM.LastRequest == nil || h.SCIM.LastRequest.Operation != "create user" || h.SCIM.LastRequest.Status != "ok" || !h.Checklist[2].Done {
		t.Errorf("after a SCIM create: %+v, %+v", h.SCIM.LastRequest, h.Checklist)
	}
	e.want(e.do("GET", "/admin/api/v1/idps/nope/health", nil), http.StatusNotFound)
}

// TestEndedSessionsMeetTheLimiter (issue 17, V4, with the session cookies main added): a
// console or set-up session cookie that has ended is a failed authentication like a wrong
// token, counted by the same limiter — 429 with Retry-After past the limit, an
// admin.auth_failed event naming only the kind of credential — while a live session and the
// admin token from the same address still pass.
func TestEndedSessionsMeetTheLimiter(t *testing.T) {
	e := newEnv(t)
	e.createOrg("acme")
	live := e.browser()
	live.open(e.setupLink("acme", "all").URL)
	ended := e.setupLink("acme", "all")
	r := e.browser().open(ended.URL)
	cookie := setCookie(r.header, adminsession.SetupCookie)
	if cookie == nil {
		t.Fatalf("opening a set-up link set no cookie: %d", r.status)
	}
	e.want(e.do("DELETE", "/admin/api/v1/setup-links/"+ended.ID, nil), http.StatusOK)

	seq := e.lastSeq()
	withEnded := func() resp {
		req, err := http.NewRequest(http.MethodGet, e.url+"/admin/api/v1/whoami", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return resp{status: res.StatusCode, header: res.Header, body: body}
	}
	for i := range 10 {
		if r := withEnded(); r.status != http.StatusUnauthorized {
			t.Fatalf("request %d with the ended session: %d, want 401", i+1, r.status)
		}
	}
	if r := withEnded(); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Errorf("the 11th request with the ended session: %d, Retry-After %q; want 429 with it", r.status, r.header.Get("Retry-After"))
	}
	if status, who := live.whoami(); status != http.StatusOK || who.Kind != "setup" {
		t.Errorf("a live set-up session from the limited address: %d %+v, want 200", status, who)
	}
	e.want(e.do("GET", "/admin/api/v1/whoami", nil), http.StatusOK)
	var kinds []string
	for _, ev := range e.dir.Events(seq) {
		if ev.Type == directory.EventAdminAuthFailed {
			kinds = append(kinds, ev.Reason)
			if strings.Contains(ev.Reason, cookie.Value) || !strings.Contains(ev.Reason, "rst_setupsess_") {
				t.Errorf("auth failure event %q: want the kind of credential and nothing of its secret", ev.Reason)
			}
		}
	}
	if len(kinds) != 2 {
		t.Errorf("auth failure events %q, want two: the first failure and the crossing of the limit", kinds)
	}
}
