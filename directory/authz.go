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
