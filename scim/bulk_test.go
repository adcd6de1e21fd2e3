package scim

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster/directory"
)

func bulkBody(failOnErrors int, ops ...string) string {
	f := ""
	if failOnErrors > 0 {
		f = fmt.Sprintf(`"failOnErrors":%d,`, failOnErrors)
	}
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],` + f + `"Operations":[` + strings.Join(ops, ",") + `]}`
}

func bulkUser(bulkID, userName, externalID string) string {
	return fmt.Sprintf(`{"method":"POST","path":"/Users","bulkId":%q,"data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%q,"externalId":%q}}`,
		bulkID, userName, externalID)
}

// bulkOps returns the operations of a bulk response, by bulkId or, without one, by location.
func bulkOps(t *testing.T, r response) map[string]map[string]any {
	t.Helper()
	r.must(t, 200)
	if s, _ := r.Body["schemas"].([]any); len(s) != 1 || s[0] != bulkResponseURN {
		t.Errorf("schemas %v", r.Body["schemas"])
	}
	out := map[string]map[string]any{}
	list, _ := r.Body["Operations"].([]any)
	for _, x := range list {
		op := x.(map[string]any)
		key, _ := op["bulkId"].(string)
		if key == "" {
			key, _ = op["location"].(string)
		}
		out[key] = op
	}
	return out
}

func opStatus(op map[string]any) string { s, _ := op["status"].(string); return s }

// TestBulkCreatesAGroupWithMembersByBulkId: a group whose members are users created in the same
// request — listed before them — gets their ids; a later PATCH and DELETE address resources
// by bulkId too. Each operation answers as RFC 7644 §3.7.3 says.
func TestBulkCreatesAGroupWithMembersByBulkId(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/scim/v2/Bulk", bulkBody(0,
		`{"method":"POST","path":"/Groups","bulkId":"g","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Tour Guides","members":[{"type":"User","value":"bulkId:alice"},{"value":"bulkId:bob"}]}}`,
		bulkUser("alice", "alice@example.com", "a-1"),
		bulkUser("bob", "bob@example.com", "b-1"),
		`{"method":"PATCH","path":"/Users/bulkId:bob","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"Guide"}]}}`,
		bulkUser("carol", "carol@example.com", "c-1"),
		`{"method":"DELETE","path":"/Users/bulkId:carol"}`,
	))
	ops := bulkOps(t, r)
	if len(ops) != 6 {
		t.Fatalf("%d operations answered: %s", len(ops), r.Raw)
	}
	for _, k := range []string{"g", "alice", "bob", "carol"} {
		op := ops[k]
		if opStatus(op) != "201" || op["method"] != "POST" {
			t.Errorf("%s: %v", k, op)
		}
		loc, _ := op["location"].(string)
		if !strings.HasPrefix(loc, "https://roster.example/scim/v2/") || op["version"] == nil {
			t.Errorf("%s: location %q version %v", k, loc, op["version"])
		}
	}
	id := func(k string) string {
		loc, _ := ops[k]["location"].(string)
		return loc[strings.LastIndexByte(loc, '/')+1:]
	}
	alice, bob, carol := id("alice"), id("bob"), id("carol")
	g, err := e.svc.SCIMGroup(context.Background(), directory.SCIMActor{IdP: e.idp}, id("g"))
	if err != nil || !slices.Equal(g.Members, []string{alice, bob}) {
		t.Fatalf("group members %v (%v), want [%s %s]", g.Members, err, alice, bob)
	}
	if u := e.user(bob); u.Title != "Guide" {
		t.Errorf("bob's title %q", u.Title)
	}
	patched := ops["https://roster.example/scim/v2/Users/"+bob]
	if opStatus(patched) != "200" || patched["version"] != `W/"2"` {
		t.Errorf("PATCH answered %v", patched)
	}
	deleted := ops["https://roster.example/scim/v2/Users/"+carol]
	if opStatus(deleted) != "204" {
		t.Errorf("DELETE answered %v", deleted)
	}
	if _, err := e.svc.User(context.Background(), carol); err == nil {
		t.Error("carol was not deleted")
	}
}

