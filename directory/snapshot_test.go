package directory_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/rosterhq/roster/directory"
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
// changes nothing. Leaving (RemoveGroupMember) is recorded the same way, the event listing
// the members once they are MaxSnapshotMembers again. On both stores.
func TestSignInJoiningAGroupRecordsItAsBefore(t *testing.T) {
	onEachStore(t, func(t *testing.T, fresh func(...Option) *env) { signInJoiningAGroup(t, fresh()) })
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
	// Leaving, as a sign-in that no longer names the group leaves it: one write, and the
	// event lists the members when they are MaxSnapshotMembers again.
	leave := func(uid string) Event {
		t.Helper()
		seq := e.lastSeq()
		e.clock.Advance(time.Minute)
		e.mustLogin(Login{IdP: "okta", UniqueUserID: uid, Email: uid + "@example.com", Groups: []string{"others"}, GroupsAsserted: true})
		var ev Event
		for _, x := range e.eventsAfter(seq) {
			if x.Group != nil && x.Subject == "g-big" {
				ev = x
			}
		}
		return ev
	}
	// Joining another, third member takes the group past MaxSnapshotMembers + 1.
	third, _ := join("joins-as-1002nd")
	if ev := leave("joins-as-1001st"); ev.Group == nil || !ev.Partial || len(ev.Group.Members) != 0 || ev.Group.Meta.Version != 7 {
		t.Fatalf("a member leaving a group of %d: %+v; want a partial event, version 7", MaxSnapshotMembers+2, ev)
	}
	ev = leave("joins-as-1002nd")
	if ev.Group == nil || ev.Partial || len(ev.Group.Members) != MaxSnapshotMembers || ev.Group.Members[MaxSnapshotMembers-1] != first.ID ||
		slices.Contains(ev.Group.Members, third.ID) || ev.Group.Meta.Version != 8 || ev.Reason != "the login no longer names this group" {
		t.Fatalf("a member leaving a group of %d: partial %v, %d members, version %d; want them all, version 8", MaxSnapshotMembers+1, ev.Partial, len(ev.Group.Members), ev.Group.Meta.Version)
	}
}

// TestSCIMChangeMembersRecordsAsSCIMUpdateGroup: a membership PATCH applied without reading
// the group (SCIMChangeMembers) leaves the group, its version and its event as the same PATCH
// applied to the group read whole (SCIMUpdateGroup) does — across the boundary where the
// event stops carrying the members (MaxSnapshotMembers) and back, for a change that changes
// nothing, and for a new member who is not the IdP's. On both stores.
func TestSCIMChangeMembersRecordsAsSCIMUpdateGroup(t *testing.T) {
	onEachStore(t, func(t *testing.T, fresh func(...Option) *env) {
		t.Run("member by member", func(t *testing.T) { changeMembersAsUpdate(t, fresh(WithMembersPerChange(0)), fresh()) })
		t.Run("read whole when small", func(t *testing.T) { changeMembersAsUpdate(t, fresh(WithMembersPerChange(1e6)), fresh()) })
	})
}

