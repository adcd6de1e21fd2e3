package directory

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Organizations (R13): each customer company's IdPs, users, groups, tokens and events are its
// own. These operations create, change and delete organizations and their email domains; who
// may call them is the admin edge's decision (Authorize). Each is one transaction with the
// event that records it, in the organization's log.

// Orgs lists every organization, in id order.
func (s *Service) Orgs(ctx context.Context) ([]Organization, error) {
	var out []Organization
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.Orgs()
		return err
	})
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

// CreateOrg stores a new organization. Its domains are added afterwards, one by one, each
// proven by DNS (AddDomain, MarkDomainVerified), and its console access once it has an IdP
// (UpdateOrg). A taken id is a *ConflictError.
func (s *Service) CreateOrg(ctx context.Context, actor string, o Organization) (Organization, error) {
	problems := NormalizeOrg(&o)
	if len(o.Domains) > 0 {
		problems = append(problems, "domains are added one at a time after the organization is created, each with its TXT record to verify")
	}
	if o.ConsoleAccess != nil {
		problems = append(problems, "console_access names an IdP of the organization; set it once the organization has one")
	}
	if len(problems) > 0 {
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
		if err := tx.PutOrg(o); err != nil {
			return err
		}
		_, err := s.appendEvent(tx, Event{Type: EventOrgCreated, Actor: actor, Subject: o.ID, Org: o.ID,
			Reason: fmt.Sprintf("organization %q created, email_domains %s", o.Name, o.EmailDomains)})
		return err
	})
	if err != nil {
		return Organization{}, err
	}
	return o, nil
}

// UpdateOrg changes an organization's name, email_domains policy and console access through
// fn. Its id, domains and times are the server's: domains change through the domain
// operations only, so that none is ever verified without its DNS record. Console access must
// name an IdP of the organization.
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
		o.ID, o.Domains, o.Created, o.Updated = old.ID, old.Domains, old.Created, s.Now()
		problems := NormalizeOrg(&o)
		if ca := o.ConsoleAccess; ca != nil {
			if p, err := tx.IdP(ca.IdP); errors.Is(err, ErrNotFound) || err == nil && p.Org != id {
				problems = append(problems, fmt.Sprintf("console_access.idp: %q is not an IdP of organization %q", ca.IdP, id))
			} else if err != nil {
				return err
			}
			ca.AdminGroups, ca.ViewerGroups = nonNil(ca.AdminGroups), nonNil(ca.ViewerGroups)
			if slices.Contains(ca.AdminGroups, "") || slices.Contains(ca.ViewerGroups, "") {
				problems = append(problems, "console_access: a group name is empty")
			}
		}
		if len(problems) > 0 {
			return &InvalidError{Msg: strings.Join(problems, "; ")}
		}
		var changes []string
		if o.Name != old.Name {
			changes = append(changes, "name")
		}
		if o.EmailDomains != old.EmailDomains {
			changes = append(changes, "email_domains")
		}
		if !consoleAccessEqual(o.ConsoleAccess, old.ConsoleAccess) {
			changes = append(changes, "console_access")
		}
		if len(changes) == 0 {
			out = old
			return nil
		}
		if err := tx.PutOrg(o); err != nil {
			return err
		}
		if _, err := s.appendEvent(tx, Event{Type: EventOrgUpdated, Actor: actor, Subject: id, Org: id,
			Reason: "organization settings changed", Changes: changes}); err != nil {
			return err
		}
		out = o
		return nil
	})
	return out, err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func consoleAccessEqual(a, b *ConsoleAccess) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.IdP == b.IdP && slices.Equal(a.AdminGroups, b.AdminGroups) && slices.Equal(a.ViewerGroups, b.ViewerGroups)
}

