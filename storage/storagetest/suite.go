package storagetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/scimfilter"
)

// Run runs every case of the suite, each on a fresh empty store from newStore.
func Run(t *testing.T, newStore func(t *testing.T) directory.Store) {
	cases := []struct {
		name string
		fn   func(t *testing.T, s directory.Store)
	}{
		{"user round trip keeps every field", userRoundTrip},
		{"missing resources are ErrNotFound", missingIsNotFound},
		{"users by id, in the order asked, past a thousand", usersByID},
		{"userName is unique case-insensitively (R8)", userNameUnique},
		{"identity is unique per IdP (R7)", identityUnique},
		{"indexes follow updates", indexesFollowUpdates},
		{"externalId and email lookups", externalIDAndEmail},
		{"scan is in id order with a cursor and IdP filter", scanOrder},
		{"a scan naming the strings a filter looks for finds, through the filter, what a scan without finds", scanMentions},
		{"a scan skips as many records as asked, whatever it selects", scanSkip},
		{"a scan of groups without members reads the rest of every group", scanGroupHeads},
		{"counts of users by IdP, owner and status follow every write", userStates},
		{"externalId look-ups whether or not it is the uniqueUserId", externalIDAsIdentity},
		{"users in the order of their folded userNames, from a name on, either way", userNameOrder},
		{"group membership both ways", groupMembership},
		{"group members follow every kind of write", memberWalk},
		{"40 goroutines joining one group each become a member once", raceJoins},
		{"deleting a user removes its memberships", deleteUserMemberships},
		{"group displayName unique per IdP", groupNameUnique},
		{"group members must exist", groupMembersExist},
		{"tombstones", tombstones},
		{"an arrival reads what its three look-ups read, in a view and after writes", arrivals},
		{"IdPs", idps},
		{"tokens by hash", tokens},
		{"a token and its IdP, read at once, as read in a transaction", tokenWithIdP},
		{"events are gap-free and ordered", eventsOrdered},
		{"a failed transaction leaves nothing, not even its events", rollback},
		{"times round-trip in UTC", timesUTC},
		{"nil and empty slices", nilAndEmpty},
		{"KV expiry, insert-if-absent and purge", kv},
		{"an entry and the user it names, read at once, as read in a transaction", kvUser},
		{"50 goroutines racing to create one identity make one user (R7)", raceIdentity},
		{"concurrent writers keep the event log gap-free", raceEvents},
		{"a new store holds organization default", newStoreHasDefaultOrg},
		{"records without an org are default's; old admin tokens are owners", recordsWithoutOrg},
		{"userName and email are per organization (R8, R13)", userNamePerOrg},
		{"50 goroutines racing to create one userName in one organization make one user", raceUserNameInOrg},
		{"organizations round-trip, list and delete", orgCRUD},
		{"a domain is verified by one organization at most", domainOneOrg},
		{"scans and counts of one organization", scanOneOrg},
		{"events of one organization", orgEvents},
		{"index keys are length-safe", lengthSafeKeys},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			c.fn(t, s)
		})
	}
}

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 800, time.UTC)

func user(id, userName, idp, uid string) directory.User {
	return directory.User{
		ID: id, UserName: userName, IdP: idp, UniqueUserID: uid, Active: true, Owner: directory.OwnerSCIM,
		Meta: directory.Meta{Created: t0, LastModified: t0, Version: 1},
	}
}

func update(t *testing.T, s directory.Store, fn func(tx directory.Tx) error) error {
	t.Helper()
	return s.Update(context.Background(), fn)
}

func mustUpdate(t *testing.T, s directory.Store, fn func(tx directory.Tx) error) {
	t.Helper()
	if err := update(t, s, fn); err != nil {
		t.Fatalf("update: %v", err)
	}
}

func view(t *testing.T, s directory.Store, fn func(tx directory.ReadTx) error) {
	t.Helper()
	if err := s.View(context.Background(), fn); err != nil {
		t.Fatalf("view: %v", err)
	}
}

func putUsers(t *testing.T, s directory.Store, users ...directory.User) {
	t.Helper()
	mustUpdate(t, s, func(tx directory.Tx) error {
		for _, u := range users {
			if err := tx.PutUser(u); err != nil {
				return fmt.Errorf("put %s: %w", u.ID, err)
			}
		}
		return nil
	})
}

func userRoundTrip(t *testing.T, s directory.Store) {
	want := directory.User{
		ID: "u1", UserName: "Ada@Example.com", Name: directory.Name{GivenName: "Ada", FamilyName: "Lovelace", Formatted: "Ada Lovelace"},
		DisplayName: "Ada", Title: "Countess", Locale: "en-GB", Active: true,
		Emails:       []directory.MultiValue{{Value: "ada@example.com", Type: "work", Primary: true}},
		PhoneNumbers: []directory.MultiValue{{Value: "+44 1", Type: "mobile"}},
		Addresses:    []directory.Address{{Locality: "London", Country: "GB", Primary: true}},
		ExternalID:   "ext-1", Enterprise: directory.Enterprise{Department: "Maths", ManagerID: "u0"},
		Org: "acme", IdP: "entra", UniqueUserID: "oid-1", Owner: directory.OwnerSCIM, PasswordHash: "hash",
		LastLoginAt: t0.Add(time.Hour), SessionsValidAfter: t0.Add(2 * time.Hour),
		Meta: directory.Meta{Created: t0, LastModified: t0.Add(time.Minute), Version: 7},
	}
	putUsers(t, s, want)
	view(t, s, func(tx directory.ReadTx) error {
		got, err := tx.User("u1")
		if err != nil {
			return err
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
		return nil
	})
}

func missingIsNotFound(t *testing.T, s directory.Store) {
	view(t, s, func(tx directory.ReadTx) error {
		checks := map[string]error{}
		_, checks["User"] = tx.User("nope")
		_, checks["UserByUserName"] = tx.UserByUserName(directory.DefaultOrg, "nope")
		_, checks["UserByIdentity"] = tx.UserByIdentity(directory.Identity{IdP: "a", UniqueUserID: "b"})
		_, checks["Group"] = tx.Group("nope")
		_, checks["GroupName"] = tx.GroupName("nope")
		_, checks["GroupByDisplayName"] = tx.GroupByDisplayName("a", "nope")
		_, checks["Tombstone"] = tx.Tombstone(directory.Identity{IdP: "a", UniqueUserID: "b"})
		_, checks["IdP"] = tx.IdP("nope")
		_, checks["Token"] = tx.Token("nope")
		_, checks["TokenByHash"] = tx.TokenByHash([]byte("nope"))
		_, checks["KV"] = tx.KV("ns", "nope", t0)
		for name, err := range checks {
			if !errors.Is(err, directory.ErrNotFound) {
				t.Errorf("%s of a missing resource: %v, want ErrNotFound", name, err)
			}
		}
		return nil
	})
}

func userNameUnique(t *testing.T, s directory.Store) {
	putUsers(t, s, user("u1", "Ada@Example.com", "okta", "1"))
	err := update(t, s, func(tx directory.Tx) error { return tx.PutUser(user("u2", "ada@EXAMPLE.com", "okta", "2")) })
	var ce *directory.ConflictError
	if !errors.Is(err, directory.ErrConflict) || !errors.As(err, &ce) || ce.Field != "userName" {
		t.Fatalf("second user with the same folded userName: %v, want a userName ConflictError", err)
	}
	view(t, s, func(tx directory.ReadTx) error {
		u, err := tx.UserByUserName(directory.DefaultOrg, "ADA@example.COM")
		if err != nil || u.ID != "u1" {
			t.Errorf("lookup by other casing = %v, %v; want u1", u.ID, err)
		}
		if _, err := tx.User("u2"); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("the refused user was stored: %v", err)
		}
		return nil
	})
}

func identityUnique(t *testing.T, s directory.Store) {
	putUsers(t, s, user("u1", "a", "okta", "00u1"))
	err := update(t, s, func(tx directory.Tx) error { return tx.PutUser(user("u2", "b", "okta", "00u1")) })
	var ce *directory.ConflictError
	if !errors.As(err, &ce) || ce.Field != "identity" {
		t.Fatalf("second user with the same identity: %v, want an identity ConflictError", err)
	}
	// The same uniqueUserId at another IdP is another person.
	putUsers(t, s, user("u3", "c", "entra", "00u1"))
	view(t, s, func(tx directory.ReadTx) error {
		for idp, want := range map[string]string{"okta": "u1", "entra": "u3"} {
			u, err := tx.UserByIdentity(directory.Identity{IdP: idp, UniqueUserID: "00u1"})
			if err != nil || u.ID != want {
				t.Errorf("identity %s/00u1 = %q, %v; want %s", idp, u.ID, err, want)
			}
		}
		return nil
	})
}

func indexesFollowUpdates(t *testing.T, s directory.Store) {
	u := user("u1", "old@example.com", "okta", "k1")
	u.ExternalID = "e1"
	u.Emails = []directory.MultiValue{{Value: "old@example.com"}}
	putUsers(t, s, u)
	u.UserName, u.UniqueUserID, u.ExternalID = "new@example.com", "k2", "e2"
	u.Emails = []directory.MultiValue{{Value: "new@example.com"}}
	putUsers(t, s, u)
	// The old values are free again.
	putUsers(t, s, user("u2", "old@example.com", "okta", "k1"))
	view(t, s, func(tx directory.ReadTx) error {
		if got, err := tx.UserByUserName(directory.DefaultOrg, "new@example.com"); err != nil || got.ID != "u1" {
			t.Errorf("new userName finds %q (err: %v)", got.ID, err)
		}
		if got, err := tx.UserByIdentity(directory.Identity{IdP: "okta", UniqueUserID: "k2"}); err != nil || got.ID != "u1" {
			t.Errorf("new identity finds %q (err: %v)", got.ID, err)
		}
		if got, err := tx.UsersByExternalID("okta", "e1"); err != nil || len(got) != 0 {
			t.Errorf("old externalId still finds %d users (err: %v)", len(got), err)
		}
		if got, err := tx.UsersByEmail(directory.DefaultOrg, "old@example.com"); err != nil || len(got) != 0 {
			t.Errorf("old email still finds %d users (err: %v)", len(got), err)
		}
		if got, err := tx.UsersByEmail(directory.DefaultOrg, "NEW@example.com"); err != nil || len(got) != 1 || got[0].ID != "u1" {
			t.Errorf("new email finds %v (err: %v)", got, err)
		}
		return nil
	})
}

