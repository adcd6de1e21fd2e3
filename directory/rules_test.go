package directory_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	. "github.com/rosterhq/roster/directory"
)

// rules_test.go is the executable spec of the provisioning rules R1–R13 as far as the pure rule
// functions decide them. Each case name starts with the rule that decides it, then the mode, the
// state of the store and what the login or request carries.

var (
	ruleNow = time.Date(2026, 11, 29, 9, 30, 0, 0, time.UTC)
	earlier = ruleNow.Add(-72 * time.Hour)
)

func ruleIdP(mode Mode, opts ...func(*IdP)) IdP {
	p := IdP{ID: "okta", Name: "Okta", Protocol: ProtocolSAML, Mode: mode, SCIMMatch: MatchExternalID,
		LinkPolicy: LinkNone, LoginAuthoritative: []string{}, DefaultGroups: []string{}}
	for _, o := range opts {
		o(&p)
	}
	return p
}

func authoritative(attrs ...string) func(*IdP) {
	return func(p *IdP) { p.LoginAuthoritative = attrs }
}

func verifiedEmailLinking(p *IdP) { p.LinkPolicy = LinkVerifiedEmail }

// ada is the person of most cases: Okta user 00u1, known as Ada Lovelace.
func ada(owner Owner, mods ...func(*User)) User {
	u := User{
		ID: "u-ada", UserName: "ada@example.com",
		Name:        Name{GivenName: "Ada", FamilyName: "Lovelace", Formatted: "Ada Lovelace"},
		DisplayName: "Ada Lovelace", Active: true,
		Emails:     []MultiValue{{Value: "ada@example.com", Type: "work", Primary: true}},
		ExternalID: "00u1",
		IdP:        "okta", UniqueUserID: "00u1", Owner: owner, LastLoginAt: earlier,
		Meta: Meta{Created: earlier, LastModified: earlier, Version: 3},
	}
	for _, m := range mods {
		m(&u)
	}
	return u
}

func inactive(u *User) { u.Active = false }

func noIdentity(u *User) { u.IdP, u.UniqueUserID, u.ExternalID = "", "", "" }

func ptr[T any](v T) *T { return &v }

// Logins of Ada (00u1): one asserting what the directory already holds, one asserting a new
// name, a new email and a group.
var (
	sameLogin = Login{IdP: "okta", UniqueUserID: "00u1", FirstName: "Ada", LastName: "Lovelace",
		Email: "ada@example.com", EmailVerified: true}
	changedLogin = Login{IdP: "okta", UniqueUserID: "00u1", FirstName: "Augusta", LastName: "King",
		Email: "augusta@example.com", EmailVerified: true, Groups: []string{"eng"}, GroupsAsserted: true}
)

// loggedIn is u after a login at ruleNow that changed nothing else.
func loggedIn(u User) User {
	u.LastLoginAt = ruleNow
	return u
}

// withChangedLogin is u after changedLogin updated every mapped attribute.
func withChangedLogin(u User) User {
	u = loggedIn(u)
	u.Name.GivenName, u.Name.FamilyName = "Augusta", "King"
	u.Name.Formatted, u.DisplayName = "Augusta King", "Augusta King"
	u.Emails = []MultiValue{{Value: "augusta@example.com", Type: "work", Primary: true},
		{Value: "ada@example.com", Type: "work"}}
	return u
}

var allLoginChanges = []string{"name.givenName", "name.familyName", "displayName", "emails", "lastLoginAt"}

// ignoreReason leaves the human-readable reason out of decision comparisons; refusal cases
// check separately that a reason is given.
var ignoreReason = cmpopts.IgnoreFields(LoginDecision{}, "Reason")

func refused(rule Rule, code string) LoginDecision {
	return LoginDecision{Action: LoginRefuse, Rule: rule, Code: code}
}

