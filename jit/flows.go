package jit

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/adminsession"
)

// A sign-in has a purpose, chosen when it starts and kept with its pending request (SAML) or
// state (OIDC), so that nothing on the way back from the IdP can change it:
//
//   - a person's sign-in (the default): the rules provision, a session starts;
//   - a test sign-in (/sso/{idp}/login?test=1), which only an administrator's console
//     session, a set-up session of the IdP's organization, or a test ticket may start: the
//     rules are asked what they would do, and nothing about the person is stored;
//   - a console sign-in (/sso/{idp}/login?console=1): the organization's console access
//     decides, from the groups the IdP asserts, whether the person gets a console session.
const (
	purposeTest    = "test"
	purposeConsole = "console"
)

// flow is a sign-in's purpose as its pending record keeps it.
type flow struct {
	Purpose string `json:"purpose,omitempty"`
	// Actor is who started a test sign-in: the actor of its login.tested event.
	Actor string `json:"actor,omitempty"`
	// JSON answers a test sign-in with JSON instead of a page.
	JSON bool `json:"json,omitempty"`
}

// received is what the IdP sent at a sign-in, as a test sign-in shows it.
type received struct {
	subject Subject
	claims  Claims
}

// startFlow reads the purpose of a sign-in being started. A test sign-in without a console
// session, a set-up session or a ticket that may test this IdP is refused with a page, and
// false is returned.
func (h *Handler) startFlow(w http.ResponseWriter, r *http.Request, p directory.IdP) (flow, bool) {
	q := r.URL.Query()
	switch {
	case q.Get("test") == "1" || q.Get("test") == "true":
		actor, err := h.testActor(r, p)
		if err != nil {
			h.log.InfoContext(r.Context(), "jit: test sign-in refused", "idp", p.ID, "err", err)
			renderPage(w, http.StatusForbidden, page{Title: "A test sign-in needs Roster's console",
				Message: "Start the test sign-in from the IdP's page in Roster's console, or from your set-up link, in this browser. " +
					"If you did, your session has ended: sign in to the console or open the set-up link again."})
			return flow{}, false
		}
		return flow{Purpose: purposeTest, Actor: actor, JSON: q.Get("format") == "json"}, true
	case q.Get("console") == "1" || q.Get("console") == "true":
		return flow{Purpose: purposeConsole}, true
	}
	return flow{}, true
}

var errNoAdminSession = errors.New("no console session, set-up session or test ticket")

// testActor is who starts a test sign-in of IdP p: the caller of a test ticket, or the
// principal of the browser's console or set-up session, if the one authorization decision
// lets it test the IdP's sign-in.
func (h *Handler) testActor(r *http.Request, p directory.IdP) (string, error) {
	ctx := r.Context()
	if ticket := r.URL.Query().Get("ticket"); ticket != "" {
		return h.svc.RedeemTestTicket(ctx, p.ID, ticket)
	}
	s, ok, err := adminsession.FromRequest(ctx, h.svc, r)
	switch {
	case err != nil:
		return "", err
	case !ok:
		return "", errNoAdminSession
	}
	d := directory.AuthorizeArea(s.Principal, directory.ActionWrite, directory.AreaTestSignIn, directory.OrgOrDefault(p.Org))
	if !d.Allowed() {
		return "", fmt.Errorf("%s may not test IdP %q: %s", s.Principal.Actor(), p.ID, d.Reason)
	}
	return s.Principal.Actor(), nil
}

// finishSignIn ends a validated sign-in the way its purpose says.
func (h *Handler) finishSignIn(w http.ResponseWriter, r *http.Request, p directory.IdP, id Identity, seen received, f flow, returnTo string, uses ...directory.OnceUse) {
	switch f.Purpose {
	case purposeTest:
		h.finishTest(w, r, p, id, seen, f, uses...)
	case purposeConsole:
		h.finishConsole(w, r, id, returnTo, uses...)
	default:
		h.finishLogin(w, r, id, returnTo, uses...)
	}
}

