package directory_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/benchgoal"
	"github.com/rosterhq/roster/internal/slowlink"
	"github.com/rosterhq/roster/internal/teststore"
)

var largeGroupRun atomic.Int64

// BenchmarkLoginJoinsLargeGroup measures JIT sign-ins of new people, one after another, that
// each join a group of 5,000 members — the group of everyone an IdP asserts — beside the same
// sign-ins joining a group of 10, in alternating rounds: "x-small-group" is what joining the
// large group costs in units of joining the small one (each sign-in also creates its user,
// session and events, durably), on a bbolt file and on PostgreSQL.
func BenchmarkLoginJoinsLargeGroup(b *testing.B) {
	eachStore(b, func(b *testing.B, d *teststore.Directory, settle func()) {
		run := largeGroupRun.Add(1)
		var next atomic.Int64
		benchLargeGroup(b, d, settle, func(group string, _ []string) directory.Login {
			uid := fmt.Sprintf("p-%d-%d", run, next.Add(1))
			return directory.Login{IdP: "okta", UniqueUserID: uid, Email: uid + "@example.com", Groups: []string{group}, GroupsAsserted: true}
		})
	})
}

// BenchmarkLoginMemberOfLargeGroup is the sign-in that happens most: people who are members
// already sign in again, their IdP asserting the group as before — members of the group of
// 5,000 beside members of the group of 10.
func BenchmarkLoginMemberOfLargeGroup(b *testing.B) {
	eachStore(b, func(b *testing.B, d *teststore.Directory, settle func()) {
		var next atomic.Int64
		benchLargeGroup(b, d, settle, func(group string, members []string) directory.Login {
			uid := members[int(next.Add(1))%len(members)]
			return directory.Login{IdP: "okta", UniqueUserID: uid, Email: uid + "@example.com", Groups: []string{group}, GroupsAsserted: true}
		})
	})
}

