package postgres

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster/directory"
)

// --- tombstones -----------------------------------------------------------------------------

// Records written before organizations have no org in their documents; they are
// DefaultOrg's, and so is a record put without one.

func (t *txn) Tombstone(id directory.Identity) (directory.Tombstone, error) {
	raw, read := t.tombstones[id] // read with the identity's user in this transaction, if it was
	if !read {
		err := t.queryRow(`SELECT doc FROM tombstones WHERE idp = $1 AND unique_user_id = $2`, id.IdP, id.UniqueUserID).Scan(&raw)
		if err != nil {
			return directory.Tombstone{}, t.fail(err)
		}
	} else if raw == nil {
		return directory.Tombstone{}, directory.ErrNotFound
	}
	var ts directory.Tombstone
	if err := decode(raw, &ts); err != nil {
		return directory.Tombstone{}, err
	}
	ts.Org = directory.OrgOrDefault(ts.Org)
	return ts, nil
}

func (t *txn) Tombstones(idp string) ([]directory.Tombstone, error) {
	var out []directory.Tombstone
	var err error
	if idp == "" {
		out, err = docs[directory.Tombstone](t, `SELECT doc FROM tombstones ORDER BY idp, unique_user_id`)
	} else {
		out, err = docs[directory.Tombstone](t, `SELECT doc FROM tombstones WHERE idp = $1 ORDER BY unique_user_id`, idp)
	}
	for i := range out {
		out[i].Org = directory.OrgOrDefault(out[i].Org)
	}
	return out, err
}

func (t *txn) PutTombstone(ts directory.Tombstone) error {
	t.tombstones = nil
	ts.DeletedAt = ts.DeletedAt.UTC()
	ts.Org = directory.OrgOrDefault(ts.Org)
	doc, err := json.Marshal(ts)
	if err != nil {
		return err
	}
	_, err = t.exec(`INSERT INTO tombstones (idp, unique_user_id, doc, org) VALUES ($1, $2, $3::jsonb, $4)
		ON CONFLICT (idp, unique_user_id) DO UPDATE SET doc = excluded.doc, org = excluded.org`, ts.IdP, ts.UniqueUserID, doc, ts.Org)
	return err
}

func (t *txn) DeleteTombstone(id directory.Identity) error {
	t.tombstones = nil
	_, err := t.exec(`DELETE FROM tombstones WHERE idp = $1 AND unique_user_id = $2`, id.IdP, id.UniqueUserID)
	return err
}

// --- IdPs -----------------------------------------------------------------------------------

// IdP reads an IdP, from the store's kept settings when the transaction may use them.
func (t *txn) IdP(id string) (directory.IdP, error) {
	k := settingsKey{'i', id}
	if e, ok := t.kept(k); ok {
		return e.idp.Clone(), nil
	}
	var p directory.IdP
	if err := t.getDoc(&p, `SELECT doc FROM idps WHERE id = $1`, id); err != nil {
		return directory.IdP{}, err
	}
	p.Org = directory.OrgOrDefault(p.Org)
	t.keep(k, keptSettings{idp: p.Clone()})
	return p, nil
}

func (t *txn) IdPs() ([]directory.IdP, error) {
	ps, err := docs[directory.IdP](t, `SELECT doc FROM idps ORDER BY id`)
	for i := range ps {
		ps[i].Org = directory.OrgOrDefault(ps[i].Org)
	}
	return ps, err
}

func (t *txn) PutIdP(p directory.IdP) error {
	if err := t.settingsWrite(); err != nil {
		return err
	}
	if p.ID == "" {
		return directory.Invalidf("an IdP needs an id")
	}
	p.Created, p.Updated = p.Created.UTC(), p.Updated.UTC()
	p.Org = directory.OrgOrDefault(p.Org)
	doc, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = t.exec(`INSERT INTO idps (id, doc, org) VALUES ($1, $2::jsonb, $3)
		ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, org = excluded.org`, p.ID, doc, p.Org)
	return err
}

func (t *txn) DeleteIdP(id string) error {
	if err := t.settingsWrite(); err != nil {
		return err
	}
	_, err := t.exec(`DELETE FROM idps WHERE id = $1`, id)
	return err
}

// --- tokens ---------------------------------------------------------------------------------

// Tokens written before organizations read as directory.UpgradeStoredToken makes them.

func (t *txn) token(sql string, args ...any) (directory.Token, error) {
	var tok directory.Token
	if err := t.getDoc(&tok, sql, args...); err != nil {
		return directory.Token{}, err
	}
	return directory.UpgradeStoredToken(tok), nil
}

func (t *txn) Token(id string) (directory.Token, error) {
	return t.token(`SELECT doc FROM tokens WHERE id = $1`, id)
}

