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
//   - No client holds a request open by sending it slowly: the http.Server (HTTPServer) has
//     header, request and idle timeouts, and each group of routes a body size and a time for
//     its body to arrive (limits.go), the unauthenticated sign-in routes the shortest.
//   - One failure limiter guards every admin route, the webhooks API's included; the trusted
//     proxies decide the client address for it and for the access log.
package server
