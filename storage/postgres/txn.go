package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rosterhq/roster/directory"
)

// txn implements directory.Tx (and so ReadTx) on one PostgreSQL transaction. The port's
// methods take no context, so the transaction carries the one given to Update or View.
type txn struct {
	ctx context.Context
	tx  pgx.Tx

	// retry is set when a statement failed because of a concurrent writer; cause is what to
	// report if the attempts run out.
	retry bool
	cause error
	// broken is the first error after which PostgreSQL aborted the transaction: later
	// statements fail, and the transaction cannot commit.
	broken error
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
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case codeSerializationFailure, codeDeadlock, codeUniqueViolation, codeForeignKeyViolation:
			// Every write checks uniqueness and references in the transaction's snapshot
			// before it writes, so a unique or foreign key violation means that a concurrent
			// transaction changed the data after the snapshot — a serialization failure in
			// all but name. Run again, the check sees the winner's data and answers as a
			// single writer would have.
			if !t.retry {
				t.retry, t.cause = true, e
			}
		}
	}
	if t.broken == nil {
		t.broken = e
	}
	return e
}

func (t *txn) exec(sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := t.tx.Exec(t.ctx, sql, args...)
	return tag, t.fail(err)
}

func decode(raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("postgres: a stored document does not decode: %v", err)
	}
	return nil
}

// getDoc reads the one jsonb document that sql selects into v.
func (t *txn) getDoc(v any, sql string, args ...any) error {
	var raw []byte
	if err := t.tx.QueryRow(t.ctx, sql, args...).Scan(&raw); err != nil {
		return t.fail(err)
	}
	return decode(raw, v)
}

// docs reads every jsonb document that sql selects, in order, into a non-nil slice.
func docs[T any](t *txn, sql string, args ...any) ([]T, error) {
	rows, err := t.tx.Query(t.ctx, sql, args...)
	if err != nil {
		return nil, t.fail(err)
	}
	raws, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return nil, t.fail(err)
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
