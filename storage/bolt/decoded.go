package bolt

import (
	"bytes"
	"sync"

	"github.com/rosterhq/roster/directory"
)

// decoded keeps the decoded form of the few records that nearly every request reads — the
// bearer token, the IdP of a SCIM token or a sign-in, its organization — so that a request does not decode the
// same JSON again (an IdP carries its SAML metadata, often kilobytes). An entry is used only
// while the stored bytes are the ones it was decoded from, compared byte for byte in the
// reading transaction, so it can never return what the transaction would not read; callers get
// a deep copy.
type decoded[T any] struct {
	mu      sync.Mutex
	entries map[string]decodedEntry[T]
	// minSize and maxBytes, when set, keep only records of at least minSize bytes, and start
	// over before the kept bytes pass maxBytes.
	minSize, maxBytes, held int
}

type decodedEntry[T any] struct {
	raw []byte
	v   T
}

// maxDecoded bounds each cache; a full cache starts over.
const maxDecoded = 256

// get returns the value of raw, the stored bytes of key: the cached one if raw is what it was
// decoded from, else decode(raw), remembered.
func (c *decoded[T]) get(key string, raw []byte, decode func([]byte) (T, error), clone func(T) T) (T, error) {
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && bytes.Equal(e.raw, raw) {
		return clone(e.v), nil
	}
	v, err := decode(raw)
	if err != nil {
		return v, err
	}
	c.keep(key, raw, clone(v))
	return v, nil
}

// keep remembers v as the decoded form of raw, the bytes of key, if raw is large enough to be
// kept; v is kept as it is, not copied. A writer that has just stored raw keeps the value it
// encoded, so that the next reader does not decode it again. Keeping the value of a write that
// is then rolled back is harmless: an entry is used only for bytes equal to its own.
func (c *decoded[T]) keep(key string, raw []byte, v T) {
	if !c.keeps(raw) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[key]; ok {
		c.held -= len(old.raw)
	}
	if c.entries == nil || len(c.entries) >= maxDecoded || (c.maxBytes > 0 && c.held+len(raw) > c.maxBytes) {
		c.entries, c.held = map[string]decodedEntry[T]{}, 0
	}
	c.held += len(raw)
	c.entries[key] = decodedEntry[T]{raw: bytes.Clone(raw), v: v}
}

// keeps reports whether a record of these bytes is kept once decoded.
func (c *decoded[T]) keeps(raw []byte) bool { return len(raw) >= c.minSize }

// peek returns the kept value of raw, the stored bytes of key, without a copy, for a caller that
// only reads it; ok is false when none is kept for these bytes.
func (c *decoded[T]) peek(key string, raw []byte) (v T, ok bool) {
	c.mu.Lock()
	e, found := c.entries[key]
	c.mu.Unlock()
	if !found || !bytes.Equal(e.raw, raw) {
		return v, false
	}
	return e.v, true
}

// decodedCaches are a store's caches, shared by its transactions. Large groups are kept too:
// a group record holds its members, and a PATCH that adds one member to a group of thousands
// reads the group two or three times (the PATCH's own read, the transaction's, the write's
// comparison with what it replaces).
type decodedCaches struct {
	tokens decoded[directory.Token]
	idps   decoded[directory.IdP]
	orgs   decoded[directory.Organization]
	groups decoded[directory.Group]
}

// Groups are kept from largeGroupBytes (about a hundred members), up to largeGroupsBytes of
// stored bytes (their decoded form takes about as much again): the groups of everyone or of a
// department that IdPs keep filling, and that every view of one of their members names.
const (
	largeGroupBytes  = 4 << 10
	largeGroupsBytes = 32 << 20
)

func cloneToken(t directory.Token) directory.Token {
	t.Hash = bytes.Clone(t.Hash)
	return t
}
