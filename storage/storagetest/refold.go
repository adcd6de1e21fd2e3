package storagetest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster/directory"
)

// LegacyFold is how Roster folded userNames and emails before NFKC and full case folding
// (directory.FoldVersion): lower case, trimmed.
func LegacyFold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// LegacyWriter stores users as a Roster of the older folding did: each record as it is, its
// userName and email indexes (or folded columns) built with LegacyFold, every other index as
// the store builds it. It writes what the present store may refuse — two users whose
// userNames are one under the present folding — and is each backend's own.
type LegacyWriter func(t *testing.T, users []directory.User)

// The users of a store written before the present folding, in two organizations. Under the
// old folding every userName is distinct within its organization; under the present one:
//   - refoldStrasse1, refoldStrasse4 and refoldStrasse6 of default are one name, "strasse@x.test".
//     refoldStrasse4's old key already was that name, so it keeps it: lookups go on finding it.
//   - refoldFix8 and refoldFix10 of acme are one name, "fix@x.test", which neither was indexed
//     under: the lower id, refoldFix8, keeps it.
//   - refoldFinn3's ligature and refoldAnn2's case were indexed under keys that no lookup
//     reaches now, or already right; acme's refoldStrasse5 is acme's "strasse@x.test", no
//     collision with default's (R13).
const (
	refoldStrasse1 = "u01"
	refoldAnn2     = "u02"
	refoldFinn3    = "u03"
	refoldStrasse4 = "u04"
	refoldStrasse5 = "u05"
	refoldStrasse6 = "u06"
	refoldFix8     = "u08"
	refoldFix10    = "u10"
	refoldOrg      = "acme"
)

func refoldUsers() []directory.User {
	user := func(id, org, name string, emails ...string) directory.User {
		u := directory.User{ID: id, Org: org, UserName: name, IdP: "idp-" + org, UniqueUserID: "k" + id,
			Owner: directory.OwnerSCIM, Active: true, Meta: directory.Meta{Version: 1}}
		for _, e := range emails {
			u.Emails = append(u.Emails, directory.MultiValue{Value: e})
		}
		return u
	}
	return []directory.User{
		user(refoldStrasse1, directory.DefaultOrg, "Straße@x.test", "Straße@x.test"),
		user(refoldAnn2, directory.DefaultOrg, "ann@x.test", "Ann@X.test"),
		user(refoldFinn3, directory.DefaultOrg, "\ufb01nn@x.test", "\ufb01nn@x.test"),
		user(refoldStrasse4, directory.DefaultOrg, "STRASSE@x.test"),
		user(refoldStrasse5, refoldOrg, "strasse@x.test", "strasse@x.test"),
		user(refoldStrasse6, directory.DefaultOrg, "\uff53trasse@x.test"),
		user(refoldFix8, refoldOrg, "\ufb01x@x.test"),
		user(refoldFix10, refoldOrg, "\uff26\uff29\uff38@x.test"),
	}
}

