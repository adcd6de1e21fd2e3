package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/storage/bolt"
)

// TestCheckReportsOldData: roster check --data lists a user stored before the input policy
// (an email with a NUL, written by an older Roster) and exits 1, changing nothing; on a store
// whose data passes it exits 0.
func TestCheckReportsOldData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "roster.db")
	st, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	// The store itself takes what an older Service let through; only Service applies the policy.
	if err := st.Update(ctx, func(tx directory.Tx) error {
		if err := tx.PutUser(directory.User{ID: "u-ok", UserName: "ann@x.test", Owner: directory.OwnerAdmin}); err != nil {
			return err
		}
		return tx.PutUser(directory.User{ID: "u-old", UserName: "bob@x.test", Owner: directory.OwnerAdmin,
			Emails: []directory.MultiValue{{Value: "victim@x.test\x00"}}})
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	var out, errOut bytes.Buffer
	if code := runCheck(ctx, []string{"--data", path}, &out, &errOut); code != 1 {
		t.Errorf("roster check on a store with a refused value: exit %d, want 1\n%s%s", code, out.String(), errOut.String())
	}
	if s := out.String(); !strings.Contains(s, "u-old") || !strings.Contains(s, "emails[0].value") || strings.Contains(s, "u-ok (") ||
		!strings.Contains(s, "checked 2 users") {
		t.Errorf("report:\n%s\nwant u-old's email named, u-ok not, and the count", s)
	}

	// Nothing changed: the value is still there to be fixed by whoever owns it.
	st, err = bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Update(ctx, func(tx directory.Tx) error {
		u, err := tx.User("u-old")
		if err != nil || u.Emails[0].Value != "victim@x.test\x00" {
			t.Errorf("u-old after roster check: %+v, %v", u, err)
		}
		return tx.DeleteUser("u-old")
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	out.Reset()
	if code := runCheck(ctx, []string{"--data", path}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "0 refused") {
		t.Errorf("roster check on a clean store: exit %d\n%s", code, out.String())
	}
}