func externalIDAndEmail(t *testing.T, s directory.Store) {
	a := user("u1", "a", "okta", "1")
	a.ExternalID = "x"
	a.Emails = []directory.MultiValue{{Value: "Shared@Example.com"}, {Value: "a@example.com"}}
	b := user("u2", "b", "okta", "2")
	b.ExternalID = "x" // externalId is not unique: the IdP decides what it holds
	b.Emails = []directory.MultiValue{{Value: "shared@example.com"}}
	c := user("u3", "c", "entra", "3")
	c.ExternalID = "x"
	putUsers(t, s, a, b, c)
	view(t, s, func(tx directory.ReadTx) error {
		got, err := tx.UsersByExternalID("okta", "x")
		if err != nil || len(got) != 2 {
			t.Errorf("externalId x at okta: %d users, %v; want 2", len(got), err)
		}
		got, err = tx.UsersByEmail(directory.DefaultOrg, "SHARED@example.com")
		if err != nil || len(got) != 2 {
			t.Errorf("shared email: %d users, %v; want 2", len(got), err)
		}
		return nil
	})
}

func scanOrder(t *testing.T, s directory.Store) {
	var users []directory.User
	for i := 9; i >= 0; i-- {
		idp := "okta"
		if i%2 == 1 {
			idp = "entra"
		}
		users = append(users, user(fmt.Sprintf("u%02d", i), fmt.Sprintf("n%d", i), idp, fmt.Sprint(i)))
	}
	putUsers(t, s, users...)
	scan := func(q directory.ScanQuery, stopAfter int) []string {
		var ids []string
		view(t, s, func(tx directory.ReadTx) error {
			return tx.ScanUsers(q, func(u directory.User) error {
				ids = append(ids, u.ID)
				if len(ids) == stopAfter {
					return directory.ErrStopScan
				}
				return nil
			})
		})
		return ids
	}
	if diff := cmp.Diff([]string{"u00", "u01", "u02", "u03", "u04", "u05", "u06", "u07", "u08", "u09"}, scan(directory.ScanQuery{}, 0)); diff != "" {
		t.Errorf("full scan (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"u05", "u06"}, scan(directory.ScanQuery{After: "u04"}, 2)); diff != "" {
		t.Errorf("scan after u04, stopped after 2 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"u04", "u06", "u08"}, scan(directory.ScanQuery{IdP: "okta", After: "u02"}, 0)); diff != "" {
		t.Errorf("okta scan after u02 (-want +got):\n%s", diff)
	}
	view(t, s, func(tx directory.ReadTx) error {
		for idp, want := range map[string]int{"okta": 5, "entra": 5, "": 10, "none": 0} {
			if n, err := tx.CountUsers("", idp); err != nil || n != want {
				t.Errorf("CountUsers(%q) = %d, %v; want %d", idp, n, err, want)
			}
		}
		return nil
	})
}

func userNameOrder(t *testing.T, s directory.Store) {
	mustUpdate(t, s, func(tx directory.Tx) error {
		for _, org := range []string{"acme", "big"} {
			if err := tx.PutOrg(directory.Organization{ID: org, Name: org, EmailDomains: directory.EmailDomainsAny}); err != nil {
				return err
			}
		}
		return nil
	})
	inOrg := func(u directory.User, org string) directory.User { u.Org = org; return u }
	putUsers(t, s,
		user("u1", "bob@x.test", "okta", "1"), user("u2", "Ann@X.test", "okta", "2"), user("u3", "ann.b@x.test", "okta", "3"),
		user("u4", "anna@x.test", "okta", "4"), user("u5", "ÉMILE@x.test", "okta", "5"), user("u6", "Zed@x.test", "okta", "6"),
		inOrg(user("u7", "aaa@x.test", "acme-idp", "7"), "acme"), inOrg(user("u8", "zzz@x.test", "acme-idp", "8"), "acme"))
	var big []directory.User
	for i := 299; i >= 0; i-- { // more than a page of any backend, written out of order
		big = append(big, inOrg(user(fmt.Sprintf("b%03d", 299-i), fmt.Sprintf("p%03d@x.test", i), "big-idp", fmt.Sprint(i)), "big"))
	}
	putUsers(t, s, big...)
	walk := func(tx directory.ReadTx, org, from string, desc bool, stopAfter int) []string {
		t.Helper()
		ids := []string{}
		complete, err := tx.UsersByUserName(org, from, desc, func(u directory.User) error {
			if u.Org != directory.OrgOrDefault(org) {
				t.Errorf("UsersByUserName(%q) passed user %s of organization %q", org, u.ID, u.Org)
			}
			ids = append(ids, u.ID)
			if len(ids) == stopAfter {
				return directory.ErrStopScan
			}
			return nil
		})
		if err != nil || !complete {
			t.Fatalf("UsersByUserName(%q, %q, %v) = %v, %v; want complete", org, from, desc, complete, err)
		}
		return ids
	}
	// Folded: "ann.b@x.test" < "ann@x.test" < "anna@x.test" ('.' < '@' < 'a') < "bob@x.test" <
	// "zed@x.test" < "émile@x.test" (byte order: é is two bytes from 0xC3).
	for _, c := range []struct {
		org, from string
		desc      bool
		stop      int
		want      []string
	}{
		{"", "", false, 0, []string{"u3", "u2", "u4", "u1", "u6", "u5"}},
		{directory.DefaultOrg, "", true, 0, []string{"u5", "u6", "u1", "u4", "u2", "u3"}},
		{"", "anna@x.test", false, 0, []string{"u4", "u1", "u6", "u5"}},
		{"", "b", false, 0, []string{"u1", "u6", "u5"}},
		{"", "bob@x.test", true, 0, []string{"u1", "u4", "u2", "u3"}},
		{"", "b", true, 0, []string{"u4", "u2", "u3"}},
		{"", "zzzz", true, 0, []string{"u6", "u1", "u4", "u2", "u3"}},
		{"", "􏿿", true, 0, []string{"u5", "u6", "u1", "u4", "u2", "u3"}},
		{"", "􏿿", false, 0, []string{}},
		{"", "a", true, 0, []string{}},
		{"", "", false, 2, []string{"u3", "u2"}},
		{"", "", true, 2, []string{"u5", "u6"}},
		{"acme", "", false, 0, []string{"u7", "u8"}},
		{"acme", "", true, 0, []string{"u8", "u7"}},
		{"acme", "zzz@x.test", true, 0, []string{"u8", "u7"}},
		{"none", "", false, 0, []string{}},
		{"none", "", true, 0, []string{}},
	} {
		view(t, s, func(tx directory.ReadTx) error {
			if diff := cmp.Diff(c.want, walk(tx, c.org, c.from, c.desc, c.stop)); diff != "" {
				t.Errorf("UsersByUserName(%q, %q, desc %v), stopped after %d (-want +got):\n%s", c.org, c.from, c.desc, c.stop, diff)
			}
			return nil
		})
	}
	var asc, desc []string
	for i := range 300 {
		asc = append(asc, fmt.Sprintf("b%03d", 299-i))
		desc = append(desc, fmt.Sprintf("b%03d", i))
	}
	view(t, s, func(tx directory.ReadTx) error {
		if diff := cmp.Diff(asc, walk(tx, "big", "", false, 0)); diff != "" {
			t.Errorf("300 users in userName order (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(desc, walk(tx, "big", "", true, 0)); diff != "" {
			t.Errorf("300 users in reverse userName order (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(asc[150:], walk(tx, "big", "p150@x.test", false, 0)); diff != "" {
			t.Errorf("from the 151st userName on (-want +got):\n%s", diff)
		}
		return nil
	})
	// A write transaction walks what it wrote, and names that changed move.
	renamed := user("u1", "Aaron@x.test", "okta", "1")
	mustUpdate(t, s, func(tx directory.Tx) error {
		if err := tx.PutUser(user("u9", "carl@x.test", "okta", "9")); err != nil {
			return err
		}
		if err := tx.PutUser(renamed); err != nil {
			return err
		}
		if err := tx.DeleteUser("u4"); err != nil {
			return err
		}
		if diff := cmp.Diff([]string{"u1", "u3", "u2", "u9", "u6", "u5"}, walk(tx, "", "", false, 0)); diff != "" {
			t.Errorf("in the transaction that added carl, renamed bob to aaron and deleted anna (-want +got):\n%s", diff)
		}
		return nil
	})
}

func group(id, name, idp string, members ...string) directory.Group {
	if members == nil {
		members = []string{}
	}
	return directory.Group{ID: id, DisplayName: name, IdP: idp, Owner: directory.OwnerSCIM, Members: members,
		Meta: directory.Meta{Created: t0, LastModified: t0, Version: 1}}
}

func usersByID(t *testing.T, s directory.Store) {
	var us []directory.User
	var ids []string
	for i := range 1100 {
		u := user(fmt.Sprintf("u%04d", i), fmt.Sprint("user", i), "okta", fmt.Sprint(i))
		u.Org = directory.DefaultOrg
		us, ids = append(us, u), append(ids, u.ID)
	}
	putUsers(t, s, us...)
	slices.Reverse(ids)
	asked := append([]string{"ghost"}, ids...)
	asked = append(asked[:600:600], append([]string{"another ghost"}, asked[600:]...)...)
	view(t, s, func(tx directory.ReadTx) error {
		got, err := tx.UsersByID(asked)
		if err != nil || len(got) != len(ids) {
			t.Fatalf("UsersByID of %d ids (1100 users, 2 missing) = %d users, %v", len(asked), len(got), err)
		}
		for i, u := range got {
			if want := us[len(us)-1-i]; !cmp.Equal(u, want) {
				t.Fatalf("user %d: %s, want %s (%s)", i, u.ID, want.ID, cmp.Diff(want, u))
			}
		}
		if got, err := tx.UsersByID(nil); err != nil || got == nil || len(got) != 0 {
			t.Errorf("UsersByID of none = %v, %v; want an empty list", got, err)
		}
		return nil
	})
}

func groupMembership(t *testing.T, s directory.Store) {
	putUsers(t, s, user("u1", "a", "okta", "1"), user("u2", "b", "okta", "2"))
	mustUpdate(t, s, func(tx directory.Tx) error {
		if err := tx.PutGroup(group("g1", "Eng", "okta", "u1", "u2")); err != nil {
			return err
		}
		return tx.PutGroup(group("g2", "Ops", "okta", "u1"))
	})
	mustUpdate(t, s, func(tx directory.Tx) error { return tx.PutGroup(group("g1", "Engineering", "okta", "u2")) })
	view(t, s, func(tx directory.ReadTx) error {
		if got, err := tx.GroupsOfUser("u1"); err != nil || !cmp.Equal(got, []string{"g2"}) {
			t.Errorf("u1 member of %v, want [g2] (err: %v)", got, err)
		}
		if got, err := tx.GroupsOfUser("u2"); err != nil || !cmp.Equal(got, []string{"g1"}) {
			t.Errorf("u2 member of %v, want [g1] (err: %v)", got, err)
		}
		if g, err := tx.GroupByDisplayName("okta", "engineering"); err != nil || g.ID != "g1" {
			t.Errorf("renamed group by new name: %q, %v", g.ID, err)
		}
		if name, err := tx.GroupName("g1"); err != nil || name != "Engineering" {
			t.Errorf("GroupName of the renamed group: %q, %v", name, err)
		}
		if _, err := tx.GroupByDisplayName("okta", "Eng"); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("old group name still found: %v", err)
		}
		return nil
	})
	// A group large enough for a store to keep it decoded is named as it is now, renamed
	// or not, and named as it was inside a transaction that renames it and rolls back.
	var many []string
	for i := range 200 {
		many = append(many, fmt.Sprintf("member-%04d-of-a-large-group", i))
	}
	putUsers(t, s, func() []directory.User {
		var us []directory.User
		for i, id := range many {
			us = append(us, user(id, id, "okta", fmt.Sprint("m", i)))
		}
		return us
	}()...)
	// GroupRefsOfUser names a user's groups as GroupName names each, and GroupRefsOfUsers
	// names them as GroupRefsOfUser does.
	refs := func(tx directory.ReadTx, userID string, want ...directory.GroupRef) {
		t.Helper()
		got, err := tx.GroupRefsOfUser(userID)
		if err != nil || got == nil || !cmp.Equal(got, append([]directory.GroupRef{}, want...)) {
			t.Errorf("GroupRefsOfUser(%s) = %v, %v; want %v", userID, got, err, want)
		}
		users := []string{"u1", userID, "nobody", many[0], many[1]}
		all, err := tx.GroupRefsOfUsers(users)
		if err != nil {
			t.Errorf("GroupRefsOfUsers: %v", err)
		}
		for _, u := range users {
			one, _ := tx.GroupRefsOfUser(u)
			if len(one) == 0 && all[u] != nil || len(one) > 0 && !cmp.Equal(all[u], one) {
				t.Errorf("GroupRefsOfUsers(%v)[%s] = %v, GroupRefsOfUser = %v", users, u, all[u], one)
			}
		}
		if len(all) > len(users) {
			t.Errorf("GroupRefsOfUsers(%v) has %d entries", users, len(all))
		}
	}
	mustUpdate(t, s, func(tx directory.Tx) error { return tx.PutGroup(group("g0", "Zeta", "okta", "u2", many[0])) })
	for _, name := range []string{"Everyone", "All staff"} {
		mustUpdate(t, s, func(tx directory.Tx) error { return tx.PutGroup(group("g3", name, "okta", many...)) })
		view(t, s, func(tx directory.ReadTx) error {
			if got, err := tx.GroupName("g3"); err != nil || got != name {
				t.Errorf("GroupName of a group of %d: %q, %v; want %q", len(many), got, err, name)
			}
			refs(tx, many[0], directory.GroupRef{ID: "g0", DisplayName: "Zeta"}, directory.GroupRef{ID: "g3", DisplayName: name})
			refs(tx, "u2", directory.GroupRef{ID: "g0", DisplayName: "Zeta"}, directory.GroupRef{ID: "g1", DisplayName: "Engineering"})
			refs(tx, "nobody")
			return nil
		})
		// The same after the users were read, by id and by userName (a store may read their
		// groups with them), and for a user in no group.
		view(t, s, func(tx directory.ReadTx) error {
			for _, read := range []func() (directory.User, error){
				func() (directory.User, error) { return tx.User(many[0]) },
				func() (directory.User, error) { return tx.UserByUserName(directory.DefaultOrg, "B") },
				func() (directory.User, error) { return tx.User(many[5]) },
			} {
				if _, err := read(); err != nil {
					t.Fatalf("reading a user: %v", err)
				}
			}
			refs(tx, "u2", directory.GroupRef{ID: "g0", DisplayName: "Zeta"}, directory.GroupRef{ID: "g1", DisplayName: "Engineering"})
			refs(tx, many[5], directory.GroupRef{ID: "g3", DisplayName: name})
			if all, err := tx.GroupRefsOfUsers([]string{many[0], "u2", "u1"}); err != nil || len(all) != 3 || len(all[many[0]]) != 2 || len(all["u1"]) != 1 {
				t.Errorf("GroupRefsOfUsers of users read before: %v, %v", all, err)
			}
			if _, err := tx.User("nobody"); !errors.Is(err, directory.ErrNotFound) {
				t.Errorf("User(nobody): %v, want ErrNotFound", err)
			}
			refs(tx, "nobody")
			return nil
		})
	}
	rolledBack := errors.New("rolled back")
	if err := update(t, s, func(tx directory.Tx) error {
		// A write transaction that read the user first names the groups its writes leave.
		if _, err := tx.User(many[1]); err != nil {
			return err
		}
		refs(tx, many[1], directory.GroupRef{ID: "g3", DisplayName: "All staff"})
		if err := tx.PutGroup(group("g4", "Joined", "okta", many[1])); err != nil {
			return err
		}
		if err := tx.PutGroup(group("g3", "Nobody", "okta", many...)); err != nil {
			return err
		}
		if got, err := tx.GroupName("g3"); err != nil || got != "Nobody" {
			t.Errorf("GroupName inside the renaming transaction: %q, %v", got, err)
		}
		refs(tx, many[1], directory.GroupRef{ID: "g3", DisplayName: "Nobody"}, directory.GroupRef{ID: "g4", DisplayName: "Joined"})
		// And so after each kind of change, the user read again before it, by id or by its
		// identity (a store may keep its groups from either read), and so are the groups
		// found by name, its or not, at its IdP and not at another.
		for i, c := range []struct {
			what   string
			change func() error
			want   []directory.GroupRef
			named  map[string]string // every group of these names, by name
		}{
			{"joins g0", func() error { return tx.AddGroupMember("g0", many[1], directory.Meta{Version: 9}) },
				[]directory.GroupRef{{ID: "g0", DisplayName: "Zeta"}, {ID: "g3", DisplayName: "Nobody"}, {ID: "g4", DisplayName: "Joined"}},
				map[string]string{"Zeta": "g0", "Nobody": "g3", "Joined": "g4"}},
			{"leaves g4", func() error { return tx.RemoveGroupMember("g4", many[1], directory.Meta{Version: 9}) },
				[]directory.GroupRef{{ID: "g0", DisplayName: "Zeta"}, {ID: "g3", DisplayName: "Nobody"}},
				map[string]string{"Zeta": "g0", "Nobody": "g3", "Joined": "g4"}},
			{"sees g3 renamed", func() error { return tx.PutGroup(group("g3", "Renamed", "okta", many...)) },
				[]directory.GroupRef{{ID: "g0", DisplayName: "Zeta"}, {ID: "g3", DisplayName: "Renamed"}},
				map[string]string{"Zeta": "g0", "Renamed": "g3", "Joined": "g4"}},
			{"sees g0 deleted", func() error { return tx.DeleteGroup("g0") },
				[]directory.GroupRef{{ID: "g3", DisplayName: "Renamed"}},
				map[string]string{"Renamed": "g3", "Joined": "g4"}},
			{"is deleted", func() error { return tx.DeleteUser(many[1]) }, nil,
				map[string]string{"Renamed": "g3", "Joined": "g4"}},
		} {
			if i%2 == 0 {
				if _, err := tx.User(many[1]); err != nil {
					return err
				}
			} else if a, err := tx.Arrival(directory.Identity{IdP: "okta", UniqueUserID: "m1"}, directory.DefaultOrg, many[1]); err != nil || a.ByKey == nil || a.ByKey.ID != many[1] {
				t.Fatalf("the arrival of %s: %+v, %v", many[1], a, err)
			}
			if err := c.change(); err != nil {
				return fmt.Errorf("%s %s: %w", many[1], c.what, err)
			}
			refs(tx, many[1], c.want...)
			ids := []string{}
			for _, r := range c.want {
				ids = append(ids, r.ID)
			}
			if got, err := tx.GroupsOfUser(many[1]); err != nil || !cmp.Equal(got, ids) {
				t.Errorf("GroupsOfUser(%s) after it %s: %v, %v; want %v", many[1], c.what, got, err, ids)
			}
			// Found by name right after the change, and again once the user was read again.
			names := []string{"Zeta", "Nobody", "Joined", "Renamed"}
			for again := range 2 {
				if again == 1 && c.want != nil {
					if _, err := tx.Arrival(directory.Identity{IdP: "okta", UniqueUserID: "m1"}, directory.DefaultOrg, many[1]); err != nil {
						return err
					}
				}
				for _, asked := range append([][]string{names}, [][]string{{"zeta"}, {" NOBODY"}, {"Joined"}, {"renamed"}}...) {
					want := map[string]string{}
					for _, n := range asked {
						for name, id := range c.named {
							if strings.EqualFold(name, strings.TrimSpace(n)) {
								want[n] = id
							}
						}
					}
					if got, err := tx.GroupIDsByDisplayName("okta", asked); err != nil || !cmp.Equal(got, want) {
						t.Errorf("after %s %s, GroupIDsByDisplayName(okta, %q) = %v, %v; want %v", many[1], c.what, asked, got, err, want)
					}
					if got, err := tx.GroupIDsByDisplayName("entra", asked); err != nil || len(got) != 0 {
						t.Errorf("after %s %s, GroupIDsByDisplayName(entra, %q) = %v, %v; want none", many[1], c.what, asked, got, err)
					}
				}
			}
		}
		return rolledBack
	}); !errors.Is(err, rolledBack) {
		t.Errorf("the transaction that changes a user's groups: %v", err)
	}
	view(t, s, func(tx directory.ReadTx) error {
		if got, err := tx.GroupName("g3"); err != nil || got != "All staff" {
			t.Errorf("GroupName after a rolled-back rename: %q, %v", got, err)
		}
		refs(tx, many[1], directory.GroupRef{ID: "g3", DisplayName: "All staff"})
		return nil
	})
	mustUpdate(t, s, func(tx directory.Tx) error { return tx.DeleteGroup("g1") })
	view(t, s, func(tx directory.ReadTx) error {
		if _, err := tx.GroupName("g1"); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("GroupName of a deleted group: %v", err)
		}
		if got, err := tx.GroupsOfUser("u2"); err != nil || !cmp.Equal(got, []string{"g0"}) {
			t.Errorf("u2 member of %v after g1 was deleted, want [g0] (err: %v)", got, err)
		}
		refs(tx, "u2", directory.GroupRef{ID: "g0", DisplayName: "Zeta"})
		return nil
	})
}

func deleteUserMemberships(t *testing.T, s directory.Store) {
	putUsers(t, s, user("u1", "a", "okta", "1"), user("u2", "b", "okta", "2"))
	mustUpdate(t, s, func(tx directory.Tx) error { return tx.PutGroup(group("g1", "Eng", "okta", "u1", "u2")) })
	mustUpdate(t, s, func(tx directory.Tx) error { return tx.DeleteUser("u1") })
	view(t, s, func(tx directory.ReadTx) error {
		g, err := tx.Group("g1")
		if err != nil {
			return err
		}
		if !cmp.Equal(g.Members, []string{"u2"}) {
			t.Errorf("members after deleting u1: %v, want [u2]", g.Members)
		}
		if _, err := tx.UserByUserName(directory.DefaultOrg, "a"); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("deleted user's userName still indexed: %v", err)
		}
		if _, err := tx.UserByIdentity(directory.Identity{IdP: "okta", UniqueUserID: "1"}); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("deleted user's identity still indexed: %v", err)
		}
		return nil
	})
	putUsers(t, s, user("u9", "a", "okta", "1")) // both keys are free again
}

