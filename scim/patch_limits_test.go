package scim

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
)

// TestPatchLimits: a PATCH of more operations than the server applies, or whose value filters
// would examine too many values, is refused with 400 tooMany naming the limit, and changes
// nothing; one at the limits is applied.
func TestPatchLimits(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("limits@example.com", "ext-limits")
	repeat := func(n int, op string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = op
		}
		return strings.Join(parts, ",")
	}
	ops := func(n int, op string) string { return patchBody(repeat(n, op)) }
	title := `{"op":"replace","path":"title","value":"T"}`

	before := e.snapshot()
	r := e.do("PATCH", "/Users/"+id, ops(maxPatchOperations+1, title))
	r.mustSCIMError(t, 400, "tooMany")
	if !strings.Contains(r.str("detail"), fmt.Sprint(maxPatchOperations)) {
		t.Errorf("detail %q does not name the limit", r.str("detail"))
	}
	// Attributes of an operation without a path count one each.
	noPath := `{"op":"replace","value":{"title":"A","nickName":"B"}}`
	e.do("PATCH", "/Users/"+id, ops(maxPatchOperations/2+1, noPath)).mustSCIMError(t, 400, "tooMany")
	if e.snapshot() != before {
		t.Errorf("a refused PATCH changed the store")
	}
	e.do("PATCH", "/Users/"+id, ops(maxPatchOperations, title)).must(t, 200)

	// A filter that no value shortcut answers, over many values, many times.
	var add []string
	for i := range 2000 {
		add = append(add, fmt.Sprintf(`{"value":"e%d@x.test"}`, i))
	}
	addAll := `{"op":"add","path":"emails","value":[` + strings.Join(add, ",") + `]}`
	costly := `{"op":"remove","path":"emails[value eq \"e%d@x.test\" or type eq \"none\"]"}`
	var costlyOps []string
	for i := range 200 {
		costlyOps = append(costlyOps, fmt.Sprintf(costly, i))
	}
	before = e.snapshot()
	r = e.do("PATCH", "/Users/"+id, patchBody(addAll+","+strings.Join(costlyOps, ",")))
	r.mustSCIMError(t, 400, "tooMany")
	if !strings.Contains(r.str("detail"), "filters") {
		t.Errorf("detail %q does not say the filters' work is what is refused", r.str("detail"))
	}
	if e.snapshot() != before {
		t.Errorf("a refused PATCH changed the store")
	}
	// Such a filter a few times is fine, and so are many removes that name their value.
	cheap := `{"op":"remove","path":"emails[value eq \"e%d@x.test\"]"}`
	var removes []string
	for i := 10; i < 910; i++ {
		removes = append(removes, fmt.Sprintf(cheap, i))
	}
	// The result is within the 100 emails a user may have; on the way there were 1000 more.
	addSome := `{"op":"add","path":"emails","value":[` + strings.Join(add[:1000], ",") + `]}`
	had := len(e.user(id).Emails)
	e.do("PATCH", "/Users/"+id, patchBody(addSome+","+strings.Join(costlyOps[:10], ",")+","+strings.Join(removes, ","))).must(t, 200)
	if u := e.user(id); len(u.Emails) != had+1000-910 {
		t.Errorf("%d emails after adding 1000 to %d and removing 910, want %d", len(u.Emails), had, had+1000-910)
	}
}

// TestPatchCopyAppliesToTheVersionItWrites: a PATCH applied to a copy read before the write is
// written only if the stored resource is still that version; when it changed meanwhile, the
// PATCH is applied again inside the write, to the version stored there, never written as the
// stale copy and never refused for the change. Where writers run together it is applied
// inside from the start, reading nothing before.
func TestPatchCopyAppliesToTheVersionItWrites(t *testing.T) {
	stored := directory.User{ID: "u", Title: "first", Meta: directory.Meta{Version: 1}}
	reads, applied := 0, []int64{}
	read := func() (directory.User, error) { reads++; return stored, nil }
	version := func(u directory.User) int64 { return u.Meta.Version }
	apply := func(u directory.User) (directory.User, error) {
		applied = append(applied, u.Meta.Version)
		u.NickName = "patched"
		return u, nil
	}
	var written []directory.User
	// write runs fn as the Service does, on the stored version, after change changed it.
	writeAfter := func(change func()) func(fn func(directory.User) (directory.User, error)) (directory.User, error) {
		return func(fn func(directory.User) (directory.User, error)) (directory.User, error) {
			change()
			u, err := fn(stored.Clone())
			if err == nil {
				written = append(written, u)
			}
			return u, err
		}
	}
	check := func(name string, inside bool, change func(), wantReads int, wantApplied string) {
		t.Helper()
		reads, applied, written = 0, nil, nil
		out, err := patchCopy(inside, read, version, apply, writeAfter(change))
		if err != nil || reads != wantReads || fmt.Sprint(applied) != wantApplied || len(written) != 1 ||
			out.Title != stored.Title || out.NickName != "patched" || out.Meta.Version != stored.Meta.Version {
			t.Errorf("%s: %v, %d reads, applied to versions %v, written %+v; want %d reads, applied to %s, the stored version patched and written once",
				name, err, reads, applied, written, wantReads, wantApplied)
		}
	}
	check("unchanged", false, func() {}, 1, "[1]")
	check("changed before the write", false, func() { stored.Title, stored.Meta.Version = "second", 2 }, 1, "[1 2]")
	check("inside", true, func() { stored.Meta.Version = 7 }, 0, "[7]")

	// What the PATCH's application reports comes from inside the write, after its checks.
	bad := errors.New("no target")
	for _, inside := range []bool{false, true} {
		_, err := patchCopy(inside, read, version, func(directory.User) (directory.User, error) { return directory.User{}, bad },
			func(fn func(directory.User) (directory.User, error)) (directory.User, error) { return fn(stored) })
		if !errors.Is(err, bad) {
			t.Errorf("the PATCH's own error (inside %v): %v, want %v", inside, err, bad)
		}
	}
	// A read that fails for another reason than a missing resource ends the PATCH.
	broken := errors.New("store unavailable")
	_, err := patchCopy(false, func() (directory.User, error) { return directory.User{}, broken }, version, apply,
		func(fn func(directory.User) (directory.User, error)) (directory.User, error) {
			t.Error("written after a failed read")
			return fn(stored)
		})
	if !errors.Is(err, broken) {
		t.Errorf("a failed read: %v, want %v", err, broken)
	}
}
