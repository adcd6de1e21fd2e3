package directory_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	. "github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/teststore"
	"github.com/rosterhq/roster/storage/bolt"
)

// service_test.go drives Service over a real bbolt store in a temporary file, with an injected
// clock and id generator. It checks what the rule tables cannot: that the decisions are carried
// out inside one transaction, with the event that explains them.

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type env struct {
	t     *testing.T
	ctx   context.Context
	store Store
	svc   *Service
	clock *testClock
}

func newEnv(t *testing.T, opts ...Option) *env {
	t.Helper()
	store, err := bolt.Open(filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return newEnvOn(t, store, opts...)
}

// onEachStore runs test on a bbolt file and on PostgreSQL; fresh opens an env on a new store
// of the kind.
func onEachStore(t *testing.T, test func(t *testing.T, fresh func(opts ...Option) *env)) {
	t.Run("store=bolt", func(t *testing.T) {
		test(t, func(opts ...Option) *env { return newEnv(t, opts...) })
	})
	t.Run("store=postgres", func(t *testing.T) {
		test(t, func(opts ...Option) *env {
			return newEnvOn(t, teststore.Postgres(t, teststore.PostgresURL(t)), opts...)
		})
	})
}

// newEnvOn is newEnv on a store the caller opened.
func newEnvOn(t *testing.T, store Store, opts ...Option) *env {
	t.Helper()
	var n atomic.Uint64
	// The count leads as well as ends each id, so that token ids (an id's first 16 hex
	// digits) differ too.
	ids := func() string { i := n.Add(1); return fmt.Sprintf("%08d-0000-4000-8000-%012d", i, i) }
	clock := &testClock{now: time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)}
	return &env{t: t, ctx: t.Context(), store: store, svc: New(store, append([]Option{WithClock(clock.Now), WithIDs(ids)}, opts...)...), clock: clock}
}

func (e *env) createIdP(id string, mode Mode, opts ...func(*IdP)) IdP {
	e.t.Helper()
	p := IdP{ID: id, Protocol: ProtocolSAML, Mode: mode}
	for _, o := range opts {
		o(&p)
	}
	p, err := e.svc.CreateIdP(e.ctx, "admin:test", p)
	if err != nil {
		e.t.Fatalf("CreateIdP(%s): %v", id, err)
	}
	return p
}

func (e *env) setMode(id string, mode Mode) {
	e.t.Helper()
	if _, err := e.svc.UpdateIdP(e.ctx, "admin:test", id, func(p IdP) (IdP, error) { p.Mode = mode; return p, nil }); err != nil {
		e.t.Fatalf("UpdateIdP(%s → %s): %v", id, mode, err)
	}
}

