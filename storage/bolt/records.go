package bolt

import (
	"encoding/json"
	"errors"

	"github.com/rosterhq/roster/directory"
)

func (t *txn) Tombstone(id directory.Identity) (directory.Tombstone, error) {
	var ts directory.Tombstone
	err := t.get(bTombstones, key(id.IdP, id.UniqueUserID), &ts)
	return ts, err
}

func (t *txn) Tombstones(idp string) ([]directory.Tombstone, error) {
	out := []directory.Tombstone{}
	var prefix []byte
	if idp != "" {
		prefix = append([]byte(idp), 0)
	}
	err := t.scanPrefix(bTombstones, prefix, nil, func(_, v []byte) error {
		var ts directory.Tombstone
		if err := json.Unmarshal(v, &ts); err != nil {
			return err
		}
		out = append(out, ts)
		return nil
	})
	return out, err
}

func (t *txn) PutTombstone(ts directory.Tombstone) error {
	ts.DeletedAt = ts.DeletedAt.UTC()
	return t.put(bTombstones, key(ts.IdP, ts.UniqueUserID), ts)
}

func (t *txn) DeleteTombstone(id directory.Identity) error {
	return t.tx.Bucket(bTombstones).Delete(key(id.IdP, id.UniqueUserID))
}

func (t *txn) IdP(id string) (directory.IdP, error) {
	var p directory.IdP
	err := t.get(bIdPs, []byte(id), &p)
	return p, err
}

func (t *txn) IdPs() ([]directory.IdP, error) {
	out := []directory.IdP{}
	err := t.tx.Bucket(bIdPs).ForEach(func(_, v []byte) error {
		var p directory.IdP
		if err := json.Unmarshal(v, &p); err != nil {
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
	return t.put(bIdPs, []byte(p.ID), p)
}

func (t *txn) DeleteIdP(id string) error { return t.tx.Bucket(bIdPs).Delete([]byte(id)) }

func (t *txn) Token(id string) (directory.Token, error) {
	var tok directory.Token
	err := t.get(bTokens, []byte(id), &tok)
	return tok, err
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
