package migrate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"sort"
	"time"

	"github.com/rosterhq/roster/directory"
)

// KVLister is implemented by stores that can list their whole KV space with expiries, which
// the directory.Store port cannot (ScanKV needs a namespace and hides expiries). The KV space
// holds the SAML SP keys and webhook cursors as well as short-lived login state, so Copy
// refuses a source without it unless Options.SkipKV is set.
type KVLister interface {
	ListKV(ctx context.Context, fn func(ns, key string, value []byte, expires time.Time) error) error
}

// Options adjust Copy.
type Options struct {
	// SkipKV copies no KV entries: sessions, login state, the replay cache, SP keys and
	// webhook cursors stay behind. Needed when the source does not implement KVLister.
	SkipKV bool
	// ChunkSize is how many records go into one write transaction of dst (default 500).
	ChunkSize int
}

// Report counts what was copied and fingerprints it. Two stores with equal Reports hold the
// same records.
type Report struct {
	Orgs, IdPs, Tokens, Users, Identities, Groups, Memberships, Tombstones, Events, KV int
	// Checksum is a SHA-256 over every record in a fixed order, per kind and in all.
	Checksums map[string]string
	Checksum  string
}

func (r Report) String() string {
	return fmt.Sprintf("%d organizations, %d IdPs, %d tokens, %d users (%d identities), %d groups (%d memberships), %d tombstones, %d events, %d KV entries; checksum %s",
		r.Orgs, r.IdPs, r.Tokens, r.Users, r.Identities, r.Groups, r.Memberships, r.Tombstones, r.Events, r.KV, r.Checksum)
}

// tokenKinds are the kinds of token Copy lists; the port lists tokens by kind only.
var tokenKinds = []directory.TokenKind{directory.TokenAdmin, directory.TokenSCIM, directory.TokenSetup}

// Copy copies every organization, IdP, token, user (with its identity), group (with its
// members), tombstone, event and — see KVLister — KV entry of src into dst, which must be
// empty (a new store's organization default aside: the source's replaces it), and
// verifies the copy: it fingerprints src while reading it and dst after writing it, and
// fails unless counts and checksums agree. Events keep their sequence numbers, because dst,
// being empty, numbers them from 1 as src did.
//
// Run it with no Roster serving either store: src is read in one read transaction, but dst
// is written in many.
func Copy(ctx context.Context, dst, src directory.Store, opts Options) (Report, error) {
	if opts.ChunkSize <= 0 {
		opts.ChunkSize = 500
	}
	var kvSrc KVLister
	if !opts.SkipKV {
		var ok bool
		if kvSrc, ok = src.(KVLister); !ok {
			return Report{}, errors.New("migrate: the source store cannot list its KV space (SP keys, webhook cursors, sessions); " +
				"upgrade it, or copy without the KV space (SkipKV)")
		}
		if _, ok := dst.(KVLister); !ok {
			return Report{}, errors.New("migrate: the destination store cannot list its KV space, so the copy could not be verified; copy without it (SkipKV)")
		}
	}
	if err := mustBeEmpty(ctx, dst, !opts.SkipKV); err != nil {
		return Report{}, err
	}

	w := &writer{ctx: ctx, dst: dst, size: opts.ChunkSize}
	var want Report
	err := src.View(ctx, func(tx directory.ReadTx) error {
		var err error
		want, err = walk(tx, w.put)
		if err != nil {
			return err
		}
		return w.flush()
	})
	if err != nil {
		return Report{}, fmt.Errorf("migrate: %w", err)
	}
	if kvSrc != nil {
		d := newDigest()
		err := kvSrc.ListKV(ctx, func(ns, key string, value []byte, expires time.Time) error {
			d.add("kv", kvRecord{NS: ns, Key: key, Value: value, Expires: expires.UTC()})
			return w.put(func(tx directory.Tx) error { return tx.PutKV(ns, key, value, expires) })
		})
		if err == nil {
			err = w.flush()
		}
		if err != nil {
			return Report{}, fmt.Errorf("migrate: KV space: %w", err)
		}
		want.KV = d.counts["kv"]
		want.Checksums["kv"] = d.sum("kv")
	}
	want.Checksum = total(want.Checksums)

	got, err := Fingerprint(ctx, dst, !opts.SkipKV)
	if err != nil {
		return Report{}, fmt.Errorf("migrate: verifying the copy: %w", err)
	}
	if got.String() != want.String() {
		return got, fmt.Errorf("migrate: the copy differs from the source:\n  source: %s\n  copy:   %s", want, got)
	}
	return got, nil
}

