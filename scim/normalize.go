package scim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	scimerrors "github.com/elimity-com/scim/errors"
)

// This file is the one place where what identity providers really send is rewritten into the
// RFC form that the library validates and the handlers apply. Each rewrite names the vendor it
// is for; normalize_test.go has a test named for each.

// canonicalPaths maps lower-cased first path segments to their RFC spelling. Some clients
// lower-case resource paths (/users), and SCIM 1.1 clients say ServiceProviderConfigs.
var canonicalPaths = map[string]string{
	"users": "Users", "groups": "Groups", "serviceproviderconfig": "ServiceProviderConfig",
	"serviceproviderconfigs": "ServiceProviderConfig", "schemas": "Schemas", "resourcetypes": "ResourceTypes",
	"bulk": "Bulk", "me": "Me", ".search": ".search",
}

// canonicalPath strips the mount prefix, a trailing slash (Okta and others add one to
// collections) and fixes the case of the resource segment. Ids keep their case.
func canonicalPath(p string) string {
	if len(p) >= len(Prefix) && strings.EqualFold(p[:len(Prefix)], Prefix) {
		p = p[len(Prefix):]
	}
	p = strings.TrimRight(p, "/")
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	first, rest, hasRest := strings.Cut(p[1:], "/")
	if c, ok := canonicalPaths[strings.ToLower(first)]; ok {
		first = c
	}
	if hasRest {
		if strings.EqualFold(rest, ".search") {
			rest = ".search"
		}
		return "/" + first + "/" + rest
	}
	return "/" + first
}

// Schema URNs that older templates use (OneLogin's SCIM 1.1 examples).
const (
	scim11CoreURN       = "urn:scim:schemas:core:1.0"
	scim11EnterpriseURN = "urn:scim:schemas:extension:enterprise:1.0"
)

// normalizeBody decodes a POST, PUT or PATCH body, once, and rewrites it in place into RFC
// form. A POST or PUT gives the resource in generic form; a PATCH gives its operations.
func normalizeBody(method, path string, body []byte) (map[string]any, []patchOp, *scimerrors.ScimError) {
	if len(bytes.TrimSpace(body)) == 0 {
		se := badRequest(scimerrors.ScimTypeInvalidSyntax, "The request has no body; a JSON object is required.")
		return nil, nil, &se
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil {
		se := badRequest(scimerrors.ScimTypeInvalidSyntax, "The request body is not valid JSON: "+err.Error())
		return nil, nil, &se
	}
	if d.More() {
		se := badRequest(scimerrors.ScimTypeInvalidSyntax, "The request body has data after the JSON object.")
		return nil, nil, &se
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		se := badRequest(scimerrors.ScimTypeInvalidSyntax, "The request body must be a JSON object.")
		return nil, nil, &se
	}
	if method == "PATCH" {
		ops, se := normalizePatch(obj)
		return nil, ops, se
	}
	normalizeResource(obj, path)
	return obj, nil, nil
}

// normalizeResource rewrites a resource body of POST or PUT.
func normalizeResource(obj map[string]any, path string) {
	// Entra ID sends explicit nulls ("addresses": null, "$ref": null); null means absent.
	stripNulls(obj)
	// OneLogin's SCIM 1.1 templates: the 1.1 enterprise container becomes the 2.0 one.
	if k := findKey(obj, scim11EnterpriseURN); k == scim11EnterpriseURN || strings.EqualFold(k, scim11EnterpriseURN) {
		if v, ok := obj[k]; ok {
			delete(obj, k)
			obj[enterpriseSchemaURN] = v
		}
	}
	// OneLogin (template-built bodies) may omit schemas or name SCIM 1.1; the library requires
	// the resource's core schema URN. The resource type is known from the path.
	core := userSchemaURN
	if strings.HasPrefix(path, "/Groups") {
		core = groupSchemaURN
	}
	schemas := []any{core}
	if list, ok := obj[findKey(obj, "schemas")].([]any); ok {
		for _, s := range list {
			str, _ := s.(string)
			switch {
			case strings.EqualFold(str, core), strings.EqualFold(str, scim11CoreURN), str == "":
			case strings.EqualFold(str, scim11EnterpriseURN):
				schemas = append(schemas, enterpriseSchemaURN)
			default:
				schemas = append(schemas, str) // e.g. Entra ID's extra Microsoft URN on groups
			}
		}
	}
	delete(obj, findKey(obj, "schemas"))
	obj["schemas"] = schemas
	fixBooleans(obj)
	if ext, ok := obj[findKey(obj, enterpriseSchemaURN)].(map[string]any); ok {
		fixManager(ext)
	}
}

// stripNulls removes null members of objects, recursively.
func stripNulls(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			stripNulls(e)
		}
	case []any:
		for _, e := range x {
			stripNulls(e)
		}
	}
}

// booleanAttrs are the boolean attributes of User and Group, lower-cased.
var booleanAttrs = map[string]bool{"active": true, "primary": true}

// stringBool reads Entra ID's string booleans ("True", "False").
func stringBool(v any) (bool, bool) {
	s, ok := v.(string)
	if !ok {
		return false, false
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// fixBooleans turns string booleans into booleans wherever a boolean attribute is set
// (Entra ID default mode: "active": "False").
func fixBooleans(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if booleanAttrs[strings.ToLower(k)] {
				if b, ok := stringBool(e); ok {
					x[k] = b
					continue
				}
			}
			fixBooleans(e)
		}
	case []any:
		for _, e := range x {
			fixBooleans(e)
		}
	}
}

