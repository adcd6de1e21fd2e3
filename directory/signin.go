package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// This file holds what self-service set-up needs around a sign-in: where a login's key came
// from (R1), the test sign-in that runs the rules on the current state and changes nothing,
// and home-realm discovery.

// KeySource says where a sign-in's uniqueUserId came from (R1).
type KeySource string

const (
	// KeyMapped: the attribute the IdP's mapping names, or, without one, the name its preset
	// tells administrators to configure.
	KeyMapped KeySource = "mapped"
	// KeyAlias: another name Roster accepts for it: the userUniqueId spelling, or the vendor's
	// default claim (Entra ID's objectidentifier or oid).
	KeyAlias KeySource = "alias"
	// KeyFallback: no attribute carried it, so the persistent SAML NameID or the OIDC sub
	// stands in.
	KeyFallback KeySource = "fallback"
)

// Event types of self-service set-up.
const (
	// EventLoginTested records a test sign-in: what the rules would decide, with nothing about
	// the person stored.
	EventLoginTested = "login.tested"
	// EventSetupLinkCreated, EventSetupLinkRevoked and EventSetupLinkOpened record a set-up
	// link's life; the events of what its sessions do name it as their actor (setup:<id>).
	EventSetupLinkCreated = "setup_link.created"
	EventSetupLinkRevoked = "setup_link.revoked"
	EventSetupLinkOpened  = "setup_link.opened"
	// EventConsoleSignedIn records a console session started through SSO, EventConsoleRefused
	// a sign-in at the console IdP by someone of none of its console groups.
	EventConsoleSignedIn = "console.signed_in"
	EventConsoleRefused  = "console.refused"
	// EventIdPCertificateChanged records that a refresh of an IdP's metadata URL brought
	// other signing certificates than before.
	EventIdPCertificateChanged = "idp.certificate_changed"
)

// explainKey gives a login's event its key source, and its key warning both as a warning and
// in the reason, so that whoever reads the event learns why the key is what it is (R1, R12).
func (in Login) explainKey(e Event) Event {
	e.KeySource = in.KeySource
	if w := strings.TrimSpace(in.KeyWarning); w != "" {
		e.Warnings = append(e.Warnings, w)
		e.Reason += "; uniqueUserId: " + w
	}
	return e
}

// LoginTest is what a test sign-in found: the decision the rules would take for the person on
// the current state, and the event that records the test.
type LoginTest struct {
	Decision LoginDecision
	Event    Event
}

