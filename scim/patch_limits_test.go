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

// TestPatchCopyRetriesWhenTheResourceChanged: when the stored resource is no longer the version
// the PATCH was applied to, the PATCH is read and applied again, and written only to the
// version it was applied to; a resource that keeps changing ends in 409, never in a write of a
// stale copy.
func TestPatchCopyRetriesWhenTheResourceChanged(t *testing.T) {
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
	// The first write finds that someone changed the user since it was read.
	changeOnce := true
	write := func(fn func(directory.User) (directory.User, error)) (directory.User, error) {
		if changeOnce {
			changeOnce = false
			stored.Title, stored.Meta.Version = "second", 2
		}
		u, err := fn(stored)
		if err == nil {
			written = append(written, u)
		}
		return u, err
	}
	out, err := patchCopy(read, version, apply, write)
	if err != nil {
		t.Fatal(err)
	}
	if reads != 2 || fmt.Sprint(applied) != "[1 2]" || len(written) != 1 || out.Title != "second" || out.NickName != "patched" {
		t.Errorf("reads %d, applied to versions %v, written %+v: want the PATCH applied again to version 2 and written once", reads, applied, written)
	}

	// Always changed: given up with 409 after a few attempts, nothing written.
	written = nil
	always := func(fn func(directory.User) (directory.User, error)) (directory.User, error) {
		stored.Meta.Version++
		return fn(stored)
	}
	_, err = patchCopy(read, version, apply, always)
	if se := errorFor(nil, nil, err); se.Status != 409 || len(written) != 0 {
		t.Errorf("a user changing at every attempt: %v (status %d), %d writes; want 409 and none", err, se.Status, len(written))
	}

	// What the PATCH's application reports comes from inside the write, after its checks.
	bad := errors.New("no target")
	_, err = patchCopy(read, version, func(directory.User) (directory.User, error) { return directory.User{}, bad },
		func(fn func(directory.User) (directory.User, error)) (directory.User, error) { return fn(stored) })
	if !errors.Is(err, bad) {
		t.Errorf("the PATCH's own error: %v, want %v", err, bad)
	}
}
