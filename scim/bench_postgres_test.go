package scim

import (
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/benchgoal"
	"github.com/rosterhq/roster/internal/slowlink"
	"github.com/rosterhq/roster/internal/teststore"
)

// postgresLookupUsers is how many users the PostgreSQL lookup benchmark seeds.
const postgresLookupUsers = 10_000

// seedPostgres is seed's fixture on a fresh PostgreSQL schema, which the benchmark drops when
// it ends; the fixture has no bbolt store.
func seedPostgres(b *testing.B, n int) *fixture {
	b.Helper()
	st := teststore.Postgres(b, teststore.PostgresURL(b))
	svc, srv, token := serveSeeded(b, st, st.Update, n, 1000)
	b.Cleanup(srv.Close)
	return &fixture{n: n, svc: svc, srv: srv, token: token}
}

// BenchmarkGetUserByUserNamePostgres is BenchmarkGetUserByUserName on PostgreSQL, at 10,000
// users: Okta's look-up before a create, and Entra ID's. Its raw baseline is the same look-up
// in a read transaction of the store, what the request's own read costs; the rest is the
// bearer token's check and the HTTP round trip.
func BenchmarkGetUserByUserNamePostgres(b *testing.B) {
	f := seedPostgres(b, postgresLookupUsers)
	lookupBench(b, f, byUserName, func(tx directory.ReadTx, i int) error {
		_, err := tx.UserByUserName(directory.DefaultOrg, fmt.Sprintf("user%06d@example.com", i))
		return err
	})
}

// BenchmarkGetUserInTenGroupsPostgres: GET /Users/{id} of a user who is a member of ten
// groups, whose answer names them, beside the same GET of a user in none, in alternating
// rounds on PostgreSQL: "x-no-groups" is the first's cost in units of the second's.
func BenchmarkGetUserInTenGroupsPostgres(b *testing.B) {
	f := seedPostgres(b, 100)
	member, loner := seededUser(3).ID, seededUser(4).ID
	for i := range 10 {
		f.call(b, "POST", "/scim/v2/Groups", fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Team %d","members":[{"value":"%s"}]}`, i, member), 201)
	}
	get := func(id string) func() float64 {
		return func() float64 {
			return benchgoal.PerOp(samplesPerOp, func(int) { f.call(b, "GET", "/scim/v2/Users/"+id, "", 200) })
		}
	}
	b.ResetTimer()
	rounds := benchgoal.Alternate(5*b.N, get(loner), get(member))
	b.StopTimer()
	b.ReportMetric(benchgoal.Median(rounds.Subjects())*1e6, "us-ten-groups")
	b.ReportMetric(benchgoal.Median(rounds.Baselines())*1e6, "us-no-groups")
	b.ReportMetric(rounds.CostRatio(), "x-no-groups")
}

// BenchmarkRequestsOverSlowLinkPostgres: what round trips to the database cost SCIM requests
// when PostgreSQL is not on the same machine. The store reaches the database through a
// loopback proxy that adds a millisecond to each round trip (internal/slowlink), about what a
// database in another zone adds; each request is timed beside a bare one-row SELECT over the
// same link, in alternating rounds (slowlink.Link.Compare). "x-round-trip-<request>" is a
// request's latency in units of that SELECT: about the round trips the request waits for,
// plus its own work and the database's (a write's fsync); "flights-<request>" the round trips
// it sends, waited for or not. The requests: a user read by id and by a userName filter, a
// user PATCH and create, a member joining or leaving a group of 50 and one of 600 (as Entra ID
// sends it), and a group created with 50 members.
func BenchmarkRequestsOverSlowLinkPostgres(b *testing.B) {
	link, connURL := slowlink.Through(b, teststore.PostgresURL(b), slowlink.OtherZone)
	st := teststore.Postgres(b, connURL)
	const users, large = 700, 600 // a group of large members changes member by member
	svc, srv, token := serveSeeded(b, st, st.Update, users, 1000)
	b.Cleanup(srv.Close)
	f := &fixture{n: users, svc: svc, srv: srv, token: token}
	id := seededUser(3).ID
	var seq atomic.Int64
	members := make([]string, 0, users)
	for i := range users {
		members = append(members, fmt.Sprintf(`{"value":%q}`, seededUser(i).ID))
	}
	group := f.create(b, "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Slow link","members":[`+strings.Join(members[:50], ",")+`]}`)
	bigGroup := f.create(b, "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Everyone","members":[`+strings.Join(members[:large], ",")+`]}`)
	// Entra ID's way: one member added, then removed, by value filter.
	memberPatch := func(i int, group string) {
		op := "add"
		if i%2 == 1 {
			op = "remove"
		}
		member := seededUser(large + (i/2)%(users-large)).ID
		body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":%q,"path":"members","value":[{"value":%q}]}]}`, op, member)
		if op == "remove" {
			body = fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"%s\"]"}]}`, member)
		}
		f.call(b, "PATCH", "/scim/v2/Groups/"+group, body, 204)
	}
	b.ResetTimer()
	link.Compare(b, 20,
		slowlink.Request{Name: "get", Do: func(int) { f.call(b, "GET", "/scim/v2/Users/"+id, "", 200) }},
		slowlink.Request{Name: "filter", Do: func(i int) {
			f.call(b, "GET", "/scim/v2/Users?filter="+url.QueryEscape(byUserName(i%users)), "", 200)
		}},
		slowlink.Request{Name: "patch", Do: func(int) {
			f.call(b, "PATCH", "/scim/v2/Users/"+id, fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"T%d"}]}`, seq.Add(1)), 200)
		}},
		slowlink.Request{Name: "create", Do: func(int) { f.call(b, "POST", "/scim/v2/Users", createBody(40_000_000+int(seq.Add(1))), 201) }},
		slowlink.Request{Name: "group-member", Do: func(i int) { memberPatch(i, group) }},
		slowlink.Request{Name: "big-group-member", Do: func(i int) { memberPatch(i, bigGroup) }},
		slowlink.Request{Name: "group-create", Do: func(i int) {
			// A group pushed with 50 members, as a first provisioning cycle creates one.
			f.call(b, "POST", "/scim/v2/Groups", fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Pushed %d","members":[%s]}`,
				seq.Add(1), strings.Join(members[i%(users-50):i%(users-50)+50], ",")), 201)
		}},
	)
	b.StopTimer()
}
