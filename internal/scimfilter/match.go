package scimfilter

import (
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory"
)

// Schema URNs that a path may carry in front of an attribute name.
const (
	userURN       = "urn:ietf:params:scim:schemas:core:2.0:user"
	groupURN      = "urn:ietf:params:scim:schemas:core:2.0:group"
	enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"
)

// TimePrecision is the precision at which dateTime attributes (meta.created,
// meta.lastModified) are shown and compared, and TimeLayout how they are shown: RFC 3339 in
// UTC with a fixed six-digit fraction. The stores keep nanoseconds; comparing what is shown
// means a filter "meta.lastModified gt <a value the server returned>" never matches the
// resource that returned it, and fixed-width strings sort in time order.
const (
	TimePrecision = time.Microsecond
	TimeLayout    = "2006-01-02T15:04:05.000000Z"
)

// FormatTime is a dateTime as SCIM shows it; the zero time is "". Every user and group a
// SCIM answer shows has two, and time.Format reads a layout other than its own constants
// anew each time, which made it a tenth of a page of 100 users: the digits are written here
// instead, for every year Format writes with four (TestFormatTimeIsTimeLayout).
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.Truncate(TimePrecision).Format(TimeLayout)
	}
	hour, minute, sec := t.Clock()
	var b [len(TimeLayout)]byte
	digits(b[0:4], year)
	b[4] = '-'
	digits(b[5:7], int(month))
	b[7] = '-'
	digits(b[8:10], day)
	b[10] = 'T'
	digits(b[11:13], hour)
	b[13] = ':'
	digits(b[14:16], minute)
	b[16] = ':'
	digits(b[17:19], sec)
	b[19] = '.'
	digits(b[20:26], t.Nanosecond()/1000)
	b[26] = 'Z'
	return string(b[:])
}

// digits writes n into b in decimal, padded with zeros to b's width.
func digits(b []byte, n int) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
}

// resource is a user or group as a tree of lower-cased attribute names, which is what filter
// paths address. Leaves are string, bool or time.Time; multi-valued attributes are []resource.
type resource map[string]any

// caseExact lists the attributes compared case-sensitively (RFC 7643: ids and versions).
var caseExact = map[string]bool{
	"id": true, "externalid": true, "meta.version": true, "members.value": true, "groups.value": true,
}

// MatchUser reports whether u satisfies e. extra adds attributes by name, such as the admin
// API's "idp", "uniqueUserId" and "owner"; it may be nil.
func MatchUser(e Expr, u directory.User, extra map[string]string) bool {
	return eval(e, userResource(u, extra), "")
}

// MatchGroup reports whether g satisfies e. extra is as for MatchUser.
func MatchGroup(e Expr, g directory.Group, extra map[string]string) bool {
	return eval(e, groupResource(g, extra), "")
}

func putString(r resource, key, v string) {
	if v != "" {
		r[key] = v
	}
}

func multi(vs []directory.MultiValue) []resource {
	out := make([]resource, 0, len(vs))
	for _, v := range vs {
		m := resource{"primary": v.Primary}
		putString(m, "value", v.Value)
		putString(m, "type", v.Type)
		putString(m, "display", v.Display)
		out = append(out, m)
	}
	return out
}

func meta(m directory.Meta, resourceType string) resource {
	return resource{
		"created":      m.Created,
		"lastmodified": m.LastModified,
		"version":      `W/"` + strconv.FormatInt(m.Version, 10) + `"`,
		"resourcetype": resourceType,
	}
}

