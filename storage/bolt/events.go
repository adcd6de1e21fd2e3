package bolt

import (
	"encoding/binary"
	"encoding/json"

	"github.com/rosterhq/roster/directory"
)

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
