package scim

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	elimity "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"

	filter "github.com/rosterhq/roster/internal/scimfilter"
)

// multiValued names, lower-cased, the multi-valued attributes of a resource type: PATCH "add"
// appends to them and "replace" replaces the whole list.
type multiValued map[string]bool

var (
	userAttrs  = multiValued{"emails": true, "phonenumbers": true, "addresses": true, "roles": true, "entitlements": true, "groups": true}
	groupAttrs = multiValued{"members": true}
)

type patchPathsKey struct{}

// withPatchPaths remembers the PATCH paths as the client wrote them (after normalising), in
// operation order, so that they are parsed by internal/scimfilter rather than re-printed from the
// library's syntax tree.
func withPatchPaths(ctx context.Context, paths []string) context.Context {
	return context.WithValue(ctx, patchPathsKey{}, paths)
}

func patchPaths(ctx context.Context, ops []elimity.PatchOperation) []string {
	paths, _ := ctx.Value(patchPathsKey{}).([]string)
	if len(paths) == len(ops) {
		return paths
	}
	paths = make([]string, len(ops))
	for i, op := range ops {
		if op.Path != nil {
			paths[i] = op.Path.String()
		}
	}
	return paths
}

func invalidPath(detail string) error {
	return badRequest(scimerrors.ScimTypeInvalidPath, detail)
}

func noTarget(detail string) error {
	return badRequest(scimerrors.ScimTypeNoTarget, detail)
}

