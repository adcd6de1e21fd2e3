package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/teststore"
	"github.com/rosterhq/roster/storage/bolt"
	"github.com/rosterhq/roster/storage/migrate"
	"github.com/rosterhq/roster/storage/storagetest"
)

// TestCLIMigrateRoundTrip runs the built binary: bbolt → PostgreSQL → bbolt, and compares the
// fingerprints of the first and last file. It needs PostgreSQL (ROSTER_TEST_DATABASE_URL).
func TestCLIMigrateRoundTrip(t *testing.T) {
	pgURL := teststore.PostgresURL(t)
	ctx := t.Context()

	dir := t.TempDir()
	first, last := filepath.Join(dir, "first.db"), filepath.Join(dir, "last.db")
	st, err := bolt.Open(first)
	if err != nil {
		t.Fatal(err)
	}
	svc := directory.New(st)
	if _, err := svc.CreateIdP(ctx, "admin:t", directory.IdP{ID: "okta", Protocol: directory.ProtocolSAML, Mode: directory.ModeBoth,
		DefaultGroups: []string{"everyone"}}); err != nil {
		t.Fatal(err)
	}
	tok, _, err := svc.CreateToken(ctx, "admin:t", directory.TokenSCIM, "okta", "prod", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	actor := directory.SCIMActor{IdP: "okta", TokenID: tok.ID}
	for i := range 20 {
		if _, err := svc.Login(ctx, directory.Login{IdP: "okta", UniqueUserID: fmt.Sprint("00u", i), Email: fmt.Sprintf("p%d@example.com", i),
			Groups: []string{"eng"}, GroupsAsserted: true}); err != nil {
			t.Fatal(err)
		}
	}
	u, err := svc.SCIMCreateUser(ctx, actor, directory.User{UserName: "s@example.com", ExternalID: "00s", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.SCIMDeleteUser(ctx, actor, u.ID, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateSession(ctx, u.ID, "okta", time.Hour); err != nil {
		t.Fatal(err)
	}
	want, err := migrate.Fingerprint(ctx, st, true)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	for _, step := range [][2]string{{first, pgURL}, {pgURL, last}} {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(cliBinary, "migrate", "--from", step[0], "--to", step[1])
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("migrate %s → %s: %v\n%s", step[0], step[1], err, stderr.String())
		}
		if !strings.Contains(stdout.String(), "copied and verified") || !strings.Contains(stdout.String(), want.Checksum) {
			t.Errorf("migrate output does not carry the source checksum %s:\n%s", want.Checksum, stdout.String())
		}
	}
	// A second copy into the now non-empty destination is refused.
	if out, err := exec.Command(cliBinary, "migrate", "--from", first, "--to", pgURL).CombinedOutput(); err == nil {
		t.Errorf("migrate into a non-empty store succeeded:\n%s", out)
	}
	st2, err := bolt.Open(last)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	got, err := migrate.Fingerprint(ctx, st2, true)
	if err != nil {
		t.Fatal(err)
	}
	if got.Checksum != want.Checksum || got.Users != 20 || got.Tombstones != 1 || got.KV == 0 {
		t.Errorf("round trip: got %s\nwant %s", got, want)
	}
}

// TestCLIMigrateV1 copies the stores of storage/testdata/v1, written before organizations,
// with the built binary: the bbolt file to PostgreSQL and back, and the PostgreSQL database to
// a bbolt file. Each copy holds the whole upgraded fixture, in organization default. It needs
// PostgreSQL (ROSTER_TEST_DATABASE_URL).
func TestCLIMigrateV1(t *testing.T) {
	migrateCLI := func(from, to string) {
		t.Helper()
		out, err := exec.Command(cliBinary, "migrate", "--from", from, "--to", to).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "copied and verified: 1 organizations, 2 IdPs, 4 tokens, 4 users") {
			t.Fatalf("migrate %s → %s: %v\n%s", from, to, err, out)
		}
	}
	t.Run("bbolt to PostgreSQL and back", func(t *testing.T) {
		pgURL := teststore.PostgresURL(t)
		back := filepath.Join(t.TempDir(), "back.db")
		migrateCLI(teststore.V1BoltFile(t), pgURL)
		migrateCLI(pgURL, back)
		st, err := bolt.Open(back)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		storagetest.UpgradedV1(t, st, teststore.V1AdminToken)
	})
	t.Run("PostgreSQL to bbolt", func(t *testing.T) {
		pgURL := teststore.V1PostgresURL(t)
		file := filepath.Join(t.TempDir(), "copy.db")
		migrateCLI(pgURL, file)
		st, err := bolt.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		storagetest.UpgradedV1(t, st, teststore.V1AdminToken)
	})
}

func TestCLIMigrateUsage(t *testing.T) {
	out, err := exec.Command(cliBinary, "migrate", "--from", "x.db").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Errorf("migrate without --to: %v, want exit 2\n%s", err, out)
	}
}
