package jit

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// spKeyPair is Roster's SAML signing and encryption key with its self-signed certificate. One
// pair serves every IdP; IdPs pin it from the SP metadata, so it must not change by itself.
type spKeyPair struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
}

type storedKeyPair struct {
	KeyPEM  string `json:"keyPem"`
	CertPEM string `json:"certPem"`
}

// spKeys returns the SP key pair, generating and storing it on first use. It lives in the
// store so that every replica and every restart signs with the same key; replicas racing to
// create it agree on one (directory.Service.SPKeyPair).
func (h *Handler) spKeys(ctx context.Context) (*spKeyPair, error) {
	h.spKeyMu.Lock()
	defer h.spKeyMu.Unlock()
	if h.spKey != nil {
		return h.spKey, nil
	}
	raw, err := h.svc.SPKeyPair(ctx, func() ([]byte, error) {
		fresh, err := newStoredKeyPair(h.baseURL)
		if err != nil {
			return nil, err
		}
		return json.Marshal(fresh)
	})
	if err != nil {
		return nil, fmt.Errorf("loading the SAML SP key: %w", err)
	}
	kp, err := decodeKeyPair(raw)
	if err != nil {
		return nil, err
	}
	h.spKey = kp
	return kp, nil
}

func newStoredKeyPair(baseURL string) (storedKeyPair, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return storedKeyPair{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return storedKeyPair{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "Roster SAML SP " + baseURL},
		NotBefore:    now.Add(-time.Hour),
		// SAML uses the certificate only as a container for the public key, but some IdPs still
		// check its dates, so it is made to outlast any deployment.
		NotAfter:              now.AddDate(20, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return storedKeyPair{}, err
	}
	return storedKeyPair{
		KeyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})),
		CertPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
	}, nil
}

func decodeKeyPair(raw []byte) (*spKeyPair, error) {
	var s storedKeyPair
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("the stored SAML SP key does not decode: %w", err)
	}
	kb, _ := pem.Decode([]byte(s.KeyPEM))
	cb, _ := pem.Decode([]byte(s.CertPEM))
	if kb == nil || cb == nil {
		return nil, errors.New("the stored SAML SP key is not PEM")
	}
	key, err := x509.ParsePKCS1PrivateKey(kb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("the stored SAML SP key does not parse: %w", err)
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("the stored SAML SP certificate does not parse: %w", err)
	}
	return &spKeyPair{key: key, cert: cert}, nil
}