func TestDecideLogin(t *testing.T) {
	type tc struct {
		name string
		idp  IdP
		st   LoginState
		in   Login
		want LoginDecision
	}
	var cases []tc
	add := func(c ...tc) { cases = append(cases, c...) }

	// R1: no identity key, whatever the mode and the store.
	for _, m := range []Mode{ModeJIT, ModeSCIM, ModeBoth} {
		for _, key := range []string{"", "   "} {
			in := changedLogin
			in.UniqueUserID = key
			add(tc{name: "R1/" + string(m) + "/login without uniqueUserId " + `"` + key + `"` + " is refused",
				idp: ruleIdP(m), st: LoginState{ByUserName: ptr(ada(OwnerJIT))}, in: in,
				want: refused("R1", RefuseNoIdentity)})
		}
	}

	// Unknown key, nothing in the way.
	// With externalId matching (the default) a JIT-created user carries its key as externalId,
	// so that SCIM's "externalId eq" filter finds it (R5).
	newUser := User{UserName: "augusta@example.com", Active: true, IdP: "okta", UniqueUserID: "00u1", ExternalID: "00u1",
		Owner: OwnerJIT, LastLoginAt: ruleNow,
		Name:        Name{GivenName: "Augusta", FamilyName: "King", Formatted: "Augusta King"},
		DisplayName: "Augusta King",
		Emails:      []MultiValue{{Value: "augusta@example.com", Type: "work", Primary: true}}}
	createChanges := []string{"userName", "externalId", "name.givenName", "name.familyName", "displayName", "emails"}
	add(
		tc{name: "R2/jit/unknown key/login creates a JIT-owned active user named by its email",
			idp: ruleIdP(ModeJIT), in: changedLogin,
			want: LoginDecision{Action: LoginCreate, Rule: "R2", User: newUser, Changes: createChanges, SyncGroups: true}},
		tc{name: "R4/both/unknown key/login creates a JIT-owned user so nobody waits for SCIM",
			idp: ruleIdP(ModeBoth), in: changedLogin,
			want: LoginDecision{Action: LoginCreate, Rule: "R4", User: newUser, Changes: createChanges, SyncGroups: true}},
		tc{name: "R3/scim/unknown key/login is refused as not provisioned",
			idp: ruleIdP(ModeSCIM), in: changedLogin, want: refused("R3", RefuseNotProvisioned)},
		tc{name: "R2/jit/unknown key/an asserted userName wins over the email",
			idp: ruleIdP(ModeJIT), in: func() Login { l := changedLogin; l.UserName = " augusta "; return l }(),
			want: LoginDecision{Action: LoginCreate, Rule: "R2", SyncGroups: true, Changes: createChanges,
				User: func() User { u := newUser; u.UserName = "augusta"; return u }()}},
		tc{name: "R2/jit/unknown key/without userName and email the userName is the uniqueUserId",
			idp: ruleIdP(ModeJIT), in: Login{IdP: "okta", UniqueUserID: "00u9"},
			want: LoginDecision{Action: LoginCreate, Rule: "R2", SyncGroups: true, Changes: []string{"userName", "externalId"},
				User: User{UserName: "00u9", ExternalID: "00u9", Active: true, IdP: "okta", UniqueUserID: "00u9", Owner: OwnerJIT, LastLoginAt: ruleNow}}},
		tc{name: "R4/both/unknown key, IdP matches SCIM by userName/the created user gets no externalId",
			idp: ruleIdP(ModeBoth, func(p *IdP) { p.SCIMMatch = MatchUserName }), in: changedLogin,
			want: LoginDecision{Action: LoginCreate, Rule: "R4", SyncGroups: true,
				Changes: []string{"userName", "name.givenName", "name.familyName", "displayName", "emails"},
				User:    func() User { u := newUser; u.ExternalID = ""; return u }()}},
	)

	// Known key, active user: what a login may change, by mode and owner.
	for _, c := range []struct {
		owner        Owner
		mode         Mode
		rule         Rule
		updatesAll   bool
		ownerComment string
	}{
		{OwnerJIT, ModeJIT, "R2", true, "jit-owned"},
		{OwnerJIT, ModeBoth, "R4", true, "jit-owned"},
		{OwnerJIT, ModeSCIM, "R3", false, "jit-owned kept from mode jit"},
		{OwnerSCIM, ModeJIT, "R11", true, "scim-owned kept from an earlier mode"},
		{OwnerSCIM, ModeSCIM, "R3", false, "scim-owned"},
		{OwnerSCIM, ModeBoth, "R4", false, "scim-owned"},
		{OwnerAdmin, ModeJIT, "R2", true, "admin-created and linked"},
		{OwnerAdmin, ModeBoth, "R4", true, "admin-created and linked"},
		{OwnerAdmin, ModeSCIM, "R3", false, "admin-created and linked"},
	} {
		prefix := string(c.rule) + "/" + string(c.mode) + "/" + c.ownerComment
		old := ada(c.owner)
		if c.updatesAll {
			add(tc{name: prefix + "/login updates the changed name and email and syncs asserted groups",
				idp: ruleIdP(c.mode), st: LoginState{ByKey: &old}, in: changedLogin,
				want: LoginDecision{Action: LoginUpdate, Rule: c.rule, User: withChangedLogin(old),
					Changes: allLoginChanges, SyncGroups: true}})
		} else {
			add(tc{name: prefix + "/login changes only lastLoginAt and never groups",
				idp: ruleIdP(c.mode), st: LoginState{ByKey: &old}, in: changedLogin,
				want: LoginDecision{Action: LoginUpdate, Rule: c.rule, User: loggedIn(old),
					Changes: []string{"lastLoginAt"}}})
		}
		add(tc{name: prefix + "/login with unchanged attributes and no groups changes only lastLoginAt",
			idp: ruleIdP(c.mode), st: LoginState{ByKey: &old}, in: sameLogin,
			want: LoginDecision{Action: LoginUpdate, Rule: c.rule, User: loggedIn(old),
				Changes: []string{"lastLoginAt"}}})
	}

	// R4: login-authoritative attributes of a SCIM-owned user in mode both.
	scimAda := ada(OwnerSCIM)
	add(
		tc{name: "R4/both/scim-owned/login changes only lastLoginAt and the login-authoritative email",
			idp: ruleIdP(ModeBoth, authoritative("email")), st: LoginState{ByKey: &scimAda}, in: changedLogin,
			want: LoginDecision{Action: LoginUpdate, Rule: "R4", Changes: []string{"emails", "lastLoginAt"},
				User: func() User {
					u := loggedIn(scimAda)
					u.Emails = withChangedLogin(scimAda).Emails
					return u
				}()}},
		tc{name: "R4/both/scim-owned/login-authoritative firstName and groups change given and derived display name and sync groups",
			idp: ruleIdP(ModeBoth, authoritative("firstName", "groups")), st: LoginState{ByKey: &scimAda}, in: changedLogin,
			want: LoginDecision{Action: LoginUpdate, Rule: "R4", SyncGroups: true,
				Changes: []string{"name.givenName", "displayName", "lastLoginAt"},
				User: func() User {
					u := loggedIn(scimAda)
					u.Name.GivenName, u.Name.Formatted, u.DisplayName = "Augusta", "Augusta Lovelace", "Augusta Lovelace"
					return u
				}()}},
		tc{name: "R4/both/scim-owned/login-authoritative groups alone sync groups only when the IdP asserted them",
			idp: ruleIdP(ModeBoth, authoritative("groups")), st: LoginState{ByKey: &scimAda}, in: sameLogin,
			want: LoginDecision{Action: LoginUpdate, Rule: "R4", User: loggedIn(scimAda), Changes: []string{"lastLoginAt"}}},
		tc{name: "R3/scim/scim-owned/login-authoritative settings do not apply outside mode both",
			idp: ruleIdP(ModeSCIM, authoritative("firstName", "lastName", "email", "groups")), st: LoginState{ByKey: &scimAda}, in: changedLogin,
			want: LoginDecision{Action: LoginUpdate, Rule: "R3", User: loggedIn(scimAda), Changes: []string{"lastLoginAt"}}},
	)

	// Attribute details of an update.
	jitAda := ada(OwnerJIT)
	customDisplay := ada(OwnerJIT, func(u *User) { u.DisplayName = "Countess of Lovelace"; u.Name.Formatted = "A. A. Lovelace" })
	add(
		tc{name: "R2/jit/jit-owned/empty assertions never erase a stored value",
			idp: ruleIdP(ModeJIT), st: LoginState{ByKey: &jitAda}, in: Login{IdP: "okta", UniqueUserID: "00u1"},
			want: LoginDecision{Action: LoginUpdate, Rule: "R2", User: loggedIn(jitAda), Changes: []string{"lastLoginAt"}}},
		tc{name: "R2/jit/jit-owned/an email differing only in case is not a change",
			idp: ruleIdP(ModeJIT), st: LoginState{ByKey: &jitAda},
			in:   func() Login { l := sameLogin; l.Email = "ADA@Example.com"; return l }(),
			want: LoginDecision{Action: LoginUpdate, Rule: "R2", User: loggedIn(jitAda), Changes: []string{"lastLoginAt"}}},
		tc{name: "R2/jit/jit-owned/a displayName and formatted name not derived from the name parts are kept",
			idp: ruleIdP(ModeJIT), st: LoginState{ByKey: &customDisplay}, in: changedLogin, want: LoginDecision{
				Action: LoginUpdate, Rule: "R2", SyncGroups: true,
				Changes: []string{"name.givenName", "name.familyName", "emails", "lastLoginAt"},
				User: func() User {
					u := withChangedLogin(customDisplay)
					u.DisplayName, u.Name.Formatted = "Countess of Lovelace", "A. A. Lovelace"
					return u
				}()}},
		tc{name: "R2/jit/jit-owned/groups asserted as an empty list still sync (member of nothing)",
			idp: ruleIdP(ModeJIT), st: LoginState{ByKey: &jitAda},
			in:   func() Login { l := sameLogin; l.GroupsAsserted = true; return l }(),
			want: LoginDecision{Action: LoginUpdate, Rule: "R2", User: loggedIn(jitAda), Changes: []string{"lastLoginAt"}, SyncGroups: true}},
	)

	// Inactive users are never reactivated by a login.
	for _, m := range []Mode{ModeJIT, ModeSCIM, ModeBoth} {
		rule := map[Mode]Rule{ModeJIT: "R2", ModeSCIM: "R3", ModeBoth: "R4"}[m]
		add(
			tc{name: string(rule) + "/" + string(m) + "/inactive jit-owned/login is refused as deactivated",
				idp: ruleIdP(m), st: LoginState{ByKey: ptr(ada(OwnerJIT, inactive))}, in: changedLogin,
				want: refused(rule, RefuseDeactivated)},
			tc{name: "R6/" + string(m) + "/inactive scim-owned/login is refused, never reactivates a SCIM-deprovisioned user",
				idp: ruleIdP(m, authoritative("firstName", "lastName", "email", "groups")),
				st:  LoginState{ByKey: ptr(ada(OwnerSCIM, inactive))}, in: changedLogin,
				want: refused("R6", RefuseDeactivated)},
		)
	}

	// R6: tombstones.
	tomb := &Tombstone{IdP: "okta", UniqueUserID: "00u1", UserID: "u-old", UserName: "ada@example.com", DeletedAt: earlier}
	add(
		tc{name: "R6/scim/tombstoned key/login is refused as tombstoned",
			idp: ruleIdP(ModeSCIM), st: LoginState{Tombstone: tomb}, in: changedLogin, want: refused("R6", RefuseTombstoned)},
		tc{name: "R6/both/tombstoned key/login does not bring the user back",
			idp: ruleIdP(ModeBoth), st: LoginState{Tombstone: tomb}, in: changedLogin, want: refused("R6", RefuseTombstoned)},
		tc{name: "R6/both/tombstoned key/refused even when verified-email linking would find a target",
			idp: ruleIdP(ModeBoth, verifiedEmailLinking),
			st:  LoginState{Tombstone: tomb, ByEmail: []User{ada(OwnerAdmin, noIdentity, func(u *User) { u.Emails[0].Value = "augusta@example.com" })}},
			in:  changedLogin, want: refused("R6", RefuseTombstoned)},
		tc{name: "R2/jit/tombstoned key/mode jit does not enforce tombstones and creates the user",
			idp: ruleIdP(ModeJIT), st: LoginState{Tombstone: tomb}, in: changedLogin,
			want: LoginDecision{Action: LoginCreate, Rule: "R2", User: newUser, Changes: createChanges, SyncGroups: true}},
	)

	// R8: the userName the login would create belongs to another identity.
	other := ada(OwnerSCIM, func(u *User) { u.ID, u.UserName, u.UniqueUserID = "u-other", "augusta@example.com", "00u7" })
	add(
		tc{name: "R8/jit/userName taken by another identity/login is refused, never takes the account over",
			idp: ruleIdP(ModeJIT), st: LoginState{ByUserName: &other}, in: changedLogin, want: refused("R8", RefuseUserNameTaken)},
		tc{name: "R8/both/userName taken by another identity/login is refused",
			idp: ruleIdP(ModeBoth), st: LoginState{ByUserName: &other}, in: changedLogin, want: refused("R8", RefuseUserNameTaken)},
		tc{name: "R8/jit/userName taken by an admin-created user without identity/login is refused when linking is off",
			idp: ruleIdP(ModeJIT), st: LoginState{ByUserName: ptr(ada(OwnerAdmin, noIdentity))},
			in: sameLogin, want: refused("R8", RefuseUserNameTaken)},
		tc{name: "R3/scim/userName taken by another identity/not provisioned decides first",
			idp: ruleIdP(ModeSCIM), st: LoginState{ByUserName: &other}, in: changedLogin, want: refused("R3", RefuseNotProvisioned)},
	)

	// R9: linking by email.
	adminAda := ada(OwnerAdmin, noIdentity) // created by an administrator, no IdP has claimed her
	linked := func(target User, in Login) User {
		u := withChangedLogin(target)
		u.IdP, u.UniqueUserID, u.ExternalID = in.IdP, in.UniqueUserID, in.UniqueUserID
		return u
	}
	linkIn := changedLogin
	linkIn.Email = "ada@example.com" // the email the admin-created user has
	linkedAda := loggedIn(adminAda)
	linkedAda.IdP, linkedAda.UniqueUserID, linkedAda.ExternalID = "okta", "00u1", "00u1"
	linkedAda.Name, linkedAda.DisplayName = withChangedLogin(adminAda).Name, "Augusta King"
	unverified := linkIn
	unverified.EmailVerified = false
	add(
		tc{name: "R9/jit/link policy none/an email match never links; the taken userName refuses the login",
			idp: ruleIdP(ModeJIT), st: LoginState{ByEmail: []User{adminAda}, ByUserName: &adminAda},
			in: linkIn, want: refused("R8", RefuseUserNameTaken)},
		tc{name: "R9/both/link policy none/an email match never links; a free userName creates a new user",
			idp: ruleIdP(ModeBoth), st: LoginState{ByEmail: []User{adminAda}}, in: changedLogin,
			want: LoginDecision{Action: LoginCreate, Rule: "R4", User: newUser, Changes: createChanges, SyncGroups: true}},
		tc{name: "R9/jit/verified-email, verified/login links the user without identity, keeping its id and owner",
			idp: ruleIdP(ModeJIT, verifiedEmailLinking), st: LoginState{ByEmail: []User{adminAda}, ByUserName: &adminAda},
			in: linkIn, want: LoginDecision{Action: LoginLink, Rule: "R9", User: linkedAda, SyncGroups: true,
				Changes: []string{"idp", "uniqueUserId", "externalId", "name.givenName", "name.familyName", "displayName", "lastLoginAt"}}},
		tc{name: "R9/both/verified-email, verified/login links and updates every mapped attribute",
			idp: ruleIdP(ModeBoth, verifiedEmailLinking),
			st:  LoginState{ByEmail: []User{ada(OwnerAdmin, noIdentity, func(u *User) { u.Emails[0].Value = "AUGUSTA@example.com" })}},
			in:  changedLogin, want: LoginDecision{Action: LoginLink, Rule: "R9", SyncGroups: true,
				Changes: []string{"idp", "uniqueUserId", "externalId", "name.givenName", "name.familyName", "displayName", "lastLoginAt"},
				User: func() User {
					u := linked(ada(OwnerAdmin, noIdentity), changedLogin)
					u.Emails = []MultiValue{{Value: "AUGUSTA@example.com", Type: "work", Primary: true}}
					return u
				}()}},
		tc{name: "R3/scim/verified-email, verified/mode scim never links, the key is not provisioned",
			idp: ruleIdP(ModeSCIM, verifiedEmailLinking), st: LoginState{ByEmail: []User{adminAda}},
			in: linkIn, want: refused("R3", RefuseNotProvisioned)},
		tc{name: "R9/jit/verified-email, unverified/no link; the taken userName refuses the login",
			idp: ruleIdP(ModeJIT, verifiedEmailLinking), st: LoginState{ByEmail: []User{adminAda}, ByUserName: &adminAda},
			in: unverified, want: refused("R8", RefuseUserNameTaken)},
		tc{name: "R9/both/verified-email, unverified/no link; a free userName creates a separate user",
			idp: ruleIdP(ModeBoth, verifiedEmailLinking), st: LoginState{ByEmail: []User{adminAda}},
			in: func() Login { l := unverified; l.UserName = "ada.okta"; return l }(),
			want: LoginDecision{Action: LoginCreate, Rule: "R4", SyncGroups: true,
				Changes: createChanges,
				User: func() User {
					u := newUser
					u.UserName = "ada.okta"
					u.Emails = []MultiValue{{Value: "ada@example.com", Type: "work", Primary: true}}
					return u
				}()}},
		tc{name: "R9/jit/verified-email, target has another IdP's identity/no link, login refused by R8",
			idp: ruleIdP(ModeJIT, verifiedEmailLinking),
			st: func() LoginState {
				u := ada(OwnerJIT, func(u *User) { u.IdP, u.UniqueUserID = "entra", "oid-1" })
				return LoginState{ByEmail: []User{u}, ByUserName: &u}
			}(),
			in: linkIn, want: refused("R8", RefuseUserNameTaken)},
		tc{name: "R9/jit/verified-email, target is another person of the same IdP/no link",
			idp: ruleIdP(ModeJIT, verifiedEmailLinking),
			st: func() LoginState {
				u := ada(OwnerJIT, func(u *User) { u.UniqueUserID = "00u7" })
				return LoginState{ByEmail: []User{u}, ByUserName: &u}
			}(),
			in: linkIn, want: refused("R8", RefuseUserNameTaken)},
		tc{name: "R9/both/verified-email, target scim-owned/no link, login refused by R8",
			idp: ruleIdP(ModeBoth, verifiedEmailLinking),
			st: func() LoginState {
				u := ada(OwnerSCIM, func(u *User) { u.IdP, u.UniqueUserID = "entra", "oid-1" })
				return LoginState{ByEmail: []User{u}, ByUserName: &u}
			}(),
			in: linkIn, want: refused("R8", RefuseUserNameTaken)},
		tc{name: "R9/both/verified-email, target scim-owned without identity/no link, even if SCIM lost the identity",
			idp: ruleIdP(ModeBoth, verifiedEmailLinking),
			st:  LoginState{ByEmail: []User{ada(OwnerSCIM, noIdentity)}},
			in:  func() Login { l := linkIn; l.UserName = "ada.okta"; return l }(),
			want: LoginDecision{Action: LoginCreate, Rule: "R4", SyncGroups: true, Changes: createChanges,
				User: func() User {
					u := newUser
					u.UserName = "ada.okta"
					u.Emails = []MultiValue{{Value: "ada@example.com", Type: "work", Primary: true}}
					return u
				}()}},
		tc{name: "R9/jit/verified-email, two candidates/no link is ever a guess",
			idp: ruleIdP(ModeJIT, verifiedEmailLinking),
			st: LoginState{ByEmail: []User{adminAda, ada(OwnerAdmin, noIdentity, func(u *User) { u.ID, u.UserName = "u-ada2", "ada2" })},
				ByUserName: &adminAda},
			in: linkIn, want: refused("R8", RefuseUserNameTaken)},
		tc{name: "R9/jit/verified-email, two candidates of which one has an identity/links the only eligible one",
			idp: ruleIdP(ModeJIT, verifiedEmailLinking),
			st: LoginState{ByEmail: []User{ada(OwnerJIT, func(u *User) { u.ID, u.UserName, u.IdP = "u-entra", "ada.entra", "entra" }), adminAda},
				ByUserName: &adminAda},
			in: linkIn, want: LoginDecision{Action: LoginLink, Rule: "R9", User: linkedAda, SyncGroups: true,
				Changes: []string{"idp", "uniqueUserId", "externalId", "name.givenName", "name.familyName", "displayName", "lastLoginAt"}}},
		tc{name: "R9/jit/verified-email, target deactivated/login is refused and does not link a deactivated user",
			idp: ruleIdP(ModeJIT, verifiedEmailLinking),
			st: func() LoginState {
				u := ada(OwnerAdmin, noIdentity, inactive)
				return LoginState{ByEmail: []User{u}, ByUserName: &u}
			}(),
			in: linkIn, want: refused("R2", RefuseDeactivated)},
		tc{name: "R9/both/verified-email, target deactivated/login is refused and does not link a deactivated user",
			idp: ruleIdP(ModeBoth, verifiedEmailLinking),
			st:  LoginState{ByEmail: []User{ada(OwnerAdmin, noIdentity, inactive)}},
			in:  linkIn, want: refused("R4", RefuseDeactivated)},
		tc{name: "R9/jit/verified-email, verified but no email asserted/no link",
			idp: ruleIdP(ModeJIT, verifiedEmailLinking), st: LoginState{ByEmail: []User{adminAda}},
			in: Login{IdP: "okta", UniqueUserID: "00u1", EmailVerified: true},
			want: LoginDecision{Action: LoginCreate, Rule: "R2", SyncGroups: true, Changes: []string{"userName", "externalId"},
				User: User{UserName: "00u1", ExternalID: "00u1", Active: true, IdP: "okta", UniqueUserID: "00u1", Owner: OwnerJIT, LastLoginAt: ruleNow}}},
		tc{name: "R9/jit/verified-email, target already has an externalId/linking keeps it",
			idp: ruleIdP(ModeJIT, verifiedEmailLinking),
			st:  LoginState{ByEmail: []User{ada(OwnerAdmin, noIdentity, func(u *User) { u.ExternalID = "emp-42" })}},
			in:  linkIn, want: LoginDecision{Action: LoginLink, Rule: "R9", SyncGroups: true,
				Changes: []string{"idp", "uniqueUserId", "name.givenName", "name.familyName", "displayName", "lastLoginAt"},
				User:    func() User { u := linkedAda; u.ExternalID = "emp-42"; return u }()}},
	)

	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.name] {
			t.Fatalf("duplicate case name %q", c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			var before *User
			if c.st.ByKey != nil {
				before = ptr(c.st.ByKey.Clone())
			}
			got := DecideLogin(c.idp, c.st, c.in, ruleNow)
			if diff := cmp.Diff(c.want, got, ignoreReason, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("DecideLogin (-want +got):\n%s", diff)
			}
			if got.Reason == "" {
				t.Errorf("decision %s/%s gives no reason for the event log (R12)", got.Action, got.Rule)
			}
			if before != nil {
				if diff := cmp.Diff(*before, *c.st.ByKey); diff != "" {
					t.Errorf("DecideLogin changed the stored user it was given (-before +after):\n%s", diff)
				}
			}
		})
	}
}