func (t *txn) TokenByHash(hash []byte) (directory.Token, error) {
	return t.token(`SELECT doc FROM tokens WHERE hash = $1`, hash)
}

func (t *txn) Tokens(kind directory.TokenKind, idp string) ([]directory.Token, error) {
	var out []directory.Token
	var err error
	if idp == "" {
		out, err = docs[directory.Token](t, `SELECT doc FROM tokens WHERE kind = $1 ORDER BY id`, string(kind))
	} else {
		out, err = docs[directory.Token](t, `SELECT doc FROM tokens WHERE kind = $1 AND idp = $2 ORDER BY id`, string(kind), idp)
	}
	for i := range out {
		out[i] = directory.UpgradeStoredToken(out[i])
	}
	return out, err
}

// putToken checks and writes like putUser: a hash of another token is reported, not written.
const putToken = `
WITH clash AS (
	SELECT id FROM tokens WHERE hash = $4 AND id <> $1
), put AS (
	INSERT INTO tokens (id, kind, idp, hash, doc, org, role)
	SELECT $1, $2, $3, $4::bytea, $5::jsonb, $6, $7
	WHERE NOT EXISTS (SELECT FROM clash)
	ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, idp = excluded.idp, hash = excluded.hash, doc = excluded.doc,
		org = excluded.org, role = excluded.role
)
SELECT id FROM clash`

func (t *txn) PutToken(tok directory.Token) error {
	if err := t.settingsWrite(); err != nil {
		return err
	}
	if tok.ID == "" || len(tok.Hash) == 0 {
		return directory.Invalidf("a token needs an id and a hash")
	}
	tok.Created, tok.ExpiresAt = tok.Created.UTC(), tok.ExpiresAt.UTC()
	tok.RevokedAt, tok.LastUsedAt = tok.RevokedAt.UTC(), tok.LastUsedAt.UTC()
	tok = directory.UpgradeStoredToken(tok)
	doc, err := json.Marshal(tok)
	if err != nil {
		return err
	}
	var other string
	err = t.queryRow(putToken, tok.ID, string(tok.Kind), tok.IdP, tok.Hash, doc, tok.Org, string(tok.Role)).Scan(&other)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		return t.fail(err)
	default:
		return &directory.ConflictError{Field: "token", Value: tok.ID}
	}
}

func (t *txn) DeleteToken(id string) error {
	if err := t.settingsWrite(); err != nil {
		return err
	}
	_, err := t.exec(`DELETE FROM tokens WHERE id = $1`, id)
	return err
}

// --- events ---------------------------------------------------------------------------------

// appendEvent puts an event in the inbox, in arrival order; numbering moves it into events
// under its number once the transaction has committed (numbering.go). Nothing here waits for
// another writer.
const appendEvent = `INSERT INTO event_inbox (time, type, doc, org) VALUES ($1, $2, $3::jsonb, $4)`

// AppendEvent stores e. Its number is not known inside the transaction, so AppendEvent returns
// 0; Update returns once the event is numbered, and the event is read with its number. The
// insert reads nothing and answers nothing, so it goes with the transaction's next round
// trip, often its commit; should it fail, that statement or the commit reports it.
func (t *txn) AppendEvent(e directory.Event) (uint64, error) {
	e.Time = e.Time.UTC()
	e.Seq = 0
	doc, err := directory.AppendEventJSON(nil, &e)
	if err != nil {
		return 0, err
	}
	t.later(appendEvent, e.Time, e.Type, string(doc), e.Org)
	t.appended = true
	return 0, nil
}

func (t *txn) Events(after uint64, limit int) ([]directory.Event, error) {
	if limit <= 0 || after >= math.MaxInt64 {
		return []directory.Event{}, nil
	}
	return t.events(`SELECT seq, org, doc FROM events WHERE seq > $1 ORDER BY seq LIMIT $2`, int64(after), limit)
}

func (t *txn) OrgEvents(org string, after uint64, limit int) ([]directory.Event, error) {
	if org == "" || limit <= 0 || after >= math.MaxInt64 {
		return []directory.Event{}, nil
	}
	return t.events(`SELECT seq, org, doc FROM events WHERE org = $1 AND seq > $2 ORDER BY seq LIMIT $3`, org, int64(after), limit)
}

// events reads the events sql selects as (seq, org, doc). An event's organization is its
// column's: the documents of events written before organizations name none, and their
// column says "default".
func (t *txn) events(sql string, args ...any) ([]directory.Event, error) {
	type row struct {
		seq int64
		org string
		doc []byte
	}
	raws, err := collect(t, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.seq, &x.org, &x.doc)
		return x, err
	}, sql, args...)
	if err != nil {
		return nil, err
	}
	out := make([]directory.Event, 0, len(raws))
	for _, r := range raws {
		var e directory.Event
		if err := decode(r.doc, &e); err != nil {
			return nil, err
		}
		e.Seq, e.Org = uint64(r.seq), r.org
		out = append(out, e)
	}
	return out, nil
}

