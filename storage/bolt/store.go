package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	bbolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/rosterhq/roster/directory"
)

// formatVersion is the version of the file layout this binary writes and understands.
const formatVersion = 1

const formatMarker = "roster-directory"

var (
	bMeta        = []byte("meta")
	bUsers       = []byte("users")
	bByUserName  = []byte("users_by_username")
	bByIdentity  = []byte("users_by_identity")
	bByExternal  = []byte("users_by_external_id")
	bByEmail     = []byte("users_by_email")
	bUsersByIdP  = []byte("users_by_idp")
	bGroups      = []byte("groups")
	bGroupByName = []byte("groups_by_name")
	bGroupsByIdP = []byte("groups_by_idp")
	bMemberOf    = []byte("member_of") // userID \x00 groupID
	bTombstones  = []byte("tombstones")
	bIdPs        = []byte("idps")
	bTokens      = []byte("tokens")
	bTokenByHash = []byte("tokens_by_hash")
	bEvents      = []byte("events")
	bKV          = []byte("kv")

	allBuckets = [][]byte{bMeta, bUsers, bByUserName, bByIdentity, bByExternal, bByEmail, bUsersByIdP,
		bGroups, bGroupByName, bGroupsByIdP, bMemberOf, bTombstones, bIdPs, bTokens, bTokenByHash, bEvents, bKV}
)

// Store is a directory.Store on one bbolt file.
type Store struct {
	db   *bbolt.DB
	path string

	closeOnce sync.Once
	closing   sync.RWMutex // held for reading while a call is being queued
	closed    bool
	calls     chan *call
	stopped   chan struct{}
}

var _ directory.Store = (*Store)(nil)

// Open opens or creates the Roster data file at path. It fails, leaving the file untouched,
// when the file is not a Roster database, is locked by another process, or was written by a
// newer version of Roster.
func Open(path string) (*Store, error) {
	existing := false
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory, not a Roster data file; pass a file path with --data", path)
	} else if err == nil && fi.Size() > 0 {
		existing = true
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second, NoFreelistSync: false})
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("%s is locked by another running Roster; stop it or pass another --data file", path)
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrVersionMismatch), errors.Is(err, bolterrors.ErrChecksum):
		return nil, fmt.Errorf("%s is not a Roster database (%v); pass another --data file", path, err)
	case err != nil && existing && !errors.Is(err, os.ErrPermission):
		return nil, fmt.Errorf("%s is not a Roster database (%v); pass another --data file", path, err)
	case err != nil:
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	s := &Store{db: db, path: path}
	if err := s.init(); err != nil {
		db.Close()
		return nil, err
	}
	s.startWriter()
	return s, nil
}

// init checks the file's marker and version, and creates the buckets of a new file.
func (s *Store) init() error {
	var fresh, foreign bool
	var version int
	err := s.db.View(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bMeta)
		if meta == nil {
			empty := true
			_ = tx.ForEach(func([]byte, *bbolt.Bucket) error { empty = false; return nil })
			fresh, foreign = empty, !empty
			return nil
		}
		if string(meta.Get([]byte("format"))) != formatMarker {
			foreign = true
			return nil
		}
		fmt.Sscanf(string(meta.Get([]byte("version"))), "%d", &version)
		return nil
	})
	if err != nil {
		return err
	}
	switch {
	case foreign:
		return fmt.Errorf("%s is a bbolt file but not a Roster database; pass another --data file", s.path)
	case !fresh && version > formatVersion:
		return fmt.Errorf("%s was written by a newer Roster (data format %d, this binary understands %d); upgrade Roster", s.path, version, formatVersion)
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bMeta)
		if err := meta.Put([]byte("format"), []byte(formatMarker)); err != nil {
			return err
		}
		return meta.Put([]byte("version"), []byte(fmt.Sprint(formatVersion)))
	})
}

// Path is the data file's path.
func (s *Store) Path() string { return s.path }

// Close finishes the queued writes and closes the file.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closing.Lock()
		s.closed = true
		close(s.calls)
		s.closing.Unlock()
		<-s.stopped
	})
	return s.db.Close()
}

// Ping reports whether the store answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.db.View(func(tx *bbolt.Tx) error { return nil })
}

