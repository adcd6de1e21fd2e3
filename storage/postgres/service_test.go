package postgres_test

import (
	"context"
	"errors"
	"sync"
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
