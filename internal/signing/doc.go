// Package signing holds the cryptography of authd's access-token keys: generating them, their public JWK
// and RFC 7638 thumbprint, and sealing private keys for storage (AES-256-GCM under a key derived with HKDF
// from AUTHD_SECRET_KEY). It knows nothing of where keys live or when they rotate; the auth package does.
package signing
