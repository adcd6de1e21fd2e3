package bolt

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/storage/storagetest"
)

func stateUser(i int) directory.User {
	idp := []string{"okta", "entra"}[i%2]
	return directory.User{ID: fmt.Sprintf("st-%06d", i), UserName: fmt.Sprintf("st-%06d@example.com", i), Active: i%3 != 0,
		IdP: idp, UniqueUserID: fmt.Sprint(i), Owner: directory.OwnerSCIM, Org: []string{directory.DefaultOrg, "globex"}[i%5/4]}
}

// TestUserStatesFollowCommitsDuringABuild counts users by state from readers while writers
// create, deactivate, reactivate and delete users, so that the figures are built while
// commits go on: afterwards the store holds them as of its last commit, and they agree with
// reading every user. A commit made straight on the bbolt file, which the store does not see,
// is not missed: the next read counts it.
func TestUserStatesFollowCommitsDuringABuild(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	const seeded = 10_000
	for first := 0; first < seeded; first += 5000 {
		if err := s.UpdateUnbatched(ctx, func(tx directory.Tx) error {
			for i := first; i < first+5000; i++ {
				if err := tx.PutUser(stateUser(i)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	var writers, readers sync.WaitGroup
	stop := make(chan struct{})
	for w := range 4 {
		writers.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for k := range 200 {
				i := rng.IntN(seeded)
				err := s.Update(ctx, func(tx directory.Tx) error {
					switch k % 3 {
					case 0:
						return tx.PutUser(stateUser(seeded + w*1000 + k))
					case 1:
						u, err := tx.User(stateUser(i).ID)
						if err != nil {
							return nil // deleted by another writer
						}
						u.Active = !u.Active
						return tx.PutUser(u)
					default:
						if err := tx.DeleteUser(stateUser(i).ID); err != nil && err != directory.ErrNotFound {
							return err
						}
						return nil
					}
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := s.View(ctx, func(tx directory.ReadTx) error { _, err := tx.CountUserStates(""); return err }); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	writers.Wait()
	close(stop)
	readers.Wait()

	var last int
	if err := s.db.View(func(tx *bbolt.Tx) error { last = tx.ID(); return nil }); err != nil {
		t.Fatal(err)
	}
	s.states.mu.Lock()
	held, at := s.states.counts != nil, s.states.txid
	s.states.mu.Unlock()
	if !held || at != last {
		t.Errorf("after the writes the store holds figures %v as of transaction %d; want them as of the last commit, %d", held, at, last)
	}
	checkStates(t, s, "after concurrent writes and reads")

	// A user written in a bbolt transaction of its own, past the store's commits.
	if err := s.db.Update(func(tx *bbolt.Tx) error { return (&txn{tx: tx}).PutUser(stateUser(999_999)) }); err != nil {
		t.Fatal(err)
	}
	// The store's next commit follows it: the figures must not take the one for the other.
	if err := s.Update(ctx, func(tx directory.Tx) error { return tx.DeleteUser(stateUser(7).ID) }); err != nil {
		t.Fatal(err)
	}
	checkStates(t, s, "after a commit the store did not see, and one it did")
	if err := s.Update(ctx, func(tx directory.Tx) error { return tx.DeleteUser(stateUser(8).ID) }); err != nil {
		t.Fatal(err)
	}
	checkStates(t, s, "built again, then kept up")
}

// TestUserStatesBuildRules walks the figures' bookkeeping through the orders in which a build
// and the writer's notes of commits can interleave.
func TestUserStatesBuildRules(t *testing.T) {
	a, b := stateKey{org: "default", idp: "okta", active: true}, stateKey{org: "default", idp: "entra"}
	held := func(st *userStates) (map[stateKey]int, int) {
		st.mu.Lock()
		defer st.mu.Unlock()
		return st.counts, st.txid
	}
	want := func(step string, st *userStates, counts map[stateKey]int, txid int) {
		t.Helper()
		got, at := held(st)
		if fmt.Sprint(got) != fmt.Sprint(counts) || (got == nil) != (counts == nil) || at != txid {
			t.Errorf("%s: holds %v as of %d, want %v as of %d", step, got, at, counts, txid)
		}
	}

	// The writer notes commit 5 after a reader of 5 began its build: 5 is in the build already.
	st := newUserStates()
	st.begin(5)
	st.committed(5, stateChanges{a: 1})
	st.committed(6, stateChanges{b: 1})
	st.finish(5, map[stateKey]int{a: 1})
	want("a commit noted after the build's own", st, map[stateKey]int{a: 1, b: 1}, 6)
	st.committed(7, stateChanges{a: -1})
	want("kept up", st, map[stateKey]int{b: 1}, 7)
	st.committed(9, stateChanges{a: 1}) // 8 went unseen
	want("a gap", st, nil, 0)

	// A gap among the commits noted during a build: the build is not kept.
	st = newUserStates()
	st.begin(10)
	st.committed(11, nil)
	st.committed(13, stateChanges{a: 1})
	st.finish(10, map[stateKey]int{})
	want("a gap during the build", st, nil, 0)

	// A failed build keeps nothing; the next one may begin.
	st.begin(20)
	st.finish(20, nil)
	if !st.begin(21) {
		t.Fatal("a build cannot begin after a failed one")
	}
	if st.begin(21) {
		t.Error("two builds run at once")
	}
	st.finish(21, map[stateKey]int{b: 2})
	want("a build with no commit during it", st, map[stateKey]int{b: 2}, 21)

	// A reader of a commit the writer is about to note waits for the note.
	go func() { st.committed(22, stateChanges{b: -1}) }()
	rows, ok := st.rows(22, "")
	if !ok || len(rows) != 1 || rows[0].Count != 1 {
		t.Errorf("a reader of the commit being noted: %v, %v", rows, ok)
	}
	if _, ok := st.rows(30, ""); ok {
		t.Error("figures of commit 22 answered a reader of 30")
	}
}

// TestUserStatesBuildWhileStatesChange builds the figures again and again while a writer keeps
// changing users' states: the reader answering from the map it built must not read it once
// the store holds it, as the writer changes it from then on (a concurrent map read and write
// ends the process). Run it under the race detector too (CI does).
func TestUserStatesBuildWhileStatesChange(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	const users = 2000
	many := func(i int) directory.User { // a state of its own for each user: a large map
		u := stateUser(i)
		u.IdP = fmt.Sprint("idp-", i)
		return u
	}
	if err := s.UpdateUnbatched(ctx, func(tx directory.Tx) error {
		for i := range users {
			if err := tx.PutUser(many(i)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var writer sync.WaitGroup
	writer.Go(func() {
		for k := 0; ; k++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := s.Update(ctx, func(tx directory.Tx) error {
				u, err := tx.User(many(k % users).ID)
				if err != nil {
					return err
				}
				u.Active = !u.Active
				return tx.PutUser(u)
			}); err != nil {
				t.Error(err)
				return
			}
		}
	})
	for range 60 {
		s.states.mu.Lock()
		s.states.counts, s.states.txid = nil, 0 // dropped: the next read builds them
		s.states.mu.Unlock()
		if err := s.View(ctx, func(tx directory.ReadTx) error {
			rows, err := tx.CountUserStates("")
			if err == nil && len(rows) < users {
				err = fmt.Errorf("%d rows for %d users of an IdP each", len(rows), users)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	writer.Wait()
}

// TestUserStatesOutliveACleanStop: the figures a store held when it was closed are held again
// as soon as the file is opened, without reading every user, and agree with reading them. A file
// changed after the stop by something else than the store builds them again.
func TestUserStatesOutliveACleanStop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roster.db")
	ctx := context.Background()
	open := func() *Store {
		t.Helper()
		s, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	heldAt := func(s *Store) (bool, int, int) {
		t.Helper()
		var last int
		if err := s.db.View(func(tx *bbolt.Tx) error { last = tx.ID(); return nil }); err != nil {
			t.Fatal(err)
		}
		s.states.mu.Lock()
		defer s.states.mu.Unlock()
		return s.states.counts != nil, s.states.txid, last
	}
	s := open()
	if err := s.Update(ctx, func(tx directory.Tx) error {
		for i := range 300 {
			if err := tx.PutUser(stateUser(i)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if held, _, _ := heldAt(s); held {
		t.Fatal("the figures are held before anything read them")
	}
	checkStates(t, s, "first read")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open()
	if held, at, last := heldAt(s); !held || at != last {
		t.Errorf("after a clean stop and a start, the figures are held %v as of %d; want them as of the last transaction, %d", held, at, last)
	}
	checkStates(t, s, "after a restart")
	if err := s.Update(ctx, func(tx directory.Tx) error { return tx.DeleteUser(stateUser(3).ID) }); err != nil {
		t.Fatal(err)
	}
	checkStates(t, s, "a commit after the restart")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Another program adds a user while Roster is stopped.
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bbolt.Tx) error { return (&txn{tx: tx}).PutUser(stateUser(1000)) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s = open()
	defer s.Close()
	if held, _, _ := heldAt(s); held {
		t.Error("the figures saved before another program changed the file are held after it")
	}
	checkStates(t, s, "after a change made by another program")
	if err := s.db.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(bMeta).Get(metaUserStates) != nil {
			t.Error("the saved figures stay in the file after the start that read them")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// checkStates checks the store's counts of users by state against reading every user.
func checkStates(t *testing.T, s *Store, step string) {
	t.Helper()
	if err := s.View(context.Background(), func(tx directory.ReadTx) error {
		storagetest.CheckStates(t, tx, step, directory.DefaultOrg, "globex")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
