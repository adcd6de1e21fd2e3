package directory

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// This file holds the provisioning rules as pure functions of (current state, incoming change,
// IdP settings). They read nothing and write nothing; Service loads the state inside a
// transaction, asks for a decision and carries it out. rules_test.go is their executable spec.
//
// Every decision returns the rule that decided it and the type of the event that records it;
// the executors in service*.go take both from the decision and never spell either themselves.
// Changes that no rule governs (an IdP or a token created, a SCIM group changed) have no
// decision, and their executors name their plain event types.

// Rule names a provisioning rule of DESIGN.md. The event log records it as is ("rule": "R6"),
// so a constant's value never changes.
type Rule string

// The provisioning rules, as directory/doc.go states them.
const (
	RuleR1  Rule = "R1"  // identity key
	RuleR2  Rule = "R2"  // mode jit
	RuleR3  Rule = "R3"  // mode scim
	RuleR4  Rule = "R4"  // mode both, login
	RuleR5  Rule = "R5"  // mode both, SCIM adoption
	RuleR6  Rule = "R6"  // deprovisioning sticks
	RuleR7  Rule = "R7"  // one person, one user
	RuleR8  Rule = "R8"  // userName collisions
	RuleR9  Rule = "R9"  // linking by email
	RuleR10 Rule = "R10" // isolation
	RuleR11 Rule = "R11" // mode changes never lose users
	RuleR12 Rule = "R12" // every decision is explained
	RuleR13 Rule = "R13" // organizations are isolated
)

// Decision is the outcome of the decisions about one user or one setting that need no more
// than an event, a rule and the record to store: SCIM updates and deletes, an administrator's
// deactivation or tombstone clearing, an IdP's mode change.
type Decision struct {
	// Event is the type of the event that records the decision; "" means nothing changes and
	// nothing is recorded.
	Event  string
	Rule   Rule
	Reason string
	// Changes names the attributes that change, for the event.
	Changes []string
	// User is the user to store, for decisions that change one.
	User User
	// Tombstone says the user's key is tombstoned, so that no login brings it back (R6).
	Tombstone bool
}

// Login is what one sign-in asserts about a person, after SAML or OIDC has been normalised
// through the IdP's attribute mapping (R1).
type Login struct {
	IdP          string
	UniqueUserID string
	// UserName is the userName to give a user the login creates; "" uses Email, else
	// UniqueUserID.
	UserName      string
	FirstName     string
	LastName      string
	Email         string
	EmailVerified bool
	Groups        []string
	// GroupsAsserted is true when the IdP sent a groups attribute at all, so that an empty
	// list means "member of nothing" rather than "not told".
	GroupsAsserted bool

	// KeySource says where UniqueUserID came from, and KeyWarning, when set, why that should
	// worry an administrator (a fallback in place of the mapped attribute). The login's event
	// carries both, so that the key is always explained (R1, R12).
	KeySource  KeySource
	KeyWarning string
}

// DesiredUserName is the userName a user created from this login gets.
func (in Login) DesiredUserName() string {
	switch {
	case strings.TrimSpace(in.UserName) != "":
		return strings.TrimSpace(in.UserName)
	case strings.TrimSpace(in.Email) != "":
		return strings.TrimSpace(in.Email)
	default:
		return in.UniqueUserID
	}
}

// LoginState is what the store holds that bears on one login.
type LoginState struct {
	// ByKey is the user with the login's identity, if any.
	ByKey *User
	// Tombstone is set when SCIM deleted the login's identity.
	Tombstone *Tombstone
	// ByUserName is the user holding the userName the login would create, if any.
	ByUserName *User
	// ByEmail are the users having the login's email, the candidates for linking (R9).
	ByEmail []User
}

// LoginAction is what a login does to the directory.
type LoginAction string

const (
	LoginCreate LoginAction = "create"
	LoginUpdate LoginAction = "update"
	LoginLink   LoginAction = "link"
	LoginRefuse LoginAction = "refuse"
)

// LoginDecision is the outcome of DecideLogin.
type LoginDecision struct {
	Action LoginAction
	Rule   Rule
	// Code is set for refusals (Refuse* constants).
	Code   string
	Reason string
	// User is the user to store for create, update and link.
	User    User
	Changes []string
	// SyncGroups says the login's groups should replace the user's JIT-managed memberships.
	SyncGroups bool
}