// TestBulkWritesWhatSingleRequestsWrite: the same operations as a bulk request and as single
// requests leave the same users and groups and the same events (type, actor, rule, reason,
// changes), refusals included — those of the input policy and the PATCH caps among them.
func TestBulkWritesWhatSingleRequestsWrite(t *testing.T) {
	type step struct{ method, path, body string }
	steps := []step{
		{"POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u1@example.com","externalId":"k1","title":"One"}`},
		{"POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"U1@example.com","externalId":"k2"}`},
		{"POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"nokey@example.com"}`},
		{"POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u3@example.com","externalId":"k3","active":false}`},
		{"PATCH", "/Users/{u1}", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`},
		{"PATCH", "/Users/{u1}", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"active"}]}`},
		{"POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u4@example.com","externalId":"k4","emails":[{"value":"u4@example.com\u0000"}]}`},
		{"POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"\uff35\uff11@example.com","externalId":"k5"}`},
		{"PATCH", "/Users/{u1}", patchBody(repeatOps(maxPatchOperations+1, `{"op":"replace","path":"title","value":"T"}`))},
		{"PATCH", "/Users/{u1}", patchBody(`{"op":"add","path":"emails","value":[` + emailValues(directory.MaxEmails+1) + `]}`)},
		{"POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","members":[{"value":"{u1}"}]}`},
		{"PUT", "/Users/{missing}", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x@example.com","externalId":"x"}`},
		{"DELETE", "/Users/{u1}", ``},
	}
	normalize := func(evs []directory.Event, ids map[string]string) []string {
		var out []string
		for _, ev := range evs {
			subject := ev.Subject
			if ev.User != nil || ev.Group != nil {
				subject = "{new}" // a resource's id is random; u1's is named below
			}
			for name, id := range ids {
				if ev.Subject == id {
					subject = name
				}
			}
			out = append(out, fmt.Sprintf("%s %s %s %q %v", ev.Type, subject, ev.Rule, ev.Reason, ev.Changes))
		}
		return out
	}
	// Single requests.
	single := newEnv(t)
	singleIDs := map[string]string{"{missing}": "00000000-0000-4000-8000-000000000000"}
	seq := single.lastSeq()
	var singleStatus []int
	for i, s := range steps {
		path := s.path
		body := s.body
		for name, id := range singleIDs {
			path, body = strings.ReplaceAll(path, name, id), strings.ReplaceAll(body, name, id)
		}
		var b any
		if body != "" {
			b = body
		}
		r := single.do(s.method, "/scim/v2"+path, b)
		singleStatus = append(singleStatus, r.Status)
		if i == 0 {
			singleIDs["{u1}"] = r.str("id")
		}
	}
	singleEvents := normalize(single.events(seq), map[string]string{"{u1}": singleIDs["{u1}"]})
	// One bulk request.
	bulk := newEnv(t)
	var ops []string
	for i, s := range steps {
		path := strings.ReplaceAll(strings.ReplaceAll(s.path, "{u1}", "bulkId:u1"), "{missing}", "00000000-0000-4000-8000-000000000000")
		op := fmt.Sprintf(`{"method":%q,"path":%q,"bulkId":"op%d"`, s.method, path, i)
		if i == 0 {
			op = fmt.Sprintf(`{"method":%q,"path":%q,"bulkId":"u1"`, s.method, path)
		}
		if s.body != "" {
			op += `,"data":` + strings.ReplaceAll(s.body, "{u1}", "bulkId:u1")
		}
		ops = append(ops, op+"}")
	}
	seq = bulk.lastSeq()
	r := bulk.do("POST", "/scim/v2/Bulk", bulkBody(0, ops...)).must(t, 200)
	list, _ := r.Body["Operations"].([]any)
	var bulkStatus []int
	for _, x := range list {
		var n int
		fmt.Sscan(opStatus(x.(map[string]any)), &n)
		bulkStatus = append(bulkStatus, n)
	}
	if diff := cmp.Diff(singleStatus, bulkStatus); diff != "" {
		t.Errorf("statuses differ (-single +bulk):\n%s\n%s", diff, r.Raw)
	}
	loc, _ := list[0].(map[string]any)["location"].(string)
	bulkEvents := normalize(bulk.events(seq), map[string]string{"{u1}": loc[strings.LastIndexByte(loc, '/')+1:]})
	if diff := cmp.Diff(singleEvents, bulkEvents); diff != "" {
		t.Errorf("events differ (-single +bulk):\n%s", diff)
	}
}

