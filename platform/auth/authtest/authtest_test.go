package authtest_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/auth/authtest"
)

// TestSignerIsAccepted: a request the signer signed passes the verifier the
// services build from the same environment.
func TestSignerIsAccepted(t *testing.T) {
	signer := authtest.Signer(t, "tester")
	if signer.Service != "tester" {
		t.Fatalf("signs as %q", signer.Service)
	}
	cfg, err := auth.LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	body := `{"jsonrpc":"2.0","method":"x","id":1}`
	req := httptest.NewRequest(http.MethodPost, "/rpc", strings.NewReader(body))
	signer.Sign(req, []byte(body))
	c, err := cfg.ServiceVerifier(auth.NewMemoryNonces()).Verify(t.Context(), req, []byte(body))
	if err != nil || c.Service != "tester" {
		t.Fatalf("the services' verifier: %+v, %v", c, err)
	}
}
