// Package deps holds no code. Its test keeps the import rules of DESIGN.md and STYLE.md as one
// table of package → forbidden imports, each with the reason (after Tailscale's
// tstest/deptest), checked against what `go list -deps` reports for the whole module:
//
//   - directory, the domain, imports no other package of Roster and no transport or driver;
//   - the surfaces (scim, jit, admin and admin/webhooks) reach data only through directory,
//     never storage/..., and never import each other: server wires them together;
//   - the packages the surfaces share (internal/view, internal/scimfilter) import none of them;
//   - only cmd/roster picks and opens a store: server imports no storage/...;
//   - storage/... imports no surface, server or cmd;
//   - the test kit (internal/testidp, internal/teststore, internal/testserver, internal/slowlink,
//     storage/storagetest) is imported by tests only, never by a package the binary is made of;
//   - internal/testidp and the conformance suite know Roster only as a black box: testidp
//     imports nothing of Roster, and the conformance tests import only testidp and testserver
//     (for the in-process target).
package deps
