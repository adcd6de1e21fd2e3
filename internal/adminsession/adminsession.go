package adminsession

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/rosterhq/roster/directory"
)

const (
	// ConsoleCookie holds a console session's secret.
	ConsoleCookie = "roster_console"
	// SetupCookie holds a set-up session's secret.
	SetupCookie = "roster_setup"

	// WriteHeader must be sent, with the value "1", by every write that a session cookie
	// authenticates: the console's scripts send it; a cross-site form cannot.
	WriteHeader = "X-Roster-Console"
)

// Set sets the cookie name to a session's secret for maxAge.
func Set(w http.ResponseWriter, name, secret string, maxAge time.Duration, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name:     name,
		Value:    secret,
		Path:     "/",
		MaxAge:   max(int(maxAge/time.Second), 1),
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteStrictMode,
	})
}

// Clear removes the cookie name from the browser.
func Clear(w http.ResponseWriter, name string, secure bool) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteStrictMode})
}

// Session is the session a request's cookie names.
type Session struct {
	// Cookie is the cookie's name, Secret its value.
	Cookie, Secret string
	Principal      directory.Principal
}

// ErrEnded says the request carries a session cookie whose session has ended: expired,
// signed out, its user deactivated, its link revoked.
var ErrEnded = errors.New("the session has ended")

// FromRequest returns the session of the request's console or set-up cookie (the console's
// first, when a browser has both). ok is false when the request has neither cookie; a cookie
// whose session has ended is ErrEnded.
func FromRequest(ctx context.Context, svc *directory.Service, r *http.Request) (s Session, ok bool, err error) {
	for _, name := range []string{ConsoleCookie, SetupCookie} {
		c, err := r.Cookie(name)
		if err != nil || c.Value == "" {
			continue
		}
		var p directory.Principal
		if name == ConsoleCookie {
			p, err = svc.ConsolePrincipal(ctx, c.Value)
		} else {
			p, err = svc.SetupPrincipal(ctx, c.Value)
		}
		if errors.Is(err, directory.ErrUnauthenticated) {
			return Session{Cookie: name, Secret: c.Value}, true, ErrEnded
		}
		if err != nil {
			return Session{}, true, err
		}
		return Session{Cookie: name, Secret: c.Value, Principal: p}, true, nil
	}
	return Session{}, false, nil
}

// End ends the session on the server and clears its cookie.
func End(ctx context.Context, svc *directory.Service, w http.ResponseWriter, s Session, secure bool) error {
	var err error
	switch s.Cookie {
	case ConsoleCookie:
		err = svc.EndConsoleSession(ctx, s.Secret)
	case SetupCookie:
		err = svc.EndSetupSession(ctx, s.Secret)
	}
	Clear(w, s.Cookie, secure)
	return err
}

// WriteAllowed reports whether a request authenticated by a session cookie may change
// anything: safe methods may; others must carry WriteHeader and must not be said by the
// browser to come from another site.
func WriteAllowed(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		return false
	}
	return r.Header.Get(WriteHeader) == "1"
}