// EventType is the type of the event that records the decision.
func (d LoginDecision) EventType() string {
	switch d.Action {
	case LoginCreate:
		return EventUserCreated
	case LoginLink:
		return EventUserLinked
	case LoginRefuse:
		return EventLoginRefused
	default:
		return EventUserLogin
	}
}

// modeRule is the rule that governs logins in a mode.
func modeRule(m Mode) Rule {
	switch m {
	case ModeJIT:
		return RuleR2
	case ModeSCIM:
		return RuleR3
	default:
		return RuleR4
	}
}

// DecideUnknownIdP is the refusal of a login for an IdP that does not exist: without the IdP
// there is no key that could name the person (R1).
func DecideUnknownIdP(idp string) *Refusal {
	return &Refusal{Rule: RuleR1, Code: RefuseUnknownIdP, Reason: "no IdP " + idp}
}

// DecideLogin applies R1–R4, R6, R8, R9 and R11 to one login.
func DecideLogin(idp IdP, st LoginState, in Login, now time.Time) LoginDecision {
	refuse := func(rule Rule, code, reason string) LoginDecision {
		return LoginDecision{Action: LoginRefuse, Rule: rule, Code: code, Reason: reason}
	}
	if strings.TrimSpace(in.UniqueUserID) == "" {
		return refuse(RuleR1, RefuseNoIdentity,
			"the IdP sent no uniqueUserId attribute and no persistent NameID or subject")
	}

	if st.ByKey != nil {
		u := st.ByKey.Clone()
		if !u.Active {
			rule := modeRule(idp.Mode)
			reason := "the user is deactivated; a login never reactivates a user"
			if u.Owner == OwnerSCIM {
				rule = RuleR6
				reason = "the user was deactivated by SCIM; a login never reactivates a SCIM-deprovisioned user"
			}
			return refuse(rule, RefuseDeactivated, reason)
		}
		d := LoginDecision{Action: LoginUpdate}
		switch {
		case idp.Mode == ModeSCIM:
			d.Rule = RuleR3
			d.Reason = "mode scim: a login changes only lastLoginAt"
		case idp.Mode == ModeBoth && u.Owner == OwnerSCIM:
			d.Rule = RuleR4
			d.Reason = "mode both, SCIM-owned user: a login changes lastLoginAt and the login-authoritative attributes only"
			d.Changes = applyLoginAttributes(&u, in, idp.LoginAuthoritativeFor)
			d.SyncGroups = in.GroupsAsserted && idp.LoginAuthoritativeFor("groups")
		case idp.Mode == ModeJIT && u.Owner == OwnerSCIM:
			d.Rule = RuleR11
			d.Reason = "mode jit, SCIM-owned user kept from an earlier mode: the login updates its mapped attributes"
			d.Changes = applyLoginAttributes(&u, in, allAttributes)
			d.SyncGroups = in.GroupsAsserted
		default:
			d.Rule = modeRule(idp.Mode)
			d.Reason = fmt.Sprintf("mode %s, known user: the login updates the mapped attributes that changed", idp.Mode)
			d.Changes = applyLoginAttributes(&u, in, allAttributes)
			d.SyncGroups = in.GroupsAsserted
		}
		u.LastLoginAt = now
		d.Changes = append(d.Changes, "lastLoginAt")
		d.User = u
		return d
	}

	if st.Tombstone != nil && (idp.Mode == ModeSCIM || idp.Mode == ModeBoth) {
		return refuse(RuleR6, RefuseTombstoned,
			"SCIM deleted this user; logins are refused until SCIM creates the user again or an administrator clears the tombstone")
	}
	if idp.Mode == ModeSCIM {
		return refuse(RuleR3, RefuseNotProvisioned,
			"mode scim: the user has not been provisioned by SCIM yet")
	}

	if idp.LinkPolicy == LinkVerifiedEmail {
		if target, ok := linkTarget(idp, st.ByEmail, in); ok {
			// Linking must not be a way around deactivation: the person is the deactivated
			// user, so the login is refused like any login of a deactivated user.
			if !target.Active {
				return refuse(modeRule(idp.Mode), RefuseDeactivated,
					"the existing user with this verified email is deactivated; a login never links or reactivates it")
			}
			u := target.Clone()
			u.IdP, u.UniqueUserID = in.IdP, in.UniqueUserID
			changes := []string{"idp", "uniqueUserId"}
			if u.ExternalID == "" && idp.SCIMMatch != MatchUserName {
				u.ExternalID = in.UniqueUserID
				changes = append(changes, "externalId")
			}
			changes = append(changes, applyLoginAttributes(&u, in, allAttributes)...)
			u.LastLoginAt = now
			changes = append(changes, "lastLoginAt")
			return LoginDecision{
				Action: LoginLink, Rule: RuleR9, User: u, Changes: changes,
				SyncGroups: in.GroupsAsserted,
				Reason:     "link policy verified-email: the IdP asserted the email verified and the existing user has no other identity",
			}
		}
	}

	userName := in.DesiredUserName()
	if st.ByUserName != nil {
		return refuse(RuleR8, RefuseUserNameTaken, fmt.Sprintf(
			"userName %q belongs to another user (%s); a login never takes an account over", userName, st.ByUserName.ID))
	}
	u := User{
		UserName:     userName,
		Active:       true,
		Org:          idp.Org,
		IdP:          in.IdP,
		UniqueUserID: in.UniqueUserID,
		Owner:        OwnerJIT,
		LastLoginAt:  now,
	}
	changes := []string{"userName"}
	if idp.SCIMMatch != MatchUserName {
		// With externalId matching SCIM's externalId is the uniqueUserId (R1). Recording it
		// lets SCIM's "externalId eq" filter find the JIT-created user (R5).
		u.ExternalID = in.UniqueUserID
		changes = append(changes, "externalId")
	}
	changes = append(changes, applyLoginAttributes(&u, in, allAttributes)...)
	reason := fmt.Sprintf("mode %s: first login of an unknown key creates the user", idp.Mode)
	if st.Tombstone != nil {
		reason += " (a SCIM tombstone exists, but mode jit does not enforce it)"
	}
	return LoginDecision{
		Action: LoginCreate, Rule: modeRule(idp.Mode), Reason: reason, User: u,
		Changes: changes, SyncGroups: true,
	}
}

