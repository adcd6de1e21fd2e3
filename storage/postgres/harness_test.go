package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster/storage/postgres"
)

// envURL names the database the tests use. Each test works in a schema of its own, created
// empty and dropped afterwards, so the database may be shared and need not be empty.
const envURL = "ROSTER_TEST_DATABASE_URL"

func baseURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(envURL)
	if u == "" {
		tb.Skipf("%s is not set; the PostgreSQL store is tested against a real server, e.g. "+
			"%s='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'", envURL, envURL)
	}
	return u
}

// freshSchema creates an empty schema, drops it when the test ends, and returns the test
// database's URL with search_path set to it.
func freshSchema(tb testing.TB) string {
	tb.Helper()
	base := baseURL(tb)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "roster_test_" + hex.EncodeToString(b)
	admin(tb, base, "CREATE SCHEMA "+pgx.Identifier{name}.Sanitize())
	tb.Cleanup(func() { admin(tb, base, "DROP SCHEMA "+pgx.Identifier{name}.Sanitize()+" CASCADE") })
	return withSearchPath(tb, base, name)
}

// admin runs one statement on a connection of its own.
func admin(tb testing.TB, connURL, sql string, args ...any) {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, connURL)
	if err != nil {
		tb.Fatalf("connecting to %s: %v", envURL, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}

// withSearchPath adds search_path, which pgx sends to the server as a run-time parameter, to a
// URL or a keyword/value connection string.
func withSearchPath(tb testing.TB, connURL, schema string) string {
	if !strings.Contains(connURL, "://") {
		return connURL + " search_path=" + schema
	}
	u, err := url.Parse(connURL)
	if err != nil {
		tb.Fatalf("%s: %v", envURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// openAt opens a store on the schema of connURL and closes it when the test ends.
func openAt(tb testing.TB, connURL string) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), connURL)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// openFresh opens a store on a fresh empty schema.
func openFresh(tb testing.TB) *postgres.Store {
	tb.Helper()
	return openAt(tb, freshSchema(tb))
}

// pgxConnect opens a plain connection for a test to inspect the database; closed at cleanup.
func pgxConnect(tb testing.TB, connURL string) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.Connect(context.Background(), connURL)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}