// Fingerprint counts and checksums everything in s, as Copy does; withKV includes the KV
// space, which needs a KVLister.
func Fingerprint(ctx context.Context, s directory.Store, withKV bool) (Report, error) {
	var r Report
	err := s.View(ctx, func(tx directory.ReadTx) error {
		var err error
		r, err = walk(tx, nil)
		return err
	})
	if err != nil {
		return Report{}, err
	}
	if withKV {
		l, ok := s.(KVLister)
		if !ok {
			return Report{}, errors.New("the store cannot list its KV space")
		}
		d := newDigest()
		if err := l.ListKV(ctx, func(ns, key string, value []byte, expires time.Time) error {
			d.add("kv", kvRecord{NS: ns, Key: key, Value: value, Expires: expires.UTC()})
			return nil
		}); err != nil {
			return Report{}, err
		}
		r.KV, r.Checksums["kv"] = d.counts["kv"], d.sum("kv")
	}
	r.Checksum = total(r.Checksums)
	return r, nil
}

type kvRecord struct {
	NS      string    `json:"ns"`
	Key     string    `json:"key"`
	Value   []byte    `json:"value"`
	Expires time.Time `json:"expires"`
}

// walk reads every record of tx in a fixed order, fingerprints it, and, with put, queues its
// write. Order matters for writing: IdPs and users before what refers to them, events last
// and in sequence.
func walk(tx directory.ReadTx, put func(func(directory.Tx) error) error) (Report, error) {
	d := newDigest()
	queue := func(write func(directory.Tx) error) error {
		if put == nil {
			return nil
		}
		return put(write)
	}
	var r Report

	orgs, err := tx.Orgs()
	if err != nil {
		return r, err
	}
	for _, o := range orgs {
		d.add("orgs", o)
		if err := queue(func(tx directory.Tx) error { return tx.PutOrg(o) }); err != nil {
			return r, err
		}
	}

	idps, err := tx.IdPs()
	if err != nil {
		return r, err
	}
	sort.Slice(idps, func(i, j int) bool { return idps[i].ID < idps[j].ID })
	for _, p := range idps {
		d.add("idps", p)
		if err := queue(func(tx directory.Tx) error { return tx.PutIdP(p) }); err != nil {
			return r, err
		}
	}

	var tokens []directory.Token
	for _, kind := range tokenKinds {
		l, err := tx.Tokens(kind, "")
		if err != nil {
			return r, err
		}
		tokens = append(tokens, l...)
	}
	sort.Slice(tokens, func(i, j int) bool { return tokens[i].ID < tokens[j].ID })
	for _, tok := range tokens {
		d.add("tokens", tok)
		if err := queue(func(tx directory.Tx) error { return tx.PutToken(tok) }); err != nil {
			return r, err
		}
	}

	if err := tx.ScanUsers(directory.ScanQuery{}, func(u directory.User) error {
		d.add("users", u)
		if _, ok := u.Identity(); ok {
			r.Identities++
		}
		return queue(func(tx directory.Tx) error { return tx.PutUser(u) })
	}); err != nil {
		return r, err
	}

	if err := tx.ScanGroups(directory.ScanQuery{}, func(g directory.Group) error {
		d.add("groups", g)
		r.Memberships += len(g.Members)
		return queue(func(tx directory.Tx) error { return tx.PutGroup(g) })
	}); err != nil {
		return r, err
	}

	tombstones, err := tx.Tombstones("")
	if err != nil {
		return r, err
	}
	sort.Slice(tombstones, func(i, j int) bool {
		a, b := tombstones[i], tombstones[j]
		return a.IdP < b.IdP || a.IdP == b.IdP && a.UniqueUserID < b.UniqueUserID
	})
	for _, ts := range tombstones {
		d.add("tombstones", ts)
		if err := queue(func(tx directory.Tx) error { return tx.PutTombstone(ts) }); err != nil {
			return r, err
		}
	}

	for after := uint64(0); ; {
		page, err := tx.Events(after, 500)
		if err != nil {
			return r, err
		}
		for _, e := range page {
			if e.Seq != after+1 {
				return r, fmt.Errorf("the event log has a gap: seq %d follows %d", e.Seq, after)
			}
			d.add("events", e)
			if err := queue(func(tx directory.Tx) error {
				// A backend that numbers events after the commit answers 0; the copy is
				// verified against the source, numbers included, once it is complete.
				seq, err := tx.AppendEvent(e)
				if err == nil && seq != 0 && seq != e.Seq {
					err = fmt.Errorf("event %d was numbered %d in the copy; is the destination's event log empty?", e.Seq, seq)
				}
				return err
			}); err != nil {
				return r, err
			}
			after = e.Seq
		}
		if len(page) == 0 {
			break
		}
	}

	r.Orgs, r.IdPs, r.Tokens, r.Users = d.counts["orgs"], d.counts["idps"], d.counts["tokens"], d.counts["users"]
	r.Groups, r.Tombstones, r.Events = d.counts["groups"], d.counts["tombstones"], d.counts["events"]
	r.Checksums = map[string]string{}
	for _, kind := range []string{"orgs", "idps", "tokens", "users", "groups", "tombstones", "events"} {
		r.Checksums[kind] = d.sum(kind)
	}
	return r, nil
}

