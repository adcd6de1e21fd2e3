package bolt

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
)

func scanUsers() []directory.User {
	now := time.Date(2026, 11, 30, 1, 2, 3, 4, time.UTC)
	base := directory.User{ID: "u1", UserName: "ann@example.com", Active: true, Org: "acme", IdP: "okta", UniqueUserID: "00u1",
		Owner: directory.OwnerSCIM, Meta: directory.Meta{Created: now, LastModified: now, Version: 3}}
	var out []directory.User
	for i, change := range []func(u *directory.User){
		func(u *directory.User) {},
		func(u *directory.User) { u.Active, u.Org, u.IdP, u.Owner = false, "", "", directory.OwnerAdmin },
		func(u *directory.User) {
			u.Name = directory.Name{GivenName: `Ann "the" \ Bee`, FamilyName: "Ünïcödé 名前", Formatted: "}{][,:"}
			u.DisplayName = "\u2028 \x01 tab\t"
			u.Emails = []directory.MultiValue{{Value: "a@example.com", Type: "work", Primary: true}, {Value: "b@example.com"}}
			u.Enterprise.Department = `{"active":false,"org":"x"}`
			u.Enterprise.ManagerID = "m1"
		},
		func(u *directory.User) { u.Org, u.IdP = "org-ü", "idp \"quoted\"" }, // escapes: encoding/json decodes these
		func(u *directory.User) {
			u.Owner = directory.OwnerJIT
			u.Roles = []directory.MultiValue{{Value: "admin", Primary: true}}
		},
	} {
		u := base
		u.ID = fmt.Sprint("u", i)
		change(&u)
		out = append(out, u)
	}
	return out
}

// TestScanUserStateReadsWhatJSONReads: every document json.Marshal writes of a user is read,
// and read as encoding/json reads it, unless a wanted value holds an escape or non-ASCII
// byte, where it gives up for encoding/json.
func TestScanUserStateReadsWhatJSONReads(t *testing.T) {
	for _, u := range scanUsers() {
		raw, err := json.Marshal(u)
		if err != nil {
			t.Fatal(err)
		}
		var want stateFields
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		org, idp, owner, active, ok := scanUserState(raw)
		if !ok {
			if u.ID != "u3" { // the one with escaped values
				t.Errorf("%s: gave up on %s", u.ID, raw)
			}
			continue
		}
		if got := (stateFields{org, idp, owner, active}); got != want {
			t.Errorf("%s: read %+v, encoding/json %+v, from %s", u.ID, got, want, raw)
		}
	}
}

// FuzzScanUserState: wherever scanUserState and encoding/json both read a document, they read
// the same four fields.
func FuzzScanUserState(f *testing.F) {
	for _, u := range scanUsers() {
		raw, _ := json.Marshal(u)
		f.Add(raw)
	}
	for _, s := range []string{`{}`, ` { "ORG" : "a" , "org":"b", "Active": true, "active": null } `, `{"idp":null,"owner":"x","x":[1,{"a":"}"}],"y":-1.5e3}`,
		`{"active":"true"}`, `{"org":1}`, `{"org":"a"`, `[]`, `{"a":{"b":[}}`, `{"active":tru}`, `{"ſ":1,"org":"\u0041"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		org, idp, owner, active, ok := scanUserState(raw)
		var want stateFields
		if !ok || json.Unmarshal(raw, &want) != nil {
			return
		}
		if got := (stateFields{org, idp, owner, active}); got != want {
			t.Errorf("read %+v, encoding/json %+v, from %q", got, want, raw)
		}
	})
}
