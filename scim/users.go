package scim

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory"
	filter "github.com/rosterhq/roster/internal/scimfilter"
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

// userJSON is the wire form of a SCIM User, as answers encode it. Requests are read in generic
// form instead (userFromAttrs), as the library's schema validation leaves them.
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

// formatTime shows a dateTime at the precision filters and sorting compare it.
func formatTime(t time.Time) string { return filter.FormatTime(t) }

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

// groupRefs computes a user's read-only groups attribute from the memberships.
func (h *Handler) groupRefs(tx directory.ReadTx, userID string) ([]refJSON, error) {
	groups, err := tx.GroupRefsOfUser(userID)
	if err != nil {
		return nil, err
	}
	return h.refsOf(groups), nil
}

// refsOf is the groups attribute of a user who is a member of groups.
func (h *Handler) refsOf(groups []directory.GroupRef) []refJSON {
	refs := make([]refJSON, 0, len(groups))
	for _, g := range groups {
		refs = append(refs, refJSON{Value: g.ID, Display: g.DisplayName, Type: "direct", Ref: h.scimBase() + "/Groups/" + g.ID})
	}
	return refs
}

// userAttrsOf is a stored user in generic form: what userJSONOf encodes to, built directly.
// PATCH operations and attribute selection work on it.
func (h *Handler) userAttrsOf(u directory.User, groups []refJSON) map[string]any {
	m := map[string]any{
		"schemas": []any{userSchemaURN, enterpriseSchemaURN}, "id": u.ID, "userName": u.UserName, "active": u.Active,
		"meta": metaAttrs("User", h.scimBase()+"/Users/"+u.ID, u.Meta),
	}
	putStrings(m, "externalId", u.ExternalID, "displayName", u.DisplayName, "nickName", u.NickName,
		"profileUrl", u.ProfileURL, "title", u.Title, "userType", u.UserType, "preferredLanguage", u.PreferredLanguage,
		"locale", u.Locale, "timezone", u.Timezone)
	if n := u.Name; n != (directory.Name{}) {
		name := map[string]any{}
		putStrings(name, "formatted", n.Formatted, "familyName", n.FamilyName, "givenName", n.GivenName,
			"middleName", n.MiddleName, "honorificPrefix", n.HonorificPrefix, "honorificSuffix", n.HonorificSuffix)
		m["name"] = name
	}
	putMultiValues(m, "emails", u.Emails)
	putMultiValues(m, "phoneNumbers", u.PhoneNumbers)
	putMultiValues(m, "roles", u.Roles)
	putMultiValues(m, "entitlements", u.Entitlements)
	if len(u.Addresses) > 0 {
		list := make([]any, 0, len(u.Addresses))
		for _, a := range u.Addresses {
			am := map[string]any{}
			putStrings(am, "formatted", a.Formatted, "streetAddress", a.StreetAddress, "locality", a.Locality,
				"region", a.Region, "postalCode", a.PostalCode, "country", a.Country, "type", a.Type)
			if a.Primary {
				am["primary"] = true
			}
			list = append(list, am)
		}
		m["addresses"] = list
	}
	if len(groups) > 0 {
		list := make([]any, 0, len(groups))
		for _, g := range groups {
			gm := map[string]any{"value": g.Value}
			putStrings(gm, "$ref", g.Ref, "display", g.Display, "type", g.Type)
			list = append(list, gm)
		}
		m["groups"] = list
	}
	if e := u.Enterprise; e != (directory.Enterprise{}) {
		ext := map[string]any{}
		putStrings(ext, "employeeNumber", e.EmployeeNumber, "costCenter", e.CostCenter, "organization", e.Organization,
			"division", e.Division, "department", e.Department)
		if e.ManagerID != "" {
			mgr := map[string]any{}
			putStrings(mgr, "value", e.ManagerID, "$ref", h.scimBase()+"/Users/"+e.ManagerID, "displayName", e.ManagerDisplay)
			ext["manager"] = mgr
		}
		m[enterpriseSchemaURN] = ext
	}
	return m
}

