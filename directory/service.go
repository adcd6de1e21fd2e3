package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Service carries out the operations of the two feeds (SCIM and JIT) and of the administrator,
// applying the provisioning rules inside one store transaction per operation.
type Service struct {
	store Store
	now   func() time.Time
	newID func() string

	mu      sync.Mutex
	changed chan struct{} // closed and replaced after every committed write
	// listening is set once the store's EventNotifier wakes changed as well.
	listening bool

	// observers see the events of every committed write (service_observe.go).
	observers eventObservers

	// membersPerChange is how many members a group has per member a membership change names
	// from which the change is made without reading the members (SCIMChangeMembers).
	membersPerChange int
}

// Option configures a Service.
type Option func(*Service)

// WithClock injects the clock; tests use it to control time.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithIDs injects the generator of resource ids.
func WithIDs(newID func() string) Option { return func(s *Service) { s.newID = newID } }

// WithMembersPerChange sets from how many members per member named a membership PATCH is
// applied without reading the group's members (SCIMChangeMembers); tests lower it so that
// small groups take that way too.
func WithMembersPerChange(n int) Option { return func(s *Service) { s.membersPerChange = max(n, 0) } }

// New returns a Service over store.
func New(store Store, opts ...Option) *Service {
	s := &Service{
		store:   store,
		now:     time.Now,
		newID:   func() string { return uuid.NewString() },
		changed: make(chan struct{}),

		membersPerChange: defaultMembersPerChange,
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Now is the service's clock, in UTC.
func (s *Service) Now() time.Time { return s.now().UTC() }

// WritersRunTogether reports whether the store runs write transactions side by side
// (Store.WritersRunTogether): then work done inside an update delays no other writer.
func (s *Service) WritersRunTogether() bool { return s.store.WritersRunTogether() }

// NewID returns a fresh resource id.
func (s *Service) NewID() string { return s.newID() }

// View runs a read-only transaction, for read paths that need index lookups and scans (SCIM
// filters, admin lists). There is no way around the Service to a write transaction: every
// write is one of its operations, so the rules and events apply.
func (s *Service) View(ctx context.Context, fn func(tx ReadTx) error) error {
	return s.store.View(ctx, fn)
}

// update runs fn in a write transaction and wakes event waiters after a commit; the events
// it wrote go to the observers then.
func (s *Service) update(ctx context.Context, fn func(tx Tx) error) error {
	err := s.observers.update(ctx, s.store, fn)
	if err == nil {
		s.wake()
	}
	return err
}

// wake closes changed, waking whoever waits for a write.
func (s *Service) wake() {
	s.mu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// Changed returns a channel closed after the next write this Service commits or, on a store
// shared with other processes (EventNotifier), after the next events any of them commits. The
// store is asked to notify only once somebody waits.
func (s *Service) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, ok := s.store.(EventNotifier); ok && !s.listening {
		s.listening = true
		n.OnEvents(s.wake)
	}
	return s.changed
}

// appendEvent fills an event's id and time and stores it. Snapshots are bounded and never
// carry password hashes (snapshot.go).
func (s *Service) appendEvent(tx Tx, e Event) (Event, error) {
	e.ID = s.newID()
	e.Time = s.Now()
	if e.User != nil {
		u, partial := snapshotUser(*e.User)
		e.User, e.Partial = &u, e.Partial || partial
	}
	if e.Group != nil {
		g, partial := snapshotGroup(*e.Group)
		e.Group, e.Partial = &g, e.Partial || partial
	}
	seq, err := tx.AppendEvent(e)
	e.Seq = seq
	return e, err
}

// notFoundIsNil turns ErrNotFound into a nil pointer.
func userOrNil(u User, err error) (*User, error) {
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// retryConflicts reruns op when a racing writer made its decision stale: the loser of a race
// to create the same identity sees the winner's user on its next attempt (R7).
func retryConflicts(op func() error) error {
	var err error
	for range 3 {
		if err = op(); !errors.Is(err, ErrConflict) {
			return err
		}
	}
	return err
}

func (s *Service) stamp(u *User, created bool) {
	now := s.Now()
	if created {
		u.Meta.Created = now
	}
	u.Meta.LastModified = now
	u.Meta.Version++
}

func (s *Service) stampGroup(g *Group, created bool) {
	now := s.Now()
	if created {
		g.Meta.Created = now
	}
	g.Meta.LastModified = now
	g.Meta.Version++
}

// --- IdPs -----------------------------------------------------------------------------------

// IdP returns one IdP.
func (s *Service) IdP(ctx context.Context, id string) (IdP, error) {
	var p IdP
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		p, err = tx.IdP(id)
		return err
	})
	return p, err
}

// IdPs lists the IdPs of organization org, or of every organization for "".
func (s *Service) IdPs(ctx context.Context, org string) ([]IdP, error) {
	var ps []IdP
	err := s.store.View(ctx, func(tx ReadTx) error {
		all, err := tx.IdPs()
		ps = all[:0:0]
		for _, p := range all {
			if org == "" || p.Org == org {
				ps = append(ps, p)
			}
		}
		return err
	})
	return ps, err
}

// NormalizeIdP fills defaults and reports every problem of the domain settings at once.
// Protocol-specific checks (metadata, discovery) belong to the edges. The organization is the
// caller's to choose: an empty Org is no problem here, and CreateIdP decides what it means.
func NormalizeIdP(p *IdP) []string {
	var problems []string
	p.ID = strings.TrimSpace(p.ID)
	if p.ID == "" {
		problems = append(problems, "id is required (a short slug such as \"entra\")")
	} else if !validSlug(p.ID) {
		problems = append(problems, fmt.Sprintf("id %q must be 1–63 lower-case letters, digits or dashes, starting with a letter or digit", p.ID))
	}
	if p.Name == "" {
		p.Name = p.ID
	}
	if p.Protocol != ProtocolSAML && p.Protocol != ProtocolOIDC {
		problems = append(problems, fmt.Sprintf("protocol %q is not known; use \"saml\" or \"oidc\"", p.Protocol))
	}
	if p.Mode == "" {
		p.Mode = ModeJIT
	}
	if !p.Mode.Valid() {
		problems = append(problems, fmt.Sprintf("mode %q is not known; use \"jit\", \"scim\" or \"both\"", p.Mode))
	}
	if p.SCIMMatch == "" {
		p.SCIMMatch = MatchExternalID
	}
	if p.SCIMMatch != MatchExternalID && p.SCIMMatch != MatchUserName {
		problems = append(problems, fmt.Sprintf("scim_match %q is not known; use \"externalId\" or \"userName\"", p.SCIMMatch))
	}
	if p.LinkPolicy == "" {
		p.LinkPolicy = LinkNone
	}
	if p.LinkPolicy != LinkNone && p.LinkPolicy != LinkVerifiedEmail {
		problems = append(problems, fmt.Sprintf("link_policy %q is not known; use \"none\" or \"verified-email\"", p.LinkPolicy))
	}
	for _, a := range p.LoginAuthoritative {
		switch a {
		case "firstName", "lastName", "email", "groups":
		default:
			problems = append(problems, fmt.Sprintf("login_authoritative: %q is not an attribute a login carries (firstName, lastName, email, groups)", a))
		}
	}
	if p.LoginAuthoritative == nil {
		p.LoginAuthoritative = []string{}
	}
	if p.DefaultGroups == nil {
		p.DefaultGroups = []string{}
	}
	for _, g := range p.DefaultGroups {
		if strings.TrimSpace(g) == "" {
			problems = append(problems, "default_groups: a group name is empty")
		}
	}
	return problems
}

func validSlug(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// CreateIdP stores a new IdP in organization p.Org, which must exist; an unknown one is an
// ErrInvalid naming it. An empty Org means the store's only organization, and is an ErrInvalid
// when there are several: IdP ids are global, but an IdP belongs to one organization (R13).
// A taken id is a *ConflictError.
func (s *Service) CreateIdP(ctx context.Context, actor string, p IdP) (IdP, error) {
	if problems := NormalizeIdP(&p); len(problems) > 0 {
		return IdP{}, &InvalidError{Msg: strings.Join(problems, "; ")}
	}
	now := s.Now()
	p.Created, p.Updated = now, now
	asked := p.Org
	err := s.update(ctx, func(tx Tx) error {
		var err error
		if p.Org, err = orgFor(tx, asked); err != nil {
			return err
		}
		if _, err := tx.IdP(p.ID); err == nil {
			return &ConflictError{Field: "id", Value: p.ID}
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if err := tx.PutIdP(p); err != nil {
			return err
		}
		_, err = s.appendEvent(tx, Event{Type: EventIdPCreated, Actor: actor, Subject: p.ID, Org: p.Org, IdP: p.ID,
			Reason: fmt.Sprintf("%s IdP created in mode %s", p.Protocol, p.Mode)})
		return err
	})
	return p, err
}

// orgFor resolves the organization a new IdP is created in: org itself, which must exist, or
// for "" the one organization of the store.
func orgFor(tx ReadTx, org string) (string, error) {
	if org != "" {
		if _, err := tx.Org(org); errors.Is(err, ErrNotFound) {
			return "", Invalidf("organization %q does not exist", org)
		} else if err != nil {
			return "", err
		}
		return org, nil
	}
	orgs, err := tx.Orgs()
	if err != nil {
		return "", err
	}
	if len(orgs) != 1 {
		ids := make([]string, len(orgs))
		for i, o := range orgs {
			ids[i] = o.ID
		}
		return "", Invalidf("org is required: this Roster has %d organizations (%s); name the IdP's", len(orgs), strings.Join(ids, ", "))
	}
	return orgs[0].ID, nil
}

// UpdateIdP changes an IdP through fn. A mode change follows R11: no user is deleted or
// detached, and the event says what was kept.
func (s *Service) UpdateIdP(ctx context.Context, actor, id string, fn func(IdP) (IdP, error)) (IdP, error) {
	var out IdP
	err := s.update(ctx, func(tx Tx) error {
		old, err := tx.IdP(id)
		if err != nil {
			return err
		}
		p, err := fn(old)
		if err != nil {
			return err
		}
		if p.Org != "" && p.Org != old.Org {
			return Invalidf("IdP %q is of organization %q and cannot move to another; create an IdP in %q instead", old.ID, old.Org, p.Org)
		}
		p.ID, p.Org, p.Created, p.Updated = old.ID, old.Org, old.Created, s.Now()
		if problems := NormalizeIdP(&p); len(problems) > 0 {
			return &InvalidError{Msg: strings.Join(problems, "; ")}
		}
		if old.SCIMMatch != p.SCIMMatch {
			// The matching attribute is what SCIM users are keyed by (R1); changing it under
			// existing users would split each person into two identities.
			if n, err := tx.CountUsers(p.Org, p.ID); err != nil {
				return err
			} else if n > 0 {
				return Invalidf("scim_match cannot change from %s to %s while IdP %q has %d users: their identities are keyed by it (R1)",
					old.SCIMMatch, p.SCIMMatch, p.ID, n)
			}
		}
		if err := tx.PutIdP(p); err != nil {
			return err
		}
		e := Event{Type: EventIdPUpdated, Actor: actor, Subject: p.ID, Org: p.Org, IdP: p.ID, Reason: "IdP settings changed"}
		if old.Mode != p.Mode {
			jitUsers, scimUsers, err := countOwners(tx, p.ID)
			if err != nil {
				return err
			}
			d := DecideModeChange(old.Mode, p.Mode, jitUsers, scimUsers)
			e.Type, e.Rule, e.Reason, e.Changes = d.Event, d.Rule, d.Reason, d.Changes
		}
		if _, err := s.appendEvent(tx, e); err != nil {
			return err
		}
		out = p
		return nil
	})
	return out, err
}

func countOwners(tx ReadTx, idp string) (jit, scim int, err error) {
	err = tx.ScanUsers(ScanQuery{IdP: idp}, func(u User) error {
		switch u.Owner {
		case OwnerJIT:
			jit++
		case OwnerSCIM:
			scim++
		}
		return nil
	})
	return jit, scim, err
}

// DeleteIdP removes an IdP and its SCIM tokens. While the IdP is its organization's console
// sign-in it is refused with ErrConflict, and so it is while the IdP still has users unless
// force is set; then its users and groups are deleted too, each with an event, so nothing is
// silently orphaned.
func (s *Service) DeleteIdP(ctx context.Context, actor, id string, force bool) error {
	return s.update(ctx, func(tx Tx) error {
		p, err := tx.IdP(id)
		if err != nil {
			return err
		}
		org := p.Org
		if o, err := tx.Org(org); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		} else if err == nil && o.ConsoleAccess != nil && o.ConsoleAccess.IdP == id {
			msg := fmt.Sprintf("IdP %q is the console sign-in of organization %q; change its console_access first", id, org)
			return &ConflictError{Field: "idp", Value: id, Msg: msg}
		}
		n, err := tx.CountUsers(org, id)
		if err != nil {
			return err
		}
		if n > 0 && !force {
			msg := fmt.Sprintf("IdP %q still has %d users; delete with force to remove them too", id, n)
			return &ConflictError{Field: "users", Value: msg, Msg: msg}
		}
		var users []User
		if err := tx.ScanUsers(ScanQuery{IdP: id}, func(u User) error { users = append(users, u); return nil }); err != nil {
			return err
		}
		for _, u := range users {
			if err := tx.DeleteUser(u.ID); err != nil {
				return err
			}
			if _, err := s.appendEvent(tx, Event{Type: EventUserDeleted, Actor: actor, Subject: u.ID, Org: org, IdP: id,
				Reason: "deleted with its IdP (forced)"}); err != nil {
				return err
			}
		}
		var groups []Group
		if err := tx.ScanGroups(ScanQuery{IdP: id}, func(g Group) error { groups = append(groups, g); return nil }); err != nil {
			return err
		}
		for _, g := range groups {
			if err := tx.DeleteGroup(g.ID); err != nil {
				return err
			}
			if _, err := s.appendEvent(tx, Event{Type: EventGroupDeleted, Actor: actor, Subject: g.ID, Org: org, IdP: id,
				Reason: "deleted with its IdP"}); err != nil {
				return err
			}
		}
		tokens, err := tx.Tokens(TokenSCIM, id)
		if err != nil {
			return err
		}
		for _, t := range tokens {
			if err := tx.DeleteToken(t.ID); err != nil {
				return err
			}
		}
		tombs, err := tx.Tombstones(id)
		if err != nil {
			return err
		}
		for _, t := range tombs {
			if err := tx.DeleteTombstone(Identity{IdP: t.IdP, UniqueUserID: t.UniqueUserID}); err != nil {
				return err
			}
		}
		if err := tx.DeleteIdP(id); err != nil {
			return err
		}
		// An IdP made again under this id starts without the certificates of this one.
		if err := tx.DeleteKV(certificatesNS, id); err != nil {
			return err
		}
		_, err = s.appendEvent(tx, Event{Type: EventIdPDeleted, Actor: actor, Subject: id, Org: org, IdP: id,
			Reason: fmt.Sprintf("IdP deleted with %d users and %d groups", len(users), len(groups))})
		return err
	})
}
