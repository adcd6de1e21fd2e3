// Package directory is Roster's domain: users, groups, identities, IdP settings, tokens, the
// event log, and the provisioning rules that decide what the two feeds — SCIM and JIT login —
// may do to them.
//
// It imports no transport and no storage: no net/http, gin, SAML, OIDC, bbolt or pgx (a test
// keeps it so). It declares the Store port that storage/bolt and storage/postgres implement.
//
// # Invariants
//
//   - Every change goes through Service, in one Store.Update transaction, together with the
//     event that describes it. The event sequence is gap-free and ordered. A sign-in (SignIn)
//     is one transaction too: its one-time keys, the user, its events and the session.
//   - For one (idp, uniqueUserId) at most one user exists, and a case-folded userName belongs to
//     at most one user of an organization; both are enforced inside the store transaction.
//   - Every IdP belongs to one organization, and its users, groups, tombstones, SCIM tokens
//     and events are that organization's. A store starts with organization default, and a
//     store written before organizations holds everything in it.
//   - What people and IdPs send passes one input policy (input.go) before it reaches a store:
//     valid UTF-8, no control or invisible format characters in identifiers, limits per
//     attribute and per multi-valued attribute; a refusal names the attribute (ErrInvalid).
//     userNames are unique, and emails compared, under NFKC and full case folding, so
//     look-alikes are one name; a userName mixing scripts within a word is refused.
//   - The rule functions in rules.go are pure: state in, decision and reason out. A decision
//     names its rule (a Rule constant; no other file spells a rule id) and the type of the
//     event that records it, and the executors take both from it.
//   - Nothing outside directory and storage/... opens a store transaction (a test keeps it
//     so). What the edges keep between requests — the one-time keys of sign-in, the SAML SP
//     key, the webhooks' configuration, cursors and leases, console and set-up sessions, the
//     signing certificates an IdP's metadata URL served last — they keep through operations
//     made for it (service_once.go, service_webhooks.go, service_setup.go, console.go,
//     health.go), which can touch nothing else.
//   - Authorization is one pure decision, AuthorizeArea: Authorize's by role and
//     organization, and for a set-up session (a set-up link opened in a browser) the check
//     that the link's intent reaches the area of the request. A set-up session is never more
//     than an org-admin of its link's organization, and ends when the link expires or is
//     revoked; a console session (a sign-in through the organization's console IdP, whose
//     role DecideConsoleAccess took from the asserted groups) ends when its user is
//     deactivated or deleted (R6). Only hashes of their secrets are stored.
//   - Every sign-in's event says where its key came from (KeySource) and carries, as a warning
//     and in its reason, why a fallback key should worry an administrator (R1, R12). A test
//     sign-in (TestLogin) runs the same decision on the current state, stores nothing about
//     the person, and writes one login.tested event that holds neither key nor attribute.
//
// # Provisioning rules
//
//	R1  Identity key. Within one IdP a person is uniqueUserId. JIT takes it from the mapped
//	    attribute (uniqueUserId, alias userUniqueId; else the persistent NameID or OIDC sub).
//	    SCIM takes it from the IdP's matching attribute: externalId (default) or userName.
//	R2  Mode jit. SCIM requests with the IdP's tokens are refused (403). A login with an unknown
//	    key creates the user (owner jit); a known key updates the mapped attributes that
//	    changed; a deactivated user is refused.
//	R3  Mode scim. A login with an unknown key is refused ("not provisioned"); an inactive user
//	    is refused; a login changes nothing but lastLoginAt.
//	R4  Mode both, login. An unknown key creates the user (owner jit). A SCIM-owned user is
//	    never re-activated by a login, and a login changes only lastLoginAt and the attributes
//	    marked login-authoritative for the IdP.
//	R5  Mode both, SCIM adoption. A SCIM POST whose key matches a JIT-created user adopts it:
//	    same id, owner scim, attributes replaced, 201. Filters find JIT-created users too.
//	R6  Deprovisioning sticks. SCIM deactivation or deletion ends the user's sessions at once;
//	    a deleted key is tombstoned and refused in modes scim and both until SCIM creates it
//	    again or an administrator clears it.
//	R7  One person, one user, also when SCIM creates and logins race.
//	R8  userName collisions: a SCIM create gets 409 uniqueness; a login is refused and never
//	    takes the account over.
//	R9  Linking by email is off by default; with link policy verified-email a login may link
//	    to an existing user with that email only if the email is asserted verified, the user
//	    has no identity, and the user is not SCIM-owned.
//	R10 Isolation: a SCIM token reads and writes only its own IdP's users and groups.
//	R11 Mode changes never lose users.
//	R12 Every decision is explained: one event whose rule names the rule that decided it.
//	R13 Organizations are isolated: userName uniqueness, email linking, filters, lists and
//	    lookups are per organization. An organization with email_domains "verified" refuses a
//	    SCIM write or a login whose email is outside its verified domains.
package directory
