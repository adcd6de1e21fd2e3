package bolt

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	bbolt "go.etcd.io/bbolt"

	"github.com/rosterhq/roster/directory"
)

// txn implements directory.Tx (and so ReadTx) on one bbolt transaction. Records are JSON
// documents; index entries are keys whose parts are joined by a zero byte (key).
type txn struct{ tx *bbolt.Tx }

func key(parts ...string) []byte { return []byte(strings.Join(parts, "\x00")) }

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
