package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Console sign-in through SSO (DESIGN.md, "Console sign-in through SSO"): an organization's
// console_access names one of its IdPs and the groups whose members, as that IdP asserts them
// at the sign-in, get org-admin or viewer of the organization in the console. The server's
// operator organization is the operator's own: its admin groups become owners, its viewer
// groups viewers of every organization. A console session belongs to a user, and ends at once
// when that user is deactivated or deleted (R6) or the organization stops letting its people
// in through that IdP.

// RefuseConsoleAccess is the refusal of a console sign-in by someone of none of the
// organization's console groups, or at an IdP that is not its console IdP.
const RefuseConsoleAccess = "console_access"

// ConsoleDecision is the outcome of DecideConsoleAccess.
type ConsoleDecision struct {
	Allowed bool
	// Role and Org are the principal the person becomes: Org "" is every organization.
	Role Role
	Org  string
	// Group is the asserted group that granted the role.
	Group  string
	Reason string
}

// DecideConsoleAccess decides what a person signing in at IdP idp, asserting groups, may do
// in the console of organization org, given the server's operator organization ("" for
// none). Admin groups win over viewer groups; groups compare case-insensitively, as the
// sign-in's group memberships do. Everybody else is refused.
func DecideConsoleAccess(org Organization, operatorOrg, idp string, groups []string) ConsoleDecision {
	ca := org.ConsoleAccess
	switch {
	case ca == nil:
		return ConsoleDecision{Reason: fmt.Sprintf("organization %q does not let its people into the console (no console_access)", org.ID)}
	case ca.IdP != idp:
		return ConsoleDecision{Reason: fmt.Sprintf("the console sign-in of organization %q is through IdP %q, not %q", org.ID, ca.IdP, idp)}
	}
	operator := operatorOrg != "" && operatorOrg == org.ID
	if g, ok := firstShared(groups, ca.AdminGroups); ok {
		d := ConsoleDecision{Allowed: true, Role: RoleOrgAdmin, Org: org.ID, Group: g,
			Reason: fmt.Sprintf("member of admin group %q of organization %q", g, org.ID)}
		if operator {
			d.Role, d.Org = RoleOwner, ""
			d.Reason += ", the operator's organization: owner"
		}
		return d
	}
	if g, ok := firstShared(groups, ca.ViewerGroups); ok {
		d := ConsoleDecision{Allowed: true, Role: RoleViewer, Org: org.ID, Group: g,
			Reason: fmt.Sprintf("member of viewer group %q of organization %q", g, org.ID)}
		if operator {
			d.Org = ""
			d.Reason += ", the operator's organization: viewer of every organization"
		}
		return d
	}
	return ConsoleDecision{Reason: fmt.Sprintf("none of the %d group(s) the IdP asserted is an admin or viewer group of organization %q", len(groups), org.ID)}
}

// firstShared returns the first of asserted that is one of want, compared case-insensitively.
func firstShared(asserted, want []string) (string, bool) {
	for _, a := range asserted {
		a = strings.TrimSpace(a)
		for _, w := range want {
			if a != "" && strings.EqualFold(a, strings.TrimSpace(w)) {
				return a, true
			}
		}
	}
	return "", false
}

// DecideConsole decides a console sign-in at IdP idpID asserting groups, on the current state
// of the IdP's organization (DecideConsoleAccess). An unknown IdP is ErrNotFound.
func (s *Service) DecideConsole(ctx context.Context, idpID string, groups []string, operatorOrg string) (ConsoleDecision, error) {
	var d ConsoleDecision
	err := s.store.View(ctx, func(tx ReadTx) error {
		org, err := orgOfIdP(tx, idpID)
		if err != nil {
			return err
		}
		d = DecideConsoleAccess(org, operatorOrg, idpID, groups)
		return nil
	})
	return d, err
}

func orgOfIdP(tx ReadTx, idpID string) (Organization, error) {
	p, err := tx.IdP(idpID)
	if err != nil {
		return Organization{}, err
	}
	return tx.Org(OrgOrDefault(p.Org))
}

// RefuseConsole records a refused console sign-in at IdP idpID by the person with key
// uniqueUserID, using up the sign-in's one-time keys, and returns the refusal with the id of
// its event. Nothing about the person changes: a refused console sign-in provisions nobody.
func (s *Service) RefuseConsole(ctx context.Context, idpID, uniqueUserID string, d ConsoleDecision, uses ...OnceUse) (*Refusal, error) {
	ref := &Refusal{Code: RefuseConsoleAccess, Reason: d.Reason}
	err := s.update(ctx, func(tx Tx) error {
		if err := applyOnce(tx, s.Now(), uses); err != nil {
			return err
		}
		p, err := tx.IdP(idpID)
		if err != nil {
			return err
		}
		e, err := s.appendEvent(tx, Event{Type: EventConsoleRefused, Actor: "jit:" + idpID, Subject: uniqueUserID,
			Org: OrgOrDefault(p.Org), IdP: idpID, Reason: "console sign-in refused: " + d.Reason})
		ref.EventID = e.ID
		return err
	})
	if err != nil {
		return nil, err
	}
	return ref, nil
}

