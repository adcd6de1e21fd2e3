package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/adminsession"
)

// This file is the admin edge of self-service set-up: browser sessions as credentials (a
// console session started by SSO, a set-up session started by a set-up link), set-up links
// themselves, the page a set-up link opens, the console's SSO entry, and test tickets.

// routeAreas says which area of the surface each route's path touches, for the intent of a
// set-up session (directory.AuthorizeArea). A path not listed is directory.AreaOther, which
// no set-up session reaches.
var routeAreas = map[string]directory.Area{
	"/orgs":                               directory.AreaOrg,
	"/orgs/{org}":                         directory.AreaOrg,
	"/orgs/{org}/domains":                 directory.AreaDomains,
	"/orgs/{org}/domains/{domain}/verify": directory.AreaDomains,
	"/orgs/{org}/domains/{domain}":        directory.AreaDomains,
	"/idps":                               directory.AreaIdPs,
	"/idps/{id}":                          directory.AreaIdPs,
	"/idps/{id}/health":                   directory.AreaIdPs,
	"/idps/{id}/setup-guide":              directory.AreaIdPs,
	"/idps/{id}/test-sign-in":             directory.AreaTestSignIn,
	"/idps/{id}/scim-tokens":              directory.AreaSCIMTokens,
	"/scim-tokens/{id}":                   directory.AreaSCIMTokens,
	"/presets":                            directory.AreaPresets,
	"/whoami":                             directory.AreaSelf,
	"/logout":                             directory.AreaSelf,
}

func areaOf(path string) directory.Area { return routeAreas[path] }

// setupSessionTTL is how long a set-up session lasts at most; never past its link's expiry.
const setupSessionTTL = 12 * time.Hour

// defaultSetupLinkTTL is a set-up link's life when the request names none.
const defaultSetupLinkTTL = 7 * 24 * time.Hour

// sessionCredential authenticates a request by its console or set-up session cookie, when it
// has one and no Authorization header (a bearer token always wins). handled is false when the
// request is not the cookie's to answer; when it is, p is the principal, or nil after the
// refusal has been answered: a session that ended (401, the cookie cleared) or a write
// without the console's header (403).
func (h *Handler) sessionCredential(w http.ResponseWriter, r *http.Request) (p *directory.Principal, handled bool) {
	if r.Header.Get("Authorization") != "" {
		return nil, false
	}
	s, ok, err := adminsession.FromRequest(r.Context(), h.svc, r)
	switch {
	case !ok:
		return nil, false
	case errors.Is(err, adminsession.ErrEnded):
		adminsession.Clear(w, s.Cookie, h.secure())
		if !h.limitFailure(w, r, s.Secret) {
			writeError(w, http.StatusUnauthorized, "your session has ended: sign in to the console again, or open your set-up link again")
		}
		return nil, true
	case err != nil:
		h.fail(w, r, err)
		return nil, true
	case !adminsession.WriteAllowed(r):
		writeError(w, http.StatusForbidden, fmt.Sprintf("a change made with a console or set-up session must be sent by the console, with the header %s: 1", adminsession.WriteHeader))
		return nil, true
	}
	return &s.Principal, true
}

// secure says whether cookies must be Secure: behind an https base URL.
func (h *Handler) secure() bool { return strings.HasPrefix(h.cfg.BaseURL, "https://") }

