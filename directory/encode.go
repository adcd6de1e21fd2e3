package directory

import (
	"encoding/json"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// The stores keep users and events as JSON. A create, a sign-in or a PATCH encodes its user
// three times inside its write transaction: the snapshot's size check, the user's record and
// the event that carries the snapshot. On bbolt that transaction runs on the one writer
// goroutine that every concurrent write waits for, so what it spends there is spent once per
// write for all of them; encoding/json's reflection and the validation it runs over each
// time.Time's MarshalJSON were a quarter of the writer's own work under 32 clients of
// POST /Users. AppendUserJSON and AppendEventJSON write the same bytes as json.Marshal
// (TestEncodingMatchesEncodingJSON compares them over every field, with strings that need
// escaping), without reflection. Nothing reads these bytes differently: they are the bytes
// json.Marshal wrote before.

// userJSONSize and eventJSONSize are room for a typical user (a SCIM create's is about 500
// bytes) and for its event, made once rather than by doubling.
const (
	userJSONSize  = 768
	eventJSONSize = userJSONSize + 512
)

// AppendUserJSON appends u as json.Marshal encodes it.
func AppendUserJSON(b []byte, u *User) ([]byte, error) {
	if !userTimesFit(u) {
		return appendMarshaled(b, u) // for encoding/json's error
	}
	b = slices.Grow(b, userJSONSize)
	b = append(b, `{"id":`...)
	b = AppendJSONString(b, u.ID)
	b = append(b, `,"userName":`...)
	b = AppendJSONString(b, u.UserName)
	b = append(b, `,"name":`...)
	b = u.Name.AppendJSON(b)
	b = AppendJSONField(b, 0, "displayName", u.DisplayName)
	b = AppendJSONField(b, 0, "nickName", u.NickName)
	b = AppendJSONField(b, 0, "profileUrl", u.ProfileURL)
	b = AppendJSONField(b, 0, "title", u.Title)
	b = AppendJSONField(b, 0, "userType", u.UserType)
	b = AppendJSONField(b, 0, "preferredLanguage", u.PreferredLanguage)
	b = AppendJSONField(b, 0, "locale", u.Locale)
	b = AppendJSONField(b, 0, "timezone", u.Timezone)
	b = append(b, `,"active":`...)
	b = strconv.AppendBool(b, u.Active)
	b = appendMultiValues(b, "emails", u.Emails)
	b = appendMultiValues(b, "phoneNumbers", u.PhoneNumbers)
	if len(u.Addresses) > 0 {
		b = append(b, `,"addresses":`...)
		b = AppendAddressesJSON(b, u.Addresses)
	}
	b = appendMultiValues(b, "roles", u.Roles)
	b = appendMultiValues(b, "entitlements", u.Entitlements)
	b = AppendJSONField(b, 0, "externalId", u.ExternalID)
	b = append(b, `,"enterprise":{`...)
	n := len(b)
	b = AppendJSONField(b, n, "employeeNumber", u.Enterprise.EmployeeNumber)
	b = AppendJSONField(b, n, "costCenter", u.Enterprise.CostCenter)
	b = AppendJSONField(b, n, "organization", u.Enterprise.Organization)
	b = AppendJSONField(b, n, "division", u.Enterprise.Division)
	b = AppendJSONField(b, n, "department", u.Enterprise.Department)
	b = AppendJSONField(b, n, "managerId", u.Enterprise.ManagerID)
	b = AppendJSONField(b, n, "managerDisplayName", u.Enterprise.ManagerDisplay)
	b = append(b, '}')
	b = AppendJSONField(b, 0, "passwordHash", u.PasswordHash)
	b = append(b, `,"org":`...)
	b = AppendJSONString(b, u.Org)
	b = AppendJSONField(b, 0, "idp", u.IdP)
	b = AppendJSONField(b, 0, "uniqueUserId", u.UniqueUserID)
	b = append(b, `,"owner":`...)
	b = AppendJSONString(b, string(u.Owner))
	b = appendJSONTime(append(b, `,"lastLoginAt":`...), u.LastLoginAt)
	b = appendJSONTime(append(b, `,"sessionsValidAfter":`...), u.SessionsValidAfter)
	b = appendJSONTime(append(b, `,"meta":{"created":`...), u.Meta.Created)
	b = appendJSONTime(append(b, `,"lastModified":`...), u.Meta.LastModified)
	b = strconv.AppendInt(append(b, `,"version":`...), u.Meta.Version, 10)
	return append(b, '}', '}'), nil
}

// AppendEventJSON appends e as json.Marshal encodes it.
func AppendEventJSON(b []byte, e *Event) ([]byte, error) {
	if !timesFit(e.Time) || e.User != nil && !userTimesFit(e.User) {
		return appendMarshaled(b, e)
	}
	b = slices.Grow(b, eventJSONSize)
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, e.Seq, 10)
	b = append(b, `,"id":`...)
	b = AppendJSONString(b, e.ID)
	b = appendJSONTime(append(b, `,"time":`...), e.Time)
	b = append(b, `,"type":`...)
	b = AppendJSONString(b, e.Type)
	b = append(b, `,"actor":`...)
	b = AppendJSONString(b, e.Actor)
	b = append(b, `,"subject":`...)
	b = AppendJSONString(b, e.Subject)
	b = AppendJSONField(b, 0, "org", e.Org)
	b = AppendJSONField(b, 0, "idp", e.IdP)
	b = AppendJSONField(b, 0, "rule", string(e.Rule))
	b = AppendJSONField(b, 0, "reason", e.Reason)
	b = appendStrings(b, "changes", e.Changes)
	b = AppendJSONField(b, 0, "detail", e.Detail)
	if e.User != nil {
		b = append(b, `,"user":`...)
		b, _ = AppendUserJSON(b, e.User) // its times fit
	}
	if e.Group != nil {
		// Groups are encoded as before: a group's event is not on the paths this file is for.
		raw, err := json.Marshal(e.Group)
		if err != nil {
			return nil, err
		}
		b = append(b, `,"group":`...)
		b = append(b, raw...)
	}
	if e.Partial {
		b = append(b, `,"partial":true`...)
	}
	b = AppendJSONField(b, 0, "key_source", string(e.KeySource))
	b = appendStrings(b, "warnings", e.Warnings)
	return append(b, '}'), nil
}

