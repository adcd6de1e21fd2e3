package admin

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/view"
)

// The connection health of an IdP and its set-up guide: what the IdP page and the set-up
// console show while a customer's IT administrator connects their IdP.

type healthView struct {
	IdP       string             `json:"idp"`
	Org       string             `json:"org"`
	Protocol  directory.Protocol `json:"protocol"`
	Mode      directory.Mode     `json:"mode"`
	CheckedAt time.Time          `json:"checked_at"`
	Metadata  metadataView       `json:"metadata"`
	// Certificates are the SAML metadata's signing certificates ([] for OIDC).
	Certificates []certificateView `json:"certificates"`
	SCIM         scimHealthView    `json:"scim"`
	SignIn       signInHealthView  `json:"sign_in"`
	Warnings     []string          `json:"warnings"`
	Checklist    []checkView       `json:"checklist"`
	// EventsExamined is how many of the organization's recent events were read.
	EventsExamined int `json:"events_examined"`
}

type metadataView struct {
	Checked bool   `json:"checked"`
	Valid   bool   `json:"valid"`
	Source  string `json:"source"`
	Problem string `json:"problem,omitempty"`
}

type certificateView struct {
	Subject   string    `json:"subject"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	DaysLeft  int       `json:"days_left"`
	SHA256    string    `json:"sha256"`
	Warning   string    `json:"warning,omitempty"`
}

type scimHealthView struct {
	LastRequest       *scimActivityView  `json:"last_request"`
	LastAuthenticated *time.Time         `json:"last_authenticated_at"`
	RecentErrors      []scimActivityView `json:"recent_errors"`
	Tokens            []tokenHealthView  `json:"tokens"`
}

type scimActivityView struct {
	Time      time.Time `json:"time"`
	Operation string    `json:"operation"`
	// Status is "ok" or "refused".
	Status  string `json:"status"`
	Rule    string `json:"rule,omitempty"`
	Reason  string `json:"reason,omitempty"`
	EventID string `json:"event_id"`
	Actor   string `json:"actor"`
}

type tokenHealthView struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Created    time.Time  `json:"created"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	Status     string     `json:"status"`
	Warning    string     `json:"warning,omitempty"`
}

type signInHealthView struct {
	Last        *signInEventView `json:"last"`
	LastRefusal *signInEventView `json:"last_refusal"`
	LastTest    *signInEventView `json:"last_test"`
	// FallbackKeys counts recent sign-ins keyed by a fallback the administrator was warned of.
	FallbackKeys int `json:"fallback_keys"`
}

// signInEventView is a sign-in's event with its key's explanation.
type signInEventView struct {
	Time      time.Time           `json:"time"`
	Type      string              `json:"type"`
	Actor     string              `json:"actor"`
	Subject   string              `json:"subject"`
	Rule      string              `json:"rule"`
	Reason    string              `json:"reason"`
	KeySource directory.KeySource `json:"key_source"`
	Warnings  []string            `json:"warnings"`
	EventID   string              `json:"event_id"`
	// Passed is set for a test sign-in.
	Passed *bool `json:"passed,omitempty"`
}

type checkView struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Done   bool   `json:"done"`
	Needed bool   `json:"needed"`
	Detail string `json:"detail"`
}

func signInEventOf(e *directory.Event) *signInEventView {
	if e == nil {
		return nil
	}
	v := &signInEventView{Time: e.Time, Type: e.Type, Actor: e.Actor, Subject: e.Subject, Rule: string(e.Rule), Reason: e.Reason,
		KeySource: e.KeySource, Warnings: append([]string{}, e.Warnings...), EventID: e.ID}
	if e.Type == directory.EventLoginTested {
		passed := directory.LoginTestPassed(*e)
		v.Passed = &passed
	}
	return v
}

func scimActivityOf(a directory.SCIMActivity) scimActivityView {
	return scimActivityView{Time: a.Time, Operation: a.Operation, Status: a.Outcome, Rule: string(a.Rule), Reason: a.Reason,
		EventID: a.EventID, Actor: a.Actor}
}