func TestDecideLoginTombstoneReasonInModeJIT(t *testing.T) {
	got := DecideLogin(ruleIdP(ModeJIT), LoginState{Tombstone: &Tombstone{IdP: "okta", UniqueUserID: "00u1"}}, changedLogin, ruleNow)
	if got.Action != LoginCreate || !strings.Contains(got.Reason, "tombstone") {
		t.Errorf("R6/jit: the event must say the tombstone was not enforced; got %s %q", got.Action, got.Reason)
	}
}

func TestDesiredUserName(t *testing.T) {
	for _, c := range []struct {
		in   Login
		want string
	}{
		{Login{UniqueUserID: "00u1", UserName: " ada ", Email: "ada@example.com"}, "ada"},
		{Login{UniqueUserID: "00u1", UserName: "  ", Email: " ada@example.com "}, "ada@example.com"},
		{Login{UniqueUserID: "00u1"}, "00u1"},
	} {
		if got := c.in.DesiredUserName(); got != c.want {
			t.Errorf("%+v.DesiredUserName() = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDecideSCIMCreate(t *testing.T) {
	jitAda, scimAda, adminLinked := ada(OwnerJIT), ada(OwnerSCIM), ada(OwnerAdmin)
	other := ada(OwnerSCIM, func(u *User) { u.ID, u.UniqueUserID, u.ExternalID = "u-other", "00u7", "00u7" })
	tomb := &Tombstone{IdP: "okta", UniqueUserID: "00u1", UserID: "u-old"}
	in := User{UserName: "ada@example.com", ExternalID: "00u1", Active: true}
	inactiveIn := User{UserName: "ada@example.com", ExternalID: "00u1", Active: false}
	conflict := func(rule Rule, field, value string) SCIMDecision {
		return SCIMDecision{Action: SCIMConflict, Rule: rule, Event: EventSCIMRefused, Code: RefuseConflict,
			Conflict: &ConflictError{Field: field, Value: value}}
	}
	refusedSCIM := func(rule Rule, code string) SCIMDecision {
		return SCIMDecision{Action: SCIMRefuse, Rule: rule, Event: EventSCIMRefused, Code: code}
	}

	type tc struct {
		name string
		st   SCIMCreateState
		key  string
		in   *User // nil: in, an active user
		want SCIMDecision
	}
	perMode := []tc{
		{name: "R1/no user with the key/creates", key: "00u1",
			want: SCIMDecision{Action: SCIMCreate, Rule: RuleR1, Event: EventUserCreated}},
		{name: "R5/jit-owned match/adopts the JIT-created user", key: "00u1", st: SCIMCreateState{ByKey: &jitAda, ByUserName: &jitAda},
			want: SCIMDecision{Action: SCIMAdopt, Rule: RuleR5, Event: EventUserAdopted}},
		{name: "R5/inactive jit-owned match/adopts", key: "00u1", st: SCIMCreateState{ByKey: ptr(ada(OwnerJIT, inactive))},
			want: SCIMDecision{Action: SCIMAdopt, Rule: RuleR5, Event: EventUserAdopted}},
		{name: "R6/active jit-owned match, created inactive/adopts as a deactivation that ends its sessions", key: "00u1",
			st: SCIMCreateState{ByKey: &jitAda, ByUserName: &jitAda}, in: &inactiveIn,
			want: SCIMDecision{Action: SCIMAdopt, Rule: RuleR6, Event: EventUserDeactivated, EndsSessions: true}},
		{name: "R5/inactive jit-owned match, created inactive/adopts, nothing to end", key: "00u1",
			st: SCIMCreateState{ByKey: ptr(ada(OwnerJIT, inactive))}, in: &inactiveIn,
			want: SCIMDecision{Action: SCIMAdopt, Rule: RuleR5, Event: EventUserAdopted}},
		{name: "R7/scim-owned match/conflict on the identity", key: "00u1", st: SCIMCreateState{ByKey: &scimAda, ByUserName: &scimAda},
			want: conflict(RuleR7, "identity", "00u1")},
		{name: "R7/admin-created user linked to the key/conflict on the identity", key: "00u1", st: SCIMCreateState{ByKey: &adminLinked},
			want: conflict(RuleR7, "identity", "00u1")},
		{name: "R8/userName taken by another identity/conflict on userName", key: "00u1", st: SCIMCreateState{ByUserName: &other},
			want: conflict(RuleR8, "userName", "ada@example.com")},
		{name: "R8/jit-owned match but userName held by another identity/conflict on userName, no adoption", key: "00u1",
			st:   SCIMCreateState{ByKey: &jitAda, ByUserName: &other},
			want: conflict(RuleR8, "userName", "ada@example.com")},
		{name: "R6/tombstoned key/creates the user again and clears the tombstone", key: "00u1", st: SCIMCreateState{Tombstone: tomb},
			want: SCIMDecision{Action: SCIMCreate, Rule: RuleR6, Event: EventUserCreated, ClearsTombstone: true}},
		{name: "R8/tombstoned key and userName taken/conflict, tombstone kept", key: "00u1", st: SCIMCreateState{Tombstone: tomb, ByUserName: &other},
			want: conflict(RuleR8, "userName", "ada@example.com")},
		{name: "R1/missing key/refused naming the matching attribute", key: "", st: SCIMCreateState{ByUserName: &jitAda},
			want: refusedSCIM(RuleR1, RefuseNoIdentity)},
	}
	var cases []struct {
		tc
		idp IdP
	}
	for _, m := range []Mode{ModeSCIM, ModeBoth} {
		for _, match := range []string{MatchExternalID, MatchUserName} {
			for _, c := range perMode {
				c.name = strings.Replace(c.name, "/", "/"+string(m)+"/match "+match+"/", 1)
				cases = append(cases, struct {
					tc
					idp IdP
				}{c, ruleIdP(m, func(p *IdP) { p.SCIMMatch = match })})
			}
		}
	}
	for _, c := range perMode {
		state := strings.Split(c.name, "/")[1]
		c.name = "R2/jit/" + state + "/refused, mode jit takes no SCIM"
		c.want = refusedSCIM(RuleR2, RefuseModeJIT)
		cases = append(cases, struct {
			tc
			idp IdP
		}{c, ruleIdP(ModeJIT)})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := in
			if c.in != nil {
				req = *c.in
			}
			got := DecideSCIMCreate(c.idp, c.st, c.key, req)
			if diff := cmp.Diff(c.want, got, cmpopts.IgnoreFields(SCIMDecision{}, "Reason")); diff != "" {
				t.Errorf("DecideSCIMCreate (-want +got):\n%s", diff)
			}
			if got.Reason == "" {
				t.Error("no reason for the event log (R12)")
			}
			if got.Action == SCIMRefuse && got.Rule == RuleR1 && !strings.Contains(got.Reason, c.idp.SCIMMatch) {
				t.Errorf("R1 refusal %q does not name the matching attribute %s", got.Reason, c.idp.SCIMMatch)
			}
		})
	}
}

func TestSCIMKey(t *testing.T) {
	u := User{UserName: " ada@example.com ", ExternalID: " 00u1 "}
	for _, c := range []struct {
		name  string
		match string
		u     User
		want  string
	}{
		{"R1/unset matching attribute means externalId", "", u, "00u1"},
		{"R1/externalId matching takes the trimmed externalId", MatchExternalID, u, "00u1"},
		{"R1/userName matching takes the trimmed userName", MatchUserName, u, "ada@example.com"},
		{"R1/externalId matching without externalId has no key", MatchExternalID, User{UserName: "ada"}, ""},
		{"R1/userName matching without userName has no key", MatchUserName, User{ExternalID: "00u1"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := SCIMKey(IdP{SCIMMatch: c.match}, c.u); got != c.want {
				t.Errorf("SCIMKey = %q, want %q", got, c.want)
			}
		})
	}
}

func TestDecideSCIMAccess(t *testing.T) {
	for _, c := range []struct {
		mode Mode
		want *Refusal
	}{
		{ModeJIT, &Refusal{Rule: "R2", Code: RefuseModeJIT}},
		{ModeSCIM, nil},
		{ModeBoth, nil},
	} {
		t.Run("R2/"+string(c.mode), func(t *testing.T) {
			got := DecideSCIMAccess(ruleIdP(c.mode))
			if diff := cmp.Diff(c.want, got, cmpopts.IgnoreFields(Refusal{}, "Reason")); diff != "" {
				t.Fatalf("DecideSCIMAccess (-want +got):\n%s", diff)
			}
			if got != nil && (!strings.Contains(got.Reason, `"okta"`) || !strings.Contains(got.Reason, "jit")) {
				t.Errorf("refusal %q should name the IdP and its mode", got.Reason)
			}
		})
	}
}

func TestDecideSCIMUpdate(t *testing.T) {
	byUserName := func(p *IdP) { p.SCIMMatch = MatchUserName }
	// deactivated is u as a SCIM deactivation at ruleNow stores it.
	deactivated := func(u User) User {
		u.Active, u.Owner, u.SessionsValidAfter = false, OwnerSCIM, ruleNow
		return u
	}
	scimOwned := func(u User) User { u.Owner = OwnerSCIM; return u }
	retitled := func(u User) User { u.Title = "Countess"; return u }
	for _, c := range []struct {
		name    string
		idp     IdP
		old, in User
		want    Decision
		invalid string // a part of the ErrInvalid message, when the update is invalid
	}{
		{name: "plain/scim-owned/a changed title is an update under no rule",
			idp: ruleIdP(ModeSCIM), old: ada(OwnerSCIM), in: retitled(ada(OwnerSCIM)),
			want: Decision{Event: EventUserUpdated, Changes: []string{"title"}, User: retitled(ada(OwnerSCIM))}},
		{name: "plain/scim-owned/the same user again changes nothing and has no event",
			idp: ruleIdP(ModeSCIM), old: ada(OwnerSCIM), in: ada(OwnerSCIM),
			want: Decision{User: ada(OwnerSCIM)}},
		{name: "R6/scim-owned/active → inactive deactivates and ends the sessions",
			idp: ruleIdP(ModeSCIM), old: ada(OwnerSCIM), in: ada(OwnerSCIM, inactive),
			want: Decision{Event: EventUserDeactivated, Rule: RuleR6, Changes: []string{"active"}, User: deactivated(ada(OwnerSCIM))}},
		{name: "plain/scim-owned/inactive → active reactivates under no rule",
			idp: ruleIdP(ModeSCIM), old: ada(OwnerSCIM, inactive), in: ada(OwnerSCIM),
			want: Decision{Event: EventUserReactivated, Changes: []string{"active"}, User: ada(OwnerSCIM)}},
		{name: "R5/jit-owned/an update adopts the user",
			idp: ruleIdP(ModeBoth), old: ada(OwnerJIT), in: retitled(ada(OwnerJIT)),
			want: Decision{Event: EventUserAdopted, Rule: RuleR5, Changes: []string{"title", "owner"}, User: scimOwned(retitled(ada(OwnerJIT)))}},
		{name: "R5/jit-owned/even an update that asks for nothing adopts the user",
			idp: ruleIdP(ModeBoth), old: ada(OwnerJIT), in: ada(OwnerJIT),
			want: Decision{Event: EventUserAdopted, Rule: RuleR5, Changes: []string{"owner"}, User: scimOwned(ada(OwnerJIT))}},
		{name: "R5/inactive jit-owned/a reactivation adopts the user",
			idp: ruleIdP(ModeBoth), old: ada(OwnerJIT, inactive), in: ada(OwnerJIT),
			want: Decision{Event: EventUserAdopted, Rule: RuleR5, Changes: []string{"active", "owner"}, User: scimOwned(ada(OwnerJIT))}},
		{name: "R6/jit-owned/a deactivation adopts and is recorded as the deactivation",
			idp: ruleIdP(ModeBoth), old: ada(OwnerJIT), in: ada(OwnerJIT, inactive),
			want: Decision{Event: EventUserDeactivated, Rule: RuleR6, Changes: []string{"active", "owner"}, User: deactivated(ada(OwnerJIT))}},
		{name: "R1/externalId matching/a new externalId moves the identity",
			idp: ruleIdP(ModeSCIM), old: ada(OwnerSCIM), in: ada(OwnerSCIM, func(u *User) { u.ExternalID = "00u2" }),
			want: Decision{Event: EventUserUpdated, Changes: []string{"externalId", "uniqueUserId"},
				User: ada(OwnerSCIM, func(u *User) { u.ExternalID, u.UniqueUserID = "00u2", "00u2" })}},
		{name: "R1/userName matching/a new userName moves the identity",
			idp: ruleIdP(ModeSCIM, byUserName), old: ada(OwnerSCIM, func(u *User) { u.UniqueUserID = "ada@example.com" }),
			in: ada(OwnerSCIM, func(u *User) { u.UserName, u.UniqueUserID = "augusta@example.com", "ada@example.com" }),
			want: Decision{Event: EventUserUpdated, Changes: []string{"userName", "uniqueUserId"},
				User: ada(OwnerSCIM, func(u *User) { u.UserName, u.UniqueUserID = "augusta@example.com", "augusta@example.com" })}},
		{name: "R1/externalId matching/removing the externalId of a keyed user is invalid",
			idp: ruleIdP(ModeSCIM), old: ada(OwnerSCIM), in: ada(OwnerSCIM, func(u *User) { u.ExternalID = " " }),
			invalid: "cannot be removed (R1)"},
		{name: "R1/externalId matching/a user SCIM never keyed keeps its identity without an externalId",
			idp: ruleIdP(ModeBoth), old: ada(OwnerJIT, func(u *User) { u.ExternalID = "" }),
			in:   ada(OwnerJIT, func(u *User) { u.ExternalID, u.UniqueUserID = "", "forged" }),
			want: Decision{Event: EventUserAdopted, Rule: RuleR5, Changes: []string{"owner"}, User: scimOwned(ada(OwnerJIT, func(u *User) { u.ExternalID = "" }))}},
		{name: "plain/scim-owned/an empty userName is invalid",
			idp: ruleIdP(ModeSCIM), old: ada(OwnerSCIM), in: ada(OwnerSCIM, func(u *User) { u.UserName = " " }),
			invalid: "userName is required"},
		{name: "plain/scim-owned/what the server keeps is kept whatever the request says",
			idp: ruleIdP(ModeSCIM), old: ada(OwnerSCIM),
			in: ada(OwnerAdmin, func(u *User) {
				u.ID, u.IdP, u.Meta, u.LastLoginAt, u.SessionsValidAfter = "u-forged", "other", Meta{Version: 99}, ruleNow, ruleNow
			}),
			want: Decision{User: ada(OwnerSCIM)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := c.old.Clone()
			got, err := DecideSCIMUpdate(c.idp, c.old, c.in, ruleNow)
			if c.invalid != "" {
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.invalid) {
					t.Fatalf("err %v, want ErrInvalid saying %q", err, c.invalid)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got, cmpopts.IgnoreFields(Decision{}, "Reason"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("DecideSCIMUpdate (-want +got):\n%s", diff)
			}
			if got.Rule != "" && got.Reason == "" {
				t.Error("a decision under a rule gives no reason for the event log (R12)")
			}
			if diff := cmp.Diff(before, c.old); diff != "" {
				t.Errorf("DecideSCIMUpdate changed the stored user it was given (-before +after):\n%s", diff)
			}
		})
	}
}

func TestDecideSCIMDelete(t *testing.T) {
	for _, c := range []struct {
		name          string
		u             User
		wantTombstone bool
	}{
		{"R6/keyed user/deleted and its key tombstoned", ada(OwnerSCIM), true},
		{"R6/jit-owned keyed user/deleted and its key tombstoned", ada(OwnerJIT), true},
		{"R6/user without identity/deleted, no key to tombstone", ada(OwnerAdmin, noIdentity), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := DecideSCIMDelete(c.u)
			want := Decision{Event: EventUserDeleted, Rule: RuleR6, Tombstone: c.wantTombstone}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Decision{}, "Reason")); diff != "" {
				t.Errorf("DecideSCIMDelete (-want +got):\n%s", diff)
			}
			if !strings.Contains(got.Reason, "sessions end") || !strings.Contains(got.Reason, "tombstoned") {
				t.Errorf("reason %q should say that the sessions end and the key is tombstoned", got.Reason)
			}
		})
	}
}

