package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/attendify/platform/errs"
)

// Service sessions: a caller that makes many signed calls to one replica
// need not pay a Redis round trip per call for its nonces.
//
// A fully signed call (Signer.Sign, nonce checked in the shared store)
// carrying X-Service-Session: open asks the replica that serves it for a
// session. The replica makes a random session id, keeps it in its own
// memory with the caller's service name and key id and the session key
// HMAC-SHA256(secret, "attendify service session\n" + id), and answers with
// the id in X-Service-Session. The caller derives the same key from its
// secret (Signer.Session) and signs its next calls with it
// (SessionSigner.Sign). A session call carries one service header,
//
//	X-Service-Session: <id> <seq> <timestamp> <signature>
//
// (single spaces): the session id, the call's sequence number (decimal, 1,
// 2, 3...), unix seconds, and the signature of the canonical string of a
// signed call (Signer, the acting user's Authorization included) made
// with the session key, its nonce line being "<id>:<seq>" and its service
// and key id lines the session's. The service
// name and key id do not travel: the replica has them in the session's
// record, and the signature covers them. The replica checks the signature
// with the session key, the time window, and that the sequence number was
// not used in this session, in its memory: no round trip.
//
// A session exists only in the memory of the process that opened it: no
// other replica, and not the same one after a restart, has it, so no other
// process can accept its calls (they are refused with signature_stale,
// retryable: the caller signs again without the session). Within the
// process, the check and the recording of a sequence number are one step
// under the session's lock. So a session call is accepted at most once,
// whatever the replicas and restarts (docs/security.md gives the argument).
const (
	// HeaderSession is "open" on a fully signed call that asks for a
	// session, the session id on the answer that grants one, and
	// "<id> <seq> <timestamp> <signature>" on a session call.
	HeaderSession = "X-Service-Session"
	// SessionOpen is the X-Service-Session value of a call asking for a
	// session.
	SessionOpen = "open"
)

// sessionWindow is how many sequence numbers behind the newest seen a
// session call may arrive (concurrent calls overtake each other); older
// ones are refused as stale, to be signed again.
const sessionWindow = 1024

// Sessions is one replica's table of service sessions, in its memory.
type Sessions struct {
	// MaxSessions bounds the table; past it, opening calls are served
	// without a session. Default 10,000.
	MaxSessions int
	// Idle is how long an unused session is kept. Default 10 minutes.
	Idle time.Duration

	mu    sync.RWMutex
	m     map[string]*session
	sweep time.Time
}

// NewSessions returns an empty table.
func NewSessions() *Sessions { return &Sessions{m: map[string]*session{}} }

type session struct {
	service, kid string
	mac          sessionMAC   // HMAC-SHA256 with the session key
	used         atomic.Int64 // unix nanoseconds of the last accepted call

	mu   sync.Mutex
	top  uint64                     // the newest sequence number accepted
	seen [sessionWindow / 64]uint64 // bit (seq % sessionWindow): seq in (top-sessionWindow, top] was accepted
}

// sessionKey derives a session's key from the caller's secret.
func sessionKey(secret []byte, id string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("attendify service session\n"))
	m.Write([]byte(id))
	return m.Sum(nil)
}

// sessionMAC is HMAC-SHA256 with one key, made for many short messages:
// the key's two padded blocks are hashed once, when the session opens,
// and each message resumes from the SHA-256 states after them: two
// SHA-256 compressions fewer per message, of the six an HMAC of a session
// call's canonical string (about 125 bytes) takes. TestSessionMAC holds it
// to crypto/hmac.
type sessionMAC struct {
	key          []byte
	inner, outer []byte // SHA-256's state after key^ipad and after key^opad (MarshalBinary)
}

func newSessionMAC(key []byte) sessionMAC {
	const block = sha256.BlockSize
	k := key
	if len(k) > block {
		h := sha256.Sum256(k)
		k = h[:]
	}
	var ipad, opad [block]byte
	copy(ipad[:], k)
	copy(opad[:], k)
	for i := range block {
		ipad[i] ^= 0x36
		opad[i] ^= 0x5c
	}
	m := sessionMAC{key: key}
	h := sha256.New()
	h.Write(ipad[:])
	inner, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	h.Reset()
	h.Write(opad[:])
	outer, err2 := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err == nil && err2 == nil {
		m.inner, m.outer = inner, outer
	} // else sum falls back to hmacSHA256
	return m
}

