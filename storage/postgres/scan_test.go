package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
)

// Scans read page by page so that their callback may use the transaction mid-scan (one
// connection runs one statement at a time). The suite's scans fit in one page; these do not.
func TestScansCrossPages(t *testing.T) {
	s := openFresh(t)
	ctx := context.Background()
	const users, groups, keys = 700, 300, 300
	err := s.Update(ctx, func(tx directory.Tx) error {
		for i := range users {
			idp := []string{"okta", "entra"}[i%2]
			if err := tx.PutUser(testUser(fmt.Sprintf("u%04d", i), fmt.Sprint("n", i), idp, fmt.Sprint(i))); err != nil {
				return err
			}
		}
		for i := range groups {
			g := directory.Group{ID: fmt.Sprintf("g%04d", i), DisplayName: fmt.Sprint("G", i), IdP: "okta",
				Owner: directory.OwnerSCIM, Members: []string{fmt.Sprintf("u%04d", i)}, Meta: directory.Meta{Created: t0, LastModified: t0}}
			if err := tx.PutGroup(g); err != nil {
				return err
			}
		}
		for i := range keys {
			if err := tx.PutKV("session", fmt.Sprintf("k%04d", i), []byte("v"), t0.Add(time.Hour)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(ctx, func(tx directory.ReadTx) error {
		var all, okta int
		prev := ""
		err := tx.ScanUsers(directory.ScanQuery{}, func(u directory.User) error {
			if u.ID <= prev {
				t.Fatalf("scan out of order: %s after %s", u.ID, prev)
			}
			prev = u.ID
			all++
			// Using the transaction inside the callback is why scans page.
			_, err := tx.GroupsOfUser(u.ID)
			return err
		})
		if err != nil || all != users {
			t.Errorf("full scan: %d users, %v; want %d", all, err, users)
		}
		err = tx.ScanUsers(directory.ScanQuery{IdP: "okta", After: "u0100"}, func(u directory.User) error {
			if u.IdP != "okta" {
				t.Errorf("okta scan returned %s of %s", u.ID, u.IdP)
			}
			okta++
			return nil
		})
		if want := (users - 102) / 2; err != nil || okta != want {
			t.Errorf("okta scan after u0100: %d users, %v; want %d", okta, err, want)
		}
		n := 0
		err = tx.ScanGroups(directory.ScanQuery{IdP: "okta"}, func(g directory.Group) error {
			if g.ID != fmt.Sprintf("g%04d", n) || len(g.Members) != 1 || g.Members[0] != fmt.Sprintf("u%04d", n) {
				t.Errorf("group %d: %s with members %v", n, g.ID, g.Members)
			}
			n++
			if n == 280 {
				return directory.ErrStopScan
			}
			_, err := tx.Group(g.ID)
			return err
		})
		if err != nil || n != 280 {
			t.Errorf("group scan stopped at 280: %d, %v", n, err)
		}
		if n := 0; tx.ScanGroups(directory.ScanQuery{IdP: "entra"}, func(directory.Group) error { n++; return nil }) != nil || n != 0 {
			t.Errorf("entra has %d groups, want 0", n)
		}
		k := 0
		err = tx.ScanKV("session", t0, func(key string, v []byte) error {
			if key != fmt.Sprintf("k%04d", k) || string(v) != "v" {
				t.Errorf("entry %d: %s=%q", k, key, v)
			}
			k++
			_, err := tx.KV("session", key, t0)
			return err
		})
		if err != nil || k != keys {
			t.Errorf("KV scan: %d keys, %v; want %d", k, err, keys)
		}
		if k := 0; tx.ScanKV("session", t0.Add(2*time.Hour), func(string, []byte) error { k++; return nil }) != nil || k != 0 {
			t.Errorf("KV scan after expiry: %d keys", k)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
