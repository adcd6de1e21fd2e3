package rawbolt

import (
	"path/filepath"
	"sync"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/rosterhq/roster/storage/bolt"
)

// Commit, Grouped and Load put exactly the writes they are given, each in the bucket named.
func TestWritesLandInTheirBuckets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "raw.db")
	db, err := Open(path, 4)
	if err != nil {
		t.Fatal(err)
	}
	w := func(bucket, k string) []bolt.Write {
		return []bolt.Write{{Bucket: []byte(bucket), Key: []byte(k), Value: []byte("v-" + k)}}
	}
	if err := db.Commit(w("users", "a")); err != nil {
		t.Fatal(err)
	}
	if err := db.Load([][]bolt.Write{w("events", "b"), w("users_by_idp", "c")}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, k := range []string{"d", "e", "f", "g", "h"} {
		wg.Go(func() {
			if err := db.Grouped(w("kv", k)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	want := map[string]string{"users/a": "v-a", "events/b": "v-b", "users_by_idp/c": "v-c", "kv/d": "v-d", "kv/e": "v-e", "kv/f": "v-f", "kv/g": "v-g", "kv/h": "v-h"}
	got := map[string]string{}
	if err := raw.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error { got[string(name)+"/"+string(k)] = string(v); return nil })
		})
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("the file holds %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}