// testResult is what a test sign-in found: its page shows it, and its JSON form is this.
type testResult struct {
	IdP      string `json:"idp"`
	Org      string `json:"org"`
	Protocol string `json:"protocol"`
	// Passed is true when a key was found and there is nothing to warn of.
	Passed bool `json:"passed"`
	// Subject is the SAML NameID or the OIDC sub.
	Subject testSubject `json:"subject"`
	// Claims are every attribute or claim that arrived.
	Claims []receivedClaim `json:"claims"`
	// UniqueUserID is the key Roster would use, KeySource and KeyAttribute where it came
	// from, KeyExplanation the same in words.
	UniqueUserID   string              `json:"unique_user_id"`
	KeySource      directory.KeySource `json:"key_source"`
	KeyAttribute   string              `json:"key_attribute"`
	KeyExplanation string              `json:"key_explanation"`
	Identity       testIdentity        `json:"identity"`
	Decision       testDecision        `json:"decision"`
	Warnings       []string            `json:"warnings"`
	// EventID is the login.tested event that records the test.
	EventID string `json:"event_id"`
}

type testSubject struct {
	// Kind is "SAML NameID" or "OIDC sub".
	Kind       string `json:"kind"`
	Value      string `json:"value"`
	Persistent bool   `json:"persistent"`
}

type testIdentity struct {
	FirstName      string   `json:"first_name"`
	LastName       string   `json:"last_name"`
	Email          string   `json:"email"`
	EmailVerified  bool     `json:"email_verified"`
	Groups         []string `json:"groups"`
	GroupsAsserted bool     `json:"groups_asserted"`
}

type testDecision struct {
	// Action is what the rules would do: "create", "update", "link" or "refuse".
	Action directory.LoginAction `json:"action"`
	Rule   directory.Rule        `json:"rule"`
	Code   string                `json:"code,omitempty"`
	Reason string                `json:"reason"`
	// Event is the type of the event a real sign-in would write.
	Event string `json:"event"`
}

// finishTest asks the rules what they would do with this sign-in, stores nothing about the
// person, and shows everything that arrived, the key and where it came from, the decision
// with its rule, and the warnings.
func (h *Handler) finishTest(w http.ResponseWriter, r *http.Request, p directory.IdP, id Identity, seen received, f flow, uses ...directory.OnceUse) {
	ctx := r.Context()
	warnings := []string{}
	if id.KeyWarning != "" {
		warnings = append(warnings, id.KeyWarning)
	}
	warnings = append(warnings, attributeWarnings(p, seen.claims, id)...)
	res, err := h.svc.TestLogin(ctx, f.Actor, id.Login(), warnings, uses...)
	if ref, ok := directory.AsRefusal(err); ok {
		h.renderRefusal(w, r, ref)
		return
	}
	if errors.Is(err, directory.ErrUsed) {
		h.refuse(w, r, usedAlready(p.ID, "test sign-in", err))
		return
	}
	if err != nil {
		h.renderFailure(w, r, http.StatusInternalServerError, "", fmt.Errorf("testing the sign-in of IdP %q: %w", p.ID, err))
		return
	}
	preset, ok := PresetByID(p.Preset)
	if !ok {
		preset, _ = PresetByID("generic")
	}
	kind := "SAML NameID"
	claims := claimList(seen.claims)
	if p.Protocol == directory.ProtocolOIDC {
		kind = "OIDC sub"
		// The sub is kept apart from the claims (it is the subject); show it among them, once.
		if _, ok := seen.claims["sub"]; !ok {
			claims = append([]receivedClaim{{Name: "sub", Values: []string{seen.subject.Value}}}, claims...)
		}
	}
	d := res.Decision
	out := testResult{IdP: p.ID, Org: directory.OrgOrDefault(p.Org), Protocol: string(p.Protocol), Passed: directory.LoginTestPassed(res.Event),
		Subject: testSubject{Kind: kind, Value: seen.subject.Value, Persistent: seen.subject.Persistent}, Claims: claims,
		UniqueUserID: id.UniqueUserID, KeySource: id.KeySource, KeyAttribute: id.KeyAttribute, KeyExplanation: keyExplanation(p, preset, id),
		Identity: testIdentity{FirstName: id.FirstName, LastName: id.LastName, Email: id.Email, EmailVerified: id.EmailVerified,
			Groups: append([]string{}, id.Groups...), GroupsAsserted: id.GroupsAsserted},
		Decision: testDecision{Action: d.Action, Rule: d.Rule, Code: d.Code, Reason: d.Reason, Event: d.EventType()},
		Warnings: append([]string{}, res.Event.Warnings...), EventID: res.Event.ID}
	h.log.InfoContext(ctx, "jit: test sign-in", "idp", p.ID, "actor", f.Actor, "passed", out.Passed, "event", out.EventID)
	w.Header().Set("Cache-Control", "no-store")
	if f.JSON {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(out)
		return
	}
	renderTemplate(w, http.StatusOK, testPage, out)
}

