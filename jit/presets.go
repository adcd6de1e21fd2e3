package jit

import (
	"strings"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/view"
)

// Preset is what Roster knows about one identity provider product: the attribute names its
// set-up guide tells the administrator to configure, every name the IdP may send by default for
// each field, and what must feed uniqueUserId on both the SSO and the SCIM side (R1).
type Preset struct {
	ID        string
	Name      string
	Protocols []directory.Protocol
	// Mapping holds the IdP-side attribute names the administrator should configure.
	Mapping directory.Mapping
	// Accepted lists, per field ("uniqueUserId", "firstName", "lastName", "email", "groups"),
	// every attribute or claim name Roster accepts when the IdP's mapping does not name one.
	// Names are compared case-insensitively.
	Accepted map[string][]string
	// UniqueUserIDSource says which IdP-side value must feed uniqueUserId for SSO and SCIM alike.
	UniqueUserIDSource string
	// SCIMMatchAdvice tells the administrator how to make the SCIM connector send the same key.
	SCIMMatchAdvice string
	// SCIMMatch is the SCIM matching attribute (R1) an IdP of this preset gets when its
	// administrator does not choose one: externalId where the vendor's connector sends an
	// immutable id there, else userName, which every SCIM client must send (RFC 7643 §4.1.1).
	SCIMMatch string
	// SCIMConnector says, in one line, what the vendor's SCIM connector sends as externalId
	// unless the administrator remaps it.
	SCIMConnector string
	// OIDCSubIsKey says that the vendor's OIDC sub is the immutable user id this preset's
	// set-up feeds to uniqueUserId on both sides, so that a sign-in keyed by the sub needs no
	// warning (R1). It is false where sub is another value: Entra ID's differs per
	// application, and unknown providers may send anything.
	OIDCSubIsKey bool
	// Guide is the set-up in the vendor's console, step by step (guides.go).
	Guide view.Guide
}

// Field names of an Identity, as used in Preset.Accepted and directory.Mapping.
const (
	FieldUniqueUserID = "uniqueUserId"
	FieldFirstName    = "firstName"
	FieldLastName     = "lastName"
	FieldEmail        = "email"
	FieldGroups       = "groups"
)

// Claim URIs that SAML IdPs send when the administrator keeps their default claim names.
const (
	claimObjectID     = "http://schemas.microsoft.com/identity/claims/objectidentifier"
	claimEmailAddress = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
	claimGivenName    = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
	claimSurname      = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"
	claimName         = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
	claimUPN          = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"
	claimGroups       = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
	claimRole         = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
	// OID names of the LDAP attributes that Shibboleth-style IdPs (and some PingOne and
	// Keycloak set-ups) send with NameFormat uri.
	oidGivenName = "urn:oid:2.5.4.42"
	oidSurname   = "urn:oid:2.5.4.4"
	oidMail      = "urn:oid:0.9.2342.19200300.100.1.3"
	oidUID       = "urn:oid:0.9.2342.19200300.100.1.1"
)

// baseAccepted are the names every preset accepts: the names of the set-up guides in both
// spellings (uniqueUserId and userUniqueId), the common claim URIs and the standard OIDC claims.
func baseAccepted() map[string][]string {
	return map[string][]string{
		FieldUniqueUserID: {"uniqueUserId", "userUniqueId", "sub"},
		FieldFirstName:    {"firstName", "givenName", "given_name", claimGivenName, oidGivenName},
		FieldLastName:     {"lastName", "surname", "familyName", "family_name", claimSurname, oidSurname},
		FieldEmail:        {"email", "mail", "emailAddress", claimEmailAddress, oidMail},
		FieldGroups:       {"groups", "memberOf", claimGroups},
	}
}

// withExtra returns the base names with extra names appended per field.
func withExtra(extra map[string][]string) map[string][]string {
	m := baseAccepted()
	for f, names := range extra {
		m[f] = append(m[f], names...)
	}
	return m
}

var bothProtocols = []directory.Protocol{directory.ProtocolSAML, directory.ProtocolOIDC}