// TestBulkFailOnErrors: after failOnErrors failures no further operation runs, and the
// response lists exactly the operations that ran; without it every operation runs.
func TestBulkFailOnErrors(t *testing.T) {
	e := newEnv(t)
	ops := []string{
		bulkUser("a", "a@example.com", "a"),
		bulkUser("b", "A@example.com", "b"), // 409: userName taken
		bulkUser("c", "c@example.com", "c"),
	}
	before := e.snapshot()
	got := bulkOps(t, e.do("POST", "/scim/v2/Bulk", bulkBody(1, ops...)))
	if len(got) != 2 || opStatus(got["a"]) != "201" || opStatus(got["b"]) != "409" {
		t.Fatalf("answered %v", got)
	}
	if resp, _ := got["b"]["response"].(map[string]any); resp["scimType"] != "uniqueness" || resp["status"] != "409" {
		t.Errorf("failed operation's response %v", got["b"]["response"])
	}
	if _, located := got["b"]["location"]; located {
		t.Error("a failed POST has a location")
	}
	if err := e.svc.View(context.Background(), func(tx directory.ReadTx) error {
		_, err := tx.UserByUserName(directory.DefaultOrg, "c@example.com")
		return err
	}); err == nil {
		t.Error("an operation after failOnErrors ran")
	}
	if e.snapshot() == before {
		t.Error("nothing was written")
	}
	got = bulkOps(t, e.do("POST", "/scim/v2/Bulk", bulkBody(0, bulkUser("d", "a@example.com", "d"), bulkUser("f", "f@example.com", "f"))))
	if len(got) != 2 || opStatus(got["d"]) != "409" || opStatus(got["f"]) != "201" {
		t.Errorf("without failOnErrors: %v", got)
	}
}

// TestBulkBadOperationAmongGoodOnes: malformed or refused operations are answered in their
// place with the error their single request would get; the good ones around them are written,
// and nothing of the bad ones is.
func TestBulkBadOperationAmongGoodOnes(t *testing.T) {
	e := newEnv(t)
	seq := e.lastSeq()
	r := e.do("POST", "/scim/v2/Bulk", bulkBody(0,
		bulkUser("a", "a@example.com", "a"),
		`{"method":"POST","path":"/Users","bulkId":"nouser","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"externalId":"n"}}`,
		`{"method":"GET","path":"/Users","bulkId":"get"}`,
		`{"method":"POST","path":"/Users","data":{"userName":"nobulkid@example.com","externalId":"nb"}}`,
		`{"method":"POST","path":"/Users","bulkId":"a","data":{"userName":"again@example.com","externalId":"again"}}`,
		`{"method":"PATCH","path":"/Groups/00000000-0000-4000-8000-000000000000","data":{"Operations":[{"op":"add","path":"members","value":[{"value":"bulkId:a"}]}]}}`,
		`{"method":"POST","path":"/Groups","bulkId":"g","data":{"displayName":"G","members":[{"value":"not-a-user"}]}}`,
		bulkUser("b", "b@example.com", "b"),
	))
	r.must(t, 200)
	list, _ := r.Body["Operations"].([]any)
	var statuses []string
	for _, x := range list {
		statuses = append(statuses, opStatus(x.(map[string]any)))
	}
	want := []string{"201", "400", "400", "400", "400", "404", "400", "201"}
	if !slices.Equal(statuses, want) {
		t.Errorf("statuses %v, want %v\n%s", statuses, want, r.Raw)
	}
	for _, x := range list {
		op := x.(map[string]any)
		if opStatus(op) >= "400" {
			resp, _ := op["response"].(map[string]any)
			if resp["detail"] == nil || resp["status"] != opStatus(op) {
				t.Errorf("failed operation without its error body: %v", op)
			}
		}
	}
	var users []string
	_ = e.svc.View(context.Background(), func(tx directory.ReadTx) error {
		return tx.ScanUsers(directory.ScanQuery{}, func(u directory.User) error { users = append(users, u.UserName); return nil })
	})
	slices.Sort(users)
	if !slices.Equal(users, []string{"a@example.com", "b@example.com"}) {
		t.Errorf("users %v", users)
	}
	var types []string
	for _, ev := range e.events(seq) {
		types = append(types, ev.Type)
	}
	if !slices.Equal(types, []string{directory.EventUserCreated, directory.EventUserCreated}) {
		t.Errorf("events %v: only the two creates happened", types)
	}
}

