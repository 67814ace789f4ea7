package auth

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/attendify/platform/errs"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

// testKey derives a deterministic key pair from a name.
func testKey(name string) (ed25519.PublicKey, ed25519.PrivateKey) {
	seed := sha256.Sum256([]byte("test key " + name))
	priv := ed25519.NewKeyFromSeed(seed[:])
	return priv.Public().(ed25519.PublicKey), priv
}

// clock is a settable fake clock.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newTestIssuer(kid string, c *clock) *Issuer {
	_, priv := testKey(kid)
	is := NewIssuer(kid, priv)
	is.now = c.Now
	return is
}

func newTestVerifier(c *clock, kids ...string) *Verifier {
	keys := map[string]ed25519.PublicKey{}
	for _, kid := range kids {
		keys[kid], _ = testKey(kid)
	}
	return newVerifier(keys, 64, time.Minute, c.Now)
}

func mustIssue(t *testing.T, is *Issuer, c Claims, ttl time.Duration) string {
	t.Helper()
	tok, err := is.Issue(c, ttl)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	return tok
}

// wantCode fails unless err carries code.
func wantCode(t *testing.T, err error, code errs.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want code %s", code.Name())
	}
	if got := errs.CodeOf(err); got != code {
		t.Fatalf("code = %s (%v), want %s", got.Name(), err, code.Name())
	}
}

