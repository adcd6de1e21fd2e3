package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rosterhq/roster/directory"
)

// Store is a directory.Store on a PostgreSQL database, shared by any number of Roster replicas.
type Store struct {
	pool *pgxpool.Pool
	// retries counts the attempts that were run again because of a concurrent writer.
	retries atomic.Int64
	// queueUntil (Unix nanoseconds) is when this store's transactions go back to starting
	// optimistically after the last collision; until then they start queued.
	queueUntil atomic.Int64
}

// queueWindow is how long after a collision new transactions start queued. Under sustained
// write load, when nearly every optimistic attempt would collide on the event counter and be
// thrown away, transactions queue from the start instead; once the load is gone they go back
// to not waiting for one another.
const queueWindow = time.Second

var _ directory.Store = (*Store)(nil)

// maxAttempts bounds how often Update runs a transaction that keeps losing to concurrent
// writers. From the second attempt on a transaction queues for the event counter before it
// starts, so it can lose only to rare conflicts outside the counter; the bound is a safety net.
const maxAttempts = 30

// Open connects to the database at url (a postgres:// URL or a keyword/value connection
// string; pgxpool settings such as pool_max_conns may be added to it), brings its schema up to
// date and returns the store. It refuses a schema that a newer Roster has migrated.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message redacts the password; the URL itself is not repeated.
		return nil, fmt.Errorf("postgres: invalid database URL: %v", plainError(err))
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %v", plainError(err))
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: cannot reach the database: %v", plainError(err))
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{pool: pool}, nil
}

// Close closes every connection of the pool, waiting for those in use to be released.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Retries reports how many transaction attempts have been run again since Open because a
// concurrent writer made them fail: a measure of write contention between replicas.
func (s *Store) Retries() int64 { return s.retries.Load() }

// Ping reports whether the database answers; /readyz uses it.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: %v", plainError(err))
	}
	return nil
}

// Update runs fn in a SERIALIZABLE transaction and commits it. Replicas writing at once can
// therefore interleave only in ways equivalent to one writer after another, which is what the
// bbolt store gives by having a single writer and what the directory's rules assume. When
// PostgreSQL refuses a transaction for that reason (a serialization failure or a deadlock),
// Update rolls it back and runs fn again on fresh data, as the port allows.
func (s *Store) Update(ctx context.Context, fn func(tx directory.Tx) error) error {
	var last error
	for attempt := range maxAttempts {
		if attempt > 0 {
			if err := pause(ctx, attempt); err != nil {
				return err
			}
		}
		queue := attempt > 0 || time.Now().UnixNano() < s.queueUntil.Load()
		retry, err := s.attempt(ctx, fn, queue)
		if !retry {
			return err
		}
		s.retries.Add(1)
		s.queueUntil.Store(time.Now().Add(queueWindow).UnixNano())
		last = err
	}
	return fmt.Errorf("postgres: the transaction lost to concurrent writers %d times in a row; giving up: %w", maxAttempts, last)
}

// pause waits a short, random, growing time before another attempt, so that transactions that
// collided do not collide again in lockstep.
func pause(ctx context.Context, attempt int) error {
	ceiling := time.Duration(1<<min(attempt, 6)) * time.Millisecond // up to 64 ms
	timer := time.NewTimer(rand.N(ceiling))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// attempt runs fn once. retry reports that the transaction failed only because of concurrent
// writers and should run again.
//
// Every transaction that appends an event updates the counter row, so under SERIALIZABLE two
// of them that overlap in time cannot both commit: the later one fails, whatever else they
// touch. With queue set, the transaction therefore first takes the counter's table lock in
// EXCLUSIVE mode, before its snapshot is taken (LOCK is not a query, so the snapshot starts
// after it). It then waits its turn instead of colliding: under contention writers make
// progress one after another rather than failing over and over. Reads (View) never wait for
// the lock.
func (s *Store) attempt(ctx context.Context, fn func(tx directory.Tx) error, queue bool) (retry bool, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return false, translate(ctx, err)
	}
	defer conn.Release()
	t := &txn{ctx: ctx, conn: conn, opts: pgx.TxOptions{IsoLevel: pgx.Serializable}, opening: []string{lockEventSeqShared}}
	if queue {
		t.opening = []string{lockEventSeqExclusive}
	}
	defer t.rollback()
	ferr := fn(t)
	if t.retry {
		// The database refused a statement because of a concurrent writer. Whatever fn made of
		// that error, its decisions were taken on data that is no longer current.
		return true, t.cause
	}
	if ferr != nil {
		return false, ferr
	}
	if t.broken != nil {
		// fn carried on after a statement failed, and the transaction cannot commit.
		return false, t.broken
	}
	if err := t.commit(); err != nil {
		return isRetryable(err), translate(ctx, err)
	}
	return false, nil
}

