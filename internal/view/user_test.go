package view_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/view"
	"github.com/rosterhq/roster/storage/bolt"
)

// TestUserJSON pins the user's JSON shape, field by field and in order: it is the contract of
// GET /admin/api/v1/users/{id} and GET /api/v1/me alike.
func TestUserJSON(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	n := 0
	svc := directory.New(st, directory.WithClock(func() time.Time { return now }),
		directory.WithIDs(func() string { n++; return fmt.Sprintf("id-%d", n) }))
	ctx := t.Context()
	if _, err := svc.CreateIdP(ctx, "admin:test", directory.IdP{ID: "okta", Protocol: directory.ProtocolSAML, Mode: directory.ModeBoth}); err != nil {
		t.Fatal(err)
	}
	bare, err := svc.SCIMCreateUser(ctx, directory.SCIMActor{IdP: "okta", TokenID: "t"},
		directory.User{UserName: "bare@example.com", ExternalID: "00u-bare", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	full, err := svc.Login(ctx, directory.Login{IdP: "okta", UniqueUserID: "00u-ann", Email: "ann@example.com",
		FirstName: "Ann", LastName: "Lee", Groups: []string{"Engineering"}, GroupsAsserted: true})
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		user directory.User
		want string
	}{
		{"no emails, groups or login: empty lists and a null time", bare,
			`{"id":"` + bare.ID + `","userName":"bare@example.com","displayName":"","name":{"givenName":"","familyName":""},` +
				`"emails":[],"active":true,"org":"default","idp":"okta","uniqueUserId":"00u-bare","externalId":"00u-bare","owner":"scim",` +
				`"groups":[],"lastLoginAt":null,` +
				`"meta":{"created":"2025-03-04T05:06:07Z","lastModified":"2025-03-04T05:06:07Z","version":1}}`},
		{"signed in through JIT, member of a group", full,
			`{"id":"` + full.ID + `","userName":"ann@example.com","displayName":"Ann Lee","name":{"givenName":"Ann","familyName":"Lee"},` +
				`"emails":[{"value":"ann@example.com","type":"work","primary":true}],"active":true,"org":"default","idp":"okta","uniqueUserId":"00u-ann","externalId":"00u-ann","owner":"jit",` +
				`"groups":[{"id":"` + groupID(t, svc, "Engineering") + `","displayName":"Engineering"}],"lastLoginAt":"2025-03-04T05:06:07Z",` +
				`"meta":{"created":"2025-03-04T05:06:07Z","lastModified":"2025-03-04T05:06:07Z","version":1}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var v view.User
			if err := svc.View(ctx, func(tx directory.ReadTx) error {
				var err error
				v, err = view.UserOf(tx, tc.user)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("JSON\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

// groupID finds the id of the group named name.
func groupID(t *testing.T, svc *directory.Service, name string) string {
	t.Helper()
	var id string
	if err := svc.View(t.Context(), func(tx directory.ReadTx) error {
		return tx.ScanGroups(directory.ScanQuery{}, func(g directory.Group) error {
			if g.DisplayName == name {
				id = g.ID
			}
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	if id == "" {
		t.Fatalf("no group %q", name)
	}
	return id
}
