package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rosterhq/roster/directory"
)

// txn implements directory.Tx (and so ReadTx) on one PostgreSQL transaction. The port's
// methods take no context, so the transaction carries the one given to Update or View.
//
// The transaction is begun lazily, in the same round trip as its first statement (a pgx
// batch that begins a transaction), which saves one round trip per Update and View — a third
// of a single lookup's.
type txn struct {
	ctx  context.Context
	conn *pgxpool.Conn
	opts pgx.TxOptions
	// opening are statements to run right after BEGIN, before the first of fn's.
	opening []string
	// tx is nil until the first statement has been sent.
	tx pgx.Tx
	// deferred are writes whose result nothing waits for (events): they are sent with the
	// next statement, or with the commit, in its round trip. committed is set once a COMMIT
	// sent that way has succeeded.
	deferred  []*pgx.QueuedQuery
	committed bool

	// retry is set when a statement failed because of a concurrent writer; cause is what to
	// report if the attempts run out.
	retry bool
	cause error
	// broken is the first error after which PostgreSQL aborted the transaction: later
	// statements fail, and the transaction cannot commit.
	broken error
	// appended is set once the transaction has stored an event, which numbering must number
	// after the commit.
	appended bool
	// alone says the transaction runs alone among writers; needsAlone is set when it is not
	// and fn changed a setting, so that Update runs it again alone (Store.Update).
	alone, needsAlone bool

	// settings are the store's kept settings, for a writer that does not run alone; version
	// is settings_version in the transaction's snapshot and assumed the version of kept
	// settings it used before it knew, -1 while unknown or none (settings.go).
	// changedSettings is set by a settings write, which adds one to the version at commit.
	settings         *settingsCache
	version, assumed int64
	changedSettings  bool

	// numberOn, when set at commit, is the NOTIFY channel of a numbering transaction to run
	// right after the commit in the same round trip; numbered says that it succeeded.
	numberOn string
	numbered bool
	moved    int64

	// members are the member lists of the groups this transaction has read or written, as its
	// snapshot holds them, so that PutGroup can send what a write changes rather than the list
	// (groups.go). A statement that may change them otherwise forgets them.
	members map[string][]string
	// heads are the groups whose every member a read brought along (GroupHead of a group
	// within its limit), as read and as AddGroupMember and RemoveGroupMember left them since,
	// until the transaction writes them otherwise: Group answers from them and members
	// without a round trip.
	heads map[string]directory.Group
	// groupKeys are the IdP and folded displayName that each group this transaction has read
	// (alone, or among a user's groups) or written holds in it, until it deletes the group;
	// seenUsers the ids of the users it has read, who exist in it until it deletes a user. A
	// PutGroup that keeps its group's name and adds only such users cannot clash, and is sent
	// without a check; a look-up of groups by name whose every name they hold needs no
	// statement (groups.go).
	groupKeys map[string]groupKey
	seenUsers map[string]bool
	// tombstones are the tombstones UserByIdentity read with the identities' users (nil: none),
	// until the transaction writes a tombstone.
	tombstones map[directory.Identity][]byte
	// holders is who the transaction's reads showed holding userNames and identities, until
	// it writes a user: a PutUser they show no clash for is sent with the next round trip.
	holders holders
	// refs are the groups of the users a read-only transaction read (userWhere), or a write
	// transaction read by id (User) or identity (Arrival) since it last changed a group or a
	// membership, by user id.
	refs map[string][]directory.GroupRef
}

// errNeedsAlone is what a settings write returns in a transaction that does not run alone
// among writers; Update runs the transaction again, alone, whatever fn made of it.
var errNeedsAlone = errors.New("postgres: this change must run alone among writers")

// settings is called by the writes of organizations, IdPs and tokens, on which other
// transactions' decisions rest: they run only in a transaction alone among writers.
func (t *txn) settingsWrite() error {
	if t.alone {
		t.changedSettings = true
		return nil
	}
	t.needsAlone = true
	return errNeedsAlone
}

var _ directory.Tx = (*txn)(nil)

