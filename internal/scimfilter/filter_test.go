package scimfilter

import (
	"errors"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
)

func sampleUser() directory.User {
	return directory.User{
		ID:          "2819c223-7f76-453a-919d-413861904646",
		UserName:    "BJensen@example.com",
		DisplayName: "Babs Jensen",
		Name:        directory.Name{GivenName: "Barbara", FamilyName: "Jensen"},
		Title:       "Tour Guide",
		Active:      true,
		ExternalID:  "ExtId-42",
		Emails: []directory.MultiValue{
			{Value: "bjensen@example.com", Type: "work", Primary: true},
			{Value: "babs@jensen.org", Type: "home"},
		},
		Enterprise: directory.Enterprise{EmployeeNumber: "701984", ManagerID: "m-1"},
		IdP:        "okta", UniqueUserID: "00u1", Owner: directory.OwnerSCIM,
		Meta: directory.Meta{
			Created:      time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
			LastModified: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC),
			Version:      7,
		},
	}
}

func TestMatchUser(t *testing.T) {
	u := sampleUser()
	extra := map[string]string{"idp": u.IdP, "uniqueUserId": u.UniqueUserID, "owner": string(u.Owner)}
	cases := []struct {
		filter string
		want   bool
	}{
		{`userName eq "bjensen@example.com"`, true},
		{`USERNAME EQ "BJENSEN@EXAMPLE.COM"`, true},
		{`username Eq "bjensen@example.com"`, true},
		{`userName eq "other"`, false},
		{`userName ne "other"`, true},
		{`userName ne "bjensen@example.com"`, false},
		{`userName co "jensen"`, true},
		{`userName sw "bj"`, true},
		{`userName sw "jensen"`, false},
		{`userName ew "EXAMPLE.COM"`, true},
		{`title pr`, true},
		{`nickName pr`, false},
		{`userName gt "a"`, true},
		{`userName lt "a"`, false},
		{`userName ge "bjensen@example.com"`, true},
		{`userName le "bjensen@example.com"`, true},
		{`id eq "2819c223-7f76-453a-919d-413861904646"`, true},
		{`externalId eq "extid-42"`, false}, // case-exact
		{`externalId eq "ExtId-42"`, true},
		{`active eq true`, true},
		{`active eq false`, false},
		{`name.familyName eq "jensen"`, true},
		{`name.givenName sw "Bar" and name.familyName eq "Jensen"`, true},
		{`name.givenName sw "X" or name.familyName eq "Jensen"`, true},
		{`name.givenName sw "X" and name.familyName eq "Jensen"`, false},
		{`not (userName eq "x")`, true},
		{`not(userName eq "bjensen@example.com")`, false},
		{`(userName eq "x" or userName eq "y") and active eq true`, false},
		{`userName eq "x" or userName eq "y" and active eq true`, false},
		{`userName eq "bjensen@example.com" or userName eq "y" and active eq false`, true}, // and binds tighter
		{`emails eq "babs@jensen.org"`, true},
		{`emails.value eq "BABS@jensen.org"`, true},
		{`emails co "jensen.org"`, true},
		{`emails[type eq "work" and value co "@example.com"]`, true},
		{`emails[type eq "home" and primary eq true]`, false},
		{`emails[type eq "work" and primary eq true]`, true},
		{`emails[type eq "work"].value eq "bjensen@example.com"`, true},
		{`emails[type eq "work"].value eq "babs@jensen.org"`, false},
		{`emails[not (type eq "work")]`, true},
		{`emails.type eq "home"`, true},
		{`meta.created gt "2024-01-01T00:00:00Z"`, true},
		{`meta.created lt "2024-01-01T00:00:00Z"`, false},
		{`meta.lastModified ge "2024-06-01T00:00:00Z"`, true},
		{`meta.version eq "W/\"7\""`, true},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bjensen@example.com"`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"`, true},
		{`employeeNumber eq "701984"`, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m-1"`, true},
		{`urn:example:other:1.0:User:userName eq "bjensen@example.com"`, false},
		{`nickName eq null`, true},
		{`title eq null`, false},
		{`active gt 3`, false},
		{`idp eq "okta"`, true},
		{`uniqueUserId eq "00u1"`, true},
		{`owner eq "scim" and idp eq "okta"`, true},
		{`owner eq "jit"`, false},
		{`userName eq "a \"quoted\" name"`, false},
	}
	for _, c := range cases {
		t.Run(c.filter, func(t *testing.T) {
			e, err := Parse(c.filter)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := MatchUser(e, u, extra); got != c.want {
				t.Errorf("MatchUser = %v, want %v (parsed as %s)", got, c.want, e)
			}
		})
	}
}

