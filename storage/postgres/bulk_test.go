package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/rosterhq/roster/directory"
)

// SCIM Bulk's batches on PostgreSQL: many creates per transaction, one of them failing inside
// its transaction; every other create is written once with its event, the failed one not at all.
func TestRunBatchOnPostgres(t *testing.T) {
	svc := directory.New(openAt(t, freshSchema(t)))
	ctx := context.Background()
	if _, err := svc.CreateIdP(ctx, "admin:test", directory.IdP{ID: "okta", Protocol: directory.ProtocolSAML, Mode: directory.ModeSCIM}); err != nil {
		t.Fatal(err)
	}
	a := directory.SCIMActor{IdP: "okta", TokenID: "t"}
	const n, bad = 450, 300
	errBad := errors.New("bad")
	steps := make([]directory.BatchStep, n)
	for i := range steps {
		steps[i] = func(ctx context.Context, svc *directory.Service) error {
			if i == bad {
				_, err := svc.SCIMUpdateUser(ctx, a, "missing", 0, func(u directory.User) (directory.User, error) { return u, errBad })
				return err
			}
			_, err := svc.SCIMCreateUser(ctx, a, directory.User{UserName: fmt.Sprintf("u%d@example.com", i), ExternalID: fmt.Sprint("k", i), Active: true})
			return err
		}
	}
	var before uint64
	_ = svc.View(ctx, func(tx directory.ReadTx) error { var err error; before, err = tx.LastSeq(); return err })
	errs := svc.RunBatch(ctx, steps, 0)
	if len(errs) != n || !errors.Is(errs[bad], directory.ErrNotFound) {
		t.Fatalf("%d results; step %d: %v", len(errs), bad, errs[bad])
	}
	var users int
	var events []directory.Event
	err := svc.View(ctx, func(tx directory.ReadTx) error {
		var err error
		if users, err = tx.CountUsers("", "okta"); err != nil {
			return err
		}
		events, err = tx.Events(before, 2*n)
		return err
	})
	if err != nil || users != n-1 || len(events) != n-1 {
		t.Errorf("%d users, %d events (%v); want %d of each", users, len(events), err, n-1)
	}
}