// logout ends the console or set-up session of the request and clears its cookie. An admin
// token has no session to end: it is revoked instead (DELETE /admin-tokens/{id}).
func (h *Handler) logout(w http.ResponseWriter, r *http.Request, a access) error {
	s, ok, err := adminsession.FromRequest(r.Context(), h.svc, r)
	if err != nil || !ok || r.Header.Get("Authorization") != "" {
		return badRequest("this request carries no console or set-up session to sign out of; an admin token is revoked instead")
	}
	if err := adminsession.End(r.Context(), h.svc, w, s, h.secure()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- set-up links -------------------------------------------------------------------------------

type setupLinkView struct {
	ID     string                `json:"id"`
	Org    string                `json:"org"`
	Intent directory.SetupIntent `json:"intent"`
	// URL is the link to send, shown once, on creation.
	URL        string     `json:"url,omitempty"`
	Created    time.Time  `json:"created"`
	ExpiresAt  time.Time  `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	// Status is "active", "expired" or "revoked".
	Status string `json:"status"`
}

func (h *Handler) setupLinkView(l directory.SetupLink) setupLinkView {
	return setupLinkView{ID: l.ID, Org: l.Org, Intent: l.Intent, Created: l.Created, ExpiresAt: l.ExpiresAt,
		RevokedAt: timePtr(l.RevokedAt), LastUsedAt: timePtr(l.LastUsedAt), Status: l.Status(h.svc.Now())}
}

type setupLinkRequest struct {
	Intent directory.SetupIntent `json:"intent"`
	// ExpiresIn is a duration such as "72h" or "7d", or a number of seconds; absent, 7 days.
	ExpiresIn json.RawMessage `json:"expires_in"`
}

func (h *Handler) createSetupLink(w http.ResponseWriter, r *http.Request, a access) error {
	var req setupLinkRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	now := h.svc.Now()
	expires, problems := tokenExpiry(now, req.ExpiresIn, nil)
	if expires.IsZero() && len(problems) == 0 {
		expires = now.Add(defaultSetupLinkTTL)
	}
	if req.Intent == "" {
		problems = append(problems, `intent is required: "sso", "scim", "domain" or "all"`)
	} else if !req.Intent.Valid() {
		problems = append(problems, fmt.Sprintf(`intent %q is not known; use "sso", "scim", "domain" or "all"`, req.Intent))
	}
	if len(problems) > 0 {
		return badRequest("the set-up link request has problems; no link was created", problems...)
	}
	link, secret, err := h.svc.CreateSetupLink(r.Context(), a.actor(), a.org, req.Intent, expires)
	if err != nil {
		return serviceAnswer(err, orgMissing(a.org))
	}
	v := h.setupLinkView(link)
	v.URL = h.cfg.BaseURL + "/setup/" + secret
	writeCreated(w, Prefix+"/setup-links/"+url.PathEscape(link.ID), v)
	return nil
}

func (h *Handler) listSetupLinks(w http.ResponseWriter, r *http.Request, a access) error {
	links, err := h.svc.SetupLinks(r.Context(), a.org)
	if err != nil {
		return err
	}
	out := list[setupLinkView]{Items: []setupLinkView{}}
	for _, l := range links {
		out.Items = append(out.Items, h.setupLinkView(l))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func setupLinkMissing(id string) error {
	return notFound(fmt.Sprintf("set-up link %q does not exist", id))
}

// ofSetupLinkPath is /setup-links/{id}: the link's organization.
func ofSetupLinkPath(h *Handler, r *http.Request, _ directory.Principal) (resource, error) {
	id := r.PathValue("id")
	l, err := h.svc.SetupLink(r.Context(), id)
	if errors.Is(err, directory.ErrNotFound) {
		return resource{}, setupLinkMissing(id)
	}
	if err != nil {
		return resource{}, err
	}
	return resource{org: l.Org, missing: setupLinkMissing(id)}, nil
}

func (h *Handler) revokeSetupLink(w http.ResponseWriter, r *http.Request, a access) error {
	id := r.PathValue("id")
	l, err := h.svc.RevokeSetupLink(r.Context(), a.actor(), id)
	if err != nil {
		return serviceAnswer(err, setupLinkMissing(id))
	}
	writeJSON(w, http.StatusOK, h.setupLinkView(l))
	return nil
}

// --- the set-up link page -----------------------------------------------------------------------

var setupPage = template.Must(template.New("setup").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<link rel="stylesheet" href="/admin/static/app.css">
</head>
<body class="page">
<h1>{{.Title}}</h1>
<p id="message">{{.Message}}</p>
</body>
</html>
`))

type setupPageData struct{ Title, Message string }

// setupLinkPages word each state of a link that cannot be opened.
var setupLinkPages = map[string]setupPageData{
	directory.SetupLinkExpired: {"This set-up link has expired",
		"The set-up link you opened has expired, so it no longer gives access to anything. Ask whoever sent it to you for a new one."},
	directory.SetupLinkRevoked: {"This set-up link has been revoked",
		"The set-up link you opened was revoked, so it no longer gives access to anything. Ask whoever sent it to you for a new one."},
	directory.SetupLinkUnknown: {"This set-up link is not valid",
		"The set-up link you opened is not valid: it may be incomplete or mistyped. Copy the whole link from the message you received, or ask whoever sent it for a new one."},
}

func renderSetupPage(w http.ResponseWriter, status int, p setupPageData) {
	securityHeaders(w)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = setupPage.Execute(w, p)
}

// serveSetup opens a set-up link: a set-up session starts, its cookie is set, and the browser
// goes on to the set-up console. A link that is expired, revoked, or not a link at all gets a
// page saying so, grants nothing and stores nothing.
func (h *Handler) serveSetup(w http.ResponseWriter, r *http.Request) {
	link, session, err := h.svc.OpenSetupLink(r.Context(), r.PathValue("secret"), setupSessionTTL)
	var le *directory.SetupLinkError
	switch {
	case errors.As(err, &le):
		p, ok := setupLinkPages[le.State]
		if !ok {
			p = setupLinkPages[directory.SetupLinkUnknown]
		}
		status := http.StatusNotFound
		if le.State != directory.SetupLinkUnknown {
			status = http.StatusGone
		}
		h.log.InfoContext(r.Context(), "admin: a set-up link was refused", "state", le.State, "remote", h.limiter.ClientAddr(r))
		renderSetupPage(w, status, p)
		return
	case err != nil:
		h.log.ErrorContext(r.Context(), "admin: opening a set-up link", "err", err)
		renderSetupPage(w, http.StatusInternalServerError, setupPageData{"Something went wrong",
			"The set-up link could not be opened just now. Try again in a moment."})
		return
	}
	ttl := min(setupSessionTTL, link.ExpiresAt.Sub(h.svc.Now()))
	// One browser acts as one principal: the set-up session replaces a console session.
	adminsession.Clear(w, adminsession.ConsoleCookie, h.secure())
	adminsession.Set(w, adminsession.SetupCookie, session, ttl, h.secure())
	securityHeaders(w)
	w.Header().Set("Cache-Control", "no-store")
	// The secret leaves the address bar: the console's set-up view needs only the cookie.
	http.Redirect(w, r, "/admin/#/setup", http.StatusSeeOther)
}

// serveConsoleSSO starts a console sign-in through an organization's console IdP. An
// organization that does not exist and one that lets nobody in through SSO get the same page.
func (h *Handler) serveConsoleSSO(w http.ResponseWriter, r *http.Request) {
	o, err := h.svc.Org(r.Context(), r.PathValue("org"))
	if err != nil && !errors.Is(err, directory.ErrNotFound) {
		h.log.ErrorContext(r.Context(), "admin: console sign-in", "err", err)
		renderSetupPage(w, http.StatusInternalServerError, setupPageData{"Something went wrong", "Try again in a moment."})
		return
	}
	if err != nil || o.ConsoleAccess == nil {
		renderSetupPage(w, http.StatusNotFound, setupPageData{"No console sign-in here",
			"This organization does not sign in to Roster's console through single sign-on. Ask your administrator for the right link."})
		return
	}
	securityHeaders(w)
	w.Header().Set("Cache-Control", "no-store")
	to := "/sso/" + url.PathEscape(o.ConsoleAccess.IdP) + "/login?" + url.Values{"console": {"1"}, "return_to": {"/admin/"}}.Encode()
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// --- test tickets -------------------------------------------------------------------------------

type testTicketRequest struct {
	// Format "json" makes the test sign-in answer JSON instead of its page.
	Format string `json:"format"`
}

type testTicketView struct {
	// URL starts the test sign-in in a browser, once, before ExpiresAt.
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// createTestTicket issues the URL of one test sign-in of an IdP, for a caller whose
// credential a browser does not carry by itself (an admin token): the URL holds a single-use
// ticket in its place. Console and set-up sessions may start /sso/{idp}/login?test=1 directly.
func (h *Handler) createTestTicket(w http.ResponseWriter, r *http.Request, a access) error {
	id := r.PathValue("id")
	var req testTicketRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
	}
	if req.Format != "" && req.Format != "json" && req.Format != "html" {
		return badRequest(fmt.Sprintf(`format %q is not known; use "html" (a page, the default) or "json"`, req.Format))
	}
	ticket, expires, err := h.svc.IssueTestTicket(r.Context(), id, a.actor())
	if err != nil {
		return serviceAnswer(err, idpMissing(id))
	}
	q := url.Values{"test": {"1"}, "ticket": {ticket}}
	if req.Format == "json" {
		q.Set("format", "json")
	}
	writeJSON(w, http.StatusCreated, testTicketView{URL: h.cfg.BaseURL + "/sso/" + url.PathEscape(id) + "/login?" + q.Encode(), ExpiresAt: expires})
	return nil
}
