package jit

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/rosterhq/roster/directory"
)

// Home-realm discovery (DESIGN.md, "Home-realm discovery"): the product's own login page asks
// for an email address and sends the browser to GET /sso/discover?email=…&return_to=…, which
// goes on to the sign-in of the organization that verified the address's domain — its IdP, or
// a chooser when it has several. Every other address gets one and the same "no single
// sign-on" page: a domain nobody claimed, one claimed but not verified, one of an organization
// without IdPs. Discovery reads organizations and IdPs only, never users, so its answer says
// nothing about whether a person exists.

// maxEmail bounds the address discovery reads (RFC 5321 allows 254 characters in a path).
const maxEmail = 320

type discoveredIdP struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	LoginURL string `json:"login_url"`
}

type discovery struct {
	SSO  bool            `json:"sso"`
	IdPs []discoveredIdP `json:"idps"`
}

// serveDiscover answers GET /sso/discover. A client that asks for JSON (Accept:
// application/json) gets {"sso": bool, "idps": [{"id", "name", "login_url"}]} instead of a
// redirect or a page.
func (h *Handler) serveDiscover(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	returnTo, err := h.safeReturnTo(q.Get("return_to"))
	if err != nil {
		h.renderFailure(w, r, http.StatusBadRequest, "The link you followed asks to return to a page outside this site, which is not allowed.", err)
		return
	}
	email := strings.TrimSpace(q.Get("email"))
	if len(email) > maxEmail || directory.EmailDomain(email) == "" || strings.ContainsAny(email, " \t\r\n") || directory.CheckEmail(email) != nil {
		if wantsJSON(r) {
			writeJSONError(w, http.StatusBadRequest, "email must be an email address, such as ada@example.com")
			return
		}
		renderPage(w, http.StatusBadRequest, page{Title: "Enter your email address",
			Message: "Single sign-on is found from the domain of your work email address, such as ada@example.com. Go back and enter it."})
		return
	}
	d, ok, err := h.svc.DiscoverSignIn(r.Context(), email)
	if err != nil {
		h.renderFailure(w, r, http.StatusInternalServerError, "", fmt.Errorf("home-realm discovery: %w", err))
		return
	}
	out := discovery{SSO: ok, IdPs: []discoveredIdP{}}
	for _, p := range d.IdPs {
		login := h.LoginURL(p.ID)
		if returnTo != "/" {
			login += "?" + url.Values{"return_to": {returnTo}}.Encode()
		}
		out.IdPs = append(out.IdPs, discoveredIdP{ID: p.ID, Name: p.Name, LoginURL: login})
	}
	w.Header().Set("Cache-Control", "no-store")
	switch {
	case wantsJSON(r):
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(out)
	case len(out.IdPs) == 1:
		http.Redirect(w, r, out.IdPs[0].LoginURL, http.StatusSeeOther)
	default:
		renderTemplate(w, http.StatusOK, discoveryPage, out)
	}
}

// wantsJSON reports whether the request's Accept header prefers JSON to a page.
func wantsJSON(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "application/json":
			return true
		case "text/html":
			return false
		}
	}
	return false
}