func groupNameUnique(t *testing.T, s directory.Store) {
	mustUpdate(t, s, func(tx directory.Tx) error { return tx.PutGroup(group("g1", "Eng", "okta")) })
	err := update(t, s, func(tx directory.Tx) error { return tx.PutGroup(group("g2", "ENG", "okta")) })
	if !errors.Is(err, directory.ErrConflict) {
		t.Errorf("second group named ENG at okta: %v, want ErrConflict", err)
	}
	mustUpdate(t, s, func(tx directory.Tx) error { return tx.PutGroup(group("g3", "Eng", "entra")) })
	// Read first, as the directory writes a group (whole, or its head and then whole): its own
	// name is its to keep, another's is a conflict at once — within the IdP, or in the IdP it
	// moves to — and the transaction goes on.
	mustUpdate(t, s, func(tx directory.Tx) error { return tx.PutGroup(group("g4", "Ops", "okta")) })
	mustUpdate(t, s, func(tx directory.Tx) error {
		for _, head := range []bool{false, true} {
			if head {
				if _, _, err := tx.GroupHead("g4", 10); err != nil {
					return err
				}
			}
			g, err := tx.Group("g4")
			if err != nil {
				return err
			}
			if err := tx.PutGroup(g); err != nil {
				t.Errorf("g4 put back with its own name (head read first: %t): %v", head, err)
			}
			for _, to := range []struct{ name, idp string }{{"eng", "okta"}, {"Eng", "entra"}} {
				moved := g
				moved.DisplayName, moved.IdP = to.name, to.idp
				if err := tx.PutGroup(moved); !errors.Is(err, directory.ErrConflict) {
					t.Errorf("g4 read (head first: %t) and renamed %q at %s, which another group holds: %v, want ErrConflict", head, to.name, to.idp, err)
				}
			}
		}
		g, err := tx.Group("g4")
		if err != nil {
			return err
		}
		g.DisplayName = "Ops renamed"
		return tx.PutGroup(g)
	})
	view(t, s, func(tx directory.ReadTx) error {
		if g, err := tx.Group("g4"); err != nil || g.DisplayName != "Ops renamed" || g.IdP != "okta" {
			t.Errorf("g4 after the refused renames: %+v, %v; want Ops renamed at okta", g, err)
		}
		for _, c := range []struct{ idp, name, want string }{{"okta", " eNG ", "g1"}, {"entra", "eng", "g3"}, {"okta", "Ops", ""}, {"google", "Eng", ""}} {
			id, err := tx.GroupIDByDisplayName(c.idp, c.name)
			if c.want == "" && !errors.Is(err, directory.ErrNotFound) || c.want != "" && (err != nil || id != c.want) {
				t.Errorf("GroupIDByDisplayName(%q, %q) = %q, %v; want %q", c.idp, c.name, id, err, c.want)
			}
		}
		// Several at once, keyed by the names as given, two of which fold alike.
		ids, err := tx.GroupIDsByDisplayName("okta", []string{" eNG ", "Ops", "eng", "ENG"})
		if want := map[string]string{" eNG ": "g1", "eng": "g1", "ENG": "g1"}; err != nil || !cmp.Equal(ids, want) {
			t.Errorf("GroupIDsByDisplayName(okta, …) = %v, %v; want %v", ids, err, want)
		}
		if ids, err := tx.GroupIDsByDisplayName("entra", []string{"Eng"}); err != nil || !cmp.Equal(ids, map[string]string{"Eng": "g3"}) {
			t.Errorf("GroupIDsByDisplayName(entra, Eng) = %v, %v; want g3", ids, err)
		}
		if ids, err := tx.GroupIDsByDisplayName("okta", nil); err != nil || ids == nil || len(ids) != 0 {
			t.Errorf("GroupIDsByDisplayName(okta, none) = %v, %v; want an empty map", ids, err)
		}
		return nil
	})
}

