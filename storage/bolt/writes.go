package bolt

import (
	"encoding/json"

	"github.com/rosterhq/roster/directory"
)

// Write is one key a transaction puts: its bucket, key and value.
type Write struct {
	Bucket, Key, Value []byte
}

// CreateWrites lists what a transaction that creates user u and appends its creation event e,
// numbered seq, puts into the file: the user's record and every index entry, the event and its
// organization's index entry. Benchmarks replay these puts in raw bbolt transactions as the
// physical limit of a create, the same keys written with nothing else; a test keeps the list
// equal to what PutUser and AppendEvent write.
func CreateWrites(u directory.User, e directory.Event, seq uint64) ([]Write, error) {
	u.Org = directory.OrgOrDefault(u.Org)
	u.Meta.Created, u.Meta.LastModified = u.Meta.Created.UTC(), u.Meta.LastModified.UTC()
	u.LastLoginAt, u.SessionsValidAfter = u.LastLoginAt.UTC(), u.SessionsValidAfter.UTC()
	record, err := json.Marshal(u)
	if err != nil {
		return nil, err
	}
	out := []Write{{bUsers, []byte(u.ID), record}}
	for _, x := range userIndexes(u) {
		out = append(out, Write{x.bucket, x.k, x.v})
	}
	e.Seq, e.Time = seq, e.Time.UTC()
	event, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	out = append(out, Write{bEvents, seqKey(seq), event})
	if e.Org != "" {
		out = append(out, Write{bEventsByOrg, eventOrgKey(e.Org, seq), nil})
	}
	return out, nil
}

// Buckets are the names of every bucket of a Roster file, for a raw file laid out alike.
func Buckets() [][]byte { return append([][]byte{}, allBuckets...) }
