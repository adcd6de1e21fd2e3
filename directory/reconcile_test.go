package directory_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	. "github.com/rosterhq/roster/directory"
)

// TestReconcile builds each part of a reconciliation — a JIT user not adopted, a SCIM user who
// never signed in, a tombstone, refusals by two rules — and checks that each is reported, with
// the groups of the listed users and the notes that explain them.
func TestReconcile(t *testing.T) {
	e := newEnv(t)
	e.createIdP("okta", ModeJIT)
	e.createIdP("other", ModeJIT)
	jit := e.mustLogin(Login{IdP: "okta", UniqueUserID: "00uJIT", Email: "jit@example.com",
		Groups: []string{"Eng"}, GroupsAsserted: true})
	e.mustLogin(Login{IdP: "other", UniqueUserID: "00uOTHER", Email: "other@example.com"})

	rec, err := e.svc.Reconcile(e.ctx, "okta")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Mode != ModeJIT || rec.JITNotAdoptedCount != 1 || len(rec.JITNotAdopted) != 1 || len(rec.Notes) != 1 {
		t.Fatalf("in mode jit: %+v", rec)
	}
	got := rec.JITNotAdopted[0]
	if got.User.ID != jit.ID || len(got.Groups) != 1 || got.Groups[0].DisplayName != "Eng" {
		t.Errorf("JIT user not adopted: %+v", got)
	}

	e.setMode("okta", ModeSCIM)
	a := SCIMActor{IdP: "okta", TokenID: "t1"}
	never := e.mustSCIMCreate(a, User{UserName: "scim@example.com", ExternalID: "00uSCIM", Active: true})
	gone := e.mustSCIMCreate(a, User{UserName: "gone@example.com", ExternalID: "00uGONE", Active: true})
	if err := e.svc.SCIMDeleteUser(e.ctx, a, gone.ID, 0); err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, key := range []string{"00uNEW", "00uGONE", "00uNEW2"} {
		if _, err := e.svc.Login(e.ctx, Login{IdP: "okta", UniqueUserID: key, Email: key + "@example.com"}); err == nil {
			t.Fatalf("login of %s in mode scim was not refused", key)
		}
		refused++
	}
	if _, err := e.svc.Login(e.ctx, Login{IdP: "other", UniqueUserID: "00uOTHER", Email: "other@example.com"}); err != nil {
		t.Fatal(err)
	}

	rec, err = e.svc.Reconcile(e.ctx, "okta")
	if err != nil {
		t.Fatal(err)
	}
	if rec.IdP != "okta" || rec.Mode != ModeSCIM {
		t.Errorf("IdP %q mode %q", rec.IdP, rec.Mode)
	}
	if rec.JITNotAdoptedCount != 1 || len(rec.JITNotAdopted) != 1 || rec.JITNotAdopted[0].User.ID != jit.ID {
		t.Errorf("JIT not adopted: %d %+v", rec.JITNotAdoptedCount, rec.JITNotAdopted)
	}
	if rec.SCIMNeverSignedInCount != 1 || len(rec.SCIMNeverSignedIn) != 1 || rec.SCIMNeverSignedIn[0].User.ID != never.ID {
		t.Errorf("SCIM never signed in: %d %+v", rec.SCIMNeverSignedInCount, rec.SCIMNeverSignedIn)
	}
	if len(rec.Tombstones) != 1 || rec.Tombstones[0].UniqueUserID != "00uGONE" || rec.Tombstones[0].UserID != gone.ID {
		t.Errorf("tombstones: %+v", rec.Tombstones)
	}
	// Two unknown keys are refused as not provisioned (R3), the deleted one by its tombstone
	// (R6): the more frequent rule comes first.
	var rules []string
	total := 0
	for _, r := range rec.Refusals {
		rules = append(rules, string(r.Rule))
		total += r.Count
		if r.Last.IsZero() {
			t.Errorf("refusals of %s have no time", r.Rule)
		}
	}
	if diff := cmp.Diff([]string{"R3", "R6"}, rules); diff != "" || rec.Refusals[0].Count != 2 || total != refused {
		t.Errorf("refusals by rule (-want +got):\n%s%+v", diff, rec.Refusals)
	}
	if len(rec.RecentRefusals) != refused {
		t.Fatalf("%d recent refusals, want %d", len(rec.RecentRefusals), refused)
	}
	for i, ev := range rec.RecentRefusals {
		if ev.IdP != "okta" || ev.Type != EventLoginRefused {
			t.Errorf("recent refusal %d: %+v", i, ev)
		}
		if i > 0 && ev.Seq >= rec.RecentRefusals[i-1].Seq {
			t.Errorf("recent refusals are not newest first: %d after %d", ev.Seq, rec.RecentRefusals[i-1].Seq)
		}
	}
	if last := e.lastSeq(); rec.EventsExamined != int(last) {
		t.Errorf("%d events examined, want all %d", rec.EventsExamined, last)
	}
	// One note for JIT users awaiting adoption, one for the tombstone.
	if len(rec.Notes) != 2 {
		t.Errorf("notes: %q", rec.Notes)
	}

	if _, err := e.svc.Reconcile(e.ctx, "ghost"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown IdP: %v, want ErrNotFound", err)
	}
}
