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
//   - GET /presets (the vendor presets, each with its set-up guide), GET /backup (a consistent
//     copy of the bbolt store; 501 when the store has none); GET /whoami adds the caller's
//     actor, the base URL, its kind ("admin", "console" or "setup"), a set-up session's
//     intent and when the credential expires.
//
// # Self-service set-up
//
// What the set-up console and the IdP page use (DESIGN.md, "Version 2"), with who may call it:
//
//   - POST /orgs/{org}/setup-links {"intent": "sso"|"scim"|"domain"|"all", "expires_in"}
//     (owner or that organization's admin; expires_in as for tokens, default 7 days, at most
//     30) → 201 {"id", "org", "intent", "url", "created", "expires_at", "revoked_at",
//     "last_used_at", "status"}; url is <base-url>/setup/<secret>, shown this once (only the
//     secret's hash is stored). GET /orgs/{org}/setup-links lists them without url;
//     DELETE /setup-links/{id} revokes one (200 with it) and ends its sessions at once.
//   - GET /setup/<secret> (no credential: the link is one) opens a set-up session: cookie
//     roster_setup (HttpOnly, SameSite=Strict, Path=/, Secure behind an https base URL, for
//     12 hours at most and never past the link's expiry), the event setup_link.opened, and
//     303 to /admin/#/setup. An expired (410), revoked (410) or unknown/tampered (404) link
//     gets an HTML page saying which, sets no cookie and writes nothing. The session is an
//     org-admin of the link's organization limited to its intent; its events' actor is
//     setup:<link id>. Intents reach: sso — IdPs (create, change, delete, health, set-up
//     guide) and their test sign-in; scim — SCIM tokens, and IdPs read-only; domain — the
//     organization's domains; all — all of these. Every intent reads its organization, the
//     presets and /whoami, and may POST /logout; nothing else (users, groups, events,
//     tombstones, webhooks, admin credentials, set-up links) — 403 naming what the link may
//     do; another organization's resources are 404.
//   - GET /admin/sso/{org} (no credential) starts the organization's console sign-in: 303 to
//     /sso/{its console_access IdP}/login?console=1&return_to=/admin/; an organization that
//     does not exist and one without console_access get the same 404 page. The sign-in ends
//     with cookie roster_console (same attributes, session_ttl) for members of its admin or
//     viewer groups (owner or viewer of everything in the --operator-org organization), a
//     page and a console.refused event for anyone else.
//   - Console and set-up sessions are credentials of this API, read from their cookie when
//     the request has no Authorization header (a bearer token wins). A request that changes
//     anything (any method but GET, HEAD, OPTIONS) with a cookie must carry the header
//     X-Roster-Console: 1, which no cross-site form can send, and is refused (403) when the
//     browser says it is cross-site or same-site (Sec-Fetch-Site). An ended session is 401
//     and its cookie is cleared. POST /logout ends the session of the cookie (204).
//   - GET /idps/{id}/setup-guide → {"idp", "preset", "preset_name", "protocol", "mode",
//     "scim_match", "unique_user_id_source", "scim_match_advice", "values": {"sp_entity_id",
//     "acs_url", "sp_metadata_url", "login_url", "redirect_uri", "scim_base_url"}, "guide":
//     {"saml", "oidc", "scim": [{"title", "text", "paste": [{"name", "label", "value"}],
//     "claims": [{"name", "source", "feeds", "required"}], "bring": [...]}]}}: the vendor's
//     steps in the vendor's words, each value to paste under the vendor's label for its field
//     with Roster's value filled in (scim_token has none: it is shown once, on creation), the
//     attributes or claims to add (name ← source, what it feeds; the required one feeds
//     uniqueUserId, R1) and what to bring back into Roster ("saml.metadata_url",
//     "oidc.issuer", …). GET /presets carries the same guides with the values unfilled.
//   - POST /idps/{id}/test-sign-in {"format": "html"|"json"} (write on the IdP; for a set-up
//     session, intent sso or all) → 201 {"url", "expires_at"}: the URL of one test sign-in,
//     holding a single-use ticket valid 5 minutes, for a caller with an admin token, which a
//     browser does not send on a navigation. A console or set-up session opens
//     /sso/{id}/login?test=1 (&format=json) directly. The test runs the real sign-in and ends
//     on a page (or JSON) of {"idp", "org", "protocol", "passed", "subject": {"kind", "value",
//     "persistent"}, "claims": [{"name", "values"}], "unique_user_id", "key_source"
//     ("mapped", "alias", "fallback" or ""), "key_attribute", "key_explanation", "identity",
//     "decision": {"action", "rule", "code", "reason", "event"}, "warnings", "event_id"}; the
//     page embeds that JSON in <script type="application/json" id="roster-test-result">.
//     Nothing about the person is stored; one login.tested event records the test.
//   - GET /idps/{id}/health → {"idp", "org", "protocol", "mode", "checked_at", "metadata":
//     {"checked", "valid", "source", "problem"}, "certificates": [{"subject", "not_before",
//     "not_after", "days_left", "sha256", "warning"}], "scim": {"last_request",
//     "last_authenticated_at", "recent_errors": [{"time", "operation", "status", "rule",
//     "reason", "event_id", "actor"}], "tokens": [{"id", "name", "created", "expires_at",
//     "last_used_at", "status", "warning"}]}, "sign_in": {"last", "last_refusal",
//     "last_test", "fallback_keys"}, "warnings": [...], "checklist": [{"id", "title", "done",
//     "needed", "detail"}], "events_examined"}. Metadata and certificates are what the sign-in
//     edge finds now (the pasted metadata, the metadata URL through its cache, or the OIDC
//     discovery); the rest is read from the IdP's tokens and the organization's events among
//     the store's last 50,000. Certificates and tokens are warned of 30 days before they
//     expire. The checklist's ids are metadata_valid, test_sign_in_passed (the last test
//     passed), first_scim_request (a SCIM write or refusal, or a token's last use; not needed
//     in mode jit) and domain_verified. A sign-in keyed by a fallback the administrator was
//     warned of counts in fallback_keys and in warnings.
//
// Invariants:
//   - Every write goes through directory.Service, so the provisioning rules apply and each
//     change is one event (R12); reads use Service.View.
//   - Every request needs an administrator bearer token (directory.TokenAdmin) in the
//     Authorization header, or, without that header, a console or set-up session cookie. A
//     correct credential always passes. Wrong, missing or ended ones are counted by one
//     limiter for every admin route, the webhooks API's included (limiter.go), per client
//     address (behind --trusted-proxies, the one X-Forwarded-For names) and per credential
//     prefix; past a threshold they are answered slowly with 429, and failures are
//     admin.auth_failed events, a bounded number per minute.
//   - Authorization is decided once per request, before the handler runs, in one place
//     (access.go): each route declares its directory.Action and how the organization of its
//     resource is found (a path's organization, IdP, user, SCIM token, tombstone, webhook or
//     set-up link; a create's "org"; a list's ?org=), its path names its directory.Area
//     (setup.go), and directory.AuthorizeArea decides. Handlers check no role.
//     A resource of an organization the credential may not see is answered with the very 404
//     of a resource that does not exist (R13); what the role may not do is a 403 saying so.
//     A list without ?org= holds only what the credential may read.
//   - The webhook routes are served by package webhooks (Config.Webhooks, a WebhookAPI) but
//     declared and admitted here like every other route. A webhook is of one organization, or
//     of every one (directory.AllOrgs): that one only a credential of every organization sees
//     and only an owner changes. An org-admin's new webhook without "org" is of its own
//     organization.
//   - Events name the credential that acted: "admin:<token name>", "setup:<link id>",
//     "console:<user id>".
//   - No secret leaves in clear: SCIM token secrets are shown once, on creation; an IdP's OIDC
//     client_secret is masked; password hashes are never part of a user.
//   - Errors are {"error": "...", "problems": [...]}; a request that fails validation changes
//     nothing, and an IdP's problems (domain and protocol) are reported all at once.
//   - Request bodies are limited to 1 MiB (413 past it) and must be JSON.
//   - The console is static HTML, CSS and JavaScript with a strict Content-Security-Policy
//     (default-src 'self', no inline script or style, frame-ancestors 'none'). With an admin
//     token it keeps the token in sessionStorage and sends it in the Authorization header,
//     which a cross-site page can neither read nor make a browser send; the token never
//     appears in a URL. With a console or set-up session it relies on the session's
//     SameSite=Strict, HttpOnly cookie and sends X-Roster-Console: 1 on every write.
//     console/app.js holds the pages of administration; console/setup.js the guided set-up a
//     set-up link opens (#/setup), the IdP page's connection health and test sign-in, and an
//     organization's set-up links. A test sign-in in a new window ends on a page of this
//     origin, whose embedded result the console reads.
package admin
