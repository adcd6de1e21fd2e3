package scim

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	elimity "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"

	"github.com/rosterhq/roster/directory"
)

// SCIM schema URNs.
const (
	userSchemaURN       = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupSchemaURN      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	enterpriseSchemaURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	listResponseURN     = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	patchOpURN          = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	searchRequestURN    = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
)

// userJSON is the wire form of a SCIM User. Decoding matches keys case-insensitively, which
// is what RFC 7643 asks of attribute names.
type userJSON struct {
	Schemas           []string               `json:"schemas,omitempty"`
	ID                string                 `json:"id,omitempty"`
	ExternalID        string                 `json:"externalId,omitempty"`
	UserName          string                 `json:"userName"`
	Name              *directory.Name        `json:"name,omitempty"`
	DisplayName       string                 `json:"displayName,omitempty"`
	NickName          string                 `json:"nickName,omitempty"`
	ProfileURL        string                 `json:"profileUrl,omitempty"`
	Title             string                 `json:"title,omitempty"`
	UserType          string                 `json:"userType,omitempty"`
	PreferredLanguage string                 `json:"preferredLanguage,omitempty"`
	Locale            string                 `json:"locale,omitempty"`
	Timezone          string                 `json:"timezone,omitempty"`
	Active            *bool                  `json:"active,omitempty"`
	Password          string                 `json:"password,omitempty"`
	Emails            []directory.MultiValue `json:"emails,omitempty"`
	PhoneNumbers      []directory.MultiValue `json:"phoneNumbers,omitempty"`
	Addresses         []directory.Address    `json:"addresses,omitempty"`
	Roles             []directory.MultiValue `json:"roles,omitempty"`
	Entitlements      []directory.MultiValue `json:"entitlements,omitempty"`
	Groups            []refJSON              `json:"groups,omitempty"`
	Enterprise        *enterpriseJSON        `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User,omitempty"`
	Meta              *metaJSON              `json:"meta,omitempty"`
}

type enterpriseJSON struct {
	EmployeeNumber string       `json:"employeeNumber,omitempty"`
	CostCenter     string       `json:"costCenter,omitempty"`
	Organization   string       `json:"organization,omitempty"`
	Division       string       `json:"division,omitempty"`
	Department     string       `json:"department,omitempty"`
	Manager        *managerJSON `json:"manager,omitempty"`
}

type managerJSON struct {
	Value       string `json:"value,omitempty"`
	Ref         string `json:"$ref,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
}

// refJSON is a reference to another resource: a group of a user, a member of a group.
type refJSON struct {
	Value   string `json:"value"`
	Ref     string `json:"$ref,omitempty"`
	Display string `json:"display,omitempty"`
	Type    string `json:"type,omitempty"`
}

type metaJSON struct {
	ResourceType string `json:"resourceType,omitempty"`
	Created      string `json:"created,omitempty"`
	LastModified string `json:"lastModified,omitempty"`
	Location     string `json:"location,omitempty"`
	Version      string `json:"version,omitempty"`
}

// etag is the entity tag of a version: weak, since equal versions mean equal resources but the
// JSON may differ byte for byte.
func etag(version int64) string { return `W/"` + strconv.FormatInt(version, 10) + `"` }

// parseETag returns the version an entity tag names, or false.
func parseETag(tag string) (int64, bool) {
	tag = strings.TrimSpace(tag)
	tag = strings.TrimPrefix(strings.TrimPrefix(tag, "W/"), "w/")
	tag = strings.Trim(tag, `"`)
	v, err := strconv.ParseInt(tag, 10, 64)
	return v, err == nil && v > 0
}

// expectedVersion reads If-Match: 0 for none or "*"; -1 (a version no resource has, so the
// write is refused with 412) for tags that are not ours.
func expectedVersion(r *http.Request) int64 {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return 0
	}
	first, _, _ := strings.Cut(h, ",")
	if v, ok := parseETag(first); ok {
		return v
	}
	return -1
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// hashPassword keeps a password as a salted SHA-256. Roster never verifies these passwords
// (people sign in through their IdP); the hash exists so that a SCIM client's password write
// is accepted without keeping clear text. A slow KDF would cost every Okta PUT, which repeats
// the password, tens of milliseconds for no protection anybody relies on.
func hashPassword(p string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	sum := sha256.Sum256(append(salt, p...))
	return "sha256$" + base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// passwordMatches reports whether p is the password behind hash.
func passwordMatches(hash, p string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 3 || parts[0] != "sha256" {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[1])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil {
		return false
	}
	sum := sha256.Sum256(append(salt, p...))
	return subtle.ConstantTimeCompare(sum[:], want) == 1
}

// decodeUser reads attributes (as validated by the library, or as patched) into the wire form.
func decodeUser(attrs map[string]any) (userJSON, error) {
	raw, err := json.Marshal(attrs)
	if err != nil {
		return userJSON{}, directory.Invalidf("the user could not be read: %v", err)
	}
	var j userJSON
	d := json.NewDecoder(bytes.NewReader(raw))
	if err := d.Decode(&j); err != nil {
		return userJSON{}, badRequest(scimerrors.ScimTypeInvalidValue, "The user has an attribute of the wrong type: "+jsonProblem(err))
	}
	return j, nil
}

// jsonProblem describes a decoding error without Go type names.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return te.Field + " must be " + wireType(te.Type.Kind().String()) + ", not " + te.Value
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return "unknown attribute " + field
	}
	return "malformed JSON"
}

