// Package bolt is the embedded default directory.Store: one bbolt file, one process.
//
// Invariants:
//   - Every directory.Store Update runs in one bbolt write transaction, grouped with concurrent
//     ones by one writer goroutine so that many writers share one fsync (group commit,
//     groupcommit.go): a lone writer never waits for company, and under load a commit carries
//     every call that arrived while the previous ones ran. When one call fails, it runs again
//     alone and the others again together. The function may therefore run more than once, as
//     the port documents.
//   - A write puts only the index entries that change, so that an update leaving every indexed
//     value alone (a sign-in's lastLoginAt) dirties no index page.
//   - Tokens, IdPs and organizations, read by nearly every request, are decoded once and kept
//     beside the bytes they came from; a read uses the kept value only while the stored bytes
//     are those (decoded.go), so a revocation or an update is seen at once.
//   - Scans skip (ScanQuery.Skip) on index keys, without reading the records they pass, and
//     counts of an IdP or an organization count index keys.
//   - Users are indexed by id, by (organization, case-folded userName) (unique), by (idp,
//     uniqueUserId) (unique), by (idp, externalId), by (organization, case-folded email), by
//     IdP and by organization; groups by id, by (idp, folded displayName) (unique), by IdP and
//     by organization; memberships both ways; events by organization; organizations by
//     verified domain (unique). Indexes change in the same transaction as the record, and
//     uniqueness is checked inside it (R7, R8, R13).
//   - Index keys are length-safe: every value but the last is escaped and terminated, so no
//     value can run into the next one whatever bytes it holds, and keys sort as the tuples of
//     their values (txn.go).
//   - A group's members are stored beside its record in chunks of at most 256 ids, which the
//     record lists (format 3, groups.go): a change rewrites the chunks it touches, not the
//     list. A group written before holds its list in its record until its next write.
//   - Records written before organizations (format 1) name no organization and read as
//     organization default's; opening such a file upgrades it in one transaction
//     (upgrade.go).
//   - userNames and emails are indexed under directory.FoldUserName and FoldEmail. When the
//     folding changes, RefoldUsers empties both indexes and fills them again from the records
//     in one transaction (refold.go); a user whose userName another user of its organization
//     holds under the new folding keeps no userName entry, and removing a user's entries never
//     removes one that names another user.
//   - The event log's sequence is the events bucket's own sequence, which rolls back with the
//     transaction, so it is gap-free.
//   - The file never shrinks by itself; Compact (roster compact) copies the live data into a
//     new file, checks every bucket's key count, and renames it over the old one, offline.
//   - A "meta" bucket marks the file as Roster's and records the format version; a file that is
//     not Roster's, or is newer than this binary understands, is refused untouched.
package bolt
