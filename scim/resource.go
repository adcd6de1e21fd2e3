package scim

import (
	"fmt"
	"strings"

	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"

	"github.com/rosterhq/roster/directory"
)

// resourceType is one of the resource types Roster serves, with the library's schema
// definitions that describe it, publish it under /Schemas and validate what clients send.
type resourceType struct {
	name        string // "User" or "Group"
	endpoint    string // "/Users" or "/Groups"
	description string
	// schema is the core schema as published; core adds the common attribute externalId,
	// which bodies may carry but the published schema leaves to RFC 7643 §3.1.
	schema, core schema.Schema
	extensions   []schema.Schema
}

var (
	userType  = newResourceType("User", "/Users", "User Account", userSchema(), schema.ExtensionEnterpriseUser())
	groupType = newResourceType("Group", "/Groups", "Group", groupSchema())
)

func newResourceType(name, endpoint, description string, core schema.Schema, extensions ...schema.Schema) *resourceType {
	rt := &resourceType{name: name, endpoint: endpoint, description: description, schema: core, core: core, extensions: extensions}
	rt.core.Attributes = append(core.Attributes[:len(core.Attributes):len(core.Attributes)], commonAttribute("externalId"))
	return rt
}

// resourceTypeOf is the resource type a path below /Users or /Groups addresses.
func resourceTypeOf(path string) *resourceType {
	if strings.HasPrefix(path, groupType.endpoint) {
		return groupType
	}
	return userType
}

// userSchema is the library's core User schema without the attributes Roster does not keep
// (ims, photos, x509Certificates), so that /Schemas advertises only what is stored and a body
// is checked only for what is kept.
func userSchema() schema.Schema {
	s := schema.CoreUserSchema()
	kept := s.Attributes[:0:0]
	for _, a := range s.Attributes {
		switch a.Name() {
		case "ims", "photos", "x509Certificates":
			continue
		}
		kept = append(kept, a)
	}
	s.Attributes = kept
	return s
}

// groupSchema is the library's core Group schema with members as Roster keeps them: users
// only, since Roster has no nested groups (a member of type Group is refused), so type and
// $ref name only User; and no display, which RFC 7643 §8.7.1 does not define for members and
// Roster does not keep (a display a client sends is ignored).
func groupSchema() schema.Schema {
	s := schema.CoreGroupSchema()
	attrs := make([]schema.CoreAttribute, 0, len(s.Attributes))
	for _, a := range s.Attributes {
		if a.Name() == "members" {
			a = schema.ComplexCoreAttribute(schema.ComplexParams{
				Description: optional.NewString("A list of members of the Group: users, by id."),
				MultiValued: true,
				Name:        "members",
				SubAttributes: []schema.SimpleParams{
					schema.SimpleStringParams(schema.StringParams{
						Description: optional.NewString("The id of a User that is a member of this Group."),
						Mutability:  schema.AttributeMutabilityImmutable(),
						Name:        "value",
					}),
					schema.SimpleReferenceParams(schema.ReferenceParams{
						Description:    optional.NewString("The URI of the User that is a member of this Group."),
						Mutability:     schema.AttributeMutabilityImmutable(),
						Name:           "$ref",
						ReferenceTypes: []schema.AttributeReferenceType{"User"},
					}),
					schema.SimpleStringParams(schema.StringParams{
						CanonicalValues: []string{"User"},
						Description:     optional.NewString("The type of the member: always User; nested groups are not supported."),
						Mutability:      schema.AttributeMutabilityImmutable(),
						Name:            "type",
					}),
				},
			})
		}
		attrs = append(attrs, a)
	}
	s.Attributes = attrs
	return s
}

// commonAttribute is the library's definition of one of the attributes every resource has.
func commonAttribute(name string) schema.CoreAttribute {
	for _, a := range schema.CommonAttributes() {
		if a.Name() == name {
			return a
		}
	}
	panic("scim: the library defines no common attribute " + name)
}

// what names a resource of this type in messages: "user", "group".
func (rt *resourceType) what() string { return strings.ToLower(rt.name) }

// extension returns the extension schema whose URN is urn, in any case.
func (rt *resourceType) extension(urn string) (schema.Schema, bool) {
	for _, ext := range rt.extensions {
		if strings.EqualFold(ext.ID, urn) {
			return ext, true
		}
	}
	return schema.Schema{}, false
}