func TestIssueVerify(t *testing.T) {
	c := &clock{t0}
	is := newTestIssuer("k1", c)
	tok := mustIssue(t, is, Claims{User: "u1", App: "app7", Role: RoleModerator, ID: "jti-1", Seq: 42}, time.Hour)

	got, err := newTestVerifier(c, "k1").Verify(tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := Claims{
		User: "u1", App: "app7", Role: RoleModerator, ID: "jti-1", Issuer: TokenIssuer,
		IssuedAt: t0, ExpiresAt: t0.Add(time.Hour), KeyID: "k1", Seq: 42,
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}

	// The header names the algorithm and the key.
	hdr, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	var h map[string]any
	if err := json.Unmarshal(hdr, &h); err != nil {
		t.Fatal(err)
	}
	if h["alg"] != "EdDSA" || h["kid"] != "k1" {
		t.Errorf("header = %v, want alg EdDSA and kid k1", h)
	}
}

func TestIssueRefusesIncompleteClaims(t *testing.T) {
	is := newTestIssuer("k1", &clock{t0})
	for _, c := range []Claims{{Role: RoleAttendee}, {User: "u"}} {
		if _, err := is.Issue(c, time.Hour); err == nil {
			t.Errorf("Issue(%+v) succeeded, want an error", c)
		}
	}
	if _, err := is.Issue(Claims{User: "u", Role: RoleAttendee}, 0); err == nil {
		t.Error("Issue with ttl 0 succeeded, want an error")
	}
}

func TestVerifyRejects(t *testing.T) {
	c := &clock{t0}
	is := newTestIssuer("k1", c)
	good := mustIssue(t, is, Claims{User: "u1", App: "app7", Role: RoleAttendee}, time.Hour)
	parts := strings.Split(good, ".")

	// A token whose payload says admin, with the attendee token's signature.
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := strings.Replace(string(payload), `"role":"attendee"`, `"role":"owner"`, 1)
	if forged == string(payload) {
		t.Fatalf("payload %s has no attendee role to tamper with", payload)
	}
	tamperedPayload := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + parts[2]

	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sig[0] ^= 1
	tamperedSig := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)

	// The same signature spelled otherwise: an Ed25519 signature's 64
	// bytes leave the low 4 bits of its last base64 character unused.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, good[len(good)-1])
	respelled := good[:len(good)-1] + string(alphabet[last^1])
	if b, _ := base64.RawURLEncoding.DecodeString(respelled[strings.LastIndexByte(respelled, '.')+1:]); !bytes.Equal(b, signatureOf(t, good)) {
		t.Fatalf("%s does not spell the same signature", respelled)
	}

	claims := jwtClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: TokenIssuer, Subject: "u1",
			IssuedAt: jwt.NewNumericDate(t0), ExpiresAt: jwt.NewNumericDate(t0.Add(time.Hour)),
		},
		App: "app7", Role: RoleOwner,
	}
	algNone := func() string {
		tk := jwt.NewWithClaims(jwt.SigningMethodNone, claims)
		tk.Header["kid"] = "k1"
		s, err := tk.SignedString(jwt.UnsafeAllowNoneSignatureType)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}()
	// HS256 "key confusion": HMAC keyed with the (public) verification key.
	hs256 := func() string {
		pub, _ := testKey("k1")
		tk := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
		tk.Header["kid"] = "k1"
		s, err := tk.SignedString([]byte(pub))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}()
	signedWith := func(kid string, mutate func(*jwtClaims, *jwt.Token)) string {
		_, priv := testKey(kid)
		cl := claims
		tk := jwt.NewWithClaims(jwt.SigningMethodEdDSA, &cl)
		tk.Header["kid"] = kid
		if mutate != nil {
			mutate(&cl, tk)
		}
		s, err := tk.SignedString(priv)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	tests := []struct {
		name  string
		token string
		at    time.Time
		want  errs.Code
	}{
		{"tampered payload", tamperedPayload, t0, errs.CodeTokenInvalid},
		{"tampered signature", tamperedSig, t0, errs.CodeTokenInvalid},
		{"another spelling of the signature", respelled, t0, errs.CodeTokenInvalid},
		{"expired", good, t0.Add(time.Hour + Leeway + time.Second), errs.CodeTokenExpired},
		{"not yet valid (issued in the future)", good, t0.Add(-Leeway - time.Minute), errs.CodeTokenInvalid},
		{"not yet valid (nbf)", signedWith("k1", func(c *jwtClaims, _ *jwt.Token) {
			c.NotBefore = jwt.NewNumericDate(t0.Add(10 * time.Minute))
		}), t0, errs.CodeTokenInvalid},
		{"unknown kid", signedWith("k9", nil), t0, errs.CodeTokenInvalid},
		{"kid of another key", signedWith("k9", func(_ *jwtClaims, tk *jwt.Token) { tk.Header["kid"] = "k1" }), t0, errs.CodeTokenInvalid},
		{"no kid", signedWith("k1", func(_ *jwtClaims, tk *jwt.Token) { delete(tk.Header, "kid") }), t0, errs.CodeTokenInvalid},
		{"alg none", algNone, t0, errs.CodeTokenInvalid},
		{"alg HS256 with the public key", hs256, t0, errs.CodeTokenInvalid},
		{"no exp", signedWith("k1", func(c *jwtClaims, _ *jwt.Token) { c.ExpiresAt = nil }), t0, errs.CodeTokenInvalid},
		{"other issuer", signedWith("k1", func(c *jwtClaims, _ *jwt.Token) { c.Issuer = "evil" }), t0, errs.CodeTokenInvalid},
		{"no subject", signedWith("k1", func(c *jwtClaims, _ *jwt.Token) { c.Subject = "" }), t0, errs.CodeTokenInvalid},
		{"garbage", "not-a-token", t0, errs.CodeTokenInvalid},
		{"empty", "", t0, errs.CodeTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clock{tt.at}
			_, err := newTestVerifier(c, "k1").Verify(tt.token)
			wantCode(t, err, tt.want)
		})
	}
}

func TestVerifyLeeway(t *testing.T) {
	c := &clock{t0}
	tok := mustIssue(t, newTestIssuer("k1", c), Claims{User: "u1", Role: RoleOrganizer}, time.Hour)
	for _, at := range []time.Time{t0.Add(time.Hour + Leeway - time.Second), t0.Add(-Leeway + time.Second)} {
		c.t = at
		if _, err := newTestVerifier(c, "k1").Verify(tok); err != nil {
			t.Errorf("at exp%+v: %v, want accepted within the leeway", at.Sub(t0.Add(time.Hour)), err)
		}
	}
}

