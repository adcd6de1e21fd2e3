package admin_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/benchgoal"
	"github.com/rosterhq/roster/internal/testserver"
)

// BenchmarkUserListByUserName: the console's first view of users — a page of 50 in userName
// order with the total — of a directory of 50,000 users of one IdP on bbolt, in alternating
// rounds with the same page through the general way, which reads every user and sorts them
// (forced by a filter every user matches; the way every sorted list took before the store's
// order of folded userNames served it). "x-sorting" is the page's cost in units of the
// general way's; "ms-idp-page" is the page of the IdP's users (the console's view of an IdP's
// users), "ms-idp-sorting" the same through the general way.
func BenchmarkUserListByUserName(b *testing.B) {
	s := testserver.Start(b, testserver.Config{Backup: true, SkipOIDCDiscovery: true, DiscardLog: true})
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
				if err := tx.PutUser(directory.User{ID: id, UserName: fmt.Sprintf("user%06d@example.com", i), Active: true,
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
	page := func(query string) func() float64 {
		return func() float64 {
			return benchgoal.PerOp(3, func(int) {
				if r := testserver.Request(b, "GET", s.URL+"/admin/api/v1/users?"+query, s.AdminToken, nil); r.Status != 200 {
					b.Fatalf("%s: %d %s", query, r.Status, r.Body)
				}
			})
		}
	}
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
}
