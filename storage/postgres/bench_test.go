package postgres_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/storage/postgres"
)

// The benchmarks mirror storage/bolt's, on a fresh schema of the database named by
// ROSTER_TEST_DATABASE_URL, so that the two backends' figures can stand side by side. Each
// reports its rate and how often transactions were run again for concurrent writers.

func newBenchService(b *testing.B) (*postgres.Store, *directory.Service, directory.SCIMActor) {
	b.Helper()
	st := openFresh(b)
	svc := directory.New(st)
	return st, svc, benchIdP(b, svc)
}

func benchUser(i int64) directory.User {
	return directory.User{
		UserName: fmt.Sprintf("user%d@example.com", i), ExternalID: fmt.Sprintf("00u%d", i), Active: true,
		Name:   directory.Name{GivenName: "Given", FamilyName: fmt.Sprint("Family", i)},
		Emails: []directory.MultiValue{{Value: fmt.Sprintf("user%d@example.com", i), Type: "work", Primary: true}},
	}
}

func report(b *testing.B, st *postgres.Store, start time.Time, n int64, unit string) {
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), unit)
	b.ReportMetric(float64(st.Retries())/float64(max(n, 1)), "retries/op")
}

// rawCommitRate is the physical baseline: how many one-row INSERT transactions, one after
// another, this server commits per second right now. Create benchmarks measure it again in
// the same run and report their rate as a ratio to it, so the figures survive a busy machine.
func rawCommitRate(b *testing.B) float64 {
	b.Helper()
	conn := pgxConnect(b, freshSchema(b))
	ctx := context.Background()
	if _, err := conn.Exec(ctx, `CREATE TABLE raw (k bigint PRIMARY KEY, v text)`); err != nil {
		b.Fatal(err)
	}
	const n = 300
	start := time.Now()
	for i := range n {
		if _, err := conn.Exec(ctx, `INSERT INTO raw (k, v) VALUES ($1, 'value of about the size of a small record')`, i); err != nil {
			b.Fatal(err)
		}
	}
	return n / time.Since(start).Seconds()
}

func reportCreates(b *testing.B, st *postgres.Store, start time.Time, n int64, raw float64) {
	rate := float64(n) / time.Since(start).Seconds()
	report(b, st, start, n, "creates/s")
	b.ReportMetric(raw, "raw_commit/s")
	b.ReportMetric(rate/raw, "ratio_to_raw")
}

// BenchmarkCreateSingleWriter: SCIM creates (user, indexes, event) one after another.
func BenchmarkCreateSingleWriter(b *testing.B) {
	raw := rawCommitRate(b)
	st, svc, actor := newBenchService(b)
	ctx := context.Background()
	var i int64
	start := time.Now()
	for b.Loop() {
		i++
		if _, err := svc.SCIMCreateUser(ctx, actor, benchUser(i)); err != nil {
			b.Fatal(err)
		}
	}
	reportCreates(b, st, start, i, raw)
}

// seedUsers stores n users directly, 500 to a transaction.
func seedUsers(b *testing.B, st *postgres.Store, n int) {
	b.Helper()
	for from := 0; from < n; from += 500 {
		err := st.Update(context.Background(), func(tx directory.Tx) error {
			for i := from; i < min(from+500, n); i++ {
				u := benchUser(int64(i))
				u.ID, u.IdP, u.UniqueUserID, u.Owner = fmt.Sprintf("u%07d", i), "okta", u.ExternalID, directory.OwnerSCIM
				if err := tx.PutUser(u); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

const lookupUsers = 10000

func lookup(b *testing.B, st *postgres.Store, i int64) {
	err := st.View(context.Background(), func(tx directory.ReadTx) error {
		_, err := tx.UserByUserName(directory.DefaultOrg, fmt.Sprintf("USER%d@example.com", i%lookupUsers))
		return err
	})
	if err != nil {
		b.Error(err)
	}
}

// BenchmarkUserByUserName: one lookup per read transaction among 10,000 users.
func BenchmarkUserByUserName(b *testing.B) {
	st := openFresh(b)
	seedUsers(b, st, lookupUsers)
	var i int64
	start := time.Now()
	for b.Loop() {
		i++
		lookup(b, st, i*7919)
	}
	report(b, st, start, i, "lookups/s")
}

// BenchmarkUserByUserName32Readers: the same lookups from 32 goroutines.
func BenchmarkUserByUserName32Readers(b *testing.B) {
	st := openFresh(b)
	seedUsers(b, st, lookupUsers)
	var next int64
	b.SetParallelism((32 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			lookup(b, st, atomic.AddInt64(&next, 1)*7919)
		}
	})
	report(b, st, start, next, "lookups/s")
}