func userResource(u directory.User, extra map[string]string) resource {
	r := resource{"active": u.Active}
	for k, v := range map[string]string{
		"id": u.ID, "username": u.UserName, "displayname": u.DisplayName, "nickname": u.NickName,
		"profileurl": u.ProfileURL, "title": u.Title, "usertype": u.UserType,
		"preferredlanguage": u.PreferredLanguage, "locale": u.Locale, "timezone": u.Timezone,
		"externalid": u.ExternalID,
	} {
		putString(r, k, v)
	}
	name := resource{}
	putString(name, "formatted", u.Name.Formatted)
	putString(name, "familyname", u.Name.FamilyName)
	putString(name, "givenname", u.Name.GivenName)
	putString(name, "middlename", u.Name.MiddleName)
	putString(name, "honorificprefix", u.Name.HonorificPrefix)
	putString(name, "honorificsuffix", u.Name.HonorificSuffix)
	if len(name) > 0 {
		r["name"] = name
	}
	for k, vs := range map[string][]directory.MultiValue{
		"emails": u.Emails, "phonenumbers": u.PhoneNumbers, "roles": u.Roles, "entitlements": u.Entitlements,
	} {
		if len(vs) > 0 {
			r[k] = multi(vs)
		}
	}
	if len(u.Addresses) > 0 {
		addrs := make([]resource, 0, len(u.Addresses))
		for _, a := range u.Addresses {
			m := resource{"primary": a.Primary}
			putString(m, "formatted", a.Formatted)
			putString(m, "streetaddress", a.StreetAddress)
			putString(m, "locality", a.Locality)
			putString(m, "region", a.Region)
			putString(m, "postalcode", a.PostalCode)
			putString(m, "country", a.Country)
			putString(m, "type", a.Type)
			addrs = append(addrs, m)
		}
		r["addresses"] = addrs
	}
	ent := resource{}
	putString(ent, "employeenumber", u.Enterprise.EmployeeNumber)
	putString(ent, "costcenter", u.Enterprise.CostCenter)
	putString(ent, "organization", u.Enterprise.Organization)
	putString(ent, "division", u.Enterprise.Division)
	putString(ent, "department", u.Enterprise.Department)
	if u.Enterprise.ManagerID != "" {
		mgr := resource{"value": u.Enterprise.ManagerID}
		putString(mgr, "displayname", u.Enterprise.ManagerDisplay)
		ent["manager"] = mgr
	}
	if len(ent) > 0 {
		r[enterpriseURN] = ent
	}
	r["meta"] = meta(u.Meta, "User")
	for k, v := range extra {
		putString(r, strings.ToLower(k), v)
	}
	return r
}

func groupResource(g directory.Group, extra map[string]string) resource {
	r := resource{}
	putString(r, "id", g.ID)
	putString(r, "displayname", g.DisplayName)
	putString(r, "externalid", g.ExternalID)
	if len(g.Members) > 0 {
		ms := make([]resource, 0, len(g.Members))
		for _, m := range g.Members {
			ms = append(ms, resource{"value": m, "type": "User"})
		}
		r["members"] = ms
	}
	r["meta"] = meta(g.Meta, "Group")
	for k, v := range extra {
		putString(r, strings.ToLower(k), v)
	}
	return r
}

// lookup finds the value of one attribute path segment, honouring a URN prefix. Without a
// prefix an attribute missing from the core schema is looked up in the enterprise extension,
// so `employeeNumber eq "7"` works as clients expect.
func lookup(r resource, p AttrPath) (any, bool) {
	name := strings.ToLower(p.Name)
	switch urn := strings.ToLower(p.URN); urn {
	case "", userURN, groupURN:
		if v, ok := r[name]; ok {
			return v, true
		}
		if urn == "" {
			if ent, ok := r[enterpriseURN].(resource); ok {
				v, ok := ent[name]
				return v, ok
			}
		}
		return nil, false
	case enterpriseURN:
		if ent, ok := r[enterpriseURN].(resource); ok {
			v, ok := ent[name]
			return v, ok
		}
		return nil, false
	default:
		return nil, false
	}
}

