package jit

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/view"
)

// SessionCookie is the name of the cookie that holds a sign-in session's secret. The store
// keeps only the secret's hash (directory.Service.CreateSession).
const SessionCookie = "roster_session"

// setSessionCookie sets the cookie of a session the sign-in created: HttpOnly so scripts cannot
// read it, Secure behind an https base URL, SameSite=Lax so that it rides the top-level
// redirect back from the IdP but not cross-site POSTs (which is what makes logout by POST safe
// without a token).
func (h *Handler) setSessionCookie(w http.ResponseWriter, secret string) {
	http.SetCookie(w, &http.Cookie{
		Name:     SessionCookie,
		Value:    secret,
		Path:     "/",
		MaxAge:   int(h.ttl / time.Second),
		HttpOnly: true,
		Secure:   h.secure,
		SameSite: http.SameSiteLaxMode,
	})
}

// sessionUser returns the user of the request's session. Deactivated and deleted users have
// none (R6): directory.Service.SessionUser checks that on every call.
func (h *Handler) sessionUser(r *http.Request) (directory.User, string, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return directory.User{}, "", directory.ErrUnauthenticated
	}
	u, err := h.svc.SessionUser(r.Context(), c.Value)
	return u, c.Value, err
}

// serveMe answers the signed-in user in the admin API's user shape.
func (h *Handler) serveMe(w http.ResponseWriter, r *http.Request) {
	u, _, err := h.sessionUser(r)
	if err != nil {
		h.unauthenticated(w, r, err)
		return
	}
	body, err := h.userJSON(r.Context(), u)
	if err != nil {
		h.log.ErrorContext(r.Context(), "jit: reading the session user's groups", "user", u.ID, "err", err)
		writeJSONError(w, http.StatusInternalServerError, "internal error")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(body)
}

// serveVerify is forward-auth for a reverse proxy: 204 with the user's id, email, userName and
// organization in headers, or 401.
func (h *Handler) serveVerify(w http.ResponseWriter, r *http.Request) {
	u, _, err := h.sessionUser(r)
	if err != nil {
		h.unauthenticated(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Roster-User-Id", u.ID)
	w.Header().Set("X-Roster-User-Email", u.PrimaryEmail())
	w.Header().Set("X-Roster-User-Name", u.UserName)
	w.Header().Set("X-Roster-Org", u.Org)
	w.WriteHeader(http.StatusNoContent)
}

// serveLogout ends the session and clears its cookie. With a safe return_to it redirects
// there; otherwise it answers 204. A POST a browser sends from another origin is refused
// (403), so that no other site can sign a person out; the session cookie's SameSite=Lax
// already keeps it off such a POST, and the Origin check holds where that does not (a
// sibling subdomain is same-site).
func (h *Handler) serveLogout(w http.ResponseWriter, r *http.Request) {
	if !h.sameOrigin(r) {
		h.log.WarnContext(r.Context(), "jit: logout from another origin refused", "origin", r.Header.Get("Origin"))
		writeJSONError(w, http.StatusForbidden, "logout must be sent from this site")
		return
	}
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		if err := h.svc.EndSession(r.Context(), c.Value); err != nil {
			h.log.ErrorContext(r.Context(), "jit: ending a session", "err", err)
			writeJSONError(w, http.StatusInternalServerError, "internal error")
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
	w.Header().Set("Cache-Control", "no-store")
	if rt := r.URL.Query().Get("return_to"); rt != "" {
		if to, err := h.safeReturnTo(rt); err == nil {
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// sameOrigin reports whether a state-changing request comes from the base URL's origin. Browsers
// send Origin with every POST; a request without it is not a browser's cross-site one (a
// command-line client's), and a Sec-Fetch-Site that says cross-site settles it where Origin is
// missing.
func (h *Handler) sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		site := r.Header.Get("Sec-Fetch-Site")
		return site == "" || site == "same-origin" || site == "none"
	}
	u, err := url.Parse(origin)
	return err == nil && webOrigin(u) == webOrigin(h.base)
}

// webOrigin is scheme://host[:port] in lower case, without the scheme's default port.
func webOrigin(u *url.URL) string {
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" {
		host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return scheme + "://" + host
}

func (h *Handler) unauthenticated(w http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, directory.ErrUnauthenticated) {
		h.log.ErrorContext(r.Context(), "jit: reading a session", "err", err)
		writeJSONError(w, http.StatusInternalServerError, "internal error")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSONError(w, http.StatusUnauthorized, "not signed in")
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// userJSON is u in the admin API's user shape, which /api/v1/me answers.
func (h *Handler) userJSON(ctx context.Context, u directory.User) (view.User, error) {
	var v view.User
	err := h.svc.View(ctx, func(tx directory.ReadTx) error {
		var err error
		v, err = view.UserOf(tx, u)
		return err
	})
	return v, err
}