// pageSize is how many rows a scan reads at a time. Scans read page by page, not as one
// stream, because fn may call the transaction again while the scan is in progress, and a
// connection runs one statement at a time.
const pageSize = 256

// fail records a driver error and returns its translation. ErrNoRows is a plain ErrNotFound
// and leaves the transaction usable.
func (t *txn) fail(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return directory.ErrNotFound
	}
	e := translate(t.ctx, err)
	if lostToConcurrentWriter(err) && !t.retry {
		t.retry, t.cause = true, e
	}
	if t.broken == nil {
		t.broken = e
	}
	return e
}

// send sends b in the transaction, after the deferred writes, in one round trip. Before the
// first statement it begins the transaction in the same batch. The results of the opening
// statements and of the deferred writes are read here (a deferred write's failure is send's
// error), so the caller reads only b's.
func (t *txn) send(b *pgx.Batch) (pgx.BatchResults, error) {
	full := &pgx.Batch{}
	begin := t.tx == nil
	readsVersion := begin && t.settings != nil
	if begin {
		full.BeginTx(t.opts)
		for _, sql := range t.opening {
			full.Queue(sql)
		}
		if readsVersion {
			full.Queue(readVersion)
		}
	}
	full.QueuedQueries = append(full.QueuedQueries, t.deferred...)
	full.QueuedQueries = append(full.QueuedQueries, b.QueuedQueries...)
	deferred := len(t.deferred)
	t.deferred = nil
	var br pgx.BatchResults
	if begin {
		br = t.conn.SendBatch(t.ctx, full)
		t.tx = br.Tx()
	} else {
		br = t.tx.SendBatch(t.ctx, full)
	}
	fail := func(err error) (pgx.BatchResults, error) {
		_ = br.Close()
		return nil, err
	}
	if begin {
		for range 1 + len(t.opening) {
			if _, err := br.Exec(); err != nil {
				return fail(err)
			}
		}
		if readsVersion {
			if err := br.QueryRow().Scan(&t.version); err != nil {
				return fail(err)
			}
			t.checkAssumed()
		}
	}
	for range deferred {
		if _, err := br.Exec(); err != nil {
			return fail(err)
		}
	}
	return br, nil
}

// verifyAssumed makes sure that a transaction that used kept settings before sending anything
// learns its version before it commits or answers: it begins the transaction, reading the
// version, if no statement has.
func (t *txn) verifyAssumed() error {
	if t.assumed < 0 || t.tx != nil {
		return nil
	}
	br, err := t.send(&pgx.Batch{})
	if err != nil {
		return t.fail(err)
	}
	return t.fail(br.Close())
}

// direct reports whether a statement can go straight to the open transaction: nothing is
// waiting to be sent before it.
func (t *txn) direct() bool { return t.tx != nil && len(t.deferred) == 0 }

// later defers a write whose result nobody reads to the next round trip.
func (t *txn) later(sql string, args ...any) {
	t.deferred = append(t.deferred, &pgx.QueuedQuery{SQL: sql, Arguments: args})
}

