package directory

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// Every read of a user decodes its stored JSON, and encoding/json's reflection made that the
// largest part of serving a user: 13 µs for a typical one, 1.3 ms of a SCIM page of 100.
// DecodeUserJSON reads the documents the stores hold — what json.Marshal or AppendUserJSON
// wrote, or the same as PostgreSQL's jsonb gives it back, with spaces and its own key order —
// without reflection; a string with an escape, or with bytes that are not UTF-8, it hands to
// encoding/json alone. Anything else it does not try to understand: a key it does not know, a
// null, a number that is not a plain integer, an array member given twice. It then hands the
// whole document to encoding/json, so that what a user reads as is always what
// json.Unmarshal reads (TestDecodingMatchesEncodingJSON, FuzzDecodeUserJSON).

// DecodeUserJSON decodes raw into *u as json.Unmarshal does into a zero User.
func DecodeUserJSON(raw []byte, u *User) error {
	d := docDecoder{raw: raw}
	if d.user(u) && d.end() {
		return nil
	}
	*u = User{}
	return json.Unmarshal(raw, u)
}

// DecodeEventJSON decodes raw into *e as json.Unmarshal does into a zero Event. Events are
// read in hundreds: by the change feed, the webhooks and the console's history, each with
// the snapshot of its user.
func DecodeEventJSON(raw []byte, e *Event) error {
	d := docDecoder{raw: raw}
	if d.event(e) && d.end() {
		return nil
	}
	*e = Event{}
	return json.Unmarshal(raw, e)
}

type docDecoder struct {
	raw []byte
	i   int
	// quoted says the last token was a whole string, whatever token made of it.
	quoted bool
	// arrays marks the array-valued members read: encoding/json decodes a second one into
	// the elements of the first, which the fast path leaves to it.
	arrays uint8
}

// once reports whether the array member of bit has not been read before, marking it read.
func (d *docDecoder) once(bit uint8) bool {
	if d.arrays&bit != 0 {
		return false
	}
	d.arrays |= bit
	return true
}

