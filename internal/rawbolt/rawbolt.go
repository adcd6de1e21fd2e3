package rawbolt

import (
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/rosterhq/roster/storage/bolt"
)

// DB is a raw bbolt file with Roster's buckets.
type DB struct {
	db *bbolt.DB
}

// Open creates or opens the file at path, with Roster's buckets. Grouped callers share a
// transaction in groups of up to batch calls (at least 1).
func Open(path string, batch int) (*DB, error) {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, err
	}
	db.MaxBatchSize = max(batch, 1)
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, b := range bolt.Buckets() {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &DB{db: db}, nil
}

// Close closes the file.
func (d *DB) Close() error { return d.db.Close() }

func put(tx *bbolt.Tx, sets ...[]bolt.Write) error {
	for _, writes := range sets {
		for _, w := range writes {
			if err := tx.Bucket(w.Bucket).Put(w.Key, w.Value); err != nil {
				return err
			}
		}
	}
	return nil
}

// Commit puts writes in one transaction of their own.
func (d *DB) Commit(writes []bolt.Write) error {
	return d.db.Update(func(tx *bbolt.Tx) error { return put(tx, writes) })
}

// Grouped puts writes in a transaction shared with concurrent callers (bbolt's Batch).
func (d *DB) Grouped(writes []bolt.Write) error {
	return d.db.Batch(func(tx *bbolt.Tx) error { return put(tx, writes) })
}

// Load puts many sets of writes in one transaction, to fill a file before timing.
func (d *DB) Load(sets [][]bolt.Write) error {
	return d.db.Update(func(tx *bbolt.Tx) error { return put(tx, sets...) })
}