func groupMembersExist(t *testing.T, s directory.Store) {
	err := update(t, s, func(tx directory.Tx) error { return tx.PutGroup(group("g1", "Eng", "okta", "ghost")) })
	if !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("group with a member that is not a user: %v, want ErrInvalid", err)
	}
	view(t, s, func(tx directory.ReadTx) error {
		if _, err := tx.Group("g1"); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("refused group was stored: %v", err)
		}
		return nil
	})
}

func tombstones(t *testing.T, s directory.Store) {
	ts := directory.Tombstone{Org: "acme", IdP: "okta", UniqueUserID: "00u1", UserID: "u1", UserName: "a", DeletedAt: t0, Actor: "scim:t"}
	mustUpdate(t, s, func(tx directory.Tx) error {
		if err := tx.PutTombstone(ts); err != nil {
			return err
		}
		return tx.PutTombstone(directory.Tombstone{IdP: "entra", UniqueUserID: "x", DeletedAt: t0})
	})
	view(t, s, func(tx directory.ReadTx) error {
		got, err := tx.Tombstone(directory.Identity{IdP: "okta", UniqueUserID: "00u1"})
		if diff := cmp.Diff(ts, got); err != nil || diff != "" {
			t.Errorf("tombstone: %v %s", err, diff)
		}
		if list, err := tx.Tombstones("okta"); err != nil || len(list) != 1 {
			t.Errorf("okta tombstones: %d, want 1 (err: %v)", len(list), err)
		}
		if list, err := tx.Tombstones(""); err != nil || len(list) != 2 {
			t.Errorf("all tombstones: %d, want 2 (err: %v)", len(list), err)
		}
		return nil
	})
	mustUpdate(t, s, func(tx directory.Tx) error {
		return tx.DeleteTombstone(directory.Identity{IdP: "okta", UniqueUserID: "00u1"})
	})
	view(t, s, func(tx directory.ReadTx) error {
		if _, err := tx.Tombstone(directory.Identity{IdP: "okta", UniqueUserID: "00u1"}); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("cleared tombstone: %v", err)
		}
		return nil
	})
	// Within one transaction, a tombstone reads as the transaction left it, whatever was read
	// of its identity before (a store may read the tombstone with the identity's user).
	id := directory.Identity{IdP: "okta", UniqueUserID: "00u1"}
	mustUpdate(t, s, func(tx directory.Tx) error {
		if _, err := tx.UserByIdentity(id); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("the user of a deleted identity: %v", err)
		}
		if _, err := tx.Tombstone(id); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("a cleared tombstone, read after its identity's user: %v", err)
		}
		if err := tx.PutTombstone(ts); err != nil {
			return err
		}
		if got, err := tx.Tombstone(id); err != nil || got.UserID != ts.UserID {
			t.Errorf("a tombstone written after its identity's user was read: %+v %v", got, err)
		}
		_, _ = tx.UserByIdentity(id)
		if err := tx.DeleteTombstone(id); err != nil {
			return err
		}
		if _, err := tx.Tombstone(id); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("a tombstone cleared after its identity's user was read: %v", err)
		}
		return nil
	})
}

