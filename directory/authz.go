package directory

import "fmt"

// Action is what a request does to a resource, as far as authorization cares.
type Action string

const (
	// ActionRead reads.
	ActionRead Action = "read"
	// ActionWrite changes an organization's IdPs, tokens, users, groups, tombstones,
	// webhooks, domains or set-up links.
	ActionWrite Action = "write"
	// ActionOwner is what only an owner may do: create or delete organizations, manage admin
	// credentials, read a whole-store backup.
	ActionOwner Action = "owner"
)

// AllOrgs is the organization of a resource that concerns every organization at once, such as a
// webhook that delivers every organization's events. It is no organization's id (those are
// slugs): only a principal of every organization sees such a resource, and only an owner
// changes it.
const AllOrgs = "*"

// AuthStatus says how a refused request is answered.
type AuthStatus int

const (
	// AuthAllowed: go on.
	AuthAllowed AuthStatus = iota
	// AuthNotFound: the resource is in an organization the principal may not see; it is
	// answered exactly as a resource that does not exist, so that nothing tells one
	// organization what another has (R13).
	AuthNotFound
	// AuthForbidden: the principal sees the resource but its role may not do this.
	AuthForbidden
)

// AuthDecision is the outcome of Authorize.
type AuthDecision struct {
	Status AuthStatus
	// Reason says, for a 403, what the role may not do.
	Reason string
}

// Allowed reports whether the request may go on.
func (d AuthDecision) Allowed() bool { return d.Status == AuthAllowed }

// Authorize decides whether principal p may do action a on a resource of organization
// resourceOrg. resourceOrg "" means the resource belongs to no organization (the list of
// organizations, admin credentials, presets, a whole-store backup); AllOrgs means it concerns
// every organization (a webhook of every organization's events). It is the one
// authorization decision of the admin surface: the edge resolves the resource's organization
// and calls it once per request.
func Authorize(p Principal, a Action, resourceOrg string) AuthDecision {
	allow := AuthDecision{Status: AuthAllowed}
	if p.Role == RoleOwner {
		return allow
	}
	if !p.Role.Valid() {
		return AuthDecision{Status: AuthForbidden, Reason: fmt.Sprintf("the credential's role %q is not known", p.Role)}
	}
	if p.Role == RoleOrgAdmin && p.Org == "" {
		// An org-admin without an organization administers nothing; never read it as "all".
		return AuthDecision{Status: AuthForbidden, Reason: "the credential is an org-admin of no organization"}
	}
	// A resource of an organization the principal may not see does not exist for it; one of
	// every organization is seen only by a principal of every organization.
	if resourceOrg != "" && p.Org != "" && resourceOrg != p.Org {
		return AuthDecision{Status: AuthNotFound}
	}
	switch {
	case a == ActionRead:
		return allow
	case a == ActionOwner:
		return AuthDecision{Status: AuthForbidden, Reason: fmt.Sprintf("only an owner may do this; this credential is %s", p.describe())}
	case p.Role == RoleViewer:
		return AuthDecision{Status: AuthForbidden, Reason: fmt.Sprintf("a viewer may only read; this credential is %s", p.describe())}
	case resourceOrg == "" || resourceOrg == AllOrgs:
		// Writes outside any organization (such as creating one), or to what concerns every
		// organization, are the owner's.
		return AuthDecision{Status: AuthForbidden, Reason: fmt.Sprintf("only an owner may do this; this credential is %s", p.describe())}
	default:
		return allow
	}
}

func (p Principal) describe() string {
	if p.Org == "" {
		return string(p.Role) + " of every organization"
	}
	return fmt.Sprintf("%s of organization %q", p.Role, p.Org)
}

// SetupIntent is what a set-up link is for: the part of its organization's set-up that the
// customer's IT administrator who opens it may do.
type SetupIntent string

