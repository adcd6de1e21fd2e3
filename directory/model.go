package directory

import (
	"strings"
	"time"
)

// Mode is an IdP's provisioning mode: which feeds may create and change its users.
type Mode string

const (
	ModeJIT  Mode = "jit"
	ModeSCIM Mode = "scim"
	ModeBoth Mode = "both"
)

// Valid reports whether m is one of the known modes.
func (m Mode) Valid() bool { return m == ModeJIT || m == ModeSCIM || m == ModeBoth }

// Owner says which feed created a user or group and so decides who may change it.
type Owner string

const (
	OwnerSCIM  Owner = "scim"
	OwnerJIT   Owner = "jit"
	OwnerAdmin Owner = "admin"
)

// Protocol is the single sign-on protocol an IdP speaks.
type Protocol string

const (
	ProtocolSAML Protocol = "saml"
	ProtocolOIDC Protocol = "oidc"
)

// SCIM matching attributes (R1): which SCIM attribute carries the IdP's uniqueUserId.
const (
	MatchExternalID = "externalId"
	MatchUserName   = "userName"
)

// Link policies (R9).
const (
	LinkNone          = "none"
	LinkVerifiedEmail = "verified-email"
)

// Name holds the parts of a person's name.
type Name struct {
	Formatted       string `json:"formatted,omitempty"`
	FamilyName      string `json:"familyName,omitempty"`
	GivenName       string `json:"givenName,omitempty"`
	MiddleName      string `json:"middleName,omitempty"`
	HonorificPrefix string `json:"honorificPrefix,omitempty"`
	HonorificSuffix string `json:"honorificSuffix,omitempty"`
}