// consoleSessionNS is the KV namespace of console sessions, keyed by the hash of their secret.
const consoleSessionNS = "console.session"

const consoleSessionPrefix = "rst_console_"

type consoleSessionRecord struct {
	UserID string `json:"userId"`
	IdP    string `json:"idp"`
	// Org is the organization whose console access granted the session.
	Org string `json:"org"`
	// Role and PrincipalOrg are what the session may do ("" for every organization).
	Role         Role      `json:"role"`
	PrincipalOrg string    `json:"principalOrg"`
	Created      time.Time `json:"created"`
	Expires      time.Time `json:"expires"`
}

// StartConsoleSession starts a console session of user userID, who has just signed in at IdP
// idpID asserting groups, for ttl, and returns its principal and its secret (the cookie's
// value). The decision is taken again inside the transaction, so that a console_access changed
// meanwhile is obeyed; a refusal is a *Refusal, with no session. The session's start is an
// event by the person (console:<user id>).
func (s *Service) StartConsoleSession(ctx context.Context, userID, idpID string, groups []string, operatorOrg string, ttl time.Duration) (Principal, string, error) {
	secret := newSecret(consoleSessionPrefix)
	var p Principal
	var refusal *Refusal
	err := s.update(ctx, func(tx Tx) error {
		refusal = nil
		u, err := tx.User(userID)
		if err != nil {
			return err
		}
		if !u.Active {
			refusal = &Refusal{Rule: RuleR6, Code: RefuseDeactivated, Reason: "the user is deactivated"}
			return nil
		}
		org, err := orgOfIdP(tx, idpID)
		if err != nil {
			return err
		}
		d := DecideConsoleAccess(org, operatorOrg, idpID, groups)
		if !d.Allowed {
			refusal = &Refusal{Code: RefuseConsoleAccess, Reason: d.Reason}
			return nil
		}
		now := s.Now()
		rec := consoleSessionRecord{UserID: u.ID, IdP: idpID, Org: org.ID, Role: d.Role, PrincipalOrg: d.Org, Created: now, Expires: now.Add(ttl)}
		raw, _ := json.Marshal(rec)
		if err := tx.PutKV(consoleSessionNS, sessionKey(secret), raw, rec.Expires); err != nil {
			return err
		}
		p = consolePrincipal(u, rec)
		_, err = s.appendEvent(tx, Event{Type: EventConsoleSignedIn, Actor: p.Actor(), Subject: u.ID, Org: org.ID, IdP: idpID,
			Reason: fmt.Sprintf("signed in to the console through IdP %q as %s: %s", idpID, describeRole(d.Role, d.Org), d.Reason)})
		return err
	})
	if err != nil {
		return Principal{}, "", err
	}
	if refusal != nil {
		return Principal{}, "", refusal
	}
	return p, secret, nil
}

func consolePrincipal(u User, rec consoleSessionRecord) Principal {
	return Principal{ID: u.ID, Name: u.UserName, Role: rec.Role, Org: rec.PrincipalOrg, Kind: KindConsole, ExpiresAt: rec.Expires}
}

// ConsolePrincipal returns the principal of a live console session. The session has ended —
// ErrUnauthenticated — when it expired or was signed out, when its user was deactivated,
// deleted or had its sessions ended after it began (R6), or when the organization no longer
// lets its people into the console through the session's IdP.
func (s *Service) ConsolePrincipal(ctx context.Context, secret string) (Principal, error) {
	if !strings.HasPrefix(secret, consoleSessionPrefix) {
		return Principal{}, ErrUnauthenticated
	}
	var p Principal
	err := s.store.View(ctx, func(tx ReadTx) error {
		raw, err := tx.KV(consoleSessionNS, sessionKey(secret), s.Now())
		if err != nil {
			return err
		}
		var rec consoleSessionRecord
		if json.Unmarshal(raw, &rec) != nil {
			return ErrNotFound
		}
		u, err := tx.User(rec.UserID)
		if err != nil {
			return err
		}
		if !u.Active || !rec.Created.After(u.SessionsValidAfter) {
			return ErrNotFound
		}
		org, err := tx.Org(rec.Org)
		if err != nil {
			return err
		}
		if org.ConsoleAccess == nil || org.ConsoleAccess.IdP != rec.IdP {
			return ErrNotFound
		}
		p = consolePrincipal(u, rec)
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return Principal{}, ErrUnauthenticated
	}
	return p, err
}

// EndConsoleSession ends a console session (signing out).
func (s *Service) EndConsoleSession(ctx context.Context, secret string) error {
	return s.endBrowserSession(ctx, consoleSessionNS, secret)
}
