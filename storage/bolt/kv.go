package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"sync"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/rosterhq/roster/directory"
)

// kvKey is a KV entry's key: the namespace, a zero byte, the key. Namespaces are the
// directory's own constants and hold no zero byte, and the key is last, so the layout is
// length-safe as it is; it is the layout of format 1, kept.
func kvKey(ns, k string) []byte { return []byte(ns + "\x00" + k) }

// A KV value is stored as 8 bytes of expiry (Unix nanoseconds, 0 for none) then the value.
func kvEncode(value []byte, expires time.Time) []byte {
	out := make([]byte, 8+len(value))
	if !expires.IsZero() {
		binary.BigEndian.PutUint64(out, uint64(expires.UnixNano()))
	}
	copy(out[8:], value)
	return out
}

func kvDecode(raw []byte, now time.Time) ([]byte, bool) {
	if len(raw) < 8 {
		return nil, false
	}
	exp := binary.BigEndian.Uint64(raw)
	if exp != 0 && now.UnixNano() >= int64(exp) {
		return nil, false
	}
	return append([]byte{}, raw[8:]...), true
}

func (t *txn) KV(ns, k string, now time.Time) ([]byte, error) {
	v, ok := kvDecode(t.tx.Bucket(bKV).Get(kvKey(ns, k)), now)
	if !ok {
		return nil, directory.ErrNotFound
	}
	return v, nil
}

func (t *txn) ScanKV(ns string, now time.Time, fn func(key string, value []byte) error) error {
	return t.scanPrefix(bKV, append([]byte(ns), 0), nil, func(k, raw []byte) error {
		v, ok := kvDecode(raw, now)
		if !ok {
			return nil
		}
		return fn(string(k), v)
	})
}

func (t *txn) PutKV(ns, k string, value []byte, expires time.Time) error {
	return t.tx.Bucket(bKV).Put(kvKey(ns, k), kvEncode(value, expires))
}

func (t *txn) InsertKV(ns, k string, value []byte, expires, now time.Time) error {
	if _, ok := kvDecode(t.tx.Bucket(bKV).Get(kvKey(ns, k)), now); ok {
		return &directory.ConflictError{Field: ns, Value: k}
	}
	return t.PutKV(ns, k, value, expires)
}

func (t *txn) DeleteKV(ns, k string) error { return t.tx.Bucket(bKV).Delete(kvKey(ns, k)) }

// purgeVisits bounds the entries one PurgeKV looks at. bbolt has no index of expiries, and a
// write transaction that reads every entry holds up every other writer while it does: a
// million live sessions took 0.1–0.3 s each time. In slices, other writers' calls run
// between them.
var purgeVisits = 20_000

// purgeCursor is where a store's next PurgeKV goes on looking.
type purgeCursor struct {
	mu   sync.Mutex
	from []byte // nil: from the first entry
}

func (t *txn) PurgeKV(now time.Time, limit int) (int, bool, error) {
	var from []byte
	visits := purgeVisits
	if t.purge != nil {
		t.purge.mu.Lock()
		from = t.purge.from
		t.purge.mu.Unlock()
	} else {
		visits = math.MaxInt // nowhere to keep the place: every entry, from the first
	}
	c := t.tx.Bucket(bKV).Cursor()
	k, v := c.First()
	if from != nil {
		k, v = c.Seek(from)
	}
	var expired [][]byte
	for visited := 0; k != nil && len(expired) < limit && visited < visits; k, v = c.Next() {
		visited++
		if _, ok := kvDecode(v, now); !ok {
			expired = append(expired, bytes.Clone(k))
		}
	}
	next := bytes.Clone(k) // the first entry not looked at; nil when the pass reached the end
	for _, k := range expired {
		if err := t.tx.Bucket(bKV).Delete(k); err != nil {
			return 0, false, err
		}
	}
	if t.purge != nil {
		t.purge.mu.Lock()
		t.purge.from = next
		t.purge.mu.Unlock()
	}
	return len(expired), next != nil, nil
}

// ListKV calls fn for every KV entry with its namespace and expiry (zero for none), expired
// ones included, so that storage/migrate can copy the whole KV space.
func (s *Store) ListKV(ctx context.Context, fn func(ns, key string, value []byte, expires time.Time) error) error {
	return s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bKV).ForEach(func(k, raw []byte) error {
			ns, key, ok := bytes.Cut(k, []byte{0})
			if !ok || len(raw) < 8 {
				return nil
			}
			var exp time.Time
			if n := binary.BigEndian.Uint64(raw); n != 0 {
				exp = time.Unix(0, int64(n)).UTC()
			}
			return fn(string(ns), string(key), append([]byte{}, raw[8:]...), exp)
		})
	})
}
