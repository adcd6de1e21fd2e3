package storagetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster/directory"
)

// The cases of organizations (R13): per-organization uniqueness and lookups, organizations
// and their verified domains, scans and event reads of one organization.

func inOrg(org string, u directory.User) directory.User {
	u.Org = org
	return u
}

func newStoreHasDefaultOrg(t *testing.T, s directory.Store) {
	view(t, s, func(tx directory.ReadTx) error {
		all, err := tx.Orgs()
		if err != nil {
			return err
		}
		if len(all) != 1 || all[0].ID != directory.DefaultOrg {
			t.Fatalf("a new store holds organizations %+v, want exactly %q", all, directory.DefaultOrg)
		}
		o, err := tx.Org(directory.DefaultOrg)
		if err != nil {
			return err
		}
		if o.Name == "" || o.EmailDomains != directory.EmailDomainsAny || o.Domains == nil || len(o.Domains) != 0 || o.Created.IsZero() {
			t.Errorf("organization default = %+v, want a name, email_domains any, no domains ([] not nil) and a creation time", o)
		}
		return nil
	})
}

func recordsWithoutOrg(t *testing.T, s directory.Store) {
	mustUpdate(t, s, func(tx directory.Tx) error {
		if err := tx.PutUser(user("u1", "a", "okta", "1")); err != nil {
			return err
		}
		if err := tx.PutGroup(group("g1", "Eng", "okta", "u1")); err != nil {
			return err
		}
		if err := tx.PutIdP(directory.IdP{ID: "okta", Protocol: directory.ProtocolSAML, Mode: directory.ModeBoth}); err != nil {
			return err
		}
		if err := tx.PutTombstone(directory.Tombstone{IdP: "okta", UniqueUserID: "gone", DeletedAt: t0}); err != nil {
			return err
		}
		if err := tx.PutToken(directory.Token{ID: "s", Kind: directory.TokenSCIM, IdP: "okta", Hash: directory.HashSecret("s"), Created: t0}); err != nil {
			return err
		}
		return tx.PutToken(directory.Token{ID: "a", Kind: directory.TokenAdmin, Hash: directory.HashSecret("a"), Created: t0})
	})
	view(t, s, func(tx directory.ReadTx) error {
		u, err := tx.User("u1")
		if err != nil {
			return err
		}
		g, err := tx.Group("g1")
		if err != nil {
			return err
		}
		p, err := tx.IdP("okta")
		if err != nil {
			return err
		}
		ts, err := tx.Tombstone(directory.Identity{IdP: "okta", UniqueUserID: "gone"})
		if err != nil {
			return err
		}
		scim, err := tx.Token("s")
		if err != nil {
			return err
		}
		admin, err := tx.Token("a")
		if err != nil {
			return err
		}
		got := []string{u.Org, g.Org, p.Org, ts.Org, scim.Org, admin.Org, string(admin.Role)}
		want := []string{"default", "default", "default", "default", "default", "", "owner"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("orgs of user, group, IdP, tombstone, SCIM token, admin token and the admin token's role (-want +got):\n%s", diff)
		}
		if n, err := tx.CountUsers(directory.DefaultOrg, ""); err != nil || n != 1 {
			t.Errorf("CountUsers(default) = %d, %v; want the user put without an org", n, err)
		}
		return nil
	})
}