func (e *env) lastSeq() uint64 {
	e.t.Helper()
	var seq uint64
	if err := e.svc.View(e.ctx, func(tx ReadTx) error {
		var err error
		seq, err = tx.LastSeq()
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return seq
}

func (e *env) eventsAfter(seq uint64) []Event {
	e.t.Helper()
	var evs []Event
	if err := e.svc.View(e.ctx, func(tx ReadTx) error {
		var err error
		evs, err = tx.Events(seq, 100000)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return evs
}

func (e *env) mustLogin(in Login) User {
	e.t.Helper()
	u, err := e.svc.Login(e.ctx, in)
	if err != nil {
		e.t.Fatalf("Login(%s/%s): %v", in.IdP, in.UniqueUserID, err)
	}
	return u
}

func (e *env) mustSCIMCreate(a SCIMActor, in User) User {
	e.t.Helper()
	u, err := e.svc.SCIMCreateUser(e.ctx, a, in)
	if err != nil {
		e.t.Fatalf("SCIMCreateUser(%s): %v", in.UserName, err)
	}
	return u
}

func (e *env) usersOf(idp string) []User {
	e.t.Helper()
	var us []User
	if err := e.svc.View(e.ctx, func(tx ReadTx) error {
		return tx.ScanUsers(ScanQuery{IdP: idp}, func(u User) error { us = append(us, u); return nil })
	}); err != nil {
		e.t.Fatal(err)
	}
	return us
}

func (e *env) userByIdentity(idp, key string) (User, error) {
	var u User
	err := e.svc.View(e.ctx, func(tx ReadTx) error {
		var err error
		u, err = tx.UserByIdentity(Identity{IdP: idp, UniqueUserID: key})
		return err
	})
	return u, err
}

// groupNames lists "idp/displayName (owner)" of the groups the user is a member of, sorted.
func (e *env) groupNames(userID string) []string {
	e.t.Helper()
	var out []string
	if err := e.svc.View(e.ctx, func(tx ReadTx) error {
		ids, err := tx.GroupsOfUser(userID)
		if err != nil {
			return err
		}
		for _, id := range ids {
			g, err := tx.Group(id)
			if err != nil {
				return err
			}
			out = append(out, fmt.Sprintf("%s/%s (%s)", g.IdP, g.DisplayName, g.Owner))
		}
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// putUser stores a user directly, standing in for an administrator-created user: Service has
// no operation that creates one.
func (e *env) putUser(u User) {
	e.t.Helper()
	if err := e.store.Update(e.ctx, func(tx Tx) error { return tx.PutUser(u) }); err != nil {
		e.t.Fatal(err)
	}
}

func adaLogin(idp string) Login {
	return Login{IdP: idp, UniqueUserID: "00u1", FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com", EmailVerified: true}
}

func scimAda() User {
	return User{UserName: "ada@example.com", ExternalID: "00u1", Active: true, Title: "Countess",
		Name:        Name{GivenName: "Augusta Ada", FamilyName: "King", Formatted: "Augusta Ada King"},
		DisplayName: "Augusta Ada King", Emails: []MultiValue{{Value: "ada@example.com", Type: "work", Primary: true}}}
}

func refusalOf(t *testing.T, err error) *Refusal {
	t.Helper()
	r, ok := AsRefusal(err)
	if !ok {
		t.Fatalf("want a *Refusal, got %v", err)
	}
	return r
}

// --- R5 --------------------------------------------------------------------------------------

func TestServiceR5SCIMCreateAdoptsJITUser(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeBoth)
	jit := e.mustLogin(adaLogin("okta"))

	// Filters that look before they create find the JIT-created user by either attribute.
	if err := e.svc.View(e.ctx, func(tx ReadTx) error {
		byExt, err := tx.UsersByExternalID("okta", "00u1")
		if err != nil {
			return err
		}
		if len(byExt) != 1 || byExt[0].ID != jit.ID {
			t.Errorf("R5: externalId eq \"00u1\" finds %d users, want the JIT-created user %s", len(byExt), jit.ID)
		}
		byName, err := tx.UserByUserName(DefaultOrg, "ADA@example.com")
		if err != nil || byName.ID != jit.ID {
			t.Errorf("R5: userName eq finds %v, %v; want the JIT-created user", byName.ID, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	e.clock.Advance(time.Hour)
	seq := e.lastSeq()
	in := scimAda()
	in.UserName = "ada.king@example.com"
	got := e.mustSCIMCreate(SCIMActor{IdP: "okta", TokenID: "t1"}, in)

	if got.ID != jit.ID {
		t.Errorf("R5: adoption changed the id from %s to %s", jit.ID, got.ID)
	}
	if got.Owner != OwnerSCIM || got.UserName != "ada.king@example.com" || got.Title != "Countess" || got.DisplayName != "Augusta Ada King" {
		t.Errorf("R5: adopted user is %+v; want owner scim and SCIM's attributes", got)
	}
	if got.IdP != "okta" || got.UniqueUserID != "00u1" || !got.LastLoginAt.Equal(jit.LastLoginAt) || !got.Meta.Created.Equal(jit.Meta.Created) {
		t.Errorf("R5: adoption lost identity, lastLoginAt or created time: %+v", got)
	}
	if got.Meta.Version <= jit.Meta.Version || !got.Meta.LastModified.Equal(e.clock.Now()) {
		t.Errorf("R5: version %d → %d, lastModified %v; want a new version now", jit.Meta.Version, got.Meta.Version, got.Meta.LastModified)
	}
	stored, err := e.svc.User(e.ctx, jit.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, stored); diff != "" {
		t.Errorf("returned and stored user differ (-returned +stored):\n%s", diff)
	}
	if n := len(e.usersOf("okta")); n != 1 {
		t.Errorf("R5/R7: %d users after adoption, want 1", n)
	}
	evs := e.eventsAfter(seq)
	if len(evs) != 1 || evs[0].Type != EventUserAdopted || evs[0].Rule != "R5" || evs[0].Subject != jit.ID || !slices.Contains(evs[0].Changes, "owner") {
		t.Errorf("R5/R12: events %+v; want one user.adopted R5 naming the owner change", evs)
	}
}

// --- R4 --------------------------------------------------------------------------------------

func TestServiceR4LoginOfSCIMOwnedUserKeepsSCIMAttributesAndETag(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeBoth)
	created := e.mustSCIMCreate(SCIMActor{IdP: "okta", TokenID: "t1"}, scimAda())
	e.clock.Advance(time.Minute)
	in := adaLogin("okta")
	in.FirstName, in.Email = "Ada", "ada@lovelace.example"
	got := e.mustLogin(in)
	want := created
	want.LastLoginAt = e.clock.Now()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("R4: login changed more than lastLoginAt (-want +got):\n%s", diff)
	}

	// The administrator marks email login-authoritative: now the login may change it.
	if _, err := e.svc.UpdateIdP(e.ctx, "admin:test", "okta", func(p IdP) (IdP, error) {
		p.LoginAuthoritative = []string{"email"}
		return p, nil
	}); err != nil {
		t.Fatal(err)
	}
	got = e.mustLogin(in)
	if got.PrimaryEmail() != "ada@lovelace.example" || got.Name != created.Name || got.Meta.Version != created.Meta.Version+1 {
		t.Errorf("R4: with email login-authoritative got email %q, name %+v, version %d", got.PrimaryEmail(), got.Name, got.Meta.Version)
	}
}

// --- R6 --------------------------------------------------------------------------------------

func TestServiceR6SCIMDeactivationEndsSessions(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeBoth)
	a := SCIMActor{IdP: "okta", TokenID: "t1"}
	u := e.mustSCIMCreate(a, scimAda())
	e.mustLogin(adaLogin("okta"))
	sess, err := e.svc.CreateSession(e.ctx, u.ID, "okta", 8*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.svc.SessionUser(e.ctx, sess); err != nil || got.ID != u.ID {
		t.Fatalf("fresh session: %v, %v", got.ID, err)
	}

	// Same instant as the session's start: the session still ends.
	seq := e.lastSeq()
	if _, err := e.svc.SCIMUpdateUser(e.ctx, a, u.ID, 0, func(u User) (User, error) { u.Active = false; return u, nil }); err != nil {
		t.Fatal(err)
	}
	if evs := e.eventsAfter(seq); len(evs) != 1 || evs[0].Type != EventUserDeactivated || evs[0].Rule != "R6" {
		t.Errorf("R6/R12: events %+v; want one user.deactivated R6", evs)
	}
	if _, err := e.svc.SessionUser(e.ctx, sess); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("R6: session of a SCIM-deactivated user: %v, want ErrUnauthenticated", err)
	}
	_, err = e.svc.Login(e.ctx, adaLogin("okta"))
	if r := refusalOf(t, err); r.Rule != "R6" || r.Code != RefuseDeactivated {
		t.Errorf("R6: login of a SCIM-deactivated user refused with %s/%s", r.Rule, r.Code)
	}
	if got := e.mustUser(u.ID); got.Active {
		t.Error("R6: a login reactivated the user")
	}

	// SCIM reactivates: the old session stays ended, a new one works.
	e.clock.Advance(time.Minute)
	if _, err := e.svc.SCIMUpdateUser(e.ctx, a, u.ID, 0, func(u User) (User, error) { u.Active = true; return u, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SessionUser(e.ctx, sess); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("R6: a session ended by deactivation came back after reactivation: %v", err)
	}
	e.mustLogin(adaLogin("okta"))
	sess2 := e.mustSession(u.ID, "okta", time.Hour)
	if _, err := e.svc.SessionUser(e.ctx, sess2); err != nil {
		t.Errorf("session after reactivation: %v", err)
	}
	// And sessions expire by the clock.
	e.clock.Advance(time.Hour)
	if _, err := e.svc.SessionUser(e.ctx, sess2); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("expired session: %v, want ErrUnauthenticated", err)
	}
}

func TestServiceR6AdminDeactivationEndsSessions(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeJIT)
	u := e.mustLogin(adaLogin("okta"))
	sess := e.mustSession(u.ID, "okta", time.Hour)
	if _, err := e.svc.DeactivateUser(e.ctx, "admin:test", u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SessionUser(e.ctx, sess); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("R6: session after admin deactivation: %v", err)
	}
	_, err := e.svc.Login(e.ctx, adaLogin("okta"))
	if r := refusalOf(t, err); r.Rule != "R2" || r.Code != RefuseDeactivated {
		t.Errorf("R2: login of a deactivated user refused with %s/%s", r.Rule, r.Code)
	}
}

func TestServiceR6DeleteTombstones(t *testing.T) {
	for _, mode := range []Mode{ModeSCIM, ModeBoth} {
		t.Run(string(mode), func(t *testing.T) {
			e := newEnv(t)
			e.createIdP("okta", mode)
			a := SCIMActor{IdP: "okta", TokenID: "t1"}
			u := e.mustSCIMCreate(a, scimAda())
			e.mustLogin(adaLogin("okta"))
			sess := e.mustSession(u.ID, "okta", time.Hour)

			if err := e.svc.SCIMDeleteUser(e.ctx, a, u.ID, 0); err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.SessionUser(e.ctx, sess); !errors.Is(err, ErrUnauthenticated) {
				t.Errorf("R6: session of a SCIM-deleted user: %v", err)
			}
			seq := e.lastSeq()
			_, err := e.svc.Login(e.ctx, adaLogin("okta"))
			r := refusalOf(t, err)
			if r.Rule != "R6" || r.Code != RefuseTombstoned {
				t.Errorf("R6: login of a deleted key refused with %s/%s, want R6/%s", r.Rule, r.Code, RefuseTombstoned)
			}
			if evs := e.eventsAfter(seq); len(evs) != 1 || evs[0].ID != r.EventID || evs[0].Type != EventLoginRefused || evs[0].Rule != "R6" {
				t.Errorf("R12: refusal %q recorded as %+v", r.EventID, evs)
			}
			if n := len(e.usersOf("okta")); n != 0 {
				t.Errorf("R6: a refused login left %d users", n)
			}

			// The administrator clears the tombstone: mode both lets the login create the
			// user again; mode scim still wants SCIM to provision it first.
			if err := e.svc.ClearTombstone(e.ctx, "admin:test", Identity{IdP: "okta", UniqueUserID: "00u1"}); err != nil {
				t.Fatal(err)
			}
			_, err = e.svc.Login(e.ctx, adaLogin("okta"))
			if mode == ModeBoth {
				if err != nil {
					t.Errorf("R6/both: login after the tombstone was cleared: %v", err)
				}
			} else if r := refusalOf(t, err); r.Rule != "R3" || r.Code != RefuseNotProvisioned {
				t.Errorf("R3/scim: login after the tombstone was cleared: %s/%s, want R3 not provisioned", r.Rule, r.Code)
			}
			if err := e.svc.ClearTombstone(e.ctx, "admin:test", Identity{IdP: "okta", UniqueUserID: "00u1"}); !errors.Is(err, ErrNotFound) {
				t.Errorf("clearing a cleared tombstone: %v, want ErrNotFound", err)
			}
		})
	}
}

func TestServiceR6SCIMCreateAgainClearsTombstone(t *testing.T) {
	for _, mode := range []Mode{ModeSCIM, ModeBoth} {
		t.Run(string(mode), func(t *testing.T) {
			e := newEnv(t)
			e.createIdP("okta", mode)
			a := SCIMActor{IdP: "okta", TokenID: "t1"}
			u := e.mustSCIMCreate(a, scimAda())
			if err := e.svc.SCIMDeleteUser(e.ctx, a, u.ID, 0); err != nil {
				t.Fatal(err)
			}
			seq := e.lastSeq()
			again := e.mustSCIMCreate(a, scimAda())
			if again.ID == u.ID {
				t.Errorf("a re-created user reuses the deleted id %s", u.ID)
			}
			if evs := e.eventsAfter(seq); len(evs) != 1 || evs[0].Type != EventUserCreated || evs[0].Rule != "R6" {
				t.Errorf("R6/R12: events %+v; want one user.created R6", evs)
			}
			if _, err := e.svc.Login(e.ctx, adaLogin("okta")); err != nil {
				t.Errorf("R6: login after SCIM created the key again: %v", err)
			}
		})
	}
}

func TestServiceR6TombstoneNotEnforcedInModeJIT(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeBoth)
	a := SCIMActor{IdP: "okta", TokenID: "t1"}
	u := e.mustSCIMCreate(a, scimAda())
	if err := e.svc.SCIMDeleteUser(e.ctx, a, u.ID, 0); err != nil {
		t.Fatal(err)
	}
	e.setMode("okta", ModeJIT)
	got := e.mustLogin(adaLogin("okta"))
	if got.Owner != OwnerJIT || got.ID == u.ID {
		t.Errorf("R2: login in mode jit with a tombstone: %+v; want a new JIT-owned user", got)
	}
}

// --- R7 --------------------------------------------------------------------------------------

// TestServiceR7LoginAndSCIMCreateRace and its lined-up twin are in race_test.go.

func TestServiceR7ConcurrentFirstLogins(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeJIT)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := e.svc.Login(e.ctx, adaLogin("okta")); err != nil {
				t.Errorf("login: %v", err)
			}
		})
	}
	wg.Wait()
	if n := len(e.usersOf("okta")); n != 1 {
		t.Errorf("R7: %d users after concurrent first logins, want 1", n)
	}
}

// --- R8 --------------------------------------------------------------------------------------

func TestServiceR8UserNameCollisions(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeBoth)
	a := SCIMActor{IdP: "okta", TokenID: "t1"}

	t.Run("SCIM create whose userName belongs to a JIT user of another key is a 409", func(t *testing.T) {
		jit := e.mustLogin(Login{IdP: "okta", UniqueUserID: "00u2", Email: "grace@example.com"})
		seq := e.lastSeq()
		in := scimAda()
		in.UserName = "GRACE@example.com"
		_, err := e.svc.SCIMCreateUser(e.ctx, a, in)
		var ce *ConflictError
		if !errors.As(err, &ce) || ce.Field != "userName" {
			t.Fatalf("R8: SCIM create with a taken userName: %v, want a userName *ConflictError", err)
		}
		if evs := e.eventsAfter(seq); len(evs) != 1 || evs[0].Type != EventSCIMRefused || evs[0].Rule != "R8" {
			t.Errorf("R12: events %+v; want one scim.refused R8", evs)
		}
		if _, err := e.userByIdentity("okta", "00u1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("R8: the refused create left a user: %v", err)
		}
		if got := e.mustUser(jit.ID); got.Owner != OwnerJIT || got.UniqueUserID != "00u2" {
			t.Errorf("R8: the holder of the userName changed: %+v", got)
		}
	})

	t.Run("login whose userName belongs to a SCIM user of another key is refused and takes nothing over", func(t *testing.T) {
		owner := e.mustSCIMCreate(a, User{UserName: "alan@example.com", ExternalID: "00u3", Active: true})
		seq := e.lastSeq()
		_, err := e.svc.Login(e.ctx, Login{IdP: "okta", UniqueUserID: "00u4", Email: "Alan@Example.com", FirstName: "Mallory"})
		r := refusalOf(t, err)
		if r.Rule != "R8" || r.Code != RefuseUserNameTaken || r.EventID == "" {
			t.Errorf("R8: refusal %+v", r)
		}
		evs := e.eventsAfter(seq)
		if len(evs) != 1 || evs[0].Type != EventLoginRefused || evs[0].Rule != "R8" || evs[0].ID != r.EventID {
			t.Errorf("R12: events %+v; want one login.refused R8 with the refusal's id", evs)
		}
		got := e.mustUser(owner.ID)
		if diff := cmp.Diff(owner, got); diff != "" {
			t.Errorf("R8: the refused login changed the account (-before +after):\n%s", diff)
		}
		if _, err := e.userByIdentity("okta", "00u4"); !errors.Is(err, ErrNotFound) {
			t.Errorf("R8: the refused login created a user: %v", err)
		}
	})
}

// --- R9 --------------------------------------------------------------------------------------

func adminUser(id, userName, email string, mods ...func(*User)) User {
	u := User{ID: id, UserName: userName, Active: true, Owner: OwnerAdmin,
		Emails: []MultiValue{{Value: email, Type: "work", Primary: true}},
		Meta:   Meta{Created: earlier, LastModified: earlier, Version: 1}}
	for _, m := range mods {
		m(&u)
	}
	return u
}

func TestServiceR9Linking(t *testing.T) {
	t.Run("link policy none never links by email", func(t *testing.T) {
		e := newEnv(t)
		e.createIdP("okta", ModeJIT)
		e.putUser(adminUser("u-admin", "ada@example.com", "ada@example.com"))
		_, err := e.svc.Login(e.ctx, adaLogin("okta"))
		if r := refusalOf(t, err); r.Rule != "R8" {
			t.Errorf("refused by %s, want R8", r.Rule)
		}
		if got := e.mustUser("u-admin"); got.IdP != "" {
			t.Errorf("R9: the admin user was linked with link policy none: %+v", got)
		}
	})

	t.Run("verified-email links the one admin user with that email, keeping its id", func(t *testing.T) {
		e := newEnv(t)
		e.createIdP("okta", ModeBoth, verifiedEmailLinking)
		e.putUser(adminUser("u-admin", "ada", "ADA@example.com"))
		seq := e.lastSeq()
		got := e.mustLogin(adaLogin("okta"))
		if got.ID != "u-admin" || got.IdP != "okta" || got.UniqueUserID != "00u1" || got.Name.GivenName != "Ada" {
			t.Errorf("R9: linked user %+v", got)
		}
		if evs := e.eventsAfter(seq); len(evs) != 1 || evs[0].Type != EventUserLinked || evs[0].Rule != "R9" {
			t.Errorf("R12: events %+v; want one user.linked R9", evs)
		}
		if u, err := e.userByIdentity("okta", "00u1"); err != nil || u.ID != "u-admin" {
			t.Errorf("R9: identity now points to %v (%v), want u-admin", u.ID, err)
		}
		// The next login is an ordinary update of the linked user.
		if again := e.mustLogin(adaLogin("okta")); again.ID != "u-admin" {
			t.Errorf("second login went to %s", again.ID)
		}
		if n := len(e.usersOf("")); n != 1 {
			t.Errorf("R7: %d users after linking, want 1", n)
		}
	})

	t.Run("verified-email, unverified email does not link", func(t *testing.T) {
		e := newEnv(t)
		e.createIdP("okta", ModeJIT, verifiedEmailLinking)
		e.putUser(adminUser("u-admin", "ada@example.com", "ada@example.com"))
		in := adaLogin("okta")
		in.EmailVerified = false
		_, err := e.svc.Login(e.ctx, in)
		if r := refusalOf(t, err); r.Rule != "R8" {
			t.Errorf("unverified email: refused by %s, want R8", r.Rule)
		}
		if got := e.mustUser("u-admin"); got.IdP != "" {
			t.Errorf("R9: linked although the email was not verified: %+v", got)
		}
	})

	t.Run("verified-email, a user with another IdP's identity is never taken over", func(t *testing.T) {
		e := newEnv(t)
		e.createIdP("okta", ModeJIT, verifiedEmailLinking)
		e.createIdP("entra", ModeJIT)
		entra := e.mustLogin(Login{IdP: "entra", UniqueUserID: "oid-1", Email: "ada@example.com"})
		_, err := e.svc.Login(e.ctx, adaLogin("okta"))
		if r := refusalOf(t, err); r.Rule != "R8" {
			t.Errorf("refused by %s, want R8", r.Rule)
		}
		if got := e.mustUser(entra.ID); got.IdP != "entra" || got.UniqueUserID != "oid-1" {
			t.Errorf("R9: entra's user was relinked: %+v", got)
		}
	})

	t.Run("verified-email, a deactivated admin user is not linked and the login is refused", func(t *testing.T) {
		e := newEnv(t)
		e.createIdP("okta", ModeJIT, verifiedEmailLinking)
		e.putUser(adminUser("u-admin", "ada@example.com", "ada@example.com", inactive))
		_, err := e.svc.Login(e.ctx, adaLogin("okta"))
		if r := refusalOf(t, err); r.Code != RefuseDeactivated {
			t.Errorf("refused with %s/%s, want deactivated", r.Rule, r.Code)
		}
		if got := e.mustUser("u-admin"); got.IdP != "" || got.Active {
			t.Errorf("R9: deactivated user was linked or reactivated: %+v", got)
		}
	})

	t.Run("verified-email, two candidates link neither", func(t *testing.T) {
		e := newEnv(t)
		e.createIdP("okta", ModeJIT, verifiedEmailLinking)
		e.putUser(adminUser("u-a1", "ada1", "ada@example.com"))
		e.putUser(adminUser("u-a2", "ada2", "ada@example.com"))
		got := e.mustLogin(adaLogin("okta"))
		if got.ID == "u-a1" || got.ID == "u-a2" || got.Owner != OwnerJIT {
			t.Errorf("R9: with two candidates the login linked or guessed: %+v", got)
		}
	})
}

// --- R10 -------------------------------------------------------------------------------------

func TestServiceR10Isolation(t *testing.T) {
	e := newEnv(t)
	e.createIdP("idpa", ModeBoth)
	e.createIdP("idpb", ModeBoth)
	a := SCIMActor{IdP: "idpa", TokenID: "ta"}
	b := SCIMActor{IdP: "idpb", TokenID: "tb"}
	ua := e.mustSCIMCreate(a, scimAda())
	ub := e.mustSCIMCreate(b, User{UserName: "bob@example.com", ExternalID: "b1", Active: true})
	ga, err := e.svc.SCIMCreateGroup(e.ctx, a, Group{DisplayName: "eng", Members: []string{ua.ID}})
	if err != nil {
		t.Fatal(err)
	}
	gb, err := e.svc.SCIMCreateGroup(e.ctx, b, Group{DisplayName: "eng", Members: []string{ub.ID}})
	if err != nil {
		t.Fatalf("a group of the same name in another IdP: %v", err)
	}
	jitA := e.mustLogin(Login{IdP: "idpa", UniqueUserID: "a9", Email: "jit@example.com"})

	notFound := func(name string, err error) {
		t.Helper()
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("R10: %s: %v, want ErrNotFound", name, err)
		}
	}
	_, err = e.svc.SCIMUser(e.ctx, b, ua.ID)
	notFound("B reads A's user", err)
	_, err = e.svc.SCIMUser(e.ctx, b, jitA.ID)
	notFound("B reads A's JIT user", err)
	_, err = e.svc.SCIMUpdateUser(e.ctx, b, ua.ID, 0, func(u User) (User, error) { u.Active = false; return u, nil })
	notFound("B updates A's user", err)
	notFound("B deletes A's user", e.svc.SCIMDeleteUser(e.ctx, b, ua.ID, 0))
	_, err = e.svc.SCIMGroup(e.ctx, b, ga.ID)
	notFound("B reads A's group", err)
	_, err = e.svc.SCIMUpdateGroup(e.ctx, b, ga.ID, 0, func(g Group) (Group, error) { g.Members = nil; return g, nil })
	notFound("B updates A's group", err)
	notFound("B deletes A's group", e.svc.SCIMDeleteGroup(e.ctx, b, ga.ID, 0))

	if _, err := e.svc.SCIMCreateGroup(e.ctx, b, Group{DisplayName: "spies", Members: []string{ua.ID}}); err == nil {
		t.Error("R10: B created a group with A's user as a member")
	}
	if _, err := e.svc.SCIMUpdateGroup(e.ctx, b, gb.ID, 0, func(g Group) (Group, error) {
		g.Members = append(g.Members, ua.ID)
		return g, nil
	}); err == nil {
		t.Error("R10: B added A's user to its group")
	}

	// Nothing of A changed, and A's user is in no group of B.
	if got, err := e.svc.SCIMUser(e.ctx, a, ua.ID); err != nil || !got.Active || got.Meta.Version != ua.Meta.Version {
		t.Errorf("A's user after B's attempts: %+v, %v", got, err)
	}
	if got, err := e.svc.SCIMGroup(e.ctx, a, ga.ID); err != nil || !slices.Equal(got.Members, []string{ua.ID}) {
		t.Errorf("A's group after B's attempts: %+v, %v", got, err)
	}
	if diff := cmp.Diff([]string{"idpa/eng (scim)"}, e.groupNames(ua.ID)); diff != "" {
		t.Errorf("A's user's groups (-want +got):\n%s", diff)
	}
}