func TestDecideAdminDeactivation(t *testing.T) {
	off := ada(OwnerSCIM, func(u *User) { u.Active, u.SessionsValidAfter = false, ruleNow })
	for _, c := range []struct {
		name string
		u    User
		want Decision
	}{
		{"R6/active user/deactivated, its sessions end", ada(OwnerSCIM),
			Decision{Event: EventUserDeactivated, Rule: RuleR6, Changes: []string{"active"}, User: off}},
		{"R6/active jit-owned user/deactivated, owner kept", ada(OwnerJIT),
			Decision{Event: EventUserDeactivated, Rule: RuleR6, Changes: []string{"active"},
				User: ada(OwnerJIT, func(u *User) { u.Active, u.SessionsValidAfter = false, ruleNow })}},
		{"R6/inactive user/stays as it is, no event", ada(OwnerSCIM, inactive),
			Decision{User: ada(OwnerSCIM, inactive)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := DecideAdminDeactivation(c.u, ruleNow)
			if diff := cmp.Diff(c.want, got, cmpopts.IgnoreFields(Decision{}, "Reason")); diff != "" {
				t.Errorf("DecideAdminDeactivation (-want +got):\n%s", diff)
			}
			if got.Event != "" && !strings.Contains(got.Reason, "administrator") {
				t.Errorf("reason %q should name the administrator", got.Reason)
			}
		})
	}
}