func userNamePerOrg(t *testing.T, s directory.Store) {
	a := inOrg("acme", user("u1", "Ada@Example.com", "acme-okta", "1"))
	a.Emails = []directory.MultiValue{{Value: "ada@example.com"}}
	b := inOrg("globex", user("u2", "ada@example.com", "globex-entra", "1"))
	b.Emails = []directory.MultiValue{{Value: "ADA@example.com"}}
	putUsers(t, s, a, b)
	err := update(t, s, func(tx directory.Tx) error {
		return tx.PutUser(inOrg("acme", user("u3", "ADA@example.COM", "acme-okta", "3")))
	})
	var ce *directory.ConflictError
	if !errors.As(err, &ce) || ce.Field != "userName" {
		t.Errorf("a second Ada in acme: %v, want a userName ConflictError", err)
	}
	view(t, s, func(tx directory.ReadTx) error {
		for org, want := range map[string]string{"acme": "u1", "globex": "u2"} {
			u, err := tx.UserByUserName(org, "ADA@example.com")
			if err != nil || u.ID != want || u.Org != org {
				t.Errorf("UserByUserName(%s) = %q of %q, %v; want %s", org, u.ID, u.Org, err, want)
			}
			us, err := tx.UsersByEmail(org, "Ada@Example.com")
			if err != nil || len(us) != 1 || us[0].ID != want {
				t.Errorf("UsersByEmail(%s) = %v, %v; want only %s", org, us, err, want)
			}
		}
		if _, err := tx.UserByUserName("initech", "ada@example.com"); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("UserByUserName in an organization without Ada: %v, want ErrNotFound", err)
		}
		if us, err := tx.UsersByEmail("initech", "ada@example.com"); err != nil || len(us) != 0 {
			t.Errorf("UsersByEmail in an organization without Ada: %v, %v; want none", us, err)
		}
		if _, err := tx.User("u3"); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("the refused user was stored: %v", err)
		}
		return nil
	})
	// Moving a user to another organization moves its keys: the old ones are free.
	a.Org = "initech"
	putUsers(t, s, a, inOrg("acme", user("u4", "ada@example.com", "acme-okta", "4")))
	view(t, s, func(tx directory.ReadTx) error {
		for org, want := range map[string]string{"acme": "u4", "initech": "u1", "globex": "u2"} {
			if u, err := tx.UserByUserName(org, "ada@example.com"); err != nil || u.ID != want {
				t.Errorf("after the move, UserByUserName(%s) = %q, %v; want %s", org, u.ID, err, want)
			}
		}
		if us, err := tx.UsersByEmail("acme", "ada@example.com"); err != nil || len(us) != 0 {
			t.Errorf("after the move, acme's email lookup finds %v (%v); want none", us, err)
		}
		return nil
	})
}

func raceUserNameInOrg(t *testing.T, s directory.Store) {
	// Another organization's Ada is no obstacle to any racer.
	putUsers(t, s, inOrg("globex", user("g0", "ada", "globex-entra", "0")))
	// Each racer is another person (identity) wanting the same userName.
	raceOneCreation(t, s, func(tx directory.ReadTx) (directory.User, error) {
		return tx.UserByUserName("acme", "ADA")
	}, func(i int) directory.User {
		return inOrg("acme", user(fmt.Sprintf("u%02d", i), "ada", "acme-okta", fmt.Sprint(i+1)))
	})
	view(t, s, func(tx directory.ReadTx) error {
		if n, err := tx.CountUsers("acme", ""); err != nil || n != 1 {
			t.Errorf("%d users in acme, want 1 (err: %v)", n, err)
		}
		if g, err := tx.UserByUserName("globex", "ada"); err != nil || g.ID != "g0" {
			t.Errorf("globex's ada = %q, %v; want g0 untouched", g.ID, err)
		}
		return nil
	})
}