func arrivals(t *testing.T, s directory.Store) {
	mustUpdate(t, s, func(tx directory.Tx) error {
		return tx.PutOrg(directory.Organization{ID: "acme", Name: "acme", EmailDomains: directory.EmailDomainsAny})
	})
	inAcme := user("u3", "Ann@X.test", "acme-idp", "3")
	inAcme.Org = "acme"
	putUsers(t, s, user("u1", "bob@x.test", "okta", "1"), user("u2", "Ann@X.test", "okta", "2"), inAcme)
	gone := directory.Tombstone{Org: directory.DefaultOrg, IdP: "okta", UniqueUserID: "9", UserID: "u9", UserName: "zoe@x.test", DeletedAt: t0, Actor: "scim:t"}
	mustUpdate(t, s, func(tx directory.Tx) error { return tx.PutTombstone(gone) })

	type want struct{ byKey, tombstone, byUserName string } // user ids and the tombstone's user; "" for none
	check := func(tx directory.ReadTx, name string, id directory.Identity, org, userName string, w want) {
		t.Helper()
		a, err := tx.Arrival(id, org, userName)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got want
		if a.ByKey != nil {
			got.byKey = a.ByKey.ID
		}
		if a.Tombstone != nil {
			got.tombstone = a.Tombstone.UserID
		}
		if a.ByUserName != nil {
			got.byUserName = a.ByUserName.ID
		}
		if got != w {
			t.Errorf("%s: arrival of %v, %q in %q read %+v, want %+v", name, id, userName, org, got, w)
		}
		// The same as the look-ups one by one, field for field.
		one, err := arrivalByLookups(tx, id, org, userName)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(one, a); diff != "" {
			t.Errorf("%s: arrival differs from its look-ups (-one by one +arrival):\n%s", name, diff)
		}
	}
	cases := func(tx directory.ReadTx) {
		check(tx, "returning user", directory.Identity{IdP: "okta", UniqueUserID: "1"}, "", "BOB@x.test", want{"u1", "", "u1"})
		check(tx, "new identity, taken userName", directory.Identity{IdP: "okta", UniqueUserID: "7"}, directory.DefaultOrg, "ann@x.test", want{"", "", "u2"})
		check(tx, "the same userName in another organization", directory.Identity{IdP: "acme-idp", UniqueUserID: "7"}, "acme", "ann@x.test", want{"", "", "u3"})
		check(tx, "deprovisioned identity", directory.Identity{IdP: "okta", UniqueUserID: "9"}, directory.DefaultOrg, "zoe@x.test", want{"", "u9", ""})
		check(tx, "someone else's userName", directory.Identity{IdP: "okta", UniqueUserID: "2"}, directory.DefaultOrg, "bob@x.test", want{"u2", "", "u1"})
		check(tx, "nobody", directory.Identity{IdP: "okta", UniqueUserID: "8"}, directory.DefaultOrg, "new@x.test", want{"", "", ""})
	}
	view(t, s, func(tx directory.ReadTx) error { cases(tx); return nil })
	mustUpdate(t, s, func(tx directory.Tx) error { cases(tx); return nil })

	// In a write, an arrival reads what the transaction wrote before it, and what it kept of
	// an arrival read before does not outlive a write.
	zoe := directory.Identity{IdP: "okta", UniqueUserID: "9"}
	mustUpdate(t, s, func(tx directory.Tx) error {
		check(tx, "before the writes", zoe, directory.DefaultOrg, "zoe@x.test", want{"", "u9", ""})
		if err := tx.DeleteTombstone(zoe); err != nil {
			return err
		}
		if err := tx.PutUser(user("u9b", "zoe@x.test", "okta", "9")); err != nil {
			return err
		}
		check(tx, "after the writes", zoe, directory.DefaultOrg, "ZOE@x.test", want{"u9b", "", "u9b"})
		if err := tx.PutTombstone(gone); err != nil {
			return err
		}
		check(tx, "after a tombstone is written", zoe, directory.DefaultOrg, "zoe@x.test", want{"u9b", "u9", "u9b"})
		return nil
	})
	view(t, s, func(tx directory.ReadTx) error {
		check(tx, "committed", zoe, directory.DefaultOrg, "zoe@x.test", want{"u9b", "u9", "u9b"})
		return nil
	})

	// A put after an arrival is refused at once where the userName or the identity is another
	// user's — the one the arrival showed held, or another than it read — and the transaction
	// goes on.
	newcomer := directory.Identity{IdP: "okta", UniqueUserID: "new"}
	mustUpdate(t, s, func(tx directory.Tx) error {
		for _, c := range []struct {
			name      string
			id        directory.Identity
			read, put directory.User
			field     string
		}{
			{"the userName the arrival showed held", newcomer, user("u-new", "bob@x.test", "", ""), user("u-new", "BOB@x.test", "okta", "new"), "userName"},
			{"a held userName the arrival did not read", newcomer, user("", "free@x.test", "", ""), user("u-new", "ann@x.test", "okta", "new"), "userName"},
			{"the identity the arrival showed held", directory.Identity{IdP: "okta", UniqueUserID: "1"}, user("", "free@x.test", "", ""), user("u-new", "free@x.test", "okta", "1"), "identity"},
			{"a held identity the arrival did not read", newcomer, user("", "free@x.test", "", ""), user("u-new", "free@x.test", "okta", "2"), "identity"},
		} {
			if _, err := tx.Arrival(c.id, directory.DefaultOrg, c.read.UserName); err != nil {
				return err
			}
			var conflict *directory.ConflictError
			if err := tx.PutUser(c.put); !errors.As(err, &conflict) || conflict.Field != c.field {
				t.Errorf("a put of %s: %v, want a conflict of %s", c.name, err, c.field)
			}
		}
		if _, err := tx.Arrival(newcomer, directory.DefaultOrg, "free@x.test"); err != nil {
			return err
		}
		return tx.PutUser(user("u-new", "free@x.test", "okta", "new"))
	})
	view(t, s, func(tx directory.ReadTx) error {
		check(tx, "a put after refused ones", newcomer, directory.DefaultOrg, "free@x.test", want{"u-new", "", "u-new"})
		return nil
	})

	// So is a put of a user read by id that takes another's userName or identity; one that
	// keeps its own is written.
	mustUpdate(t, s, func(tx directory.Tx) error {
		for _, c := range []struct {
			name  string
			edit  func(u *directory.User)
			field string
		}{
			{"another's userName", func(u *directory.User) { u.UserName = "BOB@x.test" }, "userName"},
			{"another's identity", func(u *directory.User) { u.UniqueUserID = "1" }, "identity"},
		} {
			u, err := tx.User("u-new")
			if err != nil {
				return err
			}
			c.edit(&u)
			var conflict *directory.ConflictError
			if err := tx.PutUser(u); !errors.As(err, &conflict) || conflict.Field != c.field {
				t.Errorf("a put of a user read by id, given %s: %v, want a conflict of %s", c.name, err, c.field)
			}
		}
		u, err := tx.User("u-new")
		if err != nil {
			return err
		}
		u.Title = "kept its keys"
		return tx.PutUser(u)
	})
	view(t, s, func(tx directory.ReadTx) error {
		if u, err := tx.User("u-new"); err != nil || u.Title != "kept its keys" || u.UserName != "free@x.test" {
			t.Errorf("the user after refused puts and one that kept its keys: %+v %v", u, err)
		}
		return nil
	})
}

// arrivalByLookups is what ReadTx.Arrival reads, read with the three look-ups it stands for.
func arrivalByLookups(tx directory.ReadTx, id directory.Identity, org, userName string) (directory.Arrival, error) {
	var a directory.Arrival
	if u, err := tx.UserByIdentity(id); err == nil {
		a.ByKey = &u
	} else if !errors.Is(err, directory.ErrNotFound) {
		return a, err
	}
	if ts, err := tx.Tombstone(id); err == nil {
		a.Tombstone = &ts
	} else if !errors.Is(err, directory.ErrNotFound) {
		return a, err
	}
	if u, err := tx.UserByUserName(org, userName); err == nil {
		a.ByUserName = &u
	} else if !errors.Is(err, directory.ErrNotFound) {
		return a, err
	}
	return a, nil
}

func idps(t *testing.T, s directory.Store) {
	p := directory.IdP{ID: "entra", Org: "acme", Name: "Entra ID", Protocol: directory.ProtocolSAML, Mode: directory.ModeBoth,
		SAML: directory.SAMLSettings{MetadataXML: "<x/>"}, Mapping: directory.Mapping{UniqueUserID: "userUniqueId"},
		SCIMMatch: "externalId", LinkPolicy: "none", LoginAuthoritative: []string{"email"}, DefaultGroups: []string{},
		Created: t0, Updated: t0}
	mustUpdate(t, s, func(tx directory.Tx) error { return tx.PutIdP(p) })
	view(t, s, func(tx directory.ReadTx) error {
		got, err := tx.IdP("entra")
		if diff := cmp.Diff(p, got); err != nil || diff != "" {
			t.Errorf("IdP round trip: %v %s", err, diff)
		}
		if all, err := tx.IdPs(); err != nil || len(all) != 1 {
			t.Errorf("IdPs: %d, want 1 (err: %v)", len(all), err)
		}
		return nil
	})
	mustUpdate(t, s, func(tx directory.Tx) error { return tx.DeleteIdP("entra") })
	view(t, s, func(tx directory.ReadTx) error {
		if all, err := tx.IdPs(); err != nil || len(all) != 0 {
			t.Errorf("IdPs after delete: %d (err: %v)", len(all), err)
		}
		return nil
	})
}

func tokens(t *testing.T, s directory.Store) {
	tok := directory.Token{ID: "t1", Kind: directory.TokenSCIM, IdP: "okta", Org: "acme", Name: "prod", Hash: directory.HashSecret("s1"),
		Created: t0, ExpiresAt: t0.Add(time.Hour)}
	admin := directory.Token{ID: "t2", Kind: directory.TokenAdmin, Hash: directory.HashSecret("s2"), Created: t0}
	mustUpdate(t, s, func(tx directory.Tx) error {
		if err := tx.PutToken(tok); err != nil {
			return err
		}
		return tx.PutToken(admin)
	})
	err := update(t, s, func(tx directory.Tx) error {
		return tx.PutToken(directory.Token{ID: "t3", Kind: directory.TokenAdmin, Hash: directory.HashSecret("s1"), Created: t0})
	})
	if !errors.Is(err, directory.ErrConflict) {
		t.Errorf("a second token with the same hash: %v, want ErrConflict", err)
	}
	view(t, s, func(tx directory.ReadTx) error {
		got, err := tx.TokenByHash(directory.HashSecret("s1"))
		if diff := cmp.Diff(tok, got); err != nil || diff != "" {
			t.Errorf("token by hash: %v %s", err, diff)
		}
		if l, err := tx.Tokens(directory.TokenSCIM, "okta"); err != nil || len(l) != 1 {
			t.Errorf("okta SCIM tokens: %d (err: %v)", len(l), err)
		}
		if l, err := tx.Tokens(directory.TokenAdmin, ""); err != nil || len(l) != 1 {
			t.Errorf("admin tokens: %d (err: %v)", len(l), err)
		}
		return nil
	})
	mustUpdate(t, s, func(tx directory.Tx) error { return tx.DeleteToken("t1") })
	view(t, s, func(tx directory.ReadTx) error {
		if _, err := tx.TokenByHash(directory.HashSecret("s1")); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("deleted token still found by hash: %v", err)
		}
		return nil
	})
}