func TestVerifyRotation(t *testing.T) {
	c := &clock{t0}
	old := mustIssue(t, newTestIssuer("k1", c), Claims{User: "u1", Role: RoleAttendee, App: "a"}, time.Hour)
	nu := mustIssue(t, newTestIssuer("k2", c), Claims{User: "u2", Role: RoleAttendee, App: "a"}, time.Hour)

	// During rotation both keys are listed: both tokens verify.
	during := newTestVerifier(c, "k2", "k1")
	for _, tok := range []string{old, nu} {
		if _, err := during.Verify(tok); err != nil {
			t.Errorf("during rotation: %v", err)
		}
	}
	// Once the old key is removed, its tokens fail; the new ones still pass.
	after := newTestVerifier(c, "k2")
	_, err := after.Verify(old)
	wantCode(t, err, errs.CodeTokenInvalid)
	if got, err := after.Verify(nu); err != nil || got.KeyID != "k2" {
		t.Errorf("after rotation: %+v, %v; want the k2 token accepted", got, err)
	}
}

func TestVerifyCache(t *testing.T) {
	c := &clock{t0}
	is := newTestIssuer("k1", c)
	tok := mustIssue(t, is, Claims{User: "u1", App: "a", Role: RoleAttendee}, 10*time.Minute)
	v := newTestVerifier(c, "k1")

	first, err := v.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if n := v.cache.len(); n != 1 {
		t.Fatalf("cache holds %d entries after one verify, want 1", n)
	}
	second, err := v.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("cached claims differ (-first +cached):\n%s", diff)
	}

	// A cached token still expires on time.
	c.t = t0.Add(10*time.Minute + Leeway + time.Second)
	_, err = v.Verify(tok)
	wantCode(t, err, errs.CodeTokenExpired)

	// Failures are not cached, and a tampered copy of a cached token is
	// not a cache hit.
	c.t = t0
	if _, err := v.Verify(tok); err != nil {
		t.Fatal(err)
	}
	tampered := tok[:len(tok)-2] + "AA"
	if tampered == tok {
		tampered = tok[:len(tok)-2] + "BB"
	}
	_, err = v.Verify(tampered)
	wantCode(t, err, errs.CodeTokenInvalid)
}

func TestVerifyCacheIsBounded(t *testing.T) {
	c := &clock{t0}
	is := newTestIssuer("k1", c)
	v := newVerifier(map[string]ed25519.PublicKey{"k1": is.key.Public().(ed25519.PublicKey)}, 32, time.Minute, c.Now)
	for i := range 500 {
		tok := mustIssue(t, is, Claims{User: "u", Role: RoleAttendee, ID: string(rune('a'+i%26)) + strings.Repeat("x", i)}, time.Hour)
		if _, err := v.Verify(tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := v.cache.len(); n > 32 {
		t.Errorf("cache holds %d entries, want at most 32", n)
	}
}

func BenchmarkVerify(b *testing.B) {
	c := &clock{time.Now()}
	is := newTestIssuer("k1", c)
	tok, err := is.Issue(Claims{User: "01JQ0000000000000000000000", App: "app-000042", Role: RoleAttendee}, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("cold", func(b *testing.B) {
		v := newVerifier(map[string]ed25519.PublicKey{"k1": is.key.Public().(ed25519.PublicKey)}, 0, 0, nil)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		v := newVerifier(map[string]ed25519.PublicKey{"k1": is.key.Public().(ed25519.PublicKey)}, DefaultCacheSize, time.Minute, nil)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached-parallel", func(b *testing.B) {
		v := newVerifier(map[string]ed25519.PublicKey{"k1": is.key.Public().(ed25519.PublicKey)}, DefaultCacheSize, time.Minute, nil)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := v.Verify(tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkHMACBaseline is the floor to compare BenchmarkVerify with: a
// bare HMAC-SHA256 check over the same token bytes.
func BenchmarkHMACBaseline(b *testing.B) {
	_, priv := testKey("k1")
	tok, err := NewIssuer("k1", priv).Issue(Claims{User: "01JQ0000000000000000000000", App: "app-000042", Role: RoleAttendee}, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	secret := []byte("0123456789abcdef0123456789abcdef")
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(tok))
	want := m.Sum(nil)
	b.ReportAllocs()
	for b.Loop() {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(tok))
		if !hmac.Equal(m.Sum(nil), want) {
			b.Fatal("mismatch")
		}
	}
}

// signatureOf is the signature of token, decoded.
func signatureOf(t *testing.T, token string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(token[strings.LastIndexByte(token, '.')+1:])
	if err != nil {
		t.Fatal(err)
	}
	return b
}