func wireType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool", "ptr":
		return "a boolean"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "a " + kind
}

// userFromJSON builds the user a SCIM create or replace asks for. old is the stored user for
// PUT and PATCH, nil for POST: an omitted active keeps old's (or is true on create), and an
// omitted or unchanged password keeps the stored hash.
func userFromJSON(j userJSON, old *directory.User) (directory.User, error) {
	if strings.TrimSpace(j.UserName) == "" {
		return directory.User{}, directory.Invalidf("userName is required and must not be empty")
	}
	u := directory.User{
		UserName: strings.TrimSpace(j.UserName), DisplayName: j.DisplayName, NickName: j.NickName,
		ProfileURL: j.ProfileURL, Title: j.Title, UserType: j.UserType,
		PreferredLanguage: j.PreferredLanguage, Locale: j.Locale, Timezone: j.Timezone,
		ExternalID: strings.TrimSpace(j.ExternalID), Active: true,
		Emails: cleanMulti(j.Emails), PhoneNumbers: cleanMulti(j.PhoneNumbers),
		Roles: cleanMulti(j.Roles), Entitlements: cleanMulti(j.Entitlements),
		Addresses: j.Addresses,
	}
	if j.Name != nil {
		u.Name = *j.Name
	}
	if old != nil {
		u.Active = old.Active
		u.PasswordHash = old.PasswordHash
	}
	if j.Active != nil {
		u.Active = *j.Active
	}
	if j.Password != "" && !(old != nil && passwordMatches(old.PasswordHash, j.Password)) {
		u.PasswordHash = hashPassword(j.Password)
	}
	if e := j.Enterprise; e != nil {
		u.Enterprise = directory.Enterprise{EmployeeNumber: e.EmployeeNumber, CostCenter: e.CostCenter,
			Organization: e.Organization, Division: e.Division, Department: e.Department}
		if e.Manager != nil {
			u.Enterprise.ManagerID, u.Enterprise.ManagerDisplay = e.Manager.Value, e.Manager.DisplayName
		}
	}
	return u, nil
}