// TestBulkReferencesThatCannotBeResolved: circular references are 409 (RFC 7644 §3.7.1), a
// bulkId no POST defines is 400, and a bulkId whose POST failed is 409; none of them writes.
func TestBulkReferencesThatCannotBeResolved(t *testing.T) {
	e := newEnv(t)
	group := func(bulkID, member string) string {
		return fmt.Sprintf(`{"method":"POST","path":"/Groups","bulkId":%q,"data":{"displayName":%q,"members":[{"value":"bulkId:%s"}]}}`, bulkID, bulkID, member)
	}
	before := e.snapshot()
	got := bulkOps(t, e.do("POST", "/scim/v2/Bulk", bulkBody(0,
		group("ga", "gb"), group("gb", "ga"), group("self", "self"), group("waits", "ga"),
		group("unknown", "nobody"),
		bulkUser("bad", "", "bad"), group("onbad", "bad"),
	)))
	for k, want := range map[string]string{"ga": "409", "gb": "409", "self": "409", "waits": "409", "unknown": "400", "bad": "400", "onbad": "409"} {
		if opStatus(got[k]) != want {
			t.Errorf("%s: %v, want status %s", k, got[k], want)
		}
	}
	if d := fmt.Sprint(got["ga"]["response"]); !strings.Contains(d, "circular") {
		t.Errorf("cycle detail: %s", d)
	}
	if d := fmt.Sprint(got["unknown"]["response"]); !strings.Contains(d, "bulkId:nobody") {
		t.Errorf("unknown bulkId detail: %s", d)
	}
	if e.snapshot() != before {
		t.Error("unresolvable operations wrote something")
	}
}

// TestBulkLimits: over maxOperations or maxPayloadSize is 413 naming the limit (RFC 7644
// §3.7.4), and ServiceProviderConfig advertises both.
func TestBulkLimits(t *testing.T) {
	e := newEnv(t)
	spc := e.do("GET", "/scim/v2/ServiceProviderConfig", nil).must(t, 200)
	bulk, _ := spc.Body["bulk"].(map[string]any)
	if bulk["supported"] != true || bulk["maxOperations"] != float64(1000) || bulk["maxPayloadSize"] != float64(1<<20) {
		t.Errorf("bulk advertised as %v", bulk)
	}
	ops := make([]string, 1001)
	for i := range ops {
		ops[i] = `{"method":"DELETE","path":"/Users/x"}`
	}
	before := e.snapshot()
	r := e.do("POST", "/scim/v2/Bulk", bulkBody(0, ops...))
	r.must(t, 413)
	if !strings.Contains(r.str("detail"), "maxOperations") {
		t.Errorf("detail %q", r.str("detail"))
	}
	big := bulkBody(0, fmt.Sprintf(`{"method":"POST","path":"/Users","bulkId":"x","data":{"userName":"x","title":%q}}`, strings.Repeat("x", 1<<20)))
	r = e.do("POST", "/scim/v2/Bulk", big)
	r.must(t, 413)
	if !strings.Contains(r.str("detail"), "maxPayloadSize") {
		t.Errorf("detail %q", r.str("detail"))
	}
	e.do("POST", "/scim/v2/Bulk", `{"Operations":{}}`).mustSCIMError(t, 400, "invalidSyntax")
	e.do("POST", "/scim/v2/Bulk", bulkBody(0)[:20]).mustSCIMError(t, 400, "invalidSyntax")
	e.do("POST", "/scim/v2/Bulk", `{"failOnErrors":0,"Operations":[]}`).mustSCIMError(t, 400, "invalidValue")
	if e.snapshot() != before {
		t.Error("a refused bulk request wrote something")
	}
}

