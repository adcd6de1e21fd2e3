package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
)

// R7 through the real Service on two replicas: SCIM creates and JIT logins for one person race
// on two Stores (two pools) over one database. Every login gets the same user, every SCIM
// create either creates or adopts that user or is a 409, and the log stays gap-free.
func TestServiceOnTwoReplicasKeepsOnePersonOneUser(t *testing.T) {
	connURL := freshSchema(t)
	ctx := context.Background()
	a, b := directory.New(openAt(t, connURL)), directory.New(openAt(t, connURL))
	if _, err := a.CreateIdP(ctx, "admin:test", directory.IdP{ID: "okta", Protocol: directory.ProtocolSAML, Mode: directory.ModeBoth}); err != nil {
		t.Fatal(err)
	}
	tok, _, err := a.CreateToken(ctx, "admin:test", directory.TokenSCIM, "okta", "prod", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	actor := directory.SCIMActor{IdP: "okta", TokenID: tok.ID}
	replicas := []*directory.Service{a, b}

	const logins, creates = 12, 6
	var wg sync.WaitGroup
	loginIDs := make([]string, logins)
	loginErrs := make([]error, logins)
	createIDs := make([]string, creates)
	createErrs := make([]error, creates)
	for i := range logins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, err := replicas[i%2].Login(ctx, directory.Login{IdP: "okta", UniqueUserID: "00u1", Email: "ada@example.com", FirstName: "Ada"})
			loginIDs[i], loginErrs[i] = u.ID, err
		}()
	}
	for i := range creates {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, err := replicas[i%2].SCIMCreateUser(ctx, actor, directory.User{UserName: "ada@example.com", ExternalID: "00u1", Active: true,
				Name: directory.Name{GivenName: "Ada", FamilyName: "Lovelace"}})
			createIDs[i], createErrs[i] = u.ID, err
		}()
	}
	wg.Wait()

	var user directory.User
	err = a.View(ctx, func(tx directory.ReadTx) error {
		if n, err := tx.CountUsers("", ""); err != nil || n != 1 {
			t.Errorf("%d users, %v; want 1", n, err)
		}
		var err error
		user, err = tx.UserByIdentity(directory.Identity{IdP: "okta", UniqueUserID: "00u1"})
		if err != nil {
			return err
		}
		evs, err := tx.Events(0, 1000)
		if err != nil {
			return err
		}
		for i, e := range evs {
			if e.Seq != uint64(i+1) {
				t.Errorf("event %d has seq %d", i, e.Seq)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range logins {
		if loginErrs[i] != nil || loginIDs[i] != user.ID {
			t.Errorf("login %d: user %q, %v; want %s", i, loginIDs[i], loginErrs[i], user.ID)
		}
	}
	succeeded := 0
	for i := range creates {
		switch {
		case createErrs[i] == nil && createIDs[i] == user.ID:
			succeeded++
		case errors.Is(createErrs[i], directory.ErrConflict):
		default:
			t.Errorf("SCIM create %d: user %q, %v; want %s or a conflict", i, createIDs[i], createErrs[i], user.ID)
		}
	}
	if succeeded == 0 || user.Owner != directory.OwnerSCIM {
		t.Errorf("%d SCIM creates succeeded and the user is owned by %q; want at least one, and scim", succeeded, user.Owner)
	}
}

// Deleting an IdP while SCIM creates its users on two replicas leaves no user without its IdP:
// the delete, which counts the IdP's users and refuses while it has any, runs alone among
// writers, so no create can slip in between its count and its delete — which snapshot
// isolation alone would let happen, neither transaction writing what the other reads.
func TestDeletingAnIdPWhileReplicasCreateItsUsersLeavesNoOrphan(t *testing.T) {
	connURL := freshSchema(t)
	ctx := context.Background()
	a, b := directory.New(openAt(t, connURL)), directory.New(openAt(t, connURL))
	replicas := []*directory.Service{a, b}
	for trial := range 12 {
		idp := fmt.Sprint("idp", trial)
		if _, err := a.CreateIdP(ctx, "admin:test", directory.IdP{ID: idp, Protocol: directory.ProtocolSAML, Mode: directory.ModeSCIM}); err != nil {
			t.Fatal(err)
		}
		tok, _, err := a.CreateToken(ctx, "admin:test", directory.TokenSCIM, idp, "t", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		actor := directory.SCIMActor{IdP: idp, TokenID: tok.ID}
		start := make(chan struct{})
		var wg sync.WaitGroup
		var created atomic.Int32
		for i := range 8 {
			wg.Go(func() {
				<-start
				name := fmt.Sprintf("u%d-%d@example.com", trial, i)
				if _, err := replicas[i%2].SCIMCreateUser(ctx, actor, directory.User{UserName: name, ExternalID: name, Active: true}); err == nil {
					created.Add(1)
				}
			})
		}
		var deleteErr error
		wg.Go(func() {
			<-start
			time.Sleep(time.Duration(trial%4) * time.Millisecond)
			deleteErr = replicas[trial%2].DeleteIdP(ctx, "admin:test", idp, false)
		})
		close(start)
		wg.Wait()
		err = a.View(ctx, func(tx directory.ReadTx) error {
			n, err := tx.CountUsers("", idp)
			if err != nil {
				return err
			}
			_, ierr := tx.IdP(idp)
			switch {
			case errors.Is(ierr, directory.ErrNotFound) && n > 0:
				t.Errorf("trial %d: IdP %s was deleted (%v) yet %d of its users exist", trial, idp, deleteErr, n)
			case ierr != nil && !errors.Is(ierr, directory.ErrNotFound):
				return ierr
			case ierr == nil && deleteErr == nil:
				t.Errorf("trial %d: the delete succeeded but IdP %s is still there", trial, idp)
			case errors.Is(ierr, directory.ErrNotFound) && created.Load() > 0:
				t.Errorf("trial %d: %d creates succeeded for an IdP that is gone, and its users with it", trial, created.Load())
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// A Service wakes whoever waits on it (long polls, webhook workers) for another replica's
// events, not only for its own writes: Changed closes after a write on the other replica.
func TestServiceWakesForAnotherReplicasEvents(t *testing.T) {
	connURL := freshSchema(t)
	ctx := context.Background()
	a, b := directory.New(openAt(t, connURL)), directory.New(openAt(t, connURL))
	changed := b.Changed() // the first call starts listening
	// Until the listener is up, its first notice (on connecting) closes the channel; wait for
	// it, so that what follows is woken by replica A's event alone.
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("replica B never started listening")
	}
	changed = b.Changed()
	if _, err := a.CreateIdP(ctx, "admin:test", directory.IdP{ID: "okta", Protocol: directory.ProtocolSAML}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("replica B's waiters were not woken by replica A's event")
	}
	evs, err := b.Events(ctx, 0, 10, 0)
	if err != nil || len(evs) != 1 || evs[0].Type != directory.EventIdPCreated {
		t.Errorf("replica B reads %+v, %v; want the IdP's creation", evs, err)
	}
}

// A replica keeps the IdPs and organizations its writers read, but never decides on what
// another replica has changed since: after replica B switches an IdP to mode jit, replica A,
// which just created a user through it, refuses the next SCIM create (R2) — and the create
// after B switches it back goes through.
func TestReplicasDecideOnEachOthersSettings(t *testing.T) {
	connURL := freshSchema(t)
	ctx := context.Background()
	a, b := directory.New(openAt(t, connURL)), directory.New(openAt(t, connURL))
	if _, err := a.CreateIdP(ctx, "admin:test", directory.IdP{ID: "okta", Protocol: directory.ProtocolSAML, Mode: directory.ModeBoth}); err != nil {
		t.Fatal(err)
	}
	tok, _, err := a.CreateToken(ctx, "admin:test", directory.TokenSCIM, "okta", "t", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	actor := directory.SCIMActor{IdP: "okta", TokenID: tok.ID}
	create := func(i int) error {
		name := fmt.Sprintf("u%d@example.com", i)
		_, err := a.SCIMCreateUser(ctx, actor, directory.User{UserName: name, ExternalID: name, Active: true})
		return err
	}
	setMode := func(m directory.Mode) {
		t.Helper()
		if _, err := b.UpdateIdP(ctx, "admin:test", "okta", func(p directory.IdP) (directory.IdP, error) { p.Mode = m; return p, nil }); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 6 {
		if err := create(10*i + 1); err != nil {
			t.Fatalf("round %d: create in mode both: %v", i, err)
		}
		setMode(directory.ModeJIT)
		if r, ok := directory.AsRefusal(create(10*i + 2)); !ok || r.Rule != directory.RuleR2 {
			t.Errorf("round %d: create on replica A after replica B set mode jit: %v, want a refusal by R2", i, r)
		}
		setMode(directory.ModeBoth)
	}
}