// Every write transaction takes a lock on the event counter's table before anything else:
// optimistic ones a mode they share with one another, queued ones a mode that excludes every
// other writer. A queued transaction therefore waits only at its start, holding nothing,
// until the writers in flight have finished, and then runs alone among writers (readers are
// not affected); new writers wait behind it, at their start too. So no writer ever waits
// mid-transaction for a queued one while holding what that one needs, and the two modes
// cannot deadlock — PostgreSQL would take deadlock_timeout (1 s) to notice one.
const (
	lockEventSeqShared    = `LOCK TABLE event_seq IN ROW EXCLUSIVE MODE`
	lockEventSeqExclusive = `LOCK TABLE event_seq IN EXCLUSIVE MODE`
)

// View runs fn in a REPEATABLE READ, READ ONLY transaction: every read of fn sees the same
// snapshot, and a read-only transaction never fails for a concurrent writer.
func (s *Store) View(ctx context.Context, fn func(tx directory.ReadTx) error) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return translate(ctx, err)
	}
	defer conn.Release()
	t := &txn{ctx: ctx, conn: conn, opts: pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}}
	defer t.rollback()
	if err := fn(t); err != nil {
		return err
	}
	if t.broken != nil {
		return t.broken
	}
	if err := t.commit(); err != nil {
		return translate(ctx, err)
	}
	return nil
}

// SQLSTATE codes that the store acts on.
const (
	codeSerializationFailure = "40001"
	codeDeadlock             = "40P01"
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeUntranslatableChar   = "22P05" // \u0000 in a jsonb string
	codeCharNotInRepertoire  = "22021" // a NUL byte or invalid UTF-8 in text
)

func isRetryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == codeSerializationFailure || pe.Code == codeDeadlock)
}

// errConcurrent is what a statement returns to fn when a concurrent writer made the
// transaction fail; Update then runs fn again, so it is seen by a caller only when that keeps
// happening.
var errConcurrent = errors.New("postgres: a concurrent transaction changed the data this one read")

// translate turns a driver error into an error of the directory's vocabulary. No pgx or pgconn
// error crosses the Store seam: callers match directory sentinels and context errors only.
func translate(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return directory.ErrNotFound
	}
	if ctxErr := ctx.Err(); ctxErr != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err)) {
		return ctxErr
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case codeSerializationFailure, codeDeadlock:
			return errConcurrent
		case codeUniqueViolation:
			return conflictFromConstraint(pe)
		case codeForeignKeyViolation:
			// Only group_members has foreign keys: a member that is not (or no longer) a user.
			return directory.Invalidf("a group member is not a user")
		case codeUntranslatableChar, codeCharNotInRepertoire:
			return directory.Invalidf("a value contains a NUL character or invalid UTF-8, which PostgreSQL cannot store")
		}
	}
	return fmt.Errorf("postgres: %v", plainError(err))
}

// conflictFromConstraint names the field of a unique constraint. Writes check uniqueness
// before they write, so this is reached only when a concurrent writer took the value after
// the check and Update ran out of attempts.
func conflictFromConstraint(pe *pgconn.PgError) error {
	field := map[string]string{
		"users_user_name_key":     "userName",
		"users_identity_key":      "identity",
		"groups_display_name_key": "displayName",
		"tokens_hash_key":         "token",
		"org_domains_pkey":        "domain",
	}[pe.ConstraintName]
	if field == "" {
		field = "id"
	}
	return &directory.ConflictError{Field: field, Value: pe.Detail}
}

// plainError flattens a driver error into its message, so that errors.As cannot reach the
// driver's types through it.
func plainError(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s (SQLSTATE %s)", pe.Message, pe.Code)
	}
	return errors.New(err.Error())
}