// fixManager turns Entra ID's manager as a plain string id into the complex value the schema
// defines; an empty id removes the manager.
func fixManager(ext map[string]any) {
	k := findKey(ext, "manager")
	switch m := ext[k].(type) {
	case string:
		if strings.TrimSpace(m) == "" {
			delete(ext, k)
		} else {
			ext[k] = map[string]any{"value": m}
		}
	case map[string]any:
		if v, ok := m[findKey(m, "value")].(string); ok && strings.TrimSpace(v) == "" {
			delete(ext, k)
		}
	}
}

// isEmptyValue is what Entra ID sends to clear an attribute in a replace.
func isEmptyValue(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	}
	return false
}

// lastSegment is the attribute a path finally names, lower-cased: "active" for "active",
// "manager" for "urn:…:User:manager", "value" for `emails[type eq "work"].value`.
func lastSegment(path string) string {
	p := strings.ToLower(path)
	if i := strings.LastIndexAny(p, ".:]"); i >= 0 {
		return p[i+1:]
	}
	return p
}

// normalizePatch reads the operations of a PatchOp body, rewritten into RFC form. Clients
// omit or misspell the PatchOp schema, so it is not checked: the operation list says what the
// body is.
func normalizePatch(obj map[string]any) ([]patchOp, *scimerrors.ScimError) {
	ops, ok := obj[findKey(obj, "Operations")].([]any)
	if !ok {
		se := badRequest(scimerrors.ScimTypeInvalidSyntax, `A PATCH body needs "Operations", an array of operations.`)
		return nil, &se
	}
	if len(ops) == 0 {
		se := badRequest(scimerrors.ScimTypeInvalidValue, "A PATCH body needs at least one operation.")
		return nil, &se
	}
	var out []patchOp
	emit := func(op patchOp) { out = append(out, op) }
	for _, raw := range ops {
		op, ok := raw.(map[string]any)
		if !ok {
			se := badRequest(scimerrors.ScimTypeInvalidSyntax, "Each PATCH operation must be an object.")
			return nil, &se
		}
		// Members other than op, path and value are ignored: RFC 7644 §3.5.2 does not forbid
		// them, and Microsoft's SCIM reference collection sends "name": "addMember". A
		// misspelt "path" is still caught: the operation then has no path, and a value that
		// is not an object of attributes, or attributes the schema does not have, is refused.
		// Entra ID capitalises ops ("Replace", "Add", "Remove").
		kind, _ := op[findKey(op, "op")].(string)
		kind = strings.ToLower(strings.TrimSpace(kind))
		if kind != "add" && kind != "replace" && kind != "remove" {
			se := badRequest(scimerrors.ScimTypeInvalidSyntax, fmt.Sprintf("PATCH op %q is not add, replace or remove.", kind))
			return nil, &se
		}
		path, _ := op[findKey(op, "path")].(string)
		path = strings.TrimSpace(path)
		value, hasValue := op[findKey(op, "value")]
		if path == "" {
			obj, isObj := value.(map[string]any)
			if !isObj || kind == "remove" {
				emit(patchOp{op: kind, value: value})
				continue
			}
			// Entra ID (both modes) and Okta: no-path values. Members set to null or "" are
			// removals of that attribute, which the schema would refuse as values.
			var removals []string
			for k, v := range obj {
				if strings.EqualFold(k, enterpriseSchemaURN) {
					if ext, ok := v.(map[string]any); ok {
						fixManager(ext)
						for k2, v2 := range ext {
							if isEmptyValue(v2) {
								removals = append(removals, enterpriseSchemaURN+":"+k2)
								delete(ext, k2)
							}
						}
						stripNulls(ext)
						if len(ext) == 0 {
							delete(obj, k)
						}
					}
					continue
				}
				if kind == "replace" && isEmptyValue(v) {
					removals = append(removals, k)
					delete(obj, k)
					continue
				}
				if lastSegment(k) == "manager" {
					wrapper := map[string]any{"manager": v}
					fixManager(wrapper)
					if m, ok := wrapper["manager"]; ok {
						obj[k] = m
					} else {
						removals = append(removals, k)
						delete(obj, k)
						continue
					}
				}
				if booleanAttrs[lastSegment(k)] {
					if b, ok := stringBool(v); ok {
						obj[k] = b
						continue
					}
				}
				stripNulls(v)
				fixBooleans(v)
			}
			if len(obj) > 0 || len(removals) == 0 {
				emit(patchOp{op: kind, value: obj})
			}
			for _, p := range removals {
				emit(patchOp{op: "remove", path: p})
			}
			continue
		}
		last := lastSegment(path)
		if last == "manager" {
			wrapper := map[string]any{"manager": value}
			fixManager(wrapper)
			value, hasValue = wrapper["manager"]
		}
		if kind != "remove" && (!hasValue || isEmptyValue(value)) {
			// Entra ID: replace with null or "" clears the attribute.
			emit(patchOp{op: "remove", path: path})
			continue
		}
		if booleanAttrs[last] {
			if b, ok := stringBool(value); ok {
				value = b
			}
		}
		if hasValue {
			stripNulls(value)
			fixBooleans(value)
		}
		emit(patchOp{op: kind, path: path, value: value})
	}
	return out, nil
}
