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

// TestPatchCopyAppliesToTheVersionItWrites: a PATCH is written only to a version it was
// applied to. Applied to a copy read before the write, it is written if the stored resource is
// still that version; when it changed meanwhile, a small PATCH is applied again inside the
// write, to the version stored there, and a costly one is read and applied again, and refused
// with 409 if the resource keeps changing. Where writers run together a small PATCH is applied
// inside from the start, reading nothing before, unless it needs more work than the inside
// budget allows.
func TestPatchCopyAppliesToTheVersionItWrites(t *testing.T) {
	stored := directory.User{ID: "u", Title: "first", Meta: directory.Meta{Version: 1}}
	reads, applied := 0, []string{}
	read := func() (directory.User, error) { reads++; return stored, nil }
	version := func(u directory.User) int64 { return u.Meta.Version }
	costly := false // the PATCH needs more than the inside budget
	apply := func(u directory.User, inside bool) (directory.User, error) {
		applied = append(applied, fmt.Sprintf("%d/%v", u.Meta.Version, inside))
		if inside && costly {
			return directory.User{}, errNotInside
		}
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
	check := func(name string, together, small bool, change func(), wantReads int, wantApplied string) {
		t.Helper()
		reads, applied, written = 0, nil, nil
		out, err := patchCopy(together, small, read, version, apply, writeAfter(change))
		if err != nil || reads != wantReads || fmt.Sprint(applied) != wantApplied || len(written) != 1 ||
			out.Title != stored.Title || out.NickName != "patched" || out.Meta.Version != stored.Meta.Version {
			t.Errorf("%s: %v, %d reads, applied to (version/inside) %v, written %+v; want %d reads, applied to %s, the stored version patched and written once",
				name, err, reads, applied, written, wantReads, wantApplied)
		}
	}
	check("unchanged", false, true, func() {}, 1, "[1/false]")
	check("changed before the write", false, true, func() { stored.Title, stored.Meta.Version = "second", 2 }, 1, "[1/false 2/true]")
	once := func(f func()) func() {
		done := false
		return func() {
			if !done {
				done = true
				f()
			}
		}
	}
	check("costly, changed before the write once", false, false, once(func() { stored.Meta.Version = 3 }), 2, "[2/false 3/false]")
	check("together", true, true, func() { stored.Meta.Version = 7 }, 0, "[7/true]")
	check("together, but many operations", true, false, func() {}, 1, "[7/false]")
	costly = true
	check("together, but beyond the inside budget", true, true, func() {}, 1, "[7/true 7/false]")

	// A costly PATCH of a resource that changes at every attempt is refused with 409, and
	// nothing is written.
	written = nil
	always := func(fn func(directory.User) (directory.User, error)) (directory.User, error) {
		stored.Meta.Version++
		return fn(stored)
	}
	for _, small := range []bool{false, true} { // small, but beyond the inside budget
		_, err := patchCopy(false, small, read, version, apply, always)
		if se := errorFor(nil, nil, err); se.Status != 409 || len(written) != 0 {
			t.Errorf("a costly PATCH (small %v) of a user changing at every attempt: %v (status %d), %d writes; want 409 and none", small, err, se.Status, len(written))
		}
	}
	costly = false

	// What the PATCH's application reports comes from inside the write, after its checks.
	bad := errors.New("no target")
	for _, together := range []bool{false, true} {
		_, err := patchCopy(together, true, read, version, func(directory.User, bool) (directory.User, error) { return directory.User{}, bad },
			func(fn func(directory.User) (directory.User, error)) (directory.User, error) { return fn(stored) })
		if !errors.Is(err, bad) {
			t.Errorf("the PATCH's own error (together %v): %v, want %v", together, err, bad)
		}
	}
	// A read that fails for another reason than a missing resource ends the PATCH.
	broken := errors.New("store unavailable")
	_, err := patchCopy(false, true, func() (directory.User, error) { return directory.User{}, broken }, version, apply,
		func(fn func(directory.User) (directory.User, error)) (directory.User, error) {
			t.Error("written after a failed read")
			return fn(stored)
		})
	if !errors.Is(err, broken) {
		t.Errorf("a failed read: %v, want %v", err, broken)
	}
}

// TestCostlyPatchIsNotAppliedInside: a PATCH whose value filters need more work than one
// applied inside a write transaction may do is still applied, outside, on both stores; one
// within the budget gives the same result.
func TestCostlyPatchIsNotAppliedInside(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		id := e.createUser("costly@example.com", "ext-costly")
		var adds []string
		for i := range 99 { // the most a user may have: 100 emails
			adds = append(adds, fmt.Sprintf(`{"value":"a%d@example.com","type":"other"}`, i))
		}
		e.do("PATCH", "/scim/v2/Users/"+id, patchBody(`{"op":"add","path":"emails","value":[`+strings.Join(adds, ",")+`]}`)).must(t, 200)
		// 20 operations whose filters of 7 terms each look at 100 values: more work than
		// insideFilterWork.
		var ops []string
		for i := range 20 {
			ops = append(ops, fmt.Sprintf(`{"op":"replace","path":"emails[type eq \"other\" and (value sw \"a%d@\" or value ew \"never\" or value co \"zzz\")].type","value":"home"}`, i))
		}
		e.do("PATCH", "/scim/v2/Users/"+id, patchBody(strings.Join(ops, ","))).must(t, 200)
		homes := 0
		for _, m := range e.user(id).Emails {
			if m.Type == "home" {
				homes++
			}
		}
		if homes != 20 {
			t.Errorf("%d emails of type home after the costly PATCH, want 20", homes)
		}
	})
}