func orgCRUD(t *testing.T, s directory.Store) {
	acme := directory.Organization{ID: "acme", Name: "Acme", EmailDomains: directory.EmailDomainsVerified,
		Domains: []directory.Domain{
			{Domain: "Acme.example.", Verified: true, VerifiedAt: t0, TXTName: "_roster-verify.acme.example", TXTValue: "roster-verify=x", Created: t0},
			{Domain: "acme.test", TXTName: "_roster-verify.acme.test", TXTValue: "roster-verify=y", Created: t0},
		},
		ConsoleAccess: &directory.ConsoleAccess{IdP: "acme-okta", AdminGroups: []string{"it"}, ViewerGroups: []string{}},
		Created:       t0, Updated: t0}
	mustUpdate(t, s, func(tx directory.Tx) error { return tx.PutOrg(acme) })
	want := acme.Clone()
	want.Domains[0].Domain = "acme.example" // stored folded
	view(t, s, func(tx directory.ReadTx) error {
		got, err := tx.Org("acme")
		if err != nil {
			return err
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("organization round trip (-want +got):\n%s", diff)
		}
		all, err := tx.Orgs()
		if err != nil {
			return err
		}
		var ids []string
		for _, o := range all {
			ids = append(ids, o.ID)
		}
		if diff := cmp.Diff([]string{"acme", directory.DefaultOrg}, ids); diff != "" {
			t.Errorf("Orgs in id order (-want +got):\n%s", diff)
		}
		return nil
	})
	renamed := want.Clone()
	renamed.Name, renamed.Updated = "Acme Corp", t0.Add(time.Hour)
	mustUpdate(t, s, func(tx directory.Tx) error { return tx.PutOrg(renamed) })
	mustUpdate(t, s, func(tx directory.Tx) error { return tx.DeleteOrg("acme") })
	view(t, s, func(tx directory.ReadTx) error {
		if _, err := tx.Org("acme"); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("deleted organization: %v, want ErrNotFound", err)
		}
		if _, err := tx.OrgByDomain("acme.example"); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("a deleted organization's domain still finds it: %v", err)
		}
		if all, err := tx.Orgs(); err != nil || len(all) != 1 {
			t.Errorf("Orgs after the delete: %d, want 1 (err: %v)", len(all), err)
		}
		return nil
	})
}

func org(id string, domains ...directory.Domain) directory.Organization {
	if domains == nil {
		domains = []directory.Domain{}
	}
	return directory.Organization{ID: id, Name: id, EmailDomains: directory.EmailDomainsAny, Domains: domains, Created: t0, Updated: t0}
}

func verified(d string) directory.Domain {
	return directory.Domain{Domain: d, Verified: true, VerifiedAt: t0, Created: t0}
}

func claimed(d string) directory.Domain { return directory.Domain{Domain: d, Created: t0} }

func domainOneOrg(t *testing.T, s directory.Store) {
	// Two organizations may claim a domain; the first to verify it has it.
	mustUpdate(t, s, func(tx directory.Tx) error {
		if err := tx.PutOrg(org("acme", verified("acme.example"), claimed("shared.example"))); err != nil {
			return err
		}
		return tx.PutOrg(org("globex", claimed("acme.example"), claimed("shared.example")))
	})
	err := update(t, s, func(tx directory.Tx) error {
		return tx.PutOrg(org("globex", verified("ACME.example"), claimed("shared.example")))
	})
	var ce *directory.ConflictError
	if !errors.As(err, &ce) || ce.Field != "domain" || ce.Value != "acme.example" {
		t.Errorf("globex verifying acme's domain: %v, want a domain ConflictError naming acme.example", err)
	}
	view(t, s, func(tx directory.ReadTx) error {
		g, err := tx.Org("globex")
		if err != nil {
			return err
		}
		if g.VerifiedDomain("acme.example") {
			t.Errorf("the refused verification was stored: %+v", g.Domains)
		}
		o, err := tx.OrgByDomain("Acme.Example.")
		if err != nil || o.ID != "acme" {
			t.Errorf("OrgByDomain(acme.example) = %q, %v; want acme", o.ID, err)
		}
		if _, err := tx.OrgByDomain("shared.example"); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("OrgByDomain of a domain nobody verified: %v, want ErrNotFound", err)
		}
		return nil
	})
	// Re-putting acme with its own verified domain is no conflict; releasing the domain frees it.
	mustUpdate(t, s, func(tx directory.Tx) error { return tx.PutOrg(org("acme", verified("acme.example"))) })
	mustUpdate(t, s, func(tx directory.Tx) error { return tx.PutOrg(org("acme")) })
	mustUpdate(t, s, func(tx directory.Tx) error { return tx.PutOrg(org("globex", verified("acme.example"))) })
	view(t, s, func(tx directory.ReadTx) error {
		if o, err := tx.OrgByDomain("acme.example"); err != nil || o.ID != "globex" {
			t.Errorf("OrgByDomain after acme released it = %q, %v; want globex", o.ID, err)
		}
		return nil
	})
}