// sum returns HMAC-SHA256(key, msg). The hash it resumes stays on the
// stack (TestSessionVerifyAllocs).
func (m *sessionMAC) sum(msg []byte) (mac [sha256.Size]byte) {
	h := sha256.New()
	u, ok := h.(encoding.BinaryUnmarshaler)
	if !ok || m.inner == nil || u.UnmarshalBinary(m.inner) != nil {
		return hmacSHA256(m.key, msg)
	}
	h.Write(msg)
	var ih [sha256.Size]byte
	h.Sum(ih[:0])
	if u.UnmarshalBinary(m.outer) != nil {
		return hmacSHA256(m.key, msg)
	}
	h.Write(ih[:])
	h.Sum(mac[:0])
	return mac
}

// open makes a session for the caller that signed with kid's secret as
// service, and returns its id; "" when the table is full.
func (t *Sessions) open(service, kid string, secret []byte, now time.Time) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if idle := t.idle(); now.After(t.sweep) {
		for id, s := range t.m {
			if now.Sub(time.Unix(0, s.used.Load())) > idle {
				delete(t.m, id)
			}
		}
		t.sweep = now.Add(idle / 4)
	}
	limit := t.MaxSessions
	if limit <= 0 {
		limit = 10000
	}
	if len(t.m) >= limit {
		return ""
	}
	id := randomID()
	s := &session{service: service, kid: kid, mac: newSessionMAC(sessionKey(secret, id))}
	s.used.Store(now.UnixNano())
	t.m[id] = s
	return id
}

func (t *Sessions) idle() time.Duration {
	if t.Idle <= 0 {
		return 10 * time.Minute
	}
	return t.Idle
}

func (t *Sessions) get(id string) *session {
	if t == nil {
		return nil
	}
	t.mu.RLock()
	s := t.m[id]
	t.mu.RUnlock()
	return s
}

// accept records seq as used and reports how it went: 0 accepted, 1 seen
// before, -1 too far behind the newest to tell.
func (s *session) accept(seq uint64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := s.verdict(seq); v != 0 {
		return v
	}
	if seq > s.top {
		if seq-s.top >= sessionWindow {
			clear(s.seen[:])
		} else {
			for q := s.top + 1; q < seq; q++ {
				s.seen[(q%sessionWindow)/64] &^= 1 << (q % 64)
			}
		}
		s.top = seq
	}
	s.seen[(seq%sessionWindow)/64] |= 1 << (seq % 64)
	return 0
}

// check is what accept would say of seq, recording nothing: a call whose
// sequence number is spent is refused before its body is read.
func (s *session) check(seq uint64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.verdict(seq)
}

// verdict is accept's answer for seq, s.mu held.
func (s *session) verdict(seq uint64) int {
	switch {
	case seq > s.top:
		return 0
	case s.top-seq >= sessionWindow:
		return -1
	case s.seen[(seq%sessionWindow)/64]&(1<<(seq%64)) != 0:
		return 1
	}
	return 0
}

// sessionFields is a session call's X-Service-Session value, taken apart
// (substrings of the value: nothing is copied).
type sessionFields struct {
	id, seqs, ts, sig string
	seq               uint64
	sec               int64
}

// parseSessionFields takes apart "<id> <seq> <timestamp> <signature>"; ok is
// false unless each field is well-formed: an id as validNonce accepts, a
// sequence number from 1, unix seconds, a signature of sigText's length.
func parseSessionFields(v string) (c sessionFields, ok bool) {
	var rest string
	var found bool
	if c.id, rest, found = strings.Cut(v, " "); !found || !validNonce(c.id) {
		return c, false
	}
	if c.seqs, rest, found = strings.Cut(rest, " "); !found {
		return c, false
	}
	if c.ts, c.sig, found = strings.Cut(rest, " "); !found || len(c.sig) != len(sigText{}) {
		return c, false
	}
	seq, ok := decimal(c.seqs)
	sec, ok2 := decimal(c.ts)
	c.seq, c.sec = seq, int64(sec)
	return c, ok && ok2 && seq != 0 && sec <= math.MaxInt64
}

// decimal parses 1 to 19 decimal digits (below 10^19: no overflow).
func decimal(s string) (n uint64, ok bool) {
	if len(s) == 0 || len(s) > 19 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		d := s[i] - '0'
		if d > 9 {
			return 0, false
		}
		n = n*10 + uint64(d)
	}
	return n, true
}

