package admin_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/benchgoal"
	"github.com/rosterhq/roster/internal/testserver"
	"github.com/rosterhq/roster/internal/teststore"
)

// BenchmarkUserListByUserName: the console's first view of users — a page of 50 in userName
// order with the total — of a directory of 50,000 users of one IdP on bbolt, in alternating
// rounds with the same page through the general way, which reads every user and sorts them
// (forced by a filter every user matches; the way every sorted list took before the store's
// order of folded userNames served it). "x-sorting" is the page's cost in units of the
// general way's; "ms-idp-page" is the page of the IdP's users (the console's view of an IdP's
// users), "ms-idp-sorting" the same through the general way; "ms-inactive-page" the page of
// the inactive users (a tenth of them; the dashboard's link), "ms-inactive-sorting" the same
// through the general way; "ms-search" a search of the console (a part of one user's name),
// and "search-x-sorting" its cost in units of the general way's page.
func BenchmarkUserListByUserName(b *testing.B) {
	s := testserver.Start(b, testserver.Config{Backup: true, SkipOIDCDiscovery: true, DiscardLog: true})
	seedListUsers(b, s)
	page := listPage(b, s)
	const query = "limit=50&total=true&sort=userName"
	b.ResetTimer()
	rounds := benchgoal.Alternate(5*b.N, page(query+"&filter="+url.QueryEscape("userName pr")), page(query))
	b.StopTimer()
	b.ReportMetric(benchgoal.Median(rounds.Subjects())*1e3, "ms-page")
	b.ReportMetric(benchgoal.Median(rounds.Baselines())*1e3, "ms-sorting")
	b.ReportMetric(rounds.CostRatio(), "x-sorting")
	idp := benchgoal.Alternate(5*b.N, page(query+"&idp=okta&filter="+url.QueryEscape("userName pr")), page(query+"&idp=okta"))
	b.ReportMetric(benchgoal.Median(idp.Subjects())*1e3, "ms-idp-page")
	b.ReportMetric(benchgoal.Median(idp.Baselines())*1e3, "ms-idp-sorting")
	inactive := benchgoal.Alternate(5*b.N, page(query+"&status=inactive&filter="+url.QueryEscape("userName pr")), page(query+"&status=inactive"))
	b.ReportMetric(benchgoal.Median(inactive.Subjects())*1e3, "ms-inactive-page")
	b.ReportMetric(benchgoal.Median(inactive.Baselines())*1e3, "ms-inactive-sorting")
	// The console's search box: the filter it sends for what is typed, here a part of one
	// user's name. It reads the records of every user, but decodes only those that hold what
	// is looked for.
	benchSearch(b, page, 5*b.N)
}

// consoleSearch is the filter the console's search box sends for "r012345", a part of one
// user's name.
const consoleSearch = `userName co "r012345" or displayName co "r012345" or emails co "r012345" or uniqueUserId eq "r012345" or externalId eq "r012345" or id eq "r012345"`

// benchSearch alternates rounds of the console's search with the general way's page, which
// reads and sorts every user: "ms-search", and "search-x-sorting" its cost in units of the
// general way's page.
func benchSearch(b *testing.B, page func(query string) func() float64, rounds int) {
	const query = "limit=50&total=true&sort=userName"
	found := benchgoal.Alternate(rounds, page(query+"&filter="+url.QueryEscape("userName pr")), page(query+"&filter="+url.QueryEscape(consoleSearch)))
	b.ReportMetric(benchgoal.Median(found.Subjects())*1e3, "ms-search")
	b.ReportMetric(found.CostRatio(), "search-x-sorting")
}

// BenchmarkUserSearchPostgres: the console's search among 50,000 users on PostgreSQL, beside
// the general way's page, as in BenchmarkUserListByUserName.
func BenchmarkUserSearchPostgres(b *testing.B) {
	s := testserver.Start(b, testserver.Config{SkipOIDCDiscovery: true, DiscardLog: true, DatabaseURL: teststore.PostgresURL(b)})
	seedListUsers(b, s)
	b.ResetTimer()
	benchSearch(b, listPage(b, s), 3*b.N)
}

