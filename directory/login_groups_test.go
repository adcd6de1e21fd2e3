package directory_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	. "github.com/rosterhq/roster/directory"
)

// nameCountingStore counts the GroupName reads of its write transactions.
type nameCountingStore struct {
	Store
	names atomic.Int64
}

func (c *nameCountingStore) Update(ctx context.Context, fn func(tx Tx) error) error {
	return c.Store.Update(ctx, func(tx Tx) error { return fn(nameCountingTx{Tx: tx, names: &c.names}) })
}

type nameCountingTx struct {
	Tx
	names *atomic.Int64
}

func (t nameCountingTx) GroupName(id string) (string, error) {
	t.names.Add(1)
	return t.Tx.GroupName(id)
}

// TestReturningSignInReadsNoGroupNames: a user who signs in again naming the groups it is in
// (in any case) keeps them without a read of their names; a group the login no longer names
// is read, and left.
func TestReturningSignInReadsNoGroupNames(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeJIT)
	cs := &nameCountingStore{Store: e.store}
	svc := New(cs)
	login := func(groups ...string) User {
		t.Helper()
		u, err := svc.Login(e.ctx, Login{IdP: "okta", UniqueUserID: "00u1", Email: "ada@example.com", Groups: groups, GroupsAsserted: true})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	u := login("Eng", "Ops", "Board")
	all := []string{"okta/Board (jit)", "okta/Eng (jit)", "okta/Ops (jit)"}
	if got := e.groupNames(u.ID); !slices.Equal(got, all) {
		t.Fatalf("groups after the first sign-in: %v, want %v", got, all)
	}
	cs.names.Store(0)
	login("ops", "Eng", "BOARD")
	if got, n := e.groupNames(u.ID), cs.names.Load(); !slices.Equal(got, all) || n != 0 {
		t.Errorf("a sign-in naming the same groups: %v, %d names read; want %v, and none read", got, n, all)
	}
	cs.names.Store(0)
	login("Eng", "Ops")
	if got, n := e.groupNames(u.ID), cs.names.Load(); !slices.Equal(got, []string{"okta/Eng (jit)", "okta/Ops (jit)"}) || n != 1 {
		t.Errorf("a sign-in no longer naming Board: %v, %d names read; want Board left, and one read, Board's", got, n)
	}
}
