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
//   - GET /events also takes last=N (the N most recent events), order=desc with before=<seq>
//     (newest first), and the filters id= (an event id: the reference a refused person reads
//     out), type= (comma-separated; "user.*" for a prefix), idp=, rule=, actor= (the actor,
//     a kind such as "scim:", or the actor's name), subject=, from= and to= (RFC 3339, a
//     date, or a duration before now such as "24h" or "7d"). A filtered page reads at most
//     20,000 events (200,000 for id=); next_after (next_before) is the last event read,
//     matched or not, and done says the read reached the end of what was asked. format=csv
//     or format=jsonl streams every match instead of a page (the CSV defuses cells a
//     spreadsheet would read as formulas). Each event adds actor_name (a SCIM or admin
//     token's name, an IdP's, a console user's), subject_type (user, group, idp, token, org,
//     domain, tombstone; empty for a refusal, whose subject is a user id or the asserted
//     key) and detail (what the protocol library said of a refused sign-in).
//   - GET /users also takes idp=, status=active|inactive, owner=scim|jit|admin,
//     sort=userName|displayName|lastLoginAt|created|lastModified ("-" before it reverses;
//     a sorted list's cursor is opaque and its page has "total") and total=true (count every
//     match). GET /groups also takes idp=.
//   - POST /users/{id}/reactivate (409 naming R6 for a user SCIM provisions: its connector
//     reactivates it); DELETE /users/{id} (200 with the user, the tombstone its key gets and
//     an explanation of what that tombstone does in the IdP's mode; ?dry_run=true says so
//     and changes nothing); GET /users/{id}/sessions (live sessions, newest first, by a
//     short id that is no secret); POST /users/{id}/sessions/revoke ("sign out everywhere":
//     every session ends, the user stays active).
//   - GET /groups/{id}: the group with member_users (id, userName, displayName, active, idp).
//   - GET /idps/{id}/mode-preview?mode=: what switching the IdP's mode would do, decided by
//     the same rules a sign-in gets (directory.DecideModePreview) and writing nothing:
//     adopted_later, no_longer_signs_in, keeps_working, signs_in_again and stays_refused,
//     each {count, items: [{user | tombstone, outcome, rule, reason}]} (500 listed at most),
//     the change event the switch would write, what happens to a newcomer, and a summary.
//   - GET /stats?org=&from=&to=&bucket=: the dashboard's figures, computed from the event
//     log and the store (so they survive restarts and agree across replicas): buckets (start
//     times; bucket 1m, 5m, 15m, 1h, 6h or 1d, chosen to fit when absent; the last 24 hours
//     by default), sign_ins by IdP, refusals by IdP and rule (rule "" is a protocol refusal),
//     scim_operations by IdP and scim_errors by IdP and rule, each {idp, rule, counts, total};
//     users now (total, active, inactive, by_idp, by_owner, rows by IdP, owner and status);
//     webhooks (id, url, status, cursor, lag in events) for a credential of every
//     organization only; last_seq; events_read and truncated (the read stops at 500,000
//     events). Limited to an organization like every list.
//   - GuardEveryOrganization admits what shows every organization at once (GET /metrics) for
//     an owner or a viewer without organization only.
//   - GET /presets (the vendor presets), GET /backup (a consistent copy of the bbolt store;
//     501 when the store has none); GET /whoami adds the caller's actor and the base URL.
//
// Invariants:
//   - Every write goes through directory.Service, so the provisioning rules apply and each
//     change is one event (R12); reads use Service.View.
//   - Every request needs an administrator bearer token (directory.TokenAdmin) in the
//     Authorization header. A correct token always passes. Wrong or missing ones are counted
//     by one limiter for every admin route, the webhooks API's included (limiter.go), per
//     client address (behind --trusted-proxies, the one X-Forwarded-For names) and per
//     credential prefix; past a threshold they are answered slowly with 429, and failures
//     are admin.auth_failed events, a bounded number per minute.
//   - Authorization is decided once per request, before the handler runs, in one place
//     (access.go): each route declares its directory.Action and how the organization of its
//     resource is found (a path's organization, IdP, user, SCIM token, tombstone or webhook; a
//     create's "org"; a list's ?org=), and directory.Authorize decides. Handlers check no role.
//     A resource of an organization the credential may not see is answered with the very 404
//     of a resource that does not exist (R13); what the role may not do is a 403 saying so.
//     A list without ?org= holds only what the credential may read.
//   - The webhook routes are served by package webhooks (Config.Webhooks, a WebhookAPI) but
//     declared and admitted here like every other route. A webhook is of one organization, or
//     of every one (directory.AllOrgs): that one only a credential of every organization sees
//     and only an owner changes. An org-admin's new webhook without "org" is of its own
//     organization.
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