func changeMembersAsUpdate(t *testing.T, direct, whole *env) {
	var users []string
	var gid string
	var actor SCIMActor
	for _, e := range []*env{direct, whole} {
		e.createIdP("okta", ModeSCIM)
		e.createIdP("entra", ModeSCIM)
		actor = e.scimActor("okta")
		users = nil
		if err := e.store.Update(e.ctx, func(tx Tx) error {
			now := e.clock.Now()
			for i := range MaxSnapshotMembers + 2 {
				id := fmt.Sprintf("member-%04d", i)
				if err := tx.PutUser(User{ID: id, UserName: id + "@example.com", IdP: "okta", Owner: OwnerSCIM, Active: true,
					Meta: Meta{Created: now, LastModified: now, Version: 1}}); err != nil {
					return err
				}
				users = append(users, id)
			}
			return tx.PutUser(User{ID: "theirs", UserName: "theirs@example.com", IdP: "entra", Owner: OwnerSCIM, Active: true})
		}); err != nil {
			t.Fatal(err)
		}
		g, err := e.svc.SCIMCreateGroup(e.ctx, actor, Group{DisplayName: "Everyone", Members: users[:MaxSnapshotMembers-1]})
		if err != nil {
			t.Fatal(err)
		}
		gid = g.ID
	}
	for i, c := range []MemberChange{
		{Add: true, IDs: []string{users[MaxSnapshotMembers-1]}},           // to MaxSnapshotMembers: the event lists them
		{Add: true, IDs: []string{users[0]}},                              // a member already: nothing changes
		{Add: true, IDs: []string{users[MaxSnapshotMembers]}},             // one more: the event lists none
		{Add: false, IDs: []string{"member-0500"}},                        // back to MaxSnapshotMembers
		{Add: false, IDs: []string{"member-0500"}},                        // no member: nothing changes
		{Add: true, IDs: []string{users[MaxSnapshotMembers+1], "theirs"}}, // refused whole
	} {
		seqs := []uint64{direct.lastSeq(), whole.lastSeq()}
		d, derr := direct.svc.SCIMChangeMembers(direct.ctx, actor, gid, 0, []MemberChange{c})
		w, werr := whole.svc.SCIMUpdateGroup(whole.ctx, actor, gid, 0, func(g Group) (Group, error) {
			if c.Add {
				g.Members = append(g.Members, c.IDs...)
			} else {
				g.Members = slices.DeleteFunc(g.Members, func(m string) bool { return slices.Contains(c.IDs, m) })
			}
			return g, nil
		})
		if fmt.Sprint(derr) != fmt.Sprint(werr) || d.Meta != w.Meta || d.Members != nil {
			t.Fatalf("change %d (%+v): %+v %v directly, %+v %v reading the group", i, c, d.Meta, derr, w.Meta, werr)
		}
		dg, _ := direct.svc.SCIMGroup(direct.ctx, actor, gid)
		wg, _ := whole.svc.SCIMGroup(whole.ctx, actor, gid)
		if !reflect.DeepEqual(dg, wg) {
			t.Fatalf("change %d: the group has %d members directly, %d reading it", i, len(dg.Members), len(wg.Members))
		}
		de, we := direct.eventsAfter(seqs[0]), whole.eventsAfter(seqs[1])
		if !reflect.DeepEqual(de, we) {
			t.Fatalf("change %d: events\n%+v directly,\n%+v reading the group", i, de, we)
		}
		if len(de) == 1 && de[0].Group != nil {
			t.Logf("change %d: partial %v, %d members in the event", i, de[0].Partial, len(de[0].Group.Members))
		}
	}
}

// TestSCIMChangeMembersRace: 40 membership PATCHes of one group at once — 20 adding a member
// each, 20 taking one out — on both stores. Every change lands once: the group has exactly
// the members it should, in the order they stayed or joined, its version counts 40 changes,
// and there are 40 events, each with a version of its own.
func TestSCIMChangeMembersRace(t *testing.T) {
	onEachStore(t, func(t *testing.T, fresh func(...Option) *env) {
		t.Run("member by member", func(t *testing.T) { changeMembersRace(t, fresh(WithMembersPerChange(0))) })
		t.Run("read whole when small", func(t *testing.T) { changeMembersRace(t, fresh()) })
	})
}

func changeMembersRace(t *testing.T, e *env) {
	e.createIdP("okta", ModeSCIM)
	actor := e.scimActor("okta")
	var users []string
	if err := e.store.Update(e.ctx, func(tx Tx) error {
		for i := range 60 {
			id := fmt.Sprintf("racer-%02d", i)
			if err := tx.PutUser(User{ID: id, UserName: id + "@example.com", IdP: "okta", Owner: OwnerSCIM, Active: true}); err != nil {
				return err
			}
			users = append(users, id)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	g, err := e.svc.SCIMCreateGroup(e.ctx, actor, Group{DisplayName: "Racers", Members: users[:40]})
	if err != nil {
		t.Fatal(err)
	}
	seq := e.lastSeq()
	var wg sync.WaitGroup
	errs := make([]error, 40)
	start := make(chan struct{})
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			c := MemberChange{Add: true, IDs: []string{users[40+i%20]}}
			if i >= 20 {
				c = MemberChange{IDs: []string{users[i-20]}} // the first 20 leave
			}
			_, errs[i] = e.svc.SCIMChangeMembers(e.ctx, actor, g.ID, 0, []MemberChange{c})
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("change %d: %v", i, err)
		}
	}
	got, err := e.svc.SCIMGroup(e.ctx, actor, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	stayed, joined := got.Members[:min(20, len(got.Members))], got.Members[min(20, len(got.Members)):]
	slices.Sort(joined)
	if !slices.Equal(stayed, users[20:40]) || !slices.Equal(joined, users[40:60]) || got.Meta.Version != g.Meta.Version+40 {
		t.Errorf("members %v, version %d; want %v then %v in any order, version %d", got.Members, got.Meta.Version, users[20:40], users[40:60], g.Meta.Version+40)
	}
	versions := map[int64]bool{}
	for _, ev := range e.eventsAfter(seq) {
		if ev.Type == EventGroupUpdated && ev.Group != nil {
			versions[ev.Group.Meta.Version] = true
		}
	}
	if len(versions) != 40 {
		t.Errorf("%d events with versions of their own, want 40", len(versions))
	}
}
