package bolt_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/benchgoal"
	"github.com/rosterhq/roster/internal/rawbolt"
	"github.com/rosterhq/roster/internal/teststore"
	"github.com/rosterhq/roster/storage/bolt"
)

func newBenchService(b *testing.B) (*directory.Service, directory.SCIMActor) {
	b.Helper()
	d := teststore.NewBolt(b)
	d.AddIdP(directory.IdP{ID: "okta", Mode: directory.ModeBoth})
	return d.Service, d.SCIMActor("okta")
}

func benchUser(i int64) directory.User {
	return directory.User{
		UserName: fmt.Sprintf("user%d@example.com", i), ExternalID: fmt.Sprintf("00u%d", i), Active: true,
		Name:   directory.Name{GivenName: "Given", FamilyName: fmt.Sprint("Family", i)},
		Emails: []directory.MultiValue{{Value: fmt.Sprintf("user%d@example.com", i), Type: "work", Primary: true}},
	}
}

// rawCreates is the physical baseline of a create: raw bbolt transactions that put exactly the
// keys a create puts (bolt.CreateWrites) into a file laid out like Roster's, prepared before
// the round is timed. clients share transactions through bbolt's Batch.
func rawCreates(b *testing.B, clients int) func(n int) float64 {
	b.Helper()
	db, err := rawbolt.Open(filepath.Join(b.TempDir(), "raw.db"), clients)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	var seq uint64
	return func(n int) float64 {
		sets := make([][]bolt.Write, n)
		for k := range sets {
			seq++
			u := benchUser(int64(seq))
			u.ID, u.Org, u.IdP, u.UniqueUserID, u.Owner = uuid.NewString(), directory.DefaultOrg, "okta", u.ExternalID, directory.OwnerSCIM
			e := directory.Event{ID: uuid.NewString(), Type: directory.EventUserCreated, Org: u.Org, IdP: u.IdP, Subject: u.ID, User: &u}
			if sets[k], err = bolt.CreateWrites(u, e, seq); err != nil {
				b.Fatal(err)
			}
		}
		commit := db.Commit
		if clients > 1 {
			commit = db.Grouped
		}
		return benchgoal.OnClients(clients, n, func(k int) {
			if err := commit(sets[k]); err != nil {
				b.Error(err)
			}
		})
	}
}

// benchCreates compares SCIM creates through the Service (user, indexes, event; no HTTP) with
// the raw transactions that put the same keys, at the same concurrency, in alternating rounds:
// "x-raw" is the creates' rate as a share of the raw rate.
func benchCreates(b *testing.B, clients int) {
	raw := rawCreates(b, clients)
	svc, actor := newBenchService(b)
	var next atomic.Int64
	perRound := 40 * clients
	if clients > 1 {
		perRound = 20 * clients
	}
	b.ResetTimer()
	rounds := benchgoal.Alternate(7*b.N, func() float64 { return raw(perRound) }, func() float64 {
		return benchgoal.OnClients(clients, perRound, func(int) {
			if _, err := svc.SCIMCreateUser(context.Background(), actor, benchUser(next.Add(1))); err != nil {
				b.Error(err)
			}
		})
	})
	b.StopTimer()
	rounds.ReportRates(b, "creates/s", "raw-creates/s")
	b.ReportMetric(rounds.RateRatio(), "x-raw")
}

// BenchmarkCreateSingleWriter: SCIM creates one after another, each with its fsync.
func BenchmarkCreateSingleWriter(b *testing.B) { benchCreates(b, 1) }

// BenchmarkCreate32Writers: the same creates from 32 goroutines; group commit shares fsyncs.
func BenchmarkCreate32Writers(b *testing.B) { benchCreates(b, 32) }

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
