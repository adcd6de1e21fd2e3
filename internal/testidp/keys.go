package testidp

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"sync"
	"time"
)

// KeyPair is an RSA key with a self-signed certificate.
type KeyPair struct {
	Key  *rsa.PrivateKey
	Cert *x509.Certificate
}

var (
	keysOnce sync.Once
	keys     [3]KeyPair // the providers' key, an attacker's key, the OP's next key
)

func allKeys() [3]KeyPair {
	keysOnce.Do(func() {
		for i, cn := range []string{"test idp", "attacker", "test op, rotated"} {
			keys[i] = newKeyPair(cn)
		}
	})
	return keys
}

// IdPKey is the key the SAML IdP signs with and the OP's first signing key.
func IdPKey() KeyPair { return allKeys()[0] }

// AttackerKey is a key no provider publishes.
func AttackerKey() KeyPair { return allKeys()[1] }

// RotatedKey is the key an OP rolls over to (OP.Rotate).
func RotatedKey() KeyPair { return allKeys()[2] }

func newKeyPair(cn string) KeyPair {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(fmt.Sprintf("testidp: generating a key: %v", err))
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-24 * time.Hour),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(fmt.Sprintf("testidp: creating a certificate: %v", err))
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(fmt.Sprintf("testidp: parsing a certificate: %v", err))
	}
	return KeyPair{Key: key, Cert: cert}
}