// tokenWithIdP checks ReadTokenByHash, the check of a bearer token, against
// ReadTokenByHashIn in a read transaction: a SCIM token with its IdP, an administrator's token
// of no IdP, a token whose IdP was deleted, one that never was, and a revoked token, which is
// read as it is (the caller judges it).
func tokenWithIdP(t *testing.T, s directory.Store) {
	okta := directory.IdP{ID: "okta", Org: "acme", Name: "Okta", Protocol: directory.ProtocolSAML, Mode: directory.ModeJIT,
		DefaultGroups: []string{}, LoginAuthoritative: []string{}, Created: t0, Updated: t0}
	entra := directory.IdP{ID: "entra", Name: "Entra ID", Protocol: directory.ProtocolOIDC, Mode: directory.ModeBoth,
		DefaultGroups: []string{}, LoginAuthoritative: []string{}, Created: t0, Updated: t0}
	toks := []directory.Token{
		{ID: "t1", Kind: directory.TokenSCIM, IdP: "okta", Org: "acme", Name: "prod", Hash: directory.HashSecret("s1"), Created: t0},
		{ID: "t2", Kind: directory.TokenAdmin, Hash: directory.HashSecret("s2"), Created: t0},
		{ID: "t3", Kind: directory.TokenSCIM, IdP: "entra", Hash: directory.HashSecret("s3"), Created: t0},
		{ID: "t4", Kind: directory.TokenSCIM, IdP: "never", Hash: directory.HashSecret("s4"), Created: t0},
		{ID: "t5", Kind: directory.TokenSCIM, IdP: "okta", Org: "acme", Hash: directory.HashSecret("s5"), Created: t0, RevokedAt: t0},
	}
	mustUpdate(t, s, func(tx directory.Tx) error {
		for _, p := range []directory.IdP{okta, entra} {
			if err := tx.PutIdP(p); err != nil {
				return err
			}
		}
		for _, tok := range toks {
			if err := tx.PutToken(tok); err != nil {
				return err
			}
		}
		return nil
	})
	ctx := context.Background()
	compare := func(when string) {
		t.Helper()
		for _, secret := range []string{"s1", "s2", "s3", "s4", "s5", "nope"} {
			var want directory.Token
			var wantIdP directory.IdP
			var wantErr error
			view(t, s, func(tx directory.ReadTx) error {
				want, wantIdP, wantErr = directory.ReadTokenByHashIn(tx, directory.HashSecret(secret))
				return nil
			})
			got, idp, err := s.ReadTokenByHash(ctx, directory.HashSecret(secret))
			if !errors.Is(err, wantErr) || !cmp.Equal(got, want) || !cmp.Equal(idp, wantIdP) {
				t.Errorf("%s, %s: ReadTokenByHash = %+v, %+v, %v; in a transaction %+v, %+v, %v", when, secret, got, idp, err, want, wantIdP, wantErr)
			}
		}
	}
	compare("at first")
	if tok, idp, err := s.ReadTokenByHash(ctx, directory.HashSecret("s1")); err != nil || tok.ID != "t1" || idp.ID != "okta" || idp.Org != "acme" || idp.Mode != directory.ModeJIT {
		t.Errorf("okta's token: %+v, IdP %+v, %v", tok, idp, err)
	}
	if tok, idp, err := s.ReadTokenByHash(ctx, directory.HashSecret("s3")); err != nil || tok.ID != "t3" || idp.ID != "entra" || idp.Org != directory.DefaultOrg {
		t.Errorf("entra's token: %+v, IdP %+v, %v; want the IdP in organization default", tok, idp, err)
	}
	for _, secret := range []string{"s2", "s4"} {
		if tok, idp, err := s.ReadTokenByHash(ctx, directory.HashSecret(secret)); err != nil || tok.ID == "" || idp.ID != "" {
			t.Errorf("token %s: %+v, IdP %+v, %v; want the token and no IdP", secret, tok, idp, err)
		}
	}
	if _, _, err := s.ReadTokenByHash(ctx, directory.HashSecret("nope")); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("no such token: %v, want ErrNotFound", err)
	}
	// A change of the IdP is seen by the next check, and so is its deletion.
	okta.Mode = directory.ModeBoth
	mustUpdate(t, s, func(tx directory.Tx) error { return tx.PutIdP(okta) })
	if _, idp, err := s.ReadTokenByHash(ctx, directory.HashSecret("s1")); err != nil || idp.Mode != directory.ModeBoth {
		t.Errorf("after okta's mode changed: IdP %+v, %v", idp, err)
	}
	mustUpdate(t, s, func(tx directory.Tx) error { return tx.DeleteIdP("okta") })
	compare("after okta was deleted")
}

func appendEvents(t *testing.T, s directory.Store, n int) {
	mustUpdate(t, s, func(tx directory.Tx) error {
		for i := range n {
			if _, err := tx.AppendEvent(directory.Event{ID: fmt.Sprint("e", i), Type: "user.created", Time: t0,
				Actor: "system", Subject: fmt.Sprint("u", i), Rule: directory.RuleR1, Changes: []string{"userName"}}); err != nil {
				return err
			}
		}
		return nil
	})
}

func eventsOrdered(t *testing.T, s directory.Store) {
	appendEvents(t, s, 5)
	appendEvents(t, s, 3)
	view(t, s, func(tx directory.ReadTx) error {
		all, err := tx.Events(0, 100)
		if err != nil {
			return err
		}
		for i, e := range all {
			if e.Seq != uint64(i+1) {
				t.Errorf("event %d has seq %d", i, e.Seq)
			}
		}
		if len(all) != 8 {
			t.Errorf("%d events, want 8", len(all))
		}
		if page, err := tx.Events(5, 2); err != nil || len(page) != 2 || page[0].Seq != 6 || page[1].Seq != 7 {
			t.Errorf("page after 5 limit 2: %+v (err: %v)", page, err)
		}
		if last, err := tx.LastSeq(); err != nil || last != 8 {
			t.Errorf("LastSeq = %d, want 8 (err: %v)", last, err)
		}
		if rest, err := tx.Events(8, 10); err != nil || len(rest) != 0 {
			t.Errorf("events after the last: %d (err: %v)", len(rest), err)
		}
		return nil
	})
}

