// Package authtest gives tests the credentials the services under test
// accept, from the same environment they read (AUTH_*; the development
// keys when it is unset).
package authtest

import (
	"strings"
	"testing"

	"github.com/attendify/platform/auth"
)

// Signer signs service calls as service with the environment's first
// service key.
func Signer(t testing.TB, service string) auth.Signer {
	t.Helper()
	cfg, err := auth.LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.ServiceName = service
	signer, err := cfg.Signer()
	if err != nil {
		t.Fatalf("authtest: a signer for %s: %v", service, err)
	}
	return signer
}

// Forge returns token with the first character of its signature changed:
// a token that looks like one and cannot verify. Changing its last
// characters is not enough: an Ed25519 signature's last byte is at most
// 0x10 (its scalar is below the group order, about 2^252), so its last
// four base64url characters carry 16 random bits: one token in about
// 65,536 ends in "AAAA", and writing "AAAA" over its end leaves it as it
// was.
func Forge(token string) string {
	i := strings.LastIndexByte(token, '.') + 1
	c := byte('A')
	if i < len(token) && token[i] == 'A' {
		c = 'B'
	}
	return token[:i] + string(c) + token[min(i+1, len(token)):]
}
