package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
	"unsafe"

	"github.com/attendify/platform/errs"
)

// The headers of a signed service call.
const (
	HeaderService   = "X-Service"           // the calling service's name
	HeaderKeyID     = "X-Service-Key-Id"    // the id of the shared secret used
	HeaderTimestamp = "X-Service-Timestamp" // unix seconds, decimal
	HeaderNonce     = "X-Service-Nonce"     // 128 random bits, base64url
	HeaderSignature = "X-Service-Signature" // base64url(HMAC-SHA256(secret, canonical string))
)

// DefaultWindow is how far a service call's timestamp may be from the
// receiver's clock, either way.
const DefaultWindow = 5 * time.Minute

// Signer signs outgoing service calls with a shared secret.
//
// The signature is base64url (unpadded) of HMAC-SHA256(Secret, s) where s
// joins with "\n":
//
//	method            "POST"
//	request URI       path and query as sent, "/rpc"
//	timestamp         unix seconds, "1767225600"
//	nonce             the X-Service-Nonce value
//	service           the X-Service value
//	key id            the X-Service-Key-Id value
//	acting user       lowercase hex SHA-256 of the Authorization value
//	                  (the token of the user the call acts for), of ""
//	                  without one
//	body hash         lowercase hex SHA-256 of the body
//
// so that changing the path, the body, the time, the nonce, the service
// headers or the acting user (dropping the token, which makes the call
// the bare service's, or putting another user's in its place) breaks the
// signature. Other headers (Content-Type, X-Request-Id, X-Budget-Ms,
// trace context) are not covered. Set Authorization before signing.
type Signer struct {
	KeyID   string
	Secret  []byte
	Service string
}

// Sign sets the service headers on r for the given body (the exact bytes
// that will be sent) and r's Authorization, which must be set first (the
// token of the user the call acts for, if any). Call it for every attempt
// of a call: a retry needs a fresh nonce.
func (s Signer) Sign(r *http.Request, body []byte) {
	s.sign(r, body, time.Now(), randomID())
}

func (s Signer) sign(r *http.Request, body []byte, now time.Time, nonce string) {
	ts := strconv.FormatInt(now.Unix(), 10)
	h := r.Header
	h.Set(HeaderService, s.Service)
	h.Set(HeaderKeyID, s.KeyID)
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderNonce, nonce)
	h.Set(HeaderSignature, signature(s.Secret, r.Method, r.URL.RequestURI(), ts, nonce, s.Service, s.KeyID, header(h, headerAuthorization), body))
}

func signature(secret []byte, method, uri, ts, nonce, service, kid, authz string, body []byte) string {
	t := signatureText(secret, method, uri, ts, nonce, service, kid, authz, body)
	return string(t[:])
}

// headerAuthorization is the Authorization header's name, canonical: the
// acting user's credential, which a service call's signature covers.
const headerAuthorization = "Authorization"

// sigText is a signature as sent: base64url, unpadded, of 32 bytes.
type sigText [43]byte

// signatureText is signature without allocating on the way: the canonical
// string is put together on the stack and the HMAC computed over it with
// sha256.Sum256 (through crypto/hmac's hash.Hash every piece written would
// escape to the heap: seven allocations per call).
func signatureText(secret []byte, method, uri, ts, nonce, service, kid, authz string, body []byte) sigText {
	var buf [384]byte
	return encodeSig(hmacSHA256(secret, appendCanonical(buf[:0], method, uri, ts, nonce, "", service, kid, authz, body)))
}

// sessionSignatureText is signatureText of a session call, whose nonce is
// "<id>:<seq>", with the session's key (its MAC), without putting the
// nonce together first.
func sessionSignatureText(m *sessionMAC, method, uri, ts, id, seq, service, kid, authz string, body []byte) sigText {
	var buf [384]byte
	return encodeSig(m.sum(appendCanonical(buf[:0], method, uri, ts, id, seq, service, kid, authz, body)))
}

// appendCanonical appends the canonical string a signature covers to b:
// method, request URI, timestamp, nonce (with ":<seq>" after it when seq
// is not empty: a session call's), service, key id, the lowercase hex
// SHA-256 of authz (the Authorization value: the acting user), each on a
// line, then the lowercase hex SHA-256 of body.
func appendCanonical(b []byte, method, uri, ts, nonce, seq, service, kid, authz string, body []byte) []byte {
	for _, part := range [...]string{method, uri, ts} {
		b = append(b, part...)
		b = append(b, '\n')
	}
	b = append(b, nonce...)
	if seq != "" {
		b = append(b, ':')
		b = append(b, seq...)
	}
	b = append(b, '\n')
	for _, part := range [...]string{service, kid} {
		b = append(b, part...)
		b = append(b, '\n')
	}
	if authz == "" {
		// Most service calls act for no user: the hash of "" is known.
		b = append(b, emptySHA256...)
	} else {
		ah := sha256String(authz)
		b = hex.AppendEncode(b, ah[:])
	}
	b = append(b, '\n')
	bh := sha256.Sum256(body)
	return hex.AppendEncode(b, bh[:])
}

