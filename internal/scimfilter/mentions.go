package scimfilter

import (
	"slices"
	"strings"

	"github.com/rosterhq/roster/directory"
)

// userStrings are the attributes of a user whose values are string fields of directory.User,
// as stored: top-level names (core or enterprise, lower case) and the sub-attributes each
// allows ("" for the attribute itself, or for the "value" a complex value stands for).
var userStrings = map[string][]string{
	"id": {""}, "username": {""}, "displayname": {""}, "nickname": {""}, "profileurl": {""}, "title": {""},
	"usertype": {""}, "preferredlanguage": {""}, "locale": {""}, "timezone": {""}, "externalid": {""},
	"name":         {"formatted", "familyname", "givenname", "middlename", "honorificprefix", "honorificsuffix"},
	"emails":       {"", "value", "type", "display"},
	"phonenumbers": {"", "value", "type", "display"},
	"roles":        {"", "value", "type", "display"},
	"entitlements": {"", "value", "type", "display"},
	"addresses":    {"formatted", "streetaddress", "locality", "region", "postalcode", "country", "type"},
	// The enterprise extension's.
	"employeenumber": {""}, "costcenter": {""}, "organization": {""}, "division": {""}, "department": {""},
	"manager": {"", "value", "displayname"},
}

// Mentions returns strings one of which every user that e matches holds in a string field of
// its record (directory.User), as a substring under ASCII case folding: the operands of e's
// eq, co, sw and ew comparisons of string attributes when e is an "or" of such comparisons,
// or an "and" of which a side is. extra names further top-level attributes whose values are
// string fields of the user (MatchUser's extra), such as "uniqueUserId".
//
// ok is false when e gives no such guarantee: a comparison of another kind (pr, ne, gt, …),
// of an attribute that is not a stored string (active, meta), with an operand that is empty,
// not a string, not ASCII (whose case folding reaches beyond ASCII) or holds a NUL; a "not"
// or a value filter. A store uses the strings to pass over, without decoding them, records that hold
// none (directory.ScanQuery.Mentions).
func Mentions(e Expr, extra ...string) (mentions []string, ok bool) {
	switch x := e.(type) {
	case *Logical:
		l, lok := Mentions(x.Left, extra...)
		r, rok := Mentions(x.Right, extra...)
		switch {
		case x.And && lok:
			return l, true
		case x.And:
			return r, rok
		case lok && rok:
			for _, m := range r {
				if !slices.Contains(l, m) { // the console's search names one string six times
					l = append(l, m)
				}
			}
			return l, true
		}
		return nil, false
	case *Compare:
		s, isString := x.Value.(string)
		if !isString || !directory.UsableMentions([]string{s}) || !stringAttr(x.Path, extra) {
			return nil, false
		}
		switch x.Op {
		case Eq, Co, Sw, Ew:
			return []string{s}, true
		}
	}
	return nil, false
}

// stringAttr reports whether p addresses string fields of a user.
func stringAttr(p AttrPath, extra []string) bool {
	name, sub := strings.ToLower(p.Name), strings.ToLower(p.Sub)
	switch strings.ToLower(p.URN) {
	case "", userURN, enterpriseURN:
	default:
		return false
	}
	if p.URN == "" && sub == "" {
		for _, x := range extra {
			if strings.EqualFold(x, name) {
				return true
			}
		}
	}
	for _, allowed := range userStrings[name] {
		if sub == allowed {
			return true
		}
	}
	return false
}
