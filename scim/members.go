package scim

import (
	"strings"

	"github.com/rosterhq/roster/directory"
	filter "github.com/rosterhq/roster/internal/scimfilter"
)

// Membership PATCHes. What IdPs send to a group is nearly always a change of its members —
// Entra ID's {"op":"Add"|"Remove","path":"members","value":[{"value":"<id>"}]}, Okta's
// {"op":"remove","path":"members[value eq \"<id>\"]"} — and the general way of applying a
// PATCH turns every member into an object of attributes and back (with an index of all of
// them per operation): on a group of thousands that is most of a PATCH's cost. patchMembers
// applies such operations to the list of ids directly. It gives what the general way gives
// (TestPatchMembersAgreesWithTheGeneralWay compares the two on random PATCHes); for any
// operation it does not take exactly so, it says no and the PATCH goes the general way.

// patchMembers applies ops to g's members, or returns ok false when one of them is not a
// plain membership change. The group it returns is what groupFromAttrs would build from the
// patched attributes.
func patchMembers(g directory.Group, ops []resolvedOp) (out directory.Group, ok bool, err error) {
	if strings.TrimSpace(g.DisplayName) == "" {
		return directory.Group{}, false, nil
	}
	for _, m := range g.Members {
		if m == "" || strings.TrimSpace(m) != m {
			return directory.Group{}, false, nil
		}
	}
	members := append([]string{}, g.Members...)
	budget := &filterBudget{left: maxFilterWork}
	for _, op := range ops {
		p := op.path
		if p.Attr.URN != "" || p.Attr.Name != "members" || p.Attr.Sub != "" || p.ValueSub != "" {
			return directory.Group{}, false, nil
		}
		switch {
		case op.op == "remove" && p.Filter != nil:
			want, ok := valueEquals(p.Filter)
			if !ok {
				return directory.Group{}, false, nil
			}
			if members, err = removeMatchingMembers(members, p.Filter, want, budget); err != nil {
				return directory.Group{}, true, err
			}
		case p.Filter != nil:
			return directory.Group{}, false, nil
		case op.op == "remove" && op.value == nil:
			members = []string{}
		case op.op == "remove":
			gone := map[string]bool{}
			for _, v := range asList(op.value) {
				if s, ok := valueOf(v); ok {
					gone[s] = true
				}
			}
			kept := members[:0]
			for _, m := range members {
				if !gone[m] {
					kept = append(kept, m)
				}
			}
			members = kept
		default: // add or replace of the whole list
			ids, ok := memberIDs(op.value)
			if !ok {
				return directory.Group{}, false, nil
			}
			if op.op == "replace" {
				members = ids
				continue
			}
			have := make(map[string]bool, len(members))
			for _, m := range members {
				have[m] = true
			}
			for _, id := range ids {
				if !have[id] {
					have[id] = true
					members = append(members, id)
				}
			}
		}
	}
	return directory.Group{DisplayName: strings.TrimSpace(g.DisplayName), ExternalID: strings.TrimSpace(g.ExternalID), Members: members}, true, nil
}

// memberIDs returns the ids of a list of members as a PATCH gives them, or ok false when one
// is not an object with a plain id, a type that is not User, or more than a member's
// attributes: those take the general way, which refuses or keeps them as it does.
func memberIDs(value any) (ids []string, ok bool) {
	ids = []string{}
	for _, v := range asList(value) {
		m, isObj := v.(map[string]any)
		if !isObj {
			return nil, false
		}
		for k, x := range m {
			switch strings.ToLower(k) {
			case "value", "display", "$ref":
			case "type":
				if t, _ := x.(string); !strings.EqualFold(t, "User") {
					return nil, false
				}
			default:
				return nil, false
			}
		}
		id, isStr := valueOf(m)
		if !isStr || id == "" || strings.TrimSpace(id) != id {
			return nil, false
		}
		ids = append(ids, id)
	}
	return ids, true
}

// valueEquals is the id of a filter that is exactly `value eq "<id>"`.
func valueEquals(e filter.Expr) (string, bool) {
	c, ok := e.(*filter.Compare)
	if !ok || c.Op != filter.Eq || c.Path.URN != "" || c.Path.Sub != "" || !strings.EqualFold(c.Path.Name, "value") {
		return "", false
	}
	s, ok := c.Value.(string)
	return s, ok
}

// removeMatchingMembers removes the members the filter `value eq want` selects, charging the
// budget as matching does.
func removeMatchingMembers(members []string, f filter.Expr, want string, budget *filterBudget) ([]string, error) {
	if err := budget.spend(len(members)/scanValues + 1); err != nil {
		return nil, err
	}
	want = strings.ToLower(want)
	kept := members[:0]
	for _, m := range members {
		if strings.ToLower(m) == want {
			if err := budget.spend(1); err != nil {
				return nil, err
			}
			if filter.MatchValue(f, map[string]any{"value": m}, "members") {
				continue
			}
		}
		kept = append(kept, m)
	}
	return kept, nil
}

// maxDirectFilters is the most `members[value eq "…"]` removes memberChanges takes in one PATCH.
const maxDirectFilters = 16

// memberChanges turns a PATCH whose operations all add or remove members by id — Entra ID's
// add and remove with a list of members, Okta's remove of `members[value eq "<id>"]` — into
// the changes SCIMChangeMembers makes in one transaction (member by member on a large group,
// without reading its members), or returns ok false
// for anything else (a replace, a remove of every member, another attribute or filter, an id
// named twice, a member patchMembers would not take as it is): those take the way that reads
// the group.
//
// A filter's remove costs the general way a look at every member, charged to the PATCH's
// filter budget (maxFilterWork), which refuses a PATCH of many such removes on a large group;
// member by member it costs one look-up. So that a PATCH is refused or applied alike either way, one of
// more than maxDirectFilters such removes takes the general way: with at most that many, the
// budget runs out only on a group of about a million members.
func memberChanges(ops []resolvedOp) (changes []directory.MemberChange, ok bool) {
	seen, filters := map[string]bool{}, 0
	named := func(ids []string) bool {
		for _, id := range ids {
			if seen[id] {
				return false
			}
			seen[id] = true
		}
		return true
	}
	for _, op := range ops {
		p := op.path
		if p.Attr.URN != "" || p.Attr.Name != "members" || p.Attr.Sub != "" || p.ValueSub != "" {
			return nil, false
		}
		var c directory.MemberChange
		switch {
		case op.op == "remove" && p.Filter != nil:
			if filters++; filters > maxDirectFilters {
				return nil, false
			}
			want, isEq := valueEquals(p.Filter)
			if !isEq || want == "" {
				return nil, false
			}
			// members.value is compared exactly: the filter names the one member whose id is
			// want, as removeMatchingMembers finds it.
			if !filter.MatchValue(p.Filter, map[string]any{"value": want}, "members") {
				return nil, false
			}
			c.IDs = []string{want}
		case p.Filter != nil || op.value == nil || (op.op != "add" && op.op != "remove"):
			return nil, false
		default:
			ids, isList := memberIDs(op.value)
			if !isList {
				return nil, false
			}
			c = directory.MemberChange{Add: op.op == "add", IDs: ids}
		}
		if !named(c.IDs) {
			return nil, false
		}
		changes = append(changes, c)
	}
	return changes, true
}
