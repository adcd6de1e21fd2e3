package scim

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
)

// R5: a SCIM POST whose key matches a JIT-created user adopts it.
func TestAdoptionOfJITUser(t *testing.T) {
	e := newEnv(t)
	jit, err := e.svc.Login(context.Background(), directory.Login{IdP: "okta", UniqueUserID: "00u-42", Email: "pat@example.com", FirstName: "Pat"})
	if err != nil {
		t.Fatal(err)
	}
	seq := e.lastSeq()
	r := e.do("POST", "/scim/v2/Users", userBody("pat@example.com", "00u-42")).must(t, 201)
	if r.str("id") != jit.ID {
		t.Fatalf("adoption gave id %s, want the JIT user's %s", r.str("id"), jit.ID)
	}
	u := e.user(jit.ID)
	if u.Owner != directory.OwnerSCIM || u.Name.FamilyName != "Family" {
		t.Errorf("adopted user %+v", u)
	}
	evs := e.events(seq)
	if len(evs) != 1 || evs[0].Type != directory.EventUserAdopted || evs[0].Rule != "R5" || !strings.HasPrefix(evs[0].Actor, "scim:") {
		t.Errorf("events %+v, want one user.adopted by R5", evs)
	}
}

// R6: deactivation ends sessions at once; DELETE tombstones the key so logins are refused.
func TestDeprovisioningSticks(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := e.createUser("pat@example.com", "00u-7")
	session, err := e.svc.CreateSession(ctx, id, "okta", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SessionUser(ctx, session); err != nil {
		t.Fatalf("fresh session: %v", err)
	}
	seq := e.lastSeq()
	e.do("PATCH", "/scim/v2/Users/"+id, patchBody(`{"op":"replace","path":"active","value":false}`)).must(t, 200)
	if _, err := e.svc.SessionUser(ctx, session); !errors.Is(err, directory.ErrUnauthenticated) {
		t.Errorf("session after deactivation: %v, want ErrUnauthenticated", err)
	}
	evs := e.events(seq)
	if len(evs) != 1 || evs[0].Type != directory.EventUserDeactivated || evs[0].Rule != "R6" {
		t.Errorf("events %+v", evs)
	}
	if _, err := e.svc.Login(ctx, directory.Login{IdP: "okta", UniqueUserID: "00u-7", Email: "pat@example.com"}); err == nil {
		t.Error("a login reactivated a SCIM-deactivated user")
	}

	seq = e.lastSeq()
	e.do("DELETE", "/scim/v2/Users/"+id, nil).must(t, 204)
	_, err = e.svc.Login(ctx, directory.Login{IdP: "okta", UniqueUserID: "00u-7", Email: "pat@example.com"})
	r, ok := directory.AsRefusal(err)
	if !ok || r.Rule != "R6" || r.Code != directory.RefuseTombstoned {
		t.Errorf("login after DELETE: %v, want an R6 tombstone refusal", err)
	}
	evs = e.events(seq)
	if len(evs) < 1 || evs[0].Type != directory.EventUserDeleted || evs[0].Rule != "R6" {
		t.Errorf("events %+v", evs)
	}
	// SCIM may create the key again, which clears the tombstone.
	e.do("POST", "/scim/v2/Users", userBody("pat@example.com", "00u-7")).must(t, 201)
}

// R7: SCIM POSTs racing logins for one key end with exactly one user, whoever comes first: one
// POST answers 201 with that user (created, or adopted from a login), the others 409, and
// every login signs that user in. Run with -race.
func TestCreateRacesLogin(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const racers = 4
	for round := range 10 {
		key := fmt.Sprintf("00u-race-%d", round)
		mail := fmt.Sprintf("race%d@example.com", round)
		seq := e.lastSeq()
		var wg sync.WaitGroup
		posts := make(chan response, racers)
		logins := make(chan string, racers)
		errs := make(chan error, racers)
		for range racers {
			wg.Go(func() {
				posts <- e.do("POST", "/scim/v2/Users", userBody(mail, key))
			})
			wg.Go(func() {
				u, err := e.svc.Login(ctx, directory.Login{IdP: "okta", UniqueUserID: key, Email: mail})
				if err != nil {
					errs <- err
					return
				}
				logins <- u.ID
			})
		}
		wg.Wait()
		close(posts)
		close(logins)
		close(errs)
		for err := range errs {
			t.Errorf("round %d: a racing login failed: %v", round, err)
		}
		var users []directory.User
		if err := e.svc.View(ctx, func(tx directory.ReadTx) error {
			return tx.ScanUsers(directory.ScanQuery{IdP: "okta"}, func(u directory.User) error {
				if u.UniqueUserID == key {
					users = append(users, u)
				}
				return nil
			})
		}); err != nil {
			t.Fatal(err)
		}
		if len(users) != 1 {
			t.Fatalf("round %d: %d users for one key, want 1", round, len(users))
		}
		id := users[0].ID
		if users[0].Owner != directory.OwnerSCIM {
			t.Errorf("round %d: the user is owned by %s, want scim", round, users[0].Owner)
		}
		created, conflicts := 0, 0
		for r := range posts {
			switch r.Status {
			case 201:
				created++
				if r.str("id") != id {
					t.Errorf("round %d: the 201 names user %s, but the only user is %s", round, r.str("id"), id)
				}
			case 409:
				conflicts++
				r.mustSCIMError(t, 409, "uniqueness")
			default:
				t.Errorf("round %d: a racing POST answered %d: %s", round, r.Status, r.Raw)
			}
		}
		if created != 1 || conflicts != racers-1 {
			t.Errorf("round %d: %d POSTs answered 201 and %d 409, want 1 and %d", round, created, conflicts, racers-1)
		}
		n := 0
		for got := range logins {
			n++
			if got != id {
				t.Errorf("round %d: a login signed in user %s, but the only user is %s", round, got, id)
			}
		}
		if n != racers {
			t.Errorf("round %d: %d of %d logins succeeded", round, n, racers)
		}
		// One user.created, at most one adoption, and one R7 refusal per losing POST.
		count := map[string]int{}
		for _, ev := range e.events(seq) {
			count[ev.Type]++
			if ev.Type == directory.EventSCIMRefused && ev.Rule != "R7" {
				t.Errorf("round %d: a losing POST was refused by %s: %s", round, ev.Rule, ev.Reason)
			}
		}
		if count[directory.EventUserCreated] != 1 || count[directory.EventUserAdopted] > 1 || count[directory.EventSCIMRefused] != racers-1 {
			t.Errorf("round %d: events %v, want one user.created, at most one user.adopted and %d scim.refused", round, count, racers-1)
		}
	}
}

// R12: every SCIM write and refusal is one event naming the actor (the token) and, where a
// rule decided, the rule.
func TestEveryWriteIsOneEvent(t *testing.T) {
	e := newEnv(t)
	toks, err := e.svc.Tokens(context.Background(), directory.TokenSCIM, "okta")
	if err != nil || len(toks) != 1 {
		t.Fatalf("tokens of okta: %v, %v", toks, err)
	}
	actor := "scim:" + toks[0].ID
	step := func(name string, do func(), wantType, wantRule string) {
		t.Helper()
		seq := e.lastSeq()
		do()
		evs := e.events(seq)
		if len(evs) != 1 {
			t.Fatalf("%s: %d events, want 1: %+v", name, len(evs), evs)
		}
		if evs[0].Type != wantType || string(evs[0].Rule) != wantRule || evs[0].Actor != actor {
			t.Errorf("%s: event %s rule %q actor %q, want %s rule %q actor %q", name, evs[0].Type, evs[0].Rule, evs[0].Actor, wantType, wantRule, actor)
		}
	}
	var id, gid string
	step("create", func() { id = e.createUser("a@example.com", "a") }, directory.EventUserCreated, "R1")
	step("patch", func() {
		e.do("PATCH", "/scim/v2/Users/"+id, patchBody(`{"op":"replace","path":"title","value":"x"}`)).must(t, 200)
	}, directory.EventUserUpdated, "")
	step("conflict", func() {
		e.do("POST", "/scim/v2/Users", userBody("A@example.com", "b")).must(t, 409)
	}, directory.EventSCIMRefused, "R8")
	step("no key", func() {
		e.do("POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"nokey@example.com"}`).must(t, 400)
	}, directory.EventSCIMRefused, "R1")
	step("group create", func() {
		gid = e.do("POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G"}`).must(t, 201).str("id")
	}, directory.EventGroupCreated, "")
	step("group patch", func() {
		e.do("PATCH", "/scim/v2/Groups/"+gid, patchBody(`{"op":"add","path":"members","value":[{"value":"`+id+`"}]}`)).must(t, 204)
	}, directory.EventGroupUpdated, "")
	step("group delete", func() { e.do("DELETE", "/scim/v2/Groups/"+gid, nil).must(t, 204) }, directory.EventGroupDeleted, "")
	step("deactivate", func() {
		e.do("PATCH", "/scim/v2/Users/"+id, patchBody(`{"op":"replace","value":{"active":false}}`)).must(t, 200)
	}, directory.EventUserDeactivated, "R6")
	step("delete", func() { e.do("DELETE", "/scim/v2/Users/"+id, nil).must(t, 204) }, directory.EventUserDeleted, "R6")
	// A no-op write writes nothing.
	id = e.createUser("b@example.com", "b2")
	seq := e.lastSeq()
	e.do("PATCH", "/scim/v2/Users/"+id, patchBody(`{"op":"replace","path":"userName","value":"b@example.com"}`)).must(t, 200)
	if n := len(e.events(seq)); n != 0 {
		t.Errorf("a PATCH that changes nothing wrote %d events", n)
	}
}

func TestDiscovery(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/scim/v2/ServiceProviderConfig", nil).must(t, 200)
	want := map[string]any{"patch": true, "bulk": true, "filter": true, "changePassword": false, "sort": true, "etag": true}
	for k, v := range want {
		m, _ := r.Body[k].(map[string]any)
		if m["supported"] != v {
			t.Errorf("%s.supported = %v, want %v", k, m["supported"], v)
		}
	}
	if f, _ := r.Body["filter"].(map[string]any); f["maxResults"].(float64) < 100 {
		t.Errorf("filter.maxResults = %v", f["maxResults"])
	}
	schemes, _ := r.Body["authenticationSchemes"].([]any)
	if len(schemes) != 1 || schemes[0].(map[string]any)["type"] != "oauthbearertoken" {
		t.Errorf("authenticationSchemes = %v", r.Body["authenticationSchemes"])
	}
	r = e.do("GET", "/scim/v2/Schemas", nil).must(t, 200)
	ids := map[string]bool{}
	for _, s := range resources(r) {
		ids[fmt.Sprint(s["id"])] = true
		if s["id"] == "urn:ietf:params:scim:schemas:core:2.0:User" {
			for _, a := range s["attributes"].([]any) {
				if n := a.(map[string]any)["name"]; n == "x509Certificates" || n == "photos" || n == "ims" {
					t.Errorf("the User schema advertises %v, which Roster does not keep", n)
				}
			}
		}
	}
	for _, id := range []string{"urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:core:2.0:Group", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"} {
		if !ids[id] {
			t.Errorf("/Schemas lacks %s", id)
		}
	}
	r = e.do("GET", "/scim/v2/ResourceTypes", nil).must(t, 200)
	if r.Body["totalResults"] != float64(2) {
		t.Errorf("ResourceTypes: %s", r.Raw)
	}
	e.do("GET", "/scim/v2/ResourceTypes/User", nil).must(t, 200)
	e.do("GET", "/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group", nil).must(t, 200)
	e.do("GET", "/scim/v2/Bulk", nil).mustSCIMError(t, 405, "")
}
