package bolt_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/storage/bolt"
)

// rawPutRate is the physical baseline: how many one-key bbolt transactions, each with its own
// fsync, this disk does per second right now. Every create benchmark measures it again in the
// same run and reports its own rate as a ratio to it, so the figures survive a noisy machine.
func rawPutRate(b *testing.B) float64 {
	b.Helper()
	db, err := bbolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const n = 300
	start := time.Now()
	for i := range n {
		if err := db.Update(func(tx *bbolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists([]byte("k"))
			if err != nil {
				return err
			}
			return bk.Put([]byte(fmt.Sprint(i)), []byte("value of about the size of a small record"))
		}); err != nil {
			b.Fatal(err)
		}
	}
	return n / time.Since(start).Seconds()
}

func newBenchService(b *testing.B) (*directory.Service, directory.SCIMActor) {
	b.Helper()
	st, err := bolt.Open(filepath.Join(b.TempDir(), "roster.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	svc := directory.New(st)
	ctx := context.Background()
	if _, err := svc.CreateIdP(ctx, "bench", directory.IdP{ID: "okta", Protocol: directory.ProtocolSAML, Mode: directory.ModeBoth}); err != nil {
		b.Fatal(err)
	}
	tok, _, err := svc.CreateToken(ctx, "bench", directory.TokenSCIM, "okta", "bench", time.Time{})
	if err != nil {
		b.Fatal(err)
	}
	return svc, directory.SCIMActor{IdP: "okta", TokenID: tok.ID}
}

func benchUser(i int64) directory.User {
	return directory.User{
		UserName: fmt.Sprintf("user%d@example.com", i), ExternalID: fmt.Sprintf("00u%d", i), Active: true,
		Name:   directory.Name{GivenName: "Given", FamilyName: fmt.Sprint("Family", i)},
		Emails: []directory.MultiValue{{Value: fmt.Sprintf("user%d@example.com", i), Type: "work", Primary: true}},
	}
}

func reportCreates(b *testing.B, start time.Time, n int64, raw float64) {
	rate := float64(n) / time.Since(start).Seconds()
	b.ReportMetric(rate, "creates/s")
	b.ReportMetric(raw, "raw_put_fsync/s")
	b.ReportMetric(rate/raw, "ratio_to_raw")
}

// BenchmarkRawPutFsync is the baseline on its own: one-key bbolt transactions with fsync.
func BenchmarkRawPutFsync(b *testing.B) {
	db, err := bbolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	i := 0
	start := time.Now()
	for b.Loop() {
		i++
		db.Update(func(tx *bbolt.Tx) error {
			bk, _ := tx.CreateBucketIfNotExists([]byte("k"))
			return bk.Put([]byte(fmt.Sprint(i)), []byte("value of about the size of a small record"))
		})
	}
	b.ReportMetric(float64(i)/time.Since(start).Seconds(), "puts/s")
}

// BenchmarkCreateSingleWriter: SCIM creates (user, five indexes, event) one after another.
func BenchmarkCreateSingleWriter(b *testing.B) {
	raw := rawPutRate(b)
	svc, actor := newBenchService(b)
	ctx := context.Background()
	var i int64
	start := time.Now()
	for b.Loop() {
		i++
		if _, err := svc.SCIMCreateUser(ctx, actor, benchUser(i)); err != nil {
			b.Fatal(err)
		}
	}
	reportCreates(b, start, i, raw)
}

// BenchmarkCreate32Writers: the same creates from 32 goroutines; group commit shares fsyncs.
func BenchmarkCreate32Writers(b *testing.B) {
	raw := rawPutRate(b)
	svc, actor := newBenchService(b)
	ctx := context.Background()
	var next int64
	b.SetParallelism((32 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := svc.SCIMCreateUser(ctx, actor, benchUser(atomic.AddInt64(&next, 1))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportCreates(b, start, next, raw)
}