func TestDecideTombstoneClear(t *testing.T) {
	got := DecideTombstoneClear()
	if got.Event != EventTombstoneClear || got.Rule != RuleR6 || !strings.Contains(got.Reason, "sign in again") {
		t.Errorf("DecideTombstoneClear = %+v, want a %s event under R6 saying the key may sign in again", got, EventTombstoneClear)
	}
}

func TestDecideUnknownIdP(t *testing.T) {
	got := DecideUnknownIdP("nope")
	if got.Rule != RuleR1 || got.Code != RefuseUnknownIdP || !strings.Contains(got.Reason, "nope") {
		t.Errorf("DecideUnknownIdP = %+v, want an R1 refusal %s naming the IdP", got, RefuseUnknownIdP)
	}
}

func TestLoginDecisionEventType(t *testing.T) {
	for action, want := range map[LoginAction]string{
		LoginCreate: EventUserCreated,
		LoginUpdate: EventUserLogin,
		LoginLink:   EventUserLinked,
		LoginRefuse: EventLoginRefused,
	} {
		if got := (LoginDecision{Action: action}).EventType(); got != want {
			t.Errorf("%s: event type %q, want %q", action, got, want)
		}
	}
}

func TestDecideModePreview(t *testing.T) {
	tomb := &Tombstone{IdP: "okta", UniqueUserID: "00u9", UserID: "u-gone", DeletedAt: earlier}
	jitAda, scimAda := ada(OwnerJIT), ada(OwnerSCIM)
	jitOff, scimOff := ada(OwnerJIT, inactive), ada(OwnerSCIM, inactive)
	for _, c := range []struct {
		name     string
		from, to Mode
		st       LoginState
		want     ModePreviewDecision
	}{
		{"R5/jit → both: an active JIT user keeps signing in and is adopted later", ModeJIT, ModeBoth,
			LoginState{ByKey: &jitAda}, ModePreviewDecision{Outcome: ModeAdoptedLater, Rule: RuleR5}},
		{"R5/jit → scim: an active JIT user keeps signing in and is adopted later", ModeJIT, ModeSCIM,
			LoginState{ByKey: &jitAda}, ModePreviewDecision{Outcome: ModeAdoptedLater, Rule: RuleR5}},
		{"R4/jit → both: a JIT user that SCIM adopted keeps working", ModeJIT, ModeBoth,
			LoginState{ByKey: &scimAda}, ModePreviewDecision{Outcome: ModeKeepsWorking, Rule: RuleR4}},
		{"R11/scim → jit: a SCIM-owned user keeps working and logins update it", ModeSCIM, ModeJIT,
			LoginState{ByKey: &scimAda}, ModePreviewDecision{Outcome: ModeKeepsWorking, Rule: RuleR11}},
		{"R2/both → jit: a JIT user keeps working", ModeBoth, ModeJIT,
			LoginState{ByKey: &jitAda}, ModePreviewDecision{Outcome: ModeKeepsWorking, Rule: RuleR2}},
		{"R6/scim → jit: a user SCIM deactivated stays refused", ModeSCIM, ModeJIT,
			LoginState{ByKey: &scimOff}, ModePreviewDecision{Outcome: ModeStaysRefused, Rule: RuleR6}},
		{"R3/jit → scim: a deactivated JIT user stays refused", ModeJIT, ModeSCIM,
			LoginState{ByKey: &jitOff}, ModePreviewDecision{Outcome: ModeStaysRefused, Rule: RuleR3}},
		{"R6/jit → scim: a tombstoned key could no longer sign in", ModeJIT, ModeSCIM,
			LoginState{Tombstone: tomb}, ModePreviewDecision{Outcome: ModeNoLongerSignsIn, Rule: RuleR6}},
		{"R6/jit → both: a tombstoned key could no longer sign in", ModeJIT, ModeBoth,
			LoginState{Tombstone: tomb}, ModePreviewDecision{Outcome: ModeNoLongerSignsIn, Rule: RuleR6}},
		{"R2/scim → jit: a tombstoned key could sign in again", ModeSCIM, ModeJIT,
			LoginState{Tombstone: tomb}, ModePreviewDecision{Outcome: ModeSignsInAgain, Rule: RuleR2}},
		{"R6/scim → both: a tombstoned key stays refused", ModeSCIM, ModeBoth,
			LoginState{Tombstone: tomb}, ModePreviewDecision{Outcome: ModeStaysRefused, Rule: RuleR6}},
		{"R3/jit → scim: someone without a user could no longer sign in", ModeJIT, ModeSCIM,
			LoginState{}, ModePreviewDecision{Outcome: ModeNoLongerSignsIn, Rule: RuleR3}},
		{"R4/scim → both: someone without a user could sign in again", ModeSCIM, ModeBoth,
			LoginState{}, ModePreviewDecision{Outcome: ModeSignsInAgain, Rule: RuleR4}},
		{"R4/jit → both: someone without a user keeps being created at sign-in", ModeJIT, ModeBoth,
			LoginState{}, ModePreviewDecision{Outcome: ModeKeepsWorking, Rule: RuleR4}},
		{"R3/scim → scim: the same mode changes nothing", ModeSCIM, ModeSCIM,
			LoginState{ByKey: &scimAda}, ModePreviewDecision{Outcome: ModeKeepsWorking, Rule: RuleR3}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := c.st
			got := DecideModePreview(ruleIdP(c.from), c.to, c.st, ruleNow)
			if diff := cmp.Diff(c.want, got, cmpopts.IgnoreFields(ModePreviewDecision{}, "Reason")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got.Reason == "" {
				t.Error("no reason")
			}
			if diff := cmp.Diff(before, c.st); diff != "" {
				t.Errorf("the preview changed its input:\n%s", diff)
			}
		})
	}
}

