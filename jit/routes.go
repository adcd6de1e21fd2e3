package jit

import "github.com/gin-gonic/gin"

// Routes mounts the sign-in routes in a gin router.
func (h *Handler) Routes(r gin.IRouter) {
	wrapped := gin.WrapH(h)
	r.Any("/sso/*path", wrapped)
	r.GET("/api/v1/me", wrapped)
	r.HEAD("/api/v1/me", wrapped)
	r.Any("/auth/verify", wrapped)
}
