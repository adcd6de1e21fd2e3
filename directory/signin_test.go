package directory_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/storage/bolt"
)

// viewCounting counts the read transactions as well as the writes (countingStore).
type viewCounting struct {
	*countingStore
	views atomic.Int32
}

func (c *viewCounting) View(ctx context.Context, fn func(tx ReadTx) error) error {
	c.views.Add(1)
	return c.countingStore.View(ctx, fn)
}

// A sign-in is one store transaction: it uses its one-time keys, creates or updates the user,
// writes the event and starts the session in one Update, new user or returning one. A refused
// sign-in uses its keys and records its refusal in one Update too, and starts no session.
func TestSignInIsOneTransaction(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	store := &viewCounting{countingStore: &countingStore{Store: st}}
	svc := New(store)
	ctx := t.Context()
	if _, err := svc.CreateIdP(ctx, "admin:test", IdP{ID: "okta", Protocol: ProtocolSAML, Mode: ModeJIT}); err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour)
	if err := svc.UseOnce(ctx, PutOnce(OnceSAMLRequest, "req-2", []byte(`{}`), exp)); err != nil {
		t.Fatal(err)
	}

	for i, uses := range [][]OnceUse{
		{PutOnce(OnceSAMLAssertion, "okta/a1", nil, exp)},
		{PutOnce(OnceSAMLAssertion, "okta/a2", nil, exp), TakeOnce(OnceSAMLRequest, "req-2")},
	} {
		store.updates.Store(0)
		store.views.Store(0)
		u, secret, err := svc.SignIn(ctx, Login{IdP: "okta", UniqueUserID: "00u1", Email: "ada@example.com", FirstName: "Ada", Groups: []string{"eng"}, GroupsAsserted: true}, time.Hour, uses...)
		if err != nil {
			t.Fatalf("sign-in %d: %v", i+1, err)
		}
		if n, v := store.updates.Load(), store.views.Load(); n != 1 || v != 0 {
			t.Errorf("sign-in %d took %d write and %d read transactions, want one write and no read", i+1, n, v)
		}
		if got, err := svc.SessionUser(ctx, secret); err != nil || got.ID != u.ID {
			t.Errorf("sign-in %d: the session is %q, %v; want user %s", i+1, got.ID, err, u.ID)
		}
		for _, use := range uses {
			if use.Take {
				if _, err := svc.PeekOnce(ctx, use.Kind, use.Key); !errors.Is(err, ErrNotFound) {
					t.Errorf("sign-in %d: %s is still there (%v)", i+1, use.Key, err)
				}
			} else if _, err := svc.PeekOnce(ctx, use.Kind, use.Key); err != nil {
				t.Errorf("sign-in %d: %s was not recorded: %v", i+1, use.Key, err)
			}
		}
	}

	// A deactivated user is refused (R2): the refusal and the key are recorded in one
	// transaction, and no session starts.
	if _, err := svc.DeactivateUser(ctx, "admin:test", mustUserByKey(t, svc, "okta", "00u1").ID); err != nil {
		t.Fatal(err)
	}
	store.updates.Store(0)
	_, secret, err := svc.SignIn(ctx, Login{IdP: "okta", UniqueUserID: "00u1"}, time.Hour, PutOnce(OnceSAMLAssertion, "okta/a3", nil, exp))
	if _, ok := AsRefusal(err); !ok || secret != "" {
		t.Errorf("sign-in of a deactivated user: %v, secret %q; want a refusal and no session", err, secret)
	}
	if n := store.updates.Load(); n != 1 {
		t.Errorf("the refused sign-in took %d write transactions, want 1", n)
	}
	if _, err := svc.PeekOnce(ctx, OnceSAMLAssertion, "okta/a3"); err != nil {
		t.Errorf("the refused sign-in's assertion was not recorded: %v", err)
	}
}

func mustUserByKey(t *testing.T, svc *Service, idp, key string) User {
	t.Helper()
	var u User
	if err := svc.View(t.Context(), func(tx ReadTx) error {
		var err error
		u, err = tx.UserByIdentity(Identity{IdP: idp, UniqueUserID: key})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return u
}

// SignIn keeps what the login path does besides its one transaction: the input policy refuses
// before anything is written, the session counts towards MaxSessionsPerUser (the oldest ends
// first), the event says where the key came from, and the observers see each committed
// sign-in's event once, after its commit.
func TestSignInKeepsTheLoginPath(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	store := &countingStore{Store: st}
	svc := New(store)
	ctx := t.Context()
	if _, err := svc.CreateIdP(ctx, "admin:test", IdP{ID: "okta", Protocol: ProtocolSAML, Mode: ModeJIT}); err != nil {
		t.Fatal(err)
	}
	var seen []Event
	svc.OnEvents(func(evs []Event) { seen = append(seen, evs...) })

	store.updates.Store(0)
	_, secret, err := svc.SignIn(ctx, Login{IdP: "okta", UniqueUserID: "00u\x07bell"}, time.Hour)
	if !errors.Is(err, ErrInvalid) || secret != "" {
		t.Errorf("a sign-in with a control character in its key: %v, secret %q; want ErrInvalid and no session", err, secret)
	}
	if n := store.updates.Load(); n != 0 || len(seen) != 0 {
		t.Errorf("the refused input took %d write transactions and showed %d events, want none", n, len(seen))
	}

	in := Login{IdP: "okta", UniqueUserID: "00u1", Email: "ada@example.com", KeySource: KeyFallback, KeyWarning: "the NameID is not what SCIM sends"}
	var secrets []string
	for i := range MaxSessionsPerUser + 1 {
		_, secret, err := svc.SignIn(ctx, in, time.Hour)
		if err != nil {
			t.Fatalf("sign-in %d: %v", i+1, err)
		}
		secrets = append(secrets, secret)
		if len(seen) != i+1 {
			t.Fatalf("after sign-in %d the observers saw %d events, want %d", i+1, len(seen), i+1)
		}
	}
	if _, err := svc.SessionUser(ctx, secrets[0]); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("the first session after %d sign-ins: %v, want it ended by the cap", len(secrets), err)
	}
	for _, s := range secrets[1:] {
		if _, err := svc.SessionUser(ctx, s); err != nil {
			t.Errorf("a session within the cap: %v", err)
		}
	}
	last := seen[len(seen)-1]
	if last.KeySource != KeyFallback || len(last.Warnings) != 1 || last.Type != EventUserLogin {
		t.Errorf("the last sign-in's event: type %q, key source %q, warnings %q; want a sign-in from the fallback key with its warning", last.Type, last.KeySource, last.Warnings)
	}
}
