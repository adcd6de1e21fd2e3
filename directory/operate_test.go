package directory_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	. "github.com/rosterhq/roster/directory"
)

// operate_test.go covers what operating Roster needs from the directory: observers of committed
// events, protocol refusals, the administrator's user operations, the mode-switch preview, the
// event search and the dashboard's figures.

func TestOnEventsSeesExactlyWhatCommits(t *testing.T) {
	e := newEnv(t)
	var seen []Event
	e.svc.OnEvents(func(evs []Event) { seen = append(seen, evs...) })
	e.createIdP("okta", ModeSCIM)
	before := e.lastSeq()
	// A refusal is an event; a failed write (an unknown IdP) is none.
	if _, err := e.svc.Login(e.ctx, Login{IdP: "okta", UniqueUserID: "00u1"}); !isRefusal(err) {
		t.Fatalf("login in mode scim: %v, want a refusal", err)
	}
	if _, err := e.svc.ReactivateUser(e.ctx, "admin:test", "no-such-user"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("reactivating nobody: %v", err)
	}
	e.mustSCIMCreate(SCIMActor{IdP: "okta", TokenID: "t1"}, User{UserName: "ada@example.com", ExternalID: "00u1", Active: true})
	logged := e.eventsAfter(0)
	if len(seen) != len(logged) {
		t.Fatalf("observers saw %d events, the log holds %d", len(seen), len(logged))
	}
	for i := range logged {
		if seen[i].Seq != logged[i].Seq || seen[i].ID != logged[i].ID || seen[i].Type != logged[i].Type {
			t.Errorf("event %d: observed %d %s %s, logged %d %s %s", i, seen[i].Seq, seen[i].ID, seen[i].Type,
				logged[i].Seq, logged[i].ID, logged[i].Type)
		}
	}
	if got := seen[len(seen)-2]; got.Seq != before+1 || got.Type != EventLoginRefused {
		t.Errorf("the refusal observed as %d %s, want %d %s", got.Seq, got.Type, before+1, EventLoginRefused)
	}
}

func isRefusal(err error) bool { _, ok := AsRefusal(err); return ok }