// verifySession checks a session call, whose X-Service-Session value
// (neither empty nor "open") is value.
func (v *ServiceVerifier) verifySession(r *http.Request, body []byte, value string) (Caller, error) {
	c, s, err := v.sessionOf(value)
	if err != nil {
		return Caller{}, err
	}
	want := sessionSignatureText(&s.mac, r.Method, r.URL.RequestURI(), c.ts, c.id, c.seqs, s.service, s.kid, header(r.Header, headerAuthorization), body)
	if !hmac.Equal(want[:], []byte(c.sig)) {
		return Caller{}, errs.WithCode(errs.CodeSignatureInvalid, "the service session signature does not verify")
	}
	now := v.now()
	if !v.inWindow(c.sec, now) {
		return Caller{}, errs.WithCode(errs.CodeSignatureExpired, "the service call's timestamp is outside the ±%s window", v.window())
	}
	if err := seqError(s.accept(c.seq)); err != nil {
		return Caller{}, err
	}
	s.used.Store(now.UnixNano())
	return Caller{Kind: CallerService, Service: s.service, KeyID: s.kid}, nil
}

// sessionOf takes apart a session call's X-Service-Session value and finds
// its session on this replica: what verifySession checks before the
// signature, and precheck before the body.
func (v *ServiceVerifier) sessionOf(value string) (sessionFields, *session, error) {
	c, ok := parseSessionFields(value)
	if !ok {
		if !strings.Contains(value, " ") {
			// An id alone: a session call as made before the session
			// headers became one. This replica knows no such session.
			return c, nil, errs.WithCode(errs.CodeSignatureStale,
				"a service session call in a format this replica does not take; sign the call again without the session")
		}
		return c, nil, errs.WithCode(errs.CodeSignatureInvalid, "malformed X-Service-Session value")
	}
	s := v.Sessions.get(c.id)
	if s == nil {
		return c, nil, errs.WithCode(errs.CodeSignatureStale,
			"unknown service session (opened by another replica, or before this one restarted); sign the call again without it")
	}
	return c, s, nil
}

// seqError is the refusal of a session call whose sequence number got
// verdict (session.accept's or session.check's), or nil.
func seqError(verdict int) error {
	switch verdict {
	case 1:
		return errs.WithCode(errs.CodeNonceReplayed, "the service session call's sequence number was already used")
	case -1:
		return errs.WithCode(errs.CodeSignatureStale,
			"the service session call's sequence number is more than %d behind the newest; sign the call again", sessionWindow)
	}
	return nil
}

// Session returns the signer of the session id, which a call signed by s
// with X-Service-Session: open was granted (the answer's
// X-Service-Session).
func (s Signer) Session(id string) *SessionSigner {
	return &SessionSigner{ID: id, KeyID: s.KeyID, Service: s.Service, mac: newSessionMAC(sessionKey(s.Secret, id))}
}

// SessionSigner signs the calls of one service session. It is safe for
// concurrent use: each call takes the next sequence number.
type SessionSigner struct {
	ID      string
	KeyID   string
	Service string
	mac     sessionMAC
	seq     atomic.Uint64
}

// Sign sets the session call's headers on r for body and r's
// Authorization, which must be set first (as Signer.Sign). Call it for
// every attempt: a retry needs a new sequence number.
func (s *SessionSigner) Sign(r *http.Request, body []byte) {
	s.sign(r, body, time.Now())
}

func (s *SessionSigner) sign(r *http.Request, body []byte, now time.Time) {
	var buf [192]byte
	v := append(buf[:0], s.ID...)
	v = append(v, ' ')
	v = strconv.AppendUint(v, s.seq.Add(1), 10)
	seqEnd := len(v)
	v = append(v, ' ')
	v = strconv.AppendInt(v, now.Unix(), 10)
	seq, ts := v[len(s.ID)+1:seqEnd], v[seqEnd+1:]
	sig := sessionSignatureText(&s.mac, r.Method, r.URL.RequestURI(), string(ts), s.ID, string(seq), s.Service, s.KeyID, header(r.Header, headerAuthorization), body)
	v = append(v, ' ')
	v = append(v, sig[:]...)
	h := r.Header
	for _, name := range [...]string{HeaderService, HeaderKeyID, HeaderTimestamp, HeaderNonce, HeaderSignature} {
		delete(h, name) // a session call carries none of a full call's headers
	}
	h[HeaderSession] = []string{string(v)}
}
