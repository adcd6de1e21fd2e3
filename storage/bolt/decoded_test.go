package bolt_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/storage/bolt"
)

// IdPs and organizations are read through a cache of decoded records: a read returns what is
// stored now — after an update, after a rolled-back update — and what a caller does to the
// value it got does not reach the next reader.
func TestDecodedRecordsFollowTheFile(t *testing.T) {
	s, err := bolt.Open(filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	put := func(p directory.IdP) {
		t.Helper()
		if err := s.Update(ctx, func(tx directory.Tx) error { return tx.PutIdP(p) }); err != nil {
			t.Fatal(err)
		}
	}
	read := func() (p directory.IdP, o directory.Organization) {
		t.Helper()
		if err := s.View(ctx, func(tx directory.ReadTx) error {
			var err error
			if p, err = tx.IdP("okta"); err != nil {
				return err
			}
			o, err = tx.Org(directory.DefaultOrg)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return p, o
	}
	put(directory.IdP{ID: "okta", Mode: directory.ModeJIT, DefaultGroups: []string{"eng"}})
	p, o := read()
	p.DefaultGroups[0] = "changed by a caller"
	o.Name = "changed by a caller"
	if p, o := read(); p.DefaultGroups[0] != "eng" || o.Name != "Default" {
		t.Errorf("a caller's change reached the next read: %v, %q", p.DefaultGroups, o.Name)
	}
	put(directory.IdP{ID: "okta", Mode: directory.ModeBoth, DefaultGroups: []string{"ops"}})
	if p, _ := read(); p.Mode != directory.ModeBoth || p.DefaultGroups[0] != "ops" {
		t.Errorf("after an update: %+v", p)
	}
	// A transaction that reads its own uncommitted change, then rolls back.
	_ = s.Update(ctx, func(tx directory.Tx) error {
		if err := tx.PutIdP(directory.IdP{ID: "okta", Mode: directory.ModeSCIM}); err != nil {
			return err
		}
		if p, err := tx.IdP("okta"); err != nil || p.Mode != directory.ModeSCIM {
			t.Errorf("inside the transaction: %+v, %v", p, err)
		}
		return context.Canceled
	})
	if p, _ := read(); p.Mode != directory.ModeBoth {
		t.Errorf("after a rolled-back update: mode %s, want both", p.Mode)
	}

	// A revoked token reads as revoked at once.
	tok := directory.Token{ID: "t1", Kind: directory.TokenSCIM, IdP: "okta", Hash: []byte("hash-1")}
	byHash := func() directory.Token {
		t.Helper()
		var got directory.Token
		if err := s.View(ctx, func(tx directory.ReadTx) error {
			var err error
			got, err = tx.TokenByHash([]byte("hash-1"))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	for _, revoked := range []bool{false, true} {
		if revoked {
			tok.RevokedAt = t0
		}
		if err := s.Update(ctx, func(tx directory.Tx) error { return tx.PutToken(tok) }); err != nil {
			t.Fatal(err)
		}
		if got := byHash(); got.RevokedAt.IsZero() == revoked {
			t.Errorf("token read with revokedAt %v, want revoked %v", got.RevokedAt, revoked)
		}
	}
}

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// Large groups are read through the cache too: a read returns the members stored now, after a
// member joins and after a rolled-back change, and a caller's change to the members it got
// does not reach the next reader.
func TestDecodedLargeGroupsFollowTheFile(t *testing.T) {
	s, err := bolt.Open(filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	g := directory.Group{ID: "g1", DisplayName: "Everyone", IdP: "okta"}
	if err := s.Update(ctx, func(tx directory.Tx) error {
		for i := range 301 {
			id := fmt.Sprintf("user-%04d-with-a-long-enough-id", i)
			if err := tx.PutUser(directory.User{ID: id, UserName: id, IdP: "okta"}); err != nil {
				return err
			}
			if i < 300 {
				g.Members = append(g.Members, id)
			}
		}
		return tx.PutGroup(g)
	}); err != nil {
		t.Fatal(err)
	}
	read := func() directory.Group {
		t.Helper()
		var got directory.Group
		if err := s.View(ctx, func(tx directory.ReadTx) error {
			var err error
			got, err = tx.Group("g1")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	first := read()
	first.Members[0] = "changed by a caller"
	if again := read(); again.Members[0] != g.Members[0] || len(again.Members) != 300 {
		t.Errorf("a caller's change reached the next read: %q, %d members", again.Members[0], len(again.Members))
	}
	g.Members = append(g.Members, "user-0300-with-a-long-enough-id")
	if err := s.Update(ctx, func(tx directory.Tx) error { return tx.PutGroup(g) }); err != nil {
		t.Fatal(err)
	}
	if got := read(); len(got.Members) != 301 {
		t.Errorf("after a member joined: %d members", len(got.Members))
	}
	_ = s.Update(ctx, func(tx directory.Tx) error {
		short := g.Clone()
		short.Members = short.Members[:10]
		if err := tx.PutGroup(short); err != nil {
			return err
		}
		if got, err := tx.Group("g1"); err != nil || len(got.Members) != 10 {
			t.Errorf("inside the transaction: %d members, %v", len(got.Members), err)
		}
		return context.Canceled
	})
	if got := read(); len(got.Members) != 301 {
		t.Errorf("after a rolled-back change: %d members, want 301", len(got.Members))
	}
}
