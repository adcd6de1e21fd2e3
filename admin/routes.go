package admin

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/rosterhq/roster/directory"
)

// Routes mounts the admin API and the console in a gin router. Each route is registered as an
// exact pattern rather than a catch-all below /admin, so that the other surfaces' routes can
// sit beside it; the Handler's own mux does the real dispatch, the webhook routes included.
func (h *Handler) Routes(r gin.IRouter) {
	wrapped := gin.WrapH(h)
	for _, rt := range h.apiRoutes() {
		r.Handle(rt.method, Prefix+ginPath(rt.path), wrapped)
	}
	r.GET("/admin", wrapped)
	r.GET("/admin/", wrapped)
	r.GET("/admin/static/*file", wrapped)
	r.GET("/admin/sso/:org", wrapped)
	r.GET("/setup/:secret", wrapped)
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

// guard admits a request as the API admits its own, and then only if check, when set, passes.
func (h *Handler) guard(action directory.Action, check func(access) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		admitted := false
		h.api(route{action: action, scope: unscoped, handle: func(_ http.ResponseWriter, _ *http.Request, a access) error {
			if check != nil {
				if err := check(a); err != nil {
					return err
				}
			}
			admitted = true
			c.Next()
			return nil
		}}).ServeHTTP(c.Writer, c.Request)
		if !admitted {
			c.Abort()
		}
	}
}
