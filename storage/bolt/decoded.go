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
	// minSize and maxBytes, when set, keep only records that weigh at least minSize, and start
	// over before the kept weight passes maxBytes. A record weighs its stored bytes, or what
	// weight says.
	minSize, maxBytes, held int
	weight                  func(raw []byte, v T) int
}

func (c *decoded[T]) weigh(raw []byte, v T) int {
	if c.weight != nil {
		return c.weight(raw, v)
	}
	return len(raw)
}

type decodedEntry[T any] struct {
	raw    []byte
	v      T
	weight int
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
	w := c.weigh(raw, v)
	if w < c.minSize {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[key]; ok {
		c.held -= old.weight
	}
	if c.entries == nil || len(c.entries) >= maxDecoded || (c.maxBytes > 0 && c.held+w > c.maxBytes) {
		c.entries, c.held = map[string]decodedEntry[T]{}, 0
	}
	c.held += w
	c.entries[key] = decodedEntry[T]{raw: bytes.Clone(raw), v: v, weight: w}
}

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

// decodedCaches are a store's caches, shared by its transactions. Large groups are kept too,
// with their members: a PATCH that adds one member to a group of thousands reads the group two
// or three times (the PATCH's own read, the transaction's, the write's comparison with what it
// replaces), and a sign-in joining it reads it again.
type decodedCaches struct {
	tokens decoded[directory.Token]
	idps   decoded[directory.IdP]
	orgs   decoded[directory.Organization]
	groups decoded[directory.Group]
}

// Groups are kept from largeGroupBytes (about a hundred members), up to largeGroupsBytes of
// members' ids (their decoded form takes about as much again): the groups of everyone or of a
// department that IdPs keep filling, and that every view of one of their members names.
const (
	largeGroupBytes  = 4 << 10
	largeGroupsBytes = 32 << 20
)

// groupWeight is a group's record and the bytes of its members' ids, which a record written
// since data format 3 does not hold.
func groupWeight(raw []byte, g directory.Group) int {
	w := len(raw)
	for _, m := range g.Members {
		w += len(m) + 4
	}
	return w
}

func cloneToken(t directory.Token) directory.Token {
	t.Hash = bytes.Clone(t.Hash)
	return t
}
