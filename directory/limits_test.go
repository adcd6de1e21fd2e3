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

// TestSessionsOnNoList: sessions an older Roster began are on no user's list (it kept sessions
// by their secret's hash alone). UserSessions lists them all the same — it puts them on their
// users' lists first, once (ListUnlistedSessions) — and a logout, an expiry or a sign-out
// everywhere ends them as it ends the others. On both stores.
func TestSessionsOnNoList(t *testing.T) {
	onEachStore(t, func(t *testing.T, fresh func(...Option) *env) { sessionsOnNoList(t, fresh()) })
}

func sessionsOnNoList(t *testing.T, e *env) {
	e.createIdP("okta", ModeJIT)
	ada := e.mustLogin(adaLogin("okta"))
	bob := e.mustLogin(Login{IdP: "okta", UniqueUserID: "00u2", FirstName: "Bob", LastName: "B", Email: "bob@example.com", EmailVerified: true})
	listed := e.mustSession(ada.ID, "okta", time.Hour)
	e.clock.Advance(time.Second)
	// As a Roster from before the lists left them: the session alone.
	type record struct {
		UserID  string    `json:"userId"`
		IdP     string    `json:"idp"`
		Created time.Time `json:"created"`
		Expires time.Time `json:"expires"`
	}
	keyOf := func(secret string) string { return base64.RawURLEncoding.EncodeToString(HashSecret(secret)) }
	old := func(secret, user string, created time.Time, ttl time.Duration) {
		t.Helper()
		raw, _ := json.Marshal(record{user, "okta", created, created.Add(ttl)})
		if err := e.store.Update(e.ctx, func(tx Tx) error { return tx.PutKV("session", keyOf(secret), raw, created.Add(ttl)) }); err != nil {
			t.Fatal(err)
		}
	}
	now := e.clock.Now()
	old("rs_old-ada-1", ada.ID, now.Add(-3*time.Minute), time.Hour)
	old("rs_old-ada-2", ada.ID, now.Add(-2*time.Minute), 2*time.Minute+time.Second) // expires first
	old("rs_old-bob", bob.ID, now.Add(-time.Minute), time.Hour)
	old("rs_old-gone", "no-such-user", now.Add(-time.Minute), time.Hour)
	if u, err := e.svc.SessionUser(e.ctx, "rs_old-ada-1"); err != nil || u.ID != ada.ID {
		t.Fatalf("an old session signs in: %v %v", u.ID, err)
	}

	if n, err := e.svc.ListUnlistedSessions(e.ctx); err != nil || n != 4 {
		t.Fatalf("ListUnlistedSessions: %d %v, want the 4 sessions on no list", n, err)
	}
	if n, err := e.svc.ListUnlistedSessions(e.ctx); err != nil || n != 0 {
		t.Fatalf("ListUnlistedSessions again: %d %v, want nothing to do", n, err)
	}
	sessionsOf := func(u User) []string {
		t.Helper()
		ss, err := e.svc.UserSessions(e.ctx, u.ID)
		if err != nil {
			t.Fatalf("UserSessions(%s): %v", u.UserName, err)
		}
		var ids []string
		for _, s := range ss {
			if s.UserID != u.ID || s.IdP != "okta" {
				t.Errorf("session %+v of %s", s, u.UserName)
			}
			ids = append(ids, s.ID)
		}
		return ids
	}
	short := func(secret string) string { return base64.RawURLEncoding.EncodeToString(HashSecret(secret)[:8]) }
	if got, want := strings.Join(sessionsOf(ada), " "), strings.Join([]string{short(listed), short("rs_old-ada-2"), short("rs_old-ada-1")}, " "); got != want {
		t.Errorf("ada's sessions %s, want %s (newest first)", got, want)
	}
	if got := sessionsOf(bob); len(got) != 1 || got[0] != short("rs_old-bob") {
		t.Errorf("bob's sessions %v, want his old one", got)
	}

	// They end as the others do: by logout, by expiry, by a sign-out everywhere.
	if err := e.svc.EndSession(e.ctx, "rs_old-ada-1"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Second)
	if got := sessionsOf(ada); len(got) != 1 || got[0] != short(listed) {
		t.Errorf("ada's sessions after a logout and an expiry: %v, want only %s", got, short(listed))
	}
	if _, n, err := e.svc.SignOutEverywhere(e.ctx, "admin:test", bob.ID); err != nil || n != 1 {
		t.Fatalf("SignOutEverywhere(bob): %d %v, want 1 session ended", n, err)
	}
	if got := sessionsOf(bob); len(got) != 0 {
		t.Errorf("bob's sessions after signing out everywhere: %v", got)
	}
	// A session that was on no list counts toward the cap like any other: the next sign-ins
	// end it first, as the oldest.
	e.clock.Advance(time.Second)
	old("rs_old-bob-2", bob.ID, e.clock.Now(), time.Hour)
	if err := e.store.Update(e.ctx, func(tx Tx) error { return tx.DeleteKV("session.lists", "complete") }); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Second)
	for range MaxSessionsPerUser {
		e.mustSession(bob.ID, "okta", time.Hour)
	}
	if _, err := e.svc.SessionUser(e.ctx, "rs_old-bob-2"); err != nil {
		t.Errorf("the old session, while still on no list: %v, want live", err)
	}
	if got := sessionsOf(bob); len(got) != MaxSessionsPerUser+1 {
		t.Errorf("bob has %d sessions listed, want %d", len(got), MaxSessionsPerUser+1)
	}
	e.mustSession(bob.ID, "okta", time.Hour)
	if _, err := e.svc.SessionUser(e.ctx, "rs_old-bob-2"); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("the old session after a sign-in past the cap: %v, want ended", err)
	}
}
