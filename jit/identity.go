package jit

import (
	"strings"

	"github.com/rosterhq/roster/directory"
)

// Claims is what an IdP asserted about a person: SAML attribute names or OIDC claim names,
// each with its values in the order the IdP sent them. Both protocols fill the same type so
// that one mapping (NewIdentity) serves both.
type Claims map[string][]string

// lookup returns the values of the first of names that the claims carry, comparing names
// case-insensitively, and whether any of them was present at all.
func (c Claims) lookup(names []string) ([]string, bool) {
	for _, n := range names {
		if n == "" {
			continue
		}
		if v, ok := c[n]; ok {
			return v, true
		}
		for k, v := range c {
			if strings.EqualFold(k, n) {
				return v, true
			}
		}
	}
	return nil, false
}

// first returns the first non-blank value of the first of names present.
func (c Claims) first(names []string) string {
	v, _ := c.firstNamed(names)
	return v
}

// firstNamed is first, and the name (of names) it was found under.
func (c Claims) firstNamed(names []string) (string, string) {
	for _, n := range names {
		if n == "" {
			continue
		}
		if vs, ok := c.lookup([]string{n}); ok {
			for _, v := range vs {
				if v = strings.TrimSpace(v); v != "" {
					return v, n
				}
			}
			return "", n
		}
	}
	return "", ""
}

// Subject is the protocol's own name for the person: the SAML NameID, or the OIDC sub.
type Subject struct {
	Value string
	// Persistent is true when the value is stable across sign-ins: a SAML NameID of format
	// persistent, or an OIDC sub. Only a persistent subject may stand in for uniqueUserId (R1);
	// a transient NameID or an email-format NameID would create a new user on every change.
	Persistent bool
}

// Identity is one sign-in, protocol-neutral: who the IdP says the person is and what it says
// about them, after the IdP's attribute mapping and preset are applied.
type Identity struct {
	IdP           string
	UniqueUserID  string
	FirstName     string
	LastName      string
	Email         string
	EmailVerified bool
	Groups        []string
	// GroupsAsserted is true when the IdP sent the groups attribute at all, so that an empty
	// list can end memberships rather than leave them.
	GroupsAsserted bool

	// KeySource says where UniqueUserID came from, KeyAttribute the attribute or claim name
	// it was read under ("" for a fallback to the subject), and KeyWarning, when set, why an
	// administrator should worry about it (keysource.go).
	KeySource    directory.KeySource
	KeyAttribute string
	KeyWarning   string
}

// emailVerifiedNames are the claims that say the IdP verified the email. SAML has no standard
// attribute for it; OIDC has email_verified.
var emailVerifiedNames = []string{"email_verified", "emailVerified"}

// NewIdentity maps what an IdP asserted onto an Identity, through the IdP's mapping and its
// preset's accepted names (R1):
//
//   - A name in the IdP's mapping takes precedence over the preset's names. For uniqueUserId a
//     mapped name the preset does not know is the only attribute used, so that a missing custom
//     attribute never silently switches the person to another key; the persistent subject is
//     then the only fallback.
//   - Without an attribute, uniqueUserId falls back to a persistent subject; with neither it
//     stays empty and directory.Service refuses the login under R1 with an event.
//   - Attribute names match case-insensitively.
func NewIdentity(idp directory.IdP, subject Subject, claims Claims) Identity {
	preset, ok := PresetByID(idp.Preset)
	if !ok {
		preset, _ = PresetByID("generic")
	}
	names := func(field, mapped string) []string {
		accepted := preset.Accepted[field]
		if mapped == "" {
			return accepted
		}
		return append([]string{mapped}, accepted...)
	}
	uidNames := names(FieldUniqueUserID, idp.Mapping.UniqueUserID)
	if m := idp.Mapping.UniqueUserID; m != "" && !containsFold(preset.Accepted[FieldUniqueUserID], m) {
		uidNames = []string{m}
	}
	uid, uidName := claims.firstNamed(uidNames)
	id := Identity{
		IdP:          idp.ID,
		UniqueUserID: uid,
		FirstName:    claims.first(names(FieldFirstName, idp.Mapping.FirstName)),
		LastName:     claims.first(names(FieldLastName, idp.Mapping.LastName)),
		Email:        claims.first(names(FieldEmail, idp.Mapping.Email)),
	}
	if uid != "" {
		id.KeySource, id.KeyAttribute = keySourceOf(idp, preset, uidName), uidName
	} else if subject.Persistent && strings.TrimSpace(subject.Value) != "" {
		id.UniqueUserID, id.KeySource = strings.TrimSpace(subject.Value), directory.KeyFallback
	}
	id.KeyWarning = keyWarning(idp, preset, subject, id)
	switch strings.ToLower(claims.first(emailVerifiedNames)) {
	case "true", "1", "yes":
		id.EmailVerified = true
	}
	groups, asserted := claims.lookup(names(FieldGroups, idp.Mapping.Groups))
	id.GroupsAsserted = asserted
	seen := make(map[string]bool)
	id.Groups = []string{}
	for _, g := range groups {
		g = strings.TrimSpace(g)
		if g == "" || seen[strings.ToLower(g)] {
			continue
		}
		seen[strings.ToLower(g)] = true
		id.Groups = append(id.Groups, g)
	}
	return id
}

// Login is the directory's view of this sign-in. The userName of a user the login creates is
// left to the directory (the email, else the uniqueUserId).
func (id Identity) Login() directory.Login {
	return directory.Login{
		IdP:            id.IdP,
		UniqueUserID:   strings.TrimSpace(id.UniqueUserID),
		FirstName:      strings.TrimSpace(id.FirstName),
		LastName:       strings.TrimSpace(id.LastName),
		Email:          strings.TrimSpace(id.Email),
		EmailVerified:  id.EmailVerified,
		Groups:         append([]string(nil), id.Groups...),
		GroupsAsserted: id.GroupsAsserted,
		KeySource:      id.KeySource,
		KeyWarning:     id.KeyWarning,
	}
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