func healthViewOf(h directory.IdPHealth) healthView {
	v := healthView{IdP: h.IdP, Org: h.Org, Protocol: h.Protocol, Mode: h.Mode, CheckedAt: h.Now,
		Metadata:     metadataView{Checked: h.Metadata.Checked, Valid: h.Metadata.Valid, Source: h.Metadata.Source, Problem: h.Metadata.Problem},
		Certificates: []certificateView{}, Warnings: append([]string{}, h.Warnings...), Checklist: []checkView{},
		SCIM: scimHealthView{LastAuthenticated: timePtr(h.SCIM.LastAuthenticated), RecentErrors: []scimActivityView{}, Tokens: []tokenHealthView{}},
		SignIn: signInHealthView{Last: signInEventOf(h.LastSignIn), LastRefusal: signInEventOf(h.LastRefusal), LastTest: signInEventOf(h.LastTest),
			FallbackKeys: h.FallbackKeys},
		EventsExamined: h.EventsExamined}
	for _, c := range h.Certificates {
		v.Certificates = append(v.Certificates, certificateView{Subject: c.Subject, NotBefore: c.NotBefore, NotAfter: c.NotAfter,
			DaysLeft: c.DaysLeft, SHA256: c.SHA256, Warning: c.Warning})
	}
	if h.SCIM.LastRequest != nil {
		a := scimActivityOf(*h.SCIM.LastRequest)
		v.SCIM.LastRequest = &a
	}
	for _, a := range h.SCIM.RecentErrors {
		v.SCIM.RecentErrors = append(v.SCIM.RecentErrors, scimActivityOf(a))
	}
	for _, t := range h.SCIM.Tokens {
		v.SCIM.Tokens = append(v.SCIM.Tokens, tokenHealthView{ID: t.ID, Name: t.Name, Created: t.Created, ExpiresAt: timePtr(t.ExpiresAt),
			LastUsedAt: timePtr(t.LastUsedAt), Status: t.Status, Warning: t.Warning})
	}
	for _, c := range h.Checklist {
		v.Checklist = append(v.Checklist, checkView(c))
	}
	return v
}

// idpHealth answers GET /idps/{id}/health: what the sign-in edge finds about the connection
// now, with what the organization's recent events and the IdP's tokens say.
func (h *Handler) idpHealth(w http.ResponseWriter, r *http.Request, _ access) error {
	id := r.PathValue("id")
	p, err := h.idpOfPath(r)
	if err != nil {
		return err
	}
	var status directory.ProtocolStatus
	if h.cfg.ConnectionStatus != nil {
		status = h.cfg.ConnectionStatus(r.Context(), p)
	}
	health, err := h.svc.IdPHealth(r.Context(), id, status)
	if err != nil {
		return serviceAnswer(err, idpMissing(id))
	}
	writeJSON(w, http.StatusOK, healthViewOf(health))
	return nil
}

// idpOfPath reads the IdP of a route below /idps/{id}; a missing one is its 404.
func (h *Handler) idpOfPath(r *http.Request) (directory.IdP, error) {
	id := r.PathValue("id")
	p, err := h.svc.IdP(r.Context(), id)
	if errors.Is(err, directory.ErrNotFound) {
		return p, idpMissing(id)
	}
	return p, err
}

// setupGuideView is the set-up guide of one IdP: its preset's steps with Roster's values
// filled in, and what must feed the key on both sides (R1).
type setupGuideView struct {
	IdP                string             `json:"idp"`
	Preset             string             `json:"preset"`
	PresetName         string             `json:"preset_name"`
	Protocol           directory.Protocol `json:"protocol"`
	Mode               directory.Mode     `json:"mode"`
	SCIMMatch          string             `json:"scim_match"`
	UniqueUserIDSource string             `json:"unique_user_id_source"`
	SCIMMatchAdvice    string             `json:"scim_match_advice"`
	// Values are Roster's values to paste, by name, as the steps name them.
	Values map[string]string `json:"values"`
	Guide  view.Guide        `json:"guide"`
}

// setupGuide answers GET /idps/{id}/setup-guide.
func (h *Handler) setupGuide(w http.ResponseWriter, r *http.Request, _ access) error {
	p, err := h.idpOfPath(r)
	if err != nil {
		return err
	}
	name := strings.TrimSpace(p.Preset)
	if name == "" {
		name = "generic"
	}
	preset, _ := h.preset(name)
	v := h.view(p)
	values := map[string]string{"sp_entity_id": v.SPEntityID, "acs_url": v.ACSURL, "sp_metadata_url": v.SPMetadataURL,
		"login_url": v.LoginURL, "redirect_uri": v.RedirectURI, "scim_base_url": v.SCIMBaseURL}
	writeJSON(w, http.StatusOK, setupGuideView{IdP: p.ID, Preset: preset.ID, PresetName: preset.Name, Protocol: p.Protocol, Mode: p.Mode,
		SCIMMatch: p.SCIMMatch, UniqueUserIDSource: preset.UniqueUserIDSource, SCIMMatchAdvice: preset.SCIMMatchAdvice,
		Values: values, Guide: preset.Guide.Filled(values)})
	return nil
}
