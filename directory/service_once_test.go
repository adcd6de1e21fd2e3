package directory_test

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/rosterhq/roster/directory"
)

// service_once_test.go checks the one-time keys of the sign-in edges and the SP key pair, over
// the real bbolt store of newEnv.

func TestUseOncePutThenTakeOnce(t *testing.T) {
	e := newEnv(t)
	exp := e.clock.Now().Add(time.Minute)
	if err := e.svc.UseOnce(e.ctx, PutOnce(OnceSAMLRequest, "id-1", []byte(`{"idp":"okta"}`), exp)); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.UseOnce(e.ctx, PutOnce(OnceSAMLRequest, "id-1", []byte(`{"idp":"evil"}`), exp)); !errors.Is(err, ErrUsed) {
		t.Errorf("a second put of the key: err %v, want ErrUsed", err)
	}
	if v, err := e.svc.PeekOnce(e.ctx, OnceSAMLRequest, "id-1"); err != nil || string(v) != `{"idp":"okta"}` {
		t.Errorf("peek: %q, %v; want the first value", v, err)
	}
	if _, err := e.svc.PeekOnce(e.ctx, OnceOIDCState, "id-1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("peek of the key under another kind: err %v, want ErrNotFound", err)
	}
	if err := e.svc.UseOnce(e.ctx, TakeOnce(OnceSAMLRequest, "id-1")); err != nil {
		t.Fatalf("take: %v", err)
	}
	if err := e.svc.UseOnce(e.ctx, TakeOnce(OnceSAMLRequest, "id-1")); !errors.Is(err, ErrUsed) {
		t.Errorf("a second take: err %v, want ErrUsed", err)
	}
	if _, err := e.svc.PeekOnce(e.ctx, OnceSAMLRequest, "id-1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("peek after the take: err %v, want ErrNotFound", err)
	}
	if err := e.svc.UseOnce(e.ctx, TakeOnce(OnceSAMLRequest, "never-issued")); !errors.Is(err, ErrUsed) || errors.Is(err, ErrNotFound) {
		t.Errorf("take of a key never put: err %v, want ErrUsed (and not ErrNotFound)", err)
	}
}

func TestUseOnceExpiry(t *testing.T) {
	e := newEnv(t)
	exp := e.clock.Now().Add(time.Minute)
	for _, key := range []string{"a", "b"} {
		if err := e.svc.UseOnce(e.ctx, PutOnce(OnceSAMLAssertion, key, nil, exp)); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Advance(2 * time.Minute)
	if err := e.svc.UseOnce(e.ctx, TakeOnce(OnceSAMLAssertion, "a")); !errors.Is(err, ErrUsed) {
		t.Errorf("take of an expired key: err %v, want ErrUsed", err)
	}
	if err := e.svc.UseOnce(e.ctx, PutOnce(OnceSAMLAssertion, "b", nil, e.clock.Now().Add(time.Minute))); err != nil {
		t.Errorf("put over an expired key: %v", err)
	}
	for _, bad := range []OnceUse{
		PutOnce(OnceSAMLAssertion, "c", nil, time.Time{}),
		PutOnce(OnceSAMLAssertion, "c", nil, e.clock.Now()),
		PutOnce(OnceSAMLAssertion, "", nil, e.clock.Now().Add(time.Minute)),
	} {
		if err := e.svc.UseOnce(e.ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("UseOnce(%+v): err %v, want ErrInvalid (a one-time key must have a name and expire)", bad, err)
		}
	}
}

func TestUseOnceIsAllOrNothing(t *testing.T) {
	e := newEnv(t)
	exp := e.clock.Now().Add(time.Minute)
	err := e.svc.UseOnce(e.ctx, PutOnce(OnceSAMLAssertion, "okta/a1", nil, exp), TakeOnce(OnceSAMLRequest, "id-missing"))
	if !errors.Is(err, ErrUsed) {
		t.Fatalf("err %v, want ErrUsed", err)
	}
	if _, err := e.svc.PeekOnce(e.ctx, OnceSAMLAssertion, "okta/a1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the put beside the failed take was kept: err %v", err)
	}
}