// values returns the leaf values a path addresses: one per value of a multi-valued attribute.
// A complex value addressed without a sub-attribute stands for its "value" sub-attribute.
func values(r resource, p AttrPath) []any {
	v, ok := lookup(r, p)
	if !ok {
		return nil
	}
	var elems []resource
	switch x := v.(type) {
	case []resource:
		elems = x
	case resource:
		elems = []resource{x}
	default:
		if p.Sub != "" {
			return nil
		}
		return []any{v}
	}
	sub := strings.ToLower(p.Sub)
	if sub == "" {
		sub = "value"
	}
	out := make([]any, 0, len(elems))
	for _, e := range elems {
		if leaf, ok := e[sub]; ok {
			out = append(out, leaf)
		}
	}
	return out
}

func pathKey(prefix string, p AttrPath) string {
	k := strings.ToLower(p.Name)
	if p.Sub != "" {
		k += "." + strings.ToLower(p.Sub)
	} else if prefix != "" {
		k = prefix + "." + k
	}
	return k
}

// eval evaluates e against r. prefix names the multi-valued attribute r is a value of inside a
// value filter, so that case-exactness of e.g. members.value is known.
func eval(e Expr, r resource, prefix string) bool {
	switch x := e.(type) {
	case *Logical:
		if x.And {
			return eval(x.Left, r, prefix) && eval(x.Right, r, prefix)
		}
		return eval(x.Left, r, prefix) || eval(x.Right, r, prefix)
	case *Not:
		return !eval(x.X, r, prefix)
	case *ValuePath:
		v, ok := lookup(r, x.Attr)
		if !ok {
			return false
		}
		var elems []resource
		switch y := v.(type) {
		case []resource:
			elems = y
		case resource:
			elems = []resource{y}
		}
		name := strings.ToLower(x.Attr.Name)
		for _, el := range elems {
			if eval(x.Filter, el, name) {
				return true
			}
		}
		return false
	case *Compare:
		vals := values(r, x.Path)
		exact := caseExact[pathKey(prefix, x.Path)]
		switch x.Op {
		case Pr:
			for _, v := range vals {
				if s, ok := v.(string); !ok || s != "" {
					return true
				}
			}
			return false
		case Ne:
			return !anyMatch(vals, Eq, x.Value, exact)
		}
		return anyMatch(vals, x.Op, x.Value, exact)
	}
	return false
}

func anyMatch(vals []any, op Op, lit any, exact bool) bool {
	if lit == nil {
		// "eq null" asks for absence (RFC 7644 §3.4.2.2 treats null as unassigned).
		return op == Eq && len(vals) == 0
	}
	for _, v := range vals {
		if compare(v, op, lit, exact) {
			return true
		}
	}
	return false
}

func compare(v any, op Op, lit any, exact bool) bool {
	switch a := v.(type) {
	case string:
		b, ok := lit.(string)
		if !ok {
			return false
		}
		if !exact {
			a, b = strings.ToLower(a), strings.ToLower(b)
		}
		switch op {
		case Eq:
			return a == b
		case Co:
			return strings.Contains(a, b)
		case Sw:
			return strings.HasPrefix(a, b)
		case Ew:
			return strings.HasSuffix(a, b)
		case Gt:
			return a > b
		case Ge:
			return a >= b
		case Lt:
			return a < b
		case Le:
			return a <= b
		}
	case bool:
		b, ok := lit.(bool)
		if !ok {
			// Some clients quote booleans ("active eq \"true\"").
			if s, isStr := lit.(string); isStr {
				pb, err := strconv.ParseBool(strings.ToLower(s))
				b, ok = pb, err == nil
			}
		}
		return ok && op == Eq && a == b
	case time.Time:
		s, ok := lit.(string)
		if !ok {
			return false
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return false
		}
		a, t = a.Truncate(TimePrecision), t.Truncate(TimePrecision)
		switch op {
		case Eq:
			return a.Equal(t)
		case Gt:
			return a.After(t)
		case Ge:
			return !a.Before(t)
		case Lt:
			return a.Before(t)
		case Le:
			return !a.After(t)
		}
	}
	return false
}