// TestBulkIsolation: a bulk operation sees only its token's IdP, as its single request does
// (R10), and a token of an IdP in mode jit is refused for the whole request (R2).
func TestBulkIsolation(t *testing.T) {
	e := newEnv(t)
	e.addIdP(t, "other", directory.ModeBoth, directory.MatchExternalID)
	otherToken := e.newToken(t, "other")
	theirs := e.doAs(otherToken, "POST", "/scim/v2/Users", userBody("theirs@example.com", "t")).must(t, 201).str("id")
	before := e.snapshot()
	got := bulkOps(t, e.do("POST", "/scim/v2/Bulk", bulkBody(0,
		`{"method":"PATCH","path":"/Users/`+theirs+`","data":{"Operations":[{"op":"replace","path":"title","value":"x"}]}}`,
		`{"method":"DELETE","path":"/Users/`+theirs+`"}`,
		`{"method":"POST","path":"/Groups","bulkId":"g","data":{"displayName":"G","members":[{"value":"`+theirs+`"}]}}`,
	)))
	if opStatus(got["g"]) != "400" {
		t.Errorf("group with another IdP's user: %v", got["g"])
	}
	for k, op := range got {
		if k != "g" && opStatus(op) != "404" {
			t.Errorf("%s: %v, want 404", k, op)
		}
	}
	if e.snapshot() != before {
		t.Error("another IdP's user was touched")
	}
	e.addIdP(t, "jitonly", directory.ModeJIT, directory.MatchExternalID)
	e.doAs(e.newToken(t, "jitonly"), "POST", "/scim/v2/Bulk", bulkBody(0, bulkUser("a", "a@example.com", "a"))).must(t, 403)
}

// repeatOps is n copies of one PATCH operation, comma-separated.
func repeatOps(n int, op string) string {
	return strings.TrimSuffix(strings.Repeat(op+",", n), ",")
}

// emailValues is n email values, comma-separated.
func emailValues(n int) string {
	vals := make([]string, n)
	for i := range vals {
		vals[i] = fmt.Sprintf(`{"value":"e%d@example.com"}`, i)
	}
	return strings.Join(vals, ",")
}