func (t *txn) LastSeq() (uint64, error) {
	var seq int64
	if err := t.queryRow(`SELECT seq FROM event_seq`).Scan(&seq); err != nil {
		return 0, t.fail(err)
	}
	return uint64(seq), nil
}

// --- KV -------------------------------------------------------------------------------------

// An entry is live while now < expires_unix_ns, as in the bbolt store; NULL never expires.

func expiry(expires time.Time) *int64 {
	if expires.IsZero() {
		return nil
	}
	ns := expires.UnixNano()
	return &ns
}

func (t *txn) KV(ns, key string, now time.Time) ([]byte, error) {
	var v []byte
	err := t.queryRow(`SELECT value FROM kv WHERE ns = $1 AND key = $2
		AND (expires_unix_ns IS NULL OR expires_unix_ns > $3)`, ns, key, now.UnixNano()).Scan(&v)
	if err != nil {
		return nil, t.fail(err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

func (t *txn) ScanKV(ns string, now time.Time, fn func(key string, value []byte) error) error {
	after := ""
	for {
		type entry struct {
			key   string
			value []byte
		}
		page, err := collect(t, func(r pgx.CollectableRow) (entry, error) {
			var e entry
			err := r.Scan(&e.key, &e.value)
			return e, err
		}, `SELECT key, value FROM kv WHERE ns = $1 AND key > $2
			AND (expires_unix_ns IS NULL OR expires_unix_ns > $3) ORDER BY key LIMIT $4`, ns, after, now.UnixNano(), pageSize)
		if err != nil {
			return err
		}
		for _, e := range page {
			if e.value == nil {
				e.value = []byte{}
			}
			if err := fn(e.key, e.value); err != nil {
				return stopScan(err)
			}
		}
		if len(page) < pageSize {
			return nil
		}
		after = page[len(page)-1].key
	}
}

func kvValue(v []byte) []byte {
	if v == nil {
		return []byte{} // the column is NOT NULL; nil and empty read back alike
	}
	return v
}

// PutKV and DeleteKV report nothing a caller waits for, so they are sent with the
// transaction's next statement, or with its COMMIT, in that round trip (txn.later): a sign-in
// writes its session and its user's list of sessions without a round trip for either. A
// failure (a concurrent writer's) is the next statement's, or the commit's, and the
// transaction runs again as for any other.
func (t *txn) PutKV(ns, key string, value []byte, expires time.Time) error {
	t.later(`INSERT INTO kv (ns, key, value, expires_unix_ns) VALUES ($1, $2, $3, $4)
		ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, expires_unix_ns = excluded.expires_unix_ns`,
		ns, key, bytes.Clone(kvValue(value)), expiry(expires))
	return nil
}

// InsertKV is the SAML replay cache's check-and-set, made one statement so that it holds
// across replicas: the row is written when the key is absent or its entry has expired, and
// left alone otherwise. Of two transactions inserting the same key at once, the second waits
// for the first and then fails to serialize; run again, it finds the live entry.
func (t *txn) InsertKV(ns, key string, value []byte, expires time.Time, now time.Time) error {
	tag, err := t.exec(`INSERT INTO kv (ns, key, value, expires_unix_ns) VALUES ($1, $2, $3, $4)
		ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, expires_unix_ns = excluded.expires_unix_ns
		WHERE kv.expires_unix_ns IS NOT NULL AND kv.expires_unix_ns <= $5`,
		ns, key, kvValue(value), expiry(expires), now.UnixNano())
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return &directory.ConflictError{Field: ns, Value: key}
	}
	return nil
}

func (t *txn) DeleteKV(ns, key string) error {
	t.later(`DELETE FROM kv WHERE ns = $1 AND key = $2`, ns, key)
	return nil
}

func (t *txn) PurgeKV(now time.Time, limit int) (int, bool, error) {
	if limit <= 0 {
		return 0, false, nil
	}
	// The expiry index finds the expired entries, however many live ones there are.
	tag, err := t.exec(`DELETE FROM kv WHERE (ns, key) IN (
		SELECT ns, key FROM kv WHERE expires_unix_ns IS NOT NULL AND expires_unix_ns <= $1
		ORDER BY expires_unix_ns LIMIT $2)`, now.UnixNano(), limit)
	if err != nil {
		return 0, false, err
	}
	n := int(tag.RowsAffected())
	return n, n == limit, nil
}