// exec runs a statement that returns no rows.
func (t *txn) exec(sql string, args ...any) (pgconn.CommandTag, error) {
	if t.direct() {
		tag, err := t.tx.Exec(t.ctx, sql, args...)
		return tag, t.fail(err)
	}
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	br, err := t.send(b)
	if err != nil {
		return pgconn.CommandTag{}, t.fail(err)
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, t.fail(err)
}

// queryRow runs a statement that returns at most one row, scanned by Scan as with pgx's
// QueryRow: no row is pgx.ErrNoRows, returned as is for the caller to interpret.
func (t *txn) queryRow(sql string, args ...any) lazyRow {
	return lazyRow{t: t, sql: sql, args: args}
}

type lazyRow struct {
	t    *txn
	sql  string
	args []any
}

func (r lazyRow) Scan(dest ...any) error {
	t := r.t
	if t.direct() {
		return t.tx.QueryRow(t.ctx, r.sql, r.args...).Scan(dest...)
	}
	b := &pgx.Batch{}
	b.Queue(r.sql, r.args...)
	br, err := t.send(b)
	if err != nil {
		return err
	}
	err = br.QueryRow().Scan(dest...)
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return err
}

// collect runs a query and collects its rows with fn.
func collect[T any](t *txn, fn pgx.RowToFunc[T], sql string, args ...any) ([]T, error) {
	var rows pgx.Rows
	var err error
	done := func() error { return nil }
	if t.direct() {
		rows, err = t.tx.Query(t.ctx, sql, args...)
	} else {
		b := &pgx.Batch{}
		b.Queue(sql, args...)
		var br pgx.BatchResults
		if br, err = t.send(b); err == nil {
			done = br.Close
			rows, err = br.Query()
		}
	}
	if err != nil {
		_ = done()
		return nil, t.fail(err)
	}
	out, err := pgx.CollectRows(rows, fn)
	if derr := done(); err == nil {
		err = derr
	}
	if err != nil {
		return nil, t.fail(err)
	}
	return out, nil
}

// batch runs every statement of b, in one round trip.
func (t *txn) batch(b *pgx.Batch) error {
	br, err := t.send(b)
	if err != nil {
		return t.fail(err)
	}
	return t.fail(br.Close())
}

// commit commits the transaction, if any statement began it, with the deferred writes in
// the same round trip.
func (t *txn) commit() error {
	if t.changedSettings {
		t.later(bumpVersion)
	}
	if len(t.deferred) > 0 || t.numberOn != "" {
		b := &pgx.Batch{}
		b.Queue("COMMIT")
		if t.numberOn != "" {
			// Numbering of this transaction's events (and any other committed ones), in a
			// transaction of its own that starts once this one has committed (numbering.go).
			queueNumbering(b, t.numberOn)
		}
		br, err := t.send(b)
		if err != nil {
			return err
		}
		_, err = br.Exec()
		t.committed = err == nil
		if err == nil && t.numberOn != "" {
			// Should the numbering fail, the connection is left in its aborted transaction,
			// which the pool discards, and the events wait for the next numbering run.
			moved, err := readNumbering(br)
			t.numbered, t.moved = err == nil, moved
		}
		if cerr := br.Close(); err == nil && (t.numberOn == "" || t.numbered) {
			err = cerr
		}
		return err
	}
	if t.tx == nil {
		return nil
	}
	return t.tx.Commit(t.ctx)
}

// rollback ends the transaction if it is still open. It runs even when ctx is done, so that
// the connection goes back to the pool clean; the pool destroys a connection left in a
// transaction all the same.
func (t *txn) rollback() {
	if t.tx != nil && !t.committed {
		_ = t.tx.Rollback(context.WithoutCancel(t.ctx))
	}
}

func decode(raw []byte, v any) error {
	var err error
	switch v := v.(type) { // what is read most is read without reflection
	case *directory.User:
		err = directory.DecodeUserJSON(raw, v)
	case *directory.Event:
		err = directory.DecodeEventJSON(raw, v)
	default:
		err = json.Unmarshal(raw, v)
	}
	if err != nil {
		return fmt.Errorf("postgres: a stored document does not decode: %v", err)
	}
	return nil
}

// getDoc reads the one jsonb document that sql selects into v.
func (t *txn) getDoc(v any, sql string, args ...any) error {
	var raw []byte
	if err := t.queryRow(sql, args...).Scan(&raw); err != nil {
		return t.fail(err)
	}
	return decode(raw, v)
}

// docs reads every jsonb document that sql selects, in order, into a non-nil slice.
func docs[T any](t *txn, sql string, args ...any) ([]T, error) {
	raws, err := collect(t, pgx.RowTo[[]byte], sql, args...)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(raws))
	for _, raw := range raws {
		var v T
		if err := decode(raw, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// stopScan turns the ErrStopScan that ends a scan early into success.
func stopScan(err error) error {
	if errors.Is(err, directory.ErrStopScan) {
		return nil
	}
	return err
}

// nullIfEmpty stores "" as NULL, for columns where "none" must not collide with "none".
func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
