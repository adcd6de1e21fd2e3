package directory_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/benchgoal"
	"github.com/rosterhq/roster/internal/teststore"
)

var largeGroupRun atomic.Int64

// BenchmarkLoginJoinsLargeGroup measures JIT sign-ins of new people, one after another, that
// each join a group of 5,000 members — the group of everyone an IdP asserts — beside the same
// sign-ins joining a group of 10, in alternating rounds: "x-small-group" is what joining the
// large group costs in units of joining the small one (each sign-in also creates its user,
// session and events, durably), on a bbolt file and on PostgreSQL.
func BenchmarkLoginJoinsLargeGroup(b *testing.B) {
	eachStore(b, func(b *testing.B, d *teststore.Directory) {
		run := largeGroupRun.Add(1)
		var next atomic.Int64
		benchLargeGroup(b, d, func(group string, _ []string) directory.Login {
			uid := fmt.Sprintf("p-%d-%d", run, next.Add(1))
			return directory.Login{IdP: "okta", UniqueUserID: uid, Email: uid + "@example.com", Groups: []string{group}, GroupsAsserted: true}
		})
	})
}

// BenchmarkLoginMemberOfLargeGroup is the sign-in that happens most: people who are members
// already sign in again, their IdP asserting the group as before — members of the group of
// 5,000 beside members of the group of 10.
func BenchmarkLoginMemberOfLargeGroup(b *testing.B) {
	eachStore(b, func(b *testing.B, d *teststore.Directory) {
		var next atomic.Int64
		benchLargeGroup(b, d, func(group string, members []string) directory.Login {
			uid := members[int(next.Add(1))%len(members)]
			return directory.Login{IdP: "okta", UniqueUserID: uid, Email: uid + "@example.com", Groups: []string{group}, GroupsAsserted: true}
		})
	})
}

func eachStore(b *testing.B, bench func(b *testing.B, d *teststore.Directory)) {
	b.Run("store=bolt", func(b *testing.B) { bench(b, teststore.NewBolt(b)) })
	b.Run("store=postgres", func(b *testing.B) {
		bench(b, teststore.New(b, teststore.Postgres(b, teststore.PostgresURL(b))))
	})
}

// benchLargeGroup seeds the JIT groups "everyone" (5,000 members) and "few" (10) of IdP okta
// and times sign-ins made by login, given a group's name and its members, in alternating
// rounds: "x-small-group" is a sign-in naming everyone in units of one naming few.
func benchLargeGroup(b *testing.B, d *teststore.Directory, login func(group string, members []string) directory.Login) {
	ctx := context.Background()
	d.AddIdP(directory.IdP{ID: "okta", Mode: directory.ModeJIT})
	now := time.Now().UTC()
	seed := func(name string, n int) []string {
		g := directory.Group{ID: "group-" + name, DisplayName: name, IdP: "okta", Owner: directory.OwnerJIT,
			Meta: directory.Meta{Created: now, LastModified: now, Version: 1}}
		if err := d.Store.Update(ctx, func(tx directory.Tx) error {
			for i := range n {
				id := fmt.Sprintf("%s-member-%05d-0000-0000-000000000000", name, i)
				if err := tx.PutUser(directory.User{ID: id, UserName: id + "@example.com", IdP: "okta", UniqueUserID: id,
					Owner: directory.OwnerJIT, Active: true, Meta: g.Meta}); err != nil {
					return err
				}
				g.Members = append(g.Members, id)
			}
			return tx.PutGroup(g)
		}); err != nil {
			b.Fatal(err)
		}
		return g.Members
	}
	members := map[string][]string{"everyone": seed("everyone", 5_000), "few": seed("few", 10)}
	const perRound = 20
	signIns := func(group string) func() float64 {
		return func() float64 {
			return benchgoal.PerOp(perRound, func(int) {
				if _, _, err := d.Service.SignIn(ctx, login(group, members[group]), time.Hour); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
	b.ResetTimer()
	rounds := benchgoal.Alternate(7*b.N, signIns("few"), signIns("everyone"))
	b.StopTimer()
	b.ReportMetric(benchgoal.Median(rounds.Baselines())*1e3, "ms-small-group")
	b.ReportMetric(benchgoal.Median(rounds.Subjects())*1e3, "ms-large-group")
	b.ReportMetric(rounds.CostRatio(), "x-small-group")
}