// DeleteOrg removes an organization that holds no IdP and no user; otherwise it is a
// *ConflictError naming what is left. The admin tokens limited to the organization and its
// set-up links are revoked with it, each with its event.
func (s *Service) DeleteOrg(ctx context.Context, actor, id string) error {
	return s.update(ctx, func(tx Tx) error {
		if _, err := tx.Org(id); err != nil {
			return err
		}
		var idps []string
		all, err := tx.IdPs()
		if err != nil {
			return err
		}
		for _, p := range all {
			if p.Org == id {
				idps = append(idps, p.ID)
			}
		}
		users, err := tx.CountUsers(id, "")
		if err != nil {
			return err
		}
		if len(idps) > 0 || users > 0 {
			var left []string
			if len(idps) > 0 {
				left = append(left, fmt.Sprintf("%d IdPs (%s)", len(idps), strings.Join(idps, ", ")))
			}
			if users > 0 {
				left = append(left, fmt.Sprintf("%d users", users))
			}
			msg := fmt.Sprintf("organization %q still has %s; delete them first", id, strings.Join(left, " and "))
			return &ConflictError{Field: "org", Value: id, Msg: msg}
		}
		tokens, err := tx.Tokens(TokenAdmin, "")
		if err != nil {
			return err
		}
		links, err := tx.Tokens(TokenSetup, "")
		if err != nil {
			return err
		}
		tokens = append(tokens, links...)
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

// TXT records that prove a domain: the organization publishes TXTValue at TXTName.
const (
	txtNamePrefix  = "_roster-verify."
	txtValuePrefix = "roster-verify="
)

// AddDomain claims an email domain for an organization and returns the claim with the TXT
// record to publish: txt_name "_roster-verify.<domain>", txt_value "roster-verify=<random>".
// Claiming a domain the organization claims already returns that claim as it is. A domain
// another organization has verified cannot be claimed (*ConflictError): one domain, one
// organization.
func (s *Service) AddDomain(ctx context.Context, actor, org, domain string) (Domain, error) {
	if err := ValidateDomain(domain); err != nil {
		return Domain{}, err
	}
	domain = FoldDomain(domain)
	var out Domain
	value := txtValuePrefix + randomToken()
	err := s.update(ctx, func(tx Tx) error {
		o, err := tx.Org(org)
		if err != nil {
			return err
		}
		if d, ok := o.Domain(domain); ok {
			out = d
			return nil
		}
		if other, err := tx.OrgByDomain(domain); err == nil && other.ID != org {
			return domainTaken(domain)
		} else if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		d := Domain{Domain: domain, TXTName: txtNamePrefix + domain, TXTValue: value, Created: s.Now()}
		o.Domains = append(o.Domains, d)
		o.Updated = s.Now()
		if err := tx.PutOrg(o); err != nil {
			return err
		}
		if _, err := s.appendEvent(tx, Event{Type: EventDomainAdded, Actor: actor, Subject: domain, Org: org,
			Reason: fmt.Sprintf("domain %s claimed; verified once TXT %s holds %s", domain, d.TXTName, d.TXTValue)}); err != nil {
			return err
		}
		out = d
		return nil
	})
	return out, err
}

func domainTaken(domain string) error {
	return &ConflictError{Field: "domain", Value: domain, Msg: fmt.Sprintf("domain %s is verified by another organization", domain)}
}

// randomToken is 20 random bytes in lower-case base32, without padding.
func randomToken() string {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// DomainNotVerifiedError says that the TXT record of a domain claim does not hold the value
// that proves it: what the lookup found instead.
type DomainNotVerifiedError struct {
	Domain Domain
	Found  []string
}

func (e *DomainNotVerifiedError) Error() string {
	if len(e.Found) == 0 {
		return fmt.Sprintf("no TXT record at %s; publish TXT %q there and verify again", e.Domain.TXTName, e.Domain.TXTValue)
	}
	quoted := make([]string, len(e.Found))
	for i, f := range e.Found {
		quoted[i] = fmt.Sprintf("%q", f)
	}
	return fmt.Sprintf("the TXT records at %s are %s, none of them %q; publish that value and verify again",
		e.Domain.TXTName, strings.Join(quoted, ", "), e.Domain.TXTValue)
}

// Is makes the error match ErrConflict: the claim's state is not what verifying needs.
func (e *DomainNotVerifiedError) Is(target error) bool { return target == ErrConflict }

// MarkDomainVerified verifies an organization's claim of domain given found, the values of the
// TXT records the edge looked up at the claim's TXTName just now. One of them must be the
// claim's TXTValue; otherwise the error is a *DomainNotVerifiedError saying what was found.
// A domain another organization verified meanwhile is a *ConflictError. Verifying a verified
// domain again changes nothing.
func (s *Service) MarkDomainVerified(ctx context.Context, actor, org, domain string, found []string) (Domain, error) {
	domain = FoldDomain(domain)
	var out Domain
	err := s.update(ctx, func(tx Tx) error {
		o, i, err := domainClaim(tx, org, domain)
		if err != nil {
			return err
		}
		d := o.Domains[i]
		if !slices.ContainsFunc(found, func(v string) bool { return strings.TrimSpace(v) == d.TXTValue }) {
			return &DomainNotVerifiedError{Domain: d, Found: slices.Clone(found)}
		}
		if d.Verified {
			out = d
			return nil
		}
		now := s.Now()
		d.Verified, d.VerifiedAt = true, now
		o.Domains[i], o.Updated = d, now
		if err := tx.PutOrg(o); errors.Is(err, ErrConflict) {
			return domainTaken(domain)
		} else if err != nil {
			return err
		}
		if _, err := s.appendEvent(tx, Event{Type: EventDomainVerified, Actor: actor, Subject: domain, Org: org,
			Reason: fmt.Sprintf("TXT %s holds the organization's value", d.TXTName)}); err != nil {
			return err
		}
		out = d
		return nil
	})
	return out, err
}

// domainClaim reads organization org and the index of its claim of the folded domain; an
// unknown organization or an unclaimed domain is ErrNotFound.
func domainClaim(tx ReadTx, org, domain string) (Organization, int, error) {
	o, err := tx.Org(org)
	if err != nil {
		return Organization{}, 0, err
	}
	i := slices.IndexFunc(o.Domains, func(d Domain) bool { return d.Domain == domain })
	if i < 0 {
		return Organization{}, 0, ErrNotFound
	}
	return o, i, nil
}

// RemoveDomain drops an organization's claim of a domain, verified or not; an unclaimed
// domain is ErrNotFound. Under email_domains "verified" the organization then accepts no new
// email of that domain (R13).
func (s *Service) RemoveDomain(ctx context.Context, actor, org, domain string) error {
	domain = FoldDomain(domain)
	return s.update(ctx, func(tx Tx) error {
		o, i, err := domainClaim(tx, org, domain)
		if err != nil {
			return err
		}
		o.Domains = slices.Delete(o.Domains, i, i+1)
		o.Updated = s.Now()
		if err := tx.PutOrg(o); err != nil {
			return err
		}
		_, err = s.appendEvent(tx, Event{Type: EventDomainRemoved, Actor: actor, Subject: domain, Org: org,
			Reason: fmt.Sprintf("domain %s no longer claimed", domain)})
		return err
	})
}

// Tombstones lists the tombstones of IdP idp ("" for every IdP) of organization org ("" for
// every organization).
func (s *Service) Tombstones(ctx context.Context, org, idp string) ([]Tombstone, error) {
	var out []Tombstone
	err := s.store.View(ctx, func(tx ReadTx) error {
		all, err := tx.Tombstones(idp)
		out = all[:0:0]
		for _, t := range all {
			if org == "" || t.Org == org {
				out = append(out, t)
			}
		}
		return err
	})
	return out, err
}

// Events returns up to limit events after seq, of every organization, in order (limit 0 or
// over 1000 is 1000). If there are none and wait is positive, it waits up to wait for one to be
// written, by this process or, with a shared database, by another. One organization's events
// are read with SearchEvents, from that organization's index.
func (s *Service) Events(ctx context.Context, after uint64, limit int, wait time.Duration) ([]Event, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	deadline := time.Now().Add(wait)
	for {
		changed := s.Changed()
		var evs []Event
		err := s.store.View(ctx, func(tx ReadTx) error {
			var err error
			evs, err = tx.Events(after, limit)
			return err
		})
		if err != nil || len(evs) > 0 {
			return evs, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return []Event{}, nil
		}
		// Another replica's writes close changed only on a store that tells of them
		// (EventNotifier), and a notice can be missed while its connection is down, so
		// poll as well.
		poll := min(left, 500*time.Millisecond)
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return []Event{}, ctx.Err()
		case <-changed:
		case <-t.C:
		}
		t.Stop()
	}
}
