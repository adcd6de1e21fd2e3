package bolt

import (
	"encoding/json"
	"sync"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/rosterhq/roster/directory"
)

// How many users each organization, IdP, owner and status holds — the dashboard's figures —
// is kept in memory, as of one committed transaction, and kept up by every commit with the
// changes of its users (PutUser and DeleteUser know each user's state before and after).
// bbolt has no count but reading every user: 750 ms at 100,000 users, for every view of the
// dashboard, the console's first page.
//
// The figures are built by the first read that needs them, from a read transaction's users.
// Commits go on meanwhile; the store notes each one's changes until the build ends and then
// applies those of the commits after the build's transaction, in order. The figures follow
// the commits only through an unbroken run of transaction ids: a commit the store did not see
// (a write made straight on the bbolt file) drops them, and the next read builds them again.

// stateKey is a combination of what the dashboard counts users by.
type stateKey struct {
	org, idp string
	owner    directory.Owner
	active   bool
}

func stateOf(u directory.User) stateKey {
	return stateKey{directory.OrgOrDefault(u.Org), u.IdP, u.Owner, u.Active}
}

// stateChanges is what a transaction changed: a count per combination, positive or negative.
type stateChanges map[stateKey]int

func (c *stateChanges) add(k stateKey, n int) {
	if *c == nil {
		*c = stateChanges{}
	}
	(*c)[k] += n
}

// maxPending bounds the commits noted while a build runs; a build that outlasts them is
// dropped.
const maxPending = 1 << 20

// caughtUpWait bounds how long a read waits for the writer to note a commit it already sees.
const caughtUpWait = 50 * time.Millisecond

type pendingCommit struct {
	txid    int
	changes stateChanges
}

// userStates is a store's figures.
type userStates struct {
	mu      sync.Mutex
	noted   *sync.Cond       // broadcast when a commit is noted
	txid    int              // counts are as of this committed transaction
	counts  map[stateKey]int // nil when not held
	build   int              // the transaction a build under way reads (0: none)
	pending []pendingCommit  // commits noted since that transaction, while it builds
}

func newUserStates() *userStates {
	st := &userStates{}
	st.noted = sync.NewCond(&st.mu)
	return st
}

// committed notes that transaction txid committed with changes.
func (st *userStates) committed(txid int, changes stateChanges) {
	st.mu.Lock()
	defer st.mu.Unlock()
	defer st.noted.Broadcast()
	if st.build != 0 {
		if len(st.pending) < maxPending {
			st.pending = append(st.pending, pendingCommit{txid, changes})
		} else {
			st.build, st.pending = -1, nil // dropped: finish will not keep it
		}
	}
	if st.counts == nil {
		return
	}
	if txid != st.txid+1 {
		st.counts, st.txid = nil, 0 // a commit in between was not seen
		return
	}
	apply(st.counts, changes)
	st.txid = txid
}

func apply(counts map[stateKey]int, changes stateChanges) {
	for k, n := range changes {
		if counts[k] += n; counts[k] == 0 {
			delete(counts, k)
		}
	}
}

// rows answers a reader of transaction txid from the figures of txid or a later commit, for
// organization org. It waits briefly for the writer to note a commit the reader already sees.
func (st *userStates) rows(txid int, org string) ([]directory.UserCountRow, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	deadline := time.Now().Add(caughtUpWait)
	for st.counts != nil && st.txid < txid && time.Now().Before(deadline) {
		// Broadcast under the lock: between the loop's check and Wait, a wake-up is not lost.
		timer := time.AfterFunc(time.Until(deadline), func() {
			st.mu.Lock()
			defer st.mu.Unlock()
			st.noted.Broadcast()
		})
		st.noted.Wait()
		timer.Stop()
	}
	if st.counts == nil || st.txid < txid {
		return nil, false
	}
	return rowsOf(st.counts, org), true
}

// begin starts a build from transaction txid, unless another runs.
func (st *userStates) begin(txid int) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.build != 0 {
		return false
	}
	st.build, st.pending = txid, nil
	return true
}

// finish ends the build begun at txid with the counts it read (nil when it failed), and
// keeps them brought up to the last commit noted, unless a commit went unseen. The store owns
// counts from then on: the caller must not read them.
func (st *userStates) finish(txid int, counts map[stateKey]int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	defer func() { st.build, st.pending = 0, nil }()
	if counts == nil || st.build != txid || (st.counts != nil && st.txid >= txid) {
		return
	}
	at := txid
	for _, p := range st.pending {
		if p.txid <= txid {
			continue // in the build's snapshot already
		}
		if p.txid != at+1 {
			return
		}
		apply(counts, p.changes)
		at = p.txid
	}
	if st.counts != nil && st.txid >= at {
		return
	}
	st.counts, st.txid = counts, at
}