// --- R11 -------------------------------------------------------------------------------------

func TestServiceR11ModeChangesKeepUsers(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeJIT)
	ada := e.mustLogin(adaLogin("okta"))
	grace := e.mustLogin(Login{IdP: "okta", UniqueUserID: "00u2", Email: "grace@example.com"})
	snapshot := func() []string {
		var out []string
		for _, u := range e.usersOf("okta") {
			out = append(out, u.ID+"/"+string(u.Owner))
		}
		return out
	}

	change := func(to Mode, wantReason ...string) {
		t.Helper()
		before := snapshot()
		seq := e.lastSeq()
		e.setMode("okta", to)
		if diff := cmp.Diff(before, snapshot()); diff != "" {
			t.Errorf("R11: mode change to %s changed the users (-before +after):\n%s", to, diff)
		}
		evs := e.eventsAfter(seq)
		if len(evs) != 1 || evs[0].Type != EventIdPModeChanged || evs[0].Rule != "R11" {
			t.Fatalf("R11/R12: events %+v; want one idp.mode_changed R11", evs)
		}
		for _, w := range wantReason {
			if !strings.Contains(evs[0].Reason, w) {
				t.Errorf("R11: reason %q does not say %q", evs[0].Reason, w)
			}
		}
	}

	change(ModeBoth, "2 JIT-created users are kept")
	// SCIM adopts Ada, Grace stays JIT-owned.
	in := scimAda()
	e.mustSCIMCreate(SCIMActor{IdP: "okta", TokenID: "t1"}, in)
	change(ModeSCIM, "all users are kept")
	// In mode scim a JIT user's login changes only lastLoginAt.
	renamed := Login{IdP: "okta", UniqueUserID: "00u2", Email: "grace@example.com", FirstName: "Grace"}
	if got := e.mustLogin(renamed); got.Name.GivenName != "" || got.ID != grace.ID {
		t.Errorf("R3: login in mode scim changed the JIT user's name: %+v", got)
	}
	change(ModeJIT, "1 SCIM-owned users are kept")
	// Back in mode jit the SCIM-owned user is updated by logins (R11).
	seq := e.lastSeq()
	l := adaLogin("okta")
	l.FirstName = "Augusta"
	if got := e.mustLogin(l); got.ID != ada.ID || got.Name.GivenName != "Augusta" || got.Owner != OwnerSCIM {
		t.Errorf("R11: login in mode jit of a SCIM-owned user: %+v", got)
	}
	if evs := e.eventsAfter(seq); len(evs) != 1 || evs[0].Rule != "R11" || evs[0].Type != EventUserLogin {
		t.Errorf("R11/R12: events %+v; want one user.login R11", evs)
	}

	// A change that is not a mode change is a plain idp.updated.
	seq = e.lastSeq()
	if _, err := e.svc.UpdateIdP(e.ctx, "admin:test", "okta", func(p IdP) (IdP, error) { p.Name = "Okta EU"; return p, nil }); err != nil {
		t.Fatal(err)
	}
	if evs := e.eventsAfter(seq); len(evs) != 1 || evs[0].Type != EventIdPUpdated || evs[0].Rule != "" {
		t.Errorf("events %+v; want one idp.updated", evs)
	}
	// An invalid update changes nothing.
	if _, err := e.svc.UpdateIdP(e.ctx, "admin:test", "okta", func(p IdP) (IdP, error) { p.Mode = "push"; return p, nil }); !errors.Is(err, ErrInvalid) {
		t.Errorf("UpdateIdP to an unknown mode: %v, want ErrInvalid", err)
	}
	if p := e.mustIdP("okta"); p.Mode != ModeJIT {
		t.Errorf("mode after a refused update: %s", p.Mode)
	}
}