// finishConsole lets a person into the console when the organization's console access says
// their asserted groups may: it applies the sign-in to the directory like any other (a
// deactivated person is refused, R6), then starts a console session. Someone of none of the
// console groups is refused before anything is provisioned.
func (h *Handler) finishConsole(w http.ResponseWriter, r *http.Request, id Identity, returnTo string, uses ...directory.OnceUse) {
	ctx := r.Context()
	d, err := h.svc.DecideConsole(ctx, id.IdP, id.Groups, h.operatorOrg)
	if err != nil {
		h.renderFailure(w, r, http.StatusInternalServerError, "", fmt.Errorf("deciding a console sign-in of IdP %q: %w", id.IdP, err))
		return
	}
	if !d.Allowed {
		ref, err := h.svc.RefuseConsole(ctx, id.IdP, id.UniqueUserID, d, uses...)
		if errors.Is(err, directory.ErrUsed) {
			h.refuse(w, r, usedAlready(id.IdP, "console sign-in", err))
			return
		}
		if err != nil {
			h.renderFailure(w, r, http.StatusInternalServerError, "", fmt.Errorf("refusing a console sign-in of IdP %q: %w", id.IdP, err))
			return
		}
		h.renderConsoleRefusal(w, r, ref)
		return
	}
	user, err := h.svc.Login(ctx, id.Login(), uses...)
	if ref, ok := directory.AsRefusal(err); ok {
		h.renderRefusal(w, r, ref)
		return
	}
	if errors.Is(err, directory.ErrUsed) {
		h.refuse(w, r, usedAlready(id.IdP, "console sign-in", err))
		return
	}
	if errors.Is(err, directory.ErrInvalid) {
		h.refuse(w, r, invalidInput(id.IdP, "console sign-in", err, uses))
		return
	}
	if err != nil {
		h.renderFailure(w, r, http.StatusInternalServerError, "", fmt.Errorf("applying the console sign-in of IdP %q: %w", id.IdP, err))
		return
	}
	p, secret, err := h.svc.StartConsoleSession(ctx, user.ID, id.IdP, id.Groups, h.operatorOrg, h.ttl)
	if ref, ok := directory.AsRefusal(err); ok {
		h.renderConsoleRefusal(w, r, ref)
		return
	}
	if err != nil {
		h.renderFailure(w, r, http.StatusInternalServerError, "", fmt.Errorf("starting a console session: %w", err))
		return
	}
	// One browser acts as one principal: the console session replaces a set-up session.
	adminsession.Clear(w, adminsession.SetupCookie, h.secure)
	adminsession.Set(w, adminsession.ConsoleCookie, secret, h.ttl, h.secure)
	h.log.InfoContext(ctx, "jit: console sign-in", "idp", id.IdP, "user", user.ID, "role", p.Role, "org", p.Org)
	// A console sign-in without a return_to lands in the console, not on the site's root.
	if returnTo == "/" {
		returnTo = "/admin/"
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, returnTo, http.StatusSeeOther)
}

// usedAlready is the protocol refusal of a sign-in whose response or login state another
// request used first, as finishLogin words it.
func usedAlready(idp, what string, err error) refusal {
	return refusal{idp: idp, status: http.StatusForbidden,
		reason: "the response or login state was used already (a replay, or the same sign-in submitted twice)",
		cause:  fmt.Errorf("%s of IdP %q refused: %w", what, idp, err)}
}

// renderConsoleRefusal answers a console sign-in the organization's console access refuses.
func (h *Handler) renderConsoleRefusal(w http.ResponseWriter, r *http.Request, ref *directory.Refusal) {
	h.log.InfoContext(r.Context(), "jit: console sign-in refused", "code", ref.Code, "reason", ref.Reason, "event", ref.EventID)
	renderPage(w, http.StatusForbidden, page{Title: "You cannot open the console",
		Message: "You signed in, but your organization has not given you access to Roster's console: none of your groups is one of its console groups. " +
			"Ask your administrator if you think this is a mistake.", Reference: ref.EventID})
}