func TestDecideAdminReactivation(t *testing.T) {
	jitIdP, scimIdP, bothIdP := ruleIdP(ModeJIT), ruleIdP(ModeSCIM), ruleIdP(ModeBoth)
	for _, c := range []struct {
		name    string
		idp     *IdP
		user    User
		refused bool
	}{
		{"R6/jit: a deactivated JIT user is reactivated", &jitIdP, ada(OwnerJIT, inactive), false},
		{"R6/both: a deactivated JIT user is reactivated", &bothIdP, ada(OwnerJIT, inactive), false},
		{"R6/jit: a SCIM-owned user kept from an earlier mode is reactivated", &jitIdP, ada(OwnerSCIM, inactive), false},
		{"R6/scim: a user SCIM provisions is the connector's to reactivate", &scimIdP, ada(OwnerSCIM, inactive), true},
		{"R6/both: a user SCIM provisions is the connector's to reactivate", &bothIdP, ada(OwnerSCIM, inactive), true},
		{"R6/no IdP: an administrator's user is reactivated", nil, ada(OwnerAdmin, inactive, noIdentity), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, r := DecideAdminReactivation(c.idp, c.user)
			if c.refused {
				if r == nil || r.Rule != RuleR6 || r.Code != RefuseSCIMOwned || !strings.Contains(r.Reason, "reactivate it in the IdP") {
					t.Fatalf("refusal %+v, want R6 %s telling to reactivate in the IdP", r, RefuseSCIMOwned)
				}
				if d.Event != "" {
					t.Errorf("a refusal with a decision: %+v", d)
				}
				return
			}
			if r != nil {
				t.Fatalf("refused: %+v", r)
			}
			want := c.user.Clone()
			want.Active = true
			if diff := cmp.Diff(Decision{Event: EventUserReactivated, Rule: RuleR6, Changes: []string{"active"}, User: want}, d,
				cmpopts.IgnoreFields(Decision{}, "Reason")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if !d.User.SessionsValidAfter.Equal(c.user.SessionsValidAfter) {
				t.Error("reactivation moved the sessions' cut-off")
			}
		})
	}
	if d, r := DecideAdminReactivation(&jitIdP, ada(OwnerJIT)); r != nil || d.Event != "" {
		t.Errorf("an active user: %+v %+v, want nothing to do", d, r)
	}
}

