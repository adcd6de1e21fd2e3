package postgres

import (
	"errors"
	"sync"

	"github.com/rosterhq/roster/directory"
)

// Settings — organizations and IdPs — are read by nearly every write (the IdP of a SCIM token
// or a sign-in, its organization) and change rarely, and only in transactions that run alone
// among writers (Store.Update), each of which adds one to settings_version as it commits. A
// concurrent writer therefore sees settings of exactly one version in its snapshot, and what
// any transaction read at that version is what it would read again. So a store keeps the
// settings its writers read, by version, and a writer that has not yet sent a statement
// takes them from there, assuming the version they were read at; the transaction's first
// round trip reads the version (beside the statement it sends anyway), and a transaction
// whose assumption was wrong runs again, as the port allows, on settings it reads afresh.
// Reads (View) and transactions that run alone do not use it.

// readVersion is the opening statement that reads the version; its result is scanned into
// txn.version.
const readVersion = `SELECT v FROM settings_version`

// bumpVersion ends a transaction that changed settings.
const bumpVersion = `UPDATE settings_version SET v = v + 1`

// errStaleSettings is the cause of a transaction that assumed settings of a version that was
// not its snapshot's.
var errStaleSettings = errors.New("postgres: settings changed since they were kept")

// maxSettings bounds the kept settings; a full store starts over.
const maxSettings = 1024

type settingsKey struct {
	kind byte // 'i' IdP, 'o' organization
	id   string
}

type keptSettings struct {
	version int64
	idp     directory.IdP
	org     directory.Organization
}

// settingsCache is a store's kept settings.
type settingsCache struct {
	mu      sync.Mutex
	entries map[settingsKey]keptSettings
}

func (c *settingsCache) get(k settingsKey) (keptSettings, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	return e, ok
}

// clear forgets everything kept.
func (c *settingsCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = nil
}

func (c *settingsCache) put(k settingsKey, e keptSettings) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxSettings {
		c.entries = map[settingsKey]keptSettings{}
	}
	c.entries[k] = e
}

// kept returns the kept settings of k for this transaction, if it may use them: at its
// snapshot's version once known, or, before its first statement, at whatever version they were
// kept, which the transaction then assumes.
func (t *txn) kept(k settingsKey) (keptSettings, bool) {
	if t.settings == nil || t.alone {
		return keptSettings{}, false
	}
	e, ok := t.settings.get(k)
	switch {
	case !ok:
		return e, false
	case t.version >= 0:
		return e, e.version == t.version
	case t.assumed >= 0:
		return e, e.version == t.assumed
	}
	t.assumed = e.version
	return e, true
}

// keep remembers what the transaction read of k, once the version it read it at is known.
func (t *txn) keep(k settingsKey, e keptSettings) {
	if t.settings == nil || t.alone || t.version < 0 {
		return
	}
	e.version = t.version
	t.settings.put(k, e)
}

// checkAssumed compares the version the transaction read with the one it assumed, and makes a
// wrong assumption a reason to run again.
func (t *txn) checkAssumed() {
	if t.assumed >= 0 && t.version >= 0 && t.assumed != t.version && !t.retry {
		t.retry, t.cause = true, errStaleSettings
		t.settings.clear()
	}
}
