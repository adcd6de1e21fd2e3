package directory

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Token secrets carry a prefix naming their kind, so that secret scanners and people can tell
// them apart, followed by 32 random bytes.
const (
	SCIMTokenPrefix  = "rst_scim_"
	AdminTokenPrefix = "rst_admin_"
	sessionPrefix    = "rst_sess_"
)

// HashSecret is how token and session secrets are stored: SHA-256 suffices because the
// secrets are 256-bit random values, not passwords.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// tokenID shortens a resource id to the 16 characters tokens are listed and revoked by.
func tokenID(id string) string {
	id = strings.ReplaceAll(id, "-", "")
	if len(id) > 16 {
		id = id[:16]
	}
	return id
}

func newSecret(prefix string) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// CreateToken issues a bearer token and returns it with its secret, which is shown once and
// never stored. A SCIM token must name an existing IdP, whose organization it is of. An admin
// token made here is an owner's (the bootstrap token, for one); CreateAdminToken makes those of
// other roles.
func (s *Service) CreateToken(ctx context.Context, actor string, kind TokenKind, idp, name string, expires time.Time) (Token, string, error) {
	if kind != TokenSCIM {
		return s.CreateAdminToken(ctx, actor, name, RoleOwner, "", expires)
	}
	return s.putToken(ctx, actor, Token{Kind: TokenSCIM, IdP: idp, Name: name}, expires, newSecret(SCIMTokenPrefix))
}

// CreateAdminToken issues an administrator token of role in organization org ("" for every
// organization) and returns it with its secret, shown once. An org-admin needs an
// organization, an owner has none, and the organization must exist.
func (s *Service) CreateAdminToken(ctx context.Context, actor, name string, role Role, org string, expires time.Time) (Token, string, error) {
	switch {
	case !role.Valid():
		return Token{}, "", Invalidf("role %q is not known; use %q, %q or %q", role, RoleOwner, RoleOrgAdmin, RoleViewer)
	case role == RoleOrgAdmin && org == "":
		return Token{}, "", Invalidf("an org-admin token needs an org: the organization it administers")
	case role == RoleOwner && org != "":
		return Token{}, "", Invalidf("an owner is an owner of every organization; leave org empty, or choose role %q", RoleOrgAdmin)
	}
	return s.putToken(ctx, actor, Token{Kind: TokenAdmin, Role: role, Org: org, Name: name}, expires, newSecret(AdminTokenPrefix))
}

// putToken stores t, a token to be with the secret given, after checking what it refers to: a
// SCIM token's IdP, whose organization it takes, or an admin token's organization.
func (s *Service) putToken(ctx context.Context, actor string, t Token, expires time.Time, secret string) (Token, string, error) {
	t.ID, t.Hash, t.Created, t.ExpiresAt = tokenID(s.newID()), HashSecret(secret), s.Now(), expires.UTC()
	if expires.IsZero() {
		t.ExpiresAt = time.Time{}
	}
	what := fmt.Sprintf("%s token %q created", t.Kind, t.Name)
	if t.Kind == TokenAdmin {
		what = fmt.Sprintf("admin token %q (%s) created", t.Name, describeRole(t.Role, t.Org))
	}
	typ := EventTokenCreated
	if t.Kind == TokenSetup {
		typ, what = EventSetupLinkCreated, fmt.Sprintf("set-up link (intent %s) created, expires %s", t.Intent, t.ExpiresAt.Format(time.RFC3339))
	}
	var stored Token
	err := s.update(ctx, func(tx Tx) error {
		t := t
		switch {
		case t.Kind == TokenSCIM:
			p, err := tx.IdP(t.IdP)
			if err != nil {
				return err
			}
			t.Org = p.Org
			if err := checkSCIMTokenCap(tx, t.IdP, t.Created); err != nil {
				return err
			}
		case t.Org != "":
			if _, err := tx.Org(t.Org); errors.Is(err, ErrNotFound) {
				return Invalidf("organization %q does not exist", t.Org)
			} else if err != nil {
				return err
			}
		}
		if err := tx.PutToken(t); err != nil {
			return err
		}
		_, err := s.appendEvent(tx, Event{Type: typ, Actor: actor, Subject: t.ID, Org: t.Org, IdP: t.IdP, Reason: what})
		stored = t
		return err
	})
	if err != nil {
		return Token{}, "", err
	}
	return stored, secret, nil
}

// describeRole says what a credential of role in org may do, for events and messages.
func describeRole(role Role, org string) string {
	return Principal{Role: role, Org: org}.describe()
}