// TestLoginUsesItsKeysInItsTransaction: a sign-in takes and puts its one-time keys in its own
// transaction, so that a used key changes nothing and records nothing, and a sign-in the rules
// refuse uses its keys all the same.
func TestLoginUsesItsKeysInItsTransaction(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeJIT)
	e.createIdP("scim-only", ModeSCIM)
	exp := e.clock.Now().Add(time.Minute)
	if err := e.svc.UseOnce(e.ctx, PutOnce(OnceSAMLRequest, "id-1", []byte("{}"), exp)); err != nil {
		t.Fatal(err)
	}
	keys := []OnceUse{PutOnce(OnceSAMLAssertion, "okta/a1", []byte{1}, exp), TakeOnce(OnceSAMLRequest, "id-1")}
	if _, err := e.svc.Login(e.ctx, adaLogin("okta"), keys...); err != nil {
		t.Fatalf("first sign-in: %v", err)
	}
	if _, err := e.svc.PeekOnce(e.ctx, OnceSAMLAssertion, "okta/a1"); err != nil {
		t.Errorf("the sign-in did not record its assertion: %v", err)
	}
	if _, err := e.svc.PeekOnce(e.ctx, OnceSAMLRequest, "id-1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the sign-in did not take its request: %v", err)
	}

	if err := e.svc.UseOnce(e.ctx, PutOnce(OnceSAMLRequest, "id-2", []byte("{}"), exp)); err != nil {
		t.Fatal(err)
	}
	seq := e.lastSeq()
	other := Login{IdP: "okta", UniqueUserID: "00u2", Email: "grace@example.com"}
	for name, uses := range map[string][]OnceUse{
		"the same assertion again":          {PutOnce(OnceSAMLAssertion, "okta/a1", []byte{1}, exp)},
		"the same request again":            {TakeOnce(OnceSAMLRequest, "id-1")},
		"a new assertion, the used request": {PutOnce(OnceSAMLAssertion, "okta/a2", []byte{1}, exp), TakeOnce(OnceSAMLRequest, "id-1")},
		"the used assertion, a new request": {PutOnce(OnceSAMLAssertion, "okta/a1", []byte{1}, exp), TakeOnce(OnceSAMLRequest, "id-2")},
	} {
		if _, err := e.svc.Login(e.ctx, other, uses...); !errors.Is(err, ErrUsed) {
			t.Errorf("%s: err %v, want ErrUsed", name, err)
		}
	}
	if evs := e.eventsAfter(seq); len(evs) != 0 {
		t.Errorf("sign-ins with used keys wrote %d events, first %s", len(evs), evs[0].Type)
	}
	if _, err := e.userByIdentity("okta", "00u2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a sign-in with used keys created its user: %v", err)
	}
	if _, err := e.svc.PeekOnce(e.ctx, OnceSAMLAssertion, "okta/a2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a failed sign-in kept the assertion it put: %v", err)
	}
	if _, err := e.svc.PeekOnce(e.ctx, OnceSAMLRequest, "id-2"); err != nil {
		t.Errorf("a failed sign-in took the request it named: %v", err)
	}

	// R3 refuses this sign-in; its state is used up all the same.
	if err := e.svc.UseOnce(e.ctx, PutOnce(OnceOIDCState, "st-1", []byte("{}"), exp)); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.Login(e.ctx, Login{IdP: "scim-only", UniqueUserID: "x"}, TakeOnce(OnceOIDCState, "st-1"))
	if r := refusalOf(t, err); r.Rule != RuleR3 {
		t.Errorf("refusal by %s, want R3", r.Rule)
	}
	if _, err := e.svc.PeekOnce(e.ctx, OnceOIDCState, "st-1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the refused sign-in left its state: %v", err)
	}
}

// TestLoginRaceForOneAssertion: sign-ins racing with the same assertion id, as a replayed
// response posted to several replicas at once would, produce exactly one sign-in. Each has
// checked nothing beforehand, so only the transaction decides.
func TestLoginRaceForOneAssertion(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeJIT)
	exp := e.clock.Now().Add(time.Minute)
	const racers = 16
	var ok, used atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := e.svc.Login(e.ctx, Login{IdP: "okta", UniqueUserID: fmt.Sprint("racer-", i)},
				PutOnce(OnceSAMLAssertion, "okta/the-assertion", []byte{1}, exp))
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, ErrUsed):
				used.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if ok.Load() != 1 || used.Load() != racers-1 {
		t.Errorf("%d sign-ins succeeded and %d were refused as used, want 1 and %d", ok.Load(), used.Load(), racers-1)
	}
	if n := len(e.usersOf("okta")); n != 1 {
		t.Errorf("%d users, want 1", n)
	}
}

func TestSPKeyPairIsCreatedOnce(t *testing.T) {
	e := newEnv(t)
	var calls atomic.Int32
	var wg sync.WaitGroup
	got := make([][]byte, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			kp, err := e.svc.SPKeyPair(e.ctx, func() ([]byte, error) {
				calls.Add(1)
				return []byte(fmt.Sprint("pair-", i)), nil
			})
			if err != nil {
				t.Error(err)
			}
			got[i] = kp
		}()
	}
	wg.Wait()
	for i := range got {
		if len(got[i]) == 0 || !bytes.Equal(got[i], got[0]) {
			t.Fatalf("racers got different pairs: %q", got)
		}
	}
	if calls.Load() < 1 {
		t.Fatal("generate never ran")
	}
	again, err := e.svc.SPKeyPair(e.ctx, func() ([]byte, error) { return nil, errors.New("must not generate again") })
	if err != nil || !bytes.Equal(again, got[0]) {
		t.Errorf("the stored pair: %q, %v; want %q without generating", again, err, got[0])
	}
	e2 := newEnv(t)
	if _, err := e2.svc.SPKeyPair(e2.ctx, func() ([]byte, error) { return nil, errors.New("no entropy") }); err == nil {
		t.Error("a failing generate on an empty store: no error")
	}
}
