package bolt_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/storage/bolt"
)

// snapshot reads every key of every bucket of the file.
func snapshot(t *testing.T, s *bolt.Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := s.DB().View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				out[string(name)+"\x00"+string(k)] = string(v)
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// CreateWrites lists exactly the keys and values a user create (PutUser and AppendEvent in one
// transaction) adds to a file: found by comparing every bucket before and after a real create.
func TestCreateWritesAreACreatesWrites(t *testing.T) {
	s, err := bolt.Open(filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("x", 3600))
	for i, u := range []directory.User{
		{ID: "u1", UserName: "Ada@example.com", IdP: "okta", UniqueUserID: "00u1", ExternalID: "00u1", Active: true, Owner: directory.OwnerSCIM,
			Emails: []directory.MultiValue{{Value: "ada@example.com"}, {Value: "ADA@example.com"}, {Value: "ada@work.example"}},
			Meta:   directory.Meta{Created: now, LastModified: now, Version: 1}},
		{ID: "u2", Org: "acme", UserName: "grace", IdP: "entra", Owner: directory.OwnerJIT, LastLoginAt: now},
	} {
		e := directory.Event{ID: fmt.Sprint("e", i), Type: directory.EventUserCreated, Org: u.Org, Subject: u.ID, Time: now, User: &u}
		before := snapshot(t, s)
		var seq uint64
		if err := s.Update(context.Background(), func(tx directory.Tx) error {
			if err := tx.PutUser(u); err != nil {
				return err
			}
			seq, err = tx.AppendEvent(e)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		added := map[string]string{}
		for k, v := range snapshot(t, s) {
			if old, ok := before[k]; !ok || old != v {
				added[k] = v
			}
		}
		writes, err := bolt.CreateWrites(u, e, seq)
		if err != nil {
			t.Fatal(err)
		}
		listed := map[string]string{}
		for _, w := range writes {
			listed[string(w.Bucket)+"\x00"+string(w.Key)] = string(w.Value)
		}
		for k, v := range added {
			if lv, ok := listed[k]; !ok {
				t.Errorf("user %s: the create wrote %q, which CreateWrites does not list", u.ID, k)
			} else if lv != v {
				t.Errorf("user %s: %q is %q in the file, %q in CreateWrites", u.ID, k, v, lv)
			}
		}
		for k := range listed {
			if _, ok := added[k]; !ok {
				t.Errorf("user %s: CreateWrites lists %q, which the create did not write", u.ID, k)
			}
		}
		if len(added) < 6 || !bytes.Contains([]byte(added["users\x00"+u.ID]), []byte(u.UserName)) {
			t.Errorf("user %s: the comparison found only %d keys: %v", u.ID, len(added), added)
		}
	}
}