func scanOneOrg(t *testing.T, s directory.Store) {
	// Every third user is globex's; acme's and globex's users share userNames.
	var users []directory.User
	for i := range 12 {
		o, idp, name := "acme", "acme-okta", fmt.Sprint("n", i/3)
		switch i % 3 {
		case 1:
			o, idp = "globex", "globex-entra"
		case 2:
			idp, name = "acme-entra", fmt.Sprint("m", i/3)
		}
		users = append(users, inOrg(o, user(fmt.Sprintf("u%02d", i), name, idp, fmt.Sprint(i))))
	}
	putUsers(t, s, users...)
	mustUpdate(t, s, func(tx directory.Tx) error {
		for _, g := range []directory.Group{
			{ID: "g1", Org: "globex", DisplayName: "Eng", IdP: "globex-entra", Owner: directory.OwnerSCIM, Members: []string{"u01"}},
			{ID: "g2", Org: "acme", DisplayName: "Eng", IdP: "acme-okta", Owner: directory.OwnerSCIM, Members: []string{"u00"}},
			{ID: "g3", Org: "acme", DisplayName: "Ops", IdP: "acme-entra", Owner: directory.OwnerSCIM, Members: []string{}},
		} {
			if err := tx.PutGroup(g); err != nil {
				return err
			}
		}
		return nil
	})
	scanUsers := func(q directory.ScanQuery) []string {
		ids := []string{}
		view(t, s, func(tx directory.ReadTx) error {
			return tx.ScanUsers(q, func(u directory.User) error {
				if q.Org != "" && u.Org != q.Org {
					t.Errorf("scan of %s returned %s of %s", q.Org, u.ID, u.Org)
				}
				ids = append(ids, u.ID)
				return nil
			})
		})
		return ids
	}
	for _, c := range []struct {
		q    directory.ScanQuery
		want []string
	}{
		{directory.ScanQuery{Org: "acme"}, []string{"u00", "u02", "u03", "u05", "u06", "u08", "u09", "u11"}},
		{directory.ScanQuery{Org: "acme", After: "u05"}, []string{"u06", "u08", "u09", "u11"}},
		{directory.ScanQuery{Org: "globex"}, []string{"u01", "u04", "u07", "u10"}},
		{directory.ScanQuery{Org: "acme", IdP: "acme-entra"}, []string{"u02", "u05", "u08", "u11"}},
		{directory.ScanQuery{Org: "globex", IdP: "acme-entra"}, []string{}},
		{directory.ScanQuery{Org: "initech"}, []string{}},
	} {
		if diff := cmp.Diff(c.want, scanUsers(c.q)); diff != "" {
			t.Errorf("ScanUsers(%+v) (-want +got):\n%s", c.q, diff)
		}
	}
	view(t, s, func(tx directory.ReadTx) error {
		for _, c := range []struct {
			org, idp string
			want     int
		}{{"acme", "", 8}, {"globex", "", 4}, {"acme", "acme-okta", 4}, {"globex", "acme-okta", 0}, {"", "globex-entra", 4}, {"", "", 12}, {"initech", "", 0}} {
			if n, err := tx.CountUsers(c.org, c.idp); err != nil || n != c.want {
				t.Errorf("CountUsers(%q, %q) = %d, %v; want %d", c.org, c.idp, n, err, c.want)
			}
		}
		countGroups(t, tx)
		return nil
	})
	// The same counts once the IdPs are known, as they are to a directory (a backend may count
	// a known IdP's users by its index).
	mustUpdate(t, s, func(tx directory.Tx) error {
		for id, org := range map[string]string{"acme-okta": "acme", "acme-entra": "acme", "globex-entra": "globex"} {
			if err := tx.PutIdP(directory.IdP{ID: id, Org: org, Protocol: directory.ProtocolSAML, Mode: directory.ModeSCIM}); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx directory.ReadTx) error {
		for _, c := range []struct {
			org, idp string
			want     int
		}{{"acme", "acme-okta", 4}, {"acme", "acme-entra", 4}, {"globex", "acme-okta", 0}, {"globex", "globex-entra", 4}, {"acme", "globex-entra", 0}, {"", "globex-entra", 4}, {"acme", "none", 0}} {
			if n, err := tx.CountUsers(c.org, c.idp); err != nil || n != c.want {
				t.Errorf("CountUsers(%q, %q) with the IdPs known = %d, %v; want %d", c.org, c.idp, n, err, c.want)
			}
		}
		countGroups(t, tx)
		for org, want := range map[string][]string{"acme": {"g2", "g3"}, "globex": {"g1"}, "initech": {}} {
			ids := []string{}
			if err := tx.ScanGroups(directory.ScanQuery{Org: org}, func(g directory.Group) error {
				ids = append(ids, g.ID)
				return nil
			}); err != nil {
				return err
			}
			if diff := cmp.Diff(want, ids); diff != "" {
				t.Errorf("ScanGroups(org %s) (-want +got):\n%s", org, diff)
			}
		}
		return nil
	})
}

// countGroups checks CountGroups on the groups of scanOneOrg.
func countGroups(t *testing.T, tx directory.ReadTx) {
	t.Helper()
	for _, c := range []struct {
		org, idp string
		want     int
	}{{"", "", 3}, {"acme", "", 2}, {"globex", "", 1}, {"initech", "", 0}, {"", "acme-okta", 1}, {"acme", "acme-entra", 1},
		{"globex", "acme-okta", 0}, {"globex", "globex-entra", 1}, {"acme", "globex-entra", 0}, {"acme", "none", 0}} {
		if n, err := tx.CountGroups(c.org, c.idp); err != nil || n != c.want {
			t.Errorf("CountGroups(%q, %q) = %d, %v; want %d", c.org, c.idp, n, err, c.want)
		}
	}
}

func orgEvents(t *testing.T, s directory.Store) {
	mustUpdate(t, s, func(tx directory.Tx) error {
		for i, org := range []string{"acme", "globex", "", "acme", "globex", "acme"} {
			if _, err := tx.AppendEvent(directory.Event{ID: fmt.Sprint("e", i+1), Type: "user.created", Org: org, Time: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	seqs := func(evs []directory.Event) []uint64 {
		out := []uint64{}
		for _, e := range evs {
			out = append(out, e.Seq)
		}
		return out
	}
	view(t, s, func(tx directory.ReadTx) error {
		for _, c := range []struct {
			org          string
			after, limit int
			want         []uint64
		}{
			{"acme", 0, 10, []uint64{1, 4, 6}},
			{"acme", 1, 1, []uint64{4}},
			{"acme", 6, 10, []uint64{}},
			{"globex", 0, 10, []uint64{2, 5}},
			{"initech", 0, 10, []uint64{}},
		} {
			evs, err := tx.OrgEvents(c.org, uint64(c.after), c.limit)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(c.want, seqs(evs)); diff != "" {
				t.Errorf("OrgEvents(%s, after %d, limit %d) (-want +got):\n%s", c.org, c.after, c.limit, diff)
			}
			for _, e := range evs {
				if e.Org != c.org {
					t.Errorf("OrgEvents(%s) returned event %d of %q", c.org, e.Seq, e.Org)
				}
			}
		}
		all, err := tx.Events(0, 10)
		if err != nil {
			return err
		}
		var orgs []string
		for _, e := range all {
			orgs = append(orgs, e.Org)
		}
		if diff := cmp.Diff([]string{"acme", "globex", "", "acme", "globex", "acme"}, orgs); diff != "" {
			t.Errorf("the orgs of Events (-want +got):\n%s", diff)
		}
		return nil
	})
}

// lengthSafeKeys: no value may extend into the next part of an index key. An email ending in
// a NUL, an externalId continuing past another, a userName with a NUL: each either is refused
// as invalid (PostgreSQL cannot store NUL) or is a value of its own that no lookup of the
// shorter value finds.
func lengthSafeKeys(t *testing.T, s directory.Store) {
	victim := inOrg("acme", user("u1", "victim", "okta", "1"))
	victim.Emails = []directory.MultiValue{{Value: "victim@x.test"}}
	victim.ExternalID = "ext"
	putUsers(t, s, victim)
	tricky := []directory.User{
		func() directory.User {
			u := inOrg("acme", user("u2", "other", "entra", "2"))
			u.Emails = []directory.MultiValue{{Value: "victim@x.test\x00"}}
			return u
		}(),
		func() directory.User {
			u := inOrg("acme", user("u3", "third", "okta", "3"))
			u.ExternalID = "ext\x00u"
			return u
		}(),
		inOrg("acme", user("u4", "victim\x00", "okta", "4")),
		inOrg("acme", user("u5", "fifth", "okta\x00", "1")),
	}
	stored := map[string]bool{}
	for _, u := range tricky {
		err := update(t, s, func(tx directory.Tx) error { return tx.PutUser(u) })
		switch {
		case err == nil:
			stored[u.ID] = true
		case errors.Is(err, directory.ErrInvalid):
		default:
			t.Errorf("put %s: %v, want it stored or refused as invalid", u.ID, err)
		}
	}
	view(t, s, func(tx directory.ReadTx) error {
		if us, err := tx.UsersByEmail("acme", "victim@x.test"); err != nil || len(us) != 1 || us[0].ID != "u1" {
			t.Errorf("the victim's email finds %v, %v; want only u1", us, err)
		}
		if us, err := tx.UsersByExternalID("okta", "ext"); err != nil || len(us) != 1 || us[0].ID != "u1" {
			t.Errorf("externalId ext finds %v, %v; want only u1", us, err)
		}
		if u, err := tx.UserByUserName("acme", "victim"); err != nil || u.ID != "u1" {
			t.Errorf("userName victim finds %q, %v; want u1", u.ID, err)
		}
		if u, err := tx.UserByIdentity(directory.Identity{IdP: "okta", UniqueUserID: "1"}); err != nil || u.ID != "u1" {
			t.Errorf("identity okta/1 finds %q, %v; want u1", u.ID, err)
		}
		if stored["u2"] {
			if us, err := tx.UsersByEmail("acme", "victim@x.test\x00"); err != nil || len(us) != 1 || us[0].ID != "u2" {
				t.Errorf("the NUL-ended email finds %v, %v; want only u2", us, err)
			}
		}
		if stored["u5"] {
			ids := []string{}
			if err := tx.ScanUsers(directory.ScanQuery{IdP: "okta"}, func(u directory.User) error {
				ids = append(ids, u.ID)
				return nil
			}); err != nil {
				return err
			}
			want := []string{"u1", "u3", "u4"}
			if !stored["u3"] || !stored["u4"] {
				t.Fatalf("a store that keeps IdP %q keeps the other NUL values too; stored: %v", "okta\x00", stored)
			}
			if diff := cmp.Diff(want, ids); diff != "" {
				t.Errorf("scan of IdP okta (-want +got):\n%s", diff)
			}
		}
		return nil
	})
}
