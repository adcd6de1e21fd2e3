package bolt

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/rosterhq/roster/directory"
)

// createDefaultOrg stores the organization every store starts with, unless it exists.
func createDefaultOrg(btx *bbolt.Tx) error {
	t := &txn{tx: btx}
	if btx.Bucket(bOrgs).Get([]byte(directory.DefaultOrg)) != nil {
		return nil
	}
	now := time.Now().UTC()
	return t.PutOrg(directory.Organization{ID: directory.DefaultOrg, Name: "Default",
		EmailDomains: directory.EmailDomainsAny, Domains: []directory.Domain{}, Created: now, Updated: now})
}

// upgrade brings a file of an older format to formatVersion, inside the caller's transaction.
//
// From format 1 (before organizations): everything that exists becomes organization
// default's. IdPs, tokens (admin tokens become owners) and tombstones are rewritten, being few;
// users, groups and events are not — a record without an org reads as DefaultOrg's, and the
// events before the upgrade are marked as DefaultOrg's by their sequence number
// (metaOrgsFrom). Every index is rebuilt from the records, in the length-safe key layout and
// with the per-organization indexes; ids and sequence numbers do not change.
//
// From format 2: nothing is rewritten. Format 3 keeps a group's members in chunks beside its
// record (groups.go); a record that holds them is read as it is and chunked when next written.
// The number changes so that an older Roster, which would read such a group as empty, refuses
// the file.
//
// From format 3 (and 2): format 4 holds no entry in the index of externalIds for a user whose
// externalId is its uniqueUserId (externalIsIdentity); those entries are deleted. The number
// changes so that an older Roster, which reads externalIds from that index alone and would
// miss those users, refuses the file.
func upgrade(btx *bbolt.Tx, from int) error {
	switch from {
	case 1:
		return upgradeV1(btx) // builds every index as this version does
	case 2, 3:
		return dropIdentityExternalIDs(btx)
	}
	return fmt.Errorf("no upgrade from data format %d", from)
}

func upgradeV1(btx *bbolt.Tx) error {
	t := &txn{tx: btx}
	next := btx.Bucket(bEvents).Sequence() + 1
	if err := btx.Bucket(bMeta).Put(metaOrgsFrom, []byte(strconv.FormatUint(next, 10))); err != nil {
		return err
	}
	for _, b := range indexBuckets {
		if err := btx.DeleteBucket(b); err != nil {
			return err
		}
		if _, err := btx.CreateBucket(b); err != nil {
			return err
		}
	}
	if err := createDefaultOrg(btx); err != nil {
		return err
	}
	if err := rekeyTombstones(btx); err != nil {
		return err
	}
	if err := rewrite(btx, bIdPs, func(raw []byte) error {
		var p directory.IdP
		if err := json.Unmarshal(raw, &p); err != nil {
			return err
		}
		return t.PutIdP(p) // PutIdP puts it in DefaultOrg
	}); err != nil {
		return err
	}
	if err := rewrite(btx, bTokens, func(raw []byte) error {
		var tok directory.Token
		if err := json.Unmarshal(raw, &tok); err != nil {
			return err
		}
		return t.PutToken(tok) // an owner's admin token, a DefaultOrg SCIM token; indexes its hash
	}); err != nil {
		return err
	}
	return rebuildIndexes(t)
}

// rewrite calls put for every record of bucket, read first so that put may write the bucket.
func rewrite(btx *bbolt.Tx, bucket []byte, put func(raw []byte) error) error {
	var raws [][]byte
	if err := btx.Bucket(bucket).ForEach(func(_, v []byte) error {
		raws = append(raws, append([]byte{}, v...))
		return nil
	}); err != nil {
		return err
	}
	for _, raw := range raws {
		if err := put(raw); err != nil {
			return err
		}
	}
	return nil
}

// rekeyTombstones stores every tombstone again under the length-safe key of its identity.
func rekeyTombstones(btx *bbolt.Tx) error {
	var all []directory.Tombstone
	if err := btx.Bucket(bTombstones).ForEach(func(_, v []byte) error {
		var ts directory.Tombstone
		if err := json.Unmarshal(v, &ts); err != nil {
			return err
		}
		all = append(all, ts)
		return nil
	}); err != nil {
		return err
	}
	if err := btx.DeleteBucket(bTombstones); err != nil {
		return err
	}
	if _, err := btx.CreateBucket(bTombstones); err != nil {
		return err
	}
	t := &txn{tx: btx}
	for _, ts := range all {
		if err := t.PutTombstone(ts); err != nil {
			return err
		}
	}
	return nil
}

// rebuildIndexes fills the (empty) index buckets of users, groups, memberships, events and
// verified domains from the records.
func rebuildIndexes(t *txn) error {
	if err := t.tx.Bucket(bUsers).ForEach(func(_, v []byte) error {
		u, err := decodeUser(v)
		if err != nil {
			return err
		}
		return t.indexUser(u)
	}); err != nil {
		return err
	}
	if err := t.tx.Bucket(bGroups).ForEach(func(_, v []byte) error {
		g, err := t.decodeGroup(v)
		if err != nil {
			return err
		}
		return t.indexGroup(g, g.Members)
	}); err != nil {
		return err
	}
	from := t.orgsFrom()
	byOrg := t.tx.Bucket(bEventsByOrg)
	if err := t.tx.Bucket(bEvents).ForEach(func(k, v []byte) error {
		e, err := decodeEvent(v, from)
		if err != nil {
			return err
		}
		if e.Org == "" {
			return nil
		}
		return byOrg.Put(eventOrgKey(e.Org, e.Seq), nil)
	}); err != nil {
		return err
	}
	return t.tx.Bucket(bOrgs).ForEach(func(_, v []byte) error {
		o, err := decodeOrg(v)
		if err != nil {
			return err
		}
		for _, d := range o.VerifiedDomains() {
			if err := t.tx.Bucket(bOrgByDomain).Put([]byte(d), []byte(o.ID)); err != nil {
				return err
			}
		}
		return nil
	})
}

// dropIdentityExternalIDs deletes the entries of the index of externalIds that name a user by
// its uniqueUserId: for each identity (IdP, uniqueUserId) → user, the entry (IdP,
// uniqueUserId, user), if there is one. An identity key is prefix(IdP) then the uniqueUserId as
// it is (key), and the entry is prefix(IdP, uniqueUserId) then the user id.
func dropIdentityExternalIDs(btx *bbolt.Tx) error {
	external := btx.Bucket(bByExternal)
	return btx.Bucket(bByIdentity).ForEach(func(k, id []byte) error {
		head := firstPartEnd(k)
		if head < 0 {
			return fmt.Errorf("an identity key %q of no IdP part", k)
		}
		entry := append(append([]byte{}, k[:head]...), prefix(string(k[head:]))...)
		return external.Delete(append(entry, id...))
	})
}

// firstPartEnd is the length of the first part of key k with its terminator (prefix of the
// part), or -1.
func firstPartEnd(k []byte) int {
	for i := 0; i+1 < len(k); i++ {
		if k[i] != escByte {
			continue
		}
		if k[i+1] == escEndsAt {
			return i + 2
		}
		i++ // an escaped zero byte
	}
	return -1
}