func TestDecideAdminDelete(t *testing.T) {
	jitIdP, scimIdP, bothIdP := ruleIdP(ModeJIT), ruleIdP(ModeSCIM), ruleIdP(ModeBoth)
	for _, c := range []struct {
		name      string
		idp       *IdP
		user      User
		tombstone bool
		says      []string
	}{
		{"R6/scim: a SCIM user's key is tombstoned, and the connector's next update answers 404", &scimIdP, ada(OwnerSCIM), true,
			[]string{"tombstoned", "refused until SCIM creates the user again", "404"}},
		{"R6/both: a JIT user's key is tombstoned", &bothIdP, ada(OwnerJIT), true, []string{"tombstoned", "refused"}},
		{"R6/jit: the key is tombstoned, but mode jit does not enforce it", &jitIdP, ada(OwnerJIT), true,
			[]string{"mode jit", "does not enforce", "creates a new user"}},
		{"R6/no identity: nothing to tombstone", nil, ada(OwnerAdmin, noIdentity), false, []string{"no key is tombstoned"}},
		{"R6/IdP gone: nothing to tombstone", nil, ada(OwnerJIT), false, []string{"no key is tombstoned"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := DecideAdminDelete(c.idp, c.user)
			if d.Event != EventUserDeleted || d.Rule != RuleR6 || d.Tombstone != c.tombstone {
				t.Errorf("decision %+v, want %s by R6 with tombstone %v", d, EventUserDeleted, c.tombstone)
			}
			for _, s := range c.says {
				if !strings.Contains(d.Reason, s) {
					t.Errorf("reason %q does not say %q", d.Reason, s)
				}
			}
		})
	}
}

