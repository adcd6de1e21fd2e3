package bolt

import (
	"encoding/binary"
	"strconv"

	"github.com/rosterhq/roster/directory"
)

func seqKey(seq uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, seq)
	return k
}

// metaOrgsFrom records, in the meta bucket, the first sequence number written with
// organizations: the events before it were written before organizations existed and are all
// DefaultOrg's, though they name no org. (Events after it may name none on purpose: an admin
// credential of every organization belongs to none.) A store created with organizations has
// it at 1.
var metaOrgsFrom = []byte("orgs_from_seq")

// orgsFrom reads metaOrgsFrom; 1 when the key is missing.
func (t *txn) orgsFrom() uint64 {
	n, err := strconv.ParseUint(string(t.tx.Bucket(bMeta).Get(metaOrgsFrom)), 10, 64)
	if err != nil || n == 0 {
		return 1
	}
	return n
}

// decodeEvent reads a stored event; orgsFrom is the store's metaOrgsFrom.
func decodeEvent(raw []byte, orgsFrom uint64) (directory.Event, error) {
	var e directory.Event
	if err := directory.DecodeEventJSON(raw, &e); err != nil {
		return directory.Event{}, err
	}
	if e.Seq < orgsFrom {
		e.Org = directory.OrgOrDefault(e.Org)
	}
	return e, nil
}

func (t *txn) AppendEvent(e directory.Event) (uint64, error) {
	// The log grows only at its end (and its organization index at each organization's end),
	// so a page that splits is filled first: bbolt's default split leaves every page of an
	// append-only bucket about half used (TestEventPagesAreFilled).
	b := t.tx.Bucket(bEvents)
	b.FillPercent = 1
	t.tx.Bucket(bEventsByOrg).FillPercent = 1
	seq, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	e.Seq = seq
	e.Time = e.Time.UTC()
	record, err := directory.AppendEventJSON(nil, &e)
	if err != nil {
		return 0, err
	}
	if err := b.Put(seqKey(seq), record); err != nil {
		return 0, err
	}
	if e.Org != "" {
		if err := t.tx.Bucket(bEventsByOrg).Put(eventOrgKey(e.Org, seq), nil); err != nil {
			return 0, err
		}
	}
	return seq, nil
}

func eventOrgKey(org string, seq uint64) []byte { return append(prefix(org), seqKey(seq)...) }

func (t *txn) Events(after uint64, limit int) ([]directory.Event, error) {
	out := []directory.Event{}
	from := t.orgsFrom()
	c := t.tx.Bucket(bEvents).Cursor()
	for k, v := c.Seek(seqKey(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
		e, err := decodeEvent(v, from)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (t *txn) OrgEvents(org string, after uint64, limit int) ([]directory.Event, error) {
	out := []directory.Event{}
	if org == "" || limit <= 0 || after == ^uint64(0) {
		return out, nil
	}
	from := t.orgsFrom()
	events := t.tx.Bucket(bEvents)
	p := prefix(org)
	c := t.tx.Bucket(bEventsByOrg).Cursor()
	for k, _ := c.Seek(eventOrgKey(org, after+1)); k != nil && len(out) < limit; k, _ = c.Next() {
		if len(k) != len(p)+8 || string(k[:len(p)]) != string(p) {
			break
		}
		raw := events.Get(k[len(p):])
		if raw == nil {
			continue
		}
		e, err := decodeEvent(raw, from)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (t *txn) LastSeq() (uint64, error) { return t.tx.Bucket(bEvents).Sequence(), nil }
