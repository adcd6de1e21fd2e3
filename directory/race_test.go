package directory_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/storage/bolt"
)

// R7 races: logins and SCIM creates of one person at once must end with one user, adopted
// once, every other SCIM create refused by R7 — also when every racer has read the state
// before any of them writes.

// raceResult is what the racing operations returned.
type raceResult struct {
	loginIDs, scimIDs     sync.Map
	scimOK, scimConflicts atomic.Int32
	errs                  chan error
}

// raceOnePerson runs n operations for one identity, even ones logins and odd ones SCIM creates,
// each in a goroutine of its own with the context ctx(i). done(i) is called when operation i
// returns.
func raceOnePerson(e *env, n int, ctx func(i int) context.Context, done func(i int)) *raceResult {
	a := SCIMActor{IdP: "okta", TokenID: "t1"}
	res := &raceResult{errs: make(chan error, n)}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			defer done(i)
			if i%2 == 0 {
				u, err := e.svc.Login(ctx(i), adaLogin("okta"))
				if err != nil {
					res.errs <- fmt.Errorf("login %d: %w", i, err)
					return
				}
				res.loginIDs.Store(u.ID, true)
				return
			}
			u, err := e.svc.SCIMCreateUser(ctx(i), a, scimAda())
			switch {
			case errors.Is(err, ErrConflict):
				res.scimConflicts.Add(1)
			case err != nil:
				res.errs <- fmt.Errorf("SCIM create %d: %w", i, err)
			default:
				res.scimOK.Add(1)
				res.scimIDs.Store(u.ID, true)
			}
		})
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(time.Minute):
		e.t.Fatal("the racing operations did not finish within a minute")
	}
	close(res.errs)
	return res
}

// checkOnePerson checks what R7, R5 and R12 ask of the race's outcome.
func checkOnePerson(t *testing.T, e *env, n int, res *raceResult) {
	t.Helper()
	for err := range res.errs {
		t.Error(err)
	}
	users := e.usersOf("okta")
	if len(users) != 1 {
		t.Fatalf("R7: %d users for one identity after the race, want 1", len(users))
	}
	id := users[0].ID
	if users[0].Owner != OwnerSCIM {
		t.Errorf("R5: the user ends owned by %s, want scim", users[0].Owner)
	}
	if res.scimOK.Load() != 1 || res.scimConflicts.Load() != int32(n/2-1) {
		t.Errorf("R7: %d SCIM creates succeeded and %d conflicted, want 1 and %d", res.scimOK.Load(), res.scimConflicts.Load(), n/2-1)
	}
	for _, m := range []*sync.Map{&res.loginIDs, &res.scimIDs} {
		m.Range(func(k, _ any) bool {
			if k != id {
				t.Errorf("R7: an operation returned user %v, but the only user is %s", k, id)
			}
			return true
		})
	}
	var created, adopted, refused int
	for _, ev := range e.eventsAfter(0) {
		switch ev.Type {
		case EventUserCreated:
			created++
		case EventUserAdopted:
			adopted++
		case EventSCIMRefused:
			refused++
			// The losers' key is taken: R7, not a userName held by another identity (R8),
			// which a decision on a stale read of the key would name.
			if ev.Rule != "R7" {
				t.Errorf("R7: a losing SCIM create was refused by %s: %s", ev.Rule, ev.Reason)
			}
		}
	}
	if created != 1 || adopted > 1 || refused != n/2-1 {
		t.Errorf("R12: %d user.created, %d user.adopted, %d scim.refused events; want 1, ≤1, %d", created, adopted, refused, n/2-1)
	}
}

// Free-running: the racers meet in the store's group commit in whatever order they come.
func TestServiceR7LoginAndSCIMCreateRace(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeBoth)
	const n = 50
	res := raceOnePerson(e, n, func(int) context.Context { return e.ctx }, func(int) {})
	checkOnePerson(t, e, n, res)
}

// Lined up: every racer has read, before its write transaction, what it reads there, before
// any racer writes — in every round of retries too — and the writes then go in a fixed order,
// a login first. A decision taken on a read outside the transaction goes wrong in every run.
func TestServiceR7LinedUpRace(t *testing.T) {
	e, line := newLinedUpEnv(t)
	e.createIdP("okta", ModeBoth)
	const n = 20
	line.start(n)
	res := raceOnePerson(e, n, func(i int) context.Context { return asRacer(e.ctx, i) }, line.done)
	checkOnePerson(t, e, n, res)
	if line.rounds() < 2 {
		t.Errorf("the racers wrote in %d rounds; the refusals alone need a second", line.rounds())
	}
	var adopted int
	for _, ev := range e.eventsAfter(0) {
		if ev.Type == EventUserAdopted {
			adopted++
		}
	}
	if adopted != 1 {
		t.Errorf("R5: %d adoptions; a login writes first, so exactly one SCIM create adopts its user", adopted)
	}
}

type racerKey struct{}

// asRacer marks ctx as racer i's, for lineUp.
func asRacer(ctx context.Context, i int) context.Context {
	return context.WithValue(ctx, racerKey{}, i)
}

// lineUp is a Store that runs the write transactions of racing operations in rounds. A round
// starts when every racer that has not finished is waiting at Update, so each has read
// whatever it reads before its transaction; the round then runs their transactions one after
// another in racer order. A racer whose operation writes again (a retry, a refusal's event)
// joins the next round. It stands in for the unlucky timing that a real race has only in some
// runs. Updates outside the race pass straight through.
type lineUp struct {
	Store
	mu      sync.Mutex
	active  map[int]bool
	queued  map[int]turn
	running bool
	n       int
}

// turn is one racer's place in a round: closed turn lets it write; it closes finished after.
type turn struct{ turn, finished chan struct{} }

// newLinedUpEnv is newEnv over a real bbolt store behind a lineUp.
func newLinedUpEnv(t *testing.T) (*env, *lineUp) {
	t.Helper()
	store, err := bolt.Open(filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	line := &lineUp{Store: store}
	clock := &testClock{now: time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)}
	return &env{t: t, ctx: t.Context(), svc: New(line, WithClock(clock.Now)), clock: clock}, line
}

// start lines up racers 0 to n-1.
func (l *lineUp) start(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.active, l.queued = map[int]bool{}, map[int]turn{}
	for i := range n {
		l.active[i] = true
	}
}

// done says that racer i's operation has returned.
func (l *lineUp) done(i int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.active, i)
	l.startRound()
}

// rounds is how many rounds have run.
func (l *lineUp) rounds() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

func (l *lineUp) Update(ctx context.Context, fn func(tx Tx) error) error {
	i, ok := ctx.Value(racerKey{}).(int)
	if !ok {
		return l.Store.Update(ctx, fn)
	}
	my := turn{turn: make(chan struct{}), finished: make(chan struct{})}
	l.mu.Lock()
	l.queued[i] = my
	l.startRound()
	l.mu.Unlock()
	<-my.turn
	defer close(my.finished)
	return l.Store.Update(ctx, fn)
}

// startRound starts a round when every racer still running waits at Update. l.mu is held.
func (l *lineUp) startRound() {
	if l.running || len(l.queued) == 0 || len(l.queued) < len(l.active) {
		return
	}
	round := l.queued
	l.queued, l.running = map[int]turn{}, true
	l.n++
	go func() {
		for _, i := range slices.Sorted(maps.Keys(round)) {
			close(round[i].turn)
			<-round[i].finished
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		l.running = false
		l.startRound()
	}()
}
