package signing

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
)

// MinSecretLen is the shortest AUTHD_SECRET_KEY accepted, in bytes.
const MinSecretLen = 32

// hkdfInfo binds the derived key to this one use, so that the same secret can serve other purposes later
// without reusing a key.
const hkdfInfo = "authd signing keys v1"

// ErrWrongSecret means a sealed key does not open with this secret: it was sealed under another one, or it
// was altered.
var ErrWrongSecret = errors.New("the sealed key does not open with this AUTHD_SECRET_KEY")

// Sealer encrypts private keys for storage with AES-256-GCM under a key derived from a secret with HKDF.
type Sealer struct{ aead cipher.AEAD }

// NewSealer derives the sealing key from secret.
func NewSealer(secret []byte) (*Sealer, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("the secret must be at least %d bytes", MinSecretLen)
	}
	key, err := hkdf.Key(sha256.New, secret, nil, hkdfInfo, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts priv (PKCS #8) with kid as additional data, so that a sealed key cannot be moved to
// another row. The result is nonce || ciphertext.
func (s *Sealer) Seal(kid string, priv crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(der)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return s.aead.Seal(nonce, nonce, der, []byte(kid)), nil
}

// Open decrypts a key sealed for kid.
func (s *Sealer) Open(kid string, sealed []byte) (crypto.Signer, error) {
	if len(sealed) < s.aead.NonceSize() {
		return nil, ErrWrongSecret
	}
	der, err := s.aead.Open(nil, sealed[:s.aead.NonceSize()], sealed[s.aead.NonceSize():], []byte(kid))
	if err != nil {
		return nil, ErrWrongSecret
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse sealed key %s: %w", kid, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("sealed key %s is not a signing key", kid)
	}
	return signer, nil
}
