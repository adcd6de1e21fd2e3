package scim

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unsafe"

	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/schema"

	filter "github.com/rosterhq/roster/internal/scimfilter"
)

// patchOp is one PATCH operation as the normaliser leaves it (RFC 7644 §3.5.2).
type patchOp struct {
	op    string // "add", "replace" or "remove"
	path  string // "" when the operation has none
	value any    // nil when the operation has none
}

// resolvedOp is a PATCH operation on one attribute, checked against the resource type's
// schemas: its path names the attribute as the schema spells it (without the core schema's
// URN), and its value is of the schema's type, as the library's validation returns it.
type resolvedOp struct {
	op    string
	path  filter.Path
	multi bool // the attribute is multi-valued
	value any
}

func invalidPath(detail string) error {
	return badRequest(scimerrors.ScimTypeInvalidPath, detail)
}

func noTarget(detail string) error {
	return badRequest(scimerrors.ScimTypeNoTarget, detail)
}

// resolvePatch checks a PATCH request's operations against the resource type's schemas. An
// operation without a path, whose value is an object of attributes ("name.givenName" or
// URN-qualified keys, or an extension's URN holding its attributes), becomes one operation per
// attribute.
func (rt *resourceType) resolvePatch(ops []patchOp) ([]resolvedOp, error) {
	if len(ops) > maxPatchOperations {
		return nil, tooManyOperations(len(ops))
	}
	var out []resolvedOp
	add := func(op string, p filter.Path, value any) error {
		if len(out) == maxPatchOperations {
			return tooManyOperations(len(out) + 1)
		}
		ro, err := rt.resolveOp(op, p, value)
		out = append(out, ro)
		return err
	}
	// extensionOps adds one operation per attribute of an extension's object value, or, for a
	// remove, one per attribute of the extension.
	extensionOps := func(op string, ext schema.Schema, value any) error {
		if op == "remove" {
			for _, a := range ext.Attributes {
				if err := add(op, filter.Path{Attr: filter.AttrPath{URN: ext.ID, Name: a.Name()}}, nil); err != nil {
					return err
				}
			}
			return nil
		}
		sub, ok := value.(map[string]any)
		if !ok {
			return badRequest(scimerrors.ScimTypeInvalidValue, ext.ID+" must be an object")
		}
		for k, v := range sub {
			if strings.EqualFold(k, "schemas") {
				continue // scim2-tester sends the extension as a resource, with its schemas
			}
			if err := add(op, filter.Path{Attr: filter.AttrPath{URN: ext.ID, Name: k}}, v); err != nil {
				return err
			}
		}
		return nil
	}
	for _, op := range ops {
		if ext, ok := rt.extension(op.path); ok {
			// The path is an extension's URN: the operation is on the extension's attributes
			// as a whole, as scim2-tester and other clients send it.
			if err := extensionOps(op.op, ext, op.value); err != nil {
				return nil, err
			}
			continue
		}
		if op.path != "" {
			p, err := filter.ParsePath(op.path)
			if err != nil {
				return nil, invalidPath(fmt.Sprintf("path %q: %v", op.path, err))
			}
			if err := add(op.op, p, op.value); err != nil {
				return nil, err
			}
			continue
		}
		if op.op == "remove" {
			return nil, noTarget("a remove operation needs a path")
		}
		obj, ok := op.value.(map[string]any)
		if !ok {
			return nil, badRequest(scimerrors.ScimTypeInvalidValue, "an operation without a path needs an object value")
		}
		for k, v := range obj {
			if strings.EqualFold(k, "id") {
				continue // Okta sends the id along when it renames a group
			}
			if ext, ok := rt.extension(k); ok {
				if err := extensionOps(op.op, ext, v); err != nil {
					return nil, err
				}
				continue
			}
			p, err := filter.ParsePath(k)
			if err != nil {
				return nil, invalidPath(fmt.Sprintf("%q is not an attribute path: %v", k, err))
			}
			if err := add(op.op, p, v); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// resolveOp checks one operation's path and value against the schemas.
func (rt *resourceType) resolveOp(op string, p filter.Path, value any) (resolvedOp, error) {
	attrs := rt.core.Attributes
	switch {
	case p.Attr.URN == "" || strings.EqualFold(p.Attr.URN, rt.core.ID):
		p.Attr.URN = ""
	default:
		ext, ok := rt.extension(p.Attr.URN)
		if !ok {
			return resolvedOp{}, invalidPath(fmt.Sprintf("schema %q is not one of the %s's schemas", p.Attr.URN, rt.what()))
		}
		p.Attr.URN, attrs = ext.ID, ext.Attributes
	}
	a, ok := attribute(attrs, p.Attr.Name)
	if !ok {
		return resolvedOp{}, invalidPath(fmt.Sprintf("%s is not an attribute of the %s", p.Attr, rt.what()))
	}
	p.Attr.Name = a.Name()
	target := a
	if p.Attr.Sub != "" {
		if target, ok = attribute(a.SubAttributes(), p.Attr.Sub); !ok {
			return resolvedOp{}, invalidPath(fmt.Sprintf("%s has no sub-attribute %s", a.Name(), p.Attr.Sub))
		}
		p.Attr.Sub = target.Name()
	}
	if p.Filter != nil {
		if !a.MultiValued() {
			return resolvedOp{}, invalidPath(fmt.Sprintf("%s has one value; a value filter selects among the values of a multi-valued attribute", a.Name()))
		}
		if p.ValueSub != "" {
			if target, ok = attribute(a.SubAttributes(), p.ValueSub); !ok {
				return resolvedOp{}, invalidPath(fmt.Sprintf("%s has no sub-attribute %s", a.Name(), p.ValueSub))
			}
			p.ValueSub = target.Name()
		}
	}
	if value == nil && op != "remove" {
		op = "remove" // a null value means the attribute is absent (RFC 7644 §3.5.2.3, Entra ID)
	}
	if op == "remove" && rt == userType && p.Attr.URN == "" && a.Name() == "active" {
		// RFC 7644 §3.5.2.2 would leave active unassigned, but whether a person may sign in
		// cannot be "not said" (R3, R6): refused rather than answered 200 with nothing done.
		return resolvedOp{}, badRequest(scimerrors.ScimTypeInvalidValue,
			"active cannot be removed: it says whether the user may sign in; replace it with true or false")
	}
	ro := resolvedOp{op: op, path: p, multi: a.MultiValued()}
	if value == nil {
		return ro, nil
	}
	// A value for the whole of a multi-valued attribute is a list, or one value standing for
	// a list of one; a value filter or a sub-attribute targets one value.
	whole := a.MultiValued() && p.Filter == nil && p.Attr.Sub == ""
	var se *scimerrors.ScimError
	if !whole {
		ro.value, se = target.ValidateSingular(value)
	} else {
		list, ok := value.([]any)
		if !ok {
			list = []any{value}
		}
		values := make([]any, len(list))
		for i, v := range list {
			if values[i], se = target.ValidateSingular(v); se != nil {
				break
			}
		}
		ro.value = values
	}
	if se != nil {
		return resolvedOp{}, badRequest(scimerrors.ScimTypeInvalidValue, fmt.Sprintf("the value for %s must be %s", p, describe(target, !whole)))
	}
	return ro, nil
}

// attribute finds the attribute named name, in any case.
func attribute(attrs []schema.CoreAttribute, name string) (schema.CoreAttribute, bool) {
	for _, a := range attrs {
		if strings.EqualFold(a.Name(), name) {
			return a, true
		}
	}
	return schema.CoreAttribute{}, false
}

// What one PATCH may cost. Real PATCH requests carry a handful of operations (Entra ID and Okta
// send at most a few hundred member changes in one); the caps keep a hostile one from costing
// more than a fraction of a second, although it does not hold the writer (or, on PostgreSQL, a
// connection) for that time: only a PATCH within insideOperations and insideFilterWork is
// applied inside the write transaction; any other is applied to a copy outside it (writes.go).
const (
	// insideOperations and insideFilterWork bound a PATCH applied inside its write
	// transaction: a few milliseconds of work at most. What Entra ID sends for a user is a
	// few operations with filters on a handful of values.
	insideOperations = 32
	insideFilterWork = 10_000

	// maxPatchOperations bounds the operations of one PATCH, counting each attribute of an
	// operation without a path as one.
	maxPatchOperations = 1000
	// maxFilterWork bounds the value filters' work of one PATCH: each filter evaluated on one
	// value costs the number of terms in the filter, and every scanValues values passed over
	// because they lack the filter's `value eq` cost one (a string comparison, against the
	// evaluation's allocations). It is about half a second of work at most.
	maxFilterWork = 1_000_000
	scanValues    = 16
)

func tooManyOperations(n int) error {
	return badRequest(scimerrors.ScimTypeTooMany, fmt.Sprintf("the PATCH has %d operations; this server applies at most %d in one request — send the rest in another", n, maxPatchOperations))
}

// filterBudget is what is left of maxFilterWork (or of insideFilterWork, inside set) while a
// PATCH is applied.
type filterBudget struct {
	left   int
	inside bool
}

// errNotInside says that a PATCH needs more work than one applied inside a write transaction
// may do; it is applied to a copy outside instead (patchCopy).
var errNotInside = errors.New("the PATCH is too costly to apply inside the write transaction")

// spend charges units of work, refusing the PATCH once the budget is spent.
func (b *filterBudget) spend(units int) error {
	b.left -= units
	if b.left < 0 && b.inside {
		return errNotInside
	}
	if b.left < 0 {
		return badRequest(scimerrors.ScimTypeTooMany, fmt.Sprintf("the PATCH's value filters would examine more than %d values in all; split it into smaller requests", maxFilterWork))
	}
	return nil
}

// exprTerms is the number of nodes of a filter, a measure of what evaluating it costs.
func exprTerms(e filter.Expr) int {
	switch x := e.(type) {
	case *filter.Logical:
		return 1 + exprTerms(x.Left) + exprTerms(x.Right)
	case *filter.Not:
		return 1 + exprTerms(x.X)
	case *filter.ValuePath:
		return 1 + exprTerms(x.Filter)
	}
	return 1
}

// applyPatch applies resolved operations, in order, to a resource in generic form. It never
// changes the operations, so that a transaction that runs again applies the same ones. Each
// operation costs time linear in the values it touches.
func applyPatch(m map[string]any, ops []resolvedOp, inside bool) error {
	budget := &filterBudget{left: maxFilterWork}
	if inside {
		budget = &filterBudget{left: insideFilterWork, inside: true}
	}
	for _, op := range ops {
		container := m
		if op.path.Attr.URN != "" {
			// An extension's attributes are held in an object under its URN.
			ek := findKey(m, op.path.Attr.URN)
			ext, ok := m[ek].(map[string]any)
			if !ok {
				if op.op == "remove" {
					continue
				}
				ext = map[string]any{}
				m[ek] = ext
			}
			container = ext
		}
		key := findKey(container, op.path.Attr.Name)
		value := cloneValue(op.value)
		var err error
		switch op.op {
		case "add":
			err = applyAdd(container, key, op.path, op.multi, value, budget)
		case "replace":
			err = applyReplace(container, key, op.path, op.multi, value, budget)
		default:
			err = applyRemove(container, key, op.path, op.multi, value, budget)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// applyAdd adds a value: appended to a multi-valued attribute, a value already there being
// merged with it, or else set as setValue does.
func applyAdd(c map[string]any, key string, p filter.Path, multi bool, value any, b *filterBudget) error {
	if !multi || p.Filter != nil || p.Attr.Sub != "" {
		return setValue(c, key, p, multi, value, b)
	}
	list := asList(c[key])
	byValue := indexByValue(list)
	var primary map[string]any
	for _, v := range asList(value) {
		written, isObj := v.(map[string]any)
		s, hasValue := valueOf(v)
		if existing := byValue[s]; hasValue && existing != nil {
			if isObj {
				merge(existing, written)
				written = existing
			}
		} else {
			list = append(list, v)
			if hasValue && isObj {
				byValue[s] = written
			}
		}
		if isObj && isPrimary(written) {
			primary = written
		}
	}
	if primary != nil {
		onlyPrimary(list, primary)
	}
	c[key] = list
	return nil
}

// applyReplace replaces a value: all the values of a multi-valued attribute, or else as
// setValue does.
func applyReplace(c map[string]any, key string, p filter.Path, multi bool, value any, b *filterBudget) error {
	if !multi || p.Filter != nil || p.Attr.Sub != "" {
		return setValue(c, key, p, multi, value, b)
	}
	c[key] = asList(value)
	return nil
}

// setValue writes a value where add and replace agree: on the values a filter selects (or on
// a new one the filter describes), on a sub-attribute, merged into a complex attribute, or as
// the attribute's value.
func setValue(c map[string]any, key string, p filter.Path, multi bool, value any, b *filterBudget) error {
	switch {
	case p.Filter != nil:
		return setMatching(c, key, p, value, b)
	case p.Attr.Sub != "":
		return setSub(c, key, p.Attr.Sub, multi, value)
	}
	if obj, ok := value.(map[string]any); ok {
		if cur, ok := c[key].(map[string]any); ok {
			merge(cur, obj)
			return nil
		}
	}
	c[key] = value
	return nil
}

// applyRemove removes the values a filter selects (or their sub-attribute), a sub-attribute,
// the listed values of a multi-valued attribute, or the attribute.
func applyRemove(c map[string]any, key string, p filter.Path, multi bool, value any, b *filterBudget) error {
	switch {
	case p.Filter != nil:
		return removeMatching(c, key, p, b)
	case p.Attr.Sub != "":
		switch x := c[key].(type) {
		case map[string]any:
			delete(x, findKey(x, p.Attr.Sub))
		case []any:
			for _, el := range x {
				if em, ok := el.(map[string]any); ok {
					delete(em, findKey(em, p.Attr.Sub))
				}
			}
		}
		return nil
	case multi && value != nil:
		// Entra ID removes members by value: {"op":"Remove","path":"members","value":[{"value":"…"}]}.
		gone := indexByValue(asList(value))
		kept := []any{}
		for _, el := range asList(c[key]) {
			if s, ok := valueOf(el); !ok || gone[s] == nil {
				kept = append(kept, el)
			}
		}
		c[key] = kept
		return nil
	}
	delete(c, key)
	return nil
}

// matching returns the values of c[key] that p's filter selects. A filter that requires a
// value (`members[value eq "…"]`, as Okta removes a member) is evaluated only on the values
// that have it, as a store index would pick them.
func matching(c map[string]any, key string, p filter.Path, b *filterBudget) (list []any, matched []map[string]any, err error) {
	list = asList(c[key])
	name := strings.ToLower(p.Attr.Name)
	want, prefilter := filter.ValueEquality(p.Filter)
	want = strings.ToLower(want)
	terms := exprTerms(p.Filter)
	if prefilter {
		if err := b.spend(len(list)/scanValues + 1); err != nil {
			return nil, nil, err
		}
	}
	for _, el := range list {
		em, ok := el.(map[string]any)
		if !ok {
			continue
		}
		if prefilter {
			// Equal in lower case is what a case-insensitive match means; a case-exact one
			// implies it.
			if v, _ := em[findKey(em, "value")].(string); strings.ToLower(v) != want {
				continue
			}
		}
		if err := b.spend(terms); err != nil {
			return nil, nil, err
		}
		if filter.MatchValue(p.Filter, em, name) {
			matched = append(matched, em)
		}
	}
	return list, matched, nil
}

// setMatching sets value on the values p's filter selects: their sub-attribute p.ValueSub, or
// the sub-attributes value gives. When none is selected, the filter's equalities describe the
// value to create, as Entra ID expects when it replaces emails[type eq "work"].value on a user
// without a work email.
func setMatching(c map[string]any, key string, p filter.Path, value any, b *filterBudget) error {
	list, matched, err := matching(c, key, p, b)
	if err != nil {
		return err
	}
	if len(matched) == 0 {
		seed := filter.EqualityTerms(p.Filter)
		if seed == nil {
			return noTarget(fmt.Sprintf("no value of %s matches %s", p.Attr.Name, p.Filter))
		}
		em := map[string]any{}
		merge(em, seed)
		list = append(list, em)
		c[key] = list
		matched = []map[string]any{em}
	}
	var primary map[string]any
	for _, em := range matched {
		if p.ValueSub != "" {
			em[findKey(em, p.ValueSub)] = value
		} else if obj, ok := value.(map[string]any); ok {
			merge(em, obj)
		} else {
			return badRequest(scimerrors.ScimTypeInvalidValue, fmt.Sprintf("the value for %s must be an object", p))
		}
		if isPrimary(em) {
			primary = em
		}
	}
	if primary != nil {
		onlyPrimary(list, primary)
	}
	return nil
}

// removeMatching removes the values p's filter selects, or only their sub-attribute
// p.ValueSub.
func removeMatching(c map[string]any, key string, p filter.Path, b *filterBudget) error {
	list, matched, err := matching(c, key, p, b)
	if err != nil {
		return err
	}
	if len(matched) == 0 {
		if p.Attr.Name == "members" {
			return nil // removing a member that is not one is already done
		}
		return noTarget(fmt.Sprintf("no value of %s matches %s", p.Attr.Name, p.Filter))
	}
	if p.ValueSub != "" {
		for _, em := range matched {
			delete(em, findKey(em, p.ValueSub))
		}
		return nil
	}
	gone := make(map[unsafe.Pointer]bool, len(matched))
	for _, em := range matched {
		gone[mapIdentity(em)] = true
	}
	kept := list[:0:0]
	for _, el := range list {
		em, _ := el.(map[string]any)
		if em == nil || !gone[mapIdentity(em)] {
			kept = append(kept, el)
		}
	}
	c[key] = kept
	return nil
}

// setSub sets the sub-attribute sub of c[key]: of the object, of every value of a list, or of
// a new value.
func setSub(c map[string]any, key, sub string, multi bool, value any) error {
	switch x := c[key].(type) {
	case map[string]any:
		x[findKey(x, sub)] = value
	case []any:
		for _, el := range x {
			if em, ok := el.(map[string]any); ok {
				em[findKey(em, sub)] = value
			}
		}
		if len(x) == 0 && multi {
			c[key] = []any{map[string]any{sub: value}}
		}
	case nil:
		if multi {
			c[key] = []any{map[string]any{sub: value}}
		} else {
			c[key] = map[string]any{sub: value}
		}
	default:
		return invalidPath(fmt.Sprintf("%s has no sub-attributes", key))
	}
	return nil
}

// findKey returns the key of m that names attr case-insensitively, or attr itself.
func findKey(m map[string]any, attr string) string {
	if _, ok := m[attr]; ok {
		return attr
	}
	for k := range m {
		if strings.EqualFold(k, attr) {
			return k
		}
	}
	return attr
}

func asList(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	default:
		return []any{x}
	}
}

// valueOf is the "value" sub-attribute of a multi-valued element.
func valueOf(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return "", false
	}
	s, ok := m[findKey(m, "value")].(string)
	return s, ok
}

// indexByValue maps the "value" sub-attribute of each element of list to the first element
// having it, so that finding a value among many costs one lookup.
func indexByValue(list []any) map[string]map[string]any {
	idx := make(map[string]map[string]any, len(list))
	for _, el := range list {
		if s, ok := valueOf(el); ok && idx[s] == nil {
			idx[s], _ = el.(map[string]any)
		}
	}
	return idx
}

func merge(dst, src map[string]any) {
	for k, v := range src {
		dst[findKey(dst, k)] = v
	}
}

// cloneValue copies a value in generic form, so that applying it never shares its maps and
// lists with the operation.
func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = cloneValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneValue(e)
		}
		return out
	}
	return v
}

// isPrimary reports whether a value of a multi-valued attribute is marked primary.
func isPrimary(m map[string]any) bool {
	p, _ := m[findKey(m, "primary")].(bool)
	return p
}

// onlyPrimary clears primary on every element but keep, since at most one value may be
// primary (RFC 7643 §2.4) and the one written last wins. An operation calls it once, after
// writing all its values, so that it costs one pass over the list.
func onlyPrimary(list []any, keep map[string]any) {
	if !isPrimary(keep) {
		return
	}
	for _, el := range list {
		if m, ok := el.(map[string]any); ok && !sameMap(m, keep) {
			if _, has := m[findKey(m, "primary")]; has {
				m[findKey(m, "primary")] = false
			}
		}
	}
}

// sameMap reports whether a and b are the same map (not equal contents): an element found by
// the filter is identified by identity.
func sameMap(a, b map[string]any) bool {
	return mapIdentity(a) == mapIdentity(b)
}

// mapIdentity is what tells one map from another with equal contents.
func mapIdentity(m map[string]any) unsafe.Pointer {
	return reflect.ValueOf(m).UnsafePointer()
}
