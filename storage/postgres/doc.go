// Package postgres is the directory.Store on PostgreSQL: the backend for several stateless
// Roster replicas behind a load balancer, sharing one database. It gives the guarantees of the
// embedded bbolt store, enforced by the database rather than by a single process, and passes
// the same storage/storagetest suite.
//
// Invariants:
//   - Every Update is one SERIALIZABLE transaction. When PostgreSQL refuses it because of a
//     concurrent writer (40001, 40P01, or a uniqueness or reference check overtaken by one),
//     it is rolled back and its function runs again on fresh data, as the port allows; so
//     replicas writing at once behave as if they wrote one after another. A retry, and every
//     Update for a second after one, first queues on the event counter's table lock, so that
//     contending writers take turns instead of failing again. View is a REPEATABLE READ,
//     READ ONLY transaction: one snapshot, never refused, never queued.
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
//   - The event log's sequence is a counter row updated in the writing transaction, never a
//     PostgreSQL sequence: a rolled-back transaction returns its number, and the row lock
//     makes events commit in sequence order, so the log is gap-free and readers never see a
//     later event before an earlier one.
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