// WriteTo writes a consistent copy of the whole file while the store stays online.
func (s *Store) WriteTo(w io.Writer) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// Update runs fn in a write transaction, batched with concurrent callers (group commit).
func (s *Store) Update(ctx context.Context, fn func(tx directory.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := &call{fn: fn, done: make(chan error, 1)}
	s.closing.RLock()
	if s.closed {
		s.closing.RUnlock()
		return errStopped
	}
	s.calls <- c
	s.closing.RUnlock()
	return <-c.done
}

// UpdateUnbatched runs fn in its own write transaction with its own fsync. Benchmarks use it
// as the single-writer baseline.
func (s *Store) UpdateUnbatched(ctx context.Context, fn func(tx directory.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(btx *bbolt.Tx) error { return fn(&txn{tx: btx}) })
}

// View runs fn in a read transaction.
func (s *Store) View(ctx context.Context, fn func(tx directory.ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(btx *bbolt.Tx) error { return fn(&txn{tx: btx}) })
}

// DB exposes the bbolt handle for the raw baseline benchmark.
func (s *Store) DB() *bbolt.DB { return s.db }

type txn struct{ tx *bbolt.Tx }

func key(parts ...string) []byte { return []byte(strings.Join(parts, "\x00")) }

func (t *txn) get(bucket []byte, k []byte, v any) error {
	raw := t.tx.Bucket(bucket).Get(k)
	if raw == nil {
		return directory.ErrNotFound
	}
	return json.Unmarshal(raw, v)
}

func (t *txn) put(bucket []byte, k []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return t.tx.Bucket(bucket).Put(k, raw)
}

// scanPrefix calls fn with the key suffix after prefix for each key starting with prefix,
// from the first key after start (start is a full key; nil from the beginning).
func (t *txn) scanPrefix(bucket, prefix, start []byte, fn func(k, v []byte) error) error {
	c := t.tx.Bucket(bucket).Cursor()
	var k, v []byte
	if start != nil {
		k, v = c.Seek(start)
		if k != nil && bytes.Equal(k, start) {
			k, v = c.Next()
		}
	} else {
		k, v = c.Seek(prefix)
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := fn(k[len(prefix):], v); err != nil {
			if errors.Is(err, directory.ErrStopScan) {
				return nil
			}
			return err
		}
	}
	return nil
}

// --- users ---------------------------------------------------------------------------------

func (t *txn) User(id string) (directory.User, error) {
	var u directory.User
	err := t.get(bUsers, []byte(id), &u)
	return u, err
}

func (t *txn) UserByUserName(userName string) (directory.User, error) {
	id := t.tx.Bucket(bByUserName).Get([]byte(directory.FoldUserName(userName)))
	if id == nil {
		return directory.User{}, directory.ErrNotFound
	}
	return t.User(string(id))
}

func (t *txn) UserByIdentity(id directory.Identity) (directory.User, error) {
	uid := t.tx.Bucket(bByIdentity).Get(key(id.IdP, id.UniqueUserID))
	if uid == nil {
		return directory.User{}, directory.ErrNotFound
	}
	return t.User(string(uid))
}

func (t *txn) usersByIndex(bucket, prefix []byte) ([]directory.User, error) {
	users := []directory.User{}
	err := t.scanPrefix(bucket, prefix, nil, func(id, _ []byte) error {
		u, err := t.User(string(id))
		if err != nil {
			return err
		}
		users = append(users, u)
		return nil
	})
	return users, err
}

func (t *txn) UsersByExternalID(idp, externalID string) ([]directory.User, error) {
	if externalID == "" {
		return []directory.User{}, nil
	}
	return t.usersByIndex(bByExternal, append(key(idp, externalID), 0))
}

func (t *txn) UsersByEmail(email string) ([]directory.User, error) {
	if directory.FoldEmail(email) == "" {
		return []directory.User{}, nil
	}
	return t.usersByIndex(bByEmail, append([]byte(directory.FoldEmail(email)), 0))
}

func (t *txn) ScanUsers(q directory.ScanQuery, fn func(directory.User) error) error {
	if q.IdP == "" {
		c := t.tx.Bucket(bUsers).Cursor()
		var k, v []byte
		if q.After != "" {
			k, v = c.Seek([]byte(q.After))
			if k != nil && string(k) == q.After {
				k, v = c.Next()
			}
		} else {
			k, v = c.First()
		}
		for ; k != nil; k, v = c.Next() {
			var u directory.User
			if err := json.Unmarshal(v, &u); err != nil {
				return err
			}
			if err := fn(u); err != nil {
				if errors.Is(err, directory.ErrStopScan) {
					return nil
				}
				return err
			}
		}
		return nil
	}
	prefix := append([]byte(q.IdP), 0)
	var start []byte
	if q.After != "" {
		start = append(append([]byte{}, prefix...), q.After...)
	}
	return t.scanPrefix(bUsersByIdP, prefix, start, func(id, _ []byte) error {
		u, err := t.User(string(id))
		if err != nil {
			return err
		}
		return fn(u)
	})
}

func (t *txn) CountUsers(idp string) (int, error) {
	if idp == "" {
		return t.tx.Bucket(bUsers).Stats().KeyN, nil
	}
	n := 0
	err := t.scanPrefix(bUsersByIdP, append([]byte(idp), 0), nil, func(_, _ []byte) error { n++; return nil })
	return n, err
}

func emailKeys(u directory.User) [][]byte {
	seen := map[string]bool{}
	var keys [][]byte
	for _, e := range u.Emails {
		f := directory.FoldEmail(e.Value)
		if f == "" || seen[f] {
			continue
		}
		seen[f] = true
		keys = append(keys, key(f, u.ID))
	}
	return keys
}

func (t *txn) unindexUser(u directory.User) error {
	b := t.tx.Bucket
	dels := []struct {
		bucket []byte
		k      []byte
	}{
		{bByUserName, []byte(directory.FoldUserName(u.UserName))},
		{bUsersByIdP, key(u.IdP, u.ID)},
	}
	if ident, ok := u.Identity(); ok {
		dels = append(dels, struct {
			bucket []byte
			k      []byte
		}{bByIdentity, key(ident.IdP, ident.UniqueUserID)})
	}
	if u.ExternalID != "" {
		dels = append(dels, struct {
			bucket []byte
			k      []byte
		}{bByExternal, key(u.IdP, u.ExternalID, u.ID)})
	}
	for _, d := range dels {
		if err := b(d.bucket).Delete(d.k); err != nil {
			return err
		}
	}
	for _, k := range emailKeys(u) {
		if err := b(bByEmail).Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) PutUser(u directory.User) error {
	if u.ID == "" {
		return directory.Invalidf("a user needs an id")
	}
	if directory.FoldUserName(u.UserName) == "" {
		return directory.Invalidf("a user needs a userName")
	}
	b := t.tx.Bucket
	if id := b(bByUserName).Get([]byte(directory.FoldUserName(u.UserName))); id != nil && string(id) != u.ID {
		return &directory.ConflictError{Field: "userName", Value: u.UserName}
	}
	ident, hasIdent := u.Identity()
	if hasIdent {
		if id := b(bByIdentity).Get(key(ident.IdP, ident.UniqueUserID)); id != nil && string(id) != u.ID {
			return &directory.ConflictError{Field: "identity", Value: ident.IdP + "/" + ident.UniqueUserID}
		}
	}
	if old, err := t.User(u.ID); err == nil {
		if err := t.unindexUser(old); err != nil {
			return err
		}
	} else if !errors.Is(err, directory.ErrNotFound) {
		return err
	}
	u.Meta.Created, u.Meta.LastModified = u.Meta.Created.UTC(), u.Meta.LastModified.UTC()
	u.LastLoginAt, u.SessionsValidAfter = u.LastLoginAt.UTC(), u.SessionsValidAfter.UTC()
	if err := t.put(bUsers, []byte(u.ID), u); err != nil {
		return err
	}
	id := []byte(u.ID)
	if err := b(bByUserName).Put([]byte(directory.FoldUserName(u.UserName)), id); err != nil {
		return err
	}
	if err := b(bUsersByIdP).Put(key(u.IdP, u.ID), nil); err != nil {
		return err
	}
	if hasIdent {
		if err := b(bByIdentity).Put(key(ident.IdP, ident.UniqueUserID), id); err != nil {
			return err
		}
	}
	if u.ExternalID != "" {
		if err := b(bByExternal).Put(key(u.IdP, u.ExternalID, u.ID), nil); err != nil {
			return err
		}
	}
	for _, k := range emailKeys(u) {
		if err := b(bByEmail).Put(k, nil); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) DeleteUser(id string) error {
	u, err := t.User(id)
	if err != nil {
		return err
	}
	groups, err := t.GroupsOfUser(id)
	if err != nil {
		return err
	}
	for _, gid := range groups {
		g, err := t.Group(gid)
		if err != nil {
			return err
		}
		members := g.Members[:0]
		for _, m := range g.Members {
			if m != id {
				members = append(members, m)
			}
		}
		g.Members = members
		if err := t.put(bGroups, []byte(g.ID), g); err != nil {
			return err
		}
		if err := t.tx.Bucket(bMemberOf).Delete(key(id, gid)); err != nil {
			return err
		}
	}
	if err := t.unindexUser(u); err != nil {
		return err
	}
	return t.tx.Bucket(bUsers).Delete([]byte(id))
}

// --- groups --------------------------------------------------------------------------------

func (t *txn) Group(id string) (directory.Group, error) {
	var g directory.Group
	err := t.get(bGroups, []byte(id), &g)
	if g.Members == nil {
		g.Members = []string{}
	}
	return g, err
}

func groupNameKey(idp, displayName string) []byte {
	return key(idp, strings.ToLower(strings.TrimSpace(displayName)))
}

func (t *txn) GroupByDisplayName(idp, displayName string) (directory.Group, error) {
	id := t.tx.Bucket(bGroupByName).Get(groupNameKey(idp, displayName))
	if id == nil {
		return directory.Group{}, directory.ErrNotFound
	}
	return t.Group(string(id))
}

func (t *txn) ScanGroups(q directory.ScanQuery, fn func(directory.Group) error) error {
	prefix := append([]byte(q.IdP), 0)
	var start []byte
	if q.After != "" {
		start = append(append([]byte{}, prefix...), q.After...)
	}
	if q.IdP == "" {
		c := t.tx.Bucket(bGroups).Cursor()
		var k []byte
		if q.After != "" {
			k, _ = c.Seek([]byte(q.After))
			if k != nil && string(k) == q.After {
				k, _ = c.Next()
			}
		} else {
			k, _ = c.First()
		}
		for ; k != nil; k, _ = c.Next() {
			g, err := t.Group(string(k))
			if err != nil {
				return err
			}
			if err := fn(g); err != nil {
				if errors.Is(err, directory.ErrStopScan) {
					return nil
				}
				return err
			}
		}
		return nil
	}
	return t.scanPrefix(bGroupsByIdP, prefix, start, func(id, _ []byte) error {
		g, err := t.Group(string(id))
		if err != nil {
			return err
		}
		return fn(g)
	})
}

func (t *txn) GroupsOfUser(userID string) ([]string, error) {
	ids := []string{}
	err := t.scanPrefix(bMemberOf, append([]byte(userID), 0), nil, func(gid, _ []byte) error {
		ids = append(ids, string(gid))
		return nil
	})
	sort.Strings(ids)
	return ids, err
}

func (t *txn) PutGroup(g directory.Group) error {
	if g.ID == "" {
		return directory.Invalidf("a group needs an id")
	}
	if strings.TrimSpace(g.DisplayName) == "" {
		return directory.Invalidf("a group needs a displayName")
	}
	b := t.tx.Bucket
	nameKey := groupNameKey(g.IdP, g.DisplayName)
	if id := b(bGroupByName).Get(nameKey); id != nil && string(id) != g.ID {
		return &directory.ConflictError{Field: "displayName", Value: g.DisplayName}
	}
	seen := make(map[string]bool, len(g.Members))
	members := make([]string, 0, len(g.Members))
	for _, m := range g.Members {
		if seen[m] {
			continue
		}
		seen[m] = true
		if b(bUsers).Get([]byte(m)) == nil {
			return directory.Invalidf("member %q is not a user", m)
		}
		members = append(members, m)
	}
	g.Members = members
	if old, err := t.Group(g.ID); err == nil {
		if err := b(bGroupByName).Delete(groupNameKey(old.IdP, old.DisplayName)); err != nil {
			return err
		}
		if err := b(bGroupsByIdP).Delete(key(old.IdP, old.ID)); err != nil {
			return err
		}
		for _, m := range old.Members {
			if !seen[m] {
				if err := b(bMemberOf).Delete(key(m, g.ID)); err != nil {
					return err
				}
			}
		}
	} else if !errors.Is(err, directory.ErrNotFound) {
		return err
	}
	g.Meta.Created, g.Meta.LastModified = g.Meta.Created.UTC(), g.Meta.LastModified.UTC()
	if err := t.put(bGroups, []byte(g.ID), g); err != nil {
		return err
	}
	if err := b(bGroupByName).Put(nameKey, []byte(g.ID)); err != nil {
		return err
	}
	if err := b(bGroupsByIdP).Put(key(g.IdP, g.ID), nil); err != nil {
		return err
	}
	for _, m := range members {
		if err := b(bMemberOf).Put(key(m, g.ID), nil); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) DeleteGroup(id string) error {
	g, err := t.Group(id)
	if err != nil {
		return err
	}
	b := t.tx.Bucket
	for _, m := range g.Members {
		if err := b(bMemberOf).Delete(key(m, id)); err != nil {
			return err
		}
	}
	if err := b(bGroupByName).Delete(groupNameKey(g.IdP, g.DisplayName)); err != nil {
		return err
	}
	if err := b(bGroupsByIdP).Delete(key(g.IdP, id)); err != nil {
		return err
	}
	return b(bGroups).Delete([]byte(id))
}

// --- tombstones, IdPs, tokens ----------------------------------------------------------------

func (t *txn) Tombstone(id directory.Identity) (directory.Tombstone, error) {
	var ts directory.Tombstone
	err := t.get(bTombstones, key(id.IdP, id.UniqueUserID), &ts)
	return ts, err
}

func (t *txn) Tombstones(idp string) ([]directory.Tombstone, error) {
	out := []directory.Tombstone{}
	var prefix []byte
	if idp != "" {
		prefix = append([]byte(idp), 0)
	}
	err := t.scanPrefix(bTombstones, prefix, nil, func(_, v []byte) error {
		var ts directory.Tombstone
		if err := json.Unmarshal(v, &ts); err != nil {
			return err
		}
		out = append(out, ts)
		return nil
	})
	return out, err
}

func (t *txn) PutTombstone(ts directory.Tombstone) error {
	ts.DeletedAt = ts.DeletedAt.UTC()
	return t.put(bTombstones, key(ts.IdP, ts.UniqueUserID), ts)
}

func (t *txn) DeleteTombstone(id directory.Identity) error {
	return t.tx.Bucket(bTombstones).Delete(key(id.IdP, id.UniqueUserID))
}

func (t *txn) IdP(id string) (directory.IdP, error) {
	var p directory.IdP
	err := t.get(bIdPs, []byte(id), &p)
	return p, err
}

func (t *txn) IdPs() ([]directory.IdP, error) {
	out := []directory.IdP{}
	err := t.tx.Bucket(bIdPs).ForEach(func(_, v []byte) error {
		var p directory.IdP
		if err := json.Unmarshal(v, &p); err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

func (t *txn) PutIdP(p directory.IdP) error {
	if p.ID == "" {
		return directory.Invalidf("an IdP needs an id")
	}
	p.Created, p.Updated = p.Created.UTC(), p.Updated.UTC()
	return t.put(bIdPs, []byte(p.ID), p)
}

func (t *txn) DeleteIdP(id string) error { return t.tx.Bucket(bIdPs).Delete([]byte(id)) }

func (t *txn) Token(id string) (directory.Token, error) {
	var tok directory.Token
	err := t.get(bTokens, []byte(id), &tok)
	return tok, err
}

func (t *txn) TokenByHash(hash []byte) (directory.Token, error) {
	id := t.tx.Bucket(bTokenByHash).Get(hash)
	if id == nil {
		return directory.Token{}, directory.ErrNotFound
	}
	return t.Token(string(id))
}

func (t *txn) Tokens(kind directory.TokenKind, idp string) ([]directory.Token, error) {
	out := []directory.Token{}
	err := t.tx.Bucket(bTokens).ForEach(func(_, v []byte) error {
		var tok directory.Token
		if err := json.Unmarshal(v, &tok); err != nil {
			return err
		}
		if tok.Kind == kind && (idp == "" || tok.IdP == idp) {
			out = append(out, tok)
		}
		return nil
	})
	return out, err
}

func (t *txn) PutToken(tok directory.Token) error {
	if tok.ID == "" || len(tok.Hash) == 0 {
		return directory.Invalidf("a token needs an id and a hash")
	}
	b := t.tx.Bucket
	if id := b(bTokenByHash).Get(tok.Hash); id != nil && string(id) != tok.ID {
		return &directory.ConflictError{Field: "token", Value: tok.ID}
	}
	tok.Created, tok.ExpiresAt = tok.Created.UTC(), tok.ExpiresAt.UTC()
	tok.RevokedAt, tok.LastUsedAt = tok.RevokedAt.UTC(), tok.LastUsedAt.UTC()
	if err := t.put(bTokens, []byte(tok.ID), tok); err != nil {
		return err
	}
	return b(bTokenByHash).Put(tok.Hash, []byte(tok.ID))
}

func (t *txn) DeleteToken(id string) error {
	tok, err := t.Token(id)
	if errors.Is(err, directory.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if err := t.tx.Bucket(bTokenByHash).Delete(tok.Hash); err != nil {
		return err
	}
	return t.tx.Bucket(bTokens).Delete([]byte(id))
}

// --- events ---------------------------------------------------------------------------------

func seqKey(seq uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, seq)
	return k
}

func (t *txn) AppendEvent(e directory.Event) (uint64, error) {
	b := t.tx.Bucket(bEvents)
	seq, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	e.Seq = seq
	e.Time = e.Time.UTC()
	return seq, t.put(bEvents, seqKey(seq), e)
}

func (t *txn) Events(after uint64, limit int) ([]directory.Event, error) {
	out := []directory.Event{}
	c := t.tx.Bucket(bEvents).Cursor()
	for k, v := c.Seek(seqKey(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
		var e directory.Event
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (t *txn) LastSeq() (uint64, error) { return t.tx.Bucket(bEvents).Sequence(), nil }

// --- KV -------------------------------------------------------------------------------------

// A KV value is stored as 8 bytes of expiry (Unix nanoseconds, 0 for none) then the value.
func kvEncode(value []byte, expires time.Time) []byte {
	out := make([]byte, 8+len(value))
	if !expires.IsZero() {
		binary.BigEndian.PutUint64(out, uint64(expires.UnixNano()))
	}
	copy(out[8:], value)
	return out
}

func kvDecode(raw []byte, now time.Time) ([]byte, bool) {
	if len(raw) < 8 {
		return nil, false
	}
	exp := binary.BigEndian.Uint64(raw)
	if exp != 0 && now.UnixNano() >= int64(exp) {
		return nil, false
	}
	return append([]byte{}, raw[8:]...), true
}

func (t *txn) KV(ns, k string, now time.Time) ([]byte, error) {
	v, ok := kvDecode(t.tx.Bucket(bKV).Get(key(ns, k)), now)
	if !ok {
		return nil, directory.ErrNotFound
	}
	return v, nil
}

func (t *txn) ScanKV(ns string, now time.Time, fn func(key string, value []byte) error) error {
	return t.scanPrefix(bKV, append([]byte(ns), 0), nil, func(k, raw []byte) error {
		v, ok := kvDecode(raw, now)
		if !ok {
			return nil
		}
		return fn(string(k), v)
	})
}

func (t *txn) PutKV(ns, k string, value []byte, expires time.Time) error {
	return t.tx.Bucket(bKV).Put(key(ns, k), kvEncode(value, expires))
}

func (t *txn) InsertKV(ns, k string, value []byte, expires, now time.Time) error {
	if _, ok := kvDecode(t.tx.Bucket(bKV).Get(key(ns, k)), now); ok {
		return &directory.ConflictError{Field: ns, Value: k}
	}
	return t.PutKV(ns, k, value, expires)
}

func (t *txn) DeleteKV(ns, k string) error { return t.tx.Bucket(bKV).Delete(key(ns, k)) }

func (t *txn) PurgeKV(now time.Time, limit int) (int, error) {
	var expired [][]byte
	c := t.tx.Bucket(bKV).Cursor()
	for k, v := c.First(); k != nil && len(expired) < limit; k, v = c.Next() {
		if _, ok := kvDecode(v, now); !ok {
			expired = append(expired, append([]byte{}, k...))
		}
	}
	for _, k := range expired {
		if err := t.tx.Bucket(bKV).Delete(k); err != nil {
			return 0, err
		}
	}
	return len(expired), nil
}

// ListKV calls fn for every KV entry with its namespace and expiry (zero for none), expired
// ones included, so that storage/migrate can copy the whole KV space.
func (s *Store) ListKV(ctx context.Context, fn func(ns, key string, value []byte, expires time.Time) error) error {
	return s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bKV).ForEach(func(k, raw []byte) error {
			ns, key, ok := bytes.Cut(k, []byte{0})
			if !ok || len(raw) < 8 {
				return nil
			}
			var exp time.Time
			if n := binary.BigEndian.Uint64(raw); n != 0 {
				exp = time.Unix(0, int64(n)).UTC()
			}
			return fn(string(ns), string(key), append([]byte{}, raw[8:]...), exp)
		})
	})
}
