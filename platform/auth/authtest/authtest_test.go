package authtest_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/auth/authtest"
	"github.com/attendify/platform/errs"
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

// aaaaToken is a user token (u1, an organizer, until 2100) whose signature
// ends in "AAAA", signed by the key whose public half is aaaaKey (kid
// "fixture"): found by signing tokens until one did.
const (
	aaaaToken = "eyJhbGciOiJFZERTQSIsImtpZCI6ImZpeHR1cmUiLCJ0eXAiOiJKV1QifQ." +
		"eyJleHAiOjQxMDI0NDQ4MDAsImlhdCI6MTc2NzIyNTYwMCwiaXNzIjoiYXR0ZW5kaWZ5LWh1YiIsImp0aSI6ImZpeHR1cmUtMjA3NDMiLCJyb2xlIjoib3JnYW5pemVyIiwic3ViIjoidTEifQ." +
		"IZnoeicm8L_FGMWW5sk1phKeThJRvAk8Ty9uNBWe2d2nnyhcppvywB8ruwPT-US9BmKpzvTP0WvsfNMwmDAAAA"
	aaaaKey = "ghelCUGwpjuMZkEDF-V_9I4ovySh3KbuAKo3KTixYlo"
)

// TestForgeSpoilsEveryToken: a forged token never verifies, aaaaToken's
// included. platform/rpc's TestBodyLimitsByMethodAndCaller forged its
// token by writing "AAAA" over its end: for a token that ended so already,
// that was the genuine token, served (200) where 413 was expected, once in
// about 65,536 runs.
func TestForgeSpoilsEveryToken(t *testing.T) {
	key, err := base64.RawURLEncoding.DecodeString(aaaaKey)
	if err != nil {
		t.Fatal(err)
	}
	v := auth.NewVerifier(map[string]ed25519.PublicKey{"fixture": key})
	if _, err := v.Verify(aaaaToken); err != nil {
		t.Fatalf("the fixture token: %v", err)
	}
	if _, err := v.Verify(authtest.Forge(aaaaToken)); errs.CodeOf(err) != errs.CodeTokenInvalid {
		t.Errorf("the forged fixture token: %v, want token_invalid", err)
	}
	if a := "h.p.Asig"; authtest.Forge(a) == a {
		t.Errorf("Forge(%q) left it as it was", a)
	}
}