// linkTarget picks the one user a login may link to under R9.
func linkTarget(idp IdP, candidates []User, in Login) (User, bool) {
	if !in.EmailVerified || strings.TrimSpace(in.Email) == "" {
		return User{}, false
	}
	var eligible []User
	for _, c := range candidates {
		if c.IdP != "" { // has an identity already: of another IdP, or another person of this one
			continue
		}
		if c.Owner == OwnerSCIM {
			continue
		}
		eligible = append(eligible, c)
	}
	if len(eligible) != 1 {
		return User{}, false
	}
	return eligible[0], true
}

func allAttributes(string) bool { return true }

// applyLoginAttributes copies the asserted attributes that allowed permits and that differ onto
// u, and returns the names of those that changed. Empty assertions never erase a value.
func applyLoginAttributes(u *User, in Login, allowed func(string) bool) []string {
	var changes []string
	oldDerived := strings.TrimSpace(u.Name.GivenName + " " + u.Name.FamilyName)
	if allowed("firstName") && in.FirstName != "" && in.FirstName != u.Name.GivenName {
		u.Name.GivenName = in.FirstName
		changes = append(changes, "name.givenName")
	}
	if allowed("lastName") && in.LastName != "" && in.LastName != u.Name.FamilyName {
		u.Name.FamilyName = in.LastName
		changes = append(changes, "name.familyName")
	}
	if len(changes) > 0 {
		derived := strings.TrimSpace(u.Name.GivenName + " " + u.Name.FamilyName)
		if u.Name.Formatted == "" || u.Name.Formatted == oldDerived {
			u.Name.Formatted = derived
		}
		if u.DisplayName == "" || u.DisplayName == oldDerived {
			u.DisplayName = derived
			changes = append(changes, "displayName")
		}
	}
	if allowed("email") && in.Email != "" && !strings.EqualFold(in.Email, u.PrimaryEmail()) {
		u.Emails = setPrimaryEmail(u.Emails, in.Email)
		changes = append(changes, "emails")
	}
	return changes
}

func setPrimaryEmail(emails []MultiValue, value string) []MultiValue {
	out := make([]MultiValue, 0, len(emails)+1)
	out = append(out, MultiValue{Value: value, Type: "work", Primary: true})
	for _, e := range emails {
		if strings.EqualFold(e.Value, value) {
			continue
		}
		e.Primary = false
		out = append(out, e)
	}
	return out
}

