// Package scimfilter parses and evaluates SCIM 2.0 filters (RFC 7644 §3.4.2.2) and PATCH paths
// (§3.5.2) over directory users and groups. The SCIM surface uses it for GET /Users?filter=…,
// and the admin API reuses it for GET /users?filter=…, with its extra attributes.
//
// API:
//
//	expr, err := scimfilter.Parse(`emails[type eq "work" and primary eq true] or userName sw "a"`)
//	ok := scimfilter.MatchUser(expr, u, map[string]string{"idp": u.IdP, "uniqueUserId": u.UniqueUserID, "owner": string(u.Owner)})
//	ok = scimfilter.MatchGroup(expr, g, nil)
//	attr, value, ok := scimfilter.IndexedEquality(expr) // an eq that an index can answer, e.g. ("username", "bjensen")
//	path, err := scimfilter.ParsePath(`emails[type eq "work"].value`) // a PATCH path
//
// A parse failure is a *SyntaxError, whose message says what was expected where; SCIM maps it
// to 400 invalidFilter.
//
// Invariants:
//   - Operators, logical words and attribute names are case-insensitive ("username Eq" works,
//     as PingOne sends it); attributes are resolved with or without their schema URN prefix.
//   - String comparisons are case-insensitive except for the case-exact attributes id,
//     externalId, meta.version and the value of members/groups (ids), per RFC 7643.
//   - A comparison on a multi-valued attribute is true if any value satisfies it; without a
//     sub-attribute it compares the "value" sub-attribute (RFC 7644 §3.4.2.2).
//   - `attr[filter].sub op value` (the form Entra ID sends) means the same as
//     `attr[filter and sub op value]`, so it is parsed into that.
//   - dateTime attributes are compared at TimePrecision, the precision FormatTime shows them
//     with, on both sides: what a client read back compares equal to what is stored.
//   - Evaluation never panics and never errors: an attribute that does not exist, or a type
//     mismatch such as `active gt 3`, simply does not match.
//   - Matching reads only the values given; it knows nothing of scopes. Callers restrict the
//     candidate set (a SCIM token sees only its IdP's users, R10) before matching.
package scimfilter