// cleanMulti drops values without a value and keeps at most one primary (RFC 7643 §2.4).
func cleanMulti(vs []directory.MultiValue) []directory.MultiValue {
	if len(vs) == 0 {
		return nil
	}
	out := make([]directory.MultiValue, 0, len(vs))
	primary := false
	for _, v := range vs {
		if strings.TrimSpace(v.Value) == "" {
			continue
		}
		if v.Primary {
			if primary {
				v.Primary = false
			}
			primary = true
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// userJSONOf is the wire form of a stored user. The password hash never leaves.
func (h *Handler) userJSONOf(u directory.User, groups []refJSON) userJSON {
	active := u.Active
	j := userJSON{
		Schemas: []string{userSchemaURN, enterpriseSchemaURN}, ID: u.ID, ExternalID: u.ExternalID, UserName: u.UserName,
		DisplayName: u.DisplayName, NickName: u.NickName, ProfileURL: u.ProfileURL, Title: u.Title,
		UserType: u.UserType, PreferredLanguage: u.PreferredLanguage, Locale: u.Locale, Timezone: u.Timezone,
		Active: &active, Emails: u.Emails, PhoneNumbers: u.PhoneNumbers, Addresses: u.Addresses,
		Roles: u.Roles, Entitlements: u.Entitlements, Groups: groups,
		Meta: &metaJSON{ResourceType: "User", Created: formatTime(u.Meta.Created), LastModified: formatTime(u.Meta.LastModified),
			Location: h.scimBase() + "/Users/" + u.ID, Version: etag(u.Meta.Version)},
	}
	if u.Name != (directory.Name{}) {
		n := u.Name
		j.Name = &n
	}
	if e := u.Enterprise; e != (directory.Enterprise{}) {
		j.Enterprise = &enterpriseJSON{EmployeeNumber: e.EmployeeNumber, CostCenter: e.CostCenter,
			Organization: e.Organization, Division: e.Division, Department: e.Department}
		if e.ManagerID != "" {
			j.Enterprise.Manager = &managerJSON{Value: e.ManagerID, DisplayName: e.ManagerDisplay,
				Ref: h.scimBase() + "/Users/" + e.ManagerID}
		}
	}
	return j
}

// toMap turns a wire form into generic JSON, the shape PATCH and attribute selection work on.
func toMap(v any) map[string]any {
	raw, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return m
}

// groupRefs computes a user's read-only groups attribute from the memberships.
func (h *Handler) groupRefs(tx directory.ReadTx, userID string, names map[string]string) ([]refJSON, error) {
	ids, err := tx.GroupsOfUser(userID)
	if err != nil {
		return nil, err
	}
	refs := make([]refJSON, 0, len(ids))
	for _, id := range ids {
		name, ok := names[id]
		if !ok {
			g, err := tx.Group(id)
			if err != nil {
				continue // removed meanwhile; memberships and groups change in one transaction
			}
			name = g.DisplayName
			if names != nil {
				names[id] = name
			}
		}
		refs = append(refs, refJSON{Value: id, Display: name, Type: "direct", Ref: h.scimBase() + "/Groups/" + id})
	}
	return refs, nil
}

// userResource renders a user for the library's responses, applying the request's attributes
// and excludedAttributes.
func (h *Handler) userResource(r *http.Request, u directory.User) (elimity.Resource, error) {
	var groups []refJSON
	err := h.svc.View(r.Context(), func(tx directory.ReadTx) error {
		var err error
		groups, err = h.groupRefs(tx, u.ID, nil)
		return err
	})
	if err != nil {
		return elimity.Resource{}, h.libError(r, err)
	}
	m := project(toMap(h.userJSONOf(u, groups)), selectionFromQuery(r))
	res := elimity.Resource{ID: u.ID, Attributes: m, Meta: elimity.Meta{Version: etag(u.Meta.Version)}}
	if u.ExternalID != "" {
		res.ExternalID = optional.NewString(u.ExternalID)
	}
	created, modified := u.Meta.Created, u.Meta.LastModified
	res.Meta.Created, res.Meta.LastModified = &created, &modified
	return res, nil
}

// userHandler is the library's ResourceHandler for /Users.
type userHandler struct{ h *Handler }

func (uh *userHandler) Create(r *http.Request, attrs elimity.ResourceAttributes) (elimity.Resource, error) {
	h := uh.h
	j, err := decodeUser(attrs)
	if err != nil {
		return elimity.Resource{}, h.libError(r, err)
	}
	in, err := userFromJSON(j, nil)
	if err != nil {
		return elimity.Resource{}, h.libError(r, err)
	}
	out, err := h.svc.SCIMCreateUser(r.Context(), actorFrom(r), in)
	if err != nil {
		return elimity.Resource{}, h.libError(r, err)
	}
	return h.userResource(r, out)
}

func (uh *userHandler) Get(r *http.Request, id string) (elimity.Resource, error) {
	u, err := uh.h.svc.SCIMUser(r.Context(), actorFrom(r), id)
	if err != nil {
		return elimity.Resource{}, uh.h.libError(r, err)
	}
	return uh.h.userResource(r, u)
}

// GetAll is never reached: Handler.serveList answers GET /Users itself, because the library
// would report itemsPerPage as the requested count and cannot select attributes.
func (uh *userHandler) GetAll(r *http.Request, _ elimity.ListRequestParams) (elimity.Page, error) {
	return elimity.Page{}, scimerrors.ScimError{Status: http.StatusNotImplemented, Detail: "List users with GET /Users."}
}

func (uh *userHandler) Replace(r *http.Request, id string, attrs elimity.ResourceAttributes) (elimity.Resource, error) {
	h := uh.h
	j, err := decodeUser(attrs)
	if err != nil {
		return elimity.Resource{}, h.libError(r, err)
	}
	out, err := h.svc.SCIMUpdateUser(r.Context(), actorFrom(r), id, expectedVersion(r), func(old directory.User) (directory.User, error) {
		return userFromJSON(j, &old)
	})
	if err != nil {
		return elimity.Resource{}, h.libError(r, err)
	}
	return h.userResource(r, out)
}

func (uh *userHandler) Delete(r *http.Request, id string) error {
	return uh.h.libError(r, uh.h.svc.SCIMDeleteUser(r.Context(), actorFrom(r), id, expectedVersion(r)))
}

func (uh *userHandler) Patch(r *http.Request, id string, ops []elimity.PatchOperation) (elimity.Resource, error) {
	h := uh.h
	out, err := h.svc.SCIMUpdateUser(r.Context(), actorFrom(r), id, expectedVersion(r), func(old directory.User) (directory.User, error) {
		m := toMap(h.userJSONOf(old, nil))
		if err := applyPatch(r.Context(), m, ops, userAttrs); err != nil {
			return directory.User{}, err
		}
		j, err := decodeUser(m)
		if err != nil {
			return directory.User{}, err
		}
		return userFromJSON(j, &old)
	})
	if err != nil {
		return elimity.Resource{}, h.libError(r, err)
	}
	return h.userResource(r, out)
}
