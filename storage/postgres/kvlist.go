package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// ListKV calls fn for every KV entry of every namespace, expired or not, with its expiry (zero
// for none), in (namespace, key) order. The port's ScanKV cannot do this — it needs the
// namespace and hides expiries — and copying a store (storage/migrate) must keep both.
func (s *Store) ListKV(ctx context.Context, fn func(ns, key string, value []byte, expires time.Time) error) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return translate(ctx, err)
	}
	defer conn.Release()
	t := &txn{ctx: ctx, conn: conn, opts: pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}}
	defer t.rollback()
	type entry struct {
		ns, key string
		value   []byte
		expires *int64
	}
	scan := func(r pgx.CollectableRow) (entry, error) {
		var e entry
		err := r.Scan(&e.ns, &e.key, &e.value, &e.expires)
		return e, err
	}
	const columns = `SELECT ns, key, value, expires_unix_ns FROM kv `
	page, err := collect(t, scan, columns+`ORDER BY ns, key LIMIT $1`, pageSize)
	for {
		if err != nil {
			return err
		}
		for _, e := range page {
			var exp time.Time
			if e.expires != nil {
				exp = time.Unix(0, *e.expires).UTC()
			}
			if e.value == nil {
				e.value = []byte{}
			}
			if err := fn(e.ns, e.key, e.value, exp); err != nil {
				return stopScan(err)
			}
		}
		if len(page) < pageSize {
			return translate(ctx, t.commit())
		}
		last := page[len(page)-1]
		page, err = collect(t, scan, columns+`WHERE (ns, key) > ($1, $2) ORDER BY ns, key LIMIT $3`, last.ns, last.key, pageSize)
	}
}
