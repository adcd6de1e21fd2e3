package jit

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rosterhq/roster/directory"
)

// This file explains a sign-in's key (R1): where uniqueUserId came from, and, in plain words,
// what should worry an administrator — a fallback to the NameID or sub where an attribute was
// expected (which SCIM will not match), an attribute the mapping names that never arrived.
// Every sign-in's event carries the key's source and its warning (directory.Login); a test
// sign-in shows all of it.

// expectedKey is the attribute that should carry uniqueUserId: the IdP's mapping, else the
// name its preset tells administrators to configure.
func expectedKey(idp directory.IdP, preset Preset) string {
	if m := strings.TrimSpace(idp.Mapping.UniqueUserID); m != "" {
		return m
	}
	if m := preset.Mapping.UniqueUserID; m != "" {
		return m
	}
	return FieldUniqueUserID
}

// keySourceOf classifies the attribute uniqueUserId was read from.
func keySourceOf(idp directory.IdP, preset Preset, name string) directory.KeySource {
	if strings.EqualFold(name, expectedKey(idp, preset)) {
		return directory.KeyMapped
	}
	return directory.KeyAlias
}

// subjectName is the protocol's word for the subject that stands in for a missing key.
func subjectName(p directory.Protocol) string {
	if p == directory.ProtocolOIDC {
		return "the OIDC sub"
	}
	return "the persistent SAML NameID"
}

// subIsKey reports whether a fallback to the OIDC sub is what the IdP's set-up intends: its
// preset says the sub is the vendor's user id that SCIM sends too, and its mapping names no
// other attribute.
func subIsKey(idp directory.IdP, preset Preset) bool {
	return idp.Protocol == directory.ProtocolOIDC && preset.OIDCSubIsKey && strings.TrimSpace(idp.Mapping.UniqueUserID) == ""
}

// keyWarning is what an administrator must know about the key of a sign-in, "" when nothing:
// a fallback where an attribute was expected, or no key at all. It names attributes, never a
// value, since it is recorded in events.
func keyWarning(idp directory.IdP, preset Preset, subject Subject, id Identity) string {
	expected := expectedKey(idp, preset)
	match := idp.SCIMMatch
	if match == "" {
		match = preset.SCIMMatch
	}
	switch id.KeySource {
	case directory.KeyFallback:
		if subIsKey(idp, preset) {
			return ""
		}
		w := fmt.Sprintf("no %q attribute arrived, so %s stands in as uniqueUserId; SCIM keys people by %s, which most likely carries another value, so SCIM would not find this person and its create would conflict (409)",
			expected, subjectName(idp.Protocol), match)
		if idp.Protocol == directory.ProtocolOIDC && len(idp.OIDC.Scopes) == 0 {
			return w + fmt.Sprintf("; the IdP's scopes are empty, so Roster asks only for openid, profile and email: add the scope that releases the %q claim to oidc.scopes, or configure the IdP to put it in the ID token", expected)
		}
		return w + fmt.Sprintf("; configure the IdP to send the %q attribute", expected)
	case "":
		if subject.Value != "" && !subject.Persistent {
			return fmt.Sprintf("no %q attribute arrived and the NameID is not persistent, so the sign-in has no uniqueUserId and is refused (R1); send the %q attribute, or a persistent NameID", expected, expected)
		}
		return fmt.Sprintf("neither a %q attribute nor %s arrived, so the sign-in has no uniqueUserId and is refused (R1)", expected, subjectName(idp.Protocol))
	}
	return ""
}

// keyExplanation says in plain words where the key came from, for the test sign-in's page.
func keyExplanation(idp directory.IdP, preset Preset, id Identity) string {
	switch id.KeySource {
	case directory.KeyMapped:
		return fmt.Sprintf("uniqueUserId came from the attribute %q, as configured", id.KeyAttribute)
	case directory.KeyAlias:
		return fmt.Sprintf("uniqueUserId came from %q, which Roster accepts in place of %q", id.KeyAttribute, expectedKey(idp, preset))
	case directory.KeyFallback:
		if subIsKey(idp, preset) {
			return fmt.Sprintf("uniqueUserId is the OIDC sub, which for %s is the user id its SCIM connector sends too", preset.Name)
		}
		return fmt.Sprintf("uniqueUserId came from %s, a fallback: no %q attribute arrived", subjectName(idp.Protocol), expectedKey(idp, preset))
	}
	return "no uniqueUserId: the sign-in would be refused (R1)"
}

// attributeWarnings are what a test sign-in warns of besides the key: attributes the IdP's
// mapping names that did not arrive, and a missing email.
func attributeWarnings(idp directory.IdP, claims Claims, id Identity) []string {
	var out []string
	mapped := []struct{ field, name string }{
		{FieldFirstName, idp.Mapping.FirstName}, {FieldLastName, idp.Mapping.LastName},
		{FieldEmail, idp.Mapping.Email}, {FieldGroups, idp.Mapping.Groups},
	}
	for _, m := range mapped {
		if m.name == "" {
			continue
		}
		if _, ok := claims.lookup([]string{m.name}); !ok {
			out = append(out, fmt.Sprintf("the mapping names %q for %s, but the IdP sent no such attribute", m.name, m.field))
		}
	}
	if id.Email == "" {
		out = append(out, "no email arrived: users created by sign-in get uniqueUserId as their userName, and email domains and linking by email cannot apply")
	}
	return out
}

// claimList is every attribute or claim that arrived, sorted by name, for the test page.
func claimList(c Claims) []receivedClaim {
	out := make([]receivedClaim, 0, len(c))
	for name, vals := range c {
		out = append(out, receivedClaim{Name: name, Values: append([]string{}, vals...)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// receivedClaim is one attribute or claim as the IdP sent it.
type receivedClaim struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
}