func (d *docDecoder) space() {
	for d.i < len(d.raw) {
		switch d.raw[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// next skips spaces and reports whether the next byte is c, consuming it if so.
func (d *docDecoder) next(c byte) bool {
	d.space()
	if d.i < len(d.raw) && d.raw[d.i] == c {
		d.i++
		return true
	}
	return false
}

// end reports whether nothing but spaces follows.
func (d *docDecoder) end() bool {
	d.space()
	return d.i == len(d.raw)
}

// token returns a string's contents without its quotes, and false for a string the fast
// path does not read as it is: one with an escape or bytes that are not UTF-8, which str hands
// to encoding/json alone, or one that is not a well-formed string at all. After a false, d.i
// is past the string's closing quote if it has one; quoted says whether it had.
func (d *docDecoder) token() (s []byte, ok bool) {
	d.quoted = false
	if !d.next('"') {
		return nil, false
	}
	start, ascii, escaped := d.i, true, false
	for d.i < len(d.raw) {
		c := d.raw[d.i]
		switch {
		case c == '"':
			s := d.raw[start:d.i]
			d.i++
			d.quoted = true
			if escaped || !ascii && !utf8.Valid(s) {
				return nil, false
			}
			return s, true
		case c == '\\':
			escaped = true
			d.i++ // the escaped byte: a quote there does not end the string
		case c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
		d.i++
	}
	return nil, false
}

// str reads a string. One with an escape — an HTML character such as the & of "R&D", which
// encoding/json writes as \u0026 — or bytes that are not UTF-8 is read by encoding/json alone.
func (d *docDecoder) str(to *string) bool {
	d.space()
	start := d.i
	s, ok := d.token()
	switch {
	case ok:
		*to = string(s)
		return true
	case d.quoted:
		return json.Unmarshal(d.raw[start:d.i], to) == nil
	}
	return false
}

func (d *docDecoder) boolean(to *bool) bool {
	d.space()
	rest := d.raw[d.i:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		*to, d.i = true, d.i+4
	case len(rest) >= 5 && string(rest[:5]) == "false":
		*to, d.i = false, d.i+5
	default:
		return false
	}
	return d.delimited()
}

// delimited reports whether a literal ended where it should: at a space, a comma or a
// closing bracket, not in the middle of a longer word such as "truex".
func (d *docDecoder) delimited() bool {
	if d.i == len(d.raw) {
		return true
	}
	switch d.raw[d.i] {
	case ' ', '\t', '\n', '\r', ',', '}', ']':
		return true
	}
	return false
}

// number returns an integer's token, and false for what JSON's grammar or the fast path does
// not take as one: a leading zero but for 0 itself, a plus, a minus but first, a fraction or
// an exponent.
func (d *docDecoder) number() ([]byte, bool) {
	d.space()
	start := d.i
	for d.i < len(d.raw) && (d.raw[d.i] == '-' || d.raw[d.i] >= '0' && d.raw[d.i] <= '9') {
		d.i++
	}
	tok := d.raw[start:d.i]
	digits := tok
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 1 && digits[0] == '0' || !d.delimited() {
		return nil, false
	}
	for _, c := range digits {
		if c == '-' {
			return nil, false
		}
	}
	return tok, true
}

func (d *docDecoder) integer(to *int64) bool {
	tok, ok := d.number()
	if !ok {
		return false
	}
	n, err := strconv.ParseInt(string(tok), 10, 64)
	if err != nil {
		return false
	}
	*to = n
	return true
}

func (d *docDecoder) unsigned(to *uint64) bool {
	tok, ok := d.number()
	if !ok {
		return false
	}
	n, err := strconv.ParseUint(string(tok), 10, 64) // a minus fails, as in encoding/json
	if err != nil {
		return false
	}
	*to = n
	return true
}

// object reads an object's members, calling member with each key; member reads the value.
func (d *docDecoder) object(member func(key []byte) bool) bool {
	if !d.next('{') {
		return false
	}
	if d.next('}') {
		return true
	}
	for {
		key, ok := d.token()
		if !ok || !d.next(':') || !member(key) {
			return false
		}
		if d.next(',') {
			continue
		}
		return d.next('}')
	}
}

// array reads an array, calling elem for each element.
func (d *docDecoder) array(elem func() bool) bool {
	if !d.next('[') {
		return false
	}
	if d.next(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if d.next(',') {
			continue
		}
		return d.next(']')
	}
}

// time reads a time as json.Unmarshal does: time.Time's UnmarshalJSON given the quoted string.
func (d *docDecoder) time(to *time.Time) bool {
	d.space()
	start := d.i
	s, ok := d.token()
	if !ok {
		return false
	}
	if string(s) == zeroTime { // never signed in, sessions never ended: most users' two times
		*to = time.Time{}
		return true
	}
	return to.UnmarshalJSON(d.raw[start:d.i]) == nil
}

// zeroTime is how the zero time.Time is stored.
const zeroTime = "0001-01-01T00:00:00Z"

// arrayOf reads an array into *to, each element by elem: an empty array is an empty slice, as
// encoding/json makes it.
func arrayOf[T any](d *docDecoder, to *[]T, elem func(v *T) bool) bool {
	vs := []T{}
	ok := d.array(func() bool {
		var v T
		if !elem(&v) {
			return false
		}
		vs = append(vs, v)
		return true
	})
	*to = vs
	return ok
}

// strAs reads a string into a string type of the model (Owner, Rule, KeySource).
func strAs[T ~string](d *docDecoder, to *T) bool {
	var s string
	ok := d.str(&s)
	*to = T(s)
	return ok
}

func (d *docDecoder) multiValues(to *[]MultiValue) bool {
	return arrayOf(d, to, func(v *MultiValue) bool {
		return d.object(func(key []byte) bool {
			switch string(key) {
			case "value":
				return d.str(&v.Value)
			case "type":
				return d.str(&v.Type)
			case "primary":
				return d.boolean(&v.Primary)
			case "display":
				return d.str(&v.Display)
			}
			return false
		})
	})
}

func (d *docDecoder) addresses(to *[]Address) bool {
	return arrayOf(d, to, func(a *Address) bool {
		return d.object(func(key []byte) bool {
			switch string(key) {
			case "formatted":
				return d.str(&a.Formatted)
			case "streetAddress":
				return d.str(&a.StreetAddress)
			case "locality":
				return d.str(&a.Locality)
			case "region":
				return d.str(&a.Region)
			case "postalCode":
				return d.str(&a.PostalCode)
			case "country":
				return d.str(&a.Country)
			case "type":
				return d.str(&a.Type)
			case "primary":
				return d.boolean(&a.Primary)
			}
			return false
		})
	})
}

func (d *docDecoder) user(u *User) bool {
	return d.object(func(key []byte) bool {
		switch string(key) {
		case "id":
			return d.str(&u.ID)
		case "userName":
			return d.str(&u.UserName)
		case "name":
			n := &u.Name
			return d.object(func(key []byte) bool {
				switch string(key) {
				case "formatted":
					return d.str(&n.Formatted)
				case "familyName":
					return d.str(&n.FamilyName)
				case "givenName":
					return d.str(&n.GivenName)
				case "middleName":
					return d.str(&n.MiddleName)
				case "honorificPrefix":
					return d.str(&n.HonorificPrefix)
				case "honorificSuffix":
					return d.str(&n.HonorificSuffix)
				}
				return false
			})
		case "displayName":
			return d.str(&u.DisplayName)
		case "nickName":
			return d.str(&u.NickName)
		case "profileUrl":
			return d.str(&u.ProfileURL)
		case "title":
			return d.str(&u.Title)
		case "userType":
			return d.str(&u.UserType)
		case "preferredLanguage":
			return d.str(&u.PreferredLanguage)
		case "locale":
			return d.str(&u.Locale)
		case "timezone":
			return d.str(&u.Timezone)
		case "active":
			return d.boolean(&u.Active)
		case "emails":
			return d.once(1) && d.multiValues(&u.Emails)
		case "phoneNumbers":
			return d.once(2) && d.multiValues(&u.PhoneNumbers)
		case "addresses":
			return d.once(4) && d.addresses(&u.Addresses)
		case "roles":
			return d.once(8) && d.multiValues(&u.Roles)
		case "entitlements":
			return d.once(16) && d.multiValues(&u.Entitlements)
		case "externalId":
			return d.str(&u.ExternalID)
		case "enterprise":
			e := &u.Enterprise
			return d.object(func(key []byte) bool {
				switch string(key) {
				case "employeeNumber":
					return d.str(&e.EmployeeNumber)
				case "costCenter":
					return d.str(&e.CostCenter)
				case "organization":
					return d.str(&e.Organization)
				case "division":
					return d.str(&e.Division)
				case "department":
					return d.str(&e.Department)
				case "managerId":
					return d.str(&e.ManagerID)
				case "managerDisplayName":
					return d.str(&e.ManagerDisplay)
				}
				return false
			})
		case "passwordHash":
			return d.str(&u.PasswordHash)
		case "org":
			return d.str(&u.Org)
		case "idp":
			return d.str(&u.IdP)
		case "uniqueUserId":
			return d.str(&u.UniqueUserID)
		case "owner":
			return strAs(d, &u.Owner)
		case "lastLoginAt":
			return d.time(&u.LastLoginAt)
		case "sessionsValidAfter":
			return d.time(&u.SessionsValidAfter)
		case "meta":
			m := &u.Meta
			return d.object(func(key []byte) bool {
				switch string(key) {
				case "created":
					return d.time(&m.Created)
				case "lastModified":
					return d.time(&m.LastModified)
				case "version":
					return d.integer(&m.Version)
				}
				return false
			})
		}
		return false
	})
}

func (d *docDecoder) strings(to *[]string) bool { return arrayOf(d, to, d.str) }

// value skips any one JSON value and returns it, for encoding/json to read alone.
func (d *docDecoder) value() ([]byte, bool) {
	d.space()
	start, depth := d.i, 0
	for d.i < len(d.raw) {
		switch c := d.raw[d.i]; c {
		case '"':
			if _, _ = d.token(); !d.quoted {
				return nil, false
			}
			d.i-- // back on the closing quote, passed below
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth < 0 {
				return nil, false
			}
		case ',':
			if depth == 0 {
				return d.raw[start:d.i], true
			}
		}
		d.i++
		if depth == 0 && d.delimited() {
			return d.raw[start:d.i], true
		}
	}
	return nil, false
}

func (d *docDecoder) event(e *Event) bool {
	return d.object(func(key []byte) bool {
		switch string(key) {
		case "seq":
			return d.unsigned(&e.Seq)
		case "id":
			return d.str(&e.ID)
		case "time":
			return d.time(&e.Time)
		case "type":
			return d.str(&e.Type)
		case "actor":
			return d.str(&e.Actor)
		case "subject":
			return d.str(&e.Subject)
		case "org":
			return d.str(&e.Org)
		case "idp":
			return d.str(&e.IdP)
		case "rule":
			return strAs(d, &e.Rule)
		case "reason":
			return d.str(&e.Reason)
		case "changes":
			return d.once(1) && d.strings(&e.Changes)
		case "detail":
			return d.str(&e.Detail)
		case "user":
			if !d.once(2) {
				return false
			}
			e.User = new(User)
			inner := docDecoder{raw: d.raw, i: d.i}
			if !inner.user(e.User) {
				return false
			}
			d.i = inner.i
			return true
		case "group":
			// A group's members may be thousands of ids; encoding/json reads the group alone.
			raw, ok := d.value()
			if !ok || !d.once(4) || string(raw) == "null" { // null leaves Group nil
				return false
			}
			e.Group = new(Group)
			return json.Unmarshal(raw, e.Group) == nil
		case "partial":
			return d.boolean(&e.Partial)
		case "key_source":
			return strAs(d, &e.KeySource)
		case "warnings":
			return d.once(8) && d.strings(&e.Warnings)
		}
		return false
	})
}