// seedListUsers gives s an IdP of 50,000 users, a tenth of them inactive, whose ids are in
// another order than their userNames.
func seedListUsers(b *testing.B, s *testserver.Server) {
	b.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	if _, err := s.Service.CreateIdP(ctx, "bench", directory.IdP{ID: "okta", Protocol: directory.ProtocolSAML, Mode: directory.ModeSCIM}); err != nil {
		b.Fatal(err)
	}
	const users = 50_000
	for first := 0; first < users; first += 5000 {
		if err := s.Directory.Store.Update(ctx, func(tx directory.Tx) error {
			for i := first; i < first+5000; i++ {
				// Ids in another order than userNames, as generated ids are.
				id := fmt.Sprintf("%08x-0000-0000-0000-%012d", uint32(i*2654435761), i)
				if err := tx.PutUser(directory.User{ID: id, UserName: fmt.Sprintf("user%06d@example.com", i), Active: i%10 != 0,
					IdP: "okta", UniqueUserID: id, Org: directory.DefaultOrg,
					DisplayName: fmt.Sprint("User ", i), Meta: directory.Meta{Created: now, LastModified: now, Version: 1}}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
}

// listPage returns a round of three requests of GET /users?query.
func listPage(b *testing.B, s *testserver.Server) func(query string) func() float64 {
	return func(query string) func() float64 {
		return func() float64 {
			return benchgoal.PerOp(3, func(int) {
				if r := testserver.Request(b, "GET", s.URL+"/admin/api/v1/users?"+query, s.AdminToken, nil); r.Status != 200 {
					b.Fatalf("%s: %d %s", query, r.Status, r.Body)
				}
			})
		}
	}
}

// BenchmarkDashboard: the console's dashboard (GET /admin/api/v1/stats) of a directory of
// 100,000 users on bbolt. Its counts of users by IdP, owner and status are built by the first
// view after the server starts, which reads every user ("ms-first"), and kept up by every
// commit after it: "ms-view" is a later view, between which 20 users are created, deactivated
// or deleted through SCIM-like writes, and "x-first" its cost in units of the first.
func BenchmarkDashboard(b *testing.B) {
	s := testserver.Start(b, testserver.Config{Backup: true, SkipOIDCDiscovery: true, DiscardLog: true})
	ctx := context.Background()
	now := time.Now().UTC()
	for _, idp := range []string{"okta", "entra"} {
		if _, err := s.Service.CreateIdP(ctx, "bench", directory.IdP{ID: idp, Protocol: directory.ProtocolSAML, Mode: directory.ModeSCIM}); err != nil {
			b.Fatal(err)
		}
	}
	user := func(i int) directory.User {
		id := fmt.Sprintf("%08x-0000-0000-0000-%012d", uint32(i*2654435761), i)
		return directory.User{ID: id, UserName: fmt.Sprintf("user%06d@example.com", i), Active: i%9 != 0,
			IdP: []string{"okta", "entra"}[i%2], UniqueUserID: id, Org: directory.DefaultOrg, Owner: directory.OwnerSCIM,
			DisplayName: fmt.Sprint("User ", i), Meta: directory.Meta{Created: now, LastModified: now, Version: 1}}
	}
	const users = 100_000
	for first := 0; first < users; first += 5000 {
		if err := s.Directory.Store.Update(ctx, func(tx directory.Tx) error {
			for i := first; i < first+5000; i++ {
				if err := tx.PutUser(user(i)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	view := func() {
		if r := testserver.Request(b, "GET", s.URL+"/admin/api/v1/stats?from=24h", s.AdminToken, nil); r.Status != 200 {
			b.Fatalf("stats: %d %s", r.Status, r.Body)
		}
	}
	b.ResetTimer()
	start := time.Now()
	view()
	first := time.Since(start)
	next := users
	var views []float64
	for range 10 * b.N {
		for k := range 20 {
			if err := s.Directory.Store.Update(ctx, func(tx directory.Tx) error {
				switch k % 3 {
				case 0:
					next++
					return tx.PutUser(user(next))
				case 1:
					u := user(next - k)
					u.Active = false
					return tx.PutUser(u)
				default:
					return tx.DeleteUser(user(k * 1000).ID)
				}
			}); err != nil && !errors.Is(err, directory.ErrNotFound) {
				b.Fatal(err)
			}
		}
		views = append(views, benchgoal.PerOp(1, func(int) { view() }))
	}
	b.StopTimer()
	b.ReportMetric(first.Seconds()*1e3, "ms-first")
	b.ReportMetric(benchgoal.Median(views)*1e3, "ms-view")
	b.ReportMetric(benchgoal.Median(views)/first.Seconds(), "x-first")
}