var presets = []Preset{
	{
		ID: "entra", Name: "Microsoft Entra ID", Protocols: bothProtocols,
		Mapping: directory.Mapping{UniqueUserID: "userUniqueId", FirstName: "firstName", LastName: "lastName", Email: "email", Groups: "groups"},
		Accepted: withExtra(map[string][]string{
			FieldUniqueUserID: {claimObjectID, "oid"},
			FieldEmail:        {claimUPN, claimName, "preferred_username", "upn"},
			FieldGroups:       {claimRole, "roles"},
		}),
		UniqueUserIDSource: "user.objectid (Entra object ID)",
		SCIMMatchAdvice: "Entra ID's SCIM connector sends mailNickname as externalId by default: in the attribute " +
			"mappings map objectId to externalId, or set SCIM matching to userName and map userPrincipalName to both.",
		SCIMMatch:     directory.MatchExternalID,
		SCIMConnector: "Sends externalId: mailNickname by default, not the objectId that SSO sends, unless remapped to objectId.",
		Guide:         entraGuide,
	},
	{
		ID: "okta", Name: "Okta", Protocols: bothProtocols,
		Mapping:            directory.Mapping{UniqueUserID: "uniqueUserId", FirstName: "firstName", LastName: "lastName", Email: "email", Groups: "groups"},
		Accepted:           withExtra(map[string][]string{FieldEmail: {"login"}}),
		UniqueUserIDSource: "user.id (Okta user id)",
		SCIMMatchAdvice: "Keep SCIM matching on externalId and check in the app's \"To App\" attribute mappings " +
			"that externalId carries user.id, the same value the SAML attribute uniqueUserId carries.",
		SCIMMatch:     directory.MatchExternalID,
		SCIMConnector: "Sends externalId: the Okta user id (user.id), the value SSO sends as uniqueUserId.",
		OIDCSubIsKey:  true, Guide: oktaGuide,
	},
	{
		ID: "pingone", Name: "PingOne", Protocols: bothProtocols,
		Mapping:            directory.Mapping{UniqueUserID: "userUniqueId", FirstName: "firstName", LastName: "lastName", Email: "email", Groups: "groups"},
		Accepted:           withExtra(map[string][]string{FieldUniqueUserID: {"userId", "saml_subject", oidUID}}),
		UniqueUserIDSource: "User ID (the PingOne user id)",
		SCIMMatchAdvice: "Map the PingOne User ID to externalId in the SCIM connection, or set SCIM matching to " +
			"userName and send the same value as the username.",
		SCIMMatch:     directory.MatchExternalID,
		SCIMConnector: "Sends externalId only as mapped in the SCIM connection: map the PingOne User ID to it.",
		OIDCSubIsKey:  true, Guide: pingOneGuide,
	},
	{
		ID: "google", Name: "Google Workspace", Protocols: bothProtocols,
		Mapping:  directory.Mapping{UniqueUserID: "uniqueUserId", FirstName: "firstName", LastName: "lastName", Email: "email", Groups: "groups"},
		Accepted: withExtra(map[string][]string{FieldUniqueUserID: {"id", "employeeId"}}),
		UniqueUserIDSource: "an immutable attribute such as Employee ID mapped to uniqueUserId (a SAML app cannot " +
			"send Google's internal user id; with OIDC the sub claim is that id)",
		SCIMMatchAdvice: "Google Workspace's SCIM connector identifies users by their primary email as userName: set " +
			"SCIM matching to userName and map the primary email to uniqueUserId, accepting that a renamed " +
			"address becomes a new user, or feed the same immutable id on both sides.",
		SCIMMatch:     directory.MatchUserName,
		SCIMConnector: "Sends no immutable id as externalId: it identifies users by their primary email as userName.",
		OIDCSubIsKey:  true, Guide: googleGuide,
	},
	{
		ID: "onelogin", Name: "OneLogin", Protocols: bothProtocols,
		Mapping: directory.Mapping{UniqueUserID: "uniqueUserId", FirstName: "firstName", LastName: "lastName", Email: "email", Groups: "groups"},
		Accepted: withExtra(map[string][]string{
			FieldUniqueUserID: {"User.id", "id"},
			FieldFirstName:    {"User.FirstName"},
			FieldLastName:     {"User.LastName"},
			FieldEmail:        {"User.email"},
			FieldGroups:       {"member_of", "MemberOf"},
		}),
		UniqueUserIDSource: "the OneLogin user id (User.id)",
		SCIMMatchAdvice: "OneLogin builds the SCIM body from an editable JSON template: make its externalId the " +
			"OneLogin user id, the same value the SAML attribute uniqueUserId carries.",
		SCIMMatch:     directory.MatchExternalID,
		SCIMConnector: "Sends externalId as its JSON template says: make it the OneLogin user id (User.id).",
		OIDCSubIsKey:  true, Guide: oneLoginGuide,
	},
	{
		ID: "jumpcloud", Name: "JumpCloud", Protocols: bothProtocols,
		Mapping:            directory.Mapping{UniqueUserID: "uniqueUserId", FirstName: "firstName", LastName: "lastName", Email: "email", Groups: "groups"},
		Accepted:           withExtra(map[string][]string{FieldUniqueUserID: {"userId", "id"}, FieldGroups: {"memberOf"}}),
		UniqueUserIDSource: "the JumpCloud user id (add a custom attribute mapped to the user's id)",
		SCIMMatchAdvice: "Keep SCIM matching on externalId and check that JumpCloud's SCIM connector sends the " +
			"same user id as externalId that the SSO attribute uniqueUserId carries; else match on userName.",
		SCIMMatch:     directory.MatchExternalID,
		SCIMConnector: "Sends externalId: the JumpCloud user id, when the connector is set to send it.",
		Guide:         jumpCloudGuide,
	},
	{
		ID: "keycloak", Name: "Keycloak", Protocols: bothProtocols,
		Mapping:            directory.Mapping{UniqueUserID: "uniqueUserId", FirstName: "firstName", LastName: "lastName", Email: "email", Groups: "groups"},
		Accepted:           withExtra(map[string][]string{FieldUniqueUserID: {"id", oidUID}, FieldGroups: {"Role", "roles"}}),
		UniqueUserIDSource: "the Keycloak user id (a User Property mapper for \"id\" named uniqueUserId, or the OIDC sub)",
		SCIMMatchAdvice: "Keycloak has no built-in SCIM client: SCIM matching is userName unless a SCIM extension " +
			"sends the Keycloak user id as externalId, in which case choose externalId matching.",
		SCIMMatch:     directory.MatchUserName,
		SCIMConnector: "Has no SCIM connector of its own: what a SCIM extension sends as externalId depends on that extension.",
		OIDCSubIsKey:  true, Guide: keycloakGuide,
	},
	{
		ID: "generic", Name: "Other SAML 2.0 / OpenID Connect provider", Protocols: bothProtocols,
		Mapping:            directory.Mapping{UniqueUserID: "uniqueUserId", FirstName: "firstName", LastName: "lastName", Email: "email", Groups: "groups"},
		Accepted:           baseAccepted(),
		UniqueUserIDSource: "an immutable user id of the IdP sent as uniqueUserId (else the persistent NameID or the OIDC sub)",
		SCIMMatchAdvice: "SCIM matching is userName unless you choose externalId: make SSO send as uniqueUserId the value " +
			"the SCIM connector sends as userName, or, if the connector sends an immutable id as externalId, choose " +
			"externalId matching and send that id from SSO.",
		SCIMMatch:     directory.MatchUserName,
		SCIMConnector: "Unknown connector: it surely sends userName (RFC 7643 requires it), externalId only if it says so.",
		Guide:         genericGuide,
	},
}

// Presets returns the catalogue of presets, in the order the console lists them. The result is
// a copy; changing it does not change the catalogue.
func Presets() []Preset {
	out := make([]Preset, len(presets))
	for i, p := range presets {
		out[i] = p.clone()
	}
	return out
}

// PresetByID returns the preset with the id (case-insensitive), or false. An empty id is the
// generic preset, which is what an IdP without a preset uses.
func PresetByID(id string) (Preset, bool) {
	if strings.TrimSpace(id) == "" {
		id = "generic"
	}
	for _, p := range presets {
		if strings.EqualFold(p.ID, strings.TrimSpace(id)) {
			return p.clone(), true
		}
	}
	return Preset{}, false
}

func (p Preset) clone() Preset {
	p.Protocols = append([]directory.Protocol(nil), p.Protocols...)
	acc := make(map[string][]string, len(p.Accepted))
	for k, v := range p.Accepted {
		acc[k] = append([]string(nil), v...)
	}
	p.Accepted = acc
	p.Guide = p.Guide.Clone()
	return p
}