// IndexedEquality finds, in e, an equality that a store index can answer and that every match
// of e must satisfy: an eq on id, userName, externalId, emails.value or displayName, alone or
// as one side of an "and". attr is one of "id", "username", "externalid", "emails.value",
// "displayname". Callers still evaluate e on the candidates the index returns.
func IndexedEquality(e Expr) (attr, value string, ok bool) {
	switch x := e.(type) {
	case *Logical:
		if !x.And {
			return "", "", false
		}
		if attr, value, ok = IndexedEquality(x.Left); ok {
			return
		}
		return IndexedEquality(x.Right)
	case *Compare:
		s, isStr := x.Value.(string)
		if x.Op != Eq || !isStr {
			return "", "", false
		}
		switch urn := strings.ToLower(x.Path.URN); urn {
		case "", userURN, groupURN:
		default:
			return "", "", false
		}
		name, sub := strings.ToLower(x.Path.Name), strings.ToLower(x.Path.Sub)
		switch {
		case sub == "" && (name == "id" || name == "username" || name == "externalid" || name == "displayname"):
			return name, s, true
		case name == "emails" && (sub == "value" || sub == ""):
			return "emails.value", s, true
		}
	case *ValuePath:
		if !strings.EqualFold(x.Attr.Name, "emails") {
			return "", "", false
		}
		if v, found := innerValueEq(x.Filter); found {
			return "emails.value", v, true
		}
	}
	return "", "", false
}

// ValueEquality finds `value eq "…"` among the and-ed terms of a value filter such as the
// one of `members[value eq "…"]`: every value the filter selects has that value, compared
// case-insensitively or exactly depending on the attribute, so callers can skip the others
// before evaluating the filter.
func ValueEquality(e Expr) (string, bool) { return innerValueEq(e) }

// innerValueEq finds `value eq "…"` among the and-ed terms of a value filter.
func innerValueEq(e Expr) (string, bool) {
	switch x := e.(type) {
	case *Logical:
		if !x.And {
			return "", false
		}
		if v, ok := innerValueEq(x.Left); ok {
			return v, true
		}
		return innerValueEq(x.Right)
	case *Compare:
		if s, ok := x.Value.(string); ok && x.Op == Eq && x.Path.URN == "" && strings.EqualFold(x.Path.Name, "value") && x.Path.Sub == "" {
			return s, true
		}
	}
	return "", false
}

// MatchValue reports whether one value of the multi-valued attribute attr (such as "emails" or
// "members"), given as generic JSON, satisfies the value filter e. PATCH uses it to find the
// targets of a path like `emails[type eq "work"]`.
func MatchValue(e Expr, value map[string]any, attr string) bool {
	return eval(e, genericResource(value), strings.ToLower(attr))
}

func genericResource(m map[string]any) resource {
	r := make(resource, len(m))
	for k, v := range m {
		switch x := v.(type) {
		case string, bool:
			r[strings.ToLower(k)] = x
		case map[string]any:
			r[strings.ToLower(k)] = genericResource(x)
		}
	}
	return r
}

// EqualityTerms returns the `attr eq literal` terms of an and-chain, keyed by attribute name as
// written, or nil if e is anything else. PATCH uses it to create the value that a path like
// `emails[type eq "work"].value` addresses when no value matches yet.
func EqualityTerms(e Expr) map[string]any {
	out := map[string]any{}
	var walk func(Expr) bool
	walk = func(e Expr) bool {
		switch x := e.(type) {
		case *Logical:
			return x.And && walk(x.Left) && walk(x.Right)
		case *Compare:
			if x.Op != Eq || x.Path.URN != "" || x.Path.Sub != "" || x.Value == nil {
				return false
			}
			out[x.Path.Name] = x.Value
			return true
		}
		return false
	}
	if !walk(e) {
		return nil
	}
	return out
}