// --- R12 -------------------------------------------------------------------------------------

// TestServiceR12EveryOperationIsOneEvent runs a story of operations, each of which must write
// exactly one outcome event naming its rule. Group events a login writes for its memberships are
// changes of other resources and are not counted as the login's outcome.
func TestServiceR12EveryOperationIsOneEvent(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeBoth)
	e.createIdP("jitonly", ModeJIT)
	e.createIdP("scimonly", ModeSCIM)
	okta := SCIMActor{IdP: "okta", TokenID: "t-okta"}
	jitonly := SCIMActor{IdP: "jitonly", TokenID: "t-jit"}
	var adaID, groupID string

	steps := []struct {
		name     string
		op       func() error
		wantType string
		wantRule Rule
	}{
		{"first login creates", func() error {
			u, err := e.svc.Login(e.ctx, adaLogin("okta"))
			adaID = u.ID
			return err
		}, EventUserCreated, "R4"},
		{"second login updates", func() error { _, err := e.svc.Login(e.ctx, adaLogin("okta")); return err }, EventUserLogin, "R4"},
		{"login of an unknown key in mode scim is refused", func() error {
			_, err := e.svc.Login(e.ctx, adaLogin("scimonly"))
			return err
		}, EventLoginRefused, "R3"},
		{"login without identity is refused", func() error {
			_, err := e.svc.Login(e.ctx, Login{IdP: "okta", Email: "x@example.com"})
			return err
		}, EventLoginRefused, "R1"},
		{"SCIM create adopts", func() error { _, err := e.svc.SCIMCreateUser(e.ctx, okta, scimAda()); return err }, EventUserAdopted, "R5"},
		{"SCIM create of the same key conflicts", func() error { _, err := e.svc.SCIMCreateUser(e.ctx, okta, scimAda()); return err }, EventSCIMRefused, "R7"},
		{"SCIM create with a taken userName conflicts", func() error {
			in := scimAda()
			in.ExternalID = "00u9"
			_, err := e.svc.SCIMCreateUser(e.ctx, okta, in)
			return err
		}, EventSCIMRefused, "R8"},
		{"SCIM create without key is refused", func() error {
			in := scimAda()
			in.ExternalID, in.UserName = "", "nokey@example.com"
			_, err := e.svc.SCIMCreateUser(e.ctx, okta, in)
			return err
		}, EventSCIMRefused, "R1"},
		{"SCIM group create", func() error {
			g, err := e.svc.SCIMCreateGroup(e.ctx, okta, Group{DisplayName: "eng", Members: []string{adaID}})
			groupID = g.ID
			return err
		}, EventGroupCreated, ""},
		{"SCIM create in mode jit is refused", func() error { _, err := e.svc.SCIMCreateUser(e.ctx, jitonly, scimAda()); return err }, EventSCIMRefused, "R2"},
		{"SCIM update in mode jit is refused", func() error {
			_, err := e.svc.SCIMUpdateUser(e.ctx, jitonly, "any", 0, func(u User) (User, error) { return u, nil })
			return err
		}, EventSCIMRefused, "R2"},
		{"SCIM delete in mode jit is refused", func() error { return e.svc.SCIMDeleteUser(e.ctx, jitonly, "any", 0) }, EventSCIMRefused, "R2"},
		{"SCIM group create in mode jit is refused", func() error {
			_, err := e.svc.SCIMCreateGroup(e.ctx, jitonly, Group{DisplayName: "x"})
			return err
		}, EventSCIMRefused, "R2"},
		{"SCIM group update in mode jit is refused", func() error {
			_, err := e.svc.SCIMUpdateGroup(e.ctx, jitonly, "any", 0, func(g Group) (Group, error) { return g, nil })
			return err
		}, EventSCIMRefused, "R2"},
		{"SCIM group delete in mode jit is refused", func() error { return e.svc.SCIMDeleteGroup(e.ctx, jitonly, "any", 0) }, EventSCIMRefused, "R2"},
		{"SCIM deactivates", func() error {
			_, err := e.svc.SCIMUpdateUser(e.ctx, okta, adaID, 0, func(u User) (User, error) { u.Active = false; return u, nil })
			return err
		}, EventUserDeactivated, "R6"},
		{"login of the SCIM-deactivated user is refused", func() error { _, err := e.svc.Login(e.ctx, adaLogin("okta")); return err }, EventLoginRefused, "R6"},
		{"SCIM deletes", func() error { return e.svc.SCIMDeleteUser(e.ctx, okta, adaID, 0) }, EventUserDeleted, "R6"},
		{"login of the deleted key is refused", func() error { _, err := e.svc.Login(e.ctx, adaLogin("okta")); return err }, EventLoginRefused, "R6"},
		{"administrator clears the tombstone", func() error {
			return e.svc.ClearTombstone(e.ctx, "admin:test", Identity{IdP: "okta", UniqueUserID: "00u1"})
		}, EventTombstoneClear, "R6"},
		{"SCIM group delete", func() error { return e.svc.SCIMDeleteGroup(e.ctx, okta, groupID, 0) }, EventGroupDeleted, ""},
		{"mode change", func() error {
			_, err := e.svc.UpdateIdP(e.ctx, "admin:test", "okta", func(p IdP) (IdP, error) { p.Mode = ModeJIT; return p, nil })
			return err
		}, EventIdPModeChanged, "R11"},
		{"login after the mode change creates", func() error {
			u, err := e.svc.Login(e.ctx, adaLogin("okta"))
			adaID = u.ID
			return err
		}, EventUserCreated, "R2"},
		{"administrator deactivates", func() error { _, err := e.svc.DeactivateUser(e.ctx, "admin:test", adaID); return err }, EventUserDeactivated, "R6"},
		{"login of the deactivated JIT user is refused", func() error { _, err := e.svc.Login(e.ctx, adaLogin("okta")); return err }, EventLoginRefused, "R2"},
	}
	for _, s := range steps {
		seq := e.lastSeq()
		err := s.op()
		var outcome []Event
		for _, ev := range e.eventsAfter(seq) {
			if strings.HasPrefix(ev.Type, "group.") && s.wantType != ev.Type {
				continue
			}
			outcome = append(outcome, ev)
		}
		if len(outcome) != 1 {
			t.Errorf("%s: %d outcome events %+v, want exactly one (err %v)", s.name, len(outcome), outcome, err)
			continue
		}
		ev := outcome[0]
		if ev.Type != s.wantType || ev.Rule != s.wantRule {
			t.Errorf("%s: event %s rule %q, want %s rule %q (err %v)", s.name, ev.Type, ev.Rule, s.wantType, s.wantRule, err)
		}
		if ev.Reason == "" && s.wantRule != "" {
			t.Errorf("%s: event %s gives no reason", s.name, ev.Type)
		}
		if r, ok := AsRefusal(err); ok && r.EventID != ev.ID {
			t.Errorf("%s: refusal names event %q, but the event is %q", s.name, r.EventID, ev.ID)
		}
		if (err != nil) != strings.HasSuffix(s.wantType, ".refused") {
			t.Errorf("%s: err %v with event %s", s.name, err, ev.Type)
		}
	}
}