// eachStore runs bench on a bbolt file and on PostgreSQL. A benchmark calls settle after
// seeding many rows: on PostgreSQL it analyzes the tables, as the store does itself within a
// second of such a change, so that timing starts with statements planned for the rows there are.
func eachStore(b *testing.B, bench func(b *testing.B, d *teststore.Directory, settle func())) {
	b.Run("store=bolt", func(b *testing.B) { bench(b, teststore.NewBolt(b), func() {}) })
	b.Run("store=postgres", func(b *testing.B) {
		url := teststore.PostgresURL(b)
		bench(b, teststore.New(b, teststore.Postgres(b, url)), func() {
			conn, err := pgx.Connect(context.Background(), url)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close(context.Background())
			if _, err := conn.Exec(context.Background(), "ANALYZE"); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// benchLargeGroup seeds the JIT groups "everyone" (5,000 members) and "few" (10) of IdP okta
// and times sign-ins made by login, given a group's name and its members, in alternating
// rounds: "x-small-group" is a sign-in naming everyone in units of one naming few.
func benchLargeGroup(b *testing.B, d *teststore.Directory, settle func(), login func(group string, members []string) directory.Login) {
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
	settle()
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

// BenchmarkLoginInTenGroups is the sign-in of people who are members of the ten groups their
// IdP asserts, signing in again and naming them, beside the same people's sign-ins naming no
// group (GroupsAsserted false), in alternating rounds: "x-no-groups" is the first's cost in
// units of the second's, on a bbolt file and on PostgreSQL, where every read of the sign-in's
// transaction is a round trip.
func BenchmarkLoginInTenGroups(b *testing.B) {
	eachStore(b, func(b *testing.B, d *teststore.Directory, settle func()) {
		ctx := context.Background()
		d.AddIdP(directory.IdP{ID: "okta", Mode: directory.ModeJIT})
		groups := make([]string, 10)
		for i := range groups {
			groups[i] = fmt.Sprintf("Team %d", i)
		}
		const people = 200
		login := func(i int, named bool) directory.Login {
			uid := fmt.Sprintf("member-%03d", i%people)
			in := directory.Login{IdP: "okta", UniqueUserID: uid, Email: uid + "@example.com"}
			if named {
				in.Groups, in.GroupsAsserted = groups, true
			}
			return in
		}
		for i := range people {
			if _, err := d.Service.Login(ctx, login(i, true)); err != nil {
				b.Fatal(err)
			}
		}
		settle()
		const perRound = 20
		next := 0
		signIns := func(named bool) func() float64 {
			return func() float64 {
				return benchgoal.PerOp(perRound, func(int) {
					next++
					if _, _, err := d.Service.SignIn(ctx, login(next, named), time.Hour); err != nil {
						b.Fatal(err)
					}
				})
			}
		}
		b.ResetTimer()
		rounds := benchgoal.Alternate(7*b.N, signIns(false), signIns(true))
		b.StopTimer()
		b.ReportMetric(benchgoal.Median(rounds.Baselines())*1e3, "ms-no-groups")
		b.ReportMetric(benchgoal.Median(rounds.Subjects())*1e3, "ms-ten-groups")
		b.ReportMetric(rounds.CostRatio(), "x-no-groups")
	})
}

// BenchmarkUserSessions measures an administrator's look-up of one user's sessions
// (UserSessions, which "sign out everywhere" makes too) in a store of 50,000 live sessions of
// 5,000 users, beside what the look-up did before the lists were complete: a read of every
// session, in alternating rounds. "x-every-session" is the look-up in units of that read. The
// sessions are seeded as a Roster from before the lists left them, on no list, and
// "listing-ms" is the one-time ListUnlistedSessions that puts them on their users' lists.
func BenchmarkUserSessions(b *testing.B) {
	eachStore(b, func(b *testing.B, d *teststore.Directory, settle func()) {
		ctx := context.Background()
		const users, perUser = 5_000, 10
		now := time.Now().UTC()
		ids := make([]string, users)
		for first := 0; first < users; first += 500 {
			if err := d.Store.Update(ctx, func(tx directory.Tx) error {
				for i := first; i < first+500; i++ {
					ids[i] = fmt.Sprintf("sessions-%05d-0000-0000-000000000000", i)
					if err := tx.PutUser(directory.User{ID: ids[i], UserName: ids[i] + "@example.com", Active: true,
						Meta: directory.Meta{Created: now, LastModified: now, Version: 1}}); err != nil {
						return err
					}
					for j := range perUser {
						created := now.Add(-time.Duration(j) * time.Minute)
						rec := fmt.Appendf(nil, `{"userId":%q,"idp":"okta","created":%q,"expires":%q}`,
							ids[i], created.Format(time.RFC3339Nano), created.Add(12*time.Hour).Format(time.RFC3339Nano))
						key := base64.RawURLEncoding.EncodeToString(directory.HashSecret(fmt.Sprintf("rs_bench-%d-%d", i, j)))
						if err := tx.PutKV("session", key, rec, created.Add(12*time.Hour)); err != nil {
							return err
						}
					}
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
			settle()
		}
		start := time.Now()
		if n, err := d.Service.ListUnlistedSessions(ctx); err != nil || n != users*perUser {
			b.Fatalf("ListUnlistedSessions: %d %v, want %d", n, err, users*perUser)
		}
		listing := time.Since(start)
		everySession := func() float64 {
			return benchgoal.PerOp(2, func(int) {
				found := 0
				if err := d.Store.View(ctx, func(tx directory.ReadTx) error {
					return tx.ScanKV("session", time.Now(), func(_ string, value []byte) error {
						var rec struct {
							UserID  string    `json:"userId"`
							IdP     string    `json:"idp"`
							Created time.Time `json:"created"`
							Expires time.Time `json:"expires"`
						}
						if json.Unmarshal(value, &rec) == nil && rec.UserID == ids[0] {
							found++
						}
						return nil
					})
				}); err != nil || found != perUser {
					b.Fatalf("reading every session: %d of the user's, %v", found, err)
				}
			})
		}
		var next int
		lookUps := func() float64 {
			return benchgoal.PerOp(200, func(int) {
				next++
				ss, err := d.Service.UserSessions(ctx, ids[(next*7919)%users])
				if err != nil || len(ss) != perUser {
					b.Fatalf("UserSessions: %d sessions, %v; want %d", len(ss), err, perUser)
				}
			})
		}
		b.ResetTimer()
		rs := benchgoal.Alternate(5*b.N, everySession, lookUps)
		b.StopTimer()
		b.ReportMetric(rs.CostRatio(), "x-every-session")
		b.ReportMetric(benchgoal.Median(rs.Subjects())*1e6, "look-up-µs")
		b.ReportMetric(benchgoal.Median(rs.Baselines())*1e3, "every-session-ms")
		b.ReportMetric(float64(listing.Milliseconds()), "listing-ms")
	})
}

// BenchmarkSCIMMembersOfLargeGroup measures membership PATCHes as IdPs send them — one
// member added, then taken out — on a group of 50,000 beside a group of 10, in alternating
// rounds: "x-small-group" is what a change to the large group costs in units of one to the
// small group, made without reading the members (SCIMChangeMembers, as PATCH /Groups/{id}
// makes them). "whole-ms" is the same change to the large group made by reading and
// writing the group whole (SCIMUpdateGroup, as every membership PATCH was made before), and
// "direct-ms" the change as it is made now.
func BenchmarkSCIMMembersOfLargeGroup(b *testing.B) {
	eachStore(b, func(b *testing.B, d *teststore.Directory, settle func()) {
		ctx := context.Background()
		d.AddIdP(directory.IdP{ID: "okta", Mode: directory.ModeSCIM})
		a := d.SCIMActor("okta")
		now := time.Now().UTC()
		seed := func(name string, n int) (string, []string) {
			var members []string
			for first := 0; first < n; first += 5000 {
				if err := d.Store.Update(ctx, func(tx directory.Tx) error {
					for i := first; i < min(n, first+5000); i++ {
						id := fmt.Sprintf("%s-%06d-0000-0000-000000000000", name, i)
						if err := tx.PutUser(directory.User{ID: id, UserName: id + "@example.com", IdP: "okta", Owner: directory.OwnerSCIM,
							Active: true, Meta: directory.Meta{Created: now, LastModified: now, Version: 1}}); err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					b.Fatal(err)
				}
				settle()
				for i := first; i < min(n, first+5000); i++ {
					members = append(members, fmt.Sprintf("%s-%06d-0000-0000-000000000000", name, i))
				}
			}
			g, err := d.Service.SCIMCreateGroup(ctx, a, directory.Group{DisplayName: name, Members: members[:len(members)-100]})
			if err != nil {
				b.Fatal(err)
			}
			return g.ID, members[len(members)-100:]
		}
		large, joiners := seed("everyone", 50_100)
		small, _ := seed("few", 110)
		settle()
		change := func(gid string, i int) {
			for _, add := range []bool{true, false} {
				c := directory.MemberChange{Add: add, IDs: []string{joiners[i%len(joiners)]}}
				if _, err := d.Service.SCIMChangeMembers(ctx, a, gid, 0, []directory.MemberChange{c}); err != nil {
					b.Fatal(err)
				}
			}
		}
		// The joiners are of "everyone"'s seeding; they join "few" as well, being the IdP's.
		whole := benchgoal.PerOp(6, func(i int) {
			for _, add := range []bool{true, false} {
				if _, err := d.Service.SCIMUpdateGroup(ctx, a, large, 0, func(g directory.Group) (directory.Group, error) {
					if add {
						g.Members = append(g.Members, joiners[i])
					} else {
						g.Members = g.Members[:len(g.Members)-1]
					}
					return g, nil
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
		const perRound = 20
		b.ResetTimer()
		rs := benchgoal.Alternate(5*b.N,
			func() float64 { return benchgoal.PerOp(perRound, func(i int) { change(small, i) }) },
			func() float64 { return benchgoal.PerOp(perRound, func(i int) { change(large, i) }) })
		b.StopTimer()
		b.ReportMetric(rs.CostRatio(), "x-small-group")
		b.ReportMetric(benchgoal.Median(rs.Subjects())*1e3/2, "direct-ms")
		b.ReportMetric(whole*1e3/2, "whole-ms")
	})
}

// BenchmarkSignInOverSlowLinkPostgres: what round trips to the database cost a sign-in when
// PostgreSQL is not on the same machine: Service.SignIn (the user, its groups, its event, the
// session and the user's list of sessions, in one transaction) through a loopback proxy that
// adds a millisecond to each round trip (internal/slowlink), beside a bare one-row SELECT over
// the same link. "x-round-trip-<kind>" is a sign-in's latency in units of that SELECT (its
// round trips waited for, plus the work and the commit's fsync); "flights-<kind>" the round
// trips it sends. "returning" signs in people who signed in before, naming the group they are
// in; "new" people who never did, joining it.
func BenchmarkSignInOverSlowLinkPostgres(b *testing.B) {
	link, connURL := slowlink.Through(b, teststore.PostgresURL(b), slowlink.OtherZone)
	d := teststore.New(b, teststore.Postgres(b, connURL))
	d.AddIdP(directory.IdP{ID: "okta", Mode: directory.ModeJIT})
	ctx := context.Background()
	login := func(uid string) directory.Login {
		return directory.Login{IdP: "okta", UniqueUserID: uid, Email: uid + "@example.com", Groups: []string{"Staff"}, GroupsAsserted: true}
	}
	const people = 20
	for i := range people {
		if _, err := d.Service.Login(ctx, login(fmt.Sprint("returning-", i))); err != nil {
			b.Fatal(err)
		}
	}
	var fresh atomic.Int64
	signIn := func(uid string) {
		if _, _, err := d.Service.SignIn(ctx, login(uid), time.Hour); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	link.Compare(b, 10,
		slowlink.Request{Name: "returning", Do: func(i int) { signIn(fmt.Sprint("returning-", i%people)) }},
		slowlink.Request{Name: "new", Do: func(int) { signIn(fmt.Sprint("new-", fresh.Add(1))) }},
	)
	b.StopTimer()
}
