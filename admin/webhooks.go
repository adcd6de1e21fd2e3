package admin

import (
	"net/http"

	"github.com/rosterhq/roster/directory"
)

// WebhookAPI serves the webhook routes below Prefix+"/webhooks" (package webhooks does). The
// admin surface admits each of its requests exactly as it admits its own — authentication, the
// body limit, and the one authorization decision on the route's action and the webhook's
// organization — and only then passes it on, with the organization it decided. A WebhookAPI
// checks no credential and no role.
type WebhookAPI interface {
	// ServeWebhooks answers an admitted request. org is, for GET /webhooks, the organization
	// the list is limited to ("" for every one); for POST /webhooks, the organization the new
	// webhook is of ("" for every organization); for a route on one webhook, that webhook's.
	ServeWebhooks(w http.ResponseWriter, r *http.Request, org string)
}

// webhookRoutes are the routes of the WebhookAPI, declared like the API's own: a webhook is of
// one organization, whose admin manages it and whose viewers read it, or of every
// organization, which only a credential of every organization sees and only an owner changes.
func (h *Handler) webhookRoutes() []route {
	if h.cfg.Webhooks == nil {
		return nil
	}
	const read, write = directory.ActionRead, directory.ActionWrite
	return []route{
		{"GET", "/webhooks", read, orgQuery, h.passToWebhooks},
		{"POST", "/webhooks", write, ofWebhookBody, h.passToWebhooks},
		{"GET", "/webhooks/{id}", read, ofWebhookPath, h.passToWebhooks},
		{"DELETE", "/webhooks/{id}", write, ofWebhookPath, h.passToWebhooks},
		{"POST", "/webhooks/{id}/resume", write, ofWebhookPath, h.passToWebhooks},
		{"POST", "/webhooks/{id}/replay", write, ofWebhookPath, h.passToWebhooks},
	}
}

func (h *Handler) passToWebhooks(w http.ResponseWriter, r *http.Request, a access) error {
	h.cfg.Webhooks.ServeWebhooks(w, r, a.org)
	return nil
}
