package admin

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

// consoleFiles is the web console: static files, no build step, no framework.
//
//go:embed console
var consoleFiles embed.FS

// consoleHandler serves the console's single page at /admin and its assets at
// /admin/static/. The page routes with the URL fragment (#/idps, #/users/…), so one document
// serves every view and nothing secret ever sits in a path or query.
func consoleHandler() http.Handler {
	sub, err := fs.Sub(consoleFiles, "console")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	static := http.StripPrefix("/admin/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		switch {
		case strings.HasPrefix(r.URL.Path, "/admin/static/"):
			if r.URL.Path == "/admin/static/" || strings.HasSuffix(r.URL.Path, "/") {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Cache-Control", "no-cache")
			static.ServeHTTP(w, r)
		case r.URL.Path == "/admin" || r.URL.Path == "/admin/":
			w.Header().Set("Cache-Control", "no-cache")
			http.ServeFileFS(w, r, sub, "index.html")
		default:
			http.NotFound(w, r)
		}
	})
}