func TestRefuseSignIn(t *testing.T) {
	e := newEnv(t)
	p := e.createIdP("okta", ModeBoth)
	use := PutOnce(OnceSAMLAssertion, "okta/a1", []byte{1}, e.clock.Now().Add(time.Hour))
	ref, err := e.svc.RefuseSignIn(e.ctx, SignInRefusal{IdP: "okta", Code: "idp_initiated_off",
		Reason: "IdP-initiated sign-in is off for okta", Detail: "saml: InResponseTo does not match\xff", UniqueUserID: "00u1"}, use)
	if err != nil {
		t.Fatal(err)
	}
	evs := e.eventsAfter(e.lastSeq() - 1)
	ev := evs[0]
	if ev.ID != ref.EventID || ev.Type != EventLoginRefused || ev.Rule != "" || ev.IdP != "okta" || ev.Org != OrgOrDefault(p.Org) ||
		ev.Actor != "jit:okta" || ev.Subject != "00u1" {
		t.Errorf("event %+v for refusal %+v", ev, ref)
	}
	if !strings.HasPrefix(ev.Reason, "IdP-initiated sign-in is off for okta") || !strings.Contains(ev.Reason, "[idp_initiated_off]") {
		t.Errorf("reason %q", ev.Reason)
	}
	if ev.Detail != "saml: InResponseTo does not match?" {
		t.Errorf("detail %q, want the library's words as valid UTF-8", ev.Detail)
	}
	// The same response again uses a key used already: nothing is recorded.
	seq := e.lastSeq()
	if _, err := e.svc.RefuseSignIn(e.ctx, SignInRefusal{IdP: "okta", Reason: "again"}, use); !errors.Is(err, ErrUsed) {
		t.Errorf("a replay: %v, want ErrUsed", err)
	}
	if _, err := e.svc.RefuseSignIn(e.ctx, SignInRefusal{IdP: "nope", Reason: "x"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown IdP: %v, want ErrNotFound", err)
	}
	if e.lastSeq() != seq {
		t.Error("a refusal that could not be recorded wrote an event")
	}
	long := strings.Repeat("é", 3000)
	if _, err := e.svc.RefuseSignIn(e.ctx, SignInRefusal{IdP: "okta", Reason: "long", Detail: long}); err != nil {
		t.Fatal(err)
	}
	if d := e.eventsAfter(seq)[0].Detail; len(d) > 2100 || !strings.HasSuffix(d, "…") || !strings.HasPrefix(long, strings.TrimSuffix(d, "…")) {
		t.Errorf("a long detail is kept as %d bytes: %q…", len(d), d[:20])
	}
}

func TestAdministratorUserOperations(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeBoth)
	e.createIdP("hr", ModeSCIM)
	jitUser := e.mustLogin(Login{IdP: "okta", UniqueUserID: "00u1", Email: "ada@example.com"})
	scimUser := e.mustSCIMCreate(SCIMActor{IdP: "hr", TokenID: "t"}, User{UserName: "bob@example.com", ExternalID: "e1", Active: true})

	t.Run("reactivate", func(t *testing.T) {
		if _, err := e.svc.DeactivateUser(e.ctx, "admin:test", jitUser.ID); err != nil {
			t.Fatal(err)
		}
		seq := e.lastSeq()
		u, err := e.svc.ReactivateUser(e.ctx, "admin:test", jitUser.ID)
		if err != nil || !u.Active {
			t.Fatalf("ReactivateUser: %+v %v", u, err)
		}
		evs := e.eventsAfter(seq)
		if len(evs) != 1 || evs[0].Type != EventUserReactivated || evs[0].Rule != RuleR6 || evs[0].Actor != "admin:test" {
			t.Errorf("events %+v", evs)
		}
		// An old session stays ended.
		if _, err := e.svc.ReactivateUser(e.ctx, "admin:test", jitUser.ID); err != nil || e.lastSeq() != seq+1 {
			t.Errorf("reactivating an active user: %v, events %d", err, e.lastSeq()-seq)
		}
		// A user SCIM provisions is the connector's.
		if _, err := e.svc.DeactivateUser(e.ctx, "admin:test", scimUser.ID); err != nil {
			t.Fatal(err)
		}
		seq = e.lastSeq()
		_, err = e.svc.ReactivateUser(e.ctx, "admin:test", scimUser.ID)
		if r, ok := AsRefusal(err); !ok || r.Code != RefuseSCIMOwned {
			t.Fatalf("reactivating a SCIM user: %v", err)
		}
		if u, _ := e.svc.User(e.ctx, scimUser.ID); u.Active || e.lastSeq() != seq {
			t.Error("a refused reactivation changed something")
		}
	})

	t.Run("sign out everywhere", func(t *testing.T) {
		e.clock.Advance(time.Second)
		old, err := e.svc.CreateSession(e.ctx, jitUser.ID, "okta", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Second)
		older, err := e.svc.CreateSession(e.ctx, jitUser.ID, "okta", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		live, err := e.svc.UserSessions(e.ctx, jitUser.ID)
		if err != nil || len(live) != 2 || !live[0].Created.After(live[1].Created) || live[0].IdP != "okta" {
			t.Fatalf("sessions %+v %v, want 2, newest first", live, err)
		}
		e.clock.Advance(time.Second)
		seq := e.lastSeq()
		_, n, err := e.svc.SignOutEverywhere(e.ctx, "admin:test", jitUser.ID)
		if err != nil || n != 2 {
			t.Fatalf("SignOutEverywhere: %d %v", n, err)
		}
		for _, s := range []string{old, older} {
			if _, err := e.svc.SessionUser(e.ctx, s); !errors.Is(err, ErrUnauthenticated) {
				t.Errorf("a session survived: %v", err)
			}
		}
		if live, _ := e.svc.UserSessions(e.ctx, jitUser.ID); len(live) != 0 {
			t.Errorf("sessions listed after sign-out: %+v", live)
		}
		if evs := e.eventsAfter(seq); len(evs) != 1 || evs[0].Type != EventUserSignedOut {
			t.Errorf("events %+v", evs)
		}
		e.clock.Advance(time.Second)
		fresh, _ := e.svc.CreateSession(e.ctx, jitUser.ID, "okta", time.Hour)
		if u, err := e.svc.SessionUser(e.ctx, fresh); err != nil || u.ID != jitUser.ID {
			t.Errorf("a new session after sign-out: %v", err)
		}
		if _, err := e.svc.UserSessions(e.ctx, "nobody"); !errors.Is(err, ErrNotFound) {
			t.Errorf("sessions of nobody: %v", err)
		}
	})

	t.Run("delete", func(t *testing.T) {
		seq := e.lastSeq()
		plan, err := e.svc.DeleteUser(e.ctx, "admin:test", jitUser.ID, true)
		if err != nil || plan.Tombstone == nil || plan.Rule != RuleR6 || !strings.Contains(plan.Reason, "tombstoned") {
			t.Fatalf("dry run: %+v %v", plan, err)
		}
		if _, err := e.svc.User(e.ctx, jitUser.ID); err != nil || e.lastSeq() != seq {
			t.Fatalf("the dry run wrote: %v", err)
		}
		del, err := e.svc.DeleteUser(e.ctx, "admin:test", jitUser.ID, false)
		if err != nil || del.Tombstone == nil {
			t.Fatal(err)
		}
		if _, err := e.svc.User(e.ctx, jitUser.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("the user is still there: %v", err)
		}
		evs := e.eventsAfter(seq)
		if len(evs) != 1 || evs[0].Type != EventUserDeleted || evs[0].Reason != plan.Reason {
			t.Errorf("events %+v", evs)
		}
		// Mode both enforces the tombstone (R6).
		if _, err := e.svc.Login(e.ctx, Login{IdP: "okta", UniqueUserID: "00u1"}); err == nil {
			t.Error("a deleted key signed in again")
		} else if r, ok := AsRefusal(err); !ok || r.Code != RefuseTombstoned {
			t.Errorf("login of a deleted key: %v", err)
		}
	})
}

func TestPreviewModeChangeWritesNothing(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeJIT)
	a := e.mustLogin(Login{IdP: "okta", UniqueUserID: "00u1"})
	b := e.mustLogin(Login{IdP: "okta", UniqueUserID: "00u2"})
	if _, err := e.svc.DeactivateUser(e.ctx, "admin:test", b.ID); err != nil {
		t.Fatal(err)
	}
	c := e.mustLogin(Login{IdP: "okta", UniqueUserID: "00u3"})
	if _, err := e.svc.DeleteUser(e.ctx, "admin:test", c.ID, false); err != nil {
		t.Fatal(err)
	}
	seq := e.lastSeq()
	p, err := e.svc.PreviewModeChange(e.ctx, "okta", ModeSCIM)
	if err != nil {
		t.Fatal(err)
	}
	if e.lastSeq() != seq {
		t.Error("the preview wrote an event")
	}
	if got, _ := e.svc.IdP(e.ctx, "okta"); got.Mode != ModeJIT {
		t.Errorf("the preview changed the mode to %s", got.Mode)
	}
	ids := func(o ModeOutcome) []string {
		var out []string
		for _, en := range p.Groups[o] {
			if en.User != nil {
				out = append(out, en.User.ID)
			} else {
				out = append(out, "tombstone:"+en.Tombstone.UniqueUserID)
			}
		}
		return out
	}
	want := map[ModeOutcome][]string{
		ModeAdoptedLater: {a.ID}, ModeStaysRefused: {b.ID}, ModeNoLongerSignsIn: {"tombstone:00u3"},
		ModeKeepsWorking: nil, ModeSignsInAgain: nil,
	}
	for o, w := range want {
		if diff := cmp.Diff(w, ids(o)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", o, diff)
		}
		if p.Counts[o] != len(w) {
			t.Errorf("count of %s = %d, want %d", o, p.Counts[o], len(w))
		}
	}
	if p.Newcomer.Outcome != ModeNoLongerSignsIn || p.Newcomer.Rule != RuleR3 {
		t.Errorf("newcomer %+v, want R3 no longer signs in", p.Newcomer)
	}
	if p.Change.Event != EventIdPModeChanged || !strings.Contains(p.Change.Reason, "2 JIT-created users are kept") {
		t.Errorf("change %+v", p.Change)
	}
	if s := strings.Join(p.Summary(), "; "); !strings.Contains(s, "1 could no longer sign in") || !strings.Contains(s, "people without a user can no longer sign in") {
		t.Errorf("summary %q", s)
	}
	if _, err := e.svc.PreviewModeChange(e.ctx, "okta", "sometimes"); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown mode: %v", err)
	}
	if _, err := e.svc.PreviewModeChange(e.ctx, "nope", ModeSCIM); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown IdP: %v", err)
	}
}

