package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Planner statistics. PostgreSQL plans a statement for the table sizes its statistics record,
// and a prepared statement — every statement of this store, as pgx prepares and caches them
// per connection — keeps the generic plan it settled on after its first executions until the
// statistics of a table it reads change. Plans made while a table was nearly empty read it
// whole: with no statistics kept up to date, a first import into a fresh database (an IdP's
// first sync of 30,000 users) slowed from 570 creates/s to 25/s, as each of a create's three
// look-ups of a user read every user through an index that does not narrow them down.
//
// Autovacuum analyzes a table once its rows changed since the last analysis pass 50 plus 10%
// of its rows (by default), but looks at most once a minute (autovacuum_naptime) and only when
// it is on. The store applies that default threshold to its own tables, whatever the server's
// or the table's autovacuum settings, at most once a second while it writes, and runs ANALYZE
// itself; autovacuum then finds nothing left to analyze. The plans cached on every connection
// of every replica are made again at their next use.
//
// ANALYZE runs with SKIP_LOCKED: a table that another session holds — autovacuum vacuuming it,
// an administrator's VACUUM or CREATE INDEX — is passed over until the next look rather than
// waited for. Waiting would hold a connection and the replicas' analysis lock for as long, and
// would cancel autovacuum's VACUUM of the table after deadlock_timeout, as any session waiting
// for its lock does, which on a busy table would happen again at every look.

// statsEvery is the least time between two looks at the tables' statistics, and statsTimeout
// the most one look may take.
const (
	statsEvery   = time.Second
	statsTimeout = time.Minute
)

// staleTables lists the tables of the store's schema, owned by its role (ANALYZE skips others
// with a warning), whose rows changed since their last analysis by more than autovacuum's
// default threshold: 50 plus 10% of the rows last counted (a table never analyzed counts none).
//
// It leaves out the tables that hold no directory data: the inbox of events awaiting numbers,
// which every numbering run empties and reads whole (analyzing it each second of a busy
// minute would be wasted, and would hold up numbering's own VACUUM of it), and the one-row
// tables, which the statements reading them do not rely on statistics for.
const staleTables = `
SELECT format('%I.%I', s.schemaname, s.relname)
FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
WHERE s.schemaname = current_schema() AND pg_has_role(c.relowner, 'USAGE')
  AND s.relname NOT IN ('event_inbox', 'event_seq', 'writer_turns', 'settings_version', 'schema_migrations')
  AND s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0)
ORDER BY s.relname`

// analyzeLock keeps replicas of one schema from analyzing its tables at the same time.
const analyzeLock = `hashtextextended('roster analyze ' || current_schema(), 0)`

// statsKeeper analyzes the store's tables as they change (see above). Writes tell it they
// committed; it looks at most once per statsEvery, and not at all while nothing is written.
type statsKeeper struct {
	pool    *pgxpool.Pool
	wrote   chan struct{}
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once
	log     atomic.Pointer[slog.Logger] // nil: failures go unreported
}

// statsReportEvery is the least time between two reports of the same failure: a look that
// fails fails again at every write's look, once a second.
const statsReportEvery = 10 * time.Minute

func newStatsKeeper(pool *pgxpool.Pool) *statsKeeper {
	k := &statsKeeper{pool: pool, wrote: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	go k.loop()
	return k
}

// written tells the keeper that a write committed. It never blocks.
func (k *statsKeeper) written() {
	select {
	case k.wrote <- struct{}{}:
	default:
	}
}

func (k *statsKeeper) close() {
	k.once.Do(func() {
		close(k.stop)
		<-k.stopped
	})
}

func (k *statsKeeper) loop() {
	defer close(k.stopped)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-k.stop
		cancel()
	}()
	var reported failureReport
	for {
		select {
		case <-k.stop:
			return
		case <-k.wrote:
		}
		// A failure (the database restarting, say) is left to the next write's look, and
		// reported, once per statsReportEvery while it lasts.
		analyzed, looked, err := k.look(ctx)
		k.report(analyzed, looked, err, &reported)
		select {
		case <-k.stop:
			return
		case <-time.After(statsEvery):
		}
	}
}

// failureReport is the failure the keeper warned of last, when, and whether its end is still
// to be told.
type failureReport struct {
	msg  string
	at   time.Time
	open bool
}

// report logs what a look analyzed (at debug level) and its failure: a failure is warned of
// at once, the same one again only once statsReportEvery has passed since, even across
// recoveries, so that a failure that comes and goes is not told every second; the first look
// that succeeds after a warning says so. A look that did not happen (another replica's turn)
// tells nothing.
func (k *statsKeeper) report(analyzed []string, looked bool, err error, last *failureReport) {
	log := k.log.Load()
	if log == nil || errors.Is(err, context.Canceled) || (!looked && err == nil) {
		return
	}
	if len(analyzed) > 0 {
		log.Debug("analyzed tables whose rows changed, for the planner", "tables", analyzed)
	}
	switch {
	case err == nil && last.open:
		log.Info("the planner's statistics are kept up to date again")
		last.open = false
	case err != nil && (err.Error() != last.msg || time.Since(last.at) >= statsReportEvery):
		log.Warn("could not bring the planner's statistics up to date; lookups may slow down as tables grow until this is fixed or autovacuum analyzes them",
			"err", err, "analyzed", analyzed, "next_report_in", statsReportEvery.String())
		*last = failureReport{msg: err.Error(), at: time.Now(), open: true}
	}
}

// analyze runs ANALYZE on the tables that changed enough since their last analysis, unless
// another replica is doing so, and returns their names; PostgreSQL passes over one that
// another session holds (SKIP_LOCKED), whose changes stay counted for the next look. A table
// that fails does not keep the others from their turn.
func (k *statsKeeper) analyze(ctx context.Context) ([]string, error) {
	analyzed, _, err := k.look(ctx)
	return analyzed, err
}

// look is analyze, and reports whether it looked: false when another replica held the turn.
func (k *statsKeeper) look(ctx context.Context) (analyzed []string, looked bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, statsTimeout)
	defer cancel()
	conn, err := k.pool.Acquire(ctx)
	if err != nil {
		return nil, false, err
	}
	defer conn.Release()
	var locked bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(`+analyzeLock+`)`).Scan(&locked); err != nil || !locked {
		return nil, false, err
	}
	defer func() {
		// Not ctx: the lock must be given back even when the look ran out of time.
		unlockCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(unlockCtx, `SELECT pg_advisory_unlock(`+analyzeLock+`)`); err != nil {
			// The lock is the session's: a connection that cannot say it is done goes.
			conn.Conn().Close(unlockCtx)
		}
	}()
	rows, err := conn.Query(ctx, staleTables)
	if err != nil {
		return nil, true, err
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, true, err
	}
	var errs []error
	for _, table := range tables {
		if _, err := conn.Exec(ctx, `ANALYZE (SKIP_LOCKED) `+table); err != nil {
			errs = append(errs, fmt.Errorf("analyzing %s: %w", table, err))
			continue
		}
		analyzed = append(analyzed, table)
	}
	return analyzed, true, errors.Join(errs...)
}
