package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
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
	// numbering numbers committed events (numbering.go); events tells the subscribers of this
	// store when any replica has numbered some (listener.go).
	numbering *numbering
	events    *listener
	closeOnce sync.Once
	// settings are the organizations and IdPs writers read, kept by version (settings.go).
	settings settingsCache
	// retries counts the attempts that were run again because of a concurrent writer.
	retries atomic.Int64
	// stats analyzes the tables as writes change them (stats.go).
	stats *statsKeeper
}

var _ directory.Store = (*Store)(nil)

// maxAttempts bounds how often Update runs a transaction that keeps losing to concurrent
// writers. From attempt queueFrom on a transaction runs alone among writers, so it cannot lose
// again; the bound is a safety net.
const maxAttempts = 30

// queueFrom is the first attempt that runs alone. A transaction that lost runs again
// concurrently once, after a random pause, and takes its turn alone only if it loses again;
// other writers wait for it only while it runs.
const queueFrom = 2

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
	// One channel per schema: replicas of one store hear one another, and stores in other
	// schemas of the database (tests, other installations) are not woken by them.
	var channel string
	if err := pool.QueryRow(ctx, `SELECT 'roster_events_' || md5(current_schema())`).Scan(&channel); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %v", plainError(err))
	}
	return &Store{pool: pool, numbering: newNumbering(cfg.ConnConfig, channel), events: newListener(cfg.ConnConfig, channel),
		stats: newStatsKeeper(pool)}, nil
}

// LogTo reports to log what the store does on its own: its keeping of the planner's
// statistics, and their failures.
func (s *Store) LogTo(log *slog.Logger) { s.stats.log.Store(log) }

// WritersRunTogether is true: PostgreSQL runs write transactions side by side, and a read
// before one costs round trips of its own.
func (s *Store) WritersRunTogether() bool { return true }

// Close stops numbering and listening and closes every connection of the pool, waiting for
// those in use to be released.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.events.close()
		s.numbering.close()
		s.stats.close()
		s.pool.Close()
	})
	return nil
}

// OnEvents registers fn to be called whenever any replica has made new events readable, so
// that long polls and webhook workers here wake for another replica's writes
// (directory.EventNotifier). fn is called from the listener's goroutine and must not block.
func (s *Store) OnEvents(fn func()) { s.events.subscribe(fn) }

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

