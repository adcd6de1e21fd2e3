package directory

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Event types of organizations and their domains.
const (
	EventOrgCreated     = "org.created"
	EventOrgUpdated     = "org.updated"
	EventOrgDeleted     = "org.deleted"
	EventDomainAdded    = "domain.added"
	EventDomainVerified = "domain.verified"
	EventDomainRemoved  = "domain.removed"
)

// Orgs lists every organization in id order.
func (s *Service) Orgs(ctx context.Context) ([]Organization, error) {
	var out []Organization
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.Orgs()
		return err
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}

// Org returns one organization.
func (s *Service) Org(ctx context.Context, id string) (Organization, error) {
	var o Organization
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		o, err = tx.Org(id)
		return err
	})
	return o, err
}

// checkConsoleAccess reports whether an organization's console access names one of its IdPs.
func checkConsoleAccess(tx ReadTx, o Organization) error {
	if o.ConsoleAccess == nil {
		return nil
	}
	p, err := tx.IdP(o.ConsoleAccess.IdP)
	if errors.Is(err, ErrNotFound) || (err == nil && OrgOrDefault(p.Org) != o.ID) {
		return Invalidf("console_access.idp %q is not an IdP of organization %q", o.ConsoleAccess.IdP, o.ID)
	}
	return err
}