// AppendJSONKey appends the key of a member of an object whose first member would start at
// index first of b: no comma before the first. Members of an object that has one already
// pass 0.
func AppendJSONKey(b []byte, first int, key string) []byte {
	if len(b) != first {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

// AppendJSONField appends a string member tagged omitempty, `,"key":"v"`, or nothing when v
// is empty; first is as for AppendJSONKey.
func AppendJSONField(b []byte, first int, key, v string) []byte {
	if v == "" {
		return b
	}
	return AppendJSONString(AppendJSONKey(b, first, key), v)
}

func appendStrings(b []byte, key string, vs []string) []byte {
	if len(vs) == 0 {
		return b
	}
	return AppendStringsJSON(AppendJSONKey(b, 0, key), vs)
}

// AppendStringsJSON appends vs as json.Marshal encodes them.
func AppendStringsJSON(b []byte, vs []string) []byte {
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendJSONString(b, v)
	}
	return append(b, ']')
}

func appendMultiValues(b []byte, key string, vs []MultiValue) []byte {
	if len(vs) == 0 {
		return b
	}
	return AppendMultiValuesJSON(AppendJSONKey(b, 0, key), vs)
}

// AppendJSON appends n as json.Marshal encodes it.
func (n Name) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	first := len(b)
	b = AppendJSONField(b, first, "formatted", n.Formatted)
	b = AppendJSONField(b, first, "familyName", n.FamilyName)
	b = AppendJSONField(b, first, "givenName", n.GivenName)
	b = AppendJSONField(b, first, "middleName", n.MiddleName)
	b = AppendJSONField(b, first, "honorificPrefix", n.HonorificPrefix)
	b = AppendJSONField(b, first, "honorificSuffix", n.HonorificSuffix)
	return append(b, '}')
}

// AppendMultiValuesJSON appends vs as json.Marshal encodes them.
func AppendMultiValuesJSON(b []byte, vs []MultiValue) []byte {
	return appendObjects(b, vs, func(b []byte, first int, v MultiValue) []byte {
		b = AppendJSONField(b, first, "value", v.Value)
		b = AppendJSONField(b, first, "type", v.Type)
		if v.Primary {
			b = append(AppendJSONKey(b, first, "primary"), "true"...)
		}
		return AppendJSONField(b, first, "display", v.Display)
	})
}

// AppendAddressesJSON appends as as json.Marshal encodes them.
func AppendAddressesJSON(b []byte, as []Address) []byte {
	return appendObjects(b, as, func(b []byte, first int, a Address) []byte {
		b = AppendJSONField(b, first, "formatted", a.Formatted)
		b = AppendJSONField(b, first, "streetAddress", a.StreetAddress)
		b = AppendJSONField(b, first, "locality", a.Locality)
		b = AppendJSONField(b, first, "region", a.Region)
		b = AppendJSONField(b, first, "postalCode", a.PostalCode)
		b = AppendJSONField(b, first, "country", a.Country)
		b = AppendJSONField(b, first, "type", a.Type)
		if a.Primary {
			b = append(AppendJSONKey(b, first, "primary"), "true"...)
		}
		return b
	})
}

// appendObjects appends an array of objects, members appending each one's members after
// its brace (at first).
func appendObjects[T any](b []byte, vs []T, members func(b []byte, first int, v T) []byte) []byte {
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = append(members(b, len(b), v), '}')
	}
	return append(b, ']')
}

// timesFit reports whether RFC 3339 holds every one of ts, as time.Time's MarshalJSON
// requires: a year of 0–9999, an offset of less than a day.
func timesFit(ts ...time.Time) bool {
	for _, t := range ts {
		_, offset := t.Zone()
		if y := t.Year(); y < 0 || y > 9999 || offset <= -24*60*60 || offset >= 24*60*60 {
			return false
		}
	}
	return true
}

func userTimesFit(u *User) bool {
	return timesFit(u.LastLoginAt, u.SessionsValidAfter, u.Meta.Created, u.Meta.LastModified)
}

// appendMarshaled appends what json.Marshal makes of v, or its error.
func appendMarshaled(b []byte, v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, raw...), nil
}

// appendJSONTime appends t, which fits (timesFit), as time.Time's MarshalJSON does: RFC 3339
// with nanoseconds.
func appendJSONTime(b []byte, t time.Time) []byte {
	if t == (time.Time{}) { // never signed in, sessions never ended: most users' two times
		return append(append(append(b, '"'), zeroTime...), '"')
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// htmlSafe holds the bytes a JSON string carries as they are: ASCII from space on, but for
// the quote, the backslash and HTML's <, > and &.
var htmlSafe = func() (set [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		set[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return set
}()

// AppendJSONString appends s quoted as encoding/json quotes strings: HTML's <, > and & and
// every control character escaped, an invalid UTF-8 byte replaced by U+FFFD, U+2028 and
// U+2029 escaped.
func AppendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if htmlSafe[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