// mustBeEmpty refuses a destination that holds anything but the organization default every
// new store starts with: a copy merged into existing data could neither keep event numbers
// nor be verified.
func mustBeEmpty(ctx context.Context, dst directory.Store, withKV bool) error {
	r, err := Fingerprint(ctx, dst, withKV)
	if err != nil {
		return fmt.Errorf("migrate: reading the destination: %w", err)
	}
	onlyDefault := r.Orgs == 0
	if r.Orgs == 1 {
		err := dst.View(ctx, func(tx directory.ReadTx) error {
			o, err := tx.Org(directory.DefaultOrg)
			onlyDefault = err == nil && len(o.Domains) == 0
			if errors.Is(err, directory.ErrNotFound) {
				return nil
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate: reading the destination: %w", err)
		}
	}
	if !onlyDefault || r.IdPs+r.Tokens+r.Users+r.Groups+r.Tombstones+r.Events+r.KV > 0 {
		return fmt.Errorf("migrate: the destination is not empty (%s); copy into an empty store", r)
	}
	return nil
}

// writer groups writes into transactions of dst of up to size records each.
type writer struct {
	ctx     context.Context
	dst     directory.Store
	size    int
	pending []func(directory.Tx) error
}

func (w *writer) put(write func(directory.Tx) error) error {
	w.pending = append(w.pending, write)
	if len(w.pending) >= w.size {
		return w.flush()
	}
	return nil
}

func (w *writer) flush() error {
	if len(w.pending) == 0 {
		return nil
	}
	chunk := w.pending
	w.pending = nil
	// The function only replays the prepared writes, so it may run more than once.
	return w.dst.Update(w.ctx, func(tx directory.Tx) error {
		for _, write := range chunk {
			if err := write(tx); err != nil {
				return err
			}
		}
		return nil
	})
}

// digest keeps one running SHA-256 and count per kind of record, over each record's JSON.
type digest struct {
	hashes map[string]hash.Hash
	counts map[string]int
}

func newDigest() *digest { return &digest{hashes: map[string]hash.Hash{}, counts: map[string]int{}} }

func (d *digest) add(kind string, v any) {
	h, ok := d.hashes[kind]
	if !ok {
		h = sha256.New()
		d.hashes[kind] = h
	}
	raw, err := json.Marshal(v)
	if err != nil {
		raw = []byte(err.Error())
	}
	h.Write(raw)
	h.Write([]byte{'\n'})
	d.counts[kind]++
}

func (d *digest) sum(kind string) string {
	h, ok := d.hashes[kind]
	if !ok {
		h = sha256.New()
	}
	return hex.EncodeToString(h.Sum(nil))
}

// total combines the per-kind checksums, in kind order, into one.
func total(sums map[string]string) string {
	kinds := make([]string, 0, len(sums))
	for k := range sums {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	h := sha256.New()
	for _, k := range kinds {
		fmt.Fprintf(h, "%s %s\n", k, sums[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}
