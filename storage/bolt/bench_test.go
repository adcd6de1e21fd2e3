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
	"github.com/rosterhq/roster/internal/teststore"
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
	st := teststore.Bolt(b)
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

// orgsStore is a store filled with orgs organizations of perOrg users each, every organization
// with one IdP in mode both and a SCIM actor of it; userNames repeat across organizations, as
// they may (R13). The users are written straight to the store, many per transaction, to keep
// the set-up short.
type orgsStore struct {
	svc    *directory.Service
	orgs   []string
	actors []directory.SCIMActor
	perOrg int
}

func fillOrgs(b *testing.B, orgs, perOrg int) orgsStore {
	b.Helper()
	st := teststore.Bolt(b)
	svc := directory.New(st)
	ctx := context.Background()
	out := orgsStore{svc: svc, perOrg: perOrg}
	for o := range orgs {
		org := fmt.Sprintf("org%02d", o)
		if _, err := svc.CreateOrg(ctx, "bench", directory.Organization{ID: org}); err != nil {
			b.Fatal(err)
		}
		idp := org + "-okta"
		if _, err := svc.CreateIdP(ctx, "bench", directory.IdP{ID: idp, Org: org, Protocol: directory.ProtocolSAML, Mode: directory.ModeBoth}); err != nil {
			b.Fatal(err)
		}
		tok, _, err := svc.CreateToken(ctx, "bench", directory.TokenSCIM, idp, "bench", time.Time{})
		if err != nil {
			b.Fatal(err)
		}
		out.orgs, out.actors = append(out.orgs, org), append(out.actors, directory.SCIMActor{IdP: idp, Org: org, TokenID: tok.ID})
		const chunk = 10_000
		for from := 0; from < perOrg; from += chunk {
			err := st.Update(ctx, func(tx directory.Tx) error {
				for i := from; i < min(from+chunk, perOrg); i++ {
					u := benchUser(int64(i))
					u.ID, u.Org, u.IdP, u.UniqueUserID, u.Owner = fmt.Sprintf("%s-%07d", org, i), org, idp, u.ExternalID, directory.OwnerSCIM
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
	return out
}

// BenchmarkOrganizations compares, in one run, a store of 10 organizations × 10,000 users with
// one of 1 organization × 100,000 users (issue 12's Measure): SCIM creates one after another,
// and userName lookups of existing users, each in a read transaction. Each iteration does one
// of each on both stores, so that both see the same machine; the ratios (ten organizations to
// one) should be within noise of 1.
func BenchmarkOrganizations(b *testing.B) {
	one, ten := fillOrgs(b, 1, 100_000), fillOrgs(b, 10, 10_000)
	ctx := context.Background()
	var createOne, createTen, lookupOne, lookupTen time.Duration
	lookup := func(s orgsStore, i int) time.Duration {
		org, name := s.orgs[i%len(s.orgs)], fmt.Sprintf("user%d@example.com", (i*7919)%s.perOrg)
		start := time.Now()
		err := s.svc.View(ctx, func(tx directory.ReadTx) error {
			_, err := tx.UserByUserName(org, name)
			return err
		})
		if err != nil {
			b.Fatalf("lookup of %s in %s: %v", name, org, err)
		}
		return time.Since(start)
	}
	create := func(s orgsStore, i int) time.Duration {
		a := s.actors[i%len(s.actors)]
		start := time.Now()
		if _, err := s.svc.SCIMCreateUser(ctx, a, benchUser(int64(s.perOrg+i))); err != nil {
			b.Fatalf("create in %s: %v", a.Org, err)
		}
		return time.Since(start)
	}
	n := 0
	for b.Loop() {
		// Alternate which store goes first, so that neither always follows the other's fsync.
		if n%2 == 0 {
			createOne += create(one, n)
			createTen += create(ten, n)
			lookupOne += lookup(one, n)
			lookupTen += lookup(ten, n)
		} else {
			createTen += create(ten, n)
			createOne += create(one, n)
			lookupTen += lookup(ten, n)
			lookupOne += lookup(one, n)
		}
		n++
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(n) }
	b.ReportMetric(per(createOne), "create_1x100k_ns")
	b.ReportMetric(per(createTen), "create_10x10k_ns")
	b.ReportMetric(per(createTen)/per(createOne), "create_ratio_10x10k_to_1x100k")
	b.ReportMetric(per(lookupOne), "lookup_1x100k_ns")
	b.ReportMetric(per(lookupTen), "lookup_10x10k_ns")
	b.ReportMetric(per(lookupTen)/per(lookupOne), "lookup_ratio_10x10k_to_1x100k")
}
