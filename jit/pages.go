package jit

import (
	"html/template"
	"net/http"

	"github.com/google/uuid"

	"github.com/rosterhq/roster/directory"
)

// This file is the one place where sign-in failures become what a person sees: a refusal by a
// provisioning rule gets a page in plain words and the refusal event's id as its reference; a
// failed protocol check gets a generic page, with its cause logged under a fresh reference.

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5;color:#222}
.ref{color:#666;font-size:.9rem}code{background:#f3f3f3;padding:.1rem .3rem;border-radius:3px}</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
{{if .Reference}}<p class="ref">If you contact your administrator, quote this reference: <code id="reference">{{.Reference}}</code></p>{{end}}
</body>
</html>
`))

type page struct {
	Title     string
	Message   string
	Reference string
}

// refusalPages words each refusal code for the person who was refused.
var refusalPages = map[string]page{
	directory.RefuseNotProvisioned: {"Your account has not been provisioned yet",
		"Your account has not been provisioned yet — ask your administrator to give you access.", ""},
	directory.RefuseDeactivated: {"Your account is deactivated",
		"Your account is deactivated. Ask your administrator if you think this is a mistake.", ""},
	directory.RefuseTombstoned: {"Your account has been removed",
		"Your account has been removed. Ask your administrator to restore your access.", ""},
	directory.RefuseUserNameTaken: {"Your account could not be set up",
		"An account with your user name already exists and belongs to another sign-in. Ask your administrator to sort it out; you were not signed in to that account.", ""},
	directory.RefuseNoIdentity: {"Your sign-in could not be recognised",
		"Your identity provider did not send the identifier needed to recognise you. Ask your administrator to check the single sign-on set-up.", ""},
	directory.RefuseUnknownIdP: {"This sign-in is not set up",
		"This sign-in link does not belong to a configured identity provider. Ask your administrator for the right link.", ""},
	directory.RefuseEmailDomain: {"Your email address is not accepted here",
		"Your organization accepts only email addresses of its own verified domains, and your identity provider sent another one. Ask your administrator to check your email address.", ""},
}

// renderPage writes a page with a status.
func renderPage(w http.ResponseWriter, status int, p page) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	_ = pageTemplate.Execute(w, p)
}

// renderRefusal writes the page for a rule's refusal: 403, the code's wording and the id of the
// event that recorded the refusal, never its internal reason.
func (h *Handler) renderRefusal(w http.ResponseWriter, r *http.Request, ref *directory.Refusal) {
	p, ok := refusalPages[ref.Code]
	if !ok {
		p = page{"You could not be signed in", "Your sign-in was refused. Ask your administrator for help.", ""}
	}
	p.Reference = ref.EventID
	h.log.InfoContext(r.Context(), "jit: login refused", "rule", ref.Rule, "code", ref.Code, "reason", ref.Reason,
		"event", ref.EventID, "path", r.URL.Path)
	status := http.StatusForbidden
	if ref.Code == directory.RefuseUnknownIdP {
		status = http.StatusNotFound
	}
	renderPage(w, status, p)
}

// renderFailure writes a generic page for a sign-in that failed before any rule applied: a
// malformed or forged response, an expired request, an IdP that is not set up. The cause goes
// to the log under a fresh reference that the page shows.
func (h *Handler) renderFailure(w http.ResponseWriter, r *http.Request, status int, message string, cause error) {
	ref := uuid.NewString()
	h.log.WarnContext(r.Context(), "jit: sign-in failed", "status", status, "reference", ref, "path", r.URL.Path, "err", cause)
	title := "Sign-in failed"
	if message == "" {
		message = "Your sign-in could not be completed. Start again from your application; if it keeps failing, ask your administrator."
	}
	renderPage(w, status, page{Title: title, Message: message, Reference: ref})
}