// CreateOrg stores a new organization, without domains. A taken id is a *ConflictError.
func (s *Service) CreateOrg(ctx context.Context, actor string, o Organization) (Organization, error) {
	if problems := NormalizeOrg(&o); len(problems) > 0 {
		return Organization{}, &InvalidError{Msg: strings.Join(problems, "; ")}
	}
	now := s.Now()
	o.Domains, o.Created, o.Updated = []Domain{}, now, now
	err := s.update(ctx, func(tx Tx) error {
		if _, err := tx.Org(o.ID); err == nil {
			return &ConflictError{Field: "id", Value: o.ID, Msg: fmt.Sprintf("an organization with id %q already exists", o.ID)}
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if err := checkConsoleAccess(tx, o); err != nil {
			return err
		}
		if err := tx.PutOrg(o); err != nil {
			return err
		}
		_, err := s.appendEvent(tx, Event{Type: EventOrgCreated, Actor: actor, Subject: o.ID, Org: o.ID,
			Reason: fmt.Sprintf("organization %q created", o.Name)})
		return err
	})
	return o, err
}

// UpdateOrg changes an organization's settings through fn, which may run more than once and
// must be pure. Its id, domains and creation time are kept: domains change only through
// AddDomain, MarkDomainVerified and RemoveDomain.
func (s *Service) UpdateOrg(ctx context.Context, actor, id string, fn func(Organization) (Organization, error)) (Organization, error) {
	var out Organization
	err := s.update(ctx, func(tx Tx) error {
		old, err := tx.Org(id)
		if err != nil {
			return err
		}
		o, err := fn(old.Clone())
		if err != nil {
			return err
		}
		o.ID, o.Domains, o.Created, o.Updated = old.ID, old.Clone().Domains, old.Created, s.Now()
		if problems := NormalizeOrg(&o); len(problems) > 0 {
			return &InvalidError{Msg: strings.Join(problems, "; ")}
		}
		if err := checkConsoleAccess(tx, o); err != nil {
			return err
		}
		if err := tx.PutOrg(o); err != nil {
			return err
		}
		if _, err := s.appendEvent(tx, Event{Type: EventOrgUpdated, Actor: actor, Subject: o.ID, Org: o.ID,
			Reason: "organization settings changed"}); err != nil {
			return err
		}
		out = o
		return nil
	})
	return out, err
}

// DeleteOrg removes an organization that holds no IdP, user or group; otherwise it is a
// *ConflictError naming what it still has. The admin credentials limited to it are revoked
// with it, so that an organization created later with the same id inherits none of them.
// DefaultOrg is never deleted: every store has it.
func (s *Service) DeleteOrg(ctx context.Context, actor, id string) error {
	return s.update(ctx, func(tx Tx) error {
		if _, err := tx.Org(id); err != nil {
			return err
		}
		if id == DefaultOrg {
			return &ConflictError{Field: "id", Value: id, Msg: fmt.Sprintf("organization %q is where records of no other organization live; it cannot be deleted", id)}
		}
		ps, err := tx.IdPs()
		if err != nil {
			return err
		}
		var idps []string
		for _, p := range ps {
			if OrgOrDefault(p.Org) == id {
				idps = append(idps, fmt.Sprintf("%q", p.ID))
			}
		}
		sort.Strings(idps)
		users, err := tx.CountUsers(id, "")
		if err != nil {
			return err
		}
		groups := 0
		if err := tx.ScanGroups(ScanQuery{Org: id}, func(Group) error { groups++; return nil }); err != nil {
			return err
		}
		if len(idps) > 0 || users > 0 || groups > 0 {
			msg := fmt.Sprintf("organization %q still has %d IdPs (%s), %d users and %d groups; delete them first",
				id, len(idps), strings.Join(idps, ", "), users, groups)
			return &ConflictError{Field: "org", Value: id, Msg: msg}
		}
		tokens, err := tx.Tokens(TokenAdmin, "")
		if err != nil {
			return err
		}
		now := s.Now()
		for _, t := range tokens {
			if t.Org != id || !t.RevokedAt.IsZero() {
				continue
			}
			t.RevokedAt = now
			if err := tx.PutToken(t); err != nil {
				return err
			}
			if _, err := s.appendEvent(tx, Event{Type: EventTokenRevoked, Actor: actor, Subject: t.ID, Org: id,
				Reason: fmt.Sprintf("%s token %q revoked with its organization", t.Kind, t.Name)}); err != nil {
				return err
			}
		}
		if err := tx.DeleteOrg(id); err != nil {
			return err
		}
		_, err = s.appendEvent(tx, Event{Type: EventOrgDeleted, Actor: actor, Subject: id, Org: id, Reason: "organization deleted"})
		return err
	})
}

// AddDomain claims a domain for an organization and returns the TXT record that proves it:
// name _roster-verify.<domain>, value roster-verify=<random>. A domain another organization
// has verified, or that this one claims already, is a *ConflictError.
func (s *Service) AddDomain(ctx context.Context, actor, org, domain string) (Domain, error) {
	if err := ValidateDomain(domain); err != nil {
		return Domain{}, err
	}
	domain = FoldDomain(domain)
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return Domain{}, err
	}
	d := Domain{Domain: domain, TXTName: "_roster-verify." + domain, TXTValue: "roster-verify=" + hex.EncodeToString(b), Created: s.Now()}
	err := s.update(ctx, func(tx Tx) error {
		o, err := tx.Org(org)
		if err != nil {
			return err
		}
		if _, ok := o.Domain(domain); ok {
			return &ConflictError{Field: "domain", Value: domain, Msg: fmt.Sprintf("organization %q already claims domain %s", org, domain)}
		}
		if owner, err := tx.OrgByDomain(domain); err == nil && owner.ID != org {
			return &ConflictError{Field: "domain", Value: domain, Msg: "domain " + domain + " is verified by another organization"}
		} else if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		o = o.Clone()
		o.Domains = append(o.Domains, d)
		o.Updated = s.Now()
		if err := tx.PutOrg(o); err != nil {
			return err
		}
		_, err = s.appendEvent(tx, Event{Type: EventDomainAdded, Actor: actor, Subject: domain, Org: org,
			Reason: "domain claimed; publish TXT " + d.TXTName + " to verify it"})
		return err
	})
	return d, err
}

