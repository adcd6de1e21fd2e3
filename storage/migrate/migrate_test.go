package migrate_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/teststore"
	"github.com/rosterhq/roster/storage/bolt"
	"github.com/rosterhq/roster/storage/migrate"
	"github.com/rosterhq/roster/storage/postgres"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 800, time.UTC)

func openBolt(t *testing.T) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openPostgres opens a store on a fresh schema of ROSTER_TEST_DATABASE_URL, or skips.
func openPostgres(t *testing.T) *postgres.Store {
	t.Helper()
	base := os.Getenv("ROSTER_TEST_DATABASE_URL")
	if base == "" {
		t.Skip("ROSTER_TEST_DATABASE_URL is not set; copies to and from PostgreSQL need a real server, " +
			"e.g. ROSTER_TEST_DATABASE_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "roster_test_" + hex.EncodeToString(b)
	run := func(sql string) {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	run("CREATE SCHEMA " + schema)
	t.Cleanup(func() { run("DROP SCHEMA " + schema + " CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := postgres.Open(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// seed fills s with some of every kind of record, including the awkward ones: users without
// identity or emails, a group with members in a given order, a renamed user, a deleted user
// with its tombstone, non-ASCII names, a revoked token.
func seed(t *testing.T, s directory.Store) {
	t.Helper()
	err := s.Update(context.Background(), func(tx directory.Tx) error {
		for _, p := range []directory.IdP{
			{ID: "okta", Name: "Okta", Protocol: directory.ProtocolSAML, Mode: directory.ModeBoth, SCIMMatch: "externalId",
				LoginAuthoritative: []string{"email"}, DefaultGroups: []string{}, Created: t0, Updated: t0},
			{ID: "entra", Name: "Entra ID", Protocol: directory.ProtocolOIDC, Mode: directory.ModeJIT,
				OIDC: directory.OIDCSettings{Issuer: "https://login.example/v2.0", Scopes: []string{"openid", "email"}}, Created: t0, Updated: t0},
		} {
			if err := tx.PutIdP(p); err != nil {
				return err
			}
		}
		for i, tok := range []directory.Token{
			{ID: "t-admin", Kind: directory.TokenAdmin, Hash: directory.HashSecret("a"), Created: t0},
			{ID: "t-okta", Kind: directory.TokenSCIM, IdP: "okta", Name: "prod", Hash: directory.HashSecret("b"), Created: t0, ExpiresAt: t0.Add(time.Hour)},
			{ID: "t-old", Kind: directory.TokenSCIM, IdP: "okta", Hash: directory.HashSecret("c"), Created: t0, RevokedAt: t0.Add(time.Minute)},
		} {
			if err := tx.PutToken(tok); err != nil {
				return fmt.Errorf("token %d: %w", i, err)
			}
		}
		for i := range 1200 { // more than one chunk and one scan page
			idp := []string{"okta", "entra", ""}[i%3]
			u := directory.User{ID: fmt.Sprintf("u%05d", i), UserName: fmt.Sprintf("Pérson%d@Example.com", i), Active: i%7 != 0,
				Name: directory.Name{GivenName: "Zoë", FamilyName: fmt.Sprint("Ng", i)}, Owner: directory.OwnerSCIM,
				Meta: directory.Meta{Created: t0, LastModified: t0.Add(time.Duration(i) * time.Second), Version: int64(i%5 + 1)}}
			if idp != "" {
				u.IdP, u.UniqueUserID, u.ExternalID = idp, fmt.Sprint("00u", i), fmt.Sprint("ext", i%10)
			}
			if i%2 == 0 {
				u.Emails = []directory.MultiValue{{Value: fmt.Sprintf("p%d@example.com", i), Primary: true}}
			}
			if i%11 == 0 {
				u.LastLoginAt = t0.Add(time.Duration(i) * time.Minute)
			}
			if err := tx.PutUser(u); err != nil {
				return err
			}
			if _, err := tx.AppendEvent(directory.Event{ID: fmt.Sprint("e", i), Time: t0, Type: directory.EventUserCreated,
				Actor: "system", Subject: u.ID, IdP: idp, Rule: "R5", Changes: []string{"userName"}, User: &u}); err != nil {
				return err
			}
		}
		for i := range 30 {
			g := directory.Group{ID: fmt.Sprintf("g%03d", i), DisplayName: fmt.Sprint("Team ", i), IdP: "okta", Owner: directory.OwnerSCIM,
				Members: []string{fmt.Sprintf("u%05d", 30-i), fmt.Sprintf("u%05d", 3*i), fmt.Sprintf("u%05d", 1000+i)},
				Meta:    directory.Meta{Created: t0, LastModified: t0, Version: 1}}
			if err := tx.PutGroup(g); err != nil {
				return err
			}
		}
		if err := tx.DeleteUser("u00003"); err != nil {
			return err
		}
		return tx.PutTombstone(directory.Tombstone{IdP: "okta", UniqueUserID: "00u3", UserID: "u00003", UserName: "pérson3@example.com", DeletedAt: t0, Actor: "scim:t-okta"})
	})
	if err != nil {
		t.Fatalf("seeding: %v", err)
	}
}

func putKV(t *testing.T, s directory.Store) {
	t.Helper()
	err := s.Update(context.Background(), func(tx directory.Tx) error {
		if err := tx.PutKV("settings", "sp-key/okta", []byte("-----BEGIN PRIVATE KEY-----"), time.Time{}); err != nil {
			return err
		}
		if err := tx.PutKV("session", "s1", []byte(`{"user":"u00001"}`), t0.Add(time.Hour)); err != nil {
			return err
		}
		return tx.PutKV("webhook-cursor", "w1", []byte("1200"), time.Time{})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func fingerprint(t *testing.T, s directory.Store, withKV bool) migrate.Report {
	t.Helper()
	r, err := migrate.Fingerprint(context.Background(), s, withKV)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestBoltToPostgresToBolt(t *testing.T) {
	ctx := context.Background()
	src, pg, back := openBolt(t), openPostgres(t), openBolt(t)
	seed(t, src)
	// The KV space travels only if the bbolt store can list it (migrate.KVLister).
	_, withKV := any(src).(migrate.KVLister)
	opts := migrate.Options{SkipKV: !withKV}
	if withKV {
		putKV(t, src)
	} else if _, err := migrate.Copy(ctx, pg, src, migrate.Options{}); err == nil || !strings.Contains(err.Error(), "KV") {
		t.Fatalf("copy from a store that cannot list its KV space, without SkipKV: %v, want a refusal", err)
	} else {
		t.Logf("bolt.Store has no ListKV: the KV space is not part of this round trip")
	}
	want := fingerprint(t, src, withKV)
	if want.Users != 1199 || want.Groups != 30 || want.Events != 1200 || want.Tombstones != 1 || want.Tokens != 3 || want.IdPs != 2 {
		t.Fatalf("seeded %s", want)
	}
	got, err := migrate.Copy(ctx, pg, src, opts)
	if err != nil {
		t.Fatalf("bolt → postgres: %v", err)
	}
	if got.String() != want.String() {
		t.Fatalf("bolt → postgres:\n got %s\nwant %s", got, want)
	}
	if _, err := migrate.Copy(ctx, back, pg, opts); err != nil {
		t.Fatalf("postgres → bolt: %v", err)
	}
	if got := fingerprint(t, back, withKV); got.String() != want.String() {
		t.Fatalf("after the round trip:\n got %s\nwant %s", got, want)
	}
	// The copy is usable, not just equal: indexes answer and the event log continues.
	err = back.Update(ctx, func(tx directory.Tx) error {
		if u, err := tx.UserByUserName(directory.DefaultOrg, "PÉRSON1@example.com"); err != nil || u.ID != "u00001" {
			return fmt.Errorf("userName index: %q, %v", u.ID, err)
		}
		if u, err := tx.UserByIdentity(directory.Identity{IdP: "entra", UniqueUserID: "00u1"}); err != nil || u.ID != "u00001" {
			return fmt.Errorf("identity index: %q, %v", u.ID, err)
		}
		if gs, err := tx.GroupsOfUser("u00030"); err != nil || len(gs) != 2 {
			return fmt.Errorf("memberships of u00030: %v, %v", gs, err)
		}
		if tok, err := tx.TokenByHash(directory.HashSecret("b")); err != nil || tok.ID != "t-okta" {
			return fmt.Errorf("token by hash: %q, %v", tok.ID, err)
		}
		seq, err := tx.AppendEvent(directory.Event{ID: "next", Time: t0, Type: directory.EventUserUpdated})
		if err != nil || seq != 1201 {
			return fmt.Errorf("next event: seq %d, %v; want 1201", seq, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPostgresToPostgresKeepsTheKVSpace(t *testing.T) {
	ctx := context.Background()
	src, dst := openPostgres(t), openPostgres(t)
	seed(t, src)
	putKV(t, src)
	got, err := migrate.Copy(ctx, dst, src, migrate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got.KV != 3 {
		t.Errorf("copied %d KV entries, want 3", got.KV)
	}
	err = dst.View(ctx, func(tx directory.ReadTx) error {
		if v, err := tx.KV("settings", "sp-key/okta", t0.Add(10000*time.Hour)); err != nil || !strings.HasPrefix(string(v), "-----BEGIN") {
			return fmt.Errorf("SP key: %q, %v", v, err)
		}
		if _, err := tx.KV("session", "s1", t0.Add(2*time.Hour)); !errors.Is(err, directory.ErrNotFound) {
			return fmt.Errorf("the session's expiry was not copied: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCopyRefusesANonEmptyDestination(t *testing.T) {
	src, dst := openBolt(t), openBolt(t)
	seed(t, src)
	err := dst.Update(context.Background(), func(tx directory.Tx) error {
		_, err := tx.AppendEvent(directory.Event{ID: "x", Time: t0, Type: directory.EventIdPCreated})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Copy(context.Background(), dst, src, migrate.Options{SkipKV: true}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("copy into a store with an event: %v, want a refusal", err)
	}
}

func TestBoltToBolt(t *testing.T) {
	src, dst := openBolt(t), openBolt(t)
	seed(t, src)
	if _, err := migrate.Copy(context.Background(), dst, src, migrate.Options{SkipKV: true, ChunkSize: 7}); err != nil {
		t.Fatal(err)
	}
	if a, b := fingerprint(t, src, false), fingerprint(t, dst, false); a.String() != b.String() {
		t.Fatalf("copy differs:\n%s\n%s", a, b)
	}
}

// The two fixtures of storage/testdata/v1 hold the same data, written before organizations:
// the bbolt file, and its copy into PostgreSQL by that version's roster migrate. Upgraded by
// this one, each backend in its own way, they must still hold the same records — every kind
// but organizations, whose one record, default, was created at each upgrade's own time.
func TestV1FixturesAgreeAfterUpgrade(t *testing.T) {
	fromBolt := fingerprint(t, teststore.V1Bolt(t), true)
	fromPostgres := fingerprint(t, teststore.Postgres(t, teststore.V1PostgresURL(t)), true)
	if fromBolt.Orgs != 1 || fromPostgres.Orgs != 1 || fromBolt.Users != 4 || fromBolt.Events != 17 || fromBolt.KV != 3 {
		t.Errorf("the upgraded bbolt fixture holds %s", fromBolt)
	}
	for kind, sum := range fromBolt.Checksums {
		if kind != "orgs" && fromPostgres.Checksums[kind] != sum {
			t.Errorf("%s differ between the upgraded fixtures", kind)
		}
	}
	fromBolt.Checksums, fromPostgres.Checksums, fromBolt.Checksum, fromPostgres.Checksum = nil, nil, "", ""
	if fromBolt.String() != fromPostgres.String() {
		t.Errorf("counts differ:\n bbolt      %s\n PostgreSQL %s", fromBolt, fromPostgres)
	}
}
