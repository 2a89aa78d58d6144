package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"

	"github.com/golang-jwt/jwt/v5"
)

// Alg is a JWS algorithm authd signs access tokens with.
type Alg string

// The algorithms authd supports. HS256 shares a secret with resource servers and publishes no keys.
const (
	ES256 Alg = "ES256"
	EdDSA Alg = "EdDSA"
	RS256 Alg = "RS256"
	HS256 Alg = "HS256"
)

// RSABits is the size of generated RSA keys; RFC 7518 section 3.3 requires at least 2048.
const RSABits = 2048

// ParseAlg accepts the names of AUTHD_JWT_ALG.
func ParseAlg(s string) (Alg, error) {
	switch a := Alg(s); a {
	case ES256, EdDSA, RS256, HS256:
		return a, nil
	}
	return "", fmt.Errorf("%q is not ES256, EdDSA, RS256 or HS256", s)
}

// Asymmetric reports whether tokens signed with a can be verified with a published public key.
func (a Alg) Asymmetric() bool { return a != HS256 }

// Method is the golang-jwt signing method of a.
func (a Alg) Method() jwt.SigningMethod {
	switch a {
	case ES256:
		return jwt.SigningMethodES256
	case EdDSA:
		return jwt.SigningMethodEdDSA
	case RS256:
		return jwt.SigningMethodRS256
	}
	return jwt.SigningMethodHS256
}

// Generate makes a new private key for an asymmetric alg.
func Generate(a Alg) (crypto.Signer, error) {
	switch a {
	case ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case EdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	case RS256:
		return rsa.GenerateKey(rand.Reader, RSABits)
	}
	return nil, fmt.Errorf("no key pair for %s", a)
}

// JWK is a public key as RFC 7517 publishes it. It never has private members.
type JWK struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg Alg    `json:"alg"`
	Kid string `json:"kid"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
}

var b64 = base64.RawURLEncoding

// PublicJWK returns the public JWK of pub, without kid (see Thumbprint).
func PublicJWK(a Alg, pub crypto.PublicKey) (JWK, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return JWK{}, errors.New("only P-256 EC keys are supported")
		}
		ecdh, err := k.ECDH()
		if err != nil {
			return JWK{}, err
		}
		raw := ecdh.Bytes() // 0x04 || X || Y, each 32 bytes
		return JWK{Kty: "EC", Use: "sig", Alg: a, Crv: "P-256", X: b64.EncodeToString(raw[1:33]), Y: b64.EncodeToString(raw[33:])}, nil
	case ed25519.PublicKey:
		return JWK{Kty: "OKP", Use: "sig", Alg: a, Crv: "Ed25519", X: b64.EncodeToString(k)}, nil
	case *rsa.PublicKey:
		return JWK{Kty: "RSA", Use: "sig", Alg: a, N: b64.EncodeToString(k.N.Bytes()),
			E: b64.EncodeToString(big.NewInt(int64(k.E)).Bytes())}, nil
	}
	return JWK{}, fmt.Errorf("unsupported public key %T", pub)
}

// Thumbprint is the RFC 7638 SHA-256 thumbprint of a JWK: the hash of its required members in
// lexicographic order, base64url-encoded. authd uses it as the key's kid.
func Thumbprint(j JWK) (string, error) {
	var members any
	switch j.Kty {
	case "EC":
		members = struct {
			Crv string `json:"crv"`
			Kty string `json:"kty"`
			X   string `json:"x"`
			Y   string `json:"y"`
		}{j.Crv, j.Kty, j.X, j.Y}
	case "OKP":
		members = struct {
			Crv string `json:"crv"`
			Kty string `json:"kty"`
			X   string `json:"x"`
		}{j.Crv, j.Kty, j.X}
	case "RSA":
		members = struct {
			E   string `json:"e"`
			Kty string `json:"kty"`
			N   string `json:"n"`
		}{j.E, j.Kty, j.N}
	default:
		return "", fmt.Errorf("no thumbprint for kty %q", j.Kty)
	}
	canonical, err := json.Marshal(members)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(canonical)
	return b64.EncodeToString(sum[:]), nil
}
