package signing

import (
	"bytes"
	"crypto/x509"
	"errors"
	"testing"
)

// The example of RFC 7638 section 3.1.
func TestThumbprintRFC7638(t *testing.T) {
	j := JWK{Kty: "RSA", E: "AQAB", N: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}
	got, err := Thumbprint(j)
	if err != nil || got != "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" {
		t.Fatalf("Thumbprint = %q, %v", got, err)
	}
}

func TestEveryAlgGeneratesAPublishableKey(t *testing.T) {
	for _, alg := range []Alg{ES256, EdDSA, RS256} {
		priv, err := Generate(alg)
		if err != nil {
			t.Fatal(err)
		}
		j, err := PublicJWK(alg, priv.Public())
		if err != nil {
			t.Fatal(err)
		}
		if j.Use != "sig" || j.Alg != alg || j.Kty == "" {
			t.Errorf("%s: %+v", alg, j)
		}
		if _, err := Thumbprint(j); err != nil {
			t.Errorf("%s: %v", alg, err)
		}
	}
}

func TestSealing(t *testing.T) {
	sealer, err := NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := Generate(ES256)
	sealed, err := sealer.Seal("kid-1", priv)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	if bytes.Contains(sealed, der[len(der)-32:]) {
		t.Fatal("the sealed key contains the private key in clear")
	}
	opened, err := sealer.Open("kid-1", sealed)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := x509.MarshalPKCS8PrivateKey(opened); !bytes.Equal(got, der) {
		t.Fatal("opened key differs")
	}
	other, _ := NewSealer([]byte("another secret, 32 bytes or more!!"))
	if _, err := other.Open("kid-1", sealed); !errors.Is(err, ErrWrongSecret) {
		t.Errorf("wrong secret: %v", err)
	}
	if _, err := sealer.Open("kid-2", sealed); !errors.Is(err, ErrWrongSecret) {
		t.Errorf("moved to another kid: %v", err)
	}
	if _, err := NewSealer([]byte("short")); err == nil {
		t.Error("a short secret was accepted")
	}
}
