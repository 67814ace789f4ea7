package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/attendify/platform/errs"
	"github.com/golang-jwt/jwt/v5"
)

// TokenIssuer is the iss claim of every user token (hub issues them all).
const TokenIssuer = "attendify-hub"

// Leeway is the clock skew tolerated when checking a token's exp, nbf and
// iat: a token is still accepted up to Leeway after it expired, and from
// Leeway before it becomes valid.
const Leeway = 30 * time.Second

// Claims is what a user token says about its holder.
type Claims struct {
	User      string    // sub: the user id
	App       string    // the app the token is scoped to; empty for an organizer account token
	Role      string    // RoleAttendee, an organizer role, or RoleOrganizer
	ID        string    // jti: a unique token id, set by Issue when empty
	Issuer    string    // iss: TokenIssuer, set by Issue
	IssuedAt  time.Time // iat, set by Issue
	ExpiresAt time.Time // exp, set by Issue from its ttl
	KeyID     string    // the kid of the key that signed the token; filled in by Verify
	// Seq is the issuer's sequence number of the token ("seq"): hub
	// refuses the tokens of a user whose Seq is at or below the user's
	// revocation mark (a password change, a sign-out, a removal), which a
	// sequence orders exactly where second-granular iat could not. Zero
	// for tokens issued without one.
	Seq int64
}

// Caller returns the caller a verified token stands for; token is the raw
// token, kept for forwarding.
func (c Claims) Caller(token string) Caller {
	return Caller{Kind: CallerUser, User: c.User, App: c.App, Role: c.Role, KeyID: c.KeyID, Token: token, TokenSeq: c.Seq}
}

// jwtClaims is the token's JSON payload.
type jwtClaims struct {
	jwt.RegisteredClaims
	App  string `json:"app,omitempty"`
	Role string `json:"role"`
	Seq  int64  `json:"seq,omitempty"`
}

// Issuer signs user tokens. Only hub holds one.
type Issuer struct {
	kid string
	key ed25519.PrivateKey
	now func() time.Time
}

// NewIssuer returns an Issuer signing with key under the key id kid.
func NewIssuer(kid string, key ed25519.PrivateKey) *Issuer {
	return &Issuer{kid: kid, key: key, now: time.Now}
}

// KeyID is the id of the signing key, as verifiers know its public half.
func (is *Issuer) KeyID() string { return is.kid }

// Issue returns a compact JWS for c, valid for ttl from now. User and Role
// are required; ID, IssuedAt, ExpiresAt and Issuer are set here.
func (is *Issuer) Issue(c Claims, ttl time.Duration) (string, error) {
	if c.User == "" || c.Role == "" {
		return "", errors.New("auth: a token needs a user and a role")
	}
	if ttl <= 0 {
		return "", errors.New("auth: a token needs a positive ttl")
	}
	if c.ID == "" {
		c.ID = randomID()
	}
	now := is.now().Truncate(time.Second)
	claims := jwtClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    TokenIssuer,
			Subject:   c.User,
			ID:        c.ID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		App:  c.App,
		Role: c.Role,
		Seq:  c.Seq,
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	t.Header["kid"] = is.kid
	s, err := t.SignedString(is.key)
	if err != nil {
		return "", fmt.Errorf("auth: sign token: %w", err)
	}
	return s, nil
}

// Verifier checks user tokens locally against hub's public keys. Several
// keys (by kid) make rotation possible: hub starts signing with a new key
// while tokens signed with the old one stay valid as long as its public key
// is listed. Successfully verified tokens are cached (by the SHA-256 of the
// token) so that a client sending the same token on every request pays for
// the Ed25519 check once per CacheTTL. A Verifier is safe for concurrent use.
type Verifier struct {
	keys   map[string]ed25519.PublicKey
	parser *jwt.Parser
	now    func() time.Time // wall clock, for exp/nbf/iat
	mono   func() int64     // monotonic nanoseconds, for the cache: cheaper than now
	cache  *tokenCache
}

// Cache defaults of NewVerifier; NewVerifierCache and Config choose others.
const (
	DefaultCacheSize = 16384
	DefaultCacheTTL  = time.Minute
)

// NewVerifier returns a Verifier that accepts tokens signed by any of keys
// (kid -> public key), with a cache of DefaultCacheSize entries.
func NewVerifier(keys map[string]ed25519.PublicKey) *Verifier {
	return newVerifier(keys, DefaultCacheSize, DefaultCacheTTL, nil)
}

// NewVerifierCache is NewVerifier with a cache of size entries kept for at
// most ttl each (size 0 disables the cache).
func NewVerifierCache(keys map[string]ed25519.PublicKey, size int, ttl time.Duration) *Verifier {
	return newVerifier(keys, size, ttl, nil)
}