// Update runs fn in a transaction and commits it.
//
// Replicas writing at once must interleave only in ways equivalent to one writer after
// another, which is what the bbolt store gives by having a single writer and what the
// directory's rules assume. Two kinds of write get there two ways:
//
//   - The writes of the directory's traffic — SCIM, sign-ins, sessions, one-time keys,
//     webhook cursors — run concurrently at REPEATABLE READ. What they must not do at once is
//     backed by the database: unique indexes (one identity, one userName, one group name, one
//     key), foreign keys (members are users), and write-write conflicts (two changes of one
//     row: the second fails). When PostgreSQL refuses a transaction for such a reason, Update
//     rolls it back and runs fn again on fresh data, as the port allows; run again, it sees
//     the winner and decides as a single writer after it would have.
//   - A transaction that changes what the others decide by — an organization, an IdP or a
//     token (PutOrg, DeleteOrg, PutIdP, DeleteIdP, PutToken, DeleteToken) — runs alone among
//     writers: at its first such write it is rolled back and run again after taking the
//     writers' lock exclusively, which waits for the writers in flight and holds new ones
//     back until it commits. Its reads (counting an IdP's users before deleting it, say) then
//     cannot be overtaken by a writer, which snapshot isolation alone would allow.
//
// Serializable isolation would give the same guarantee to every transaction, but PostgreSQL
// tracks a serializable transaction's reads page by page, so concurrent creates that insert
// next to one another in an index (users created in userName order, as an IdP's first sync
// sends them) fail each other most of the time although they touch different rows.
func (s *Store) Update(ctx context.Context, fn func(tx directory.Tx) error) error {
	var last error
	alone := false
	for attempt := range maxAttempts {
		r := s.attempt(ctx, fn, alone || attempt >= queueFrom)
		switch {
		case r.alone && !alone:
			// fn changes settings; run it again, alone, at once.
			alone = true
			continue
		case !r.retry:
			if r.err == nil {
				s.stats.written()
			}
			if r.err == nil && r.appended {
				// The caller reads its own events once Update returns, as with numbers taken
				// inside the transaction.
				s.numbering.await(ctx)
			}
			return r.err
		}
		s.retries.Add(1)
		last = r.err
		if err := pause(ctx, attempt+1); err != nil {
			return err
		}
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

// outcome is how one attempt of Update ended. retry says that it failed only because of
// concurrent writers and should run again; alone, that fn changes settings and must run alone
// among writers; appended, that it committed events which are not numbered yet (a commit
// numbers them itself when no numbering runs, numbering.lead).
type outcome struct {
	err                    error
	retry, alone, appended bool
}

// attempt runs fn once, alone among writers when alone is set: the transaction then first takes
// the writers' lock in exclusive mode, before its snapshot is taken. A transaction that lost
// twice to concurrent writers runs alone too, so that it takes its turn instead of failing
// over and over. Reads (View) never wait for the lock.
func (s *Store) attempt(ctx context.Context, fn func(tx directory.Tx) error, alone bool) outcome {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return outcome{err: translate(ctx, err)}
	}
	defer conn.Release()
	t := &txn{ctx: ctx, conn: conn, opts: pgx.TxOptions{IsoLevel: pgx.RepeatableRead}, opening: []string{lockWritersShared},
		alone: alone, settings: &s.settings, version: -1, assumed: -1}
	if alone {
		t.opening, t.settings = []string{lockWritersExclusive}, nil
	}
	defer t.rollback()
	ferr := fn(t)
	// What fn decided on kept settings stands only if they were its snapshot's.
	_ = t.verifyAssumed()
	switch {
	case t.needsAlone:
		// Whatever fn made of the refused write, it runs again, alone.
		return outcome{alone: true}
	case t.retry:
		// The database refused a statement because of a concurrent writer. Whatever fn made of
		// that error, its decisions were taken on data that is no longer current.
		return outcome{retry: true, err: t.cause}
	case ferr != nil:
		return outcome{err: ferr}
	case t.broken != nil:
		// fn carried on after a statement failed, and the transaction cannot commit.
		return outcome{err: t.broken}
	}
	if t.appended && s.numbering.lead() {
		t.numberOn = s.numbering.channel
		defer func() { s.numbering.follow(t.moved) }()
	}
	if err := t.commit(); err != nil {
		// A write sent with the commit (txn.later) fails as a statement does (txn.fail).
		return outcome{retry: lostToConcurrentWriter(err), err: translate(ctx, err)}
	}
	return outcome{appended: t.appended && !t.numbered}
}

// Every write transaction takes a lock on the table writer_turns before anything else:
// optimistic ones a mode they share with one another, queued ones a mode that excludes every
// other writer. A queued transaction therefore waits only at its start, holding nothing, until
// the writers in flight have finished, and then runs alone among writers (readers and event
// numbering are not affected); new writers wait behind it, at their start too. So no writer
// ever waits mid-transaction for a queued one while holding what that one needs, and the two
// modes cannot deadlock — PostgreSQL would take deadlock_timeout (1 s) to notice one. LOCK is
// not a query, so the transaction's snapshot starts after it.
const (
	lockWritersShared    = `LOCK TABLE writer_turns IN ROW EXCLUSIVE MODE`
	lockWritersExclusive = `LOCK TABLE writer_turns IN EXCLUSIVE MODE`
)

// View runs fn in a REPEATABLE READ, READ ONLY transaction: every read of fn sees the same
// snapshot, and a read-only transaction never fails for a concurrent writer.
//
// What fn read is settled when it returns: a read-only transaction has nothing to commit
// that could fail for it, so View returns without waiting for its COMMIT, which is answered
// while the caller goes on (a round trip less for every read request); the connection goes
// back to the pool once it is. Should the COMMIT fail, the pool discards the connection.
func (s *Store) View(ctx context.Context, fn func(tx directory.ReadTx) error) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return translate(ctx, err)
	}
	t := &txn{ctx: ctx, conn: conn, opts: pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}}
	committing := false
	defer func() {
		// Unless the COMMIT took them over: also when fn panics, which the server recovers
		// from, the transaction ends and the connection goes back.
		if !committing {
			t.rollback()
			conn.Release()
		}
	}()
	err = fn(t)
	if err == nil {
		err = t.broken
	}
	if err == nil && len(t.deferred) > 0 {
		// Writes wait to be sent with the next statement (txn.later); in a read transaction
		// they are a mistake, which PostgreSQL would have refused.
		err = errors.New("postgres: a write in a read-only transaction")
	}
	if err != nil || t.tx == nil {
		return err
	}
	committing = true
	// pool.Close waits for the connection (Close).
	go func() {
		if err := t.tx.Commit(context.WithoutCancel(ctx)); err != nil {
			// A connection whose COMMIT failed may be in any state: it is closed rather than
			// reused.
			_ = conn.Conn().Close(context.Background())
		}
		conn.Release()
	}()
	return nil
}