// Refold checks Tx.RefoldUsers, through Service.RefoldIndexes, on st, a fresh store, after
// legacy has written refoldUsers into it as a Roster of the older folding would have: the
// indexes are rebuilt under the present folding in one transaction, per organization, without
// changing a record; the users the present folding makes one name with another are reported,
// the right one keeps the name, and a collider can be deleted or renamed without taking the
// holder's index entry with it. It runs once: a second call finds nothing to do.
func Refold(t *testing.T, st directory.Store, legacy LegacyWriter) {
	t.Helper()
	ctx := context.Background()
	mustUpdate(t, st, func(tx directory.Tx) error {
		return tx.PutOrg(directory.Organization{ID: refoldOrg, Name: "Acme", EmailDomains: directory.EmailDomainsAny})
	})
	legacy(t, refoldUsers())

	userByName := func(org, name string) string {
		var id string
		view(t, st, func(tx directory.ReadTx) error {
			u, err := tx.UserByUserName(org, name)
			if errors.Is(err, directory.ErrNotFound) {
				return nil
			}
			id = u.ID
			return err
		})
		return id
	}
	usersByEmail := func(org, email string) []string {
		ids := []string{}
		view(t, st, func(tx directory.ReadTx) error {
			us, err := tx.UsersByEmail(org, email)
			for _, u := range us {
				ids = append(ids, u.ID)
			}
			return err
		})
		return ids
	}
	records := func() map[string]string {
		out := map[string]string{}
		view(t, st, func(tx directory.ReadTx) error {
			return tx.ScanUsers(directory.ScanQuery{}, func(u directory.User) error {
				raw, err := json.Marshal(u)
				out[u.ID] = string(raw)
				return err
			})
		})
		return out
	}
	if userByName(directory.DefaultOrg, "Finn@x.test") != "" || len(usersByEmail(directory.DefaultOrg, "STRASSE@x.test")) != 0 {
		t.Fatalf("the legacy indexes already answer under the present folding; the test would prove nothing")
	}
	before := records()
	svc := directory.New(st)

	// Ordered by organization, then user id.
	wantCollisions := []directory.FoldCollision{
		{Org: refoldOrg, UserID: refoldFix10, UserName: "\uff26\uff29\uff38@x.test", Holder: refoldFix8},
		{Org: directory.DefaultOrg, UserID: refoldStrasse1, UserName: "Straße@x.test", Holder: refoldStrasse4},
		{Org: directory.DefaultOrg, UserID: refoldStrasse6, UserName: "\uff53trasse@x.test", Holder: refoldStrasse4},
	}
	// What roster check reports before the rebuild is what the rebuild then decides.
	audit, err := svc.AuditInput(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if audit.Users != len(before) || len(audit.Problems) != 0 {
		t.Errorf("audit before the rebuild: %d users, problems %+v; want %d users and no problem", audit.Users, audit.Problems, len(before))
	}
	// Before the rebuild no lookup finds refoldFix8 or refoldFix10 by the present folding, so
	// the audit names the lowest id the holder, as the rebuild will.
	if diff := cmp.Diff(wantCollisions, audit.Collisions); diff != "" {
		t.Errorf("collisions that roster check reports (-want +got):\n%s", diff)
	}

	n, collisions, err := svc.RefoldIndexes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Re-indexed: refoldStrasse1 (its userName entry gone, its email under "strasse"),
	// refoldFinn3, refoldStrasse6, refoldFix8 and refoldFix10; refoldAnn2's, refoldStrasse4's
	// and refoldStrasse5's entries were right already.
	if n != 5 {
		t.Errorf("RefoldIndexes re-indexed %d users, want 5", n)
	}
	if diff := cmp.Diff(wantCollisions, collisions); diff != "" {
		t.Errorf("collisions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, records()); diff != "" {
		t.Errorf("RefoldIndexes changed user records (-before +after):\n%s", diff)
	}
	for _, c := range []struct{ org, name, want string }{
		{directory.DefaultOrg, "strasse@X.TEST", refoldStrasse4},
		{directory.DefaultOrg, "STRA\u1e9eE@x.test", refoldStrasse4},
		{directory.DefaultOrg, "Finn@x.test", refoldFinn3},
		{directory.DefaultOrg, "ANN@x.test", refoldAnn2},
		{refoldOrg, "STRASSE@x.test", refoldStrasse5},
		{refoldOrg, "fix@X.test", refoldFix8},
		{refoldOrg, "Finn@x.test", ""},
	} {
		if got := userByName(c.org, c.name); got != c.want {
			t.Errorf("userName %q of %s after the rebuild: user %q, want %q", c.name, c.org, got, c.want)
		}
	}
	for _, c := range []struct {
		org, email string
		want       []string
	}{
		{directory.DefaultOrg, "STRASSE@x.test", []string{refoldStrasse1}},
		{directory.DefaultOrg, "ann@x.test", []string{refoldAnn2}},
		{directory.DefaultOrg, "finn@X.TEST", []string{refoldFinn3}},
		{refoldOrg, "Straße@x.test", []string{refoldStrasse5}},
	} {
		if diff := cmp.Diff(c.want, usersByEmail(c.org, c.email)); diff != "" {
			t.Errorf("email %q of %s after the rebuild (-want +got):\n%s", c.email, c.org, diff)
		}
	}
	// The order of folded userNames would leave the colliders out: it says so, and passes
	// no one.
	byUserName := func(org string) (bool, []string) {
		ids := []string{}
		var complete bool
		view(t, st, func(tx directory.ReadTx) error {
			var err error
			complete, err = tx.UsersByUserName(org, "", false, func(u directory.User) error {
				ids = append(ids, u.ID)
				return nil
			})
			return err
		})
		return complete, ids
	}
	for _, org := range []string{directory.DefaultOrg, refoldOrg} {
		if complete, ids := byUserName(org); complete || len(ids) != 0 {
			t.Errorf("UsersByUserName(%s) with colliders: complete %v, passed %v; want incomplete and no one", org, complete, ids)
		}
	}
	if n, collisions, err := svc.RefoldIndexes(ctx); err != nil || n != 0 || len(collisions) != 0 {
		t.Errorf("a second RefoldIndexes = %d, %v, %v; want nothing to do", n, collisions, err)
	}

	// A collider is still a user: it cannot be written under the name another holds (R8),
	// deleting one leaves the holder found, and renaming one indexes it under its new name.
	users := map[string]directory.User{}
	for _, u := range refoldUsers() {
		users[u.ID] = u
	}
	err = update(t, st, func(tx directory.Tx) error { return tx.PutUser(users[refoldStrasse1]) })
	var conflict *directory.ConflictError
	if !errors.As(err, &conflict) || conflict.Field != "userName" {
		t.Errorf("writing a collider under the name another holds: %v, want a userName conflict", err)
	}
	mustUpdate(t, st, func(tx directory.Tx) error { return tx.DeleteUser(refoldStrasse6) })
	renamed := users[refoldStrasse1]
	renamed.UserName = "strasse.one@x.test"
	mustUpdate(t, st, func(tx directory.Tx) error { return tx.PutUser(renamed) })
	for name, want := range map[string]string{"STRASSE@x.test": refoldStrasse4, "strasse.one@x.test": refoldStrasse1, "\uff53trasse@x.test": refoldStrasse4} {
		if got := userByName(directory.DefaultOrg, name); got != want {
			t.Errorf("userName %q after deleting one collider and renaming the other: user %q, want %q", name, got, want)
		}
	}
	// Once its holder is gone, a collider written with its name unchanged takes the name, so
	// that no third user can then hold it beside it (R8).
	mustUpdate(t, st, func(tx directory.Tx) error { return tx.DeleteUser(refoldFix8) })
	retitled := users[refoldFix10]
	retitled.DisplayName = "Fix, retitled"
	mustUpdate(t, st, func(tx directory.Tx) error { return tx.PutUser(retitled) })
	if got := userByName(refoldOrg, "fix@x.test"); got != refoldFix10 {
		t.Errorf("userName of a collider written unchanged after its holder's deletion: user %q, want %q", got, refoldFix10)
	}
	// With every collider renamed, deleted or holding its name, the order is complete again.
	for org, want := range map[string][]string{
		directory.DefaultOrg: {refoldAnn2, refoldFinn3, refoldStrasse1, refoldStrasse4}, // ann, finn, strasse.one, strasse ('.' < '@')
		refoldOrg:            {refoldFix10, refoldStrasse5},
	} {
		complete, ids := byUserName(org)
		if diff := cmp.Diff(want, ids); !complete || diff != "" {
			t.Errorf("UsersByUserName(%s) once no user collides: complete %v (-want +got):\n%s", org, complete, diff)
		}
	}
	third := users[refoldFix8]
	third.ID = "refold-third"
	third.UniqueUserID = "k-third"
	err = update(t, st, func(tx directory.Tx) error { return tx.PutUser(third) })
	if !errors.As(err, &conflict) || conflict.Field != "userName" {
		t.Errorf("a new user under the name the collider took: %v, want a userName conflict", err)
	}
}
