package scim

import (
	"context"
	"fmt"
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
	id := func(k string) string { loc, _ := ops[k]["location"].(string); return loc[strings.LastIndexByte(loc, '/')+1:] }
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
// changes), refusals included.
func TestBulkWritesWhatSingleRequestsWrite(t *testing.T) {
	type step struct{ method, path, body string }
	steps := []step{
		{"POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u1@example.com","externalId":"k1","title":"One"}`},
		{"POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"U1@example.com","externalId":"k2"}`},
		{"POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"nokey@example.com"}`},
		{"POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u3@example.com","externalId":"k3","active":false}`},
		{"PATCH", "/Users/{u1}", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`},
		{"PATCH", "/Users/{u1}", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"active"}]}`},
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