// MultiValue is one value of a multi-valued attribute such as emails or phone numbers.
type MultiValue struct {
	Value   string `json:"value,omitempty"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
	Display string `json:"display,omitempty"`
}

// Address is a postal address.
type Address struct {
	Formatted     string `json:"formatted,omitempty"`
	StreetAddress string `json:"streetAddress,omitempty"`
	Locality      string `json:"locality,omitempty"`
	Region        string `json:"region,omitempty"`
	PostalCode    string `json:"postalCode,omitempty"`
	Country       string `json:"country,omitempty"`
	Type          string `json:"type,omitempty"`
	Primary       bool   `json:"primary,omitempty"`
}

// Enterprise holds the attributes of the SCIM enterprise user extension.
type Enterprise struct {
	EmployeeNumber string `json:"employeeNumber,omitempty"`
	CostCenter     string `json:"costCenter,omitempty"`
	Organization   string `json:"organization,omitempty"`
	Division       string `json:"division,omitempty"`
	Department     string `json:"department,omitempty"`
	ManagerID      string `json:"managerId,omitempty"`
	ManagerDisplay string `json:"managerDisplayName,omitempty"`
}

// Meta is the server-maintained bookkeeping of a resource.
type Meta struct {
	Created      time.Time `json:"created"`
	LastModified time.Time `json:"lastModified"`
	// Version increases on every change of the resource; SCIM exposes it as the ETag.
	Version int64 `json:"version"`
}

// User is a person in the directory.
type User struct {
	ID                string       `json:"id"`
	UserName          string       `json:"userName"`
	Name              Name         `json:"name"`
	DisplayName       string       `json:"displayName,omitempty"`
	NickName          string       `json:"nickName,omitempty"`
	ProfileURL        string       `json:"profileUrl,omitempty"`
	Title             string       `json:"title,omitempty"`
	UserType          string       `json:"userType,omitempty"`
	PreferredLanguage string       `json:"preferredLanguage,omitempty"`
	Locale            string       `json:"locale,omitempty"`
	Timezone          string       `json:"timezone,omitempty"`
	Active            bool         `json:"active"`
	Emails            []MultiValue `json:"emails,omitempty"`
	PhoneNumbers      []MultiValue `json:"phoneNumbers,omitempty"`
	Addresses         []Address    `json:"addresses,omitempty"`
	Roles             []MultiValue `json:"roles,omitempty"`
	Entitlements      []MultiValue `json:"entitlements,omitempty"`
	ExternalID        string       `json:"externalId,omitempty"`
	Enterprise        Enterprise   `json:"enterprise"`
	// PasswordHash is set only when a SCIM client sent a password. It is never returned by any
	// surface; Roster keeps it so a client that sets a password sees its write accepted.
	PasswordHash string `json:"passwordHash,omitempty"`

	// Org is the organization the user belongs to: its IdP's, or the one an administrator
	// made it in. userName is unique within it (R8, R13).
	Org string `json:"org"`
	// IdP and UniqueUserID are the user's identity (R1). Both are empty for a user that an
	// administrator created and no IdP has claimed yet.
	IdP          string `json:"idp,omitempty"`
	UniqueUserID string `json:"uniqueUserId,omitempty"`
	Owner        Owner  `json:"owner"`
	// LastLoginAt is zero until the person first signs in.
	LastLoginAt time.Time `json:"lastLoginAt"`
	// SessionsValidAfter ends every session created before it (R6).
	SessionsValidAfter time.Time `json:"sessionsValidAfter"`
	Meta               Meta      `json:"meta"`
}

// Identity is the ownership key of a user: the IdP's immutable id for the person (R1, R7).
type Identity struct {
	IdP          string `json:"idp"`
	UniqueUserID string `json:"uniqueUserId"`
}

// Identity returns the user's identity, and false if the user has none.
func (u User) Identity() (Identity, bool) {
	if u.IdP == "" || u.UniqueUserID == "" {
		return Identity{}, false
	}
	return Identity{IdP: u.IdP, UniqueUserID: u.UniqueUserID}, true
}

// PrimaryEmail is the email marked primary, else the first one, else "".
func (u User) PrimaryEmail() string {
	for _, e := range u.Emails {
		if e.Primary && e.Value != "" {
			return e.Value
		}
	}
	for _, e := range u.Emails {
		if e.Value != "" {
			return e.Value
		}
	}
	return ""
}

// Clone returns a deep copy, so that update closures can change it without aliasing.
func (u User) Clone() User {
	u.Emails = cloneSlice(u.Emails)
	u.PhoneNumbers = cloneSlice(u.PhoneNumbers)
	u.Addresses = cloneSlice(u.Addresses)
	u.Roles = cloneSlice(u.Roles)
	u.Entitlements = cloneSlice(u.Entitlements)
	return u
}

func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}

// Group is a named set of users.
type Group struct {
	ID          string `json:"id"`
	Org         string `json:"org"`
	DisplayName string `json:"displayName"`
	ExternalID  string `json:"externalId,omitempty"`
	// IdP is the IdP whose feed owns the group; empty for groups an administrator made.
	IdP     string   `json:"idp,omitempty"`
	Owner   Owner    `json:"owner"`
	Members []string `json:"members"`
	Meta    Meta     `json:"meta"`
}

// Clone returns a deep copy.
func (g Group) Clone() Group {
	g.Members = cloneSlice(g.Members)
	return g
}

// HasMember reports whether userID is a member.
func (g Group) HasMember(userID string) bool {
	for _, m := range g.Members {
		if m == userID {
			return true
		}
	}
	return false
}

// Tombstone records that SCIM deleted the user of an identity, so that no login brings the
// person back (R6) until SCIM creates the user again or an administrator clears it.
type Tombstone struct {
	Org          string    `json:"org"`
	IdP          string    `json:"idp"`
	UniqueUserID string    `json:"uniqueUserId"`
	UserID       string    `json:"userId"`
	UserName     string    `json:"userName"`
	DeletedAt    time.Time `json:"deletedAt"`
	Actor        string    `json:"actor"`
}

// Arrival is what a store holds about a person arriving through an IdP (ReadTx.Arrival): the
// user holding their identity, the identity's tombstone, and the user holding the userName
// they would take in the organization; each nil when there is none.
type Arrival struct {
	ByKey      *User
	Tombstone  *Tombstone
	ByUserName *User
}

// SAMLSettings configure the SAML connection of an IdP.
type SAMLSettings struct {
	MetadataXML       string `json:"metadata_xml,omitempty"`
	MetadataURL       string `json:"metadata_url,omitempty"`
	AllowIdPInitiated bool   `json:"allow_idp_initiated"`
	// AllowSHA1 accepts responses signed or digested with SHA-1 (RSA-SHA1, DSA-SHA1), for
	// old IdPs that cannot sign otherwise; off, they are refused.
	AllowSHA1 bool `json:"allow_sha1,omitempty"`
}

// OIDCSettings configure the OpenID Connect connection of an IdP.
type OIDCSettings struct {
	Issuer       string   `json:"issuer,omitempty"`
	ClientID     string   `json:"client_id,omitempty"`
	ClientSecret string   `json:"client_secret,omitempty"`
	Scopes       []string `json:"scopes,omitempty"`
}

// Mapping names the IdP-side attributes (SAML attribute names or OIDC claims) that feed a
// login's identity. An empty name means "use the preset's defaults".
type Mapping struct {
	UniqueUserID string `json:"uniqueUserId,omitempty"`
	FirstName    string `json:"firstName,omitempty"`
	LastName     string `json:"lastName,omitempty"`
	Email        string `json:"email,omitempty"`
	Groups       string `json:"groups,omitempty"`
}

// IdP is one identity provider connection and its provisioning settings.
type IdP struct {
	ID string `json:"id"`
	// Org is the organization the IdP belongs to; its users, groups, tombstones, SCIM tokens
	// and events are that organization's.
	Org      string       `json:"org"`
	Name     string       `json:"name"`
	Protocol Protocol     `json:"protocol"`
	Mode     Mode         `json:"mode"`
	Preset   string       `json:"preset,omitempty"`
	SAML     SAMLSettings `json:"saml"`
	OIDC     OIDCSettings `json:"oidc"`
	Mapping  Mapping      `json:"mapping"`
	// SCIMMatch is the SCIM attribute that carries uniqueUserId: MatchExternalID or MatchUserName.
	SCIMMatch  string `json:"scim_match"`
	LinkPolicy string `json:"link_policy"`
	// LoginAuthoritative lists the attributes ("firstName", "lastName", "email", "groups") that a
	// login may change on a SCIM-owned user in mode both (R4).
	LoginAuthoritative []string  `json:"login_authoritative"`
	DefaultGroups      []string  `json:"default_groups"`
	Created            time.Time `json:"created"`
	Updated            time.Time `json:"updated"`
}

// Clone returns a deep copy.
func (p IdP) Clone() IdP {
	p.LoginAuthoritative = cloneSlice(p.LoginAuthoritative)
	p.DefaultGroups = cloneSlice(p.DefaultGroups)
	p.OIDC.Scopes = cloneSlice(p.OIDC.Scopes)
	return p
}

// LoginAuthoritativeFor reports whether a login may change attr on a SCIM-owned user.
func (p IdP) LoginAuthoritativeFor(attr string) bool {
	for _, a := range p.LoginAuthoritative {
		if strings.EqualFold(a, attr) {
			return true
		}
	}
	return false
}

// TokenKind separates SCIM tokens, which belong to an IdP, from administrator tokens.
type TokenKind string

const (
	TokenSCIM  TokenKind = "scim"
	TokenAdmin TokenKind = "admin"
	// TokenSetup is a set-up link's secret (service_setup.go): a credential of one
	// organization, limited to an intent.
	TokenSetup TokenKind = "setup"
)

// Token is a bearer credential. Only the SHA-256 hash of the secret is stored.
type Token struct {
	ID   string    `json:"id"`
	Kind TokenKind `json:"kind"`
	// IdP is the IdP a SCIM token belongs to; empty for administrator tokens.
	IdP string `json:"idp,omitempty"`
	// Org is the organization of a SCIM token's IdP, or the organization an admin token is
	// limited to ("" for every organization).
	Org string `json:"org,omitempty"`
	// Role is an admin token's role; empty for SCIM tokens.
	Role       Role      `json:"role,omitempty"`
	Name       string    `json:"name,omitempty"`
	Hash       []byte    `json:"hash"`
	Created    time.Time `json:"created"`
	ExpiresAt  time.Time `json:"expiresAt"`
	RevokedAt  time.Time `json:"revokedAt"`
	LastUsedAt time.Time `json:"lastUsedAt"`

	// Intent is what a set-up link may be used for; empty for other tokens.
	Intent SetupIntent `json:"intent,omitempty"`
}

// Usable reports whether the token may authenticate a request at now.
func (t Token) Usable(now time.Time) bool {
	if !t.RevokedAt.IsZero() {
		return false
	}
	return t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt)
}

// Event is one entry of the append-only event log: the audit log, the change feed and the
// webhook source. Seq is assigned by the store, gap-free, in the same transaction as the change.
type Event struct {
	Seq  uint64    `json:"seq"`
	ID   string    `json:"id"`
	Time time.Time `json:"time"`
	Type string    `json:"type"`
	// Actor is "scim:<token id>", "jit:<idp>", "admin:<who>" or "system".
	Actor   string `json:"actor"`
	Subject string `json:"subject"`
	// Org is the organization the event belongs to; "" for events of no organization (an
	// organization or admin credential created by an owner is recorded in that organization).
	Org string `json:"org,omitempty"`
	IdP string `json:"idp,omitempty"`
	// Rule is the provisioning rule that decided the outcome, such as RuleR5; empty for plain
	// changes.
	Rule    Rule     `json:"rule,omitempty"`
	Reason  string   `json:"reason,omitempty"`
	Changes []string `json:"changes,omitempty"`
	// Detail keeps what a library or a protocol check said, for the administrator, where Reason
	// says in plain words what happened (a sign-in refused before any rule applied).
	Detail string `json:"detail,omitempty"`
	// User and Group are snapshots of the resource after the change, when there is one.
	User  *User  `json:"user,omitempty"`
	Group *Group `json:"group,omitempty"`
	// Partial says the snapshot leaves attributes out because the resource is larger than
	// an event keeps (snapshot.go).
	Partial bool `json:"partial,omitempty"`

	// KeySource says, for a sign-in's event, where its uniqueUserId came from (R1), and
	// Warnings what an administrator should know about it in plain words: a key taken from a
	// fallback, an attribute the mapping names that never arrived.
	KeySource KeySource `json:"key_source,omitempty"`
	Warnings  []string  `json:"warnings,omitempty"`
}

// Event types.
const (
	EventUserCreated     = "user.created"
	EventUserUpdated     = "user.updated"
	EventUserAdopted     = "user.adopted"
	EventUserLinked      = "user.linked"
	EventUserLogin       = "user.login"
	EventUserDeactivated = "user.deactivated"
	EventUserReactivated = "user.reactivated"
	EventUserDeleted     = "user.deleted"
	EventLoginRefused    = "login.refused"
	EventSCIMRefused     = "scim.refused"
	EventGroupCreated    = "group.created"
	EventGroupUpdated    = "group.updated"
	EventGroupDeleted    = "group.deleted"
	EventIdPCreated      = "idp.created"
	EventIdPUpdated      = "idp.updated"
	EventIdPModeChanged  = "idp.mode_changed"
	EventIdPDeleted      = "idp.deleted"
	EventTokenCreated    = "token.created"
	EventTokenRevoked    = "token.revoked"
	EventTombstoneClear  = "tombstone.cleared"
	EventOrgCreated      = "org.created"
	EventOrgUpdated      = "org.updated"
	EventOrgDeleted      = "org.deleted"
	EventDomainAdded     = "org.domain_added"
	EventDomainVerified  = "org.domain_verified"
	EventDomainRemoved   = "org.domain_removed"
)
