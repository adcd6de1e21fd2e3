package admin

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/rosterhq/roster/directory"
)

// Routes mounts the admin API and the console in a gin router. Each route is registered as an
// exact pattern rather than a catch-all below /admin, so other packages (webhooks) can sit
// beside it under /admin/api/v1; the Handler's own mux does the real dispatch.
func (h *Handler) Routes(r gin.IRouter) {
	wrapped := gin.WrapH(h)
	for _, rt := range h.apiRoutes() {
		r.Handle(rt.method, Prefix+ginPath(rt.path), wrapped)
	}
	r.GET("/admin", wrapped)
	r.GET("/admin/", wrapped)
	r.GET("/admin/static/*file", wrapped)
}

// ginPath turns a ServeMux pattern ("/idps/{id}", "/tombstones/{idp}/{uid...}") into gin's
// syntax (":id", "*uid").
func ginPath(p string) string {
	var b []byte
	for i := 0; i < len(p); i++ {
		if p[i] != '{' {
			b = append(b, p[i])
			continue
		}
		end := i + 1
		for end < len(p) && p[end] != '}' {
			end++
		}
		name := p[i+1 : end]
		if len(name) > 3 && name[len(name)-3:] == "..." {
			b = append(b, '*')
			b = append(b, name[:len(name)-3]...)
		} else {
			b = append(b, ':')
			b = append(b, name...)
		}
		i = end
	}
	return string(b)
}

// Guard is gin middleware for admin routes that other packages serve (webhooks): it admits a
// request exactly as the API admits its own, authenticating the admin credential and deciding
// action on what belongs to no organization, and answers a refusal itself.
func (h *Handler) Guard(action directory.Action) gin.HandlerFunc {
	return func(c *gin.Context) {
		admitted := false
		h.api(route{action: action, scope: unscoped, handle: func(http.ResponseWriter, *http.Request, access) error {
			admitted = true
			c.Next()
			return nil
		}}).ServeHTTP(c.Writer, c.Request)
		if !admitted {
			c.Abort()
		}
	}
}
