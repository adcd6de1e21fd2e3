package jit

import (
	"fmt"
	"html/template"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/rosterhq/roster/directory"
)

// This file is the one place where sign-in failures become what a person sees: a refusal by a
// provisioning rule gets a page in plain words and the refusal event's id as its reference; a
// failed protocol check at an IdP that exists is recorded as a refusal event too (refuse), and
// its generic page quotes that event's id; any other failure gets a generic page, with its
// cause logged under a fresh reference.

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
	directory.RefuseOtherBrowser: {"Start your sign-in again in this browser",
		"This sign-in was started in another browser, or its cookie was lost. For your safety a sign-in can only be finished in the browser that started it. Go back to your application and sign in again from here.", ""},
	directory.RefuseInvalidInput: {"Your details could not be accepted",
		"Your identity provider sent details about you that cannot be accepted. Ask your administrator to check the single sign-on set-up.", ""},
	directory.RefuseUnknownIdP: {"This sign-in is not set up",
		"This sign-in link does not belong to a configured identity provider. Ask your administrator for the right link.", ""},
	directory.RefuseEmailDomain: {"Your email address is not accepted here",
		"Your organization accepts only email addresses of its own verified domains, and your identity provider sent another one. Ask your administrator to check your email address.", ""},
}

// renderPage writes a page with a status.
func renderPage(w http.ResponseWriter, status int, p page) {
	renderTemplate(w, status, pageTemplate, p)
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

// refusal is a sign-in refused by a protocol check at an IdP that exists, before any
// provisioning rule applied.
type refusal struct {
	idp    string
	status int
	// code is the Refuse* code recorded with the event, "" for a failed protocol check
	// ("protocol"); a code with a page of its own in refusalPages gets that page's words.
	code string
	// uniqueUserID is the identity key the refused response asserted, when it was genuine.
	uniqueUserID string
	// message is what the person reads; "" is the generic wording.
	message string
	// reason says in plain words, for the administrator, what was refused ("IdP-initiated
	// sign-in is off for okta"); cause is what the library or the check said, kept as the
	// event's detail.
	reason string
	cause  error
	// uses are the one-time keys the refused response would have used (its assertion in the
	// replay cache): used with the refusal, so one response is recorded once.
	uses []directory.OnceUse
}

// refuse records a protocol refusal as a login.refused event of the IdP's organization and
// renders the page with the event's id as the reference, so that the reference a person reads
// out finds the event in the log; the cause goes to the event's detail and to the log. When
// nothing can be recorded — the IdP is unknown, the response was recorded already, the store
// fails, or the IdP's budget of refusal events is spent — the page is renderFailure's, with a
// reference in the log only.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, f refusal) {
	p := page{Title: "Sign-in failed", Message: f.message}
	if own, ok := refusalPages[f.code]; ok && f.message == "" {
		p = own
	}
	if !h.refusalBudget.take(f.idp, time.Now()) {
		h.renderFailure(w, r, f.status, p.Message, fmt.Errorf("%s (not recorded as an event: too many refusals of IdP %q this minute): %w", f.reason, f.idp, f.cause))
		return
	}
	code := f.code
	if code == "" {
		code = "protocol"
	}
	ref, err := h.svc.RefuseSignIn(r.Context(), directory.SignInRefusal{IdP: f.idp, Code: code, Reason: f.reason,
		Detail: f.cause.Error(), UniqueUserID: f.uniqueUserID}, f.uses...)
	if err != nil {
		h.renderFailure(w, r, f.status, p.Message, fmt.Errorf("%s (not recorded as an event: %v): %w", f.reason, err, f.cause))
		return
	}
	h.log.WarnContext(r.Context(), "jit: sign-in refused", "status", f.status, "reference", ref.EventID, "idp", f.idp,
		"code", code, "reason", f.reason, "path", r.URL.Path, "err", f.cause)
	if p.Message == "" {
		p.Message = "Your sign-in could not be completed. Start again from your application; if it keeps failing, ask your administrator."
	}
	p.Reference = ref.EventID
	renderPage(w, f.status, p)
}

// refusalBudget bounds the protocol refusals each IdP may record per minute in this process:
// anyone can post to an ACS or call a callback, and a flood of bad responses must not flood
// the event log. Past the budget a refusal is logged only.
type refusalBudget struct {
	mu     sync.Mutex
	minute time.Time
	used   map[string]int
}

// refusalsPerMinute is each IdP's budget; an honest IdP's failing sign-ins stay far below it.
const refusalsPerMinute = 120

func (b *refusalBudget) take(idp string, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if m := now.Truncate(time.Minute); !m.Equal(b.minute) || b.used == nil {
		b.minute, b.used = m, map[string]int{}
	}
	if b.used[idp] >= refusalsPerMinute {
		return false
	}
	b.used[idp]++
	return true
}
