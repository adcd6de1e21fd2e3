// Package postgres is the directory.Store on PostgreSQL: the backend for several stateless
// Roster replicas behind a load balancer, sharing one database. It gives the guarantees of the
// embedded bbolt store, enforced by the database rather than by a single process, and passes
// the same storage/storagetest suite.
//
// Invariants:
//   - Replicas writing at once interleave only in ways equivalent to one writer after
//     another. The directory's traffic (SCIM, sign-ins, sessions, one-time keys, webhook
//     cursors) writes concurrently at REPEATABLE READ, what it must not do at once being
//     backed by unique indexes, foreign keys and write-write conflicts; a transaction that
//     changes an organization, an IdP or a token, on which the others' decisions rest, runs
//     alone among writers, restarted so at its first such write (Store.Update). When
//     PostgreSQL refuses a transaction because of a concurrent writer (40001, 40P01, or a
//     uniqueness or reference check overtaken by one), it is rolled back and its function
//     runs again on fresh data, as the port allows; one that lost twice runs alone. View is a
//     REPEATABLE READ, READ ONLY transaction: one snapshot, never refused, never queued.
//   - A transaction's event inserts, which answer nothing, travel with its next statement or
//     its commit, in the same round trip.
//   - A store keeps the organizations and IdPs its writers read, by settings_version, which
//     every transaction that changes settings (alone among writers) raises; a writer may use
//     them before its first round trip, which reads the version, and runs again when they were
//     not its snapshot's (settings.go).
//   - Users and groups are JSON documents beside the columns their indexes need: id,
//     organization, (organization, case-folded userName) (unique, R8, R13), (idp,
//     uniqueUserId) (unique, R7), (idp, externalId), case-folded emails (a GIN-indexed array,
//     looked up with the organization) and IdP. Uniqueness is checked in the transaction and
//     backed by unique indexes. Organizations are documents too; their verified domains are
//     rows of org_domains, one organization per domain. Events carry their organization in a
//     column, indexed with the sequence number.
//   - A document written before organizations (schema 1) names no organization; migration
//     0002 puts every row in organization default through the org columns, and such a
//     document reads as default's. Group membership is a table with foreign keys
//     both ways, so deleting a user or a group removes its memberships in the same statement.
//   - Folded userNames and emails are computed by Roster (directory.FoldUserName, FoldEmail).
//     When the folding changes, RefoldUsers recomputes the columns from the documents in one
//     transaction (refold.go); a user whose userName another user of its organization holds
//     under the new folding gets a NULL folded userName (migration 0003), which no lookup
//     matches.
//   - Writers do not number their events: they put them in event_inbox in arrival order (a
//     PostgreSQL sequence) and commit without waiting for one another. Numbering
//     transactions, one at a time across replicas under an advisory lock, move committed
//     events from the inbox into events under the next numbers of the event_seq counter, a
//     transaction's events together, and NOTIFY the replicas (numbering.go). Only committed
//     events are numbered, and each numbering continues where the last one stopped, so the
//     log is gap-free and a reader sees it grow at its end only; an event is written to events
//     once. Update returns once its events are numbered, so a writer reads its own events; a
//     lone writer numbers them in its commit's round trip. Each store LISTENs on its schema's
//     channel on a connection of its own, from the first OnEvents on, so that long polls and
//     webhook workers wake for other replicas' writes.
//   - KV entries expire at their Unix-nanosecond expiry; InsertKV is one
//     INSERT … ON CONFLICT … WHERE expired statement, so the SAML replay cache holds across
//     replicas.
//   - Times are stored and returned in UTC. Ids and keys sort by bytes (COLLATE "C"), as in
//     bbolt, whatever the database's default collation.
//   - No driver error crosses the Store seam: not-found rows are directory.ErrNotFound,
//     uniqueness is *directory.ConflictError, values PostgreSQL cannot store (NUL characters,
//     invalid UTF-8) are directory.ErrInvalid, and anything else is a plain error.
//   - The schema is versioned by numbered migrations embedded in the binary, applied at Open
//     under an advisory lock (replicas starting together take turns) and recorded in
//     schema_migrations. A schema migrated by a newer binary is refused, untouched.
//
// Configuration: Open takes a postgres:// URL or a keyword/value connection string. Roster
// uses the first schema of the search_path (add search_path=NAME to share a database with
// other applications) and needs the right to create tables in it, for its migrations. Pool
// settings go in the URL too, e.g. pool_max_conns=16 (pgx's default is the larger of 4 and
// the number of CPUs). Retries reports how often writes had to run again because of
// concurrent writers, a figure worth exporting as a metric.
package postgres
