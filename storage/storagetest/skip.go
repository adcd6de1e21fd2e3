package storagetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster/directory"
)

// scanSkip: a scan with Skip k returns what the same scan without it returns from its k-th
// record on, for every kind of query — all records, one IdP, one organization, both (where a
// record of another organization must not count), after a cursor — and every k up to past the
// end; counts agree with scans.
func scanSkip(t *testing.T, s directory.Store) {
	var users []directory.User
	for i := range 23 {
		o, idp := "acme", "acme-okta"
		switch i % 4 {
		case 1:
			o, idp = "globex", "globex-entra"
		case 2:
			idp = "acme-entra"
		case 3:
			// Another organization's users under an IdP name acme also uses: an
			// organization's scan of that IdP must pass over them, skipping included.
			o = "globex"
		}
		users = append(users, inOrg(o, user(fmt.Sprintf("u%02d", i), fmt.Sprint("n", i), idp, fmt.Sprint(i))))
	}
	putUsers(t, s, users...)
	mustUpdate(t, s, func(tx directory.Tx) error {
		for i := range 9 {
			g := group(fmt.Sprintf("g%d", i), fmt.Sprint("G", i), "acme-okta")
			if i%3 == 1 {
				g.IdP = "globex-entra"
			}
			if err := tx.PutGroup(g); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx directory.ReadTx) error {
		scanIDs := func(q directory.ScanQuery, groups bool) []string {
			ids := []string{}
			var err error
			if groups {
				err = tx.ScanGroups(q, func(g directory.Group) error { ids = append(ids, g.ID); return nil })
			} else {
				err = tx.ScanUsers(q, func(u directory.User) error { ids = append(ids, u.ID); return nil })
			}
			if err != nil {
				t.Fatalf("scan %+v: %v", q, err)
			}
			return ids
		}
		for _, groups := range []bool{false, true} {
			for _, q := range []directory.ScanQuery{{}, {IdP: "acme-okta"}, {Org: "acme"}, {Org: "acme", IdP: "acme-okta"},
				{Org: "globex", IdP: "acme-okta"}, {After: "u07"}, {IdP: "acme-okta", After: "u04"}, {Org: "globex", After: "u05"}} {
				all := scanIDs(q, groups)
				for k := 0; k <= len(all)+1; k++ {
					q := q
					q.Skip = k
					want := []string{}
					if k < len(all) {
						want = all[k:]
					}
					if diff := cmp.Diff(want, scanIDs(q, groups)); diff != "" {
						t.Errorf("groups %v, scan %+v (-want +got):\n%s", groups, q, diff)
					}
				}
				if groups || q.After != "" {
					continue
				}
				if n, err := tx.CountUsers(q.Org, q.IdP); err != nil || n != len(all) {
					t.Errorf("CountUsers(%q, %q) = %d, %v; the scan finds %d", q.Org, q.IdP, n, err, len(all))
				}
			}
		}
		return nil
	})
}

// scanGroupHeads: a scan of groups WithoutMembers returns the groups the same scan with
// members returns, in the same order and equal in every field but Members, which is nil —
// for every kind of query, skipping included, and for groups of no member, a few, and
// enough to be stored in several parts.
func scanGroupHeads(t *testing.T, s directory.Store) {
	var users []directory.User
	var ids []string
	for i := range 600 {
		id := fmt.Sprintf("u%03d", i)
		users = append(users, user(id, "n"+id, "okta", id))
		ids = append(ids, id)
	}
	putUsers(t, s, users...)
	mustUpdate(t, s, func(tx directory.Tx) error {
		for i, members := range [][]string{nil, ids[:3], ids, ids[100:400], ids[5:6]} {
			g := group(fmt.Sprintf("g%d", i), fmt.Sprint("G", i), "okta", members...)
			g.ExternalID = fmt.Sprint("ext-", i)
			if i == 3 {
				g.IdP = "entra"
			}
			if err := tx.PutGroup(g); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx directory.ReadTx) error {
		scan := func(q directory.ScanQuery) []directory.Group {
			var out []directory.Group
			if err := tx.ScanGroups(q, func(g directory.Group) error { out = append(out, g); return nil }); err != nil {
				t.Fatalf("scan %+v: %v", q, err)
			}
			return out
		}
		for _, q := range []directory.ScanQuery{{}, {IdP: "okta"}, {Org: directory.DefaultOrg}, {IdP: "entra"}, {After: "g1"},
			{Skip: 2}, {IdP: "okta", Skip: 1}, {Org: directory.DefaultOrg, IdP: "okta", Skip: 3}} {
			want := scan(q)
			if len(want) == 0 {
				t.Fatalf("scan %+v finds nothing", q)
			}
			for i := range want {
				want[i].Members = nil
			}
			heads := q
			heads.WithoutMembers = true
			got := scan(heads)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("scan %+v without members (-want +got):\n%s", q, diff)
			}
		}
		return nil
	})
}

// externalIDAsIdentity: externalId look-ups find every user of the IdP with that externalId,
// once each and in id order, whether or not the externalId is the user's uniqueUserId (as it
// is for JIT users and for IdPs matched by externalId), after every change of either, and not
// a user of another IdP or one whose uniqueUserId alone is the value.
func externalIDAsIdentity(t *testing.T, s directory.Store) {
	mk := func(id, idp, uid, ext string) directory.User {
		u := user(id, "name-"+id, idp, uid)
		u.ExternalID = ext
		if idp == "" {
			u.UniqueUserID, u.Owner = "", directory.OwnerAdmin
		}
		return u
	}
	a, b, c, d := mk("u-a", "okta", "X", "X"), mk("u-b", "okta", "Y", "X"), mk("u-c", "entra", "X", "X"), mk("u-d", "", "", "X")
	e, f := mk("u-e", "okta", "W", "V"), mk("u-f", "okta", "V", "Q")
	putUsers(t, s, b, a, c, d, e, f)
	look := func(step string, want map[[2]string][]string) {
		t.Helper()
		view(t, s, func(tx directory.ReadTx) error {
			for q, ids := range want {
				us, err := tx.UsersByExternalID(q[0], q[1])
				if err != nil {
					t.Fatalf("%s: externalId %q of IdP %q: %v", step, q[1], q[0], err)
				}
				got := []string{}
				for _, u := range us {
					got = append(got, u.ID)
				}
				if !slices.Equal(got, ids) {
					t.Errorf("%s: externalId %q of IdP %q finds %v, want %v", step, q[1], q[0], got, ids)
				}
			}
			return nil
		})
	}
	look("created", map[[2]string][]string{
		{"okta", "X"}: {"u-a", "u-b"}, {"entra", "X"}: {"u-c"}, {"", "X"}: {"u-d"},
		{"okta", "V"}: {"u-e"}, {"okta", "Q"}: {"u-f"}, {"okta", "Y"}: {}, {"okta", "W"}: {},
	})
	a.ExternalID = "Z" // no longer its uniqueUserId
	putUsers(t, s, a)
	look("a's externalId changed", map[[2]string][]string{{"okta", "X"}: {"u-b"}, {"okta", "Z"}: {"u-a"}})
	a.UniqueUserID = "Z" // its uniqueUserId again
	putUsers(t, s, a)
	look("a's uniqueUserId changed to it", map[[2]string][]string{{"okta", "X"}: {"u-b"}, {"okta", "Z"}: {"u-a"}})
	b.UniqueUserID = "X" // b's externalId is now its uniqueUserId too
	putUsers(t, s, b)
	look("b's uniqueUserId changed to its externalId", map[[2]string][]string{{"okta", "X"}: {"u-b"}, {"okta", "Y"}: {}})
	mustUpdate(t, s, func(tx directory.Tx) error { return tx.DeleteUser(b.ID) })
	look("b deleted", map[[2]string][]string{{"okta", "X"}: {}, {"okta", "Z"}: {"u-a"}})
	b = mk("u-b2", "okta", "X", "X")
	putUsers(t, s, b)
	look("another user takes b's identity", map[[2]string][]string{{"okta", "X"}: {"u-b2"}})
}
