package auth

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// The development keys: fixed, public (they are in this file), so that a
// fresh checkout runs without setup. Config.Dev reports when they are
// accepted; the runner logs a loud warning then. Generate real keys with
// `go run ./auth/cmd/authkeys`.
const (
	devSigningSeed   = "WuXEc_ODqO_eU7t5a_m2sL1sRTb_d0OJFwdKwOKjK3Q"
	devPublicKey     = "ZGyzuhujMDLsixIhlTBYYpdGnoEcAWTeERUAXRRGH9c"
	devServiceSecret = "Zb_s9Z8n3EUDbngbPU7P5MzNvwdu-wJkHaTfvoNlXCI"
)

// Config is the auth configuration from the environment.
type Config struct {
	// TokenPublicKeys are the keys user tokens may be signed with:
	// "kid:base64url-public-key,kid2:...". List the old key next to the new
	// one while rotating.
	TokenPublicKeys PublicKeys `env:"AUTH_TOKEN_PUBLIC_KEYS" envDefault:"dev:ZGyzuhujMDLsixIhlTBYYpdGnoEcAWTeERUAXRRGH9c"`
	// TokenSigningKey is hub's private key, "kid:base64url-seed"; other
	// services leave it unset. Unset while the development public key is
	// accepted, Issuer signs with the development key.
	TokenSigningKey SigningKey `env:"AUTH_TOKEN_SIGNING_KEY"`
	// ServiceKeys are the shared HMAC secrets for service calls,
	// "kid:base64-secret,..."; the first one signs, all of them verify.
	ServiceKeys ServiceKeys `env:"AUTH_SERVICE_KEYS" envDefault:"dev:Zb_s9Z8n3EUDbngbPU7P5MzNvwdu-wJkHaTfvoNlXCI"`
	// ServiceName is this service's name, sent as X-Service.
	ServiceName string `env:"SERVICE_NAME"`
	// TokenCacheSize bounds the cache of verified tokens (0 disables it).
	TokenCacheSize int `env:"AUTH_TOKEN_CACHE_SIZE" envDefault:"16384"`
	// TokenCacheTTL is the longest a verified token is remembered.
	TokenCacheTTL time.Duration `env:"AUTH_TOKEN_CACHE_TTL" envDefault:"1m"`
	// TrustedProxies are the load balancers and proxies in front of the
	// service whose X-Forwarded-For gives the client's address
	// ("10.0.0.0/8,192.0.2.7"); empty: the connection's peer is the client.
	TrustedProxies Prefixes `env:"AUTH_TRUSTED_PROXIES"`
}

// LoadConfig reads Config from the environment.
func LoadConfig() (Config, error) {
	var c Config
	if err := env.Parse(&c); err != nil {
		return Config{}, fmt.Errorf("auth config: %w", err)
	}
	return c, nil
}

// Dev reports whether the built-in development keys are accepted or used:
// fine on a laptop, a hole anywhere else.
func (c Config) Dev() bool {
	if pub, err := decodeKey(devPublicKey); err == nil {
		for _, k := range c.TokenPublicKeys {
			if bytes.Equal(k, pub) {
				return true
			}
		}
	}
	if seed, err := decodeKey(devSigningSeed); err == nil && c.TokenSigningKey.Key != nil &&
		bytes.Equal(c.TokenSigningKey.Key.Seed(), seed) {
		return true
	}
	if secret, err := decodeKey(devServiceSecret); err == nil {
		for _, k := range c.ServiceKeys {
			if bytes.Equal(k.Secret, secret) {
				return true
			}
		}
	}
	return false
}

// Verifier returns a token verifier for the configured public keys.
func (c Config) Verifier() *Verifier {
	return NewVerifierCache(c.TokenPublicKeys, c.TokenCacheSize, c.TokenCacheTTL)
}

// Issuer returns the token issuer (hub only). Without a configured signing
// key it uses the development key if the development public key is
// accepted, and fails otherwise.
func (c Config) Issuer() (*Issuer, error) {
	k := c.TokenSigningKey
	if k.Key == nil {
		pub, _ := decodeKey(devPublicKey)
		if !bytes.Equal(c.TokenPublicKeys["dev"], pub) {
			return nil, errors.New("auth: AUTH_TOKEN_SIGNING_KEY is not set")
		}
		if err := k.UnmarshalText([]byte("dev:" + devSigningSeed)); err != nil {
			return nil, err
		}
	}
	return NewIssuer(k.ID, k.Key), nil
}

// Signer returns the signer of outgoing service calls: the first service
// key and ServiceName.
func (c Config) Signer() (Signer, error) {
	if len(c.ServiceKeys) == 0 {
		return Signer{}, errors.New("auth: AUTH_SERVICE_KEYS is empty")
	}
	if c.ServiceName == "" {
		return Signer{}, errors.New("auth: SERVICE_NAME is not set")
	}
	k := c.ServiceKeys[0]
	return Signer{KeyID: k.ID, Secret: k.Secret, Service: c.ServiceName}, nil
}

// ServiceVerifier returns the verifier of incoming service calls, with
// every configured service key, the given nonce store and a table of
// service sessions of its own (one per process: see Sessions).
func (c Config) ServiceVerifier(nonces NonceStore) *ServiceVerifier {
	keys := make(map[string][]byte, len(c.ServiceKeys))
	for _, k := range c.ServiceKeys {
		keys[k.ID] = k.Secret
	}
	return &ServiceVerifier{Keys: keys, Nonces: nonces, Sessions: NewSessions(), Window: DefaultWindow}
}

// PublicKeys are token verification keys by kid, parsed from
// "kid:base64url-key,kid2:...".
type PublicKeys map[string]ed25519.PublicKey

