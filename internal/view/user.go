package view

import (
	"time"

	"github.com/rosterhq/roster/directory"
)

// User is a user in the admin API's shape, which /api/v1/me shares.
type User struct {
	ID           string                 `json:"id"`
	UserName     string                 `json:"userName"`
	DisplayName  string                 `json:"displayName"`
	Name         Name                   `json:"name"`
	Emails       []directory.MultiValue `json:"emails"`
	Active       bool                   `json:"active"`
	Org          string                 `json:"org"`
	IdP          string                 `json:"idp"`
	UniqueUserID string                 `json:"uniqueUserId"`
	ExternalID   string                 `json:"externalId"`
	Owner        directory.Owner        `json:"owner"`
	Groups       []GroupRef             `json:"groups"`
	LastLoginAt  *time.Time             `json:"lastLoginAt"`
	Meta         directory.Meta         `json:"meta"`
}

// Name is the name part of User.
type Name struct {
	GivenName  string `json:"givenName"`
	FamilyName string `json:"familyName"`
}

// GroupRef names one group a user is a member of.
type GroupRef struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
}

// UserOf builds the view of u, reading its groups in tx. A membership whose group no longer
// exists is left out rather than failing the whole answer.
func UserOf(tx directory.ReadTx, u directory.User) (User, error) {
	groups, err := directory.UserGroups(tx, u.ID)
	return Of(u, groups), err
}

// UsersOf builds the views of users, reading their groups in one read (a statement on
// PostgreSQL, not one per user).
func UsersOf(tx directory.ReadTx, users []directory.User) ([]User, error) {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	groups, err := tx.GroupRefsOfUsers(ids)
	if err != nil {
		return nil, err
	}
	out := make([]User, len(users))
	for i, u := range users {
		out[i] = Of(u, groups[u.ID])
	}
	return out, nil
}

// Of builds the view of u, a member of groups.
func Of(u directory.User, groups []directory.GroupRef) User {
	v := User{ID: u.ID, UserName: u.UserName, DisplayName: u.DisplayName,
		Name:   Name{GivenName: u.Name.GivenName, FamilyName: u.Name.FamilyName},
		Emails: u.Emails, Active: u.Active, Org: directory.OrgOrDefault(u.Org), IdP: u.IdP, UniqueUserID: u.UniqueUserID,
		ExternalID: u.ExternalID, Owner: u.Owner, Groups: make([]GroupRef, 0, len(groups)), Meta: u.Meta}
	if v.Emails == nil {
		v.Emails = []directory.MultiValue{}
	}
	if !u.LastLoginAt.IsZero() {
		t := u.LastLoginAt
		v.LastLoginAt = &t
	}
	for _, g := range groups {
		v.Groups = append(v.Groups, GroupRef{ID: g.ID, DisplayName: g.DisplayName})
	}
	return v
}