// SCIMCreateState is what the store holds that bears on one SCIM create.
type SCIMCreateState struct {
	ByKey      *User
	ByUserName *User
	Tombstone  *Tombstone
}

// SCIMAction is what a SCIM write does.
type SCIMAction string

const (
	SCIMCreate   SCIMAction = "create"
	SCIMAdopt    SCIMAction = "adopt"
	SCIMConflict SCIMAction = "conflict"
	SCIMRefuse   SCIMAction = "refuse"
)

// SCIMDecision is the outcome of DecideSCIMCreate.
type SCIMDecision struct {
	Action SCIMAction
	Rule   Rule
	// Event is the type of the event that records the decision.
	Event  string
	Code   string
	Reason string
	// Conflict is set for SCIMConflict.
	Conflict *ConflictError
	// ClearsTombstone says the create ends a tombstone of the same key (R6).
	ClearsTombstone bool
	// EndsSessions says the adopted user is deprovisioned by the create, so its sessions end
	// at once (R6).
	EndsSessions bool
}

// DecideSCIMAccess applies R2: an IdP in mode jit takes no SCIM requests.
func DecideSCIMAccess(idp IdP) *Refusal {
	if idp.Mode == ModeJIT {
		return &Refusal{Rule: RuleR2, Code: RefuseModeJIT, Reason: fmt.Sprintf(
			"IdP %q is in provisioning mode jit, which refuses SCIM; switch it to scim or both to provision by SCIM", idp.ID)}
	}
	return nil
}

// SCIMKey returns the uniqueUserId a SCIM user carries under the IdP's matching attribute (R1).
func SCIMKey(idp IdP, u User) string {
	if idp.SCIMMatch == MatchUserName {
		return strings.TrimSpace(u.UserName)
	}
	return strings.TrimSpace(u.ExternalID)
}

// DecideSCIMCreate applies R1, R2, R5, R6, R7 and R8 to a SCIM create whose key is key.
func DecideSCIMCreate(idp IdP, st SCIMCreateState, key string, in User) SCIMDecision {
	refuse := func(rule Rule, code, reason string) SCIMDecision {
		return SCIMDecision{Action: SCIMRefuse, Rule: rule, Event: EventSCIMRefused, Code: code, Reason: reason}
	}
	conflict := func(rule Rule, reason string, c *ConflictError) SCIMDecision {
		return SCIMDecision{Action: SCIMConflict, Rule: rule, Event: EventSCIMRefused, Code: RefuseConflict,
			Reason: reason, Conflict: c}
	}
	if r := DecideSCIMAccess(idp); r != nil {
		return refuse(r.Rule, r.Code, r.Reason)
	}
	if key == "" {
		match := idp.SCIMMatch
		if match == "" {
			match = MatchExternalID
		}
		return refuse(RuleR1, RefuseNoIdentity, fmt.Sprintf(
			"IdP %q matches SCIM users by %s, and the request has none; map the IdP's immutable user id to %s",
			idp.ID, match, match))
	}
	if st.ByKey != nil {
		if st.ByUserName != nil && st.ByUserName.ID != st.ByKey.ID {
			return conflict(RuleR8, "the userName belongs to another identity",
				&ConflictError{Field: "userName", Value: in.UserName})
		}
		if st.ByKey.Owner == OwnerJIT {
			if st.ByKey.Active && !in.Active {
				// The deprovisioning is what the change feed must show; the adoption is in the
				// reason and in the owner change.
				return SCIMDecision{Action: SCIMAdopt, Rule: RuleR6, Event: EventUserDeactivated, EndsSessions: true,
					Reason: "SCIM adopted a user created by JIT login as inactive (R5); its sessions end and logins are refused"}
			}
			return SCIMDecision{Action: SCIMAdopt, Rule: RuleR5, Event: EventUserAdopted,
				Reason: "SCIM create matched a user created by JIT login; the user is adopted with its id"}
		}
		return conflict(RuleR7, "a user with this uniqueUserId already exists",
			&ConflictError{Field: "identity", Value: key})
	}
	if st.ByUserName != nil {
		return conflict(RuleR8, "the userName belongs to another identity",
			&ConflictError{Field: "userName", Value: in.UserName})
	}
	d := SCIMDecision{Action: SCIMCreate, Rule: RuleR1, Event: EventUserCreated, Reason: "SCIM created the user"}
	if st.Tombstone != nil {
		d.Rule, d.ClearsTombstone = RuleR6, true
		d.Reason = "SCIM created a deleted key again; its tombstone is cleared"
	}
	return d
}

