package directory

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Set-up links (DESIGN.md, "Self-service set-up links"): an owner or an organization's admin
// sends one to the customer's IT administrator, who opens it in a browser and sets up single
// sign-on, SCIM or the organization's domains, as far as the link's intent reaches
// (AuthorizeArea). A link is a token of kind TokenSetup: only the hash of its secret is
// stored, it expires, and it can be revoked. Opening it starts a set-up session, whose
// secret the browser keeps in a cookie; the session ends when the link expires or is
// revoked, checked on every request.

// SetupLinkPrefix starts the secret of every set-up link, after which come 32 random bytes.
const SetupLinkPrefix = "rst_setup_"

// setupSessionPrefix starts a set-up session's secret; it differs from the link's, so that
// neither passes for the other.
const setupSessionPrefix = "rst_setupsess_"

// MaxSetupLinkTTL is the longest a set-up link may live: it is a credential sent by email.
const MaxSetupLinkTTL = 30 * 24 * time.Hour

// SetupLink is a set-up link as administrators see it; its secret is shown once, on creation.
type SetupLink struct {
	ID         string
	Org        string
	Intent     SetupIntent
	Created    time.Time
	ExpiresAt  time.Time
	RevokedAt  time.Time
	LastUsedAt time.Time
}

func setupLinkOf(t Token) SetupLink {
	return SetupLink{ID: t.ID, Org: t.Org, Intent: t.Intent, Created: t.Created, ExpiresAt: t.ExpiresAt,
		RevokedAt: t.RevokedAt, LastUsedAt: t.LastUsedAt}
}

// Status is "active", "expired" or "revoked" at now.
func (l SetupLink) Status(now time.Time) string {
	switch {
	case !l.RevokedAt.IsZero():
		return "revoked"
	case !now.Before(l.ExpiresAt):
		return "expired"
	}
	return "active"
}

// CreateSetupLink issues a set-up link of organization org for intent, expiring at expires,
// and returns it with its secret. The organization must exist; the expiry must lie ahead, by
// at most MaxSetupLinkTTL.
func (s *Service) CreateSetupLink(ctx context.Context, actor, org string, intent SetupIntent, expires time.Time) (SetupLink, string, error) {
	now := s.Now()
	var problems []string
	if !intent.Valid() {
		problems = append(problems, fmt.Sprintf("intent %q is not known; use \"sso\", \"scim\", \"domain\" or \"all\"", intent))
	}
	switch {
	case !expires.After(now):
		problems = append(problems, "a set-up link must expire in the future")
	case expires.Sub(now) > MaxSetupLinkTTL:
		problems = append(problems, fmt.Sprintf("a set-up link may live %d days at most", int(MaxSetupLinkTTL.Hours()/24)))
	}
	if strings.TrimSpace(org) == "" {
		problems = append(problems, "a set-up link needs an organization")
	}
	if len(problems) > 0 {
		return SetupLink{}, "", &InvalidError{Msg: strings.Join(problems, "; ")}
	}
	t, secret, err := s.putToken(ctx, actor, Token{Kind: TokenSetup, Role: RoleOrgAdmin, Org: org, Intent: intent,
		Name: "set-up link (" + string(intent) + ")"}, expires, newSecret(SetupLinkPrefix))
	if err != nil {
		return SetupLink{}, "", err
	}
	return setupLinkOf(t), secret, nil
}

// SetupLinks lists the set-up links of organization org, expired and revoked ones included,
// oldest first.
func (s *Service) SetupLinks(ctx context.Context, org string) ([]SetupLink, error) {
	ts, err := s.Tokens(ctx, TokenSetup, "")
	if err != nil {
		return nil, err
	}
	out := []SetupLink{}
	for _, t := range ts {
		if t.Org == org {
			out = append(out, setupLinkOf(t))
		}
	}
	slices.SortFunc(out, func(a, b SetupLink) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// SetupLink returns one set-up link; ErrNotFound if there is none with the id.
func (s *Service) SetupLink(ctx context.Context, id string) (SetupLink, error) {
	var t Token
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		t, err = setupToken(tx, id)
		return err
	})
	return setupLinkOf(t), err
}

// setupToken reads a set-up link's token; a token of another kind reads as ErrNotFound.
func setupToken(tx ReadTx, id string) (Token, error) {
	t, err := tx.Token(id)
	if err == nil && t.Kind != TokenSetup {
		return Token{}, ErrNotFound
	}
	return t, err
}

// RevokeSetupLink revokes a set-up link at once: its sessions end with it. Revoking a revoked
// link changes nothing.
func (s *Service) RevokeSetupLink(ctx context.Context, actor, id string) (SetupLink, error) {
	var out Token
	err := s.update(ctx, func(tx Tx) error {
		t, err := setupToken(tx, id)
		if err != nil {
			return err
		}
		out = t
		if !t.RevokedAt.IsZero() {
			return nil
		}
		t.RevokedAt = s.Now()
		if err := tx.PutToken(t); err != nil {
			return err
		}
		out = t
		_, err = s.appendEvent(tx, Event{Type: EventSetupLinkRevoked, Actor: actor, Subject: t.ID, Org: t.Org,
			Reason: fmt.Sprintf("set-up link (intent %s) revoked; its sessions end", t.Intent)})
		return err
	})
	return setupLinkOf(out), err
}

// States of a set-up link that cannot be opened.
const (
	// SetupLinkUnknown: no link has this secret: mistyped, cut short, tampered with, or of a
	// link deleted with its organization.
	SetupLinkUnknown = "unknown"
	SetupLinkExpired = "expired"
	SetupLinkRevoked = "revoked"
)