// kvUser is ReadKVUser's one statement, sent outside a transaction: a single statement reads
// one snapshot by itself, so it needs neither BEGIN nor COMMIT.
const kvUser = `SELECT k.value, u.doc FROM kv k
	LEFT JOIN LATERAL (SELECT convert_from(k.value, 'UTF8')::jsonb -> $4::text AS ref) r ON true
	LEFT JOIN users u ON jsonb_typeof(r.ref) = 'string' AND u.id = r.ref #>> '{}'
	WHERE k.ns = $1 AND k.key = $2 AND (k.expires_unix_ns IS NULL OR k.expires_unix_ns > $3)`

// ReadKVUser reads the entry and its user in one round trip. A value that is not JSON in
// UTF-8 makes the statement fail; the entry is then read alone, with no user, as
// directory.ReadKVUserIn answers for it.
func (s *Store) ReadKVUser(ctx context.Context, ns, key string, now time.Time, userField string) ([]byte, directory.User, error) {
	var value, doc []byte
	err := s.pool.QueryRow(ctx, kvUser, ns, key, now.UnixNano(), userField).Scan(&value, &doc)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && strings.HasPrefix(pe.Code, "22") { // a data exception: not JSON, or not UTF-8
		err = s.pool.QueryRow(ctx, `SELECT value FROM kv WHERE ns = $1 AND key = $2
			AND (expires_unix_ns IS NULL OR expires_unix_ns > $3)`, ns, key, now.UnixNano()).Scan(&value)
		doc = nil
	}
	if err != nil {
		return nil, directory.User{}, translate(ctx, err)
	}
	if value == nil {
		value = []byte{}
	}
	if doc == nil {
		return value, directory.User{}, nil
	}
	u, err := userOf(doc)
	return value, u, err
}

// ReadTokenByHash reads the token and its IdP with one statement outside a transaction.
func (s *Store) ReadTokenByHash(ctx context.Context, hash []byte) (directory.Token, directory.IdP, error) {
	var rawToken, rawIdP []byte
	err := s.pool.QueryRow(ctx, `SELECT t.doc, i.doc FROM tokens t LEFT JOIN idps i ON t.idp <> '' AND i.id = t.idp
		WHERE t.hash = $1`, hash).Scan(&rawToken, &rawIdP)
	if err != nil {
		return directory.Token{}, directory.IdP{}, translate(ctx, err)
	}
	var tok directory.Token
	var idp directory.IdP
	if err := decode(rawToken, &tok); err != nil {
		return directory.Token{}, directory.IdP{}, err
	}
	tok = directory.UpgradeStoredToken(tok)
	if rawIdP != nil {
		if err := decode(rawIdP, &idp); err != nil {
			return directory.Token{}, directory.IdP{}, err
		}
		idp.Org = directory.OrgOrDefault(idp.Org)
	}
	return tok, idp, nil
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

// lostToConcurrentWriter reports whether a statement, or a commit, failed because a
// concurrent writer changed the data after the transaction's snapshot, so that running it
// again is the answer. A serialization failure or a deadlock says so. So does a unique or
// foreign key violation: every write checks uniqueness and references in the snapshot before
// it writes, or knows from what it read that the snapshot holds no clash (a write sent with
// the commit), so the violation is one in all but name. Run again, the check sees the
// winner's data and answers as a single writer would have.
func lostToConcurrentWriter(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case codeSerializationFailure, codeDeadlock, codeUniqueViolation, codeForeignKeyViolation:
		return true
	}
	return false
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