// metaAttrs is a resource's meta attribute in generic form.
func metaAttrs(resourceType, location string, meta directory.Meta) map[string]any {
	m := map[string]any{}
	putStrings(m, "resourceType", resourceType, "created", formatTime(meta.Created), "lastModified", formatTime(meta.LastModified),
		"location", location, "version", etag(meta.Version))
	return m
}

// putStrings sets each (name, value) pair of kv whose value is not empty, as the wire structs'
// omitempty does.
func putStrings(m map[string]any, kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			m[kv[i]] = kv[i+1]
		}
	}
}

func putMultiValues(m map[string]any, name string, vs []directory.MultiValue) {
	if len(vs) == 0 {
		return
	}
	list := make([]any, 0, len(vs))
	for _, v := range vs {
		vm := map[string]any{}
		putStrings(vm, "value", v.Value, "type", v.Type, "display", v.Display)
		if v.Primary {
			vm["primary"] = true
		}
		list = append(list, vm)
	}
	m[name] = list
}

// userFromAttrs builds the user a SCIM create or replace asks for, from attributes in generic
// form: as validated against the schema, or a stored user's as patched. old is the stored user
// for PUT and PATCH, nil for POST: an omitted active keeps old's (or is true on create), and an
// omitted or unchanged password keeps the stored hash. Read-only attributes (groups, meta) are
// ignored.
func userFromAttrs(m map[string]any, old *directory.User) (directory.User, error) {
	var ar attrReader
	u := directory.User{
		UserName: strings.TrimSpace(ar.str(m, "userName")), DisplayName: ar.str(m, "displayName"),
		NickName: ar.str(m, "nickName"), ProfileURL: ar.str(m, "profileUrl"), Title: ar.str(m, "title"),
		UserType: ar.str(m, "userType"), PreferredLanguage: ar.str(m, "preferredLanguage"),
		Locale: ar.str(m, "locale"), Timezone: ar.str(m, "timezone"),
		ExternalID: strings.TrimSpace(ar.str(m, "externalId")), Active: true,
		Emails: cleanMulti(ar.multiValues(m, "emails")), PhoneNumbers: cleanMulti(ar.multiValues(m, "phoneNumbers")),
		Roles: cleanMulti(ar.multiValues(m, "roles")), Entitlements: cleanMulti(ar.multiValues(m, "entitlements")),
	}
	if n := ar.object(m, "name"); n != nil {
		u.Name = directory.Name{Formatted: ar.str(n, "formatted"), FamilyName: ar.str(n, "familyName"),
			GivenName: ar.str(n, "givenName"), MiddleName: ar.str(n, "middleName"),
			HonorificPrefix: ar.str(n, "honorificPrefix"), HonorificSuffix: ar.str(n, "honorificSuffix")}
	}
	for _, a := range ar.objects(m, "addresses") {
		primary, _ := ar.boolean(a, "primary")
		u.Addresses = append(u.Addresses, directory.Address{Formatted: ar.str(a, "formatted"),
			StreetAddress: ar.str(a, "streetAddress"), Locality: ar.str(a, "locality"), Region: ar.str(a, "region"),
			PostalCode: ar.str(a, "postalCode"), Country: ar.str(a, "country"), Type: ar.str(a, "type"), Primary: primary})
	}
	if old != nil {
		u.Active, u.PasswordHash = old.Active, old.PasswordHash
	}
	if active, ok := ar.boolean(m, "active"); ok {
		u.Active = active
	}
	if p := ar.str(m, "password"); p != "" && !(old != nil && passwordMatches(old.PasswordHash, p)) {
		u.PasswordHash = hashPassword(p)
	}
	if e := ar.object(m, enterpriseSchemaURN); e != nil {
		u.Enterprise = directory.Enterprise{EmployeeNumber: ar.str(e, "employeeNumber"), CostCenter: ar.str(e, "costCenter"),
			Organization: ar.str(e, "organization"), Division: ar.str(e, "division"), Department: ar.str(e, "department")}
		if mgr := ar.object(e, "manager"); mgr != nil {
			u.Enterprise.ManagerID, u.Enterprise.ManagerDisplay = ar.str(mgr, "value"), ar.str(mgr, "displayName")
		}
	}
	if ar.err != nil {
		return directory.User{}, ar.err
	}
	if u.UserName == "" {
		return directory.User{}, directory.Invalidf("userName is required and must not be empty")
	}
	return u, nil
}