const (
	// SetupSSO: the organization's IdPs and their test sign-in.
	SetupSSO SetupIntent = "sso"
	// SetupSCIM: SCIM tokens of the organization's IdPs.
	SetupSCIM SetupIntent = "scim"
	// SetupDomain: the organization's domains and their DNS verification.
	SetupDomain SetupIntent = "domain"
	// SetupAll: all of these.
	SetupAll SetupIntent = "all"
)

// Valid reports whether i is a known intent.
func (i SetupIntent) Valid() bool {
	return i == SetupSSO || i == SetupSCIM || i == SetupDomain || i == SetupAll
}

// describe says what a set-up session of the intent may do, for a 403.
func (i SetupIntent) describe() string {
	switch i {
	case SetupSSO:
		return "set up single sign-on: the organization's IdPs and their test sign-in"
	case SetupSCIM:
		return "create and revoke SCIM tokens of the organization's IdPs"
	case SetupDomain:
		return "add and verify the organization's domains"
	default:
		return "set up single sign-on, SCIM tokens and domains"
	}
}

// Area is the part of the admin surface a request touches, as far as a set-up link's intent
// cares. Whatever is not named here is AreaOther, which no set-up session reaches: users,
// groups, events, tombstones, webhooks, admin credentials, set-up links, backups.
type Area string

const (
	AreaOther Area = ""
	// AreaSelf is the caller itself: who it is, signing out.
	AreaSelf Area = "self"
	// AreaPresets is the catalogue of vendor presets and their set-up steps.
	AreaPresets Area = "presets"
	// AreaOrg is an organization's own record.
	AreaOrg Area = "org"
	// AreaDomains are an organization's domains.
	AreaDomains Area = "domains"
	// AreaIdPs are IdPs: their settings, connection health and set-up steps.
	AreaIdPs Area = "idps"
	// AreaTestSignIn is a test sign-in through an IdP.
	AreaTestSignIn Area = "test-sign-in"
	// AreaSCIMTokens are the SCIM tokens of IdPs.
	AreaSCIMTokens Area = "scim-tokens"
)

// AuthorizeArea is the one authorization decision of the admin surface and of a test
// sign-in: may principal p do action a on area of organization resourceOrg? It is
// Authorize's decision and, for a set-up session, also that its link's intent reaches the
// area. A set-up session is never more than an org-admin of its organization.
func AuthorizeArea(p Principal, a Action, area Area, resourceOrg string) AuthDecision {
	if p.Kind == KindSetup && (p.Role != RoleOrgAdmin || p.Org == "") {
		return AuthDecision{Status: AuthForbidden, Reason: "a set-up session is an org-admin of one organization; this one is not"}
	}
	d := Authorize(p, a, resourceOrg)
	if !d.Allowed() || p.Kind != KindSetup {
		return d
	}
	return decideIntent(p.Intent, a, area)
}

// decideIntent is the intent half of AuthorizeArea: what a set-up session of intent in may do.
func decideIntent(in SetupIntent, a Action, area Area) AuthDecision {
	if !in.Valid() {
		return AuthDecision{Status: AuthForbidden, Reason: fmt.Sprintf("the set-up link's intent %q is not known", in)}
	}
	sso, scim, domain := in == SetupSSO || in == SetupAll, in == SetupSCIM || in == SetupAll, in == SetupDomain || in == SetupAll
	allowed := false
	switch area {
	case AreaSelf, AreaPresets:
		allowed = true
	case AreaOrg:
		allowed = a == ActionRead
	case AreaIdPs:
		// A SCIM set-up needs to see the IdP whose tokens it makes, not to change it.
		allowed = sso || scim && a == ActionRead
	case AreaTestSignIn:
		allowed = sso
	case AreaSCIMTokens:
		allowed = scim
	case AreaDomains:
		allowed = domain
	}
	if allowed {
		return AuthDecision{Status: AuthAllowed}
	}
	return AuthDecision{Status: AuthForbidden, Reason: fmt.Sprintf("this set-up link (intent %q) may only %s", in, in.describe())}
}
