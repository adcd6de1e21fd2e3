package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
)

// generalPatch applies a PATCH to a group the general way: as attributes, and back.
func generalPatch(h *Handler, g directory.Group, ops []resolvedOp) (directory.Group, error) {
	m := h.groupAttrsOf(g)
	if err := applyPatch(m, ops, false); err != nil {
		return directory.Group{}, err
	}
	return groupFromAttrs(m)
}

func jsonText(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func resolveJSON(t *testing.T, ops string) []resolvedOp {
	t.Helper()
	var raw []struct {
		Op    string `json:"op"`
		Path  string `json:"path"`
		Value any    `json:"value"`
	}
	if err := json.Unmarshal([]byte(ops), &raw); err != nil {
		t.Fatalf("%s: %v", ops, err)
	}
	var in []patchOp
	for _, o := range raw {
		in = append(in, patchOp{op: strings.ToLower(o.Op), path: o.Path, value: o.Value})
	}
	resolved, err := groupType.resolvePatch(in)
	if err != nil {
		return nil
	}
	return resolved
}

// The membership PATCHes IdPs send take the direct way; the rest take the general one.
func TestPatchMembersTakesWhatIdPsSend(t *testing.T) {
	g := directory.Group{DisplayName: "Eng", Members: []string{"u1", "u2", "u3"}}
	for _, c := range []struct {
		ops    string
		direct bool
		want   []string
	}{
		{`[{"op":"Add","path":"members","value":[{"value":"u4"},{"value":"u1"}]}]`, true, []string{"u1", "u2", "u3", "u4"}},
		{`[{"op":"Remove","path":"members","value":[{"value":"u2"}]}]`, true, []string{"u1", "u3"}},
		{`[{"op":"remove","path":"members[value eq \"u3\"]"}]`, true, []string{"u1", "u2"}},
		{`[{"op":"add","path":"members","value":[{"value":"u5","display":"Five","type":"User"}]}]`, true, []string{"u1", "u2", "u3", "u5"}},
		{`[{"op":"replace","path":"members","value":[{"value":"u9"}]}]`, true, []string{"u9"}},
		{`[{"op":"remove","path":"members"}]`, true, []string{}},
		{`[{"op":"replace","path":"displayName","value":"Engineering"}]`, false, nil},
		{`[{"op":"add","path":"members","value":[{"value":"g7","type":"Group"}]}]`, false, nil},
		{`[{"op":"remove","path":"members[value eq \"u1\" or value eq \"u2\"]"}]`, false, nil},
	} {
		ops := resolveJSON(t, c.ops)
		if ops == nil {
			t.Fatalf("%s does not resolve", c.ops)
		}
		got, direct, err := patchMembers(g, ops)
		if direct != c.direct || err != nil {
			t.Errorf("%s: direct %v (%v), want %v", c.ops, direct, err, c.direct)
			continue
		}
		if direct && !reflect.DeepEqual(got.Members, c.want) {
			t.Errorf("%s: members %q, want %q", c.ops, got.Members, c.want)
		}
	}
}

// On random PATCHes of members — of every shape, well-formed or not — the direct way, where it
// takes a PATCH, gives exactly what the general way gives: the same group or the same error.
func TestPatchMembersAgreesWithTheGeneralWay(t *testing.T) {
	h := &Handler{opts: Options{BaseURL: "https://roster.example.com"}}
	rng := rand.New(rand.NewPCG(7, 11))
	ids := []string{"u1", "u2", "u3", "u4", "u5", "U1", "u2 ", "", "ü6"}
	id := func() string { return ids[rng.IntN(len(ids))] }
	member := func() string {
		switch rng.IntN(12) {
		case 0:
			return fmt.Sprintf(`{"value":%q,"display":"Someone"}`, id())
		case 1:
			return fmt.Sprintf(`{"value":%q,"type":"User"}`, id())
		case 2:
			return fmt.Sprintf(`{"value":%q,"type":"Group"}`, id())
		case 3:
			return fmt.Sprintf(`{"value":%q,"$ref":"https://roster.example.com/scim/v2/Users/x"}`, id())
		case 4:
			return fmt.Sprintf(`{"Value":%q,"primary":true}`, id())
		case 5:
			return `"u1"`
		case 6:
			return `{"value":5}`
		case 7:
			return `{"display":"nobody"}`
		default:
			return fmt.Sprintf(`{"value":%q}`, id())
		}
	}
	list := func() string {
		n := rng.IntN(4)
		var ms []string
		for range n {
			ms = append(ms, member())
		}
		return "[" + strings.Join(ms, ",") + "]"
	}
	op := func() string {
		switch rng.IntN(10) {
		case 0, 1:
			return `{"op":"add","path":"members","value":` + list() + `}`
		case 2, 3:
			return `{"op":"remove","path":"members","value":` + list() + `}`
		case 4:
			return `{"op":"remove","path":` + jsonText(fmt.Sprintf("members[value eq %q]", id())) + `}`
		case 5:
			return `{"op":"replace","path":"members","value":` + list() + `}`
		case 6:
			return `{"op":"remove","path":"members"}`
		case 7:
			return `{"op":"remove","path":` + jsonText(fmt.Sprintf("members[display eq %q]", id())) + `}`
		case 8:
			return `{"op":"add","path":` + jsonText(fmt.Sprintf("members[value eq %q]", id())) + `,"value":{"display":"x"}}`
		default:
			return `{"op":"add","path":"members","value":` + member() + `}`
		}
	}
	direct, general := 0, 0
	for i := range 20_000 {
		g := directory.Group{DisplayName: "Eng", ExternalID: "ext", Members: []string{}}
		for range rng.IntN(5) {
			if m := strings.TrimSpace(id()); m != "" && !g.HasMember(m) {
				g.Members = append(g.Members, m)
			}
		}
		var parts []string
		for range 1 + rng.IntN(4) {
			parts = append(parts, op())
		}
		text := "[" + strings.Join(parts, ",") + "]"
		ops := resolveJSON(t, text)
		if ops == nil {
			continue
		}
		want, wantErr := generalPatch(h, g.Clone(), ops)
		got, ok, err := patchMembers(g.Clone(), ops)
		if !ok {
			general++
			continue
		}
		direct++
		if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
			t.Fatalf("PATCH %d %s on %q: error %v, the general way %v", i, text, g.Members, err, wantErr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("PATCH %d %s on %q:\ndirect  %+v\ngeneral %+v", i, text, g.Members, got, want)
		}
	}
	if direct < 2_000 || general < 2_000 {
		t.Errorf("the random PATCHes did not try both ways: %d direct, %d general", direct, general)
	}
	t.Logf("%d PATCHes the direct way, %d the general way", direct, general)
}

// A PATCH whose member filters would cost more than the filter budget is refused the direct
// way as the general way refuses it, with the same error; one within the budget is applied.
func TestPatchMembersKeepsTheFilterBudget(t *testing.T) {
	h := &Handler{opts: Options{BaseURL: "https://roster.example.com"}}
	g := directory.Group{DisplayName: "Everyone", Members: []string{}}
	for i := range 17_000 {
		g.Members = append(g.Members, fmt.Sprintf("user-%05d", i))
	}
	removes := func(n int) []resolvedOp {
		var parts []string
		for i := range n {
			parts = append(parts, fmt.Sprintf(`{"op":"remove","path":"members[value eq \"user-%05d\"]"}`, i))
		}
		return resolveJSON(t, "["+strings.Join(parts, ",")+"]")
	}
	// Each remove scans 17,000 members (1,063 units of the 1,000,000): 1,000 of them are too many.
	_, direct, err := patchMembers(g.Clone(), removes(1000))
	_, wantErr := generalPatch(h, g.Clone(), removes(1000))
	if !direct || err == nil || wantErr == nil || err.Error() != wantErr.Error() {
		t.Fatalf("over the budget: direct %v, error %v; the general way: %v", direct, err, wantErr)
	}
	got, direct, err := patchMembers(g.Clone(), removes(900))
	if !direct || err != nil || len(got.Members) != 17_000-900 || got.Members[0] != "user-00900" {
		t.Fatalf("within the budget: direct %v, %v, %d members", direct, err, len(got.Members))
	}
}

// Over HTTP, a PATCH of many filter removes is refused for its filter budget as before, not
// taken member by member (where each costs one look-up); one of a few filter removes is.
func TestMemberChangesKeepTheFilterBudget(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var members []string
	if err := e.store.Update(ctx, func(tx directory.Tx) error {
		for i := range 17_000 {
			id := fmt.Sprintf("user-%05d", i)
			if err := tx.PutUser(directory.User{ID: id, UserName: id, IdP: "okta", Owner: directory.OwnerSCIM, Active: true}); err != nil {
				return err
			}
			members = append(members, id)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	g, err := e.svc.SCIMCreateGroup(ctx, e.dir.SCIMActor("okta"), directory.Group{DisplayName: "Everyone", Members: members})
	if err != nil {
		t.Fatal(err)
	}
	removes := func(n int) string {
		var parts []string
		for i := range n {
			parts = append(parts, fmt.Sprintf(`{"op":"remove","path":"members[value eq \"user-%05d\"]"}`, i))
		}
		return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + strings.Join(parts, ",") + `]}`
	}
	for _, path := range []string{"/scim/v2/Groups/" + g.ID, "/scim/v2/Groups/" + g.ID + "?attributes=id"} {
		if r := e.do("PATCH", path, removes(1000)).must(t, 400); !strings.Contains(r.str("detail"), "filters would examine") {
			t.Errorf("PATCH %s of 1,000 filter removes: %s", path, r.Raw)
		}
	}
	e.do("PATCH", "/scim/v2/Groups/"+g.ID, removes(maxDirectFilters)).must(t, 204)
	got, err := e.svc.SCIMGroup(ctx, e.dir.SCIMActor("okta"), g.ID)
	if err != nil || len(got.Members) != 17_000-maxDirectFilters || got.Members[0] != fmt.Sprintf("user-%05d", maxDirectFilters) {
		t.Errorf("after the refused PATCHes and one of %d removes: %d members, %v", maxDirectFilters, len(got.Members), err)
	}
}

// Membership PATCHes that name members by id (memberChanges) change the store without the
// group's members being read (SCIMChangeMembers). Two servers with the same clock and ids take
// the same random PATCHes — adds and removes by value, filters by value (upper-cased too),
// members who are, were, or never were; users of another IdP, unknown ids, a stale If-Match,
// a group of another IdP, now and then a replace — one as sent, the other with
// ?attributes=id, which takes the way that reads the group. Each PATCH must be answered alike
// (204 against 200, or the same error), and leave the same groups, memberships and events.
func TestMemberChangesAgreeWithReadingTheGroup(t *testing.T) {
	// SCIMChangeMembers reads a small group whole; with WithMembersPerChange(0) it changes
	// every group member by member.
	t.Run("member by member", func(t *testing.T) { memberChangesAgree(t, directory.WithMembersPerChange(0)) })
	t.Run("small groups read whole", func(t *testing.T) { memberChangesAgree(t) })
}

func memberChangesAgree(t *testing.T, opts ...directory.Option) {
	newServer := func(opts ...directory.Option) *env {
		var n int
		ids := func() string { n++; return fmt.Sprintf("%08x-0000-4000-8000-%012x", n, n) }
		now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
		return newEnvWith(t, append([]directory.Option{directory.WithIDs(ids), directory.WithClock(func() time.Time { return now })}, opts...)...)
	}
	direct, reading := newServer(opts...), newServer()
	both := []*env{direct, reading}
	r := rand.New(rand.NewPCG(3, 5))
	var users []string
	for i := range 30 {
		var id string
		for _, e := range both {
			body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"m%d@example.com","externalId":"m%d"}`, i, i)
			id = e.do("POST", "/scim/v2/Users", body).must(t, 201).str("id")
		}
		users = append(users, id)
	}
	var foreign, foreignGroup string
	for _, e := range both {
		e.addIdP(t, "entra", directory.ModeSCIM, directory.MatchExternalID)
		tok := e.newToken(t, "entra")
		foreign = e.doAs(tok, "POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"f@example.com","externalId":"f"}`).must(t, 201).str("id")
		foreignGroup = e.doAs(tok, "POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Theirs"}`).must(t, 201).str("id")
	}
	var groups []string
	for _, name := range []string{"Eng", "Ops"} {
		var id string
		for _, e := range both {
			ms := fmt.Sprintf(`[{"value":%q},{"value":%q}]`, users[0], users[1])
			id = e.do("POST", "/scim/v2/Groups", fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":%q,"members":%s}`, name, ms)).must(t, 201).str("id")
		}
		groups = append(groups, id)
	}
	seq := []uint64{direct.dir.LastSeq(), reading.dir.LastSeq()}
	if seq[0] != seq[1] {
		t.Fatalf("the servers start at events %d and %d", seq[0], seq[1])
	}
	someone := func() string {
		switch c := r.IntN(20); {
		case c == 0:
			return foreign
		case c == 1:
			return "00000000-0000-4000-8000-00000000ffff" // no user
		case c == 2:
			return strings.ToUpper(users[r.IntN(len(users))])
		default:
			return users[r.IntN(len(users))]
		}
	}
	list := func() string {
		var vs []string
		for range 1 + r.IntN(4) {
			vs = append(vs, fmt.Sprintf(`{"value":%q}`, someone()))
		}
		return "[" + strings.Join(vs, ",") + "]"
	}
	direct0, viaRead := 0, 0
	for step := range 300 {
		gid := groups[r.IntN(len(groups))]
		if r.IntN(30) == 0 {
			gid = foreignGroup
		}
		var ops []string
		for range 1 + r.IntN(3) {
			switch c := r.IntN(12); {
			case c < 5:
				ops = append(ops, `{"op":"add","path":"members","value":`+list()+`}`)
			case c < 8:
				ops = append(ops, `{"op":"remove","path":"members","value":`+list()+`}`)
			case c < 11:
				id := someone()
				if r.IntN(4) == 0 {
					id = strings.ToUpper(id)
				}
				ops = append(ops, fmt.Sprintf(`{"op":"remove","path":%s}`, jsonText(fmt.Sprintf(`members[value eq "%s"]`, id))))
			default:
				ops = append(ops, `{"op":"replace","path":"members","value":`+list()+`}`)
			}
		}
		body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + strings.Join(ops, ",") + `]}`
		var headers []string
		if r.IntN(15) == 0 {
			headers = []string{"If-Match", `W/"1"`}
		}
		a := direct.do("PATCH", "/scim/v2/Groups/"+gid, body, headers...)
		b := reading.do("PATCH", "/scim/v2/Groups/"+gid+"?attributes=id", body, headers...)
		if (a.Status == 204) != (b.Status == 200) || (a.Status != 204 && (a.Status != b.Status || a.str("detail") != b.str("detail"))) {
			t.Fatalf("step %d: %s\nanswered %d %s directly, %d %s reading the group", step, body, a.Status, a.Raw, b.Status, b.Raw)
		}
		if a.Status == 204 && a.Header.Get("ETag") != b.Header.Get("ETag") {
			t.Fatalf("step %d: %s\nETag %s directly, %s reading the group", step, body, a.Header.Get("ETag"), b.Header.Get("ETag"))
		}
		if resolved := resolveJSON(t, `[`+strings.Join(ops, ",")+`]`); resolved != nil {
			if _, ok := memberChanges(resolved); ok {
				direct0++
			} else {
				viaRead++
			}
		}
		for _, g := range append([]string{foreignGroup}, groups...) {
			tok := ""
			if g == foreignGroup {
				continue
			}
			ga, gb := direct.doAs(tok+direct.token, "GET", "/scim/v2/Groups/"+g, nil), reading.do("GET", "/scim/v2/Groups/"+g, nil)
			if ga.Raw != gb.Raw {
				t.Fatalf("step %d: %s\ngroup directly:\n%s\nreading the group:\n%s", step, body, ga.Raw, gb.Raw)
			}
		}
		for _, u := range users[:5] {
			ua, ub := direct.do("GET", "/scim/v2/Users/"+u, nil), reading.do("GET", "/scim/v2/Users/"+u, nil)
			if ua.Raw != ub.Raw {
				t.Fatalf("step %d: %s\nuser directly:\n%s\nreading the group:\n%s", step, body, ua.Raw, ub.Raw)
			}
		}
		ea, eb := eventsJSON(t, direct, &seq[0]), eventsJSON(t, reading, &seq[1])
		if ea != eb {
			t.Fatalf("step %d: %s\nevents directly:\n%s\nreading the group:\n%s", step, body, ea, eb)
		}
	}
	if direct0 < 150 || viaRead < 30 {
		t.Errorf("%d PATCHes took the direct way and %d read the group; want both ways well tried", direct0, viaRead)
	}
}

// eventsJSON is the events after *seq, and moves *seq past them.
func eventsJSON(t *testing.T, e *env, seq *uint64) string {
	t.Helper()
	evs := e.dir.Events(*seq)
	if len(evs) > 0 {
		*seq = evs[len(evs)-1].Seq
	}
	raw, _ := json.MarshalIndent(evs, "", " ")
	return string(raw)
}