// --- tokens ----------------------------------------------------------------------------------

func TestServiceTokens(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeBoth)

	if _, _, err := e.svc.CreateToken(e.ctx, "admin:test", TokenSCIM, "nope", "x", time.Time{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("SCIM token for an unknown IdP: %v, want ErrNotFound", err)
	}
	tok, secret, err := e.svc.CreateToken(e.ctx, "admin:test", TokenSCIM, "okta", "connector", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, SCIMTokenPrefix) || string(tok.Hash) == secret || strings.Contains(fmt.Sprint(tok), secret) {
		t.Errorf("token %+v with secret %q: want the prefix and only the hash stored", tok, secret)
	}

	got, err := e.svc.Authenticate(e.ctx, TokenSCIM, secret)
	if err != nil || got.ID != tok.ID || got.IdP != "okta" {
		t.Fatalf("Authenticate(scim, secret) = %+v, %v", got, err)
	}
	unauth := func(name string, kind TokenKind, secret string) {
		t.Helper()
		if _, err := e.svc.Authenticate(e.ctx, kind, secret); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("%s: %v, want ErrUnauthenticated", name, err)
		}
	}
	unauth("a SCIM token used as an admin token", TokenAdmin, secret)
	unauth("empty secret", TokenSCIM, "")
	unauth("secret with its last character changed", TokenSCIM, secret[:len(secret)-1]+string(secret[len(secret)-1]^1))
	unauth("secret with a suffix", TokenSCIM, secret+"x")

	// Last use is recorded, at most once a minute.
	lastUsed := func() time.Time {
		ts, err := e.svc.Tokens(e.ctx, TokenSCIM, "okta")
		if err != nil || len(ts) != 1 {
			t.Fatalf("Tokens: %v, %v", ts, err)
		}
		return ts[0].LastUsedAt
	}
	first := e.clock.Now()
	if !lastUsed().Equal(first) {
		t.Errorf("lastUsedAt %v, want %v", lastUsed(), first)
	}
	e.clock.Advance(30 * time.Second)
	e.svc.Authenticate(e.ctx, TokenSCIM, secret)
	if !lastUsed().Equal(first) {
		t.Errorf("lastUsedAt written again within a minute: %v", lastUsed())
	}
	e.clock.Advance(time.Minute)
	e.svc.Authenticate(e.ctx, TokenSCIM, secret)
	if !lastUsed().Equal(e.clock.Now()) {
		t.Errorf("lastUsedAt %v after a minute, want %v", lastUsed(), e.clock.Now())
	}

	seq := e.lastSeq()
	if _, err := e.svc.RevokeToken(e.ctx, "admin:test", tok.ID); err != nil {
		t.Fatal(err)
	}
	unauth("revoked token", TokenSCIM, secret)
	if _, err := e.svc.RevokeToken(e.ctx, "admin:test", tok.ID); err != nil {
		t.Errorf("revoking twice: %v", err)
	}
	if evs := e.eventsAfter(seq); len(evs) != 1 || evs[0].Type != EventTokenRevoked {
		t.Errorf("events %+v; want one token.revoked", evs)
	}

	// Expiry by the clock.
	exp, expSecret, err := e.svc.CreateToken(e.ctx, "admin:test", TokenAdmin, "okta", "ci", e.clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if exp.IdP != "" {
		t.Errorf("an admin token belongs to IdP %q", exp.IdP)
	}
	e.clock.Advance(59 * time.Minute)
	if _, err := e.svc.Authenticate(e.ctx, TokenAdmin, expSecret); err != nil {
		t.Errorf("token before expiry: %v", err)
	}
	e.clock.Advance(time.Minute)
	unauth("token at its expiry", TokenAdmin, expSecret)
}

