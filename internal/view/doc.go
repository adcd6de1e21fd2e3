// Package view holds the JSON shapes that more than one surface answers with: the user as the
// admin API shows it (DESIGN.md, "A user is …"), which GET /api/v1/me answers too, and a
// vendor's set-up guide (Guide), which jit keeps with its presets and the admin API serves.
// admin and jit both build them here, so the two can never drift apart, and neither has to
// import the other.
//
// Invariants:
//   - A view never carries a secret: the password hash, token hashes and session secrets are
//     not in it.
//   - The JSON field names and their order are part of the external contract (v1); a test
//     pins them.
//   - Lists in a view are never null in JSON ("emails": [], "groups": []), so clients need
//     not tell a missing list from an empty one.
package view