// applyPatch applies PATCH operations (RFC 7644 §3.5.2) to a resource in generic JSON form.
// The library has validated each value against the schema; this applies them in order.
func applyPatch(ctx context.Context, m map[string]any, ops []elimity.PatchOperation, multi multiValued) error {
	paths := patchPaths(ctx, ops)
	for i, op := range ops {
		kind := strings.ToLower(op.Op)
		if paths[i] == "" {
			// No path: the value is an object of attributes (possibly "name.givenName" or
			// URN-qualified keys, or an extension's URN holding its attributes).
			obj, ok := op.Value.(map[string]any)
			if !ok {
				return badRequest(scimerrors.ScimTypeInvalidValue, "an operation without a path needs an object value")
			}
			for k, v := range obj {
				if strings.EqualFold(k, enterpriseSchemaURN) {
					sub, ok := v.(map[string]any)
					if !ok {
						return badRequest(scimerrors.ScimTypeInvalidValue, k+" must be an object")
					}
					for k2, v2 := range sub {
						p := filter.Path{Attr: filter.AttrPath{URN: enterpriseSchemaURN, Name: k2}}
						if err := applyOne(m, kind, p, v2, multi); err != nil {
							return err
						}
					}
					continue
				}
				p, err := filter.ParsePath(k)
				if err != nil {
					return invalidPath(fmt.Sprintf("%q is not an attribute path: %v", k, err))
				}
				if err := applyOne(m, kind, p, v, multi); err != nil {
					return err
				}
			}
			continue
		}
		p, err := filter.ParsePath(paths[i])
		if err != nil {
			return invalidPath(fmt.Sprintf("path %q: %v", paths[i], err))
		}
		if err := applyOne(m, kind, p, op.Value, multi); err != nil {
			return err
		}
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

func merge(dst, src map[string]any) {
	for k, v := range src {
		dst[findKey(dst, k)] = v
	}
}

// onlyPrimary clears primary on every element but keep, since at most one value may be
// primary (RFC 7643 §2.4) and the one just written wins.
func onlyPrimary(list []any, keep map[string]any) {
	if p, _ := keep[findKey(keep, "primary")].(bool); !p {
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
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

func applyOne(m map[string]any, op string, p filter.Path, value any, multi multiValued) error {
	if op != "add" && op != "replace" && op != "remove" {
		return badRequest(scimerrors.ScimTypeInvalidSyntax, fmt.Sprintf("op %q is not add, replace or remove", op))
	}
	if value == nil && op != "remove" {
		op = "remove" // a null value means the attribute is absent (RFC 7644 §3.5.2.3, Entra ID)
	}
	container := m
	isMulti := false
	switch urn := strings.ToLower(p.Attr.URN); urn {
	case "", strings.ToLower(userSchemaURN), strings.ToLower(groupSchemaURN):
		isMulti = multi[strings.ToLower(p.Attr.Name)]
	case strings.ToLower(enterpriseSchemaURN):
		ek := findKey(m, enterpriseSchemaURN)
		ext, ok := m[ek].(map[string]any)
		if !ok {
			if op == "remove" {
				return nil
			}
			ext = map[string]any{}
			m[ek] = ext
		}
		container = ext
	default:
		return invalidPath(fmt.Sprintf("schema %q is not one of this resource's schemas", p.Attr.URN))
	}
	key := findKey(container, p.Attr.Name)
	name := strings.ToLower(p.Attr.Name)

	switch {
	case p.Filter != nil:
		list := asList(container[key])
		var matched []map[string]any
		for _, el := range list {
			if em, ok := el.(map[string]any); ok && filter.MatchValue(p.Filter, em, name) {
				matched = append(matched, em)
			}
		}
		if op == "remove" {
			if len(matched) == 0 {
				if name == "members" {
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
			kept := list[:0:0]
			for _, el := range list {
				em, _ := el.(map[string]any)
				if em == nil || !containsMap(matched, em) {
					kept = append(kept, el)
				}
			}
			container[key] = kept
			return nil
		}
		if len(matched) == 0 {
			// Entra ID replaces emails[type eq "work"].value on a user without a work email;
			// the filter's equalities describe the value to create.
			seed := filter.EqualityTerms(p.Filter)
			if seed == nil {
				return noTarget(fmt.Sprintf("no value of %s matches %s", p.Attr.Name, p.Filter))
			}
			em := map[string]any{}
			merge(em, seed)
			list = append(list, em)
			container[key] = list
			matched = []map[string]any{em}
		}
		for _, em := range matched {
			if p.ValueSub != "" {
				em[findKey(em, p.ValueSub)] = value
			} else if obj, ok := value.(map[string]any); ok {
				merge(em, obj)
			} else {
				return badRequest(scimerrors.ScimTypeInvalidValue, fmt.Sprintf("the value for %s must be an object", p))
			}
			onlyPrimary(list, em)
		}
		return nil

	case p.Attr.Sub != "":
		cur := container[key]
		switch x := cur.(type) {
		case map[string]any:
			if op == "remove" {
				delete(x, findKey(x, p.Attr.Sub))
			} else {
				x[findKey(x, p.Attr.Sub)] = value
			}
		case []any:
			for _, el := range x {
				if em, ok := el.(map[string]any); ok {
					if op == "remove" {
						delete(em, findKey(em, p.Attr.Sub))
					} else {
						em[findKey(em, p.Attr.Sub)] = value
					}
				}
			}
			if len(x) == 0 && op != "remove" && isMulti {
				container[key] = []any{map[string]any{p.Attr.Sub: value}}
			}
		case nil:
			if op == "remove" {
				return nil
			}
			if isMulti {
				container[key] = []any{map[string]any{p.Attr.Sub: value}}
			} else {
				container[key] = map[string]any{p.Attr.Sub: value}
			}
		default:
			return invalidPath(fmt.Sprintf("%s has no sub-attributes", p.Attr.Name))
		}
		return nil
	}

	switch op {
	case "remove":
		if isMulti && value != nil {
			// Entra ID removes members by value: {"op":"Remove","path":"members","value":[{"value":"…"}]}.
			drop := map[string]bool{}
			for _, v := range asList(value) {
				if s, ok := valueOf(v); ok {
					drop[s] = true
				}
			}
			kept := []any{}
			for _, el := range asList(container[key]) {
				if s, ok := valueOf(el); ok && drop[s] {
					continue
				}
				kept = append(kept, el)
			}
			container[key] = kept
			return nil
		}
		delete(container, key)
	case "add":
		if isMulti {
			list := asList(container[key])
			for _, v := range asList(value) {
				vm, isObj := v.(map[string]any)
				s, hasValue := valueOf(v)
				dup := false
				if hasValue {
					for _, el := range list {
						if es, ok := valueOf(el); ok && es == s {
							if em, ok := el.(map[string]any); ok && isObj {
								merge(em, vm)
							}
							dup = true
							break
						}
					}
				}
				if !dup {
					list = append(list, v)
				}
				if isObj {
					onlyPrimary(list, vm)
				}
			}
			container[key] = list
			return nil
		}
		if obj, ok := value.(map[string]any); ok {
			if cur, ok := container[key].(map[string]any); ok {
				merge(cur, obj)
				return nil
			}
		}
		container[key] = value
	case "replace":
		if isMulti {
			container[key] = asList(value)
			return nil
		}
		if obj, ok := value.(map[string]any); ok {
			if cur, ok := container[key].(map[string]any); ok {
				merge(cur, obj)
				return nil
			}
		}
		container[key] = value
	}
	return nil
}

func containsMap(list []map[string]any, m map[string]any) bool {
	for _, x := range list {
		if sameMap(x, m) {
			return true
		}
	}
	return false
}
