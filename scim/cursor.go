package scim

import "sync"

// pageCursors remembers, for unfiltered and unsorted user lists, which user id precedes a
// given startIndex, so that a client paging through an IdP's users in order (Okta's import:
// startIndex=1, 101, 201, …) resumes the id-ordered scan after that id instead of reading
// every earlier user again. An entry is valid only at the event sequence number it was made
// at: every write of a user appends an event in the same transaction, so an unchanged sequence
// means unchanged positions, and any write makes every entry stale.
type pageCursors struct {
	mu      sync.Mutex
	seq     uint64
	entries map[cursorKey]string
}

type cursorKey struct {
	idp        string
	startIndex int
}

// maxCursors bounds the memory the cache can take; it is cleared when full.
const maxCursors = 4096

// after returns the id that precedes startIndex in the IdP's id order, if known at seq.
func (c *pageCursors) after(seq uint64, idp string, startIndex int) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seq != seq {
		return "", false
	}
	id, ok := c.entries[cursorKey{idp, startIndex}]
	return id, ok
}

// remember records that id is the user at position startIndex-1, as of seq.
func (c *pageCursors) remember(seq uint64, idp string, startIndex int, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seq != seq || c.entries == nil || len(c.entries) >= maxCursors {
		c.seq, c.entries = seq, map[cursorKey]string{}
	}
	c.entries[cursorKey{idp, startIndex}] = id
}
