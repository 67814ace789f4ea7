package auth

import (
	"crypto/ed25519"
	"time"
)

// Test hooks for the external tests (package auth_test): a verifier and an
// issuer on a clock of the test's.

func NewVerifierAt(keys map[string]ed25519.PublicKey, now func() time.Time) *Verifier {
	return newVerifier(keys, 0, 0, now)
}

func SetIssuerClock(is *Issuer, now func() time.Time) { is.now = now }
