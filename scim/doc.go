// Package scim serves the SCIM 2.0 service provider (RFC 7643, RFC 7644) at /scim/v2 on top of
// github.com/elimity-com/scim, mapping Users (core + enterprise extension) and Groups onto
// directory.Service.
//
// A request passes, in order: the mount-prefix strip, bearer authentication (401), the body
// limit (1 MiB, else 413), the vendor normaliser (normalize.go: the one place where what Entra ID,
// Okta, PingOne and OneLogin really send is rewritten into RFC form), and then either Roster's own
// handlers — lists and searches, GET of one resource with If-None-Match, ServiceProviderConfig —
// or the library, which validates bodies, parses PATCH operations and calls the ResourceHandlers
// in users.go and groups.go.
//
// Invariants:
//   - Every write goes through directory.Service (SCIMCreateUser, SCIMUpdateUser, …), so the
//     provisioning rules apply and every write and refusal is an event (R12). Reads run in
//     svc.View; every read is scoped to the token's IdP, and another IdP's resource is 404 (R10).
//   - Filters are evaluated by internal/scimfilter, never by the library: equality on id, userName,
//     externalId, emails.value and group displayName goes through the store's indexes; anything
//     else scans the IdP's resources in id order.
//   - Lists are in id order unless sortBy says otherwise, so startIndex paging is stable;
//     itemsPerPage is the number of resources returned and Resources is never null. A query
//     against the root (GET /, POST /.search) lists users, then groups.
//   - Deep unfiltered paging resumes from remembered positions (cursor.go), which are valid
//     only while the event sequence number is unchanged, i.e. while no write has happened.
//   - meta.version and the ETag are W/"<Meta.Version>"; If-Match with another version is 412,
//     If-None-Match with the current one is 304.
//   - Directory errors become SCIM error bodies in one place (errors.go). A client mistake is
//     never a 500; an internal error is logged and answered with a generic message.
//   - A password is stored only as a salted hash and never returned; a user's groups are
//     computed from memberships and read-only.
package scim
