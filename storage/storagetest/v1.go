package storagetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster/directory"
)

// What storage/testdata/v1 holds (its README and populate.sh): a store written before
// organizations existed. Every record of it must come out of an upgrade in organization
// default, with its id and sequence number.
const (
	v1AdminTokenID = "cd8f223342114806"
	v1Ada          = "482b2a2f-9d98-43b7-b627-577d13cfe20b"
	v1Grace        = "86decc3f-0d1e-4d1f-be0b-6528ef69ddde"
	v1Edsger       = "3058da8e-c0be-4cd9-b832-59d5f735f05e"
	v1Barbara      = "eef6e6b7-0125-4dd3-aeae-39ae6fca3f26"
	v1Engineering  = "dc8541f6-bdfc-4ac1-bcae-33ba5df867ce"
	v1Research     = "0d908256-5a7d-48e1-8663-2766c07ed12c"
	v1Webhook      = "04f71e8d-69e2-4033-964a-669a8a410faf"
)

// UpgradedV1 checks that s, a store opened on the data of storage/testdata/v1 (a bbolt file or
// a PostgreSQL database written before organizations), holds all of it in organization
// default with ids and sequence numbers unchanged, that its admin token (whose secret is
// adminSecret) still authenticates as an owner, and that it takes new writes, per-organization
// ones among them.
func UpgradedV1(t *testing.T, s directory.Store, adminSecret string) {
	t.Helper()
	view(t, s, func(tx directory.ReadTx) error {
		orgs, err := tx.Orgs()
		if err != nil {
			return err
		}
		if len(orgs) != 1 || orgs[0].ID != directory.DefaultOrg {
			t.Errorf("organizations after the upgrade: %+v, want default alone", orgs)
		}

		idps, err := tx.IdPs()
		if err != nil {
			return err
		}
		got := map[string]string{}
		for _, p := range idps {
			got[p.ID] = p.Org + " " + string(p.Mode) + " " + p.SCIMMatch
		}
		want := map[string]string{"entra": "default both externalId", "okta": "default scim userName"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("IdPs: org, mode, scim_match (-want +got):\n%s", diff)
		}

		users := map[string]string{}
		if err := tx.ScanUsers(directory.ScanQuery{Org: directory.DefaultOrg}, func(u directory.User) error {
			users[u.ID] = u.Org + " " + u.IdP + " " + u.UserName + " " + u.UniqueUserID + " " + activeWord(u.Active)
			return nil
		}); err != nil {
			return err
		}
		wantUsers := map[string]string{
			v1Ada:     "default entra ada@example.com 0f1e-ada active",
			v1Grace:   "default entra grace@example.com 0f1e-grace inactive",
			v1Edsger:  "default okta edsger@example.org edsger@example.org active",
			v1Barbara: "default okta barbara@example.org barbara@example.org inactive",
		}
		if diff := cmp.Diff(wantUsers, users); diff != "" {
			t.Errorf("the users of organization default: org, IdP, userName, uniqueUserId, active (-want +got):\n%s", diff)
		}
		for _, c := range []struct {
			org, idp string
			want     int
		}{{"", "", 4}, {directory.DefaultOrg, "", 4}, {directory.DefaultOrg, "entra", 2}, {"", "okta", 2}} {
			if n, err := tx.CountUsers(c.org, c.idp); err != nil || n != c.want {
				t.Errorf("CountUsers(%q, %q) = %d, %v; want %d", c.org, c.idp, n, err, c.want)
			}
		}
		// Every index answers, rebuilt or migrated.
		if u, err := tx.UserByUserName(directory.DefaultOrg, "ADA@example.COM"); err != nil || u.ID != v1Ada {
			t.Errorf("userName lookup in default: %q, %v; want Ada", u.ID, err)
		}
		if us, err := tx.UsersByEmail(directory.DefaultOrg, "Edsger@Example.org"); err != nil || len(us) != 1 || us[0].ID != v1Edsger {
			t.Errorf("email lookup in default: %v, %v; want Edsger", us, err)
		}
		if u, err := tx.UserByIdentity(directory.Identity{IdP: "entra", UniqueUserID: "0f1e-grace"}); err != nil || u.ID != v1Grace {
			t.Errorf("identity lookup: %q, %v; want Grace", u.ID, err)
		}
		if us, err := tx.UsersByExternalID("entra", "0f1e-ada"); err != nil || len(us) != 1 || us[0].ID != v1Ada {
			t.Errorf("externalId lookup: %v, %v; want Ada", us, err)
		}

		groups := map[string][]string{}
		if err := tx.ScanGroups(directory.ScanQuery{Org: directory.DefaultOrg}, func(g directory.Group) error {
			groups[g.Org+" "+g.IdP+" "+g.DisplayName] = g.Members
			return nil
		}); err != nil {
			return err
		}
		wantGroups := map[string][]string{
			"default entra Engineering": {v1Ada, v1Grace},
			"default okta Research":     {v1Edsger},
		}
		if diff := cmp.Diff(wantGroups, groups); diff != "" {
			t.Errorf("groups of default and their members (-want +got):\n%s", diff)
		}
		for user, want := range map[string][]string{v1Ada: {v1Engineering}, v1Grace: {v1Engineering}, v1Edsger: {v1Research}, v1Barbara: {}} {
			if got, err := tx.GroupsOfUser(user); err != nil || !cmp.Equal(want, got) {
				t.Errorf("GroupsOfUser(%s) = %v, %v; want %v", user, got, err, want)
			}
		}
		if g, err := tx.GroupByDisplayName("entra", "engineering"); err != nil || g.ID != v1Engineering {
			t.Errorf("group by displayName: %q, %v", g.ID, err)
		}

		ts, err := tx.Tombstones("")
		if err != nil {
			return err
		}
		if len(ts) != 1 || ts[0].Org != directory.DefaultOrg || ts[0].IdP != "entra" || ts[0].UniqueUserID != "0f1e-alan" {
			t.Errorf("tombstones: %+v, want entra/0f1e-alan in default", ts)
		}
		if _, err := tx.Tombstone(directory.Identity{IdP: "entra", UniqueUserID: "0f1e-alan"}); err != nil {
			t.Errorf("the tombstone by its identity: %v", err)
		}

		toks := map[string]string{}
		for _, kind := range []directory.TokenKind{directory.TokenAdmin, directory.TokenSCIM} {
			l, err := tx.Tokens(kind, "")
			if err != nil {
				return err
			}
			for _, tok := range l {
				toks[tok.ID] = string(tok.Kind) + " " + tok.IdP + " org=" + tok.Org + " role=" + string(tok.Role) + " revoked=" + fmt.Sprint(!tok.RevokedAt.IsZero())
			}
		}
		wantToks := map[string]string{
			v1AdminTokenID:     "admin  org= role=owner revoked=false",
			"3993e91f0e254953": "scim okta org=default role= revoked=false",
			"43d5a0f348534cff": "scim entra org=default role= revoked=false",
			"ca321e2c290d45cb": "scim okta org=default role= revoked=true",
		}
		if diff := cmp.Diff(wantToks, toks); diff != "" {
			t.Errorf("tokens (-want +got):\n%s", diff)
		}

		evs, err := tx.Events(0, 100)
		if err != nil {
			return err
		}
		if len(evs) != 17 {
			t.Errorf("%d events, want 17", len(evs))
		}
		for i, e := range evs {
			if e.Seq != uint64(i+1) || e.Org != directory.DefaultOrg {
				t.Errorf("event %d: seq %d, org %q; want seq %d in default", i, e.Seq, e.Org, i+1)
			}
		}
		if byOrg, err := tx.OrgEvents(directory.DefaultOrg, 0, 100); err != nil || len(byOrg) != 17 {
			t.Errorf("OrgEvents(default) = %d events, %v; want 17", len(byOrg), err)
		}
		if last, err := tx.LastSeq(); err != nil || last != 17 {
			t.Errorf("LastSeq = %d, %v; want 17", last, err)
		}
		return nil
	})

	ctx := context.Background()
	svc := directory.New(s)
	tok, err := svc.Authenticate(ctx, directory.TokenAdmin, adminSecret)
	if err != nil || tok.ID != v1AdminTokenID || tok.Role != directory.RoleOwner || tok.Org != "" {
		t.Errorf("the v1 admin token authenticates as %+v, %v; want %s, an owner of every organization", tok, err, v1AdminTokenID)
	}
	hooks, err := svc.Webhooks(ctx, directory.DefaultOrg)
	if err != nil || len(hooks) != 1 || hooks[0].ID != v1Webhook || hooks[0].Org != directory.DefaultOrg || hooks[0].State.Cursor != 17 {
		t.Errorf("webhooks of default: %+v, %v; want %s with cursor 17", hooks, err, v1Webhook)
	}

	// The upgraded store takes writes: the next event is 18, an event of no organization
	// stays of none, and a second organization may hold Ada's userName too.
	mustUpdate(t, s, func(tx directory.Tx) error {
		if err := tx.PutOrg(org("acme")); err != nil {
			return err
		}
		if err := tx.PutUser(inOrg("acme", user("acme-ada", "ada@example.com", "acme-okta", "1"))); err != nil {
			return err
		}
		// A backend that numbers events after the commit answers 0; the read below checks 18.
		if seq, err := tx.AppendEvent(directory.Event{ID: "after", Type: directory.EventTokenCreated, Time: t0}); err != nil || (seq != 18 && seq != 0) {
			return errors.Join(err, errors.New("the first event after the upgrade is not 18"))
		}
		return nil
	})
	err = update(t, s, func(tx directory.Tx) error {
		return tx.PutUser(user("another-ada", "ADA@example.com", "okta", "another"))
	})
	if !errors.Is(err, directory.ErrConflict) {
		t.Errorf("a second Ada in default after the upgrade: %v, want ErrConflict", err)
	}
	view(t, s, func(tx directory.ReadTx) error {
		evs, err := tx.Events(17, 10)
		if err != nil || len(evs) != 1 || evs[0].Org != "" || evs[0].Seq != 18 || evs[0].ID != "after" {
			t.Errorf("events after 17: %+v, %v; want event 18 of no organization", evs, err)
		}
		if n, err := tx.CountUsers("acme", ""); err != nil || n != 1 {
			t.Errorf("acme has %d users, %v; want 1", n, err)
		}
		return nil
	})
}

func activeWord(b bool) string {
	if b {
		return "active"
	}
	return "inactive"
}