// searchEnv writes events over three hours: per minute one login of okta, every tenth minute a
// refusal of hr, and every thirtieth a protocol refusal of okta, the one kind of event here that
// names its organization.
func searchEnv(t *testing.T) (*env, time.Time) {
	e := newEnv(t)
	e.createIdP("okta", ModeJIT)
	e.createIdP("hr", ModeSCIM)
	start := e.clock.Now()
	for i := range 180 {
		e.clock.Advance(time.Minute)
		e.mustLogin(Login{IdP: "okta", UniqueUserID: "00u1"})
		if i%10 == 0 {
			if _, err := e.svc.Login(e.ctx, Login{IdP: "hr", UniqueUserID: "nobody"}); !isRefusal(err) {
				t.Fatal(err)
			}
		}
		if i%30 == 0 {
			if _, err := e.svc.RefuseSignIn(e.ctx, SignInRefusal{IdP: "okta", Reason: "a replayed response"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return e, start
}

func TestSearchEvents(t *testing.T) {
	e, start := searchEnv(t)
	all := e.eventsAfter(0)
	collect := func(q EventScan) ([]uint64, EventScanEnd) {
		t.Helper()
		var seqs []uint64
		end, err := e.svc.SearchEvents(e.ctx, q, func(ev Event) error { seqs = append(seqs, ev.Seq); return nil })
		if err != nil {
			t.Fatal(err)
		}
		return seqs, end
	}
	want := func(match func(Event) bool, desc bool) []uint64 {
		var out []uint64
		for _, ev := range all {
			if match(ev) {
				out = append(out, ev.Seq)
			}
		}
		if desc {
			slices.Reverse(out)
		}
		return out
	}
	from, to := start.Add(30*time.Minute), start.Add(90*time.Minute)
	inRange := func(ev Event) bool { return !ev.Time.Before(from) && ev.Time.Before(to) }
	for _, c := range []struct {
		name  string
		q     EventScan
		match func(Event) bool
	}{
		{"everything", EventScan{}, func(Event) bool { return true }},
		{"everything, newest first", EventScan{Descending: true}, func(Event) bool { return true }},
		{"refusals of hr", EventScan{Filter: EventFilter{Types: []string{"login.*"}, IdP: "hr"}},
			func(ev Event) bool { return ev.Type == EventLoginRefused && ev.IdP == "hr" }},
		{"refusals by rule R3, newest first", EventScan{Descending: true, Filter: EventFilter{Rule: "r3"}},
			func(ev Event) bool { return ev.Rule == RuleR3 }},
		{"a time range", EventScan{Filter: EventFilter{From: from, To: to}}, inRange},
		{"a time range, newest first", EventScan{Descending: true, Filter: EventFilter{From: from, To: to}}, inRange},
		{"an actor kind in a range", EventScan{Filter: EventFilter{Actor: "jit:", From: from, To: to}},
			func(ev Event) bool { return inRange(ev) && strings.HasPrefix(ev.Actor, "jit:") }},
		{"after a seq", EventScan{After: 100}, func(ev Event) bool { return ev.Seq > 100 }},
		{"before a seq, newest first", EventScan{Descending: true, Before: 100}, func(ev Event) bool { return ev.Seq < 100 }},
		{"one event by id", EventScan{Descending: true, Filter: EventFilter{ID: all[57].ID}}, func(ev Event) bool { return ev.ID == all[57].ID }},
		{"of the default organization", EventScan{Org: DefaultOrg, Descending: true}, func(ev Event) bool { return ev.Org == DefaultOrg }},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, end := collect(c.q)
			w := want(c.match, c.q.Descending)
			if len(w) == 0 {
				t.Fatal("the case selects nothing; it would prove nothing")
			}
			if diff := cmp.Diff(w, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if !end.Done {
				t.Errorf("end %+v, want done", end)
			}
		})
	}
	t.Run("a budget stops the scan where it can go on", func(t *testing.T) {
		var got []uint64
		q := EventScan{Budget: 50, Filter: EventFilter{IdP: "hr"}}
		for rounds := 0; ; rounds++ {
			seqs, end := collect(q)
			got = append(got, seqs...)
			if end.Read > 50 || rounds > len(all) {
				t.Fatalf("read %d with a budget of 50", end.Read)
			}
			if end.Done {
				break
			}
			q.After = end.Last
		}
		if diff := cmp.Diff(want(func(ev Event) bool { return ev.IdP == "hr" }, false), got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("a budget newest first", func(t *testing.T) {
		var got []uint64
		q := EventScan{Budget: 70, Descending: true, Filter: EventFilter{Types: []string{EventLoginRefused}}}
		for {
			seqs, end := collect(q)
			got = append(got, seqs...)
			if end.Done {
				break
			}
			q.Before = end.Last
		}
		if diff := cmp.Diff(want(func(ev Event) bool { return ev.Type == EventLoginRefused }, true), got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

func TestStats(t *testing.T) {
	e, start := searchEnv(t)
	e.mustSCIMCreate(SCIMActor{IdP: "hr", TokenID: "t"}, User{UserName: "bob@example.com", ExternalID: "e1", Active: true})
	st, err := e.svc.Stats(e.ctx, StatsQuery{From: start, To: start.Add(3 * time.Hour), Bucket: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Buckets) != 3 || !st.Buckets[1].Equal(start.Add(time.Hour)) {
		t.Fatalf("buckets %v", st.Buckets)
	}
	// The first login (minute 1) created the user; the rest updated it: 60 per hour, the
	// last minute (180) falls on the end of the range.
	if len(st.SignIns) != 1 || st.SignIns[0].IdP != "okta" || !slices.Equal(st.SignIns[0].Counts, []int{59, 60, 60}) || st.SignIns[0].Total != 179 {
		t.Errorf("sign-ins %+v", st.SignIns)
	}
	if len(st.Refusals) != 2 || st.Refusals[0].IdP != "hr" || st.Refusals[0].Rule != RuleR3 || st.Refusals[0].Total != 18 ||
		st.Refusals[1].IdP != "okta" || st.Refusals[1].Rule != "" || !slices.Equal(st.Refusals[1].Counts, []int{2, 2, 2}) {
		t.Errorf("refusals %+v", st.Refusals)
	}
	if len(st.SCIMOperations) != 0 || st.Users.Total != 2 || st.Users.ByIdP["okta"] != 1 || st.Users.ByOwner[OwnerSCIM] != 1 || st.Users.Active != 2 {
		t.Errorf("scim %+v users %+v", st.SCIMOperations, st.Users)
	}
	if st.Truncated || st.LastSeq != e.lastSeq() {
		t.Errorf("truncated %v, last seq %d", st.Truncated, st.LastSeq)
	}
	// The SCIM create is after the range; a wider range counts it.
	st, err = e.svc.Stats(e.ctx, StatsQuery{From: start, To: e.clock.Now().Add(time.Minute), Bucket: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.SCIMOperations) != 1 || st.SCIMOperations[0].IdP != "hr" || st.SCIMOperations[0].Total != 1 {
		t.Errorf("scim %+v", st.SCIMOperations)
	}
	// One organization's figures come from its own events: every event here is of the
	// default organization, so its figures are the whole store's.
	all, err := e.svc.Stats(e.ctx, StatsQuery{From: start, To: start.Add(3 * time.Hour), Bucket: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	st, err = e.svc.Stats(e.ctx, StatsQuery{Org: DefaultOrg, From: start, To: start.Add(3 * time.Hour), Bucket: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(st.SignIns, all.SignIns) || !reflect.DeepEqual(st.Refusals, all.Refusals) || st.Users.Total != 2 {
		t.Errorf("stats of organization default: sign-ins %+v refusals %+v users %+v; want the whole store's", st.SignIns, st.Refusals, st.Users)
	}
	if st, err := e.svc.Stats(e.ctx, StatsQuery{Org: "elsewhere", From: start, To: start.Add(3 * time.Hour), Bucket: time.Hour}); err != nil ||
		len(st.Refusals) != 0 || st.Users.Total != 0 {
		t.Errorf("stats of an organization with nothing: %+v %v", st, err)
	}
	if _, err := e.svc.Stats(e.ctx, StatsQuery{From: start, To: start.Add(100 * 24 * time.Hour), Bucket: time.Minute}); !errors.Is(err, ErrInvalid) {
		t.Errorf("too many buckets: %v", err)
	}
}

func TestClassifyEvent(t *testing.T) {
	for _, c := range []struct {
		e              Event
		class, outcome string
	}{
		{Event{Type: EventUserCreated, Actor: "jit:okta"}, ClassSignIn, "created"},
		{Event{Type: EventUserLogin, Actor: "jit:okta"}, ClassSignIn, "updated"},
		{Event{Type: EventUserLinked, Actor: "jit:okta"}, ClassSignIn, "linked"},
		{Event{Type: EventLoginRefused, Actor: "jit:okta"}, ClassSignInRefused, "refused"},
		{Event{Type: EventUserCreated, Actor: "scim:t1"}, ClassSCIM, EventUserCreated},
		{Event{Type: EventGroupUpdated, Actor: "scim:t1"}, ClassSCIM, EventGroupUpdated},
		{Event{Type: EventSCIMRefused, Actor: "scim:t1"}, ClassSCIMRefused, "refused"},
		{Event{Type: EventGroupCreated, Actor: "jit:okta"}, "", ""},
		{Event{Type: EventUserDeactivated, Actor: "admin:root"}, "", ""},
	} {
		if class, outcome := ClassifyEvent(c.e); class != c.class || outcome != c.outcome {
			t.Errorf("%s by %s: %q %q, want %q %q", c.e.Type, c.e.Actor, class, outcome, c.class, c.outcome)
		}
	}
}
