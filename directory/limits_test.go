package directory_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	. "github.com/rosterhq/roster/directory"
)

// TestSCIMTokenCap (issue 17, W6): an IdP has at most MaxSCIMTokens live SCIM tokens; a
// revoked or expired one makes room, and other IdPs and admin tokens are not counted.
// Before, tokens were unlimited.
func TestSCIMTokenCap(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeBoth)
	e.createIdP("entra", ModeBoth)
	// Token ids are the first 16 characters of a resource id, which the env's sequential ids
	// share; this Service makes random ones, as in production.
	e.svc = New(e.store, WithClock(e.clock.Now))
	var first Token
	for i := range MaxSCIMTokens {
		tok, _, err := e.svc.CreateToken(e.ctx, "admin:test", TokenSCIM, "okta", "t", time.Time{})
		if err != nil {
			t.Fatalf("token %d: %v", i+1, err)
		}
		if i == 0 {
			first = tok
		}
	}
	_, _, err := e.svc.CreateToken(e.ctx, "admin:test", TokenSCIM, "okta", "one too many", time.Time{})
	var conflict *ConflictError
	if !errors.As(err, &conflict) || !strings.Contains(err.Error(), "revoke") {
		t.Fatalf("token %d: %v, want a conflict saying to revoke one", MaxSCIMTokens+1, err)
	}
	if _, _, err := e.svc.CreateToken(e.ctx, "admin:test", TokenSCIM, "entra", "other IdP", time.Time{}); err != nil {
		t.Errorf("another IdP's token: %v", err)
	}
	if _, _, err := e.svc.CreateToken(e.ctx, "admin:test", TokenAdmin, "", "admin", time.Time{}); err != nil {
		t.Errorf("an admin token: %v", err)
	}
	if _, err := e.svc.RevokeToken(e.ctx, "admin:test", first.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.CreateToken(e.ctx, "admin:test", TokenSCIM, "okta", "after a revocation", time.Time{}); err != nil {
		t.Errorf("a token after one was revoked: %v", err)
	}
}

// TestSessionCap (issue 17, W6): a user has at most MaxSessionsPerUser live sessions; a new
// one ends the oldest, other users' sessions are untouched, and logged-out sessions make room
// without ending a live one. Before, sessions per user were unlimited.
func TestSessionCap(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeJIT)
	u := e.mustLogin(adaLogin("okta"))
	other := e.mustLogin(Login{IdP: "okta", UniqueUserID: "00u-other", Email: "other@example.com"})
	otherSession := e.mustSession(other.ID, "okta", time.Hour)
	var secrets []string
	for range MaxSessionsPerUser {
		secrets = append(secrets, e.mustSession(u.ID, "okta", time.Hour))
		e.clock.Advance(time.Second)
	}
	live := func() int {
		n := 0
		for _, s := range secrets {
			if _, err := e.svc.SessionUser(e.ctx, s); err == nil {
				n++
			}
		}
		return n
	}
	if n := live(); n != MaxSessionsPerUser {
		t.Fatalf("%d live sessions of %d, want all", n, MaxSessionsPerUser)
	}
	secrets = append(secrets, e.mustSession(u.ID, "okta", time.Hour))
	if _, err := e.svc.SessionUser(e.ctx, secrets[0]); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("the oldest session after one too many: %v, want it ended", err)
	}
	if n := live(); n != MaxSessionsPerUser {
		t.Errorf("%d live sessions, want %d", n, MaxSessionsPerUser)
	}
	if _, err := e.svc.SessionUser(e.ctx, otherSession); err != nil {
		t.Errorf("another user's session: %v", err)
	}
	// A logged-out session makes room: the next sign-in ends no live one.
	if err := e.svc.EndSession(e.ctx, secrets[len(secrets)-1]); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Second)
	secrets = append(secrets, e.mustSession(u.ID, "okta", time.Hour))
	if _, err := e.svc.SessionUser(e.ctx, secrets[1]); err != nil {
		t.Errorf("the oldest live session after a logout made room: %v, want it live", err)
	}
}

// TestSessionCapReadsListsFromBefore: a user's list of sessions written before logouts took
// their session off it (a JSON array) may name sessions that were logged out; the first
// sign-in after reads it against the sessions, so a logged-out one still makes room and no
// live session ends early, and later sign-ins keep the cap.
func TestSessionCapReadsListsFromBefore(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeJIT)
	u := e.mustLogin(adaLogin("okta"))
	var secrets []string
	for range MaxSessionsPerUser {
		secrets = append(secrets, e.mustSession(u.ID, "okta", time.Hour))
		e.clock.Advance(time.Second)
	}
	// As an earlier Roster left it: every session listed, in its JSON, although the newest was
	// logged out (which then left the list alone).
	type listed struct {
		Key     string    `json:"key"`
		Created time.Time `json:"created"`
		Expires time.Time `json:"expires"`
	}
	var old []listed
	for i, s := range secrets {
		sum := sha256.Sum256([]byte(s))
		created := time.Date(2026, 11, 29, 8, 0, i, 0, time.UTC)
		old = append(old, listed{base64.RawURLEncoding.EncodeToString(sum[:]), created, created.Add(time.Hour)})
	}
	raw, _ := json.Marshal(old)
	if err := e.svc.EndSession(e.ctx, secrets[len(secrets)-1]); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Update(e.ctx, func(tx Tx) error {
		return tx.PutKV("session.user", u.ID, raw, e.clock.Now().Add(time.Hour))
	}); err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, e.mustSession(u.ID, "okta", time.Hour))
	if _, err := e.svc.SessionUser(e.ctx, secrets[0]); err != nil {
		t.Errorf("the oldest session, after a sign-in that the logged-out one made room for: %v, want it live", err)
	}
	e.clock.Advance(time.Second)
	secrets = append(secrets, e.mustSession(u.ID, "okta", time.Hour))
	if _, err := e.svc.SessionUser(e.ctx, secrets[0]); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("the oldest session after one too many: %v, want it ended", err)
	}
	if _, err := e.svc.SessionUser(e.ctx, secrets[1]); err != nil {
		t.Errorf("the second oldest session: %v, want it live", err)
	}
}
