package bolt

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/rosterhq/roster/directory"
)

// A large group a transaction writes is kept decoded as it was written, so the next read of
// it (the PATCH after a PATCH) does not decode it again; and what is kept is exactly what
// decoding the stored bytes gives. A small group, or one with a string JSON would change,
// is not kept.
func TestWrittenLargeGroupIsKept(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	created := time.Date(2026, 3, 1, 9, 30, 0, 123456789, time.FixedZone("CET", 3600))
	big := directory.Group{ID: "g-big", DisplayName: "Everyone", IdP: "okta", ExternalID: "ext-1",
		Owner: directory.OwnerSCIM, Meta: directory.Meta{Created: created, LastModified: time.Now(), Version: 3}}
	small := directory.Group{ID: "g-small", DisplayName: "Few", IdP: "okta"}
	odd := directory.Group{ID: "g-odd", DisplayName: "Bad \xff name", IdP: "okta"}
	if err := s.Update(ctx, func(tx directory.Tx) error {
		for i := range 200 {
			id := fmt.Sprintf("user-%04d-with-a-long-enough-id", i)
			if err := tx.PutUser(directory.User{ID: id, UserName: id, IdP: "okta"}); err != nil {
				return err
			}
			big.Members = append(big.Members, id)
			odd.Members = append(odd.Members, id)
			if i < 3 {
				small.Members = append(small.Members, id)
			}
		}
		for _, g := range []directory.Group{big, small, odd} {
			if err := tx.PutGroup(g); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.DB().View(func(btx *bbolt.Tx) error {
		for _, c := range []struct {
			id   string
			kept bool
		}{{"g-big", true}, {"g-small", false}, {"g-odd", false}} {
			raw := btx.Bucket(bGroups).Get([]byte(c.id))
			kept, ok := s.cache.groups.peek(c.id, raw)
			if ok != c.kept {
				t.Errorf("%s kept after its write: %v, want %v", c.id, ok, c.kept)
				continue
			}
			if !ok {
				continue
			}
			want, err := (&txn{tx: btx}).decodeGroup(raw)
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(kept, want) {
				t.Errorf("%s kept as\n%+v\nwhile its bytes decode to\n%+v", c.id, kept, want)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