// UnmarshalText parses the environment form.
func (p *PublicKeys) UnmarshalText(b []byte) error {
	pairs, err := parsePairs(string(b))
	if err != nil {
		return err
	}
	m := make(PublicKeys, len(pairs))
	for _, kv := range pairs {
		key, err := decodeKey(kv[1])
		if err != nil || len(key) != ed25519.PublicKeySize {
			return fmt.Errorf("public key %q: want %d bytes of base64url", kv[0], ed25519.PublicKeySize)
		}
		m[kv[0]] = ed25519.PublicKey(key)
	}
	*p = m
	return nil
}

// String lists the key ids (public keys are not secret, but long).
func (p PublicKeys) String() string {
	ids := make([]string, 0, len(p))
	for id := range p {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return strings.Join(ids, ",")
}

// Prefixes are networks, parsed from "10.0.0.0/8,192.0.2.7" (a bare
// address is a network of one).
type Prefixes []netip.Prefix

// UnmarshalText parses the environment form.
func (p *Prefixes) UnmarshalText(b []byte) error {
	var out Prefixes
	for item := range strings.SplitSeq(string(b), ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if !strings.Contains(item, "/") {
			a, err := netip.ParseAddr(item)
			if err != nil {
				return fmt.Errorf("trusted proxy %q: want an address or a network like 10.0.0.0/8", item)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		n, err := netip.ParsePrefix(item)
		if err != nil {
			return fmt.Errorf("trusted proxy %q: want an address or a network like 10.0.0.0/8", item)
		}
		out = append(out, n.Masked())
	}
	*p = out
	return nil
}

// SigningKey is hub's token signing key, parsed from "kid:base64url-seed".
type SigningKey struct {
	ID  string
	Key ed25519.PrivateKey
}

// UnmarshalText parses the environment form.
func (s *SigningKey) UnmarshalText(b []byte) error {
	pairs, err := parsePairs(string(b))
	if err != nil {
		return err
	}
	if len(pairs) != 1 {
		return errors.New("signing key: want exactly one kid:seed")
	}
	seed, err := decodeKey(pairs[0][1])
	if err != nil || len(seed) != ed25519.SeedSize {
		return fmt.Errorf("signing key %q: want a %d-byte base64url seed", pairs[0][0], ed25519.SeedSize)
	}
	*s = SigningKey{ID: pairs[0][0], Key: ed25519.NewKeyFromSeed(seed)}
	return nil
}

// String masks the key.
func (s SigningKey) String() string {
	if s.Key == nil {
		return ""
	}
	return s.ID + ":***"
}

// ServiceKey is one shared secret for service calls.
type ServiceKey struct {
	ID     string
	Secret []byte
}

// ServiceKeys are the shared secrets in configured order, parsed from
// "kid:base64-secret,...".
type ServiceKeys []ServiceKey

// UnmarshalText parses the environment form.
func (s *ServiceKeys) UnmarshalText(b []byte) error {
	pairs, err := parsePairs(string(b))
	if err != nil {
		return err
	}
	out := make(ServiceKeys, 0, len(pairs))
	for _, kv := range pairs {
		secret, err := decodeKey(kv[1])
		if err != nil || len(secret) < 16 {
			return fmt.Errorf("service key %q: want at least 16 bytes of base64", kv[0])
		}
		out = append(out, ServiceKey{ID: kv[0], Secret: secret})
	}
	*s = out
	return nil
}

// String masks the secrets.
func (s ServiceKeys) String() string {
	ids := make([]string, len(s))
	for i, k := range s {
		ids[i] = k.ID + ":***"
	}
	return strings.Join(ids, ",")
}

// parsePairs splits "a:x,b:y" into [[a x] [b y]], rejecting empty ids or
// values and duplicate ids.
func parsePairs(s string) ([][2]string, error) {
	var out [][2]string
	seen := map[string]bool{}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		id, val, ok := strings.Cut(item, ":")
		if !ok || id == "" || val == "" {
			return nil, fmt.Errorf("want kid:value, got %q", redact(item))
		}
		if seen[id] {
			return nil, fmt.Errorf("key id %q listed twice", id)
		}
		seen[id] = true
		out = append(out, [2]string{id, val})
	}
	return out, nil
}

// redact keeps an item's key id and hides its value in error messages.
func redact(item string) string {
	if id, _, ok := strings.Cut(item, ":"); ok {
		return id + ":***"
	}
	return "***"
}

// decodeKey accepts base64url or standard base64, padded or not.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "+/") {
		return base64.RawStdEncoding.DecodeString(s)
	}
	return base64.RawURLEncoding.DecodeString(s)
}

// Keys is a fresh set of production keys in their environment form.
type Keys struct {
	TokenSigningKey string // AUTH_TOKEN_SIGNING_KEY, for hub only
	TokenPublicKeys string // AUTH_TOKEN_PUBLIC_KEYS, for every service
	ServiceKeys     string // AUTH_SERVICE_KEYS, for every service
}

// GenerateKeys returns a new Ed25519 token key pair and a 256-bit service
// secret, both under the key id kid.
func GenerateKeys(kid string) (Keys, error) {
	if kid == "" || strings.ContainsAny(kid, ":,") {
		return Keys{}, fmt.Errorf("auth: bad key id %q", kid)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return Keys{}, err
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	enc := base64.RawURLEncoding.EncodeToString
	return Keys{
		TokenSigningKey: kid + ":" + enc(priv.Seed()),
		TokenPublicKeys: kid + ":" + enc(pub),
		ServiceKeys:     kid + ":" + enc(secret),
	}, nil
}
