package scim

import (
	"fmt"
	"testing"

	"github.com/rosterhq/roster/directory"
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
