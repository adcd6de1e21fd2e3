package scim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
)

// generalPatch applies a PATCH to a group the general way: as attributes, and back.
func generalPatch(h *Handler, g directory.Group, ops []resolvedOp) (directory.Group, error) {
	m := h.groupAttrsOf(g)
	if err := applyPatch(m, ops); err != nil {
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
