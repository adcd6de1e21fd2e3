package jit_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/jit"
)

func TestNewIdentity(t *testing.T) {
	persistent := jit.Subject{Value: "nameid-1", Persistent: true}
	transient := jit.Subject{Value: "_transient-9", Persistent: false}
	cases := []struct {
		name    string
		idp     directory.IdP
		subject jit.Subject
		claims  jit.Claims
		want    jit.Identity
		// warns is part of the key's warning, "" for none.
		warns string
	}{
		{
			name: "okta names of the set-up guide",
			idp:  directory.IdP{ID: "okta", Preset: "okta"},
			claims: jit.Claims{"uniqueUserId": {"00u1"}, "firstName": {"Ada"}, "lastName": {"Lovelace"},
				"email": {"ada@example.com"}, "groups": {"eng", "ops", "eng", " "}},
			want: jit.Identity{IdP: "okta", UniqueUserID: "00u1", FirstName: "Ada", LastName: "Lovelace",
				Email: "ada@example.com", Groups: []string{"eng", "ops"}, GroupsAsserted: true,
				KeySource: directory.KeyMapped, KeyAttribute: "uniqueUserId"},
		},
		{
			name:    "entra and pingone spell it userUniqueId",
			idp:     directory.IdP{ID: "entra", Preset: "entra"},
			subject: persistent,
			claims:  jit.Claims{"userUniqueId": {"0bj"}, "email": {"a@example.com"}},
			want: jit.Identity{IdP: "entra", UniqueUserID: "0bj", Email: "a@example.com", Groups: []string{},
				KeySource: directory.KeyMapped, KeyAttribute: "userUniqueId"},
		},
		{
			name: "entra's default claim URIs",
			idp:  directory.IdP{ID: "entra", Preset: "entra"},
			claims: jit.Claims{
				"http://schemas.microsoft.com/identity/claims/objectidentifier":      {"0bj-2"},
				"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname":    {"Grace"},
				"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname":      {"Hopper"},
				"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": {"grace@example.com"},
				"http://schemas.microsoft.com/ws/2008/06/identity/claims/groups":     {"g-1"},
			},
			want: jit.Identity{IdP: "entra", UniqueUserID: "0bj-2", FirstName: "Grace", LastName: "Hopper",
				Email: "grace@example.com", Groups: []string{"g-1"}, GroupsAsserted: true,
				KeySource: directory.KeyAlias, KeyAttribute: "http://schemas.microsoft.com/identity/claims/objectidentifier"},
		},
		{
			name:   "names match case-insensitively",
			idp:    directory.IdP{ID: "g"},
			claims: jit.Claims{"UNIQUEUSERID": {"k"}, "EMAIL": {"x@example.com"}, "Email_Verified": {"true"}},
			want: jit.Identity{IdP: "g", UniqueUserID: "k", Email: "x@example.com", EmailVerified: true, Groups: []string{},
				KeySource: directory.KeyMapped, KeyAttribute: "uniqueUserId"},
		},
		{
			name:    "no uniqueUserId attribute: the persistent NameID",
			idp:     directory.IdP{ID: "g"},
			subject: persistent,
			claims:  jit.Claims{"email": {"x@example.com"}},
			want: jit.Identity{IdP: "g", UniqueUserID: "nameid-1", Email: "x@example.com", Groups: []string{},
				KeySource: directory.KeyFallback},
			warns: "persistent SAML NameID stands in",
		},
		{
			name:    "no uniqueUserId and a transient NameID: no key, so the directory refuses (R1)",
			idp:     directory.IdP{ID: "g"},
			subject: transient,
			claims:  jit.Claims{"email": {"x@example.com"}},
			want:    jit.Identity{IdP: "g", Email: "x@example.com", Groups: []string{}},
			warns:   "NameID is not persistent",
		},
		{
			name:    "the IdP's mapping takes precedence over the preset's names",
			idp:     directory.IdP{ID: "g", Mapping: directory.Mapping{Email: "upn", FirstName: "fn", Groups: "roles"}},
			subject: persistent,
			claims: jit.Claims{"email": {"other@example.com"}, "upn": {"mapped@example.com"}, "fn": {"Mapped"},
				"firstName": {"Preset"}, "roles": {"r1"}, "groups": {"g1"}},
			want: jit.Identity{IdP: "g", UniqueUserID: "nameid-1", FirstName: "Mapped", Email: "mapped@example.com",
				Groups: []string{"r1"}, GroupsAsserted: true, KeySource: directory.KeyFallback},
			warns: `no "uniqueUserId" attribute arrived`,
		},
		{
			name:    "a custom uniqueUserId mapping never falls back to another attribute",
			idp:     directory.IdP{ID: "g", Mapping: directory.Mapping{UniqueUserID: "employeeNumber"}},
			subject: persistent,
			claims:  jit.Claims{"uniqueUserId": {"not-this"}},
			want:    jit.Identity{IdP: "g", UniqueUserID: "nameid-1", Groups: []string{}, KeySource: directory.KeyFallback},
			warns:   `no "employeeNumber" attribute arrived`,
		},
		{
			name:   "a custom uniqueUserId mapping is used when present",
			idp:    directory.IdP{ID: "g", Mapping: directory.Mapping{UniqueUserID: "employeeNumber"}},
			claims: jit.Claims{"uniqueUserId": {"not-this"}, "EmployeeNumber": {"E-7"}},
			want: jit.Identity{IdP: "g", UniqueUserID: "E-7", Groups: []string{},
				KeySource: directory.KeyMapped, KeyAttribute: "employeeNumber"},
		},
		{
			name:    "okta's OIDC sub is the user id SCIM sends: no warning",
			idp:     directory.IdP{ID: "o", Preset: "okta", Protocol: directory.ProtocolOIDC},
			subject: persistent,
			claims:  jit.Claims{"email": {"x@example.com"}},
			want: jit.Identity{IdP: "o", UniqueUserID: "nameid-1", Email: "x@example.com", Groups: []string{},
				KeySource: directory.KeyFallback},
		},
		{
			name:    "entra's OIDC sub is not the object id: a warning",
			idp:     directory.IdP{ID: "e", Preset: "entra", Protocol: directory.ProtocolOIDC, OIDC: directory.OIDCSettings{Scopes: []string{"profile"}}},
			subject: persistent,
			claims:  jit.Claims{"email": {"x@example.com"}},
			want: jit.Identity{IdP: "e", UniqueUserID: "nameid-1", Email: "x@example.com", Groups: []string{},
				KeySource: directory.KeyFallback},
			warns: `no "userUniqueId" attribute arrived, so the OIDC sub stands in`,
		},
		{
			name:    "an OIDC provider saved with empty scopes: the warning says which scope to ask for",
			idp:     directory.IdP{ID: "op", Protocol: directory.ProtocolOIDC, SCIMMatch: directory.MatchExternalID},
			subject: persistent,
			claims:  jit.Claims{"email": {"x@example.com"}},
			want: jit.Identity{IdP: "op", UniqueUserID: "nameid-1", Email: "x@example.com", Groups: []string{},
				KeySource: directory.KeyFallback},
			warns: `SCIM keys people by externalId, which most likely carries another value, so SCIM would not find this person and its create would conflict (409); the IdP's scopes are empty`,
		},
		{
			name:   "an empty groups attribute is asserted and empty",
			idp:    directory.IdP{ID: "g"},
			claims: jit.Claims{"uniqueUserId": {"k"}, "groups": {}},
			want: jit.Identity{IdP: "g", UniqueUserID: "k", Groups: []string{}, GroupsAsserted: true,
				KeySource: directory.KeyMapped, KeyAttribute: "uniqueUserId"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := jit.NewIdentity(tc.idp, tc.subject, tc.claims)
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreFields(jit.Identity{}, "KeyWarning")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if (tc.warns == "") != (got.KeyWarning == "") || !strings.Contains(got.KeyWarning, tc.warns) {
				t.Errorf("key warning %q, want one saying %q", got.KeyWarning, tc.warns)
			}
		})
	}
}

