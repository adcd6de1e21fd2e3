package bolt

import (
	"bytes"
	"encoding/json"
	"errors"

	bbolt "go.etcd.io/bbolt"

	"github.com/rosterhq/roster/directory"
)

// txn implements directory.Tx (and so ReadTx) on one bbolt transaction. Records are JSON
// documents; index entries are keys made of several values (key). cache, when set, is the
// store's cache of decoded IdPs and organizations.
type txn struct {
	tx      *bbolt.Tx
	cache   *decodedCaches
	purge   *purgeCursor
	states  *userStates  // the store's figures of CountUserStates (nil: read every user)
	changes stateChanges // what a write transaction changed of them
}

// Index keys are length-safe: no value can extend into the next one, whatever bytes it holds.
// Every part but the last is escaped (a zero byte becomes 0x00 0xFF) and ends with 0x00 0x01,
// which an escaped value never contains; the last part is written as is. So a key has one
// reading only, the key of a prefix of the parts is a prefix of the key and of no other
// tuple's, and keys sort as their tuples do — byte order part by part, as in PostgreSQL's
// COLLATE "C" — which keeps scans in the same order on both backends. (Joining values with a
// plain zero byte let an email ending in NUL match another user's lookup.)
const (
	escByte   = 0x00
	escZero   = 0xFF // 0x00 0xFF is a zero byte of the value
	escEndsAt = 0x01 // 0x00 0x01 ends a value
)

// prefix encodes parts, every one escaped and terminated: the start of every key whose
// leading parts they are.
func prefix(parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += len(p) + 2
	}
	out := make([]byte, 0, n+16)
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			if p[i] == escByte {
				out = append(out, escByte, escZero)
			} else {
				out = append(out, p[i])
			}
		}
		out = append(out, escByte, escEndsAt)
	}
	return out
}

// key encodes an index key: prefix(all parts but the last), then the last part as is.
func key(parts ...string) []byte {
	if len(parts) == 0 {
		return nil
	}
	last := parts[len(parts)-1]
	return append(prefix(parts[:len(parts)-1]...), last...)
}

// has reports whether b holds key k. An index entry that names nothing holds no value, and in
// the transaction that put it, Get reads such an entry as absent; a cursor finds it.
func has(b *bbolt.Bucket, k []byte) bool {
	found, _ := b.Cursor().Seek(k)
	return bytes.Equal(found, k)
}

func (t *txn) get(bucket []byte, k []byte, v any) error {
	raw := t.tx.Bucket(bucket).Get(k)
	if raw == nil {
		return directory.ErrNotFound
	}
	return json.Unmarshal(raw, v)
}

func (t *txn) put(bucket []byte, k []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return t.tx.Bucket(bucket).Put(k, raw)
}

// scanPrefix calls fn with the key suffix after prefix for each key starting with prefix,
// from the first key after start (start is a full key; nil from the beginning).
func (t *txn) scanPrefix(bucket, prefix, start []byte, fn func(k, v []byte) error) error {
	c := t.tx.Bucket(bucket).Cursor()
	var k, v []byte
	if start != nil {
		k, v = c.Seek(start)
		if k != nil && bytes.Equal(k, start) {
			k, v = c.Next()
		}
	} else {
		k, v = c.Seek(prefix)
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := fn(k[len(prefix):], v); err != nil {
			if errors.Is(err, directory.ErrStopScan) {
				return nil
			}
			return err
		}
	}
	return nil
}
