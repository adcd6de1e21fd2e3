package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Connection health (DESIGN.md, "Self-service set-up"): what an administrator checks while
// connecting an IdP, and afterwards — the last SCIM request and errors, the last sign-in and
// refusal, token and certificate expiry, warnings, and a checklist that turns green step by
// step. It is read from the IdP's settings, its SCIM tokens and the organization's recent
// events; what only the sign-in edge can know (whether the metadata or discovery answers, the
// signing certificates) the edge passes in as a ProtocolStatus.

// ExpiryWarning is how far ahead an expiring certificate or token is warned of.
const ExpiryWarning = 30 * 24 * time.Hour

// HealthEventsWindow bounds the events a health check reads: the organization's events among
// the store's most recent HealthEventsWindow.
const HealthEventsWindow = 50000

// healthErrorsCap bounds the SCIM errors a health check lists.
const healthErrorsCap = 10

// IdPCertificate is a signing certificate an IdP's metadata carries.
type IdPCertificate struct {
	Subject   string    `json:"subject"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	// SHA256 is the fingerprint of the certificate's DER form, in lower-case hex.
	SHA256 string `json:"sha256"`
}

// ProtocolStatus is what the sign-in edge found about an IdP's connection just now.
type ProtocolStatus struct {
	// Checked is false when the edge could not look (no checker configured).
	Checked bool
	// Valid says the SAML metadata parses and is usable, or the OIDC discovery answers;
	// Problem says why not.
	Valid   bool
	Problem string
	// Source is where the metadata came from: "metadata_xml", "metadata_url" or
	// "discovery".
	Source       string
	Certificates []IdPCertificate
}

// IdPHealth is the connection health of one IdP.
type IdPHealth struct {
	IdP      string
	Org      string
	Protocol Protocol
	Mode     Mode
	Now      time.Time
	Metadata ProtocolStatus
	// Certificates are the metadata's signing certificates, with how long each has left.
	Certificates []CertificateHealth
	SCIM         SCIMHealth
	// LastSignIn is the latest sign-in that created, updated or linked a user; LastRefusal
	// the latest refused one; LastTest the latest test sign-in.
	LastSignIn  *Event
	LastRefusal *Event
	LastTest    *Event
	// FallbackKeys counts the sign-ins among the examined events whose uniqueUserId came
	// from a fallback the administrator was warned of.
	FallbackKeys int
	Warnings     []string
	Checklist    []CheckItem
	// EventsExamined is how many of the organization's recent events were read.
	EventsExamined int
}

// CertificateHealth is a signing certificate and how long it has left.
type CertificateHealth struct {
	IdPCertificate
	DaysLeft int
	Warning  string
}

// SCIMHealth is what the IdP's SCIM connector did lately.
type SCIMHealth struct {
	// LastRequest is the latest SCIM request the event log records (a write, or a refusal).
	LastRequest *SCIMActivity
	// LastAuthenticated is the latest time one of the IdP's tokens authenticated a request,
	// reads included (which write no event); recorded at most once a minute.
	LastAuthenticated time.Time
	// RecentErrors are the latest refused SCIM requests, newest first.
	RecentErrors []SCIMActivity
	Tokens       []TokenHealth
}

// SCIMActivity is one SCIM request as the event log records it.
type SCIMActivity struct {
	Time time.Time
	// Operation says what the request did, in words: "create user", "delete group"…
	Operation string
	// Outcome is "ok" or "refused"; Rule and Reason say why a refused one was refused.
	Outcome string
	Rule    Rule
	Reason  string
	EventID string
	Actor   string
}

// TokenHealth is one SCIM token of the IdP and its expiry.
type TokenHealth struct {
	ID, Name   string
	Created    time.Time
	ExpiresAt  time.Time
	LastUsedAt time.Time
	// Status is "active", "expired" or "revoked".
	Status  string
	Warning string
}

// CheckItem is one step of the set-up checklist.
type CheckItem struct {
	// ID is "metadata_valid", "test_sign_in_passed", "first_scim_request" or
	// "domain_verified".
	ID    string
	Title string
	Done  bool
	// Needed is false for a step the IdP's mode does not need (SCIM for mode jit).
	Needed bool
	Detail string
}

// IdPHealth reads the connection health of IdP idpID, given what the sign-in edge found about
// its protocol. An unknown IdP is ErrNotFound.
func (s *Service) IdPHealth(ctx context.Context, idpID string, status ProtocolStatus) (IdPHealth, error) {
	now := s.Now()
	h := IdPHealth{IdP: idpID, Now: now, Metadata: status, Certificates: []CertificateHealth{}, Warnings: []string{},
		SCIM: SCIMHealth{RecentErrors: []SCIMActivity{}, Tokens: []TokenHealth{}}}
	var idp IdP
	var org Organization
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		if idp, err = tx.IdP(idpID); err != nil {
			return err
		}
		if org, err = tx.Org(OrgOrDefault(idp.Org)); err != nil {
			return err
		}
		tokens, err := tx.Tokens(TokenSCIM, idpID)
		if err != nil {
			return err
		}
		slices.SortFunc(tokens, func(a, b Token) int { return a.Created.Compare(b.Created) })
		for _, t := range tokens {
			h.SCIM.Tokens = append(h.SCIM.Tokens, tokenHealth(t, now))
			if t.LastUsedAt.After(h.SCIM.LastAuthenticated) {
				h.SCIM.LastAuthenticated = t.LastUsedAt
			}
		}
		return healthEvents(tx, idp, &h)
	})
	if err != nil {
		return IdPHealth{}, err
	}
	h.Org, h.Protocol, h.Mode = org.ID, idp.Protocol, idp.Mode
	for _, c := range status.Certificates {
		h.Certificates = append(h.Certificates, certificateHealth(c, now))
	}
	h.Warnings = healthWarnings(idp, h)
	h.Checklist = healthChecklist(idp, org, h)
	return h, nil
}

func tokenHealth(t Token, now time.Time) TokenHealth {
	th := TokenHealth{ID: t.ID, Name: t.Name, Created: t.Created, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt, Status: "active"}
	switch {
	case !t.RevokedAt.IsZero():
		th.Status = "revoked"
	case !t.Usable(now):
		th.Status = "expired"
		th.Warning = fmt.Sprintf("SCIM token %q expired on %s: the connector's requests are refused; create a new token and paste it into the IdP", t.Name, day(t.ExpiresAt))
	case !t.ExpiresAt.IsZero() && t.ExpiresAt.Sub(now) < ExpiryWarning:
		th.Warning = fmt.Sprintf("SCIM token %q expires on %s, in %d day(s): create a new token and paste it into the IdP before then", t.Name, day(t.ExpiresAt), daysLeft(t.ExpiresAt, now))
	}
	return th
}

func certificateHealth(c IdPCertificate, now time.Time) CertificateHealth {
	ch := CertificateHealth{IdPCertificate: c, DaysLeft: daysLeft(c.NotAfter, now)}
	switch {
	case !now.Before(c.NotAfter):
		ch.Warning = fmt.Sprintf("the IdP's signing certificate %q expired on %s: sign-ins signed with it are refused; renew it in the IdP and update the metadata", c.Subject, day(c.NotAfter))
	case c.NotAfter.Sub(now) < ExpiryWarning:
		ch.Warning = fmt.Sprintf("the IdP's signing certificate %q expires on %s, in %d day(s): renew it in the IdP and update the metadata (a metadata URL picks it up by itself)", c.Subject, day(c.NotAfter), ch.DaysLeft)
	}
	return ch
}

func daysLeft(t, now time.Time) int {
	return int(math.Floor(t.Sub(now).Hours() / 24))
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// healthEvents reads the organization's recent events for what bears on the IdP.
func healthEvents(tx ReadTx, idp IdP, h *IdPHealth) error {
	last, err := tx.LastSeq()
	if err != nil {
		return err
	}
	var after uint64
	if last > HealthEventsWindow {
		after = last - HealthEventsWindow
	}
	org := OrgOrDefault(idp.Org)
	var scimErrors []SCIMActivity
	for {
		evs, err := tx.OrgEvents(org, after, 1000)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			break
		}
		for i := range evs {
			e := evs[i]
			after = e.Seq
			h.EventsExamined++
			if e.IdP != idp.ID {
				continue
			}
			if strings.HasPrefix(e.Actor, "scim:") {
				a := scimActivity(e)
				h.SCIM.LastRequest = &a
				if a.Outcome == "refused" {
					scimErrors = append(scimErrors, a)
				}
				continue
			}
			switch e.Type {
			case EventUserCreated, EventUserLogin, EventUserLinked:
				if strings.HasPrefix(e.Actor, "jit:") {
					h.LastSignIn = &e
				}
			case EventLoginRefused:
				h.LastRefusal = &e
			case EventLoginTested:
				h.LastTest = &e
				continue
			default:
				continue
			}
			if e.KeySource == KeyFallback && len(e.Warnings) > 0 {
				h.FallbackKeys++
			}
		}
	}
	for i := len(scimErrors) - 1; i >= 0 && len(h.SCIM.RecentErrors) < healthErrorsCap; i-- {
		h.SCIM.RecentErrors = append(h.SCIM.RecentErrors, scimErrors[i])
	}
	return nil
}

// scimOperations words what a SCIM request did, by the type of the event it wrote.
var scimOperations = map[string]string{
	EventUserCreated:     "create user",
	EventUserAdopted:     "create user (adopting a user made by sign-in)",
	EventUserUpdated:     "update user",
	EventUserDeactivated: "deactivate user",
	EventUserReactivated: "reactivate user",
	EventUserDeleted:     "delete user",
	EventGroupCreated:    "create group",
	EventGroupUpdated:    "update group",
	EventGroupDeleted:    "delete group",
	EventSCIMRefused:     "request refused",
}

func scimActivity(e Event) SCIMActivity {
	a := SCIMActivity{Time: e.Time, Operation: scimOperations[e.Type], Outcome: "ok", EventID: e.ID, Actor: e.Actor}
	if a.Operation == "" {
		a.Operation = e.Type
	}
	if e.Type == EventSCIMRefused {
		a.Outcome, a.Rule, a.Reason = "refused", e.Rule, e.Reason
	}
	return a
}

// healthWarnings says in plain words what needs the administrator's attention.
func healthWarnings(idp IdP, h IdPHealth) []string {
	out := []string{}
	if h.Metadata.Checked && !h.Metadata.Valid {
		what := "metadata"
		if idp.Protocol == ProtocolOIDC {
			what = "discovery document"
		}
		out = append(out, fmt.Sprintf("the IdP's %s cannot be used, so nobody can sign in: %s", what, h.Metadata.Problem))
	}
	for _, c := range h.Certificates {
		if c.Warning != "" {
			out = append(out, c.Warning)
		}
	}
	usable := 0
	for _, t := range h.SCIM.Tokens {
		if t.Warning != "" {
			out = append(out, t.Warning)
		}
		if t.Status == "active" {
			usable++
		}
	}
	if idp.Mode != ModeJIT && usable == 0 {
		out = append(out, fmt.Sprintf("mode %s provisions by SCIM, but the IdP has no usable SCIM token: create one and paste it into the IdP's provisioning settings", idp.Mode))
	}
	if h.FallbackKeys > 0 {
		out = append(out, fmt.Sprintf("%d sign-in(s) among the recent events took uniqueUserId from a fallback (the SAML NameID or the OIDC sub) because the mapped attribute did not arrive; users created so are keyed by that value, which SCIM does not send. Fix the IdP's claims, run a test sign-in, and check those users (see the events with key_source \"fallback\")", h.FallbackKeys))
	}
	if h.LastTest != nil && len(h.LastTest.Warnings) > 0 {
		out = append(out, fmt.Sprintf("the last test sign-in (%s) warned: %s", h.LastTest.Time.UTC().Format(time.RFC3339), strings.Join(h.LastTest.Warnings, "; ")))
	}
	return out
}

// healthChecklist is the set-up checklist of the IdP.
func healthChecklist(idp IdP, org Organization, h IdPHealth) []CheckItem {
	metadata := CheckItem{ID: "metadata_valid", Title: "Metadata valid", Needed: true, Done: h.Metadata.Checked && h.Metadata.Valid}
	switch {
	case !h.Metadata.Checked:
		metadata.Detail = "not checked"
	case metadata.Done && idp.Protocol == ProtocolOIDC:
		metadata.Detail = "the issuer's discovery document answers"
	case metadata.Done:
		metadata.Detail = fmt.Sprintf("the metadata (%s) parses and carries %d signing certificate(s)", h.Metadata.Source, len(h.Certificates))
	default:
		metadata.Detail = h.Metadata.Problem
	}

	test := CheckItem{ID: "test_sign_in_passed", Title: "Test sign-in passed", Needed: true}
	switch {
	case h.LastTest == nil:
		test.Detail = "no test sign-in yet: start one from the IdP's page"
	case LoginTestPassed(*h.LastTest):
		test.Done = true
		test.Detail = "passed at " + h.LastTest.Time.UTC().Format(time.RFC3339)
		if idp.Updated.After(h.LastTest.Time) {
			test.Detail += "; the IdP's settings changed since, test again to be sure"
		}
	default:
		test.Detail = fmt.Sprintf("the last test sign-in (%s) has %d warning(s)", h.LastTest.Time.UTC().Format(time.RFC3339), len(h.LastTest.Warnings))
	}

	scim := CheckItem{ID: "first_scim_request", Title: "First SCIM request received", Needed: idp.Mode != ModeJIT}
	switch {
	case !scim.Needed:
		scim.Detail = "mode jit takes no SCIM requests"
	case h.SCIM.LastRequest != nil:
		scim.Done = true
		scim.Detail = fmt.Sprintf("last: %s at %s", h.SCIM.LastRequest.Operation, h.SCIM.LastRequest.Time.UTC().Format(time.RFC3339))
	case !h.SCIM.LastAuthenticated.IsZero():
		scim.Done = true
		scim.Detail = "the connector authenticated at " + h.SCIM.LastAuthenticated.UTC().Format(time.RFC3339)
	default:
		scim.Detail = "no SCIM request yet: paste the SCIM base URL and a token into the IdP and start provisioning"
	}

	domain := CheckItem{ID: "domain_verified", Title: "Domain verified", Needed: true}
	if v := org.VerifiedDomains(); len(v) > 0 {
		domain.Done = true
		domain.Detail = "verified: " + strings.Join(v, ", ")
	} else {
		domain.Detail = fmt.Sprintf("organization %q has no verified domain: add one and publish its TXT record", org.ID)
	}
	return []CheckItem{metadata, test, scim, domain}
}

// certificatesNS keeps, per IdP, the fingerprints of the signing certificates its metadata URL
// served last, so that a change is noticed once, by any replica, across restarts.
const certificatesNS = "idp.certificates"

// ObserveIdPCertificates records the signing certificates a fetch of IdP idpID's metadata URL
// brought. When they differ from those recorded before, it writes one
// idp.certificate_changed event naming the new ones, and reports true; the first observation
// only records them. An unknown IdP is ErrNotFound.
func (s *Service) ObserveIdPCertificates(ctx context.Context, idpID string, certs []IdPCertificate) (bool, error) {
	fps := make([]string, 0, len(certs))
	for _, c := range certs {
		fps = append(fps, c.SHA256)
	}
	slices.Sort(fps)
	fps = slices.Compact(fps)
	same := func(tx ReadTx) (bool, bool, error) {
		raw, err := tx.KV(certificatesNS, idpID, s.Now())
		if errors.Is(err, ErrNotFound) {
			return false, false, nil
		}
		if err != nil {
			return false, false, err
		}
		var before []string
		if json.Unmarshal(raw, &before) != nil {
			return false, false, nil
		}
		return true, slices.Equal(before, fps), nil
	}
	// Most observations find nothing new; they cost a read only.
	var unchanged bool
	if err := s.store.View(ctx, func(tx ReadTx) error {
		_, eq, err := same(tx)
		unchanged = eq
		return err
	}); err != nil || unchanged {
		return false, err
	}
	changed := false
	err := s.update(ctx, func(tx Tx) error {
		changed = false
		p, err := tx.IdP(idpID)
		if err != nil {
			return err
		}
		known, eq, err := same(tx)
		if err != nil || eq {
			return err
		}
		raw, _ := json.Marshal(fps)
		if err := tx.PutKV(certificatesNS, idpID, raw, time.Time{}); err != nil {
			return err
		}
		if !known {
			return nil
		}
		changed = true
		var names []string
		for _, c := range certs {
			names = append(names, fmt.Sprintf("%q (SHA-256 %s, valid until %s)", c.Subject, c.SHA256, day(c.NotAfter)))
		}
		_, err = s.appendEvent(tx, Event{Type: EventIdPCertificateChanged, Actor: "system", Subject: idpID, Org: OrgOrDefault(p.Org), IdP: idpID,
			Reason: "a refresh of the IdP's metadata URL brought other signing certificates: " + strings.Join(names, ", ")})
		return err
	})
	return changed, err
}