func newVerifier(keys map[string]ed25519.PublicKey, size int, ttl time.Duration, now func() time.Time) *Verifier {
	v := &Verifier{keys: maps.Clone(keys), now: now}
	if now == nil { // the real clock
		base := time.Now()
		v.now = time.Now
		v.mono = func() int64 { return int64(time.Since(base)) }
	} else { // a test's clock
		base := now()
		v.mono = func() int64 { return int64(now().Sub(base)) }
	}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithLeeway(Leeway),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return v.now() }),
		// One spelling per token: the unused bits of each part's last
		// base64 character would otherwise give a token 16 spellings that
		// verify, each its own entry in the cache.
		jwt.WithStrictDecoding(),
	)
	if size > 0 && ttl > 0 {
		v.cache = newTokenCache(size, ttl)
	}
	return v
}

// Verify checks token's signature, key id, algorithm and validity period
// and returns its claims. Errors: CodeTokenExpired for an expired token
// (beyond Leeway), CodeTokenInvalid for anything else.
func (v *Verifier) Verify(token string) (Claims, error) {
	var sum [sha256.Size]byte
	if v.cache != nil {
		sum = sha256String(token)
		if c, ok := v.cache.get(sum, v.mono()); ok {
			return c, nil
		}
	}
	var jc jwtClaims
	t, err := v.parser.ParseWithClaims(token, &jc, v.key)
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) {
			return Claims{}, errs.WithCode(errs.CodeTokenExpired, "the token has expired: sign in again")
		}
		return Claims{}, &errs.Error{Code: errs.CodeTokenInvalid, Msg: "the token is not valid", Err: err}
	}
	if jc.Issuer != TokenIssuer || jc.Subject == "" || jc.Role == "" {
		return Claims{}, errs.WithCode(errs.CodeTokenInvalid, "the token is not valid")
	}
	c := Claims{
		User:      jc.Subject,
		App:       jc.App,
		Role:      jc.Role,
		ID:        jc.ID,
		Issuer:    jc.Issuer,
		ExpiresAt: jc.ExpiresAt.Time,
		Seq:       jc.Seq,
	}
	if jc.IssuedAt != nil {
		c.IssuedAt = jc.IssuedAt.Time
	}
	c.KeyID, _ = t.Header["kid"].(string)
	if v.cache != nil {
		v.cache.put(sum, c, v.now(), v.mono())
	}
	return c, nil
}

// key is the jwt.Keyfunc: the public key named by the token's kid, only
// for EdDSA tokens.
func (v *Verifier) key(t *jwt.Token) (any, error) {
	if _, ok := t.Method.(*jwt.SigningMethodEd25519); !ok {
		return nil, fmt.Errorf("unexpected signing method %v", t.Header["alg"])
	}
	kid, _ := t.Header["kid"].(string)
	k, ok := v.keys[kid]
	if !ok {
		return nil, fmt.Errorf("unknown key id %q", kid)
	}
	return k, nil
}

// tokenCache remembers verified tokens, keyed by their SHA-256, in shards
// with a bounded size each; a full shard drops expired entries first, then
// arbitrary ones. Only tokens that verified are ever stored, so a flood of
// garbage cannot evict anything.
type tokenCache struct {
	ttl      time.Duration
	perShard int
	shards   [16]cacheShard
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[[sha256.Size]byte]cacheEntry
}

type cacheEntry struct {
	claims Claims
	until  int64 // monotonic: min(exp + Leeway, verified + ttl)
}

func newTokenCache(size int, ttl time.Duration) *tokenCache {
	c := &tokenCache{ttl: ttl, perShard: max(1, size/16)}
	for i := range c.shards {
		c.shards[i].m = make(map[[sha256.Size]byte]cacheEntry)
	}
	return c
}

func (c *tokenCache) get(k [sha256.Size]byte, now int64) (Claims, bool) {
	s := &c.shards[k[0]&15]
	s.mu.RLock()
	e, ok := s.m[k]
	s.mu.RUnlock()
	if !ok || now >= e.until {
		return Claims{}, false
	}
	return e.claims, true
}

// put remembers claims verified at wall time now, monotonic time mono.
func (c *tokenCache) put(k [sha256.Size]byte, claims Claims, now time.Time, mono int64) {
	until := mono + int64(min(c.ttl, claims.ExpiresAt.Add(Leeway).Sub(now)))
	s := &c.shards[k[0]&15]
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= c.perShard {
		for key, e := range s.m {
			if mono >= e.until {
				delete(s.m, key)
			}
		}
		// Still full of live tokens: forget an arbitrary eighth, so that
		// the sweep above runs once per perShard/8 inserts at most.
		for key := range s.m {
			if len(s.m) < c.perShard-c.perShard/8 {
				break
			}
			delete(s.m, key)
		}
	}
	s.m[k] = cacheEntry{claims: claims, until: until}
}

func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}

// randomID returns 128 random bits, base64url-encoded (22 characters).
func randomID() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
