// Package authtest gives tests the credentials the services under test
// accept, from the same environment they read (AUTH_*; the development
// keys when it is unset).
package authtest

import (
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
