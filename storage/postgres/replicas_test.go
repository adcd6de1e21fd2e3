package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/storage/postgres"
)

// The tests in this file cover what the shared suite cannot: several replicas (each a Store
// with its own connection pool) on one database, the schema's versioning, and the seam's
// error translation.

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 800, time.UTC)

func testUser(id, userName, idp, uid string) directory.User {
	return directory.User{ID: id, UserName: userName, IdP: idp, UniqueUserID: uid, Active: true, Owner: directory.OwnerSCIM,
		Meta: directory.Meta{Created: t0, LastModified: t0, Version: 1}}
}

func TestReplicasStartingTogetherMigrateOnce(t *testing.T) {
	connURL := freshSchema(t)
	const replicas = 6
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := postgres.Open(context.Background(), connURL)
			if err == nil {
				s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
	if err := openAt(t, connURL).Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if versions := countRows(t, connURL, "schema_migrations"); versions != postgres.SchemaVersion() {
		t.Errorf("schema_migrations has %d rows, want %d (one per migration)", versions, postgres.SchemaVersion())
	}
}

func countRows(t *testing.T, connURL, table string) int {
	t.Helper()
	var n int
	conn := pgxConnect(t, connURL)
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDataOutlivesTheStore(t *testing.T) {
	connURL := freshSchema(t)
	s := openAt(t, connURL)
	if err := s.Update(context.Background(), func(tx directory.Tx) error { return tx.PutUser(testUser("u1", "ada", "okta", "1")) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	again := openAt(t, connURL) // the migrations find nothing to do
	err := again.View(context.Background(), func(tx directory.ReadTx) error {
		_, err := tx.UserByUserName(directory.DefaultOrg, "ADA")
		return err
	})
	if err != nil {
		t.Fatalf("user after reopening: %v", err)
	}
}

func TestOpenRefusesASchemaFromANewerRoster(t *testing.T) {
	connURL := freshSchema(t)
	openAt(t, connURL).Close()
	future := postgres.SchemaVersion() + 1
	admin(t, connURL, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, future, fmt.Sprintf("%04d_from_the_future.sql", future))
	s, err := postgres.Open(context.Background(), connURL)
	if err == nil {
		s.Close()
		t.Fatal("Open accepted a schema migrated by a newer Roster")
	}
	for _, want := range []string{fmt.Sprintf("%04d_from_the_future.sql", future), "newer Roster", fmt.Sprintf("1 to %d", postgres.SchemaVersion())} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestOpenRefusesAnotherApplicationsTables(t *testing.T) {
	connURL := freshSchema(t)
	admin(t, connURL, `CREATE TABLE users (id int PRIMARY KEY)`)
	s, err := postgres.Open(context.Background(), connURL)
	if err == nil {
		s.Close()
		t.Fatal("Open migrated over another application's users table")
	}
	if !strings.Contains(err.Error(), "0001_init.sql") || !strings.Contains(err.Error(), "another application") {
		t.Errorf("error does not explain itself: %v", err)
	}
}

func TestReplicasShareTheReplayCache(t *testing.T) {
	connURL := freshSchema(t)
	replicas := []*postgres.Store{openAt(t, connURL), openAt(t, connURL)}
	const n = 40
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = replicas[i%2].Update(context.Background(), func(tx directory.Tx) error {
				return tx.InsertKV("saml-assertion", "id-1", []byte(fmt.Sprint(i)), t0.Add(time.Hour), t0)
			})
		}()
	}
	wg.Wait()
	accepted := 0
	for i, err := range errs {
		var ce *directory.ConflictError
		switch {
		case err == nil:
			accepted++
		case errors.As(err, &ce):
		default:
			t.Errorf("insert %d: %v, want nil or a ConflictError", i, err)
		}
	}
	if accepted != 1 {
		t.Errorf("the same assertion id was accepted %d times across two replicas, want once", accepted)
	}
}

func TestReplicasKeepTheEventLogGapFree(t *testing.T) {
	connURL := freshSchema(t)
	replicas := []*postgres.Store{openAt(t, connURL), openAt(t, connURL), openAt(t, connURL)}
	const writers, each = 12, 8
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				err := replicas[w%len(replicas)].Update(context.Background(), func(tx directory.Tx) error {
					id := fmt.Sprintf("w%02d-%02d", w, i)
					if err := tx.PutUser(testUser(id, id, "okta", id)); err != nil {
						return err
					}
					_, err := tx.AppendEvent(directory.Event{ID: id, Type: directory.EventUserCreated, Time: t0, Subject: id})
					return err
				})
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
				}
			}
		}()
	}
	wg.Wait()
	err := replicas[0].View(context.Background(), func(tx directory.ReadTx) error {
		evs, err := tx.Events(0, 1000)
		if err != nil {
			return err
		}
		if len(evs) != writers*each {
			t.Errorf("%d events, want %d", len(evs), writers*each)
		}
		for i, e := range evs {
			if e.Seq != uint64(i+1) {
				t.Fatalf("event %d has seq %d: a gap or a reordering", i, e.Seq)
			}
			if u, err := tx.User(e.Subject); err != nil || u.ID != e.Subject {
				t.Errorf("event %d names %s, which is not stored: %v", e.Seq, e.Subject, err)
			}
		}
		last, err := tx.LastSeq()
		if last != writers*each || err != nil {
			t.Errorf("LastSeq = %d, %v", last, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A racing login and SCIM create on two replicas: the loser runs again, sees the winner's user
// and updates it, as it would after the winner on a single writer — no error reaches it.
func TestReplicasRacingOnOneIdentitySeeEachOther(t *testing.T) {
	connURL := freshSchema(t)
	replicas := []*postgres.Store{openAt(t, connURL), openAt(t, connURL)}
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := replicas[i%2].Update(context.Background(), func(tx directory.Tx) error {
				u, err := tx.UserByIdentity(directory.Identity{IdP: "okta", UniqueUserID: "00u1"})
				switch {
				case errors.Is(err, directory.ErrNotFound):
					u = testUser(fmt.Sprint("u", i), "ada", "okta", "00u1")
				case err != nil:
					return err
				default:
					u.Meta.Version++
				}
				return tx.PutUser(u)
			})
			if err != nil {
				t.Errorf("writer %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	err := replicas[0].View(context.Background(), func(tx directory.ReadTx) error {
		if n, err := tx.CountUsers("", "okta"); err != nil || n != 1 {
			t.Errorf("%d users, want 1 (err: %v)", n, err)
		}
		u, err := tx.UserByIdentity(directory.Identity{IdP: "okta", UniqueUserID: "00u1"})
		if err != nil {
			return err
		}
		// Serial execution: one create (version 1) and n-1 updates, none lost.
		if u.Meta.Version != n {
			t.Errorf("version %d after %d writes, want %d: an update was lost", u.Meta.Version, n, n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNoDriverErrorCrossesTheSeam(t *testing.T) {
	s := openFresh(t)
	ctx := context.Background()
	// PostgreSQL cannot store a NUL character in text or jsonb.
	err := s.Update(ctx, func(tx directory.Tx) error { return tx.PutUser(testUser("u1", "nul\x00name", "okta", "1")) })
	var pe *pgconn.PgError
	if !errors.Is(err, directory.ErrInvalid) || errors.As(err, &pe) {
		t.Errorf("userName with a NUL: %v, want ErrInvalid and no driver error", err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	err = s.View(canceled, func(tx directory.ReadTx) error { _, err := tx.User("u1"); return err })
	if !errors.Is(err, context.Canceled) || errors.As(err, &pe) {
		t.Errorf("canceled context: %v, want context.Canceled", err)
	}
	err = s.View(ctx, func(tx directory.ReadTx) error {
		return tx.(directory.Tx).PutKV("ns", "k", []byte("v"), time.Time{}) // a write in a read transaction
	})
	if err == nil || errors.As(err, &pe) {
		t.Errorf("write in View: %v, want a plain error", err)
	}
}

// While another session holds every writer back (as a queued transaction does), reads go on,
// and a writer whose context ends gets the context's error, not a driver error.
func TestReadsDoNotWaitForQueuedWriters(t *testing.T) {
	connURL := freshSchema(t)
	s := openAt(t, connURL)
	ctx := context.Background()
	if err := s.Update(ctx, func(tx directory.Tx) error { return tx.PutUser(testUser("u1", "ada", "okta", "1")) }); err != nil {
		t.Fatal(err)
	}
	conn := pgxConnect(t, connURL)
	holder, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback(ctx)
	if _, err := holder.Exec(ctx, `LOCK TABLE writer_turns IN EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	err = s.View(ctx, func(tx directory.ReadTx) error {
		_, err := tx.UserByUserName(directory.DefaultOrg, "ADA")
		return err
	})
	if err != nil {
		t.Fatalf("read while writers are held back: %v", err)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	err = s.Update(short, func(tx directory.Tx) error { return tx.PutKV("ns", "k", []byte("v"), time.Time{}) })
	var pe *pgconn.PgError
	if !errors.Is(err, context.DeadlineExceeded) || errors.As(err, &pe) {
		t.Fatalf("write held back past its deadline: %v, want context.DeadlineExceeded", err)
	}
	holder.Rollback(ctx)
	if err := s.Update(ctx, func(tx directory.Tx) error { return tx.PutKV("ns", "k", []byte("v"), time.Time{}) }); err != nil {
		t.Fatalf("write after the lock is gone: %v", err)
	}
}

// TestViewsGiveTheirConnectionBack: a read transaction's connection goes back to the pool
// whether its function returns, fails or panics (the server recovers from a handler's panic),
// and whether or not the transaction read anything: on a pool of one connection, reads and a
// write go on after each, and the store closes.
func TestViewsGiveTheirConnectionBack(t *testing.T) {
	// A connection left in its transaction is ended by the server after two seconds, so that
	// such a failure does not also hold the schema's removal at cleanup.
	// The store is closed at the end only: a store whose connection was never given back would
	// not close.
	s, err := postgres.Open(context.Background(), freshSchema(t)+"&pool_max_conns=1&idle_in_transaction_session_timeout=2000")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	read := func(tx directory.ReadTx) error { _, err := tx.User("nobody"); return err }
	ends := map[string]func(tx directory.ReadTx) error{
		"returns":          func(tx directory.ReadTx) error { return nil },
		"reads":            func(tx directory.ReadTx) error { _ = read(tx); return nil },
		"fails":            func(tx directory.ReadTx) error { _ = read(tx); return errors.New("fn failed") },
		"panics":           func(tx directory.ReadTx) error { _ = read(tx); panic("fn panicked") },
		"panics at once":   func(directory.ReadTx) error { panic("fn panicked") },
		"reads, not found": read,
	}
	for name, fn := range ends {
		func() {
			defer func() { _ = recover() }()
			_ = s.View(ctx, fn)
		}()
		if err := s.View(ctx, read); !errors.Is(err, directory.ErrNotFound) {
			t.Fatalf("a read after a view that %s: %v, want ErrNotFound", name, err)
		}
		if err := s.Update(ctx, func(tx directory.Tx) error { return tx.PutKV("after", name, []byte("x"), time.Time{}) }); err != nil {
			t.Fatalf("a write after a view that %s: %v", name, err)
		}
	}
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the store did not close: a connection was never given back")
	}
}