// TestLogin runs the rules on one sign-in without carrying them out (R1–R4, R6, R8, R9, R13
// as Login would apply them): it reads the current state, asks DecideLogin, and writes one
// login.tested event, by actor, that names the decision and its rule and carries the
// warnings given by the edge, with those of the decision added. Nothing about the person is
// stored: no user, no identity, no group, and the event holds neither the key nor any
// attribute value. The sign-in's one-time keys are used in the same transaction, as Login
// uses them.
func (s *Service) TestLogin(ctx context.Context, actor string, in Login, warnings []string, uses ...OnceUse) (LoginTest, error) {
	in.UniqueUserID = strings.TrimSpace(in.UniqueUserID)
	// What the input policy refuses, a sign-in never gets past (Login): the rules are not
	// asked, and the warning names the attribute, not what was asserted.
	policy := CheckLogin(in)
	var out LoginTest
	err := s.update(ctx, func(tx Tx) error {
		if err := applyOnce(tx, s.Now(), uses); err != nil {
			return err
		}
		var idp IdP
		var d LoginDecision
		var err error
		if policy != nil {
			idp, err = tx.IdP(in.IdP)
			d = LoginDecision{Action: LoginRefuse, Code: RefuseInvalidInput,
				Reason: fmt.Sprintf("the IdP asserts a %s that the input policy refuses", RefusedAttribute(policy))}
		} else {
			idp, _, d, err = decideLoginIn(tx, in, s.Now())
		}
		if err != nil {
			return err
		}
		all := slices.Clone(warnings)
		if w := decisionWarning(idp, d); w != "" {
			all = append(all, w)
		}
		e, err := s.appendEvent(tx, Event{Type: EventLoginTested, Actor: actor, Subject: idp.ID, Org: idp.Org, IdP: idp.ID,
			Rule: d.Rule, KeySource: in.KeySource, Warnings: all, Reason: testReason(d, len(all))})
		out = LoginTest{Decision: d, Event: e}
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return LoginTest{}, DecideUnknownIdP(in.IdP)
	}
	return out, err
}

// decisionWarning is what a test sign-in warns of about the decision itself: a refusal the
// person would meet. A refusal in mode scim of a person SCIM has not provisioned yet is what
// the mode means, not a fault of the set-up.
func decisionWarning(idp IdP, d LoginDecision) string {
	if d.Action != LoginRefuse || d.Code == RefuseNotProvisioned && idp.Mode == ModeSCIM {
		return ""
	}
	what := map[string]string{
		RefuseNoIdentity:    "the sign-in carries no uniqueUserId, so it would be refused",
		RefuseDeactivated:   "this person's user is deactivated, so the sign-in would be refused",
		RefuseTombstoned:    "SCIM deleted this person's user, so the sign-in would be refused until SCIM creates it again or an administrator clears the tombstone",
		RefuseUserNameTaken: "the userName this person would get belongs to another user, so the sign-in would be refused",
		RefuseEmailDomain:   "the person's email is outside the organization's verified domains, so the sign-in would be refused",
		RefuseInvalidInput:  d.Reason + ", so the sign-in would be refused",
	}[d.Code]
	if what == "" {
		what = "the sign-in would be refused (" + d.Code + ")"
	}
	if d.Rule == "" {
		return what // the input policy's refusal, which no rule decides
	}
	return fmt.Sprintf("%s (%s)", what, d.Rule)
}

// testReason is the reason of a login.tested event: what the rules would do, without the
// person's key or attributes.
func testReason(d LoginDecision, warnings int) string {
	would := map[LoginAction]string{
		LoginCreate: "create the user",
		LoginUpdate: "sign the existing user in",
		LoginLink:   "link the existing user with this email",
		LoginRefuse: "refuse the sign-in [" + d.Code + "]",
	}[d.Action]
	verdict := "test sign-in passed"
	if warnings > 0 {
		verdict = fmt.Sprintf("test sign-in has %d warning(s)", warnings)
	}
	if d.Rule == "" {
		return fmt.Sprintf("%s: Roster would %s; nothing was stored", verdict, would)
	}
	return fmt.Sprintf("%s: the rules would %s (%s); nothing was stored", verdict, would, d.Rule)
}

// LoginTestPassed reports whether a login.tested event records a test that passed: a key was
// found and there was nothing to warn of.
func LoginTestPassed(e Event) bool {
	return e.Type == EventLoginTested && e.KeySource != "" && len(e.Warnings) == 0
}

// Discovery is where home-realm discovery sends a person: the organization that verified the
// domain of their email, and its IdPs.
type Discovery struct {
	Org  string
	IdPs []IdP
}

// DiscoverSignIn finds the sign-in for an email address: the IdPs, in id order, of the
// organization that verified the address's domain. It reports false for an address without a
// domain, a domain nobody verified (claimed but unverified included) and an organization
// without IdPs alike, and reads nothing about users, so that its answer says nothing about
// whether a person exists.
func (s *Service) DiscoverSignIn(ctx context.Context, email string) (Discovery, bool, error) {
	domain := EmailDomain(strings.TrimSpace(email))
	if domain == "" {
		return Discovery{}, false, nil
	}
	var out Discovery
	err := s.store.View(ctx, func(tx ReadTx) error {
		o, err := tx.OrgByDomain(domain)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if !o.VerifiedDomain(domain) {
			return nil
		}
		all, err := tx.IdPs()
		if err != nil {
			return err
		}
		for _, p := range all {
			if OrgOrDefault(p.Org) == o.ID {
				out.IdPs = append(out.IdPs, p)
			}
		}
		out.Org = o.ID
		return nil
	})
	if err != nil || len(out.IdPs) == 0 {
		return Discovery{}, false, err
	}
	slices.SortFunc(out.IdPs, func(a, b IdP) int { return strings.Compare(a.ID, b.ID) })
	return out, true, nil
}

// OnceTestTicket keys a test ticket by the hash of its secret: a one-time permission to start
// a test sign-in of one IdP, issued through the admin API to a caller with an admin token,
// which a browser cannot send on a navigation as it sends a session cookie.
const OnceTestTicket OnceKind = "jit.test.ticket"

// TestTicketTTL is how long a test ticket may wait to be used.
const TestTicketTTL = 5 * time.Minute

type testTicket struct {
	IdP   string `json:"idp"`
	Actor string `json:"actor"`
}

// IssueTestTicket issues a ticket that starts one test sign-in of IdP idp on behalf of actor,
// within TestTicketTTL, and returns its secret and expiry. Whoever calls it has decided that
// actor may test the IdP (AuthorizeArea, AreaTestSignIn).
func (s *Service) IssueTestTicket(ctx context.Context, idp, actor string) (string, time.Time, error) {
	if _, err := s.IdP(ctx, idp); err != nil {
		return "", time.Time{}, err
	}
	secret := newSecret("rst_test_")
	expires := s.Now().Add(TestTicketTTL)
	rec, _ := json.Marshal(testTicket{IdP: idp, Actor: actor})
	if err := s.UseOnce(ctx, PutOnce(OnceTestTicket, sessionKey(secret), rec, expires)); err != nil {
		return "", time.Time{}, err
	}
	return secret, expires, nil
}

// RedeemTestTicket uses up a test ticket for IdP idp and returns the actor it was issued to.
// A ticket that is unknown, expired, used, or issued for another IdP is ErrUsed.
func (s *Service) RedeemTestTicket(ctx context.Context, idp, secret string) (string, error) {
	key := sessionKey(secret)
	raw, err := s.PeekOnce(ctx, OnceTestTicket, key)
	if errors.Is(err, ErrNotFound) {
		return "", &onceError{use: TakeOnce(OnceTestTicket, "(a test ticket)")}
	}
	if err != nil {
		return "", err
	}
	var t testTicket
	if json.Unmarshal(raw, &t) != nil || t.IdP != idp || t.Actor == "" {
		return "", &onceError{use: TakeOnce(OnceTestTicket, "(a test ticket of another IdP)")}
	}
	if err := s.UseOnce(ctx, TakeOnce(OnceTestTicket, key)); err != nil {
		return "", err
	}
	return t.Actor, nil
}
