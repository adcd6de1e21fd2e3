package directory

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// One-time keys are what the sign-in edges remember between two requests and may use only
// once: the id of a SAML AuthnRequest Roster issued, the id of each SAML assertion it accepted
// (the replay cache) and the state of an OIDC login it started. They live in the store, never
// in one replica's memory, so that any replica can answer what another started and no replica
// accepts what another already used.
//
// The edges reach them only through these typed operations, never through a transaction of
// their own: UseOnce records or consumes keys, PeekOnce reads one, and Login consumes the keys
// of a sign-in in the same transaction as the sign-in itself.

// OnceKind is a family of one-time keys. Its value is the KV namespace the keys are stored
// under, which existing stores hold, so it never changes.
type OnceKind string

const (
	// OnceSAMLRequest keys an AuthnRequest Roster issued by its id; the value is what the ACS
	// needs to finish the sign-in.
	OnceSAMLRequest OnceKind = "jit.saml.request"
	// OnceSAMLAssertion is the replay cache: "<idp>/<assertion id>" of each assertion accepted,
	// until the assertion expires.
	OnceSAMLAssertion OnceKind = "jit.saml.replay"
	// OnceOIDCState keys a started OIDC login by its state parameter; the value holds its nonce,
	// PKCE verifier, browser binding and return path.
	OnceOIDCState OnceKind = "jit.oidc.state"
)

// OnceUse is one use of a one-time key: taking a key that must be there, or putting one that
// must not be. Build it with TakeOnce or PutOnce.
type OnceUse struct {
	Kind OnceKind
	Key  string
	// Take says the key must be there, unexpired, and is deleted. Otherwise no unexpired entry
	// may have the key, and it is recorded with Value until Expires.
	Take    bool
	Value   []byte
	Expires time.Time
}

// TakeOnce consumes a key recorded earlier. It fails with ErrUsed if the key was taken
// already, has expired or was never recorded.
func TakeOnce(kind OnceKind, key string) OnceUse {
	return OnceUse{Kind: kind, Key: key, Take: true}
}

// PutOnce records a key with its value until expires. It fails with ErrUsed if an unexpired
// entry has the key, which for the replay cache means the assertion was used before.
func PutOnce(kind OnceKind, key string, value []byte, expires time.Time) OnceUse {
	return OnceUse{Kind: kind, Key: key, Value: value, Expires: expires}
}

// onceError says which one-time key could not be used; it matches ErrUsed.
type onceError struct{ use OnceUse }

func (e *onceError) Error() string {
	if e.use.Take {
		return fmt.Sprintf("%s %q was already used, has expired or was never issued", e.use.Kind, e.use.Key)
	}
	return fmt.Sprintf("%s %q has already been used", e.use.Kind, e.use.Key)
}

func (e *onceError) Is(target error) bool { return target == ErrUsed }

// applyOnce carries out uses inside tx, in order; the first that fails ends the transaction.
func applyOnce(tx Tx, now time.Time, uses []OnceUse) error {
	for _, u := range uses {
		if u.Key == "" {
			return Invalidf("a one-time key of %s is empty", u.Kind)
		}
		ns := string(u.Kind)
		if u.Take {
			if _, err := tx.KV(ns, u.Key, now); errors.Is(err, ErrNotFound) {
				return &onceError{use: u}
			} else if err != nil {
				return err
			}
			if err := tx.DeleteKV(ns, u.Key); err != nil {
				return err
			}
			continue
		}
		// A key that never expires would never leave the store.
		if !u.Expires.After(now) {
			return Invalidf("the one-time key %s %q must expire after now (%s), not at %s", u.Kind, u.Key, now, u.Expires)
		}
		value := u.Value
		if value == nil {
			value = []byte{}
		}
		if err := tx.InsertKV(ns, u.Key, value, u.Expires, now); errors.Is(err, ErrConflict) {
			return &onceError{use: u}
		} else if err != nil {
			return err
		}
	}
	return nil
}

// UseOnce carries out uses in one transaction: all of them, or none when one fails (ErrUsed
// for a key that cannot be used).
func (s *Service) UseOnce(ctx context.Context, uses ...OnceUse) error {
	return s.store.Update(ctx, func(tx Tx) error { return applyOnce(tx, s.Now(), uses) })
}

// PeekOnce returns the value of an unexpired one-time key without using it; ErrNotFound if
// there is none. What it returns is only a hint until a TakeOnce of the key succeeds.
func (s *Service) PeekOnce(ctx context.Context, kind OnceKind, key string) ([]byte, error) {
	var v []byte
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		v, err = tx.KV(string(kind), key, s.Now())
		return err
	})
	return v, err
}

// Where the SAML service provider's key pair is kept; existing stores hold it there.
const (
	nsSAML       = "jit.saml"
	keySPKeyPair = "sp-keypair"
)

// SPKeyPair returns Roster's SAML service provider key pair as generate encoded it the first
// time any replica asked. IdPs pin it from the SP metadata, so once stored it never changes by
// itself. Replicas racing to create it agree: the loser's pair is dropped and it gets the
// winner's. generate runs outside any transaction, since making an RSA key is slow.
func (s *Service) SPKeyPair(ctx context.Context, generate func() ([]byte, error)) ([]byte, error) {
	read := func() ([]byte, error) {
		var raw []byte
		err := s.store.View(ctx, func(tx ReadTx) error {
			var err error
			raw, err = tx.KV(nsSAML, keySPKeyPair, s.Now())
			return err
		})
		return raw, err
	}
	raw, err := read()
	if !errors.Is(err, ErrNotFound) {
		return raw, err
	}
	fresh, err := generate()
	if err != nil {
		return nil, err
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		return tx.InsertKV(nsSAML, keySPKeyPair, fresh, time.Time{}, s.Now())
	})
	switch {
	case err == nil:
		return fresh, nil
	case errors.Is(err, ErrConflict):
		return read()
	}
	return nil, err
}
