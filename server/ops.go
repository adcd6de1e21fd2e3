package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/rosterhq/roster/admin"
)

// mountOps mounts what is served beside the surfaces: the metrics, and / sending a person who
// opens the server's address to the console.
func mountOps(r gin.IRouter, m *Metrics, adminHandler *admin.Handler) {
	// The metrics name every organization's IdPs and webhooks, so they are for a credential
	// of every organization (R13): Prometheus sends one as its bearer token.
	r.GET("/metrics", adminHandler.GuardEveryOrganization(), gin.WrapH(m.Handler()))
	r.GET("/", func(c *gin.Context) { c.Redirect(http.StatusFound, "/admin/") })
}

// headAsGet answers HEAD wherever GET is served: a HEAD request is served as the GET it
// stands for, and net/http drops the body, keeping the status and the headers. gin routes
// HEAD only where a route names it, so without this every GET route would answer HEAD with
// 404.
func headAsGet(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodHead {
			h.ServeHTTP(w, r)
			return
		}
		get := r.Clone(r.Context())
		get.Method = http.MethodGet
		h.ServeHTTP(w, get)
	})
}
