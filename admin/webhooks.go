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
	// ListWebhooks answers GET /webhooks; org is the organization the list is limited to ("" for
	// every one).
	ListWebhooks(w http.ResponseWriter, r *http.Request, org string)
	// CreateWebhook answers POST /webhooks; org is the organization the new webhook is of (""
	// for every organization).
	CreateWebhook(w http.ResponseWriter, r *http.Request, org string)
	// The routes on one webhook ({id} in the path), whose organization was decided already.
	GetWebhook(w http.ResponseWriter, r *http.Request)
	DeleteWebhook(w http.ResponseWriter, r *http.Request)
	ResumeWebhook(w http.ResponseWriter, r *http.Request)
	ReplayWebhook(w http.ResponseWriter, r *http.Request)
}

// webhookRoutes are the routes of the WebhookAPI, declared like the API's own: a webhook is of
// one organization, whose admin manages it and whose viewers read it, or of every
// organization, which only a credential of every organization sees and only an owner changes.
func (h *Handler) webhookRoutes() []route {
	if h.cfg.Webhooks == nil {
		return nil
	}
	const read, write = directory.ActionRead, directory.ActionWrite
	api := h.cfg.Webhooks
	withOrg := func(serve func(http.ResponseWriter, *http.Request, string)) func(http.ResponseWriter, *http.Request, access) error {
		return func(w http.ResponseWriter, r *http.Request, a access) error { serve(w, r, a.org); return nil }
	}
	one := func(serve func(http.ResponseWriter, *http.Request)) func(http.ResponseWriter, *http.Request, access) error {
		return func(w http.ResponseWriter, r *http.Request, _ access) error { serve(w, r); return nil }
	}
	return []route{
		{"GET", "/webhooks", read, orgQuery, withOrg(api.ListWebhooks)},
		{"POST", "/webhooks", write, ofWebhookBody, withOrg(api.CreateWebhook)},
		{"GET", "/webhooks/{id}", read, ofWebhookPath, one(api.GetWebhook)},
		{"DELETE", "/webhooks/{id}", write, ofWebhookPath, one(api.DeleteWebhook)},
		{"POST", "/webhooks/{id}/resume", write, ofWebhookPath, one(api.ResumeWebhook)},
		{"POST", "/webhooks/{id}/replay", write, ofWebhookPath, one(api.ReplayWebhook)},
	}
}
