package bolt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	bbolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/rosterhq/roster/directory"
)

// formatVersion is the version of the file layout this binary writes and understands.
// Format 2 added organizations and length-safe index keys; a file of format 1 is upgraded
// when it is opened (upgrade.go).
const formatVersion = 4

const formatMarker = "roster-directory"

var (
	bMeta         = []byte("meta")
	bUsers        = []byte("users")
	bByUserName   = []byte("users_by_username") // (org, folded userName) → id
	bByIdentity   = []byte("users_by_identity")
	bByExternal   = []byte("users_by_external_id")
	bByEmail      = []byte("users_by_email") // (org, folded email, id)
	bUsersByIdP   = []byte("users_by_idp")
	bUsersByOrg   = []byte("users_by_org")
	bGroups       = []byte("groups")
	bGroupByName  = []byte("groups_by_name")
	bGroupsByIdP  = []byte("groups_by_idp")
	bGroupsByOrg  = []byte("groups_by_org")
	bMemberOf     = []byte("member_of")     // (userID, groupID)
	bGroupMembers = []byte("group_members") // (groupID, chunk number) → a chunk of members
	bTombstones   = []byte("tombstones")
	bIdPs         = []byte("idps")
	bTokens       = []byte("tokens")
	bTokenByHash  = []byte("tokens_by_hash")
	bEvents       = []byte("events")
	bEventsByOrg  = []byte("events_by_org") // (org, seq)
	bOrgs         = []byte("orgs")
	bOrgByDomain  = []byte("orgs_by_domain") // verified domain → org id
	bKV           = []byte("kv")

	// indexBuckets hold nothing but what the records imply; upgrade rebuilds them.
	indexBuckets = [][]byte{bByUserName, bByIdentity, bByExternal, bByEmail, bUsersByIdP, bUsersByOrg,
		bGroupByName, bGroupsByIdP, bGroupsByOrg, bMemberOf, bTokenByHash, bEventsByOrg, bOrgByDomain}
	recordBuckets = [][]byte{bMeta, bUsers, bGroups, bGroupMembers, bTombstones, bIdPs, bTokens, bEvents, bOrgs, bKV}
	allBuckets    = append(append([][]byte{}, recordBuckets...), indexBuckets...)
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

	cache  decodedCaches
	purge  purgeCursor
	ahead  *ahead      // nil when the file could not be opened for writing ahead
	states *userStates // the figures of CountUserStates
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
	// The hashmap freelist finds free pages in constant time; the array one searches a list
	// that grows with the file. Both store the same freelist on disk.
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second, NoFreelistSync: false, FreelistType: bbolt.FreelistMapType})
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
	s := &Store{db: db, path: path, states: newUserStates()}
	s.cache.groups.minSize, s.cache.groups.maxBytes = largeGroupBytes, largeGroupsBytes
	s.cache.groups.weight = groupWeight
	if err := s.init(); err != nil {
		db.Close()
		return nil, err
	}
	s.startWriter()
	s.startAhead()
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
	case !fresh && version < 1:
		return fmt.Errorf("%s has no readable data format version; pass another --data file", s.path)
	}
	var saved map[stateKey]int
	var initTx int
	err = s.db.Update(func(tx *bbolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if !fresh && version == formatVersion {
			saved, initTx = takeSavedStates(tx), tx.ID()
		}
		switch {
		case fresh:
			if err := createDefaultOrg(tx); err != nil {
				return err
			}
		case version < formatVersion:
			// The whole upgrade is this one transaction: a crash leaves the file as it was.
			if err := upgrade(tx, version); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bMeta)
		if err := meta.Put([]byte("format"), []byte(formatMarker)); err != nil {
			return err
		}
		return meta.Put([]byte("version"), []byte(fmt.Sprint(formatVersion)))
	})
	if err != nil && !fresh && version < formatVersion {
		return fmt.Errorf("%s: upgrading the data from format %d to %d: %w (the file is unchanged)", s.path, version, formatVersion, err)
	}
	if err == nil && saved != nil {
		s.states.counts, s.states.txid = saved, initTx
	}
	return err
}

// Path is the data file's path.
func (s *Store) Path() string { return s.path }

// WritersRunTogether is false: bbolt runs one write transaction at a time, so work done
// inside one is work every other writer waits for.
func (s *Store) WritersRunTogether() bool { return false }

// Close finishes the queued writes and closes the file.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closing.Lock()
		s.closed = true
		close(s.calls)
		s.closing.Unlock()
		<-s.stopped
		s.stopAhead()
		_ = s.saveStates() // at worst, the next start builds them again
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

// UpdateUnbatched runs fn in its own write transaction with its own fsync, outside group
// commit. Benchmarks use it to fill a file with many records per transaction.
func (s *Store) UpdateUnbatched(ctx context.Context, fn func(tx directory.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.update(func(t *txn) error { return fn(t) })
}

// update runs fn in one bbolt write transaction. Once it commits, the store notes the
// transaction's high-water mark (writing the file ahead of it) and its users' changes (the
// figures of CountUserStates).
func (s *Store) update(fn func(t *txn) error) error {
	var t *txn
	var hwm int64
	var id int
	err := s.db.Update(func(btx *bbolt.Tx) error {
		t = s.txn(btx)
		if err := fn(t); err != nil {
			return err
		}
		hwm, id = btx.Size(), btx.ID()
		return nil
	})
	if err == nil {
		s.states.committed(id, t.changes)
	}
	s.noteMark(hwm)
	return err
}

// txn wraps a bbolt transaction of the store.
func (s *Store) txn(btx *bbolt.Tx) *txn {
	return &txn{tx: btx, cache: &s.cache, purge: &s.purge, states: s.states}
}

// View runs fn in a read transaction.
func (s *Store) View(ctx context.Context, fn func(tx directory.ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(btx *bbolt.Tx) error { return fn(s.txn(btx)) })
}

// ReadKVUser reads the entry and its user in one read transaction, which costs nothing to
// begin here.
func (s *Store) ReadKVUser(ctx context.Context, ns, key string, now time.Time, userField string) (value []byte, u directory.User, err error) {
	err = s.View(ctx, func(tx directory.ReadTx) error {
		value, u, err = directory.ReadKVUserIn(tx, ns, key, now, userField)
		return err
	})
	return value, u, err
}

// ReadTokenByHash reads the token and its IdP in one read transaction.
func (s *Store) ReadTokenByHash(ctx context.Context, hash []byte) (tok directory.Token, idp directory.IdP, err error) {
	err = s.View(ctx, func(tx directory.ReadTx) error {
		tok, idp, err = directory.ReadTokenByHashIn(tx, hash)
		return err
	})
	return tok, idp, err
}

// DB exposes the bbolt handle for the raw baseline benchmark.
func (s *Store) DB() *bbolt.DB { return s.db }