// TestBulkInputPolicyAndPatchCaps: an operation of a bulk request meets the input policy and
// the PATCH caps exactly as its own request would, answered in its place with the same status
// and error naming the attribute or the limit, and changes nothing; the operations around it
// are written.
func TestBulkInputPolicyAndPatchCaps(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("target@example.com", "ext-target")
	had := len(e.user(id).Emails)
	e.createUser("stra\u00dfe@example.com", "ext-strasse")
	var costly []string
	for i := range 200 {
		costly = append(costly, fmt.Sprintf(`{"op":"remove","path":"emails[value eq \"e%d@example.com\" or type eq \"none\"]"}`, i))
	}
	patch := func(bulkID, body string) string {
		return fmt.Sprintf(`{"method":"PATCH","path":"/Users/%s","bulkId":%q,"data":%s}`, id, bulkID, body)
	}
	cases := []struct {
		bulkID, op, status, scimType, detail string
	}{
		{"ok1", bulkUser("ok1", "ok1@example.com", "ok1"), "201", "", ""},
		{"nul", `{"method":"POST","path":"/Users","bulkId":"nul","data":{"userName":"nul@example.com","externalId":"nul","emails":[{"value":"victim@example.com\u0000"}]}}`,
			"400", "invalidValue", "emails[0].value"},
		{"long", bulkUser("long", strings.Repeat("u", directory.MaxUserNameBytes+1), "long"), "400", "invalidValue", "userName"},
		{"mixed", bulkUser("mixed", "\u0430dmin@example.com", "mixed"), "400", "invalidValue", "userName"},
		{"lookalike", bulkUser("lookalike", "STRASSE@example.com", "lookalike"), "409", "uniqueness", ""},
		{"ops", patch("ops", patchBody(repeatOps(maxPatchOperations+1, `{"op":"replace","path":"title","value":"T"}`))), "400", "tooMany",
			fmt.Sprint(maxPatchOperations)},
		{"filters", patch("filters", patchBody(`{"op":"add","path":"emails","value":[`+emailValues(2000)+`]},`+strings.Join(costly, ","))),
			"400", "tooMany", "filters"},
		{"emails", patch("emails", patchBody(`{"op":"add","path":"emails","value":[`+emailValues(directory.MaxEmails+1)+`]}`)), "400", "invalidValue", "emails has"},
		{"title", patch("title", patchBody(`{"op":"replace","path":"title","value":"Engineer"}`)), "200", "", ""},
		{"ok2", bulkUser("ok2", "ok2@example.com", "ok2"), "201", "", ""},
	}
	var ops []string
	for _, c := range cases {
		ops = append(ops, c.op)
	}
	got := bulkOps(t, e.do("POST", "/scim/v2/Bulk", bulkBody(0, ops...)).must(t, 200))
	for _, c := range cases {
		op := got[c.bulkID]
		resp, _ := op["response"].(map[string]any)
		detail, _ := resp["detail"].(string)
		scimType, _ := resp["scimType"].(string)
		if opStatus(op) != c.status || scimType != c.scimType || !strings.Contains(detail, c.detail) {
			t.Errorf("%s: status %s, scimType %q, detail %q; want %s, %q, naming %q", c.bulkID, opStatus(op), scimType, detail, c.status, c.scimType, c.detail)
		}
	}
	if u := e.user(id); u.Title != "Engineer" || len(u.Emails) != had {
		t.Errorf("the target after the bulk request: title %q, %d emails; want only the accepted PATCH applied", u.Title, len(u.Emails))
	}
	var users []string
	_ = e.svc.View(context.Background(), func(tx directory.ReadTx) error {
		return tx.ScanUsers(directory.ScanQuery{}, func(u directory.User) error { users = append(users, u.UserName); return nil })
	})
	slices.Sort(users)
	if want := []string{"ok1@example.com", "ok2@example.com", "stra\u00dfe@example.com", "target@example.com"}; !slices.Equal(users, want) {
		t.Errorf("users %q, want %q", users, want)
	}
}

// TestBulkFailOnErrorsAcrossPatches: PATCH operations, which run on their own, count towards
// failOnErrors like the others, and nothing runs after the limit is reached, whichever kind of
// operation reached it.
func TestBulkFailOnErrorsAcrossPatches(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("target@example.com", "ext-target")
	title := func(bulkID, userID, value string) string {
		return fmt.Sprintf(`{"method":"PATCH","path":"/Users/%s","bulkId":%q,"data":%s}`, userID, bulkID,
			patchBody(fmt.Sprintf(`{"op":"replace","path":"title","value":%q}`, value)))
	}
	missing := "00000000-0000-4000-8000-000000000000"
	got := bulkOps(t, e.do("POST", "/scim/v2/Bulk", bulkBody(2,
		bulkUser("a", "a@example.com", "a"),
		title("p1", missing, "x"),                // 404, the first failure
		title("p2", id, "Second"),                // runs
		bulkUser("b", "target@example.com", "b"), // 409, the second failure
		title("p3", id, "Third"),                 // does not run
		bulkUser("c", "c@example.com", "c"),      // does not run
	)).must(t, 200))
	statuses := map[string]string{}
	for k, op := range got {
		statuses[k] = opStatus(op)
	}
	if want := map[string]string{"a": "201", "p1": "404", "p2": "200", "b": "409"}; !maps.Equal(statuses, want) {
		t.Errorf("answered %v, want %v", statuses, want)
	}
	if u := e.user(id); u.Title != "Second" {
		t.Errorf("title %q after the bulk request, want the one PATCH that ran before the limit", u.Title)
	}
}
