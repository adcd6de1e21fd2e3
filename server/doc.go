// Package server assembles Roster's HTTP surfaces — SCIM, JIT sign-in, the admin API and
// console, and the ops endpoints — into one handler over one directory.Service. The roster
// binary (cmd/roster) serves it; conformance and end-to-end tests start it in-process
// (internal/testserver).
//
// Invariants:
//   - This is the one place that knows every surface: scim, jit, admin and admin/webhooks do
//     not import each other, and the wiring between them (the jit presets shown by the admin
//     console, the IdP checks admin runs before saving) happens here.
//   - It reads no files, flags or environment; cmd/roster does, and hands over a Config.
//   - Background work (webhook delivery) stops when Config.Context ends, and Config.Workers
//     lets the caller wait for it before closing the store.
package server