// multiValues reads a multi-valued attribute of (value, type, primary, display) values.
func (ar *attrReader) multiValues(m map[string]any, name string) []directory.MultiValue {
	var out []directory.MultiValue
	for _, v := range ar.objects(m, name) {
		primary, _ := ar.boolean(v, "primary")
		out = append(out, directory.MultiValue{Value: ar.str(v, "value"), Type: ar.str(v, "type"),
			Primary: primary, Display: ar.str(v, "display")})
	}
	return out
}

// createUser answers POST /Users.
func (h *Handler) createUser(w http.ResponseWriter, r *http.Request, obj map[string]any) {
	attrs, err := userType.validate(obj)
	if err != nil {
		writeError(w, errorFor(h.log, r, err))
		return
	}
	in, err := userFromAttrs(attrs, nil)
	if err != nil {
		writeError(w, errorFor(h.log, r, err))
		return
	}
	var groups []directory.GroupRef
	out, err := h.svc.SCIMCreateUser(r.Context(), actorFrom(r), in, directory.ReadGroups(&groups))
	h.answerUser(w, r, http.StatusCreated, out, groups, err)
}

// replaceUser answers PUT /Users/{id}.
func (h *Handler) replaceUser(w http.ResponseWriter, r *http.Request, id string, obj map[string]any) {
	attrs, err := userType.validate(obj)
	if err != nil {
		writeError(w, errorFor(h.log, r, err))
		return
	}
	var groups []directory.GroupRef
	out, err := h.svc.SCIMUpdateUser(r.Context(), actorFrom(r), id, expectedVersion(r), func(old directory.User) (directory.User, error) {
		return userFromAttrs(attrs, &old)
	}, directory.ReadGroups(&groups))
	h.answerUser(w, r, http.StatusOK, out, groups, err)
}

// patchUser answers PATCH /Users/{id}. The operations are checked against the schema, then
// applied to the stored user in generic form: inside the write transaction, or to a copy read
// before it (patchCopy).
func (h *Handler) patchUser(w http.ResponseWriter, r *http.Request, id string, ops []patchOp) {
	resolved, err := userType.resolvePatch(ops)
	if err != nil {
		writeError(w, errorFor(h.log, r, err))
		return
	}
	ctx, actor := r.Context(), actorFrom(r)
	var groups []directory.GroupRef
	out, err := patchCopy(h.svc.WritersRunTogether(), len(resolved) <= insideOperations,
		func() (directory.User, error) { return h.svc.SCIMUser(ctx, actor, id) },
		func(u directory.User) int64 { return u.Meta.Version },
		func(old directory.User, inside bool) (directory.User, error) {
			m := h.userAttrsOf(old, nil)
			if err := applyPatch(m, resolved, inside); err != nil {
				return directory.User{}, err
			}
			return userFromAttrs(m, &old)
		},
		func(fn func(directory.User) (directory.User, error)) (directory.User, error) {
			return h.svc.SCIMUpdateUser(ctx, actor, id, expectedVersion(r), fn, directory.ReadGroups(&groups))
		})
	h.answerUser(w, r, http.StatusOK, out, groups, err)
}

// answerUser writes the user a write returned, with its groups as the same transaction read
// them, or the error.
func (h *Handler) answerUser(w http.ResponseWriter, r *http.Request, status int, u directory.User, groups []directory.GroupRef, err error) {
	if err != nil {
		writeError(w, errorFor(h.log, r, err))
		return
	}
	h.answer(w, status, "/Users/"+u.ID, u.Meta.Version, h.renderUser(u, h.refsOf(groups), selectionFromQuery(r)))
}

// renderUser is a user as an answer shows it, with attributes selected.
func (h *Handler) renderUser(u directory.User, groups []refJSON, sel selection) any {
	if sel.empty() {
		return h.userJSONOf(u, groups)
	}
	return project(h.userAttrsOf(u, groups), sel)
}
