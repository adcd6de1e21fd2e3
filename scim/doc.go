// Package scim serves the SCIM 2.0 service provider (RFC 7643, RFC 7644) at /scim/v2, mapping
// Users (core + enterprise extension) and Groups onto directory.Service. The resource schemas,
// their validation and the error type are those of github.com/elimity-com/scim.
//
// A request takes one path: the mount-prefix strip, bearer authentication (401), the body
// limit (1 MiB, else 413), the body's media type (JSON, else 415) and encoding (UTF-8 without
// lone surrogate escapes, else 400; input.go), the mode check (R2), then the handler of its
// route (scim.go). A
// write's body is decoded once into generic JSON and rewritten in place by the vendor
// normaliser (normalize.go: the one place where what Entra ID, Okta, PingOne and OneLogin
// really send is put into RFC form). A POST or PUT is then validated against the library's
// schema (resource.go) and read into a directory.User or Group; a PATCH has each operation's
// path and value checked against the schema, and is applied to the stored resource in generic
// form (patch.go): a small one inside the write transaction where writers run together
// (PostgreSQL), else to a copy read before it, written only if the resource is still the
// version the copy was read at, else applied again (writes.go: inside when small, so that
// concurrent PATCHes of one resource all land). No PATCH does more than a few milliseconds of
// its own work inside a write transaction.
// The Service returns what it wrote — for a user, with its groups read in the same
// transaction — and the answer is encoded once.
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
//     only while the event sequence number is unchanged, i.e. while no write has happened;
//     without one, the store skips to the page on its index (ScanQuery.Skip), reading no user
//     before it.
//   - meta.version and the ETag are W/"<Meta.Version>"; If-Match with another version is 412,
//     If-None-Match with the current one is 304.
//   - Directory errors become SCIM error bodies in one place (errors.go). A client mistake is
//     never a 500; an internal error is logged and answered with a generic message.
//   - No request does expensive work while it holds the store's writer: a PATCH's operations
//     run before its transaction, and one PATCH carries at most 1000 operations and a bounded
//     amount of value-filter work (400 tooMany past either); each operation costs time linear
//     in the values it touches.
//   - A password is stored only as a salted hash and never returned; a user's groups are
//     computed from memberships and read-only.
//   - No request decodes its body or encodes its answer twice, and no answer needs a
//     transaction of its own: a write answers with what its transaction wrote and read.
//   - Bulk (bulk.go) runs each operation through route, like its own request, against a view
//     of the Service on a shared transaction (directory.Service.RunBatch): the same rules,
//     events and scope as single requests, one commit for many. An operation that fails inside
//     its transaction never leaves part of its change: its batch is abandoned and run again
//     without it, and it runs alone. A PATCH operation always runs alone, as its own request
//     would, within the same caps, doing no more than a few milliseconds of its own work inside
//     a write transaction, so that a bulk request of PATCHes holds the writer little longer
//     than its writes. The input policy is the Service's, the same for every operation. References to bulkIds run after their
//     POST; circular ones are 409.
//   - meta times are shown with six fractional digits and compared at that precision
//     (scimfilter.TimePrecision), in filters and sorting alike.
//   - /Schemas advertises only what is kept and done: Group members are users (no nested
//     groups) without display; a PATCH remove of active is refused, never a 200 that did
//     nothing.
//   - The discovery endpoints (/ServiceProviderConfig, /Schemas, /ResourceTypes) list
//     everything and refuse a filter with 403 (RFC 7644 §4).
package scim