func rollback(t *testing.T, s directory.Store) {
	appendEvents(t, s, 1)
	boom := errors.New("boom")
	err := update(t, s, func(tx directory.Tx) error {
		if err := tx.PutUser(user("u1", "a", "okta", "1")); err != nil {
			return err
		}
		if _, err := tx.AppendEvent(directory.Event{ID: "lost", Type: "user.created", Time: t0}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("update returned %v, want the function's error", err)
	}
	appendEvents(t, s, 1)
	view(t, s, func(tx directory.ReadTx) error {
		if _, err := tx.User("u1"); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("user of a failed transaction: %v", err)
		}
		if evs, err := tx.Events(0, 10); err != nil || len(evs) != 2 || evs[1].Seq != 2 {
			t.Errorf("events after a rolled-back append: %+v; want seqs 1,2 with no gap (err: %v)", evs, err)
		}
		return nil
	})
}

func timesUTC(t *testing.T, s directory.Store) {
	paris := time.FixedZone("Paris", 3600)
	u := user("u1", "a", "okta", "1")
	u.Meta.Created = time.Date(2026, 1, 2, 3, 4, 5, 6000, paris)
	u.LastLoginAt = time.Date(2026, 1, 2, 4, 4, 5, 0, paris)
	putUsers(t, s, u)
	view(t, s, func(tx directory.ReadTx) error {
		got, err := tx.User("u1")
		if err != nil {
			return err
		}
		if got.Meta.Created.Location() != time.UTC || !got.Meta.Created.Equal(u.Meta.Created) {
			t.Errorf("created = %v, want %v in UTC", got.Meta.Created, u.Meta.Created.UTC())
		}
		if got.LastLoginAt.Location() != time.UTC || !got.LastLoginAt.Equal(u.LastLoginAt) {
			t.Errorf("lastLoginAt = %v", got.LastLoginAt)
		}
		if !got.SessionsValidAfter.IsZero() {
			t.Errorf("zero time came back as %v", got.SessionsValidAfter)
		}
		return nil
	})
}

func nilAndEmpty(t *testing.T, s directory.Store) {
	putUsers(t, s, user("u1", "a", "okta", "1"))
	mustUpdate(t, s, func(tx directory.Tx) error { return tx.PutGroup(group("g1", "Eng", "okta")) })
	view(t, s, func(tx directory.ReadTx) error {
		if u, err := tx.User("u1"); err != nil || u.Emails != nil {
			t.Errorf("a user without emails came back with %#v (err: %v)", u.Emails, err)
		}
		if g, err := tx.Group("g1"); err != nil || g.Members == nil {
			t.Errorf("an empty member list came back nil; lists must be [] not null (err: %v)", err)
		}
		if ids, err := tx.GroupsOfUser("u1"); err != nil || ids == nil {
			t.Errorf("GroupsOfUser returned nil for no groups (err: %v)", err)
		}
		if l, err := tx.UsersByEmail(directory.DefaultOrg, "none@example.com"); err != nil || l == nil {
			t.Errorf("UsersByEmail returned nil for no users (err: %v)", err)
		}
		if l, err := tx.Events(0, 10); err != nil || l == nil {
			t.Errorf("Events returned nil for no events (err: %v)", err)
		}
		return nil
	})
}

func kv(t *testing.T, s directory.Store) {
	mustUpdate(t, s, func(tx directory.Tx) error {
		if err := tx.PutKV("session", "a", []byte("alive"), t0.Add(time.Hour)); err != nil {
			return err
		}
		if err := tx.PutKV("session", "b", []byte("dead"), t0.Add(-time.Second)); err != nil {
			return err
		}
		return tx.PutKV("settings", "sp-key", []byte("forever"), time.Time{})
	})
	view(t, s, func(tx directory.ReadTx) error {
		if v, err := tx.KV("session", "a", t0); err != nil || string(v) != "alive" {
			t.Errorf("live entry: %q, %v", v, err)
		}
		if _, err := tx.KV("session", "b", t0); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("expired entry: %v, want ErrNotFound", err)
		}
		if v, err := tx.KV("settings", "sp-key", t0.Add(1000*time.Hour)); err != nil || string(v) != "forever" {
			t.Errorf("entry without expiry: %q, %v", v, err)
		}
		var keys []string
		err := tx.ScanKV("session", t0, func(k string, _ []byte) error { keys = append(keys, k); return nil })
		if err != nil || !cmp.Equal(keys, []string{"a"}) {
			t.Errorf("scan of session: %v, want [a] (err: %v)", keys, err)
		}
		return nil
	})
	// A transaction reads its own writes, and a store keeps the value as it was given, though
	// the caller reuses its buffer before the commit (a store may send writes later).
	mustUpdate(t, s, func(tx directory.Tx) error {
		buf := []byte("first")
		if err := tx.PutKV("session", "c", buf, t0.Add(time.Hour)); err != nil {
			return err
		}
		copy(buf, "XXXXX")
		if v, err := tx.KV("session", "c", t0); err != nil || string(v) != "first" {
			t.Errorf("KV after PutKV in the same transaction: %q, %v", v, err)
		}
		if err := tx.DeleteKV("session", "c"); err != nil {
			return err
		}
		if _, err := tx.KV("session", "c", t0); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("KV after DeleteKV in the same transaction: %v, want ErrNotFound", err)
		}
		if err := tx.PutKV("session", "d", buf[:0], t0.Add(time.Hour)); err != nil {
			return err
		}
		buf = append(buf[:0], "later"...)
		if err := tx.PutKV("session", "e", buf, t0.Add(time.Hour)); err != nil {
			return err
		}
		buf[0] = 'L'
		if err := tx.InsertKV("session", "e", []byte("x"), t0.Add(time.Hour), t0); !errors.Is(err, directory.ErrConflict) {
			t.Errorf("InsertKV over an entry put in the same transaction: %v, want ErrConflict", err)
		}
		return nil
	})
	view(t, s, func(tx directory.ReadTx) error {
		for k, want := range map[string]string{"c": "", "d": "", "e": "later"} {
			v, err := tx.KV("session", k, t0)
			if k == "c" && !errors.Is(err, directory.ErrNotFound) || k != "c" && (err != nil || string(v) != want) {
				t.Errorf("%s after its transaction: %q, %v; want %q", k, v, err, want)
			}
		}
		return nil
	})
	mustUpdate(t, s, func(tx directory.Tx) error {
		for _, k := range []string{"d", "e"} {
			if err := tx.DeleteKV("session", k); err != nil {
				return err
			}
		}
		return nil
	})
	// InsertKV is the replay cache: a second insert of a live key is a conflict.
	err := update(t, s, func(tx directory.Tx) error { return tx.InsertKV("session", "a", []byte("x"), t0.Add(time.Hour), t0) })
	if !errors.Is(err, directory.ErrConflict) {
		t.Errorf("InsertKV over a live entry: %v, want ErrConflict", err)
	}
	mustUpdate(t, s, func(tx directory.Tx) error {
		return tx.InsertKV("session", "b", []byte("again"), t0.Add(time.Hour), t0)
	})
	mustUpdate(t, s, func(tx directory.Tx) error { return tx.DeleteKV("session", "b") })
	purged := 0
	for more := true; more; {
		mustUpdate(t, s, func(tx directory.Tx) error {
			n, m, err := tx.PurgeKV(t0.Add(2*time.Hour), 100)
			purged, more = purged+n, m
			return err
		})
	}
	if purged != 1 {
		t.Errorf("purged %d entries at t0+2h, want 1 (session a)", purged)
	}
	view(t, s, func(tx directory.ReadTx) error {
		if _, err := tx.KV("settings", "sp-key", t0); err != nil {
			t.Errorf("purge removed an entry without expiry: %v", err)
		}
		return nil
	})
}

// scanMentions checks ScanQuery.Mentions, which a backend may use to pass over users without
// decoding them: for users whose strings mix cases, escapes JSON makes ("&", "<", quotes,
// backslashes, control characters) and letters whose case folding reaches into ASCII (the
// Kelvin sign folds to k, the long s to s), and random filters of the kinds
// scimfilter.Mentions takes, the users a scan with the filter's mentions gives and the filter
// matches are those a scan without them gives and the filter matches, in the same order;
// through the organization's index, the IdP's, both, from a cursor, and over every user.
func scanMentions(t *testing.T, s directory.Store) {
	rng := rand.New(rand.NewPCG(7, 11))
	pieces := []string{"ann", "Ann", "ANN", "lee", "Lee", "\u212Aim", "kim", "Kim", "ſam", "sam", "R&D", "r&d", "a<b", "q\"t", "back\\slash",
		"tab\tx", "@example.com", ".org", "zoë", "ZOË", "x", "42", "o'neil"}
	word := func() string {
		w := ""
		for range 1 + rng.IntN(3) {
			w += pieces[rng.IntN(len(pieces))]
		}
		return w
	}
	var users []directory.User
	const random = 200
	for i := range random {
		u := user(fmt.Sprintf("u%03d", i), fmt.Sprintf("%s-%d", word(), i), []string{"okta", "entra"}[i%2], fmt.Sprintf("%s-%d", word(), i))
		u.Org = []string{directory.DefaultOrg, "acme"}[i%3/2]
		u.DisplayName, u.Title, u.ExternalID = word(), word(), word()
		u.Name = directory.Name{GivenName: word(), FamilyName: word()}
		u.Emails = []directory.MultiValue{{Value: word() + "@example.com", Type: word(), Primary: true}}
		u.Enterprise.Department = word()
		u.Active = i%4 != 0
		if i%5 == 0 {
			u.Owner = directory.OwnerJIT
		}
		users = append(users, u)
	}
	// Users whose only such string a filter below looks for is spelt with a letter that folds
	// into ASCII, or escaped in JSON.
	kelvin := user("k1", "k1", "okta", "k1")
	kelvin.DisplayName = "\u212Aelvin"
	dotted := user("k2", "k2", "okta", "k2")
	dotted.Title = "D\u0130RECTOR"
	escaped := user("k3", "k3", "okta", "k3")
	escaped.Enterprise.Department = "R&D <West>"
	quoted := user("k4", "k4", "okta", "k4")
	quoted.Title = `say "Hi"`
	path := user("k5", "k5", "okta", "k5")
	path.Title = `C:\Temp`
	users = append(users, kelvin, dotted, escaped, quoted, path)
	fixed := []string{`displayName co "kelvin"`, `displayName eq "KELVIN"`, `title co "director"`, `title sw "di"`,
		`department eq "r&d <west>"`, `department co "&d <w"`, `userName eq "nobody" or department ew "west>"`,
		`title co "\"hi\""`, `title ew "\\temp"`, `title co "\"hi\"" or displayName co "x\u0000"`}
	mustUpdate(t, s, func(tx directory.Tx) error {
		for _, u := range users {
			if err := tx.PutUser(u); err != nil {
				return err
			}
		}
		return nil
	})
	attrs := []string{"userName", "displayName", "title", "externalId", "name.givenName", "name.familyName", "emails", "emails.value",
		"emails.type", "uniqueUserId", "idp", "owner", "id", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "department"}
	ops := []string{"eq", "co", "sw", "ew"}
	compare := func() string {
		v := word()
		if rng.IntN(3) == 0 { // a piece of a stored value, in another case
			u := users[rng.IntN(random)]
			src := []string{u.UserName, u.DisplayName, u.Emails[0].Value, u.UniqueUserID, u.Enterprise.Department}[rng.IntN(5)]
			from := rng.IntN(len(src))
			v = strings.ToUpper(src[from : from+1+rng.IntN(len(src)-from)])
		}
		q, _ := json.Marshal(v)
		return attrs[rng.IntN(len(attrs))] + " " + ops[rng.IntN(len(ops))] + " " + string(q)
	}
	queries := []directory.ScanQuery{{}, {Org: "acme"}, {IdP: "okta"}, {Org: directory.DefaultOrg, IdP: "entra"}, {After: "u150"}}
	extra := func(u directory.User) map[string]string {
		return map[string]string{"idp": u.IdP, "uniqueUserId": u.UniqueUserID, "owner": string(u.Owner)}
	}
	// What each query gives without mentions, read once.
	every := make([][]directory.User, len(queries))
	for i, q := range queries {
		view(t, s, func(tx directory.ReadTx) error {
			return tx.ScanUsers(q, func(u directory.User) error { every[i] = append(every[i], u); return nil })
		})
	}
	matched, withMentions := 0, 0
	for i := range 120 + len(fixed) {
		var f string
		if i < len(fixed) {
			f = fixed[i]
		} else {
			f = compare()
			for range rng.IntN(3) {
				f += []string{" or ", " and "}[rng.IntN(2)] + compare()
			}
			if i%10 == 0 {
				f += " and active eq true"
			}
		}
		e, err := scimfilter.Parse(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		mentions, ok := scimfilter.Mentions(e, "idp", "uniqueUserId", "owner")
		if ok {
			withMentions++
		}
		for qi, q := range queries {
			var want []string
			for _, u := range every[qi] {
				if scimfilter.MatchUser(e, u, extra(u)) {
					want = append(want, u.ID)
				}
			}
			if i < len(fixed) && q.Org == "" && q.IdP == "" && q.After == "" && len(want) != 1 {
				t.Errorf("%s matched %v, want one of k1 to k5", f, want)
			}
			q.Mentions = mentions
			var got []string
			view(t, s, func(tx directory.ReadTx) error {
				return tx.ScanUsers(q, func(u directory.User) error {
					if scimfilter.MatchUser(e, u, extra(u)) {
						got = append(got, u.ID)
					}
					return nil
				})
			})
			if !slices.Equal(got, want) {
				t.Errorf("%s, scan %+v: with mentions %q found %v, without %v", f, q, mentions, got, want)
			}
			matched += len(want)
		}
	}
	// Mentions the contract rules out (a NUL, an empty string, beyond ASCII) make a backend
	// do without them, not fail.
	for _, ms := range [][]string{{`"hi"`, "x\x00"}, {`"hi"`, ""}, {`"hi"`, "zoë"}} {
		found := false
		view(t, s, func(tx directory.ReadTx) error {
			return tx.ScanUsers(directory.ScanQuery{Mentions: ms}, func(u directory.User) error {
				found = found || u.ID == "k4"
				return nil
			})
		})
		if !found {
			t.Errorf("a scan naming %q passed over k4", ms)
		}
	}
	if withMentions < 80 || matched < 300 {
		t.Errorf("%d of %d filters had mentions, and they matched %d users in all: the test looks at too little", withMentions, 120+len(fixed), matched)
	}
}

// kvUser checks ReadKVUser, the session check, against ReadKVUserIn in a read transaction,
// for entries that name a user, name none, name one that does not exist, or are not JSON
// objects at all; and that it sees a write at once, and an entry's expiry.
func kvUser(t *testing.T, s directory.Store) {
	alice := user("u-alice", "alice", "okta", "a")
	alice.Org = directory.DefaultOrg
	alice.Emails = []directory.MultiValue{{Value: "alice@example.com", Type: "work", Primary: true}}
	values := map[string]string{
		"alice":     `{"userId":"u-alice","created":"2026-03-04T05:06:07Z"}`,
		"later":     `{"created":"x","userId":"u-bob","userId":"u-alice"}`, // the last of duplicate members, as in encoding/json
		"gone":      `{"userId":"u-nobody"}`,
		"none":      `{"idp":"okta"}`,
		"null":      `{"userId":null}`,
		"number":    `{"userId":7}`,
		"object":    `{"userId":{"id":"u-alice"}}`,
		"case":      `{"UserId":"u-alice"}`,
		"array":     `["u-alice"]`,
		"string":    `"u-alice"`,
		"empty":     ``,
		"truncated": `{"userId":"u-al`,
		"latin1":    "{\"userId\":\"u-\xe9\"}",
		"nul":       `{"userId":"u-\u0000"}`,
		"escaped":   `{"userId":"u-\u0061lice"}`,
	}
	mustUpdate(t, s, func(tx directory.Tx) error {
		if err := tx.PutUser(alice); err != nil {
			return err
		}
		// A user whose id is the text of a member that is not a string names nobody.
		if err := tx.PutUser(user("7", "seven", "okta", "7")); err != nil {
			return err
		}
		for k, v := range values {
			if err := tx.PutKV("session", k, []byte(v), t0.Add(time.Hour)); err != nil {
				return err
			}
		}
		return tx.PutKV("session", "expired", []byte(values["alice"]), t0.Add(-time.Second))
	})
	ctx := context.Background()
	for _, k := range []string{"alice", "later", "gone", "none", "null", "number", "object", "case", "array", "string",
		"empty", "truncated", "latin1", "nul", "escaped", "expired", "missing"} {
		var want []byte
		var wantUser directory.User
		var wantErr error
		if k == "nul" {
			// No user can have that id, and PostgreSQL refuses to look one up (an error that
			// ends a transaction); either way the entry names no user.
			want = []byte(values[k])
		} else {
			view(t, s, func(tx directory.ReadTx) error {
				want, wantUser, wantErr = directory.ReadKVUserIn(tx, "session", k, t0, "userId")
				return nil
			})
		}
		got, u, err := s.ReadKVUser(ctx, "session", k, t0, "userId")
		if !errors.Is(err, wantErr) || string(got) != string(want) || !cmp.Equal(u, wantUser) {
			t.Errorf("%s: ReadKVUser = %q, user %q, %v; in a transaction %q, user %q, %v", k, got, u.ID, err, want, wantUser.ID, wantErr)
		}
	}
	// What a session check must tell apart.
	if _, u, err := s.ReadKVUser(ctx, "session", "alice", t0, "userId"); err != nil || !cmp.Equal(u, alice) {
		t.Errorf("alice's entry: user %+v, %v; want %+v", u, err, alice)
	}
	if v, u, err := s.ReadKVUser(ctx, "session", "gone", t0, "userId"); err != nil || u.ID != "" || string(v) != values["gone"] {
		t.Errorf("an entry of a user that does not exist: %q, user %q, %v; want its value and no user", v, u.ID, err)
	}
	for _, k := range []string{"expired", "missing"} {
		if _, _, err := s.ReadKVUser(ctx, "session", k, t0, "userId"); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("%s entry: %v, want ErrNotFound", k, err)
		}
	}
	if _, _, err := s.ReadKVUser(ctx, "session", "alice", t0.Add(time.Hour), "userId"); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("an entry read at its expiry: %v, want ErrNotFound", err)
	}
	// A write is seen by the next check: a deactivated user, then a deleted one.
	mustUpdate(t, s, func(tx directory.Tx) error {
		alice.Active = false
		return tx.PutUser(alice)
	})
	if _, u, err := s.ReadKVUser(ctx, "session", "alice", t0, "userId"); err != nil || u.Active || u.ID != "u-alice" {
		t.Errorf("after deactivating alice: user %q active %v, %v", u.ID, u.Active, err)
	}
	mustUpdate(t, s, func(tx directory.Tx) error { return tx.DeleteUser("u-alice") })
	if _, u, err := s.ReadKVUser(ctx, "session", "alice", t0, "userId"); err != nil || u.ID != "" {
		t.Errorf("after deleting alice: user %q, %v; want none", u.ID, err)
	}
}