// DecideSCIMUpdate applies R1, R5 and R6 to a SCIM PUT or PATCH of old that asks for in. The
// user it returns keeps what the server keeps (id, IdP, meta, last login, session cut-off)
// whatever in says, and becomes SCIM-owned: a JIT-created user that SCIM updates is adopted
// (R5). Its key follows the IdP's matching attribute (R1); a user SCIM never keyed (created by a
// login or linked) keeps its identity when the request does not carry the attribute, and
// removing the attribute of a keyed user is invalid. A deactivation ends the user's sessions at
// now (R6). An update that changes nothing has no event.
func DecideSCIMUpdate(idp IdP, old, in User, now time.Time) (Decision, error) {
	u := in.Clone()
	u.ID, u.Org, u.IdP, u.Meta, u.LastLoginAt, u.SessionsValidAfter = old.ID, old.Org, old.IdP, old.Meta, old.LastLoginAt, old.SessionsValidAfter
	u.Owner = OwnerSCIM
	key := SCIMKey(idp, u)
	if key == "" && SCIMKey(idp, old) == "" {
		key = old.UniqueUserID
	}
	if key == "" {
		return Decision{}, Invalidf("IdP %q matches SCIM users by %s; it cannot be removed (R1)", idp.ID, idp.SCIMMatch)
	}
	u.UniqueUserID = key
	if strings.TrimSpace(u.UserName) == "" {
		return Decision{}, Invalidf("userName is required")
	}
	changes := diffUsers(old, u)
	if len(changes) == 0 {
		return Decision{User: old}, nil
	}
	d := Decision{Event: EventUserUpdated, Changes: changes}
	switch {
	case old.Active && !u.Active:
		u.SessionsValidAfter = now
		d.Event, d.Rule = EventUserDeactivated, RuleR6
		d.Reason = "SCIM deactivated the user; its sessions end and logins are refused"
		if old.Owner == OwnerJIT {
			// The deprovisioning is what the change feed must show; the adoption is in the
			// reason and in the owner change.
			d.Reason = "SCIM deactivated a user created by JIT login and adopted it (R5); its sessions end and logins are refused"
		}
	case old.Owner == OwnerJIT:
		d.Event, d.Rule, d.Reason = EventUserAdopted, RuleR5, "SCIM updated a user created by JIT login; the user is adopted"
	case !old.Active && u.Active:
		d.Event = EventUserReactivated
	}
	d.User = u
	return d, nil
}

// DecideSCIMDelete applies R6 to a SCIM DELETE of u: the user's sessions end with it, and its
// key, if it has one, is tombstoned so that no login brings it back.
func DecideSCIMDelete(u User) Decision {
	_, keyed := u.Identity()
	return Decision{Event: EventUserDeleted, Rule: RuleR6, Tombstone: keyed,
		Reason: "SCIM deleted the user; its sessions end and its key is tombstoned"}
}

// DecideAdminDeactivation applies R6 to an administrator deactivating u at now: the user
// becomes inactive and its sessions end. An inactive user stays as it is, with no event.
func DecideAdminDeactivation(u User, now time.Time) Decision {
	if !u.Active {
		return Decision{User: u}
	}
	u = u.Clone()
	u.Active = false
	u.SessionsValidAfter = now
	return Decision{Event: EventUserDeactivated, Rule: RuleR6, Changes: []string{"active"}, User: u,
		Reason: "an administrator deactivated the user; its sessions end"}
}

// DecideTombstoneClear applies R6 to an administrator clearing a tombstone: the key may sign in
// again.
func DecideTombstoneClear() Decision {
	return Decision{Event: EventTombstoneClear, Rule: RuleR6,
		Reason: "an administrator cleared the tombstone; the key may sign in again"}
}

