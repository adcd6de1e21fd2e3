package directory_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/teststore"
)

// bigUser is a user as large as the input policy lets one be in its multi-valued attributes:
// 100 emails, 200 roles and 200 entitlements, each with a long display.
func bigUser() User {
	u := scimAda()
	display := strings.Repeat("d", 1000)
	u.Emails = nil
	for i := range MaxEmails {
		u.Emails = append(u.Emails, MultiValue{Value: fmt.Sprintf("ada%d@example.com", i), Display: display, Primary: i == 7})
	}
	for i := range MaxRoles {
		u.Roles = append(u.Roles, MultiValue{Value: fmt.Sprint("role-", i), Display: display})
		u.Entitlements = append(u.Entitlements, MultiValue{Value: fmt.Sprint("ent-", i), Display: display})
	}
	return u
}

// TestEventSnapshotsAreBounded (issue 17, W3): twenty updates of a large user store twenty
// partial snapshots of at most MaxSnapshotBytes each, which keep the user's identity and its
// primary email, instead of twenty whole copies (about 0.5 MB each here; before, each event
// carried the whole user). A small user's snapshot is whole.
func TestEventSnapshotsAreBounded(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeBoth)
	a := SCIMActor{IdP: "okta", TokenID: "t1"}
	small := scimAda()
	small.UserName, small.ExternalID = "small@example.com", "00u-small"
	e.mustSCIMCreate(a, small)
	big := e.mustSCIMCreate(a, bigUser())
	if raw, _ := json.Marshal(big); len(raw) < 10*MaxSnapshotBytes {
		t.Fatalf("the big user is only %d bytes; the test proves nothing", len(raw))
	}
	seq := e.lastSeq()
	for i := range 20 {
		if _, err := e.svc.SCIMUpdateUser(e.ctx, a, big.ID, 0, func(u User) (User, error) {
			u.Title = fmt.Sprint("title ", i)
			return u, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	evs := e.eventsAfter(seq)
	if len(evs) != 20 {
		t.Fatalf("%d events for 20 updates", len(evs))
	}
	for _, ev := range evs {
		raw, _ := json.Marshal(ev)
		if len(raw) > MaxSnapshotBytes+4096 || !ev.Partial || ev.User == nil {
			t.Fatalf("event of %d bytes, partial %v: want a partial snapshot of at most %d bytes", len(raw), ev.Partial, MaxSnapshotBytes)
		}
		u := ev.User
		if u.ID != big.ID || u.UserName != big.UserName || u.UniqueUserID != big.UniqueUserID || len(u.Emails) == 0 ||
			u.Emails[0].Value != "ada7@example.com" || len(u.Roles) != 0 || !strings.Contains(strings.Join(ev.Changes, ","), "title") {
			t.Errorf("partial snapshot %+v: want identity, userName, the primary email first, no roles, and changes naming title", u)
		}
	}
	whole := e.eventsAfter(0)
	for _, ev := range whole {
		if ev.User != nil && ev.User.ID != big.ID && (ev.Partial || ev.User.Title != "Countess") {
			t.Errorf("a small user's snapshot is partial or incomplete: %+v", ev)
		}
	}
}

// TestGroupSnapshotIsBounded: a group of more than MaxSnapshotMembers members is recorded
// without its member list, marked partial; a smaller one with it.
func TestGroupSnapshotIsBounded(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeBoth)
	a := SCIMActor{IdP: "okta", TokenID: "t1"}
	var ids []string
	if err := e.store.Update(e.ctx, func(tx Tx) error {
		for i := range MaxSnapshotMembers + 1 {
			u := User{ID: fmt.Sprintf("u%04d", i), UserName: fmt.Sprintf("u%d@example.com", i), IdP: "okta",
				UniqueUserID: fmt.Sprint("k", i), Owner: OwnerSCIM, Active: true}
			if err := tx.PutUser(u); err != nil {
				return err
			}
			ids = append(ids, u.ID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	seq := e.lastSeq()
	if _, err := e.svc.SCIMCreateGroup(e.ctx, a, Group{DisplayName: "all", Members: ids}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SCIMCreateGroup(e.ctx, a, Group{DisplayName: "few", Members: ids[:MaxSnapshotMembers]}); err != nil {
		t.Fatal(err)
	}
	evs := e.eventsAfter(seq)
	if len(evs) != 2 || evs[0].Group == nil || evs[1].Group == nil {
		t.Fatalf("events %d, want two group events", len(evs))
	}
	if !evs[0].Partial || len(evs[0].Group.Members) != 0 || evs[0].Group.DisplayName != "all" {
		t.Errorf("the big group's snapshot: partial %v, %d members; want partial without members", evs[0].Partial, len(evs[0].Group.Members))
	}
	if evs[1].Partial || len(evs[1].Group.Members) != MaxSnapshotMembers {
		t.Errorf("the small group's snapshot: partial %v, %d members; want whole", evs[1].Partial, len(evs[1].Group.Members))
	}
}

// TestSignInJoiningAGroupRecordsItAsBefore: a sign-in joins a group without reading its
// members (GroupHead, AddGroupMember); its event carries the group's members while the group,
// joined, has at most MaxSnapshotMembers, and is partial past that — as when the group was
// read and written whole. The join stamps the group once, and a member signing in again
// changes nothing. On both stores.
func TestSignInJoiningAGroupRecordsItAsBefore(t *testing.T) {
	t.Run("store=bolt", func(t *testing.T) { signInJoiningAGroup(t, newEnv(t)) })
	t.Run("store=postgres", func(t *testing.T) {
		signInJoiningAGroup(t, newEnvOn(t, teststore.Postgres(t, teststore.PostgresURL(t))))
	})
}

func signInJoiningAGroup(t *testing.T, e *env) {
	e.createIdP("okta", ModeJIT)
	now := e.clock.Now()
	if err := e.store.Update(e.ctx, func(tx Tx) error {
		g := Group{ID: "g-big", DisplayName: "Everyone", IdP: "okta", Owner: OwnerJIT, Meta: Meta{Created: now, LastModified: now, Version: 3}}
		for i := range MaxSnapshotMembers - 1 {
			u := User{ID: fmt.Sprintf("u%04d", i), UserName: fmt.Sprintf("u%d@example.com", i), IdP: "okta",
				UniqueUserID: fmt.Sprint("k", i), Owner: OwnerJIT, Active: true}
			if err := tx.PutUser(u); err != nil {
				return err
			}
			g.Members = append(g.Members, u.ID)
		}
		return tx.PutGroup(g)
	}); err != nil {
		t.Fatal(err)
	}
	join := func(uid string) (User, Event) {
		t.Helper()
		seq := e.lastSeq()
		e.clock.Advance(time.Minute)
		u := e.mustLogin(Login{IdP: "okta", UniqueUserID: uid, Email: uid + "@example.com", Groups: []string{"everyone"}, GroupsAsserted: true})
		var ev Event
		for _, x := range e.eventsAfter(seq) {
			if x.Group != nil {
				if ev.Group != nil {
					t.Fatalf("%s's sign-in recorded two group events", uid)
				}
				ev = x
			}
		}
		return u, ev
	}
	first, ev := join("joins-as-1000th")
	if ev.Group == nil || ev.Type != EventGroupUpdated || ev.Partial || len(ev.Group.Members) != MaxSnapshotMembers ||
		ev.Group.Members[MaxSnapshotMembers-1] != first.ID || ev.Group.Meta.Version != 4 || !ev.Group.Meta.LastModified.Equal(e.clock.Now()) {
		t.Fatalf("the 1000th member's join: %s, partial %v, version %d; want the group whole, the new member last, version 4", ev.Type, ev.Partial, ev.Group.Meta.Version)
	}
	second, ev := join("joins-as-1001st")
	if ev.Group == nil || !ev.Partial || len(ev.Group.Members) != 0 || ev.Group.DisplayName != "Everyone" || ev.Group.Meta.Version != 5 {
		t.Fatalf("the 1001st member's join: partial %v, %d members, version %d; want partial, no members, version 5", ev.Partial, len(ev.Group.Members), ev.Group.Meta.Version)
	}
	if _, ev := join("joins-as-1001st"); ev.Group != nil {
		t.Errorf("a member signing in again recorded %s", ev.Type)
	}
	if err := e.store.View(e.ctx, func(tx ReadTx) error {
		g, err := tx.Group("g-big")
		if err != nil {
			return err
		}
		if len(g.Members) != MaxSnapshotMembers+1 || g.Members[MaxSnapshotMembers-1] != first.ID || g.Members[MaxSnapshotMembers] != second.ID || g.Meta.Version != 5 {
			t.Errorf("the group has %d members, version %d; want %d, the two who joined last, version 5", len(g.Members), g.Meta.Version, MaxSnapshotMembers+1)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
