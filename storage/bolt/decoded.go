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
	// minSize and limit, when set, keep only records of at least minSize bytes, at most limit
	// of them (else maxDecoded).
	minSize, limit int
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
	if err != nil || len(raw) < c.minSize {
		return v, err
	}
	limit := maxDecoded
	if c.limit > 0 {
		limit = c.limit
	}
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= limit {
		c.entries = map[string]decodedEntry[T]{}
	}
	c.entries[key] = decodedEntry[T]{raw: bytes.Clone(raw), v: clone(v)}
	c.mu.Unlock()
	return v, nil
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

// Groups are kept from largeGroupBytes (about a hundred members), at most maxLargeGroups of
// them: the few groups of everyone that IdPs keep filling.
const (
	largeGroupBytes = 4 << 10
	maxLargeGroups  = 16
)

func cloneToken(t directory.Token) directory.Token {
	t.Hash = bytes.Clone(t.Hash)
	return t
}
