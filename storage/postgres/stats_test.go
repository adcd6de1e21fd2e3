package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/storage/postgres"
)

// tableStats is what the statistics views say of a table of the schema conn is on:
// the rows changed since its last analysis, the rows inserted, the rows read (by sequential
// scans, and fetched by index scans), and the rows its last analysis counted (-1 before any).
type tableStats struct {
	modified, inserted, read int64
	counted                  float64
}

func readStats(t *testing.T, conn *pgx.Conn, table string) tableStats {
	t.Helper()
	var s tableStats
	if err := conn.QueryRow(context.Background(), `
		SELECT s.n_mod_since_analyze, s.n_tup_ins, s.seq_tup_read + coalesce(s.idx_tup_fetch, 0), c.reltuples
		FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
		WHERE s.schemaname = current_schema() AND s.relname = $1`, table).Scan(&s.modified, &s.inserted, &s.read, &s.counted); err != nil {
		t.Fatal(err)
	}
	return s
}

// awaitStats polls the statistics views of table until ok holds of them. A server backend reports
// its counts when a transaction ends at least a second after its last report, or after ten
// seconds idle: the store under test, opened on one connection (oneConn), is pinged as it
// waits, so that its connection reports soon.
func awaitStats(t *testing.T, conn *pgx.Conn, st *postgres.Store, table, what string, ok func(tableStats) bool) tableStats {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s := readStats(t, conn, table)
		if ok(s) {
			return s
		}
		if err := st.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 30 s for %s; the statistics of %s stay %+v", what, table, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// noAutovacuum keeps the server's autovacuum (on by default, off on some servers) from
// analyzing the users and groups tables of connURL's schema, so that only the store under
// test does.
func noAutovacuum(t *testing.T, connURL string) {
	t.Helper()
	admin(t, connURL, "ALTER TABLE users SET (autovacuum_enabled = false); ALTER TABLE groups SET (autovacuum_enabled = false)")
}

// oneConn limits the pool of a store opened on connURL to one connection.
func oneConn(t *testing.T, connURL string) string {
	t.Helper()
	u, err := url.Parse(connURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("pool_max_conns", "1")
	u.RawQuery = q.Encode()
	return u.String()
}

// putUsers writes n users numbered from first, in one transaction.
func putUsers(t *testing.T, st *postgres.Store, first, n int) {
	t.Helper()
	if err := st.Update(context.Background(), func(tx directory.Tx) error {
		for i := first; i < first+n; i++ {
			id := fmt.Sprintf("u-%05d", i)
			if err := tx.PutUser(directory.User{ID: id, UserName: id, IdP: "okta", UniqueUserID: id}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestStoreAnalyzesTablesThatChanged: the store analyzes a table of its own once its rows
// changed since the last analysis by more than autovacuum's threshold (50 plus 10% of the
// rows), not before, not while another replica holds the analysis lock, and not by waiting
// for a table that another session holds.
func TestStoreAnalyzesTablesThatChanged(t *testing.T) {
	schemaURL := freshSchema(t)
	st := openAt(t, oneConn(t, schemaURL))
	st.StopKeepingStats() // the test looks when it chooses
	noAutovacuum(t, schemaURL)
	ctx := context.Background()
	conn := pgxConnect(t, schemaURL)
	var users string
	if err := conn.QueryRow(ctx, `SELECT format('%I.users', current_schema())`).Scan(&users); err != nil {
		t.Fatal(err)
	}
	analyzed := func() []string {
		t.Helper()
		tables, err := st.AnalyzeStale(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return tables
	}
	modified := func(n int64) func(tableStats) bool { return func(s tableStats) bool { return s.modified == n } }

	putUsers(t, st, 0, 300)
	awaitStats(t, conn, st, "users", "300 changed rows", modified(300))
	if got := analyzed(); !slices.Contains(got, users) {
		t.Fatalf("300 users written to a table never analyzed: analyzed %v, want %s among them", got, users)
	}
	if s := readStats(t, conn, "users"); s.counted != 300 || s.modified != 0 {
		t.Fatalf("after the analysis the statistics say %+v, want 300 rows counted and none changed since", s)
	}

	putUsers(t, st, 300, 20)
	awaitStats(t, conn, st, "users", "20 changed rows", modified(20))
	if got := analyzed(); slices.Contains(got, users) {
		t.Fatalf("20 users written to a table of 300 (threshold 80): analyzed %v, want users left alone", got)
	}

	putUsers(t, st, 320, 60)
	awaitStats(t, conn, st, "users", "80 changed rows", modified(80))
	if got := analyzed(); slices.Contains(got, users) {
		t.Fatalf("80 users written to a table of 300 (threshold 80, to be passed): analyzed %v, want users left alone", got)
	}
	putUsers(t, st, 380, 1)
	awaitStats(t, conn, st, "users", "81 changed rows", modified(81))
	other := pgxConnect(t, schemaURL) // another replica analyzing
	if _, err := other.Exec(ctx, `SELECT pg_advisory_lock(hashtextextended('roster analyze ' || current_schema(), 0))`); err != nil {
		t.Fatal(err)
	}
	if got := analyzed(); len(got) != 0 {
		t.Fatalf("while another replica holds the analysis lock: analyzed %v, want nothing", got)
	}
	if _, err := other.Exec(ctx, `SELECT pg_advisory_unlock(hashtextextended('roster analyze ' || current_schema(), 0))`); err != nil {
		t.Fatal(err)
	}
	if got := analyzed(); !slices.Contains(got, users) {
		t.Fatalf("81 users written to a table of 300: analyzed %v, want %s among them", got, users)
	}
	if s := readStats(t, conn, "users"); s.counted != 381 {
		t.Fatalf("after the second analysis the statistics say %+v, want 381 rows counted", s)
	}

	// A table another session holds (here in the mode VACUUM and ANALYZE take) is passed over,
	// not waited for, and the tables after it get their turn; it is analyzed at the next look
	// after it is free.
	if err := st.Update(ctx, func(tx directory.Tx) error {
		for i := range 60 {
			if err := tx.PutGroup(directory.Group{ID: fmt.Sprint("g-", i), DisplayName: fmt.Sprint("Group ", i), IdP: "okta"}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	putUsers(t, st, 400, 100)
	awaitStats(t, conn, st, "groups", "60 changed rows", func(s tableStats) bool { return s.modified == 60 })
	awaitStats(t, conn, st, "users", "100 changed rows", modified(100))
	holder, err := other.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := holder.Exec(ctx, `LOCK TABLE groups IN SHARE UPDATE EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := st.AnalyzeStale(ctx)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the look waited 20 s for a table another session holds")
	}
	if s := readStats(t, conn, "users"); s.counted != 481 {
		t.Errorf("users, beside a held groups table: %+v, want 481 rows counted", s)
	}
	if s := readStats(t, conn, "groups"); s.counted != -1 || s.modified != 60 {
		t.Errorf("groups, held by another session: %+v, want it never analyzed and its 60 changes still counted", s)
	}
	if err := holder.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	analyzed()
	if s := readStats(t, conn, "groups"); s.counted != 60 {
		t.Errorf("groups, once free: %+v, want 60 rows counted", s)
	}
}

// TestFirstImportKeepsUsingTheIndexes: an IdP's first sync into a fresh database, one SCIM
// create after another. The statements a create runs settle on their plans in its first few
// executions, while the table is nearly empty; unless statistics follow the table's growth,
// those plans read every user, and creates slow as the table grows. With the store analyzing
// its tables as they change (on a server whose autovacuum is off, as here, or has not come
// round yet), a create of the 3,000th user reads a few rows, not every user of the
// organization.
func TestFirstImportKeepsUsingTheIndexes(t *testing.T) {
	schemaURL := freshSchema(t)
	st := openAt(t, oneConn(t, schemaURL))
	noAutovacuum(t, schemaURL)
	svc := directory.New(st)
	ctx := context.Background()
	if _, err := svc.CreateIdP(ctx, "admin:test", directory.IdP{ID: "okta", Protocol: directory.ProtocolSAML, Mode: directory.ModeBoth}); err != nil {
		t.Fatal(err)
	}
	actor := directory.SCIMActor{IdP: "okta", TokenID: "t1"}
	create := func(i int) {
		t.Helper()
		if _, err := svc.SCIMCreateUser(ctx, actor, directory.User{UserName: fmt.Sprintf("user%d@example.com", i), ExternalID: fmt.Sprintf("00u%d", i), Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	conn := pgxConnect(t, schemaURL)
	const imported, measured = 3000, 300
	for i := range imported {
		create(i)
	}
	// The store analyzed the table after it had grown (nothing else does on this server), and
	// every create has reported its counts.
	before := awaitStats(t, conn, st, "users", "the store to analyze the users of the import", func(s tableStats) bool {
		return s.counted >= imported/2 && s.inserted == imported
	})
	for i := imported; i < imported+measured; i++ {
		create(i)
	}
	after := awaitStats(t, conn, st, "users", "the measured creates' counts", func(s tableStats) bool { return s.inserted == imported+measured })
	if read := after.read - before.read; read >= measured*10 {
		t.Fatalf("%d creates into a table of %d users read %d of its rows (%d a create): their statements are still planned for an empty table",
			measured, imported, read, read/measured)
	} else {
		t.Logf("%d creates into a table of %d users read %d of its rows", measured, imported, read)
	}
}

// TestStatsKeeperReportsFailuresOnce: a look that fails is reported; the same failure at the
// next looks (once a second while writes go on) is not, a different one is, and so is the
// first look that succeeds after a report. A failure that comes and goes is reported once per
// period, not at each return; another replica's turn tells nothing. Tables analyzed are
// reported at debug level.
func TestStatsKeeperReportsFailuresOnce(t *testing.T) {
	var out bytes.Buffer
	report := postgres.StatsReporter(slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug})))
	lines := func() []string {
		defer out.Reset()
		var msgs []string
		for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			if l == "" {
				continue
			}
			_, msg, _ := strings.Cut(l, "msg=")
			msgs = append(msgs, msg)
		}
		return msgs
	}
	refused := errors.New("analyzing public.users: permission denied")
	steps := []struct {
		analyzed []string
		looked   bool
		err      error
		want     int // lines logged
		contains string
	}{
		{nil, true, refused, 1, "permission denied"},
		{nil, true, refused, 0, ""},
		{nil, false, nil, 0, ""}, // another replica's turn: not a recovery
		{nil, true, refused, 0, ""},
		{nil, true, errors.New("connection refused"), 1, "connection refused"},
		{[]string{"public.users"}, true, nil, 2, "up to date again"},
		{nil, true, nil, 0, ""},
		{[]string{"public.groups"}, true, nil, 1, "public.groups"},
		{nil, true, refused, 1, "permission denied"},
		{nil, true, nil, 1, "up to date again"},
		{nil, true, refused, 0, ""}, // back within the period: not again
		{nil, true, nil, 0, ""},
		{nil, true, context.Canceled, 0, ""},
	}
	for i, s := range steps {
		report(s.analyzed, s.looked, s.err)
		got := lines()
		if len(got) != s.want || (s.contains != "" && !strings.Contains(strings.Join(got, "\n"), s.contains)) {
			t.Errorf("look %d (%v, %v, %v): logged %q, want %d lines naming %q", i+1, s.analyzed, s.looked, s.err, got, s.want, s.contains)
		}
	}
}