// MarkDomainVerified records that the organization's domain is proven: the edge looked up
// its TXT record and found txtValue there. If the claim's value is no longer txtValue (the
// domain was removed and claimed again meanwhile), nothing is proven: *ConflictError. A
// domain another organization has verified is a *ConflictError too.
func (s *Service) MarkDomainVerified(ctx context.Context, actor, org, domain, txtValue string) (Domain, error) {
	domain = FoldDomain(domain)
	var out Domain
	err := s.update(ctx, func(tx Tx) error {
		o, err := tx.Org(org)
		if err != nil {
			return err
		}
		o = o.Clone()
		i := -1
		for j, d := range o.Domains {
			if d.Domain == domain {
				i = j
			}
		}
		if i < 0 {
			return ErrNotFound
		}
		d := &o.Domains[i]
		if d.TXTValue != txtValue {
			return &ConflictError{Field: "domain", Value: domain, Msg: fmt.Sprintf("the claim of domain %s changed while it was checked; verify it again", domain)}
		}
		d.Verified, d.VerifiedAt = true, s.Now()
		o.Updated = s.Now()
		if err := tx.PutOrg(o); err != nil {
			return err
		}
		out = *d
		_, err = s.appendEvent(tx, Event{Type: EventDomainVerified, Actor: actor, Subject: domain, Org: org,
			Reason: "domain verified by its TXT record " + d.TXTName})
		return err
	})
	return out, err
}

// RemoveDomain drops an organization's claim of a domain, verified or not.
func (s *Service) RemoveDomain(ctx context.Context, actor, org, domain string) error {
	domain = FoldDomain(domain)
	return s.update(ctx, func(tx Tx) error {
		o, err := tx.Org(org)
		if err != nil {
			return err
		}
		o = o.Clone()
		kept := o.Domains[:0]
		for _, d := range o.Domains {
			if d.Domain != domain {
				kept = append(kept, d)
			}
		}
		if len(kept) == len(o.Domains) {
			return ErrNotFound
		}
		o.Domains, o.Updated = kept, s.Now()
		if err := tx.PutOrg(o); err != nil {
			return err
		}
		_, err = s.appendEvent(tx, Event{Type: EventDomainRemoved, Actor: actor, Subject: domain, Org: org, Reason: "domain claim removed"})
		return err
	})
}

// CreateAdminToken issues an admin credential with a role, limited to organization org ("" for
// every organization; required for an org-admin, refused for an owner), and returns it with
// its secret, which is shown once and never stored.
func (s *Service) CreateAdminToken(ctx context.Context, actor, name string, role Role, org string, expires time.Time) (Token, string, error) {
	switch {
	case !role.Valid():
		return Token{}, "", Invalidf("role %q is not known", role)
	case role == RoleOrgAdmin && org == "":
		return Token{}, "", Invalidf("an org-admin needs an organization")
	case role == RoleOwner && org != "":
		return Token{}, "", Invalidf("an owner acts in every organization; it has no org")
	}
	secret := newSecret(AdminTokenPrefix)
	t := Token{ID: tokenID(s.newID()), Kind: TokenAdmin, Role: role, Org: org, Name: name,
		Hash: HashSecret(secret), Created: s.Now(), ExpiresAt: expires.UTC()}
	if expires.IsZero() {
		t.ExpiresAt = time.Time{}
	}
	err := s.update(ctx, func(tx Tx) error {
		if org != "" {
			if _, err := tx.Org(org); err != nil {
				return err
			}
		}
		if err := tx.PutToken(t); err != nil {
			return err
		}
		_, err := s.appendEvent(tx, Event{Type: EventTokenCreated, Actor: actor, Subject: t.ID, Org: org,
			Reason: fmt.Sprintf("admin token %q created with role %s", name, role)})
		return err
	})
	if err != nil {
		return Token{}, "", err
	}
	return t, secret, nil
}

// AdminTokens lists the admin credentials, revoked and expired ones included.
func (s *Service) AdminTokens(ctx context.Context) ([]Token, error) {
	return s.Tokens(ctx, TokenAdmin, "")
}