func TestIdentityLogin(t *testing.T) {
	id := jit.Identity{IdP: "okta", UniqueUserID: " 00u1 ", FirstName: " Ada", LastName: "L ", Email: " a@example.com ",
		EmailVerified: true, Groups: []string{"eng"}, GroupsAsserted: true}
	want := directory.Login{IdP: "okta", UniqueUserID: "00u1", FirstName: "Ada", LastName: "L", Email: "a@example.com",
		EmailVerified: true, Groups: []string{"eng"}, GroupsAsserted: true}
	if diff := cmp.Diff(want, id.Login()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestPresets(t *testing.T) {
	wantIDs := []string{"entra", "okta", "pingone", "google", "onelogin", "jumpcloud", "keycloak", "generic"}
	var ids []string
	for _, p := range jit.Presets() {
		ids = append(ids, p.ID)
		if p.Name == "" || p.UniqueUserIDSource == "" || p.SCIMMatchAdvice == "" || len(p.Protocols) == 0 {
			t.Errorf("preset %s is incomplete: %+v", p.ID, p)
		}
		for _, f := range []string{jit.FieldUniqueUserID, jit.FieldFirstName, jit.FieldLastName, jit.FieldEmail, jit.FieldGroups} {
			if len(p.Accepted[f]) == 0 {
				t.Errorf("preset %s accepts no name for %s", p.ID, f)
			}
		}
		// Both spellings of the set-up guides work with every preset (R1).
		for _, n := range []string{"uniqueUserId", "userUniqueId"} {
			got := jit.NewIdentity(directory.IdP{ID: "x", Preset: p.ID}, jit.Subject{}, jit.Claims{n: {"k"}})
			if got.UniqueUserID != "k" {
				t.Errorf("preset %s does not take uniqueUserId from %q", p.ID, n)
			}
		}
		// The names the preset tells the administrator to configure are accepted by it.
		m := p.Mapping
		got := jit.NewIdentity(directory.IdP{ID: "x", Preset: p.ID}, jit.Subject{}, jit.Claims{
			m.UniqueUserID: {"k"}, m.FirstName: {"F"}, m.LastName: {"L"}, m.Email: {"e@example.com"}, m.Groups: {"g"}})
		if got.UniqueUserID != "k" || got.FirstName != "F" || got.LastName != "L" || got.Email != "e@example.com" || len(got.Groups) != 1 {
			t.Errorf("preset %s does not accept its own mapping: %+v", p.ID, got)
		}
	}
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Errorf("preset ids (-want +got):\n%s", diff)
	}
	if p, ok := jit.PresetByID("Entra"); !ok || p.ID != "entra" {
		t.Errorf("PresetByID(Entra) = %v, %v", p.ID, ok)
	}
	if _, ok := jit.PresetByID("nope"); ok {
		t.Error("PresetByID(nope) found a preset")
	}
	// The catalogue is a copy: changing it does not change the next caller's view.
	ps := jit.Presets()
	ps[0].Accepted[jit.FieldEmail][0] = "changed"
	if jit.Presets()[0].Accepted[jit.FieldEmail][0] == "changed" {
		t.Error("Presets returns the catalogue itself")
	}
}