func TestMatchGroup(t *testing.T) {
	g := directory.Group{ID: "g1", DisplayName: "Engineering", Members: []string{"U-1", "u-2"}}
	cases := []struct {
		filter string
		want   bool
	}{
		{`displayName eq "engineering"`, true},
		{`members[value eq "U-1"]`, true},
		{`members[value eq "u-1"]`, false}, // ids are case-exact
		{`members.value eq "u-2"`, true},
		{`members pr`, true},
		{`externalId pr`, false},
	}
	for _, c := range cases {
		e, err := Parse(c.filter)
		if err != nil {
			t.Fatalf("Parse(%s): %v", c.filter, err)
		}
		if got := MatchGroup(e, g, nil); got != c.want {
			t.Errorf("MatchGroup(%s) = %v, want %v", c.filter, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, s := range []string{
		``, `   `, `userName`, `userName xx "a"`, `userName eq`, `userName eq "unterminated`,
		`userName eq bare`, `(userName eq "a"`, `userName eq "a")`, `emails[type eq "work"`,
		`userName eq "a" and`, `not userName eq "a"`, `userName eq "a" garbage`, `1abc eq "x"`,
		`name..givenName eq "x"`, `urn:foo: eq "x"`, `name.givenName[value eq "x"]`,
	} {
		_, err := Parse(s)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) = %v, want a *SyntaxError", s, err)
		}
	}
}

func TestParseDepthLimit(t *testing.T) {
	s := ""
	for range 200 {
		s += "("
	}
	s += `userName eq "a"`
	for range 200 {
		s += ")"
	}
	if _, err := Parse(s); err == nil {
		t.Fatal("a filter nested 200 deep parsed; want an error rather than unbounded recursion")
	}
}

func TestIndexedEquality(t *testing.T) {
	cases := []struct {
		filter      string
		attr, value string
		ok          bool
	}{
		{`userName eq "Bob"`, "username", "Bob", true},
		{`UserName EQ "Bob"`, "username", "Bob", true},
		{`externalId eq "x" and active eq true`, "externalid", "x", true},
		{`active eq true and id eq "i"`, "id", "i", true},
		{`emails[type eq "work"].value eq "a@b"`, "emails.value", "a@b", true},
		{`emails[value eq "a@b" and type eq "work"]`, "emails.value", "a@b", true},
		{`emails.value eq "a@b"`, "emails.value", "a@b", true},
		{`displayName eq "Eng"`, "displayname", "Eng", true},
		{`userName eq "a" or userName eq "b"`, "", "", false},
		{`userName ne "a"`, "", "", false},
		{`not (userName eq "a")`, "", "", false},
		{`userName sw "a"`, "", "", false},
	}
	for _, c := range cases {
		e, err := Parse(c.filter)
		if err != nil {
			t.Fatalf("Parse(%s): %v", c.filter, err)
		}
		attr, value, ok := IndexedEquality(e)
		if attr != c.attr || value != c.value || ok != c.ok {
			t.Errorf("IndexedEquality(%s) = %q %q %v, want %q %q %v", c.filter, attr, value, ok, c.attr, c.value, c.ok)
		}
	}
}

func TestParsePath(t *testing.T) {
	cases := []struct{ in, want string }{
		{`userName`, `userName`},
		{`name.givenName`, `name.givenName`},
		{`emails[type eq "work"].value`, `emails[type eq "work"].value`},
		{`members[value eq "abc"]`, `members[value eq "abc"]`},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`},
	}
	for _, c := range cases {
		p, err := ParsePath(c.in)
		if err != nil {
			t.Fatalf("ParsePath(%s): %v", c.in, err)
		}
		if p.String() != c.want {
			t.Errorf("ParsePath(%s) = %s", c.in, p)
		}
	}
	for _, bad := range []string{``, `emails[type eq "work"`, `emails[type eq]`, `a b`, `emails[type eq "x"]x`} {
		if _, err := ParsePath(bad); err == nil {
			t.Errorf("ParsePath(%q) succeeded, want an error", bad)
		}
	}
}