// DecideModeChange applies R11: a mode change never deletes or detaches users. The reason the
// event log records says what was kept, given how many users of the IdP JIT and SCIM own. A
// "change" to the same mode is none, with no event.
func DecideModeChange(from, to Mode, jitUsers, scimUsers int) Decision {
	d := Decision{Event: EventIdPModeChanged, Rule: RuleR11, Changes: []string{"mode"}}
	switch {
	case from == to:
		return Decision{}
	case from == ModeJIT:
		d.Reason = fmt.Sprintf("mode %s → %s: %d JIT-created users are kept until SCIM adopts them (R5)", from, to, jitUsers)
	case to == ModeJIT:
		d.Reason = fmt.Sprintf("mode %s → %s: %d SCIM-owned users are kept; logins may now update them and SCIM requests are refused", from, to, scimUsers)
	default:
		d.Reason = fmt.Sprintf("mode %s → %s: all users are kept", from, to)
	}
	return d
}

// DecideEmailDomains applies R13 to the emails a SCIM write or a login would give a user of
// organization org: under email_domains "verified", every email's domain must be one the
// organization has verified. The refusal names the first email outside them and its domain.
// Under "any", and for no emails, there is nothing to refuse.
func DecideEmailDomains(org Organization, emails []string) *Refusal {
	if org.EmailDomains != EmailDomainsVerified {
		return nil
	}
	for _, e := range emails {
		if strings.TrimSpace(e) == "" {
			continue
		}
		d := EmailDomain(e)
		if d != "" && org.VerifiedDomain(d) {
			continue
		}
		reason := fmt.Sprintf("email %q is outside the verified domains of organization %q", strings.TrimSpace(e), org.ID)
		if d != "" {
			reason = fmt.Sprintf("email %q: domain %q is not a verified domain of organization %q, which accepts only emails of its verified domains",
				strings.TrimSpace(e), d, org.ID)
		}
		return &Refusal{Rule: RuleR13, Code: RefuseEmailDomain, Reason: reason}
	}
	return nil
}

// diffUsers names the attributes that differ between two users, for the event log.
func diffUsers(a, b User) []string {
	var out []string
	add := func(name string, changed bool) {
		if changed {
			out = append(out, name)
		}
	}
	add("userName", a.UserName != b.UserName)
	add("name", a.Name != b.Name)
	add("displayName", a.DisplayName != b.DisplayName)
	add("nickName", a.NickName != b.NickName)
	add("profileUrl", a.ProfileURL != b.ProfileURL)
	add("title", a.Title != b.Title)
	add("userType", a.UserType != b.UserType)
	add("preferredLanguage", a.PreferredLanguage != b.PreferredLanguage)
	add("locale", a.Locale != b.Locale)
	add("timezone", a.Timezone != b.Timezone)
	add("active", a.Active != b.Active)
	add("emails", !slices.Equal(a.Emails, b.Emails))
	add("phoneNumbers", !slices.Equal(a.PhoneNumbers, b.PhoneNumbers))
	add("addresses", !slices.Equal(a.Addresses, b.Addresses))
	add("roles", !slices.Equal(a.Roles, b.Roles))
	add("entitlements", !slices.Equal(a.Entitlements, b.Entitlements))
	add("externalId", a.ExternalID != b.ExternalID)
	add("enterprise", a.Enterprise != b.Enterprise)
	add("password", a.PasswordHash != b.PasswordHash)
	add("uniqueUserId", a.UniqueUserID != b.UniqueUserID)
	add("owner", a.Owner != b.Owner)
	return out
}

// RefuseSCIMOwned says an administrator asked for what the user's SCIM connector decides (R6).
const RefuseSCIMOwned = "scim_owned"

// DecideAdminReactivation applies R6 to an administrator reactivating u, a user of idp (nil for
// a user of no IdP). A user that SCIM provisions — SCIM-owned, of an IdP in mode scim or
// both — is the connector's to reactivate: reactivated here, it would regain the access its IdP
// took away, and the IdP, which believes it inactive already, would not say so again. Such a
// request is refused and nothing changes. An active user stays as it is, with no event. The
// sessions ended by the deactivation stay ended.
func DecideAdminReactivation(idp *IdP, u User) (Decision, *Refusal) {
	if u.Active {
		return Decision{User: u}, nil
	}
	if u.Owner == OwnerSCIM && idp != nil && idp.Mode != ModeJIT {
		return Decision{}, &Refusal{Rule: RuleR6, Code: RefuseSCIMOwned, Reason: fmt.Sprintf(
			"user %q is provisioned by SCIM from IdP %q (mode %s): reactivate it in the IdP, whose connector then sends active=true; deprovisioning by SCIM sticks",
			u.UserName, idp.ID, idp.Mode)}
	}
	u = u.Clone()
	u.Active = true
	return Decision{Event: EventUserReactivated, Rule: RuleR6, Changes: []string{"active"}, User: u,
		Reason: "an administrator reactivated the user; its earlier sessions stay ended, and a login never reactivates a user"}, nil
}

