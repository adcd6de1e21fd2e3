// Package admin is Roster's administration surface: the JSON API under /admin/api/v1 and the
// web console at /admin, embedded in the binary.
//
// The API is the "External contract (v1)" of DESIGN.md: IdPs (with the values an administrator
// pastes into the IdP: sp_entity_id, acs_url, sp_metadata_url, redirect_uri, scim_base_url),
// SCIM tokens, users, groups, tombstones, the event feed (long-poll), a per-IdP reconciliation
// view, vendor presets and an online backup of the bbolt store; and its "Version 2" additions:
// organizations and their domains (verified by a DNS TXT look-up through internal/dnscheck),
// admin credentials with roles, "org" on every resource and ?org= on every list.
//
// Endpoints below /admin/api/v1 beyond the contract's names, all additive:
//   - GET /idps/{id}/reconciliation: JIT users not yet adopted by SCIM, SCIM users who never
//     signed in, tombstoned keys, and refusals by rule among the last 10,000 events.
//   - GET /events also takes last=N (the N most recent events) and the filters subject=, idp=
//     and type=; a filtered page's next_after is the last event read, matched or not.
//   - GET /users and GET /groups also take idp=.
//   - GET /presets (the vendor presets), GET /backup (a consistent copy of the bbolt store;
//     501 when the store has none); GET /whoami adds the caller's actor and the base URL.
//
// Invariants:
//   - Every write goes through directory.Service, so the provisioning rules apply and each
//     change is one event (R12); reads use Service.View.
//   - Every request needs an administrator bearer token (directory.TokenAdmin) in the
//     Authorization header. Failed attempts are counted per client address; past a threshold
//     the address gets 429 until its window ends, without the token being checked at all.
//   - Authorization is decided once per request, before the handler runs, in one place
//     (access.go): each route declares its directory.Action and how the organization of its
//     resource is found (a path's organization, IdP, user, SCIM token or tombstone; a create's
//     "org"; a list's ?org=), and directory.Authorize decides. Handlers check no role. A
//     resource of an organization the credential may not see is answered with the very 404
//     of a resource that does not exist (R13); what the role may not do is a 403 saying so.
//     A list without ?org= holds only what the credential may read. Routes that other
//     packages serve below the prefix (webhooks) are admitted by the same code (Guard).
//   - Events name the credential that acted: "admin:<token name>".
//   - No secret leaves in clear: SCIM token secrets are shown once, on creation; an IdP's OIDC
//     client_secret is masked; password hashes are never part of a user.
//   - Errors are {"error": "...", "problems": [...]}; a request that fails validation changes
//     nothing, and an IdP's problems (domain and protocol) are reported all at once.
//   - Request bodies are limited to 1 MiB (413 past it) and must be JSON.
//   - The console is static HTML, CSS and JavaScript with a strict Content-Security-Policy
//     (default-src 'self', no inline script or style, frame-ancestors 'none'). It keeps the
//     admin token in sessionStorage and sends it in the Authorization header, which a
//     cross-site page can neither read nor make a browser send, so no cookie and no CSRF
//     token are needed; the token never appears in a URL.
package admin