func TestDecideModeChange(t *testing.T) {
	for _, c := range []struct {
		name     string
		from, to Mode
		contains []string
	}{
		{"R11/jit → both keeps JIT users until SCIM adopts them", ModeJIT, ModeBoth, []string{"jit → both", "3 JIT-created users are kept", "R5"}},
		{"R11/jit → scim keeps JIT users until SCIM adopts them", ModeJIT, ModeSCIM, []string{"jit → scim", "3 JIT-created users are kept"}},
		{"R11/scim → jit keeps SCIM-owned users, logins may update them", ModeSCIM, ModeJIT, []string{"scim → jit", "5 SCIM-owned users are kept", "logins may now update"}},
		{"R11/both → jit keeps SCIM-owned users", ModeBoth, ModeJIT, []string{"both → jit", "5 SCIM-owned users are kept"}},
		{"R11/scim → both keeps all users", ModeSCIM, ModeBoth, []string{"scim → both", "all users are kept"}},
		{"R11/both → scim keeps all users", ModeBoth, ModeSCIM, []string{"both → scim", "all users are kept"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := DecideModeChange(c.from, c.to, 3, 5)
			want := Decision{Event: EventIdPModeChanged, Rule: RuleR11, Changes: []string{"mode"}}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Decision{}, "Reason")); diff != "" {
				t.Errorf("DecideModeChange(%s, %s) (-want +got):\n%s", c.from, c.to, diff)
			}
			for _, s := range c.contains {
				if !strings.Contains(got.Reason, s) {
					t.Errorf("DecideModeChange(%s, %s) = %q, want it to say %q", c.from, c.to, got.Reason, s)
				}
			}
		})
	}
	for _, m := range []Mode{ModeJIT, ModeSCIM, ModeBoth} {
		if got := DecideModeChange(m, m, 3, 5); got.Event != "" {
			t.Errorf("DecideModeChange(%s, %s) = %+v, want no mode change", m, m, got)
		}
	}
}

func TestDecideEmailDomains(t *testing.T) {
	acme := func(policy string) Organization {
		return Organization{ID: "acme", EmailDomains: policy, Domains: []Domain{
			{Domain: "acme.example", Verified: true},
			{Domain: "claimed.example"}, // claimed, never verified
		}}
	}
	cases := []struct {
		name   string
		org    Organization
		emails []string
		// refused names the domain the refusal must name; "" means allowed.
		refused string
	}{
		{"R13 any: every domain is accepted", acme(EmailDomainsAny), []string{"ada@elsewhere.example"}, ""},
		{"R13 any is the default policy", acme(""), []string{"ada@elsewhere.example"}, ""},
		{"R13 verified: an email of a verified domain", acme(EmailDomainsVerified), []string{"ada@acme.example"}, ""},
		{"R13 verified: the domain compares case-insensitively", acme(EmailDomainsVerified), []string{"Ada@ACME.Example"}, ""},
		{"R13 verified: no email, nothing to refuse", acme(EmailDomainsVerified), nil, ""},
		{"R13 verified: empty values are no emails", acme(EmailDomainsVerified), []string{"", "  "}, ""},
		{"R13 verified: another domain is refused", acme(EmailDomainsVerified), []string{"ada@elsewhere.example"}, "elsewhere.example"},
		{"R13 verified: a claimed but unverified domain is refused", acme(EmailDomainsVerified), []string{"ada@claimed.example"}, "claimed.example"},
		{"R13 verified: a subdomain of a verified domain is another domain", acme(EmailDomainsVerified), []string{"ada@eu.acme.example"}, "eu.acme.example"},
		{"R13 verified: one email outside among good ones is refused", acme(EmailDomainsVerified),
			[]string{"ada@acme.example", "ada@gmail.example", "a@acme.example"}, "gmail.example"},
		{"R13 verified: an email without a domain is refused", acme(EmailDomainsVerified), []string{"ada"}, "ada"},
		{"R13 verified: an organization with no verified domain accepts no email", Organization{ID: "new", EmailDomains: EmailDomainsVerified},
			[]string{"ada@acme.example"}, "acme.example"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := DecideEmailDomains(c.org, c.emails)
			if c.refused == "" {
				if r != nil {
					t.Fatalf("refused: %+v", r)
				}
				return
			}
			if r == nil {
				t.Fatalf("allowed; want a refusal naming %q", c.refused)
			}
			if r.Rule != RuleR13 || r.Code != RefuseEmailDomain || !strings.Contains(r.Reason, `"`+c.refused) {
				t.Errorf("refusal %+v; want rule R13, code %s and a reason naming %q", r, RefuseEmailDomain, c.refused)
			}
		})
	}
}