// SetupLinkError says why a set-up link cannot be opened; it matches ErrUnauthenticated.
type SetupLinkError struct {
	// State is SetupLinkUnknown, SetupLinkExpired or SetupLinkRevoked.
	State string
}

func (e *SetupLinkError) Error() string { return "the set-up link is " + e.State }

func (e *SetupLinkError) Is(target error) bool { return target == ErrUnauthenticated }

// usableSetupLink finds the set-up link whose secret this is and checks that it may be used
// at now; otherwise the error is a *SetupLinkError.
func usableSetupLink(tx ReadTx, secret string, now time.Time) (Token, error) {
	hash := HashSecret(secret)
	t, err := tx.TokenByHash(hash)
	switch {
	case errors.Is(err, ErrNotFound) || err == nil && (t.Kind != TokenSetup || subtle.ConstantTimeCompare(t.Hash, hash) != 1):
		return Token{}, &SetupLinkError{State: SetupLinkUnknown}
	case err != nil:
		return Token{}, err
	case !t.RevokedAt.IsZero():
		return Token{}, &SetupLinkError{State: SetupLinkRevoked}
	case !t.Usable(now):
		return Token{}, &SetupLinkError{State: SetupLinkExpired}
	}
	if _, err := tx.Org(t.Org); errors.Is(err, ErrNotFound) {
		return Token{}, &SetupLinkError{State: SetupLinkUnknown}
	} else if err != nil {
		return Token{}, err
	}
	return t, nil
}

// setupSessionNS is the KV namespace of set-up sessions, keyed by the hash of their secret.
const setupSessionNS = "setup.session"

type setupSessionRecord struct {
	Link    string    `json:"link"`
	Created time.Time `json:"created"`
}

// OpenSetupLink starts a set-up session for the link whose secret this is, lasting ttl but
// never past the link's expiry, and returns the link and the session's secret, which the
// browser keeps. The opening is an event, by the link (setup:<id>). A link that is unknown,
// expired or revoked is a *SetupLinkError, and then nothing is stored or recorded.
func (s *Service) OpenSetupLink(ctx context.Context, secret string, ttl time.Duration) (SetupLink, string, error) {
	if !strings.HasPrefix(secret, SetupLinkPrefix) {
		return SetupLink{}, "", &SetupLinkError{State: SetupLinkUnknown}
	}
	// Refuse what cannot be used before opening a write transaction: a wrong link costs a
	// read only, and leaves nothing behind.
	if err := s.store.View(ctx, func(tx ReadTx) error {
		_, err := usableSetupLink(tx, secret, s.Now())
		return err
	}); err != nil {
		return SetupLink{}, "", err
	}
	session := newSecret(setupSessionPrefix)
	var link Token
	err := s.update(ctx, func(tx Tx) error {
		now := s.Now()
		t, err := usableSetupLink(tx, secret, now)
		if err != nil {
			return err
		}
		expires := now.Add(ttl)
		if t.ExpiresAt.Before(expires) {
			expires = t.ExpiresAt
		}
		rec, _ := json.Marshal(setupSessionRecord{Link: t.ID, Created: now})
		if err := tx.PutKV(setupSessionNS, sessionKey(session), rec, expires); err != nil {
			return err
		}
		t.LastUsedAt = now
		if err := tx.PutToken(t); err != nil {
			return err
		}
		link = t
		_, err = s.appendEvent(tx, Event{Type: EventSetupLinkOpened, Actor: KindSetup + ":" + t.ID, Subject: t.ID, Org: t.Org,
			Reason: fmt.Sprintf("set-up link (intent %s) opened; its session lasts until %s", t.Intent, expires.Format(time.RFC3339))})
		return err
	})
	if err != nil {
		return SetupLink{}, "", err
	}
	return setupLinkOf(link), session, nil
}

// SetupPrincipal returns the principal of a live set-up session: an org-admin of the link's
// organization, limited to the link's intent, acting as setup:<link id>. A session whose link
// expired, was revoked or is gone, and an unknown or ended session, is ErrUnauthenticated.
func (s *Service) SetupPrincipal(ctx context.Context, secret string) (Principal, error) {
	if !strings.HasPrefix(secret, setupSessionPrefix) {
		return Principal{}, ErrUnauthenticated
	}
	var p Principal
	err := s.store.View(ctx, func(tx ReadTx) error {
		now := s.Now()
		raw, err := tx.KV(setupSessionNS, sessionKey(secret), now)
		if err != nil {
			return err
		}
		var rec setupSessionRecord
		if json.Unmarshal(raw, &rec) != nil {
			return ErrNotFound
		}
		t, err := setupToken(tx, rec.Link)
		if err != nil {
			return err
		}
		if !t.Usable(now) {
			return ErrNotFound
		}
		if _, err := tx.Org(t.Org); err != nil {
			return err
		}
		p = Principal{ID: t.ID, Name: t.Name, Role: RoleOrgAdmin, Org: t.Org, Kind: KindSetup, Intent: t.Intent, ExpiresAt: t.ExpiresAt}
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return Principal{}, ErrUnauthenticated
	}
	return p, err
}

// EndSetupSession ends a set-up session (signing out); the link itself stays usable.
func (s *Service) EndSetupSession(ctx context.Context, secret string) error {
	return s.endBrowserSession(ctx, setupSessionNS, secret)
}

// sessionKey is the KV key of a browser session: the hash of its secret, so that a copy of
// the store cannot act as anybody.
func sessionKey(secret string) string {
	return base64.RawURLEncoding.EncodeToString(HashSecret(secret))
}

func (s *Service) endBrowserSession(ctx context.Context, ns, secret string) error {
	if secret == "" {
		return nil
	}
	return s.store.Update(ctx, func(tx Tx) error { return tx.DeleteKV(ns, sessionKey(secret)) })
}