// CountUserStates answers from the figures in memory; a write transaction, or a read without
// them, reads every user (a read keeps what it read for the next).
func (t *txn) CountUserStates(org string) ([]directory.UserCountRow, error) {
	st, id := t.states, t.tx.ID()
	if st == nil || t.tx.Writable() {
		counts, err := t.readStates()
		if err != nil {
			return nil, err
		}
		return rowsOf(counts, org), nil
	}
	if rows, ok := st.rows(id, org); ok {
		return rows, nil
	}
	building := st.begin(id)
	counts, err := t.readStates()
	if err != nil {
		counts = nil
	}
	// The rows are taken before finish hands the map to the store, whose writer changes it.
	rows := rowsOf(counts, org)
	if building {
		st.finish(id, counts)
	}
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// stateFields is what a user's document holds of the four fields the figures count by, as
// encoding/json reads them.
type stateFields struct {
	Org    string          `json:"org"`
	IdP    string          `json:"idp"`
	Owner  directory.Owner `json:"owner"`
	Active bool            `json:"active"`
}

// readStates counts every user by reading it: only the four fields it counts by are read
// (scanUserState), decoded by encoding/json where that gives up.
func (t *txn) readStates() (map[stateKey]int, error) {
	counts := map[stateKey]int{}
	err := t.tx.Bucket(bUsers).ForEach(func(_, raw []byte) error {
		if org, idp, owner, active, ok := scanUserState(raw); ok {
			counts[stateKey{directory.OrgOrDefault(org), idp, owner, active}]++
			return nil
		}
		var u stateFields
		if err := json.Unmarshal(raw, &u); err != nil {
			return err
		}
		counts[stateKey{directory.OrgOrDefault(u.Org), u.IdP, u.Owner, u.Active}]++
		return nil
	})
	return counts, err
}

// rowsOf turns the counts into rows for organization org ("" for all, merged).
func rowsOf(counts map[stateKey]int, org string) []directory.UserCountRow {
	merged := map[stateKey]int{}
	for k, n := range counts {
		if org != "" && k.org != org {
			continue
		}
		k.org = ""
		merged[k] += n
	}
	rows := make([]directory.UserCountRow, 0, len(merged))
	for k, n := range merged {
		if n != 0 {
			rows = append(rows, directory.UserCountRow{IdP: k.idp, Owner: k.owner, Active: k.active, Count: n})
		}
	}
	return rows
}

// The figures outlive a clean stop: Close saves them in the meta bucket, with the transaction
// they are of, and the next Open takes them back when the file is as Close left it — its next
// transaction is the one after — so that the first view of the dashboard after a restart does
// not read every user. The root page of the users' bucket is checked too, for a file whose
// transaction ids started again (a compacted copy), though such a copy holds the same users. A
// file changed in between by another program, or not stopped cleanly, builds them again.

var metaUserStates = []byte("user_states")

type savedState struct {
	Org    string          `json:"org"`
	IdP    string          `json:"idp"`
	Owner  directory.Owner `json:"owner"`
	Active bool            `json:"active"`
	Count  int             `json:"count"`
}

type savedStates struct {
	TxID      int          `json:"txid"`
	UsersRoot uint64       `json:"usersRoot"`
	States    []savedState `json:"states"`
}

// saveStates saves the figures, if the store holds them as of its last commit, in a
// transaction of their own. It is called by Close, with the writer stopped.
func (s *Store) saveStates() error {
	st := s.states
	st.mu.Lock()
	var saved savedStates
	for k, n := range st.counts {
		saved.States = append(saved.States, savedState{k.org, k.idp, k.owner, k.active, n})
	}
	held, at := st.counts != nil, st.txid
	st.mu.Unlock()
	if !held {
		return nil
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		if tx.ID() != at+1 {
			return nil // a commit the figures do not follow
		}
		saved.TxID, saved.UsersRoot = tx.ID(), uint64(tx.Bucket(bUsers).Root())
		raw, err := json.Marshal(saved)
		if err != nil {
			return err
		}
		return tx.Bucket(bMeta).Put(metaUserStates, raw)
	})
}

// takeSavedStates reads, and deletes, the figures Close saved, in the transaction that opens
// the file; it returns them when the file is as Close left it. The caller holds them as of
// that transaction once it commits, if it changed no user.
func takeSavedStates(tx *bbolt.Tx) map[stateKey]int {
	meta := tx.Bucket(bMeta)
	raw := meta.Get(metaUserStates)
	if raw == nil {
		return nil
	}
	var saved savedStates
	err := json.Unmarshal(raw, &saved)
	if err := meta.Delete(metaUserStates); err != nil {
		return nil
	}
	if err != nil || saved.TxID != tx.ID()-1 || saved.UsersRoot != uint64(tx.Bucket(bUsers).Root()) {
		return nil
	}
	counts := map[stateKey]int{}
	for _, s := range saved.States {
		counts[stateKey{s.Org, s.IdP, s.Owner, s.Active}] += s.Count
	}
	return counts
}
