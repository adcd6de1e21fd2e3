package webhooks

import "github.com/gin-gonic/gin"

// Routes mounts the webhook routes in a gin router. They are registered as exact paths rather
// than a catch-all below /admin/api/v1, so they can sit beside the rest of the admin API.
func (h *Handler) Routes(r gin.IRouter) {
	wrapped := gin.WrapH(h)
	r.GET(Prefix, wrapped)
	r.POST(Prefix, wrapped)
	r.GET(Prefix+"/:id", wrapped)
	r.DELETE(Prefix+"/:id", wrapped)
	r.POST(Prefix+"/:id/resume", wrapped)
	r.POST(Prefix+"/:id/replay", wrapped)
}
