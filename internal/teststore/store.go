package teststore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/storage/bolt"
	"github.com/rosterhq/roster/storage/postgres"
)

// DatabaseURLEnv names the PostgreSQL database the tests use, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable. Each test works in a schema of its
// own, so the database may be shared and need not be empty.
const DatabaseURLEnv = "ROSTER_TEST_DATABASE_URL"

// AdminToken is the bootstrap admin token of every directory this package sets up.
const AdminToken = "test-admin-token-0123456789abcdef"

// Actor is the event actor of the writes a test makes as the administrator.
const Actor = "admin:test"

// Bolt opens a store on a fresh bbolt file in the test's temporary directory and closes it
// when the test ends.
func Bolt(tb testing.TB) *bolt.Store {
	tb.Helper()
	st, err := bolt.Open(filepath.Join(tb.TempDir(), "roster.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// PostgresURL creates an empty schema in the database named by DatabaseURLEnv, drops it when
// the test ends, and returns the database URL with search_path set to it. Without
// DatabaseURLEnv the test is skipped.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(DatabaseURLEnv)
	if base == "" {
		tb.Skipf("%s is not set; this test needs a real PostgreSQL server, e.g. %s='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'",
			DatabaseURLEnv, DatabaseURLEnv)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := pgx.Identifier{"roster_test_" + hex.EncodeToString(b)}.Sanitize()
	exec := func(sql string) {
		tb.Helper()
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Fatalf("connecting to %s: %v", DatabaseURLEnv, err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			tb.Fatalf("%s: %v", sql, err)
		}
	}
	exec("CREATE SCHEMA " + schema)
	tb.Cleanup(func() { exec("DROP SCHEMA " + schema + " CASCADE") })
	name := strings.Trim(schema, `"`)
	// pgx sends search_path to the server as a run-time parameter, from a URL or from a
	// keyword/value connection string alike.
	if !strings.Contains(base, "://") {
		return base + " search_path=" + name
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s: %v", DatabaseURLEnv, err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// Postgres opens a store on connURL (from PostgresURL), applying migrations, and closes it
// when the test ends. Two stores on one URL are two replicas' worth of state: their own
// connection pools over one database.
func Postgres(tb testing.TB, connURL string) *postgres.Store {
	tb.Helper()
	st, err := postgres.Open(context.Background(), connURL)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// Directory is a directory.Service over a store, with the bootstrap admin token in place.
type Directory struct {
	tb      testing.TB
	Store   directory.Store
	Service *directory.Service
	// AdminToken is the secret of the bootstrap admin token.
	AdminToken string
}

// New returns the Directory over st, creating the admin token if st has none.
func New(tb testing.TB, st directory.Store, opts ...directory.Option) *Directory {
	tb.Helper()
	svc := directory.New(st, opts...)
	if _, _, err := svc.EnsureAdminToken(context.Background(), AdminToken); err != nil {
		tb.Fatal(err)
	}
	return &Directory{tb: tb, Store: st, Service: svc, AdminToken: AdminToken}
}

// NewBolt is New over a fresh bbolt file.
func NewBolt(tb testing.TB, opts ...directory.Option) *Directory {
	tb.Helper()
	return New(tb, Bolt(tb), opts...)
}

// AddIdP creates an IdP as the administrator would; the protocol defaults to SAML.
func (d *Directory) AddIdP(p directory.IdP) directory.IdP {
	d.tb.Helper()
	if p.Protocol == "" {
		p.Protocol = directory.ProtocolSAML
	}
	out, err := d.Service.CreateIdP(context.Background(), Actor, p)
	if err != nil {
		d.tb.Fatalf("creating IdP %s: %v", p.ID, err)
	}
	return out
}

// SCIMToken issues a SCIM token of idp and returns it with its secret.
func (d *Directory) SCIMToken(idp string) (directory.Token, string) {
	d.tb.Helper()
	tok, secret, err := d.Service.CreateToken(context.Background(), Actor, directory.TokenSCIM, idp, "test", time.Time{})
	if err != nil {
		d.tb.Fatalf("creating a SCIM token of %s: %v", idp, err)
	}
	return tok, secret
}

// SCIMActor issues a SCIM token of idp and returns the actor that token's requests are.
func (d *Directory) SCIMActor(idp string) directory.SCIMActor {
	d.tb.Helper()
	tok, _ := d.SCIMToken(idp)
	return directory.SCIMActor{IdP: idp, Org: tok.Org, TokenID: tok.ID}
}

// Snapshot is what a refused request must leave as it was: every user and group, and the
// event log's last sequence number.
type Snapshot struct {
	Users   []directory.User
	Groups  []directory.Group
	LastSeq uint64
}

// Snapshot reads the users, groups and last sequence number in one transaction.
func (d *Directory) Snapshot() Snapshot {
	d.tb.Helper()
	var s Snapshot
	err := d.Service.View(context.Background(), func(tx directory.ReadTx) error {
		if err := tx.ScanUsers(directory.ScanQuery{}, func(u directory.User) error { s.Users = append(s.Users, u); return nil }); err != nil {
			return err
		}
		if err := tx.ScanGroups(directory.ScanQuery{}, func(g directory.Group) error { s.Groups = append(s.Groups, g); return nil }); err != nil {
			return err
		}
		var err error
		s.LastSeq, err = tx.LastSeq()
		return err
	})
	if err != nil {
		d.tb.Fatal(err)
	}
	return s
}

// MustUnchanged fails the test (without stopping it) if the store differs from before.
func (d *Directory) MustUnchanged(before Snapshot) {
	d.tb.Helper()
	if diff := cmp.Diff(before, d.Snapshot()); diff != "" {
		d.tb.Errorf("store changed (-before +after):\n%s", diff)
	}
}

// MustRecordRefusal fails the test (without stopping it) unless the users and groups are as
// before and the log gained exactly one event: a login.refused that no rule decided (a
// protocol refusal), whose id is reference — the one its page quotes — and which keeps the
// library's words in its detail. It returns that event.
func (d *Directory) MustRecordRefusal(before Snapshot, reference string) directory.Event {
	d.tb.Helper()
	after := d.Snapshot()
	if diff := cmp.Diff(before.Users, after.Users); diff != "" {
		d.tb.Errorf("users changed (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(before.Groups, after.Groups); diff != "" {
		d.tb.Errorf("groups changed (-before +after):\n%s", diff)
	}
	evs := d.Events(before.LastSeq)
	if len(evs) != 1 {
		d.tb.Errorf("%d events written, want the one refusal: %+v", len(evs), evs)
		return directory.Event{}
	}
	e := evs[0]
	if e.Type != directory.EventLoginRefused || e.Rule != "" || e.ID != reference || e.Reason == "" || e.Detail == "" {
		d.tb.Errorf("event %+v, want a login.refused without rule, with a reason and a detail, whose id is the page's reference %q", e, reference)
	}
	return e
}

// LastSeq is the event log's last sequence number.
func (d *Directory) LastSeq() uint64 {
	d.tb.Helper()
	var seq uint64
	if err := d.Service.View(context.Background(), func(tx directory.ReadTx) error {
		var err error
		seq, err = tx.LastSeq()
		return err
	}); err != nil {
		d.tb.Fatal(err)
	}
	return seq
}

// Events returns every event after seq, in order.
func (d *Directory) Events(after uint64) []directory.Event {
	d.tb.Helper()
	var out []directory.Event
	for {
		evs, err := d.Service.Events(context.Background(), after, 1000, 0)
		if err != nil {
			d.tb.Fatal(err)
		}
		if len(evs) == 0 {
			return out
		}
		out = append(out, evs...)
		after = evs[len(evs)-1].Seq
	}
}
