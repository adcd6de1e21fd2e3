package teststore

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster/storage/bolt"
)

// V1AdminToken is the bootstrap admin token of the store in storage/testdata/v1, written by
// Roster before organizations existed (its README).
const V1AdminToken = "fixture-admin-token-0123456789"

// v1Dir is storage/testdata/v1, found from this file's place in the module.
func v1Dir(tb testing.TB) string {
	tb.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("cannot find the module's directory")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "storage", "testdata", "v1")
}

// V1BoltFile copies the bbolt file of storage/testdata/v1 into the test's temporary directory
// and returns the copy's path: opening it upgrades it, and the fixture must never change.
func V1BoltFile(tb testing.TB) string {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join(v1Dir(tb), "roster.db"))
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "roster.db")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// V1Bolt opens a copy of the v1 bbolt file, which upgrades it, and closes it when the test
// ends.
func V1Bolt(tb testing.TB) *bolt.Store {
	tb.Helper()
	st, err := bolt.Open(V1BoltFile(tb))
	if err != nil {
		tb.Fatalf("opening the v1 bbolt file: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// V1PostgresURL loads the PostgreSQL dump of storage/testdata/v1 into a fresh schema (see
// PostgresURL) and returns the URL of that schema, not yet opened by Roster: opening it
// applies the migrations written since. The dump names the schema public; every "public." of
// it is replaced by the fresh schema's name. It is loaded the way psql would, statement by
// statement, its COPY data through the COPY protocol, on one connection.
func V1PostgresURL(tb testing.TB) string {
	tb.Helper()
	connURL := PostgresURL(tb)
	dump, err := os.ReadFile(filepath.Join(v1Dir(tb), "roster.sql"))
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, connURL)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		tb.Fatal(err)
	}
	qualified := pgx.Identifier{schema}.Sanitize() + "."
	lines := bufio.NewScanner(bytes.NewReader(dump))
	lines.Buffer(make([]byte, 1<<20), 16<<20)
	var stmt strings.Builder
	for lines.Scan() {
		line := lines.Text()
		switch {
		case stmt.Len() == 0 && (line == "" || strings.HasPrefix(line, "--") || strings.HasPrefix(line, `\`)):
			// Comments, and psql's own commands (\restrict, \unrestrict), which are not SQL.
			continue
		}
		stmt.WriteString(strings.ReplaceAll(line, "public.", qualified))
		stmt.WriteString("\n")
		if !strings.HasSuffix(line, ";") {
			continue
		}
		sql := stmt.String()
		stmt.Reset()
		if strings.HasPrefix(sql, "COPY ") && strings.HasSuffix(strings.TrimSpace(sql), "FROM stdin;") {
			var data bytes.Buffer
			for lines.Scan() && lines.Text() != `\.` {
				data.WriteString(lines.Text())
				data.WriteString("\n")
			}
			if _, err := conn.PgConn().CopyFrom(ctx, &data, strings.TrimSuffix(strings.TrimSpace(sql), ";")); err != nil {
				tb.Fatalf("loading the v1 dump: %s: %v", strings.SplitN(sql, "\n", 2)[0], err)
			}
			continue
		}
		if _, err := conn.Exec(ctx, sql); err != nil {
			tb.Fatalf("loading the v1 dump: %s: %v", strings.SplitN(sql, "\n", 2)[0], err)
		}
	}
	if err := lines.Err(); err != nil {
		tb.Fatal(err)
	}
	if stmt.Len() > 0 {
		tb.Fatalf("the v1 dump ends inside a statement: %s", stmt.String())
	}
	return connURL
}
