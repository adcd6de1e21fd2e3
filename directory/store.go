package directory

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Store is the persistence port of the directory. Backends live in storage/*; each must pass
// storage/storagetest.
//
// All changes go through Update, whose function runs inside one write transaction: every read
// it makes sees the transaction's own writes, uniqueness is checked inside it (R7, R8), and the
// events it appends commit or roll back with the change they describe.
//
// The function given to Update may run more than once (group commit may retry it, a backend may
// retry on a serialization failure), so it must be pure apart from its calls on tx: it may set
// variables it captured, but must not append to them or cause side effects outside tx.
type Store interface {
	Update(ctx context.Context, fn func(tx Tx) error) error
	View(ctx context.Context, fn func(tx ReadTx) error) error
	// ReadKVUser reads the KV entry (ns, key) as ReadTx.KV does and, in the same read, the
	// user whose id is the string member userField of the entry's value, a JSON object. It is
	// the check of a session cookie, which a reverse proxy's forward-auth makes before every
	// request of the product, so a backend answers it in one statement where it can (one
	// round trip to PostgreSQL instead of three). The user is zero when the value is not such
	// an object or names no user that exists; a missing or expired entry is ErrNotFound.
	ReadKVUser(ctx context.Context, ns, key string, now time.Time, userField string) ([]byte, User, error)
	// ReadTokenByHash is ReadTx.TokenByHash as a read of its own, with the IdP the token
	// belongs to (zero for a token of no IdP, or of one that no longer exists): the check of a
	// bearer token, made by every request of the SCIM and admin APIs, and the IdP whose mode
	// a SCIM request is checked against (R2). A backend answers it in one statement where it
	// can.
	ReadTokenByHash(ctx context.Context, hash []byte) (Token, IdP, error)
	// WritersRunTogether reports whether the backend's write transactions run side by side,
	// so that work done inside one delays no other writer (PostgreSQL). Where they run one
	// at a time (bbolt), a caller does what it can before Update; where they run together,
	// it does it inside, saving the reads before.
	WritersRunTogether() bool
	Close() error
}

// ReadTokenByHashIn is ReadTokenByHash in a read transaction, for backends whose transactions
// cost nothing to begin; it is also what every backend's ReadTokenByHash must agree with.
func ReadTokenByHashIn(tx ReadTx, hash []byte) (Token, IdP, error) {
	tok, err := tx.TokenByHash(hash)
	if err != nil || tok.IdP == "" {
		return tok, IdP{}, err
	}
	idp, err := tx.IdP(tok.IdP)
	if errors.Is(err, ErrNotFound) {
		return tok, IdP{}, nil
	}
	return tok, idp, err
}

// ReadKVUserIn is ReadKVUser in a read transaction, for backends whose transactions cost
// nothing to begin; it is also what every backend's ReadKVUser must agree with.
func ReadKVUserIn(tx ReadTx, ns, key string, now time.Time, userField string) ([]byte, User, error) {
	value, err := tx.KV(ns, key, now)
	if err != nil {
		return nil, User{}, err
	}
	var members map[string]json.RawMessage
	var id string
	if json.Unmarshal(value, &members) != nil || json.Unmarshal(members[userField], &id) != nil {
		return value, User{}, nil
	}
	u, err := tx.User(id)
	if errors.Is(err, ErrNotFound) {
		return value, User{}, nil
	}
	return value, u, err
}

// ScanQuery selects users or groups for a scan, always in ascending id order so that paging is
// stable.
type ScanQuery struct {
	// Org restricts the scan to one organization's resources; "" scans all. Backends answer it
	// from an index, so that a scan of one organization never reads another's records (R13).
	Org string
	// IdP restricts the scan to one IdP's resources; "" scans all.
	IdP string
	// After starts the scan after this id ("" from the start).
	After string
	// Skip passes over the first Skip records the query selects (after After) before fn is
	// first called. Backends skip from their indexes without reading the records where they
	// can, so that a deep page (SCIM startIndex) does not cost a read of every record before
	// it.
	Skip int
	// WithoutMembers makes ScanGroups leave each group's Members nil, reading none of them:
	// for answers that do not carry members, such as a SCIM list with members excluded.
	// ScanUsers ignores it.
	WithoutMembers bool
	// Mentions, when set, lets ScanUsers pass over, without decoding it, a user none of whose
	// string fields holds any of these strings, compared under ASCII case folding: for a filter
	// that only a user holding one can match (scimfilter.Mentions), such as the console's
	// search. The strings are ASCII without a NUL, and not empty; a backend does without
	// mentions that are not, and may ignore them altogether: fn must still check what it is
	// given. Skip counts the records the query selects whether or not they
	// hold one. ScanGroups ignores it.
	Mentions []string
}

// UsableMentions reports whether ms are mentions a backend can use (ScanQuery.Mentions):
// some, each ASCII, not empty and without a NUL, which no stored string holds and PostgreSQL
// refuses in text.
func UsableMentions(ms []string) bool {
	for _, m := range ms {
		if m == "" {
			return false
		}
		for i := range len(m) {
			if m[i] >= 0x80 || m[i] == 0 {
				return false
			}
		}
	}
	return len(ms) > 0
}

// ReadTx is what a transaction can read. Lookups of a missing resource return ErrNotFound.
type ReadTx interface {
	// Org reads an organization; Orgs lists every organization in id order.
	Org(id string) (Organization, error)
	Orgs() ([]Organization, error)
	// OrgByDomain finds the organization that verified the folded domain; claims that are not
	// verified are not indexed.
	OrgByDomain(domain string) (Organization, error)

	// Every user, group, IdP, tombstone and SCIM token a store returns has an Org: a record
	// written before organizations existed reads as DefaultOrg's (OrgOrDefault), and an admin
	// token of that time reads as an owner's.

	User(id string) (User, error)
	// UsersByID reads the users of ids that exist, in the order of ids: the members of a group
	// in a few statements on PostgreSQL rather than one each.
	UsersByID(ids []string) ([]User, error)
	// UserByUserName looks up a user of organization org by case-folded userName.
	UserByUserName(org, userName string) (User, error)
	UserByIdentity(id Identity) (User, error)
	UsersByExternalID(idp, externalID string) ([]User, error)
	// UsersByEmail finds the users of organization org having the case-folded email among
	// their emails.
	UsersByEmail(org, email string) ([]User, error)
	// ScanUsers calls fn for each selected user in id order until fn returns ErrStopScan or
	// another error, which ScanUsers then returns (ErrStopScan as nil).
	ScanUsers(q ScanQuery, fn func(User) error) error
	// CountUsers counts the users of organization org and IdP idp; "" for either counts all.
	CountUsers(org, idp string) (int, error)
	// UsersByUserName calls fn for the users of organization org in the order of their
	// folded userNames (FoldUserName, in byte order; descending when desc), from the folded
	// userName from on, that one included ("" starts at the first, or the last), until fn
	// returns ErrStopScan or another error, reading users as it goes (a page at a time on
	// PostgreSQL), not every user of org first. It returns complete false without calling fn
	// when a user of org holds no folded userName (one RefoldUsers found colliding with
	// another's), whom this order would leave out.
	UsersByUserName(org, from string, desc bool, fn func(User) error) (complete bool, err error)

	Group(id string) (Group, error)
	// GroupName is the displayName of group id (ErrNotFound when there is none), read without
	// its members: what every view of a member of a large group names.
	GroupName(id string) (string, error)
	// GroupRefsOfUser is the groups userID is a member of with their displayNames, in id
	// order, read without their members: what every view of a user names (one statement on
	// PostgreSQL, where a GroupName for each group was a round trip each).
	GroupRefsOfUser(userID string) ([]GroupRef, error)
	// GroupRefsOfUsers is GroupRefsOfUser for several users in one read (one statement on
	// PostgreSQL), keyed by user id: a page of a list names its users' groups at once. A user
	// in no group has no entry.
	GroupRefsOfUsers(userIDs []string) (map[string][]GroupRef, error)
	GroupByDisplayName(idp, displayName string) (Group, error)
	// GroupIDByDisplayName is the id of the group of idp with displayName (compared as
	// GroupByDisplayName does), read without its members.
	GroupIDByDisplayName(idp, displayName string) (string, error)
	// GroupIDsByDisplayName is GroupIDByDisplayName for several names in one read (one
	// statement on PostgreSQL): the ids found, keyed by the names as given; a name no group
	// has is absent.
	GroupIDsByDisplayName(idp string, displayNames []string) (map[string]string, error)
	// GroupHead is group id without its members (Members is nil) and how many members it has,
	// counted up to limit+1: a group of thousands is not read to learn that it is large.
	GroupHead(id string, limit int) (Group, int, error)
	ScanGroups(q ScanQuery, fn func(Group) error) error
	// CountGroups counts the groups of organization org and IdP idp; "" for either counts all.
	CountGroups(org, idp string) (int, error)
	// CountUserStates counts the users of organization org ("" for every one) by IdP, owner and
	// status, one row per combination that has users, in no particular order: the dashboard's
	// figures. A read transaction may answer with the figures of a later commit: bbolt keeps
	// them in memory, kept up by its commits, instead of reading every user.
	CountUserStates(org string) ([]UserCountRow, error)
	// GroupsOfUser lists the ids of the groups the user is a member of, sorted.
	GroupsOfUser(userID string) ([]string, error)

	Tombstone(id Identity) (Tombstone, error)
	Tombstones(idp string) ([]Tombstone, error)
	// Arrival reads what decides who a person arriving through an IdP becomes: the user of
	// identity id, its tombstone, and the user of organization org holding userName — what
	// UserByIdentity, Tombstone and UserByUserName would read, in one statement on
	// PostgreSQL. A SCIM create and a first sign-in read all three.
	Arrival(id Identity, org, userName string) (Arrival, error)

	IdP(id string) (IdP, error)
	IdPs() ([]IdP, error)

	Token(id string) (Token, error)
	TokenByHash(hash []byte) (Token, error)
	Tokens(kind TokenKind, idp string) ([]Token, error)

	// Events returns up to limit events with Seq > after, in order.
	Events(after uint64, limit int) ([]Event, error)
	// OrgEvents returns up to limit events of organization org with Seq > after, in order,
	// from an index: reading one organization's events never reads another's.
	OrgEvents(org string, after uint64, limit int) ([]Event, error)
	LastSeq() (uint64, error)

	// KV reads an entry of the small key-value space used for sessions, login state, the SAML
	// replay cache and settings. An entry past its expiry reads as ErrNotFound.
	KV(ns, key string, now time.Time) ([]byte, error)
	ScanKV(ns string, now time.Time, fn func(key string, value []byte) error) error
}

// Tx is a write transaction.
type Tx interface {
	ReadTx

	// PutOrg creates or replaces an organization. A domain it has verified that another
	// organization has verified too is a *ConflictError with Field "domain": one domain, one
	// organization.
	PutOrg(o Organization) error
	// DeleteOrg removes an organization and its domain claims. It does not look for what the
	// organization still holds; Service refuses that first.
	DeleteOrg(id string) error

	// PutUser creates or replaces a user, keeping every index in step. It returns a
	// *ConflictError if the case-folded userName belongs to another user of the same
	// organization (R8, R13) or the identity to another user (R7). A user without an org is
	// stored in DefaultOrg.
	PutUser(u User) error
	// DeleteUser removes a user and its memberships.
	DeleteUser(id string) error
	// RefoldUsers rebuilds the indexes of users' userNames and emails from the user records
	// under the present folding (FoldUserName, FoldEmail), changing no record. A user whose
	// userName now folds to another's of its organization keeps no userName index entry, the
	// holder being the one FoldHolders decides; such users are returned as collisions.
	// reindexed counts the users whose index entries changed.
	RefoldUsers() (reindexed int, collisions []FoldCollision, err error)

	// PutGroup creates or replaces a group. Members that are not users are an ErrInvalid.
	// A displayName already used by another group of the same IdP is a *ConflictError.
	PutGroup(g Group) error
	// AddGroupMember adds userID at the end of group id's members, unless it is one, and sets
	// the group's meta; nothing else of the group is read or written. A userID that is not a
	// user is an ErrInvalid, an unknown group ErrNotFound.
	AddGroupMember(id, userID string, meta Meta) error
	// RemoveGroupMember takes userID off group id's members, if it is one, keeping the order
	// of the others, and sets the group's meta; nothing else of the group is written. An
	// unknown group is ErrNotFound.
	RemoveGroupMember(id, userID string, meta Meta) error
	DeleteGroup(id string) error

	PutTombstone(t Tombstone) error
	DeleteTombstone(id Identity) error

	PutIdP(p IdP) error
	DeleteIdP(id string) error

	// PutToken stores a token; a hash already used by another token is a *ConflictError.
	PutToken(t Token) error
	DeleteToken(id string) error

	// AppendEvent stores the event under the next sequence number. It returns that number, or
	// 0 from a backend that numbers events only once their transaction has committed
	// (PostgreSQL, so that writers do not take turns on one counter); either way the event
	// is readable with its number when Update returns, and numbers run without a gap in
	// the order readers see them.
	AppendEvent(e Event) (uint64, error)

	// PutKV stores an entry; a zero expires keeps it until deleted.
	PutKV(ns, key string, value []byte, expires time.Time) error
	// InsertKV stores an entry only if no unexpired entry has the key; else *ConflictError.
	// One-time keys (the SAML replay cache among them) and webhook leases rely on it.
	InsertKV(ns, key string, value []byte, expires time.Time, now time.Time) error
	DeleteKV(ns, key string) error
	// PurgeKV deletes up to limit entries that expired before now and returns how many. It
	// may look at only part of the entries, so as not to hold up other writers for long: more
	// says that expired entries may remain, and the next call goes on where this one stopped.
	PurgeKV(now time.Time, limit int) (purged int, more bool, err error)
}

// EventNotifier is implemented by a Store that other processes write to as well (PostgreSQL,
// shared by replicas). OnEvents registers fn to be called, from the store's own goroutine,
// whenever any process has made new events readable; fn must not block. The Service uses it to
// wake long polls and webhook workers for another replica's writes.
type EventNotifier interface {
	OnEvents(fn func())
}

// ErrStopScan ends a scan early without error.
var ErrStopScan = errStopScan{}

type errStopScan struct{}

func (errStopScan) Error() string { return "stop scan" }
