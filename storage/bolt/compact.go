package bolt

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bbolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// compactTxSize is how much Compact copies per write transaction.
const compactTxSize = 64 << 20

// Compact reclaims the space of the Roster data file at path. bbolt never shrinks a file: the
// pages that deleted and rewritten records leave free are reused, not returned. Compact copies
// the live data into a new file beside it (bbolt's Compact), checks that every bucket holds as
// many keys as before, makes the copy durable and renames it over the original, so that a crash
// at any point leaves either the old file or the new one, never half of either. The server
// must be stopped: the file is opened with a lock that a running Roster holds.
func Compact(path string) (before, after int64, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, 0, err
	}
	before = fi.Size()
	src, err := bbolt.Open(path, 0, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return 0, 0, fmt.Errorf("%s is in use by a running Roster; stop it first", path)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("opening %s: %w", path, err)
	}
	srcOpen := true
	defer func() {
		if srcOpen {
			src.Close()
		}
	}()
	want, err := keyCounts(src)
	if err != nil {
		return 0, 0, err
	}
	if want == nil {
		return 0, 0, fmt.Errorf("%s is not a Roster database", path)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".compact-*")
	if err != nil {
		return 0, 0, err
	}
	tmpPath := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpPath) // a no-op after the rename
	dst, err := bbolt.Open(tmpPath, fi.Mode().Perm(), &bbolt.Options{Timeout: time.Second})
	if err != nil {
		return 0, 0, err
	}
	if err := bbolt.Compact(dst, src, compactTxSize); err != nil {
		dst.Close()
		return 0, 0, fmt.Errorf("compacting %s: %w", path, err)
	}
	got, err := keyCounts(dst)
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, 0, err
	}
	for b, n := range want {
		if got[b] != n {
			return 0, 0, fmt.Errorf("the compacted copy of %s has %d keys in %s, the original %d; the original is left as it was", path, got[b], b, n)
		}
	}
	srcOpen = false
	if err := src.Close(); err != nil {
		return 0, 0, err
	}
	if err := os.Rename(tmpPath, path); err != nil {
		return 0, 0, err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	fi, err = os.Stat(path)
	if err != nil {
		return 0, 0, err
	}
	return before, fi.Size(), nil
}

// keyCounts counts the keys of every top-level bucket; nil if the file is not Roster's.
func keyCounts(db *bbolt.DB) (map[string]int, error) {
	counts := map[string]int{}
	err := db.View(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bMeta)
		if meta == nil || string(meta.Get([]byte("format"))) != formatMarker {
			counts = nil
			return nil
		}
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			counts[string(name)] = b.Stats().KeyN
			return nil
		})
	})
	return counts, err
}