// EnsureAdminToken makes sure an administrator can sign in on a new store. If given is set, it
// becomes a valid admin token (if it is not one already). Otherwise, when the store has no admin
// token that is still usable, one is generated and returned; created says whether the caller
// must show it. A given secret that belongs to a SCIM token or to a revoked or expired admin
// token is an ErrInvalid.
func (s *Service) EnsureAdminToken(ctx context.Context, given string) (secret string, created bool, err error) {
	var existing []Token
	var match *Token
	err = s.store.View(ctx, func(tx ReadTx) error {
		var err error
		if existing, err = tx.Tokens(TokenAdmin, ""); err != nil {
			return err
		}
		if given != "" {
			t, err := tx.TokenByHash(HashSecret(given))
			if err == nil {
				match = &t
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", false, err
	}
	now := s.Now()
	switch {
	case given != "" && match != nil:
		// A known secret is only "already valid" if it is a usable admin token; otherwise the
		// operator would be told it works while every request with it fails.
		if match.Kind != TokenAdmin {
			return "", false, Invalidf("the given admin token is already in use as a %s token; choose another", match.Kind)
		}
		if !match.Usable(now) {
			return "", false, Invalidf("the given admin token (id %s) was revoked or has expired; choose another", match.ID)
		}
		return given, false, nil
	case given != "":
		if len(given) < 16 {
			return "", false, Invalidf("the admin token must be at least 16 characters")
		}
		_, _, err := s.putToken(ctx, "system", Token{Kind: TokenAdmin, Role: RoleOwner, Name: "bootstrap (--admin-token)"}, time.Time{}, given)
		return given, false, err
	}
	for _, t := range existing {
		if t.Usable(now) {
			return "", false, nil
		}
	}
	// No admin token, or none usable any more: without a new one nobody could administer
	// the store.
	_, secret, err = s.CreateToken(ctx, "system", TokenAdmin, "", "bootstrap", time.Time{})
	return secret, err == nil, err
}

// Authenticate returns the usable token of the given kind whose secret this is. The lookup is
// by hash and the hash is compared again in constant time. Last use is recorded at most once a
// minute, so authentication does not cost a write per request.
func (s *Service) Authenticate(ctx context.Context, kind TokenKind, secret string) (Token, error) {
	t, _, err := s.authenticate(ctx, kind, secret)
	return t, err
}

// AuthenticateSCIM is Authenticate for a SCIM token, returning its actor and, as the same
// read found it, the token's IdP for CheckSCIMAccessOf (zero if it no longer exists).
func (s *Service) AuthenticateSCIM(ctx context.Context, secret string) (SCIMActor, IdP, error) {
	t, idp, err := s.authenticate(ctx, TokenSCIM, secret)
	if err != nil {
		return SCIMActor{}, IdP{}, err
	}
	return SCIMActor{IdP: t.IdP, Org: t.Org, TokenID: t.ID}, idp, nil
}

// authenticate is Authenticate, with the token's IdP.
func (s *Service) authenticate(ctx context.Context, kind TokenKind, secret string) (Token, IdP, error) {
	if secret == "" {
		return Token{}, IdP{}, ErrUnauthenticated
	}
	hash := HashSecret(secret)
	t, idp, err := s.store.ReadTokenByHash(ctx, hash)
	if errors.Is(err, ErrNotFound) {
		return Token{}, IdP{}, ErrUnauthenticated
	}
	if err != nil {
		return Token{}, IdP{}, err
	}
	now := s.Now()
	if subtle.ConstantTimeCompare(t.Hash, hash) != 1 || t.Kind != kind || !t.Usable(now) {
		return Token{}, IdP{}, ErrUnauthenticated
	}
	if now.Sub(t.LastUsedAt) > time.Minute {
		_ = s.store.Update(ctx, func(tx Tx) error {
			cur, err := tx.Token(t.ID)
			if err != nil {
				return err
			}
			cur.LastUsedAt = now
			return tx.PutToken(cur)
		})
		t.LastUsedAt = now
	}
	return t, idp, nil
}

// AdminTokens lists the administrator tokens, revoked and expired ones included.
func (s *Service) AdminTokens(ctx context.Context) ([]Token, error) {
	return s.Tokens(ctx, TokenAdmin, "")
}

// Tokens lists tokens of a kind (and, for SCIM, of one IdP; "" for all).
func (s *Service) Tokens(ctx context.Context, kind TokenKind, idp string) ([]Token, error) {
	var ts []Token
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		ts, err = tx.Tokens(kind, idp)
		return err
	})
	return ts, err
}

// RevokeToken revokes a token at once; it stays listed as revoked.
func (s *Service) RevokeToken(ctx context.Context, actor, id string) (Token, error) {
	var out Token
	err := s.update(ctx, func(tx Tx) error {
		t, err := tx.Token(id)
		if err != nil {
			return err
		}
		if t.RevokedAt.IsZero() {
			t.RevokedAt = s.Now()
			if err := tx.PutToken(t); err != nil {
				return err
			}
			if _, err := s.appendEvent(tx, Event{Type: EventTokenRevoked, Actor: actor, Subject: t.ID, Org: t.Org, IdP: t.IdP,
				Reason: fmt.Sprintf("%s token %q revoked", t.Kind, t.Name)}); err != nil {
				return err
			}
		}
		out = t
		return nil
	})
	return out, err
}

// DeactivateUser deactivates a user on an administrator's word and ends its sessions (R6).
func (s *Service) DeactivateUser(ctx context.Context, actor, id string) (User, error) {
	var out User
	err := s.update(ctx, func(tx Tx) error {
		u, err := tx.User(id)
		if err != nil {
			return err
		}
		d := DecideAdminDeactivation(u, s.Now())
		if d.Event == "" {
			out = u
			return nil
		}
		u = d.User
		s.stamp(&u, false)
		if err := tx.PutUser(u); err != nil {
			return err
		}
		if _, err := s.appendEvent(tx, Event{Type: d.Event, Actor: actor, Subject: id, Org: u.Org, IdP: u.IdP,
			Rule: d.Rule, Reason: d.Reason, Changes: d.Changes, User: &u}); err != nil {
			return err
		}
		out = u
		return nil
	})
	return out, err
}

// ClearTombstone lets a SCIM-deleted key sign in again (R6).
func (s *Service) ClearTombstone(ctx context.Context, actor string, id Identity) error {
	return s.update(ctx, func(tx Tx) error {
		ts, err := tx.Tombstone(id)
		if err != nil {
			return err
		}
		if err := tx.DeleteTombstone(id); err != nil {
			return err
		}
		d := DecideTombstoneClear()
		_, err = s.appendEvent(tx, Event{Type: d.Event, Actor: actor, Subject: id.UniqueUserID, Org: ts.Org, IdP: id.IdP,
			Rule: d.Rule, Reason: d.Reason})
		return err
	})
}

// User returns any user, unscoped: for administrators and sessions.
func (s *Service) User(ctx context.Context, id string) (User, error) {
	var u User
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		u, err = tx.User(id)
		return err
	})
	return u, err
}

