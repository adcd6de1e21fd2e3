package admin_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/rosterhq/roster/admin"
)

// TestConsoleIsStaticWithStrictHeaders checks what the browser test cannot see directly: the
// headers that forbid framing and inline code, and that the page carries no inline script or
// style that the policy would have to allow.
func TestConsoleIsStaticWithStrictHeaders(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct{ path, ctype string }{
		{"/admin", "text/html"},
		{"/admin/", "text/html"},
		{"/admin/static/app.js", "text/javascript"},
		{"/admin/static/app.css", "text/css"},
	} {
		t.Run(c.path, func(t *testing.T) {
			r := e.want(e.doWith("GET", c.path, nil, ""), http.StatusOK)
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, c.ctype) {
				t.Errorf("Content-Type %q, want %s", ct, c.ctype)
			}
			csp := r.header.Get("Content-Security-Policy")
			for _, d := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, d) {
					t.Errorf("CSP %q lacks %s", csp, d)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("CSP allows inline code: %q", csp)
			}
			if r.header.Get("X-Frame-Options") != "DENY" || r.header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("headers %v", r.header)
			}
		})
	}
	html := string(e.want(e.doWith("GET", "/admin", nil, ""), http.StatusOK).body)
	if regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]+</script>`).MatchString(html) || strings.Contains(html, "<style") ||
		regexp.MustCompile(`\sstyle=|\son[a-z]+=`).MatchString(html) {
		t.Errorf("index.html has inline script, style or event handlers")
	}
	for _, name := range []string{"app.js", "operate.js", "setup.js"} {
		js := string(e.want(e.doWith("GET", "/admin/static/"+name, nil, ""), http.StatusOK).body)
		if strings.Contains(js, "innerHTML") || strings.Contains(js, "eval(") {
			t.Errorf("%s builds markup from strings; use textContent", name)
		}
	}
	// Nothing else is served below /admin/static/, and the API keeps its JSON errors.
	e.want(e.doWith("GET", "/admin/static/", nil, ""), http.StatusNotFound)
	e.want(e.doWith("GET", "/admin/static/../handler.go", nil, ""), http.StatusNotFound)
	e.want(e.doWith("GET", "/admin/static/missing.js", nil, ""), http.StatusNotFound)
	r := e.want(e.doWith("GET", "/admin/api/v1/idps", nil, ""), http.StatusUnauthorized)
	if r.header.Get("Content-Security-Policy") == "" || r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("API headers %v", r.header)
	}
}

// TestConsoleWithoutGin serves the handler directly, as an http.Handler.
func TestConsoleWithoutGin(t *testing.T) {
	e := newHandlerEnv(t, admin.Config{})
	e.want(e.doWith("GET", "/admin", nil, ""), http.StatusOK)
	e.want(e.doWith("GET", "/admin/static/app.js", nil, ""), http.StatusOK)
}