// racers runs fn(i) for i in [0, n) in n goroutines released together, so that their
// transactions are in flight at the same time rather than one after another as the goroutines
// happen to start. It returns the most transactions that were in flight at once.
func racers(n int, fn func(i int)) (maxInFlight int) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	var inFlight, most atomic.Int32
	for i := range n {
		ready.Add(1)
		done.Go(func() {
			ready.Done()
			<-start
			cur := inFlight.Add(1)
			for m := most.Load(); cur > m && !most.CompareAndSwap(m, cur); m = most.Load() {
			}
			fn(i)
			inFlight.Add(-1)
		})
	}
	ready.Wait()
	close(start)
	done.Wait()
	return int(most.Load())
}

func raceIdentity(t *testing.T, s directory.Store) {
	raceOneCreation(t, s, func(tx directory.ReadTx) (directory.User, error) {
		return tx.UserByIdentity(directory.Identity{IdP: "okta", UniqueUserID: "00u1"})
	}, func(i int) directory.User {
		return user(fmt.Sprintf("u%02d", i), fmt.Sprintf("user%d", i), "okta", "00u1")
	})
}

// raceOneCreation runs 50 goroutines, released together, each creating racer(i) with a
// creation event unless lookup finds a user already — check-then-insert inside the
// transaction, as Service does — and checks that exactly one user came of it, lookup's, with
// one creation event, the winner's. The check inside the transaction sees every committed
// creation, so no racer's insert ever collides: the store serialises them, or runs a loser
// again on fresh data.
func raceOneCreation(t *testing.T, s directory.Store, lookup func(tx directory.ReadTx) (directory.User, error), racer func(i int) directory.User) {
	const n = 50
	errs := make([]error, n)
	var before uint64
	view(t, s, func(tx directory.ReadTx) (err error) { before, err = tx.LastSeq(); return err })
	overlap := racers(n, func(i int) {
		errs[i] = s.Update(context.Background(), func(tx directory.Tx) error {
			if _, err := lookup(tx); err == nil {
				return nil
			} else if !errors.Is(err, directory.ErrNotFound) {
				return err
			}
			u := racer(i)
			if err := tx.PutUser(u); err != nil {
				return err
			}
			_, err := tx.AppendEvent(directory.Event{ID: fmt.Sprint(i), Type: "user.created", Org: u.Org, Time: t0})
			return err
		})
	})
	if overlap < 2 {
		t.Errorf("at most %d transaction in flight at once: the goroutines did not race", overlap)
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("goroutine %d: %v", i, err)
		}
	}
	view(t, s, func(tx directory.ReadTx) error {
		u, err := lookup(tx)
		if err != nil {
			return err
		}
		if n, err := tx.CountUsers(u.Org, u.IdP); err != nil || n != 1 {
			t.Errorf("%d users of %s at %s, want 1 (err: %v)", n, u.Org, u.IdP, err)
		}
		// The one creation event is the winner's, written with its user.
		evs, err := tx.Events(before, 100)
		if err != nil || len(evs) != 1 || winnerEvent(u.ID) != evs[0].ID {
			t.Errorf("creation events %+v for user %s, want one, the winner's (err: %v)", evs, u.ID, err)
		}
		return nil
	})
}

// winnerEvent is the id of the event raceOneCreation's goroutine appends with user id ("u07" → "7").
func winnerEvent(userID string) string {
	n, err := strconv.Atoi(strings.TrimPrefix(userID, "u"))
	if err != nil {
		return "not a racer's user: " + userID
	}
	return strconv.Itoa(n)
}

func raceEvents(t *testing.T, s directory.Store) {
	const writers, each = 16, 10
	overlap := racers(writers, func(w int) {
		for i := range each {
			err := s.Update(context.Background(), func(tx directory.Tx) error {
				if err := tx.PutUser(user(fmt.Sprintf("w%02d-%02d", w, i), fmt.Sprintf("w%d-%d", w, i), "okta", fmt.Sprintf("%d-%d", w, i))); err != nil {
					return err
				}
				_, err := tx.AppendEvent(directory.Event{ID: fmt.Sprint(w, "-", i), Type: "user.created", Time: t0})
				return err
			})
			if err != nil {
				t.Errorf("writer %d: %v", w, err)
			}
		}
	})
	if overlap < 2 {
		t.Errorf("at most %d writer in flight at once: the writers did not race", overlap)
	}
	view(t, s, func(tx directory.ReadTx) error {
		evs, err := tx.Events(0, 1000)
		if err != nil {
			return err
		}
		if len(evs) != writers*each {
			t.Errorf("%d events, want %d", len(evs), writers*each)
		}
		seen := map[string]bool{}
		for i, e := range evs {
			if e.Seq != uint64(i+1) {
				t.Fatalf("event %d has seq %d: the log has a gap or is out of order", i, e.Seq)
			}
			if seen[e.ID] {
				t.Errorf("event %s appended twice", e.ID)
			}
			seen[e.ID] = true
		}
		return nil
	})
}