// sha256String is the SHA-256 of s's bytes, hashed in place: Sum256
// neither keeps nor changes them, and a copy of a token would cost an
// allocation per request.
func sha256String(s string) [sha256.Size]byte {
	return sha256.Sum256(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// emptySHA256 is the lowercase hex SHA-256 of "" (TestEmptySHA256).
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// encodeSig is a MAC as sent.
func encodeSig(mac [sha256.Size]byte) (t sigText) {
	base64.RawURLEncoding.Encode(t[:], mac[:])
	return t
}

// hmacSHA256 is HMAC-SHA256 (RFC 2104): H((K^opad) || H((K^ipad) || msg)),
// with K the key padded to the block size (hashed first when longer).
// TestHMACSHA256 holds it to crypto/hmac.
func hmacSHA256(key, msg []byte) [sha256.Size]byte {
	const block = sha256.BlockSize
	if len(key) > block {
		k := sha256.Sum256(key)
		key = k[:]
	}
	var small [block + 448]byte
	in := small[:]
	if block+len(msg) > len(small) {
		in = make([]byte, block+len(msg))
	}
	in = in[:block+len(msg)]
	copy(in[block:], msg)
	var outer [block + sha256.Size]byte
	for i := range block {
		k := byte(0)
		if i < len(key) {
			k = key[i]
		}
		in[i] = k ^ 0x36
		outer[i] = k ^ 0x5c
	}
	ih := sha256.Sum256(in)
	copy(outer[block:], ih[:])
	return sha256.Sum256(outer[:])
}

// header is h.Get(name) for a name already in canonical form (the service
// headers: TestServiceHeadersCanonical), without canonicalising it again on
// every call; net/http canonicalises the names of incoming headers.
func header(h http.Header, name string) string {
	if v := h[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// IsServiceCall reports whether r carries a service signature: a signed
// call's X-Service-Signature, or a session call's X-Service-Session.
func IsServiceCall(r *http.Request) bool {
	if header(r.Header, HeaderSignature) != "" {
		return true
	}
	v := header(r.Header, HeaderSession)
	return v != "" && v != SessionOpen
}

// NonceStore remembers the nonces of accepted service calls.
type NonceStore interface {
	// Remember records nonce, of a call signed at signed, for ttl and
	// reports whether it was new; false means the nonce was seen before (a
	// replay). A store refuses calls signed before its memory begins, whose
	// nonces it cannot know: the error is then a *StaleError and nothing is
	// recorded.
	Remember(ctx context.Context, nonce string, signed time.Time, ttl time.Duration) (bool, error)
}

// StaleError is a nonce store's refusal of a call signed before its epoch,
// the first second it can vouch for: a replay of a call accepted before the
// store lost its memory would pass the nonce check. A call signed again
// after the epoch is accepted.
type StaleError struct {
	Epoch time.Time // calls signed before it are refused
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("the call was signed before the nonce store's epoch %s", e.Epoch.UTC().Format(time.RFC3339))
}

// ServiceVerifier checks signed service calls.
type ServiceVerifier struct {
	Keys   map[string][]byte // key id -> shared secret
	Nonces NonceStore
	// Sessions, when set, is this replica's table of service sessions:
	// calls asking for one (X-Service-Session: open) are granted one, and
	// session calls are checked in memory (session.go). Nil: calls are
	// served without sessions and session calls refused as stale.
	Sessions *Sessions
	Window   time.Duration    // allowed clock difference either way; DefaultWindow when zero
	Now      func() time.Time // the clock; time.Now when nil
}

// Verify checks the service headers of r against body and returns the
// calling service. The checks, in order: at most one Authorization header
// (the signature covers it: the user the call acts for) else
// CodeSignatureInvalid; a known key id and a matching
// signature (compared in constant time) else CodeSignatureInvalid; a
// timestamp within ±Window else CodeSignatureExpired; a timestamp the nonce
// store can vouch for (not before its epoch) else CodeSignatureStale, which
// is retryable once signed again (RetryAfter says when); a nonce never seen
// else CodeNonceReplayed. The nonce is recorded (for twice the window) only
// once the signature has verified, so forged calls cannot fill the store.
// A failing nonce store is an Unavailable error: the call is refused.
//
// A session call (X-Service-Session with a session id) is checked against
// this replica's session instead, in memory (session.go); a call that
// verifies in full with X-Service-Session: open is granted a session when
// Sessions is set (Caller.OpenedSession).
func (v *ServiceVerifier) Verify(ctx context.Context, r *http.Request, body []byte) (Caller, error) {
	h := r.Header
	if len(h[headerAuthorization]) > 1 {
		// The signature covers the first, which BearerToken reads; a
		// second would be the acting user to whatever reads the last.
		return Caller{}, errs.WithCode(errs.CodeSignatureInvalid, "a service call with more than one Authorization header")
	}
	sessionHeader := header(h, HeaderSession)
	if sessionHeader != "" && sessionHeader != SessionOpen {
		return v.verifySession(r, body, sessionHeader)
	}
	f, secret, err := v.signedHeaders(h)
	if err != nil {
		return Caller{}, err
	}
	want := signatureText(secret, r.Method, r.URL.RequestURI(), f.ts, f.nonce, f.service, f.kid, header(h, headerAuthorization), body)
	if !hmac.Equal(want[:], []byte(f.sig)) {
		return Caller{}, errs.WithCode(errs.CodeSignatureInvalid, "the service signature does not verify")
	}
	sec, err := parseTimestamp(f.ts)
	if err != nil {
		return Caller{}, err
	}
	window, now := v.window(), v.now()
	if !v.inWindow(sec, now) {
		return Caller{}, errs.WithCode(errs.CodeSignatureExpired, "the service call's timestamp is outside the ±%s window", window)
	}
	fresh, err := v.Nonces.Remember(ctx, f.nonce, time.Unix(sec, 0), 2*window)
	if stale := (*StaleError)(nil); errors.As(err, &stale) {
		return Caller{}, &errs.Error{Code: errs.CodeSignatureStale, RetryAfter: max(stale.Epoch.Sub(v.now()), 0),
			Msg: "the service call was signed before the receiver's replay protection started; sign it again"}
	}
	if err != nil {
		if ctx.Err() != nil {
			return Caller{}, ctx.Err()
		}
		return Caller{}, errs.Wrap(errs.Unavailable, err, "cannot check the service call's nonce")
	}
	if !fresh {
		return Caller{}, errs.WithCode(errs.CodeNonceReplayed, "the service call's nonce was already used")
	}
	c := Caller{Kind: CallerService, Service: f.service, KeyID: f.kid}
	if sessionHeader == SessionOpen && v.Sessions != nil {
		c.OpenedSession = v.Sessions.open(f.service, f.kid, secret, now)
	}
	return c, nil
}

func (v *ServiceVerifier) window() time.Duration {
	if v.Window <= 0 {
		return DefaultWindow
	}
	return v.Window
}

// inWindow reports whether the unix time sec is within the window of now.
func (v *ServiceVerifier) inWindow(sec int64, now time.Time) bool {
	d, w := now.Sub(time.Unix(sec, 0)), v.window()
	return -w <= d && d <= w
}

func (v *ServiceVerifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// precheck checks what can be checked of r's service headers before the
// body the signature covers is read: a known key id, well-formed headers
// and a timestamp within the window; for a session call, a session of
// this replica and a sequence number it has not accepted. Its errors have
// the codes Verify would give the call.
func (v *ServiceVerifier) precheck(r *http.Request) error {
	h := r.Header
	if len(h[headerAuthorization]) > 1 {
		return errs.WithCode(errs.CodeSignatureInvalid, "a service call with more than one Authorization header")
	}
	var sec int64
	if value := header(h, HeaderSession); value != "" && value != SessionOpen {
		c, s, err := v.sessionOf(value)
		if err != nil {
			return err
		}
		if err := seqError(s.check(c.seq)); err != nil {
			return err
		}
		sec = c.sec
	} else {
		f, _, err := v.signedHeaders(h)
		if err != nil {
			return err
		}
		if sec, err = parseTimestamp(f.ts); err != nil {
			return err
		}
	}
	if !v.inWindow(sec, v.now()) {
		return errs.WithCode(errs.CodeSignatureExpired, "the service call's timestamp is outside the ±%s window", v.window())
	}
	return nil
}

// signedFields are the headers of a service call signed in full.
type signedFields struct{ service, kid, ts, nonce, sig string }

// signedHeaders takes apart the headers of a service call signed in full
// and finds the secret of its key id: what Verify checks before the
// signature, and precheck before the body.
func (v *ServiceVerifier) signedHeaders(h http.Header) (signedFields, []byte, error) {
	f := signedFields{service: header(h, HeaderService), kid: header(h, HeaderKeyID),
		ts: header(h, HeaderTimestamp), nonce: header(h, HeaderNonce), sig: header(h, HeaderSignature)}
	if f.service == "" || f.kid == "" || f.ts == "" || f.sig == "" || !validNonce(f.nonce) {
		return f, nil, errs.WithCode(errs.CodeSignatureInvalid, "missing or malformed service headers")
	}
	secret, ok := v.Keys[f.kid]
	if !ok {
		return f, nil, errs.WithCode(errs.CodeSignatureInvalid, "unknown service key id")
	}
	return f, secret, nil
}

// parseTimestamp reads a service call's timestamp, in unix seconds.
func parseTimestamp(ts string) (int64, error) {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return 0, errs.WithCode(errs.CodeSignatureInvalid, "malformed service timestamp")
	}
	return sec, nil
}

// validNonce accepts 16 to 64 characters of the base64url alphabet, so
// that a nonce is a safe key component.
func validNonce(s string) bool {
	if len(s) < 16 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