// validate checks a POST or PUT body against the resource type's schemas and returns its
// attributes as the library reads them: names spelt as the schema spells them, values of the
// schema's types, unknown and read-only attributes dropped. An invalid body is answered with
// a message that names the attribute at fault.
func (rt *resourceType) validate(obj map[string]any) (map[string]any, error) {
	attrs, se := rt.core.Validate(obj)
	if se != nil {
		return nil, rt.invalid(rt.core.Attributes, obj, "", *se)
	}
	for _, ext := range rt.extensions {
		v := obj[findKey(obj, ext.ID)]
		if v == nil {
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, badRequest(scimerrors.ScimTypeInvalidValue, fmt.Sprintf("The %s is not valid: %s must be an object.", rt.what(), ext.ID))
		}
		extAttrs, se := ext.ValidateExtension(m)
		if se != nil {
			return nil, rt.invalid(ext.Attributes, m, ext.ID+":", *se)
		}
		attrs[ext.ID] = extAttrs
	}
	return attrs, nil
}

// invalid explains a failed validation. The library's error says only what kind of problem
// there was; validating one attribute at a time finds the attribute at fault.
func (rt *resourceType) invalid(attrs []schema.CoreAttribute, obj map[string]any, prefix string, se scimerrors.ScimError) error {
	if path, problem, ok := faultyAttribute(attrs, obj); ok {
		return badRequest(scimerrors.ScimTypeInvalidValue, fmt.Sprintf("The %s is not valid: %s%s %s.", rt.what(), prefix, path, problem))
	}
	return se
}

// faultyAttribute finds the first of attrs whose value in obj the library refuses, and says
// what is wrong with it; a complex attribute at fault is narrowed to its sub-attribute.
func faultyAttribute(attrs []schema.CoreAttribute, obj map[string]any) (path, problem string, ok bool) {
	for _, a := range attrs {
		var v any
		n := 0
		for k, x := range obj {
			if strings.EqualFold(k, a.Name()) {
				v, n = x, n+1
			}
		}
		readOnly := a.Mutability() == "readOnly"
		switch {
		case n > 1:
			return a.Name(), "is given more than once, in different cases", true
		case v == nil && a.Required() && !readOnly:
			return a.Name(), "is required", true
		case v == nil || readOnly:
			continue
		}
		one := schema.Schema{Attributes: []schema.CoreAttribute{a}}
		if _, se := one.ValidateExtension(map[string]any{a.Name(): v}); se == nil {
			continue
		}
		elems := []any{v}
		if a.MultiValued() {
			list, isList := v.([]any)
			if !isList {
				return a.Name(), "must be " + describe(a, false), true
			}
			elems = list
		}
		for _, el := range elems {
			if m, isObj := el.(map[string]any); isObj && a.HasSubAttributes() {
				if sub, problem, ok := faultyAttribute(a.SubAttributes(), m); ok {
					return a.Name() + "." + sub, problem, true
				}
			}
		}
		return a.Name(), "must be " + describe(a, false), true
	}
	return "", "", false
}

// describe says, for a message, what a value of a must be; one describes one value of a
// multi-valued attribute.
func describe(a schema.CoreAttribute, one bool) string {
	kind := map[string]string{"complex": "object", "boolean": "boolean", "integer": "integer", "decimal": "number",
		"dateTime": "date-time string", "binary": "base64 string"}[a.AttributeType()]
	if kind == "" {
		kind = "string"
	}
	if a.MultiValued() && !one {
		return "an array of " + kind + "s"
	}
	if strings.ContainsAny(kind[:1], "aeiou") {
		return "an " + kind
	}
	return "a " + kind
}

// attrReader reads typed values out of a resource in generic form, finding attribute names in
// any case. The first value of an unexpected type is kept as the error, naming the attribute;
// the library's validation leaves only the expected types, so this is a last guard.
type attrReader struct{ err error }

func (ar *attrReader) wrongType(name, want string) {
	if ar.err == nil {
		ar.err = directory.Invalidf("%s must be %s", name, want)
	}
}

func (ar *attrReader) str(m map[string]any, name string) string {
	v, ok := m[findKey(m, name)]
	if !ok || v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		ar.wrongType(name, "a string")
	}
	return s
}

// boolean returns the value of a boolean attribute and whether it is present.
func (ar *attrReader) boolean(m map[string]any, name string) (bool, bool) {
	v, ok := m[findKey(m, name)]
	if !ok || v == nil {
		return false, false
	}
	b, ok := v.(bool)
	if !ok {
		ar.wrongType(name, "a boolean")
	}
	return b, ok
}

func (ar *attrReader) object(m map[string]any, name string) map[string]any {
	v, ok := m[findKey(m, name)]
	if !ok || v == nil {
		return nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		ar.wrongType(name, "an object")
	}
	return obj
}

// objects returns the values of a multi-valued complex attribute.
func (ar *attrReader) objects(m map[string]any, name string) []map[string]any {
	v, ok := m[findKey(m, name)]
	if !ok || v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		ar.wrongType(name, "an array of objects")
		return nil
	}
	out := make([]map[string]any, 0, len(list))
	for _, el := range list {
		obj, ok := el.(map[string]any)
		if !ok {
			ar.wrongType(name, "an array of objects")
			return nil
		}
		out = append(out, obj)
	}
	return out
}
