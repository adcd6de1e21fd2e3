package bolt

import (
	"encoding/json"
	"errors"

	"github.com/rosterhq/roster/directory"
)

// Records written before organizations have no org; they are DefaultOrg's, and so is a
// record put without one.

func (t *txn) Tombstone(id directory.Identity) (directory.Tombstone, error) {
	var ts directory.Tombstone
	if err := t.get(bTombstones, key(id.IdP, id.UniqueUserID), &ts); err != nil {
		return directory.Tombstone{}, err
	}
	ts.Org = directory.OrgOrDefault(ts.Org)
	return ts, nil
}

func (t *txn) Tombstones(idp string) ([]directory.Tombstone, error) {
	out := []directory.Tombstone{}
	var p []byte
	if idp != "" {
		p = prefix(idp)
	}
	err := t.scanPrefix(bTombstones, p, nil, func(_, v []byte) error {
		var ts directory.Tombstone
		if err := json.Unmarshal(v, &ts); err != nil {
			return err
		}
		ts.Org = directory.OrgOrDefault(ts.Org)
		out = append(out, ts)
		return nil
	})
	return out, err
}

func (t *txn) PutTombstone(ts directory.Tombstone) error {
	ts.DeletedAt = ts.DeletedAt.UTC()
	ts.Org = directory.OrgOrDefault(ts.Org)
	return t.put(bTombstones, key(ts.IdP, ts.UniqueUserID), ts)
}

func (t *txn) DeleteTombstone(id directory.Identity) error {
	return t.tx.Bucket(bTombstones).Delete(key(id.IdP, id.UniqueUserID))
}

func decodeIdP(raw []byte) (directory.IdP, error) {
	var p directory.IdP
	if err := json.Unmarshal(raw, &p); err != nil {
		return directory.IdP{}, err
	}
	p.Org = directory.OrgOrDefault(p.Org)
	return p, nil
}

func (t *txn) IdP(id string) (directory.IdP, error) {
	raw := t.tx.Bucket(bIdPs).Get([]byte(id))
	if raw == nil {
		return directory.IdP{}, directory.ErrNotFound
	}
	if t.cache == nil {
		return decodeIdP(raw)
	}
	return t.cache.idps.get(id, raw, decodeIdP, directory.IdP.Clone)
}

func (t *txn) IdPs() ([]directory.IdP, error) {
	out := []directory.IdP{}
	err := t.tx.Bucket(bIdPs).ForEach(func(_, v []byte) error {
		p, err := decodeIdP(v)
		if err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

func (t *txn) PutIdP(p directory.IdP) error {
	if p.ID == "" {
		return directory.Invalidf("an IdP needs an id")
	}
	p.Created, p.Updated = p.Created.UTC(), p.Updated.UTC()
	p.Org = directory.OrgOrDefault(p.Org)
	return t.put(bIdPs, []byte(p.ID), p)
}

func (t *txn) DeleteIdP(id string) error { return t.tx.Bucket(bIdPs).Delete([]byte(id)) }

func decodeToken(raw []byte) (directory.Token, error) {
	var tok directory.Token
	if err := json.Unmarshal(raw, &tok); err != nil {
		return directory.Token{}, err
	}
	return directory.UpgradeStoredToken(tok), nil
}

// Token reads a token through the store's cache of decoded records: every request with a
// bearer token reads one, and a revocation changes the stored bytes, so the next read decodes
// the revoked token.
func (t *txn) Token(id string) (directory.Token, error) {
	raw := t.tx.Bucket(bTokens).Get([]byte(id))
	if raw == nil {
		return directory.Token{}, directory.ErrNotFound
	}
	if t.cache == nil {
		return decodeToken(raw)
	}
	return t.cache.tokens.get(id, raw, decodeToken, cloneToken)
}

func (t *txn) TokenByHash(hash []byte) (directory.Token, error) {
	id := t.tx.Bucket(bTokenByHash).Get(hash)
	if id == nil {
		return directory.Token{}, directory.ErrNotFound
	}
	return t.Token(string(id))
}

func (t *txn) Tokens(kind directory.TokenKind, idp string) ([]directory.Token, error) {
	out := []directory.Token{}
	err := t.tx.Bucket(bTokens).ForEach(func(_, v []byte) error {
		var tok directory.Token
		if err := json.Unmarshal(v, &tok); err != nil {
			return err
		}
		tok = directory.UpgradeStoredToken(tok)
		if tok.Kind == kind && (idp == "" || tok.IdP == idp) {
			out = append(out, tok)
		}
		return nil
	})
	return out, err
}

func (t *txn) PutToken(tok directory.Token) error {
	if tok.ID == "" || len(tok.Hash) == 0 {
		return directory.Invalidf("a token needs an id and a hash")
	}
	b := t.tx.Bucket
	if id := b(bTokenByHash).Get(tok.Hash); id != nil && string(id) != tok.ID {
		return &directory.ConflictError{Field: "token", Value: tok.ID}
	}
	tok.Created, tok.ExpiresAt = tok.Created.UTC(), tok.ExpiresAt.UTC()
	tok.RevokedAt, tok.LastUsedAt = tok.RevokedAt.UTC(), tok.LastUsedAt.UTC()
	tok = directory.UpgradeStoredToken(tok)
	if err := t.put(bTokens, []byte(tok.ID), tok); err != nil {
		return err
	}
	return b(bTokenByHash).Put(tok.Hash, []byte(tok.ID))
}

func (t *txn) DeleteToken(id string) error {
	tok, err := t.Token(id)
	if errors.Is(err, directory.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if err := t.tx.Bucket(bTokenByHash).Delete(tok.Hash); err != nil {
		return err
	}
	return t.tx.Bucket(bTokens).Delete([]byte(id))
}
