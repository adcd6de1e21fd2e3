package directory

import "sync"

// An event carries a snapshot of the user or group it changed, for the change feed and the
// webhooks. Copying a whole resource into every event would let a few large resources grow
// the log without end (a group of 100,000 members is 3.7 MB; twenty PATCHes of a large user
// were twenty copies of it), so a snapshot is bounded: past the bounds it keeps what
// identifies the resource and what most consumers read, and the event says it is partial.
// Changes still names every attribute that changed; the resource itself is one read away.
const (
	// MaxSnapshotBytes bounds a user snapshot's JSON.
	MaxSnapshotBytes = 32 << 10
	// MaxSnapshotMembers is the most members a group snapshot lists; a larger group's
	// snapshot lists none.
	MaxSnapshotMembers = 1000
	// partialEmails is how many emails, the primary first, a partial user snapshot keeps.
	partialEmails = 5
)

// snapshotBuffers hold what snapshotUser encodes to measure, used again by the next.
var snapshotBuffers = sync.Pool{New: func() any { return new([]byte) }}

// snapshotUser is the snapshot of u an event stores, never with the password hash, and
// whether it is partial. A partial one keeps the identity, userName, name, displayName,
// active, owner, times and up to partialEmails emails; the input policy's limits make that
// far smaller than MaxSnapshotBytes.
func snapshotUser(u User) (User, bool) {
	u = u.Clone()
	u.PasswordHash = ""
	buf := snapshotBuffers.Get().(*[]byte)
	raw, err := AppendUserJSON((*buf)[:0], &u)
	fits := err == nil && len(raw) <= MaxSnapshotBytes
	*buf = raw
	snapshotBuffers.Put(buf)
	if fits {
		return u, false
	}
	p := User{ID: u.ID, UserName: u.UserName, Name: u.Name, DisplayName: u.DisplayName, Active: u.Active,
		ExternalID: u.ExternalID, Org: u.Org, IdP: u.IdP, UniqueUserID: u.UniqueUserID, Owner: u.Owner,
		LastLoginAt: u.LastLoginAt, SessionsValidAfter: u.SessionsValidAfter, Meta: u.Meta}
	for _, e := range u.Emails {
		if e.Primary {
			p.Emails = append(p.Emails, e)
		}
	}
	for _, e := range u.Emails {
		if len(p.Emails) == partialEmails {
			break
		}
		if !e.Primary {
			p.Emails = append(p.Emails, e)
		}
	}
	return p, true
}

// snapshotGroup is the snapshot of g an event stores, and whether it is partial: a group of
// more than MaxSnapshotMembers members is stored without them.
func snapshotGroup(g Group) (Group, bool) {
	if len(g.Members) > MaxSnapshotMembers {
		g.Members = nil
		return g, true
	}
	return g.Clone(), false
}

// groupAfterChange is the group an event records after a change of members made without
// reading them (AddGroupMember, RemoveGroupMember): the group read whole when size, its
// number of members after the change, fits a snapshot; else head, and the event is partial.
func groupAfterChange(tx ReadTx, head Group, size int) (*Group, bool, error) {
	if size > MaxSnapshotMembers {
		return &head, true, nil
	}
	g, err := tx.Group(head.ID)
	return &g, false, err
}