// DecideAdminDelete applies R6 to an administrator deleting u, a user of idp (nil for a user of
// no IdP): the user and its memberships go, its sessions end, and a user with an identity has
// its key tombstoned. The reason says what the tombstone does in the IdP's mode, since that is
// what an administrator must know before deleting.
func DecideAdminDelete(idp *IdP, u User) Decision {
	_, keyed := u.Identity()
	d := Decision{Event: EventUserDeleted, Rule: RuleR6, Tombstone: keyed}
	switch {
	case !keyed || idp == nil:
		d.Tombstone = false
		d.Reason = "an administrator deleted the user; it has no identity of an existing IdP, so no key is tombstoned"
	case idp.Mode == ModeJIT:
		d.Reason = fmt.Sprintf("an administrator deleted the user; its key is tombstoned, but IdP %q is in mode jit, which does not enforce tombstones: the person's next sign-in creates a new user", idp.ID)
	default:
		d.Reason = fmt.Sprintf("an administrator deleted the user; its key is tombstoned: sign-ins through IdP %q are refused until SCIM creates the user again or an administrator clears the tombstone", idp.ID)
		if u.Owner == OwnerSCIM {
			d.Reason += "; the IdP's connector still holds the user: its next update of it answers 404, and a SCIM create brings it back"
		}
	}
	return d
}

// ModeOutcome is what changing an IdP's mode means for one user, one tombstoned key, or a
// person who has no user yet.
type ModeOutcome string

const (
	// ModeKeepsWorking: signs in before and after.
	ModeKeepsWorking ModeOutcome = "keeps_working"
	// ModeAdoptedLater: a JIT-created user that keeps signing in and that SCIM adopts when its
	// connector creates a user with the same key (R5, R11).
	ModeAdoptedLater ModeOutcome = "adopted_later"
	// ModeNoLongerSignsIn: signs in before, is refused after.
	ModeNoLongerSignsIn ModeOutcome = "no_longer_signs_in"
	// ModeSignsInAgain: refused before, signs in after.
	ModeSignsInAgain ModeOutcome = "signs_in_again"
	// ModeStaysRefused: refused before and after.
	ModeStaysRefused ModeOutcome = "stays_refused"
)

// ModePreviewDecision is the outcome of DecideModePreview: the outcome, and the rule and reason
// of the decision a sign-in would get in the new mode.
type ModePreviewDecision struct {
	Outcome ModeOutcome
	Rule    Rule
	Reason  string
}

// DecideModePreview says what switching idp to mode to means for the person whose state is st
// (ByKey: the user; Tombstone alone: a deleted key; neither: someone with no user yet) by asking
// DecideLogin about a sign-in of that person in the current mode and in the new one. It writes
// nothing and is what the mode-switch preview lists. A "change" to the same mode keeps
// everyone as they are.
func DecideModePreview(idp IdP, to Mode, st LoginState, now time.Time) ModePreviewDecision {
	key := "(someone without a user)"
	switch {
	case st.ByKey != nil:
		key = st.ByKey.UniqueUserID
	case st.Tombstone != nil:
		key = st.Tombstone.UniqueUserID
	}
	in := Login{IdP: idp.ID, UniqueUserID: key}
	before := DecideLogin(idp, st, in, now)
	next := idp
	next.Mode = to
	after := DecideLogin(next, st, in, now)
	out := ModePreviewDecision{Rule: after.Rule, Reason: after.Reason}
	wasRefused, isRefused := before.Action == LoginRefuse, after.Action == LoginRefuse
	switch {
	case wasRefused && isRefused:
		out.Outcome = ModeStaysRefused
	case wasRefused:
		out.Outcome = ModeSignsInAgain
	case isRefused:
		out.Outcome = ModeNoLongerSignsIn
	case st.ByKey != nil && st.ByKey.Owner == OwnerJIT && to != ModeJIT:
		out.Outcome, out.Rule = ModeAdoptedLater, RuleR5
		out.Reason = fmt.Sprintf("keeps signing in (%s: %s); SCIM adopts the user when its connector creates a user with the same key", after.Rule, after.Reason)
	default:
		out.Outcome = ModeKeepsWorking
	}
	return out
}