// --- sessions -------------------------------------------------------------------------------

const sessionNS = "session"

type sessionRecord struct {
	UserID  string    `json:"userId"`
	IdP     string    `json:"idp"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

// CreateSession starts a sign-in session for a user and returns its secret, the cookie value.
// Only the secret's hash is stored, so a copy of the store cannot sign anybody in. A user has
// at most MaxSessionsPerUser live sessions; the oldest ends to make room (limits.go).
func (s *Service) CreateSession(ctx context.Context, userID, idp string, ttl time.Duration) (string, error) {
	secret := newSecret(sessionPrefix)
	now := s.Now()
	err := s.store.Update(ctx, func(tx Tx) error { return putSession(tx, secret, userID, idp, now, ttl) })
	return secret, err
}

// putSession stores the session of secret, begun at now, in tx.
func putSession(tx Tx, secret, userID, idp string, now time.Time, ttl time.Duration) error {
	rec, _ := json.Marshal(sessionRecord{UserID: userID, IdP: idp, Created: now, Expires: now.Add(ttl)})
	key := base64.RawURLEncoding.EncodeToString(HashSecret(secret))
	if err := tx.PutKV(sessionNS, key, rec, now.Add(ttl)); err != nil {
		return err
	}
	return trackSession(tx, userID, key, now, now.Add(ttl))
}

// SessionUser returns the user of a live session. A session ends when it expires, when it is
// logged out, when its user is deleted or deactivated, or when the user's sessions were ended
// after it began (R6); all of these read as ErrUnauthenticated.
func (s *Service) SessionUser(ctx context.Context, secret string) (User, error) {
	if secret == "" {
		return User{}, ErrUnauthenticated
	}
	raw, u, err := s.store.ReadKVUser(ctx, sessionNS, base64.RawURLEncoding.EncodeToString(HashSecret(secret)), s.Now(), "userId")
	if errors.Is(err, ErrNotFound) {
		return User{}, ErrUnauthenticated
	} else if err != nil {
		return User{}, err
	}
	var rec sessionRecord
	if err := json.Unmarshal(raw, &rec); err != nil || u.ID == "" || u.ID != rec.UserID ||
		!u.Active || !rec.Created.After(u.SessionsValidAfter) {
		return User{}, ErrUnauthenticated
	}
	return u, nil
}

// EndSession logs a session out.
func (s *Service) EndSession(ctx context.Context, secret string) error {
	if secret == "" {
		return nil
	}
	now := s.Now()
	key := base64.RawURLEncoding.EncodeToString(HashSecret(secret))
	return s.store.Update(ctx, func(tx Tx) error {
		raw, err := tx.KV(sessionNS, key, now)
		if errors.Is(err, ErrNotFound) {
			return tx.DeleteKV(sessionNS, key) // an expired record, if there is one
		} else if err != nil {
			return err
		}
		var rec sessionRecord
		if json.Unmarshal(raw, &rec) == nil {
			if err := untrackSession(tx, rec.UserID, key, now); err != nil {
				return err
			}
		}
		return tx.DeleteKV(sessionNS, key)
	})
}

// PurgeExpired deletes expired sessions, login state and replay-cache entries.
func (s *Service) PurgeExpired(ctx context.Context) (int, error) {
	total := 0
	for {
		var n int
		var more bool
		err := s.store.Update(ctx, func(tx Tx) error {
			var err error
			n, more, err = tx.PurgeKV(s.Now(), 1000)
			return err
		})
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}
