package auth

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestConfigDefaultsAreDev(t *testing.T) {
	for _, k := range []string{"AUTH_TOKEN_PUBLIC_KEYS", "AUTH_TOKEN_SIGNING_KEY", "AUTH_SERVICE_KEYS"} {
		t.Setenv(k, "")
	}
	t.Setenv("SERVICE_NAME", "hub")
	cfg, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Dev() {
		t.Error("Dev() = false with the built-in keys")
	}
	// The development pair works end to end.
	is, err := cfg.Issuer()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := is.Issue(Claims{User: "u1", App: "a1", Role: RoleOwner}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Verifier().Verify(tok); err != nil {
		t.Errorf("dev token does not verify with the dev config: %v", err)
	}
	signer, err := cfg.Signer()
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/rpc", bytes.NewReader(testBody))
	signer.Sign(r, testBody)
	if _, err := cfg.ServiceVerifier(NewMemoryNonces()).Verify(t.Context(), r, testBody); err != nil {
		t.Errorf("dev service call does not verify with the dev config: %v", err)
	}
}

func TestConfigGeneratedKeys(t *testing.T) {
	k, err := GenerateKeys("k2026")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AUTH_TOKEN_PUBLIC_KEYS", k.TokenPublicKeys+",old:"+devPublicKeyOther(t))
	t.Setenv("AUTH_TOKEN_SIGNING_KEY", k.TokenSigningKey)
	t.Setenv("AUTH_SERVICE_KEYS", k.ServiceKeys)
	t.Setenv("SERVICE_NAME", "social")
	cfg, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Dev() {
		t.Error("Dev() = true with generated keys")
	}
	if got := len(cfg.TokenPublicKeys); got != 2 {
		t.Errorf("%d public keys, want 2", got)
	}
	is, err := cfg.Issuer()
	if err != nil {
		t.Fatal(err)
	}
	if is.KeyID() != "k2026" {
		t.Errorf("issuer kid = %q, want k2026", is.KeyID())
	}
	tok, _ := is.Issue(Claims{User: "u1", Role: RoleOrganizer}, time.Hour)
	if c, err := cfg.Verifier().Verify(tok); err != nil || c.KeyID != "k2026" {
		t.Errorf("Verify = %+v, %v", c, err)
	}

	// Secrets never show in the config's printed form.
	printed := fmt.Sprintf("%v %v %s", cfg.TokenSigningKey, cfg.ServiceKeys, cfg.TokenSigningKey)
	for _, secret := range []string{k.TokenSigningKey, k.ServiceKeys} {
		_, value, _ := strings.Cut(secret, ":")
		if strings.Contains(printed, value) {
			t.Errorf("printed config %q shows a secret", printed)
		}
	}
}

func devPublicKeyOther(t *testing.T) string {
	t.Helper()
	k, err := GenerateKeys("x")
	if err != nil {
		t.Fatal(err)
	}
	_, v, _ := strings.Cut(k.TokenPublicKeys, ":")
	return v
}

func TestConfigNoSigningKeyOutsideDev(t *testing.T) {
	k, _ := GenerateKeys("k1")
	t.Setenv("AUTH_TOKEN_PUBLIC_KEYS", k.TokenPublicKeys)
	t.Setenv("AUTH_TOKEN_SIGNING_KEY", "")
	cfg, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Issuer(); err == nil {
		t.Error("Issuer() without a signing key and without dev keys succeeded")
	}
}

func TestConfigRejectsBadKeys(t *testing.T) {
	tests := []struct{ name, env, value string }{
		{"public key without kid", "AUTH_TOKEN_PUBLIC_KEYS", "ZGyzuhujMDLsixIhlTBYYpdGnoEcAWTeERUAXRRGH9c"},
		{"public key too short", "AUTH_TOKEN_PUBLIC_KEYS", "k1:AAAA"},
		{"public key not base64", "AUTH_TOKEN_PUBLIC_KEYS", "k1:!!!!"},
		{"duplicate kid", "AUTH_TOKEN_PUBLIC_KEYS", "k1:ZGyzuhujMDLsixIhlTBYYpdGnoEcAWTeERUAXRRGH9c,k1:ZGyzuhujMDLsixIhlTBYYpdGnoEcAWTeERUAXRRGH9c"},
		{"two signing keys", "AUTH_TOKEN_SIGNING_KEY", "a:WuXEc_ODqO_eU7t5a_m2sL1sRTb_d0OJFwdKwOKjK3Q,b:WuXEc_ODqO_eU7t5a_m2sL1sRTb_d0OJFwdKwOKjK3Q"},
		{"service secret too short", "AUTH_SERVICE_KEYS", "s1:c2hvcnQ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(tt.env, tt.value)
			if _, err := LoadConfig(); err == nil {
				t.Errorf("%s=%s accepted", tt.env, tt.value)
			}
		})
	}
}

func TestConfigServiceKeyOrder(t *testing.T) {
	t.Setenv("AUTH_SERVICE_KEYS", "new:bmV3LXNlY3JldC0xMjM0NTY3ODkw, old:b2xkLXNlY3JldC0xMjM0NTY3ODkw")
	t.Setenv("SERVICE_NAME", "importer")
	cfg, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	s, err := cfg.Signer()
	if err != nil {
		t.Fatal(err)
	}
	if s.KeyID != "new" || string(s.Secret) != "new-secret-1234567890" {
		t.Errorf("signer = %s / %q, want the first key", s.KeyID, s.Secret)
	}
	if got := len(cfg.ServiceVerifier(nil).Keys); got != 2 {
		t.Errorf("verifier has %d keys, want both", got)
	}
}