func TestServiceEnsureAdminToken(t *testing.T) {
	t.Run("empty store generates one token, once", func(t *testing.T) {
		e := newEnv(t)
		secret, created, err := e.svc.EnsureAdminToken(e.ctx, "")
		if err != nil || !created || !strings.HasPrefix(secret, AdminTokenPrefix) {
			t.Fatalf("EnsureAdminToken = %q, %v, %v", secret, created, err)
		}
		if _, err := e.svc.Authenticate(e.ctx, TokenAdmin, secret); err != nil {
			t.Errorf("bootstrap token does not authenticate: %v", err)
		}
		again, created, err := e.svc.EnsureAdminToken(e.ctx, "")
		if err != nil || created || again != "" {
			t.Errorf("second start = %q, %v, %v; want nothing new", again, created, err)
		}
		if ts := e.mustTokens(TokenAdmin, ""); len(ts) != 1 {
			t.Errorf("%d admin tokens, want 1", len(ts))
		}
	})

	t.Run("a given token becomes valid once and is not shown", func(t *testing.T) {
		e := newEnv(t)
		given := "correct-horse-battery-staple"
		for range 2 {
			secret, created, err := e.svc.EnsureAdminToken(e.ctx, given)
			if err != nil || created || secret != given {
				t.Fatalf("EnsureAdminToken(given) = %q, %v, %v", secret, created, err)
			}
		}
		if _, err := e.svc.Authenticate(e.ctx, TokenAdmin, given); err != nil {
			t.Errorf("given token does not authenticate: %v", err)
		}
		if ts := e.mustTokens(TokenAdmin, ""); len(ts) != 1 {
			t.Errorf("%d admin tokens after two starts with the same token, want 1", len(ts))
		}
	})

	t.Run("a short given token is refused", func(t *testing.T) {
		e := newEnv(t)
		if _, _, err := e.svc.EnsureAdminToken(e.ctx, "short"); !errors.Is(err, ErrInvalid) {
			t.Errorf("short token: %v, want ErrInvalid", err)
		}
		if ts := e.mustTokens(TokenAdmin, ""); len(ts) != 0 {
			t.Errorf("a refused token was stored: %+v", ts)
		}
	})

	t.Run("a given token that is a SCIM token's secret is refused, not reported valid", func(t *testing.T) {
		e := newEnv(t)
		e.createIdP("okta", ModeSCIM)
		_, scimSecret, err := e.svc.CreateToken(e.ctx, "admin:test", TokenSCIM, "okta", "connector", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		secret, _, err := e.svc.EnsureAdminToken(e.ctx, scimSecret)
		if err == nil {
			_, aerr := e.svc.Authenticate(e.ctx, TokenAdmin, secret)
			t.Errorf("EnsureAdminToken(SCIM secret) succeeded, but the admin token authenticates with %v", aerr)
		}
	})

	t.Run("a given token that was revoked is refused, not reported valid", func(t *testing.T) {
		e := newEnv(t)
		given := "correct-horse-battery-staple"
		if _, _, err := e.svc.EnsureAdminToken(e.ctx, given); err != nil {
			t.Fatal(err)
		}
		ts := e.mustTokens(TokenAdmin, "")
		if _, err := e.svc.RevokeToken(e.ctx, "admin:test", ts[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.EnsureAdminToken(e.ctx, given); err == nil {
			_, aerr := e.svc.Authenticate(e.ctx, TokenAdmin, given)
			t.Errorf("EnsureAdminToken(revoked) succeeded, but the token authenticates with %v", aerr)
		}
	})

	t.Run("a store whose admin tokens are all revoked or expired gets a new one", func(t *testing.T) {
		e := newEnv(t)
		first, _, err := e.svc.EnsureAdminToken(e.ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.CreateToken(e.ctx, "admin:test", TokenAdmin, "", "short-lived", e.clock.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		ts := e.mustTokens(TokenAdmin, "")
		for _, tok := range ts {
			if tok.ExpiresAt.IsZero() {
				e.svc.RevokeToken(e.ctx, "admin:test", tok.ID)
			}
		}
		e.clock.Advance(time.Hour)
		secret, created, err := e.svc.EnsureAdminToken(e.ctx, "")
		if err != nil || !created || secret == "" || secret == first {
			t.Fatalf("EnsureAdminToken with no usable admin token = %q, %v, %v; want a new token", secret, created, err)
		}
		if _, err := e.svc.Authenticate(e.ctx, TokenAdmin, secret); err != nil {
			t.Errorf("new bootstrap token: %v", err)
		}
	})
}

// --- events long-poll ------------------------------------------------------------------------

func TestServiceEventsLongPoll(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeJIT)
	after := e.lastSeq()

	t.Run("returns empty after the wait when nothing is written", func(t *testing.T) {
		evs, err := e.svc.Events(e.ctx, after, 10, 20*time.Millisecond)
		if err != nil || evs == nil || len(evs) != 0 {
			t.Errorf("Events = %+v, %v; want an empty list", evs, err)
		}
	})

	t.Run("a waiting reader gets the event another goroutine writes", func(t *testing.T) {
		got := make(chan []Event, 1)
		go func() {
			evs, err := e.svc.Events(e.ctx, after, 10, time.Minute)
			if err != nil {
				t.Errorf("Events: %v", err)
			}
			got <- evs
		}()
		u := e.mustLogin(adaLogin("okta"))
		evs := <-got
		if len(evs) == 0 || evs[0].Seq != after+1 || evs[0].Subject != u.ID {
			t.Errorf("Events = %+v; want the login's event with seq %d first", evs, after+1)
		}
	})

	t.Run("a cancelled wait returns the context's error", func(t *testing.T) {
		ctx, cancel := context.WithCancel(e.ctx)
		cancel()
		if _, err := e.svc.Events(ctx, e.lastSeq(), 10, time.Minute); !errors.Is(err, context.Canceled) {
			t.Errorf("Events after cancel: %v, want context.Canceled", err)
		}
	})

	t.Run("limit and order", func(t *testing.T) {
		e.mustLogin(Login{IdP: "okta", UniqueUserID: "00u2"})
		e.mustLogin(Login{IdP: "okta", UniqueUserID: "00u3"})
		evs, err := e.svc.Events(e.ctx, 0, 2, 0)
		if err != nil || len(evs) != 2 || evs[0].Seq != 1 || evs[1].Seq != 2 {
			t.Errorf("Events(0, limit 2) = %+v, %v", evs, err)
		}
		all, err := e.svc.Events(e.ctx, 0, 0, 0)
		if err != nil || uint64(len(all)) != e.lastSeq() {
			t.Errorf("Events(0, no limit) returned %d of %d events (err: %v)", len(all), e.lastSeq(), err)
		}
		for i, ev := range all {
			if ev.Seq != uint64(i+1) {
				t.Fatalf("event %d has seq %d: the log has a gap", i, ev.Seq)
			}
		}
	})
}

// --- IdPs ------------------------------------------------------------------------------------

func TestServiceCreateIdPValidates(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.CreateIdP(e.ctx, "admin:test", IdP{ID: "Bad Slug", Protocol: "cas", Mode: "push",
		SCIMMatch: "email", LinkPolicy: "any", LoginAuthoritative: []string{"title"}, DefaultGroups: []string{" "}})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("CreateIdP with bad settings: %v, want ErrInvalid", err)
	}
	for _, w := range []string{"id", "protocol", "mode", "scim_match", "link_policy", "login_authoritative", "default_groups"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("the error does not report the %s problem: %v", w, err)
		}
	}
	p := e.createIdP("okta", "")
	if p.Mode != ModeJIT || p.SCIMMatch != MatchExternalID || p.LinkPolicy != LinkNone {
		t.Errorf("defaults: %+v", p)
	}
	if _, err := e.svc.CreateIdP(e.ctx, "admin:test", IdP{ID: "okta", Protocol: ProtocolOIDC}); !errors.Is(err, ErrConflict) {
		t.Errorf("duplicate IdP id: %v, want ErrConflict", err)
	}
}

func TestServiceDeleteIdP(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeBoth, func(p *IdP) { p.DefaultGroups = []string{"everyone"} })
	e.createIdP("other", ModeJIT)
	a := SCIMActor{IdP: "okta", TokenID: "t1"}
	ada := e.mustLogin(adaLogin("okta"))
	grace := e.mustSCIMCreate(a, User{UserName: "grace@example.com", ExternalID: "00u2", Active: true})
	if err := e.svc.SCIMDeleteUser(e.ctx, a, grace.ID, 0); err != nil {
		t.Fatal(err)
	}
	_, secret, err := e.svc.CreateToken(e.ctx, "admin:test", TokenSCIM, "okta", "c", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	bystander := e.mustLogin(Login{IdP: "other", UniqueUserID: "x1"})

	seq := e.lastSeq()
	if err := e.svc.DeleteIdP(e.ctx, "admin:test", "okta", false); !errors.Is(err, ErrConflict) {
		t.Fatalf("DeleteIdP with users, no force: %v, want ErrConflict", err)
	}
	if _, err := e.svc.IdP(e.ctx, "okta"); err != nil {
		t.Errorf("refused delete removed the IdP: %v", err)
	}
	if _, err := e.svc.User(e.ctx, ada.ID); err != nil {
		t.Errorf("refused delete removed a user: %v", err)
	}
	if e.lastSeq() != seq {
		t.Errorf("refused delete wrote events: %+v", e.eventsAfter(seq))
	}

	if err := e.svc.DeleteIdP(e.ctx, "admin:test", "okta", true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.IdP(e.ctx, "okta"); !errors.Is(err, ErrNotFound) {
		t.Errorf("IdP after forced delete: %v", err)
	}
	if n := len(e.usersOf("okta")); n != 0 {
		t.Errorf("%d users left", n)
	}
	if _, err := e.svc.Authenticate(e.ctx, TokenSCIM, secret); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("SCIM token of a deleted IdP: %v", err)
	}
	if err := e.svc.View(e.ctx, func(tx ReadTx) error {
		if ts, err := tx.Tombstones("okta"); err != nil || len(ts) != 0 {
			t.Errorf("tombstones left: %+v (err: %v)", ts, err)
		}
		return tx.ScanGroups(ScanQuery{IdP: "okta"}, func(g Group) error {
			t.Errorf("group left: %+v", g)
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, ev := range e.eventsAfter(seq) {
		types = append(types, ev.Type)
	}
	if diff := cmp.Diff([]string{EventUserDeleted, EventGroupDeleted, EventIdPDeleted}, types); diff != "" {
		t.Errorf("events of the forced delete (-want +got):\n%s", diff)
	}
	if _, err := e.svc.User(e.ctx, bystander.ID); err != nil {
		t.Errorf("another IdP's user was deleted: %v", err)
	}
	if err := e.svc.DeleteIdP(e.ctx, "admin:test", "nope", true); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting an unknown IdP: %v", err)
	}
	empty := e.createIdP("empty", ModeJIT)
	if err := e.svc.DeleteIdP(e.ctx, "admin:test", empty.ID, false); err != nil {
		t.Errorf("deleting an IdP without users: %v", err)
	}
}

// --- groups from logins ----------------------------------------------------------------------

func TestServiceLoginGroupSync(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeBoth, func(p *IdP) { p.DefaultGroups = []string{"everyone"} })
	e.createIdP("other", ModeJIT)
	a := SCIMActor{IdP: "okta", TokenID: "t1"}

	login := func(groups ...string) User {
		t.Helper()
		in := adaLogin("okta")
		in.Groups, in.GroupsAsserted = groups, groups != nil
		return e.mustLogin(in)
	}
	want := func(step string, u User, names ...string) {
		t.Helper()
		if diff := cmp.Diff(names, e.groupNames(u.ID)); diff != "" {
			t.Errorf("%s: groups (-want +got):\n%s", step, diff)
		}
	}

	u := login() // groups not asserted
	want("first login gets the default groups", u, "okta/everyone (jit)")

	u = login("eng", "ENG", " ops ")
	want("asserted groups are added, once each, created as JIT-owned", u,
		"okta/eng (jit)", "okta/everyone (jit)", "okta/ops (jit)")

	u = login()
	want("a login that asserts no groups changes none", u,
		"okta/eng (jit)", "okta/everyone (jit)", "okta/ops (jit)")

	// Groups that SCIM, an administrator or another IdP manage.
	if _, err := e.svc.SCIMCreateGroup(e.ctx, a, Group{DisplayName: "sales", Members: []string{u.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SCIMCreateGroup(e.ctx, a, Group{DisplayName: "board"}); err != nil {
		t.Fatal(err)
	}
	other := e.mustLogin(Login{IdP: "other", UniqueUserID: "x1", Groups: []string{"eng"}, GroupsAsserted: true})
	if err := e.store.Update(e.ctx, func(tx Tx) error {
		return tx.PutGroup(Group{ID: "g-admin", DisplayName: "staff", Owner: OwnerAdmin, Members: []string{u.ID}})
	}); err != nil {
		t.Fatal(err)
	}

	u = login("ops", "board")
	want("asserted groups remove only this IdP's JIT-owned groups, keep the default group, and never join a SCIM group", u,
		"/staff (admin)", "okta/everyone (jit)", "okta/ops (jit)", "okta/sales (scim)")

	u = login([]string{}...)
	want("an asserted empty list leaves every JIT-owned group but the default ones", u,
		"/staff (admin)", "okta/everyone (jit)", "okta/sales (scim)")
	want("another IdP's group of the same name is untouched", other, "other/eng (jit)")

	// Default groups apply on create only: a later change of the list touches no one.
	if _, err := e.svc.UpdateIdP(e.ctx, "admin:test", "okta", func(p IdP) (IdP, error) {
		p.DefaultGroups = []string{"newcomers"}
		return p, nil
	}); err != nil {
		t.Fatal(err)
	}
	u = login()
	want("default groups are not applied to existing users", u,
		"/staff (admin)", "okta/everyone (jit)", "okta/sales (scim)")
	grace := e.mustLogin(Login{IdP: "okta", UniqueUserID: "00u2", Email: "grace@example.com"})
	want("a new user gets the current default groups", grace, "okta/newcomers (jit)")
}

func TestServiceLoginGroupsOfSCIMOwnedUserFollowLoginAuthoritative(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeBoth)
	u := e.mustSCIMCreate(SCIMActor{IdP: "okta", TokenID: "t1"}, scimAda())
	in := adaLogin("okta")
	in.Groups, in.GroupsAsserted = []string{"eng"}, true
	e.mustLogin(in)
	if got := e.groupNames(u.ID); len(got) != 0 {
		t.Errorf("R4: groups not login-authoritative, yet the login changed them: %v", got)
	}
	if _, err := e.svc.UpdateIdP(e.ctx, "admin:test", "okta", func(p IdP) (IdP, error) {
		p.LoginAuthoritative = []string{"groups"}
		return p, nil
	}); err != nil {
		t.Fatal(err)
	}
	e.mustLogin(in)
	if diff := cmp.Diff([]string{"okta/eng (jit)"}, e.groupNames(u.ID)); diff != "" {
		t.Errorf("R4: groups login-authoritative (-want +got):\n%s", diff)
	}
}

// --- SCIM updates ----------------------------------------------------------------------------

func TestServiceSCIMUpdateUser(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeBoth)
	a := SCIMActor{IdP: "okta", TokenID: "t1"}
	jit := e.mustLogin(adaLogin("okta"))

	// A PATCH of a JIT-created user adopts it (R5), keeping server-kept fields whatever fn says.
	seq := e.lastSeq()
	got, err := e.svc.SCIMUpdateUser(e.ctx, a, jit.ID, jit.Meta.Version, func(u User) (User, error) {
		u.Title = "Countess"
		u.ID, u.Owner, u.IdP, u.Meta = "evil", OwnerAdmin, "other", Meta{Version: 99}
		u.ExternalID = "00u1"
		return u, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != jit.ID || got.Owner != OwnerSCIM || got.IdP != "okta" || got.Meta.Version != jit.Meta.Version+1 || got.Title != "Countess" {
		t.Errorf("R5: SCIM update of a JIT user: %+v", got)
	}
	if evs := e.eventsAfter(seq); len(evs) != 1 || evs[0].Type != EventUserAdopted || evs[0].Rule != "R5" {
		t.Errorf("R5/R12: events %+v", evs)
	}

	// If-Match.
	if _, err := e.svc.SCIMUpdateUser(e.ctx, a, jit.ID, jit.Meta.Version, func(u User) (User, error) { u.Title = "x"; return u, nil }); !errors.Is(err, ErrPrecondition) {
		t.Errorf("stale If-Match: %v, want ErrPrecondition", err)
	}
	// R1: the matching attribute cannot be removed.
	if _, err := e.svc.SCIMUpdateUser(e.ctx, a, jit.ID, 0, func(u User) (User, error) { u.ExternalID = ""; return u, nil }); !errors.Is(err, ErrInvalid) {
		t.Errorf("removing externalId: %v, want ErrInvalid", err)
	}
	// A no-op write changes nothing and writes no event.
	seq = e.lastSeq()
	same, err := e.svc.SCIMUpdateUser(e.ctx, a, jit.ID, 0, func(u User) (User, error) { return u, nil })
	if err != nil || same.Meta.Version != got.Meta.Version || e.lastSeq() != seq {
		t.Errorf("no-op update: version %d → %d, %d events, %v", got.Meta.Version, same.Meta.Version, e.lastSeq()-seq, err)
	}
	// R8 on update: a userName held by another user.
	e.mustSCIMCreate(a, User{UserName: "grace@example.com", ExternalID: "00u2", Active: true})
	if _, err := e.svc.SCIMUpdateUser(e.ctx, a, jit.ID, 0, func(u User) (User, error) { u.UserName = "Grace@example.com"; return u, nil }); !errors.Is(err, ErrConflict) {
		t.Errorf("update to a taken userName: %v, want ErrConflict", err)
	}
}

// Okta and Entra ID find a JIT-created user by a filter, then PATCH only what changed, such as
// active=false. The PATCH carries no externalId; the user must keep its identity and be
// deactivated, not be refused for "removing" an externalId it never had.
func TestServiceR5PatchOfJITUserWithoutExternalID(t *testing.T) {
	for _, c := range []struct {
		name string
		user func(e *env) User
	}{
		{"user created by a login", func(e *env) User { return e.mustLogin(adaLogin("okta")) }},
		{"user created by a login before JIT users carried externalId", func(e *env) User {
			u := User{ID: "u-legacy", UserName: "ada@example.com", Active: true, IdP: "okta", UniqueUserID: "00u1", Owner: OwnerJIT}
			e.putUser(u)
			return u
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.createIdP("okta", ModeBoth)
			u := c.user(e)
			seq := e.lastSeq()
			got, err := e.svc.SCIMUpdateUser(e.ctx, SCIMActor{IdP: "okta", TokenID: "t1"}, u.ID, 0, func(u User) (User, error) {
				u.Active = false
				return u, nil
			})
			if err != nil {
				t.Fatalf("PATCH active=false of a JIT-created user: %v", err)
			}
			if got.Active || got.UniqueUserID != "00u1" || got.Owner != OwnerSCIM {
				t.Errorf("after PATCH: %+v; want inactive, identity 00u1, owner scim", got)
			}
			if byKey, err := e.userByIdentity("okta", "00u1"); err != nil || byKey.ID != u.ID {
				t.Errorf("identity 00u1 → %v, %v; want %s", byKey.ID, err, u.ID)
			}
			// The change feed must show the deprovisioning as such, not only as an adoption.
			evs := e.eventsAfter(seq)
			if len(evs) != 1 || evs[0].Type != EventUserDeactivated || evs[0].Rule != "R6" || !slices.Contains(evs[0].Changes, "owner") {
				t.Errorf("R6/R12: events %+v; want one user.deactivated R6 that also names the owner change", evs)
			}
		})
	}
}

func TestServiceR5AdoptionAsInactiveIsADeactivation(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeBoth)
	u := e.mustLogin(adaLogin("okta"))
	sess := e.mustSession(u.ID, "okta", time.Hour)
	seq := e.lastSeq()
	in := scimAda()
	in.Active = false
	got := e.mustSCIMCreate(SCIMActor{IdP: "okta", TokenID: "t1"}, in)
	if got.ID != u.ID || got.Active || got.Owner != OwnerSCIM {
		t.Errorf("adopted user %+v", got)
	}
	if _, err := e.svc.SessionUser(e.ctx, sess); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("R6: session after adoption as inactive: %v", err)
	}
	if evs := e.eventsAfter(seq); len(evs) != 1 || evs[0].Type != EventUserDeactivated || evs[0].Rule != "R6" {
		t.Errorf("R6/R12: events %+v; want one user.deactivated R6", evs)
	}
}

// replicaRace stands in for a second Roster replica on a shared database, which bbolt cannot
// have: on the first Update it lets the "other replica" commit first and then fails the
// caller's transaction with the *ConflictError a database reports for the unique index.
type replicaRace struct {
	Store
	once  sync.Once
	other func(tx Tx) error
}

func (r *replicaRace) Update(ctx context.Context, fn func(tx Tx) error) error {
	var raced bool
	r.once.Do(func() { raced = true })
	if raced {
		if err := r.Store.Update(ctx, r.other); err != nil {
			return err
		}
		return &ConflictError{Field: "identity", Value: "okta/00u1"}
	}
	return r.Store.Update(ctx, fn)
}

func TestServiceR7LoserOfAReplicaRaceRetriesAndFindsTheWinner(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeBoth)
	winner := User{ID: "u-winner", UserName: "ada@example.com", Active: true, IdP: "okta", UniqueUserID: "00u1",
		ExternalID: "00u1", Owner: OwnerSCIM, Meta: Meta{Version: 1}}
	race := &replicaRace{Store: e.store, other: func(tx Tx) error { return tx.PutUser(winner) }}
	svc := New(race, WithClock(e.clock.Now))

	got, err := svc.Login(e.ctx, adaLogin("okta"))
	if err != nil {
		t.Fatalf("R7: the login that lost the race: %v", err)
	}
	if got.ID != winner.ID {
		t.Errorf("R7: login returned %s, want the winner %s", got.ID, winner.ID)
	}
	if n := len(e.usersOf("okta")); n != 1 {
		t.Errorf("R7: %d users, want 1", n)
	}
}

func TestServiceEventSnapshotsCarryNoPasswordHash(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeSCIM)
	in := scimAda()
	in.PasswordHash = "$argon2id$secret"
	seq := e.lastSeq()
	u := e.mustSCIMCreate(SCIMActor{IdP: "okta", TokenID: "t1"}, in)
	if stored := e.mustUser(u.ID); stored.PasswordHash != in.PasswordHash {
		t.Errorf("stored password hash %q, want it kept", stored.PasswordHash)
	}
	evs := e.eventsAfter(seq)
	if len(evs) != 1 || evs[0].User == nil {
		t.Fatalf("events %+v", evs)
	}
	if evs[0].User.PasswordHash != "" {
		t.Errorf("the event's user snapshot carries the password hash %q", evs[0].User.PasswordHash)
	}
}

// --- R2 and SCIM groups ------------------------------------------------------------------------

func TestServiceR2ModeJITRefusesSCIM(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeJIT)
	_, secret, err := e.svc.CreateToken(e.ctx, "test", TokenSCIM, "okta", "t1", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	// The SCIM edge's way: the token and its IdP in one read, the mode checked on that IdP.
	a, idp, err := e.svc.AuthenticateSCIM(e.ctx, secret)
	if err != nil || a.IdP != "okta" || idp.ID != "okta" || idp.Mode != ModeJIT {
		t.Fatalf("AuthenticateSCIM: %+v, IdP %s in mode %s, %v", a, idp.ID, idp.Mode, err)
	}
	before := e.lastSeq()
	err = e.svc.CheckSCIMAccessOf(e.ctx, a, idp, "GET /Users")
	if r := refusalOf(t, err); r.Rule != "R2" || r.Code != RefuseModeJIT || r.EventID == "" {
		t.Errorf("CheckSCIMAccessOf in mode jit: %+v", r)
	}
	if evs := e.eventsAfter(before); len(evs) != 1 || evs[0].Type != EventSCIMRefused || evs[0].Rule != "R2" {
		t.Errorf("CheckSCIMAccessOf refusal recorded as %+v, want one scim.refused event by R2", evs)
	}
	if err := e.svc.CheckSCIMAccessOf(e.ctx, a, IdP{}, "GET /Users"); !errors.Is(err, ErrNotFound) {
		t.Errorf("CheckSCIMAccessOf with the IdP gone: %v, want ErrNotFound", err)
	}
	_, err = e.svc.SCIMCreateUser(e.ctx, a, scimAda())
	if r := refusalOf(t, err); r.Rule != "R2" || r.EventID == "" {
		t.Errorf("SCIM create in mode jit: %+v", r)
	}
	if n := len(e.usersOf("okta")); n != 0 {
		t.Errorf("R2: %d users created through a refused SCIM request", n)
	}
	e.setMode("okta", ModeBoth)
	if a, idp, err = e.svc.AuthenticateSCIM(e.ctx, secret); err != nil || idp.Mode != ModeBoth {
		t.Fatalf("AuthenticateSCIM after the switch: IdP in mode %s, %v", idp.Mode, err)
	}
	if err := e.svc.CheckSCIMAccessOf(e.ctx, a, idp, "GET /Users"); err != nil {
		t.Errorf("CheckSCIMAccessOf in mode both: %v", err)
	}
}

func TestServiceLoginUnknownIdP(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.Login(e.ctx, adaLogin("nope"))
	if r := refusalOf(t, err); r.Code != RefuseUnknownIdP {
		t.Errorf("login at an unknown IdP: %+v", r)
	}
}

func TestServiceSCIMGroups(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeSCIM)
	a := SCIMActor{IdP: "okta", TokenID: "t1"}
	ada := e.mustSCIMCreate(a, scimAda())
	grace := e.mustSCIMCreate(a, User{UserName: "grace@example.com", ExternalID: "00u2", Active: true})

	g, err := e.svc.SCIMCreateGroup(e.ctx, a, Group{DisplayName: "eng", Members: []string{ada.ID, ada.ID}, Owner: OwnerAdmin, IdP: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if g.IdP != "okta" || g.Owner != OwnerSCIM || !slices.Equal(g.Members, []string{ada.ID}) || g.Meta.Version != 1 {
		t.Errorf("created group %+v; want IdP okta, owner scim, duplicates dropped", g)
	}
	if _, err := e.svc.SCIMCreateGroup(e.ctx, a, Group{DisplayName: "ENG"}); !errors.Is(err, ErrConflict) {
		t.Errorf("duplicate displayName: %v, want ErrConflict", err)
	}
	if _, err := e.svc.SCIMCreateGroup(e.ctx, a, Group{DisplayName: " "}); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty displayName: %v, want ErrInvalid", err)
	}
	if _, err := e.svc.SCIMCreateGroup(e.ctx, a, Group{DisplayName: "ghosts", Members: []string{"no-such-user"}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown member: %v, want ErrInvalid", err)
	}

	seq := e.lastSeq()
	same, err := e.svc.SCIMUpdateGroup(e.ctx, a, g.ID, g.Meta.Version, func(g Group) (Group, error) { return g, nil })
	if err != nil || same.Meta.Version != g.Meta.Version || e.lastSeq() != seq {
		t.Errorf("no-op group update: %+v, %v, %d events", same, err, e.lastSeq()-seq)
	}
	upd, err := e.svc.SCIMUpdateGroup(e.ctx, a, g.ID, g.Meta.Version, func(g Group) (Group, error) {
		g.Members = []string{grace.ID}
		return g, nil
	})
	if err != nil || !slices.Equal(upd.Members, []string{grace.ID}) || upd.Meta.Version != g.Meta.Version+1 {
		t.Errorf("member update: %+v, %v", upd, err)
	}
	if evs := e.eventsAfter(seq); len(evs) != 1 || evs[0].Type != EventGroupUpdated || !slices.Equal(evs[0].Changes, []string{"members"}) {
		t.Errorf("events %+v; want one group.updated naming members", evs)
	}
	if _, err := e.svc.SCIMUpdateGroup(e.ctx, a, g.ID, g.Meta.Version, func(g Group) (Group, error) { return g, nil }); !errors.Is(err, ErrPrecondition) {
		t.Errorf("stale If-Match: %v", err)
	}
	if err := e.svc.SCIMDeleteGroup(e.ctx, a, g.ID, g.Meta.Version); !errors.Is(err, ErrPrecondition) {
		t.Errorf("delete with a stale If-Match: %v", err)
	}
	if err := e.svc.SCIMDeleteGroup(e.ctx, a, g.ID, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SCIMGroup(e.ctx, a, g.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted group: %v", err)
	}
	if got := e.groupNames(grace.ID); len(got) != 0 {
		t.Errorf("member of a deleted group: %v", got)
	}

	// Deleting a member removes it from its groups.
	g2, err := e.svc.SCIMCreateGroup(e.ctx, a, Group{DisplayName: "ops", Members: []string{ada.ID, grace.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SCIMDeleteUser(e.ctx, a, ada.ID, 0); err != nil {
		t.Fatal(err)
	}
	if got, err := e.svc.SCIMGroup(e.ctx, a, g2.ID); err != nil || !slices.Equal(got.Members, []string{grace.ID}) {
		t.Errorf("members after a member's deletion: %v (err: %v)", got.Members, err)
	}
}

// --- sessions ----------------------------------------------------------------------------------

func TestServiceSessions(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeJIT)
	u := e.mustLogin(adaLogin("okta"))
	s1, err := e.svc.CreateSession(e.ctx, u.ID, "okta", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s2 := e.mustSession(u.ID, "okta", 2*time.Hour)
	if s1 == s2 || !strings.HasPrefix(s1, "rst_sess_") {
		t.Errorf("session secrets %q, %q", s1, s2)
	}
	if _, err := e.svc.SessionUser(e.ctx, "rst_sess_forged"); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("forged session: %v", err)
	}
	if _, err := e.svc.SessionUser(e.ctx, ""); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("empty session: %v", err)
	}
	if err := e.svc.EndSession(e.ctx, s1); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SessionUser(e.ctx, s1); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("logged-out session: %v", err)
	}
	if got, err := e.svc.SessionUser(e.ctx, s2); err != nil || got.ID != u.ID {
		t.Errorf("logging one session out ended another: %v", err)
	}
	e.clock.Advance(3 * time.Hour)
	n, err := e.svc.PurgeExpired(e.ctx)
	if err != nil || n != 2 {
		t.Errorf("PurgeExpired = %d, %v; want the one expired session and the user's list of sessions (limits.go)", n, err)
	}
	if _, err := e.svc.SessionUser(e.ctx, s2); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("expired session: %v", err)
	}
}

func TestSCIMMatchCannotChangeUnderUsers(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := New(st)
	ctx := t.Context()
	if _, err := svc.CreateIdP(ctx, "admin:t", IdP{ID: "okta", Protocol: ProtocolSAML, Mode: ModeBoth}); err != nil {
		t.Fatal(err)
	}
	// With no users the matching attribute may still be chosen.
	if _, err := svc.UpdateIdP(ctx, "admin:t", "okta", func(p IdP) (IdP, error) { p.SCIMMatch = MatchUserName; return p, nil }); err != nil {
		t.Fatalf("changing scim_match on an empty IdP: %v", err)
	}
	if _, err := svc.Login(ctx, Login{IdP: "okta", UniqueUserID: "00u1", Email: "a@example.com"}); err != nil {
		t.Fatal(err)
	}
	_, err = svc.UpdateIdP(ctx, "admin:t", "okta", func(p IdP) (IdP, error) { p.SCIMMatch = MatchExternalID; return p, nil })
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("changing scim_match under a user: %v, want ErrInvalid", err)
	}
	if p, err := svc.IdP(ctx, "okta"); err != nil || p.SCIMMatch != MatchUserName {
		t.Errorf("scim_match changed to %s despite the refusal (err: %v)", p.SCIMMatch, err)
	}
}
