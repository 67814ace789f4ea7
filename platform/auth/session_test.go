package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
	"github.com/redis/go-redis/v9"
)

// replica is one process of a service: its own session table, the
// deployment's shared nonce store in Redis.
func replica(rdb redis.UniversalClient, ns string) *ServiceVerifier {
	return &ServiceVerifier{Keys: map[string][]byte{"s1": testSecret, "s2": otherSecret},
		Nonces: NewRedisNonces(rdb, ns), Sessions: NewSessions()}
}

// openSession makes a fully signed call asking v for a session, as the
// first call of a caller does, and returns the session's signer and the
// opening call as it went over the wire.
func openSession(t *testing.T, v *ServiceVerifier, s Signer) (*SessionSigner, capturedCall) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/rpc", bytes.NewReader(testBody))
	r.Header.Set(HeaderSession, SessionOpen)
	s.Sign(r, testBody)
	c, err := v.Verify(context.Background(), r, testBody)
	if err != nil {
		t.Fatalf("the opening call: %v", err)
	}
	if c.Kind != CallerService || c.Service != s.Service || c.OpenedSession == "" {
		t.Fatalf("the opening call: caller %+v, want the service with a session opened", c)
	}
	return s.Session(c.OpenedSession), capturedCall{r.Header.Clone(), testBody}
}

// sessionCall signs one call of session ss.
func sessionCall(ss *SessionSigner) capturedCall {
	r := httptest.NewRequest(http.MethodPost, "/rpc", bytes.NewReader(testBody))
	ss.Sign(r, testBody)
	return capturedCall{r.Header.Clone(), testBody}
}

func verify(v *ServiceVerifier, c capturedCall) (Caller, error) {
	return v.Verify(context.Background(), c.request(), c.body)
}

var sessionSigner = Signer{KeyID: "s1", Secret: testSecret, Service: "social"}

// TestSessionReplaySameReplica: a session call is accepted once by the
// replica that opened the session, in any order within the window, and
// refused when sent again.
func TestSessionReplaySameReplica(t *testing.T) {
	rdb, ns := testkit.Redis(t)
	a := replica(rdb, ns)
	ss, _ := openSession(t, a, sessionSigner)

	var calls []capturedCall
	for range 5 {
		calls = append(calls, sessionCall(ss))
	}
	for _, i := range []int{0, 3, 1, 4, 2} { // out of order, as concurrent calls arrive
		c, err := verify(a, calls[i])
		if err != nil {
			t.Fatalf("session call %d: %v", i, err)
		}
		if c.Kind != CallerService || c.Service != "social" || c.KeyID != "s1" {
			t.Fatalf("session call %d: caller %+v", i, c)
		}
	}
	for i, c := range calls {
		if _, err := verify(a, c); errs.CodeOf(err) != errs.CodeNonceReplayed {
			t.Errorf("replay of session call %d: %v, want nonce_replayed", i, err)
		}
	}
	// Far behind the newest: refused, retryable (sign it again).
	old := sessionCall(ss)
	for range sessionWindow + 1 {
		if _, err := verify(a, sessionCall(ss)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := verify(a, old); errs.CodeOf(err) != errs.CodeSignatureStale {
		t.Errorf("a call %d behind the newest: %v, want signature_stale", sessionWindow+1, err)
	}

	// Tampering: another body; another session id, sequence number or
	// timestamp in the header; signed with another key's secret, or for
	// another service name, than the session was opened with.
	c := sessionCall(ss)
	if _, err := a.Verify(context.Background(), c.request(), []byte(`{"other":1}`)); errs.CodeOf(err) != errs.CodeSignatureInvalid {
		t.Errorf("another body: %v, want signature_invalid", err)
	}
	other, _ := openSession(t, a, sessionSigner)
	fields := strings.Split(c.header.Get(HeaderSession), " ")
	ts, err := strconv.ParseInt(fields[2], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"another session's id", "another sequence number", "another timestamp"} {
		f := slices.Clone(fields)
		f[i] = []string{other.ID, "1000000", strconv.FormatInt(ts-1, 10)}[i]
		r := c.request()
		r.Header.Set(HeaderSession, strings.Join(f, " "))
		if _, err := a.Verify(context.Background(), r, testBody); errs.CodeOf(err) != errs.CodeSignatureInvalid {
			t.Errorf("%s: %v, want signature_invalid", name, err)
		}
	}
	for name, s := range map[string]Signer{
		"another key's secret": {KeyID: "s2", Secret: otherSecret, Service: "social"},
		"another service name": {KeyID: "s1", Secret: testSecret, Service: "hub"},
	} {
		if _, err := verify(a, sessionCall(s.Session(ss.ID))); errs.CodeOf(err) != errs.CodeSignatureInvalid {
			t.Errorf("a call signed with %s: %v, want signature_invalid", name, err)
		}
	}
	// The headers of a full call, added to a session call, change nothing:
	// the caller is the session's.
	r := c.request()
	r.Header.Set(HeaderService, "hub")
	r.Header.Set(HeaderKeyID, "s2")
	if got, err := a.Verify(context.Background(), r, testBody); err != nil || got.Service != "social" || got.KeyID != "s1" {
		t.Errorf("the call with X-Service: hub and X-Service-Key-Id: s2 added: %+v, %v; want accepted as the session's caller", got, err)
	}
	if _, err := verify(a, c); errs.CodeOf(err) != errs.CodeNonceReplayed {
		t.Errorf("the untampered call after all that: %v, want nonce_replayed (accepted once, with the headers added)", err)
	}
}

// TestSessionCallFormat: a session call carries the session id, its
// sequence number, the timestamp and the signature in X-Service-Session
// and nothing else of a signed call's; a value that is not four
// well-formed fields is refused, and an id alone (a session call as made
// before the session headers became one) is refused as stale, so that its
// caller signs again in full.
func TestSessionCallFormat(t *testing.T) {
	v := &ServiceVerifier{Keys: map[string][]byte{"s1": testSecret}, Nonces: NewMemoryNonces(), Sessions: NewSessions()}
	ss, _ := openSession(t, v, sessionSigner)
	at := time.Now()
	r := httptest.NewRequest(http.MethodPost, "/rpc", bytes.NewReader(testBody))
	sessionSigner.Sign(r, testBody) // a full call's headers, which a session call drops
	ss.sign(r, testBody, at)
	if len(r.Header) != 1 {
		t.Errorf("a session call's headers: %v, want X-Service-Session only", r.Header)
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	sig := sessionSignatureText(&ss.mac, http.MethodPost, "/rpc", ts, ss.ID, "1", "social", "s1", "", testBody)
	if got, want := r.Header.Get(HeaderSession), ss.ID+" 1 "+ts+" "+string(sig[:]); got != want {
		t.Errorf("X-Service-Session = %q, want %q", got, want)
	}
	if !IsServiceCall(r) {
		t.Error("IsServiceCall of a session call = false")
	}
	good := r.Header.Get(HeaderSession)
	f := strings.Split(good, " ")
	for _, bad := range []string{
		" " + good, good + " ", strings.Replace(good, " ", "  ", 1), strings.Join(f[:3], " "),
		strings.Join([]string{f[0], "0", f[2], f[3]}, " "), strings.Join([]string{f[0], "-1", f[2], f[3]}, " "),
		strings.Join([]string{f[0], "+2", f[2], f[3]}, " "), strings.Join([]string{f[0], "99999999999999999999", f[2], f[3]}, " "),
		strings.Join([]string{f[0], f[1], "9999999999999999999", f[3]}, " "), strings.Join([]string{f[0], f[1], "", f[3]}, " "),
		strings.Join([]string{"short", f[1], f[2], f[3]}, " "), strings.Join([]string{f[0], f[1], f[2], f[3][1:]}, " "),
	} {
		r := httptest.NewRequest(http.MethodPost, "/rpc", bytes.NewReader(testBody))
		r.Header.Set(HeaderSession, bad)
		if _, err := v.Verify(context.Background(), r, testBody); errs.CodeOf(err) != errs.CodeSignatureInvalid {
			t.Errorf("X-Service-Session %q: %v, want signature_invalid", bad, err)
		}
	}
	// A session call of the previous format: the id in X-Service-Session,
	// the sequence number in X-Service-Seq, a signed call's other headers.
	old := httptest.NewRequest(http.MethodPost, "/rpc", bytes.NewReader(testBody))
	h := old.Header
	h.Set(HeaderService, "social")
	h.Set(HeaderKeyID, "s1")
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSession, ss.ID)
	h.Set("X-Service-Seq", "7")
	h.Set(HeaderSignature, signature(ss.mac.key, http.MethodPost, "/rpc", ts, ss.ID+":7", "social", "s1", "", testBody))
	if _, err := v.Verify(context.Background(), old, testBody); errs.CodeOf(err) != errs.CodeSignatureStale {
		t.Errorf("a session call of the previous format: %v, want signature_stale", err)
	}
	if _, err := v.Verify(context.Background(), r, testBody); err != nil {
		t.Errorf("the well-formed call: %v", err)
	}
}

// TestSessionTwoReplicas: a session belongs to the replica that opened it.
// The same call sent to two replicas at the same time is accepted by
// exactly one; so is an opening call (its nonce goes through Redis).
func TestSessionTwoReplicas(t *testing.T) {
	rdb, ns := testkit.Redis(t)
	a, b := replica(rdb, ns), replica(rdb, ns)
	ss, opening := openSession(t, a, sessionSigner)
	if _, err := verify(b, opening); errs.CodeOf(err) != errs.CodeNonceReplayed {
		t.Fatalf("the opening call replayed to the other replica: %v, want nonce_replayed", err)
	}

	c := sessionCall(ss)
	if _, err := verify(b, c); errs.CodeOf(err) != errs.CodeSignatureStale {
		t.Fatalf("a session call sent to the other replica: %v, want signature_stale (retryable: sign it again)", err)
	}
	if _, err := verify(a, c); err != nil {
		t.Fatalf("the same call to the replica of its session: %v", err)
	}
	if _, err := verify(b, c); err == nil {
		t.Fatal("the accepted call replayed to the other replica was accepted")
	}

	// The other replica opens a session of its own for the same caller:
	// calls of the first session still do not verify there.
	ssb, _ := openSession(t, b, sessionSigner)
	if ssb.ID == ss.ID {
		t.Fatal("two replicas opened sessions with the same id")
	}
	c = sessionCall(ss)
	if _, err := verify(a, c); err != nil {
		t.Fatal(err)
	}
	if _, err := verify(b, c); err == nil {
		t.Fatal("a call of a's session was accepted by b, which has a session of the same caller")
	}

	// At the same time, to both: once each.
	const n = 200
	var wg sync.WaitGroup
	accepted := make([]int, n)
	var mu sync.Mutex
	for i := range n {
		var call capturedCall
		if i%2 == 0 {
			call = sessionCall(ss)
		} else {
			r := httptest.NewRequest(http.MethodPost, "/rpc", bytes.NewReader(testBody))
			sessionSigner.Sign(r, testBody) // a fully signed call, nonce in Redis
			call = capturedCall{r.Header.Clone(), testBody}
		}
		for _, v := range []*ServiceVerifier{a, b, a, b} {
			wg.Go(func() {
				if _, err := verify(v, call); err == nil {
					mu.Lock()
					accepted[i]++
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	for i, k := range accepted {
		if k != 1 {
			t.Errorf("call %d (sent twice to each replica at once) accepted %d times, want once", i, k)
		}
	}
}

// TestSessionAfterRestart: a replica that restarts has no sessions, so the
// calls of the sessions it had are refused (retryable: the caller signs
// again and opens a new one); a Redis that restarts empty does not let an
// opening call be replayed, and the sessions themselves never depended on
// it.
func TestSessionAfterRestart(t *testing.T) {
	t.Run("replica", func(t *testing.T) {
		rdb, ns := testkit.Redis(t)
		a := replica(rdb, ns)
		ss, opening := openSession(t, a, sessionSigner)
		accepted := sessionCall(ss)
		if _, err := verify(a, accepted); err != nil {
			t.Fatal(err)
		}
		pending := sessionCall(ss) // signed before the restart, never sent

		a = replica(rdb, ns) // the same replica, restarted
		for name, c := range map[string]capturedCall{"accepted": accepted, "pending": pending} {
			if _, err := verify(a, c); errs.CodeOf(err) != errs.CodeSignatureStale {
				t.Errorf("%s session call after the restart: %v, want signature_stale", name, err)
			}
		}
		if _, err := verify(a, opening); errs.CodeOf(err) != errs.CodeNonceReplayed {
			t.Errorf("the opening call replayed after the restart: %v, want nonce_replayed", err)
		}
		ss2, _ := openSession(t, a, sessionSigner)
		if _, err := verify(a, sessionCall(ss2)); err != nil {
			t.Errorf("a new session after the restart: %v", err)
		}
	})
	t.Run("redis", func(t *testing.T) {
		srv := testkit.StartRedisServer(t)
		a := &ServiceVerifier{Keys: map[string][]byte{"s1": testSecret}, Nonces: NewRedisNonces(srv.Client(), ""), Sessions: NewSessions()}
		var ss *SessionSigner
		var opening capturedCall
		for range 10 { // a new Redis refuses calls signed in its first second
			r := httptest.NewRequest(http.MethodPost, "/rpc", bytes.NewReader(testBody))
			r.Header.Set(HeaderSession, SessionOpen)
			sessionSigner.Sign(r, testBody)
			c, err := a.Verify(context.Background(), r, testBody)
			if e, ok := errs.As(err); ok && e.Code == errs.CodeSignatureStale {
				waitRetry(e)
				continue
			}
			if err != nil || c.OpenedSession == "" {
				t.Fatalf("opening call: %+v, %v", c, err)
			}
			ss, opening = sessionSigner.Session(c.OpenedSession), capturedCall{r.Header.Clone(), testBody}
			break
		}
		if ss == nil {
			t.Fatal("no session opened")
		}
		accepted := sessionCall(ss)
		if _, err := verify(a, accepted); err != nil {
			t.Fatal(err)
		}

		srv.Restart()

		if _, err := verify(a, opening); errs.CodeOf(err) != errs.CodeSignatureStale {
			t.Errorf("the opening call replayed after Redis restarted: %v, want signature_stale", err)
		}
		if _, err := verify(a, accepted); errs.CodeOf(err) != errs.CodeNonceReplayed {
			t.Errorf("an accepted session call replayed after Redis restarted: %v, want nonce_replayed", err)
		}
		if _, err := verify(a, sessionCall(ss)); err != nil {
			t.Errorf("a new call of the session after Redis restarted: %v", err)
		}
	})
}

// TestSessionsBounded: a replica keeps at most MaxSessions; past it an
// opening call is still accepted, without a session.
func TestSessionsBounded(t *testing.T) {
	v := &ServiceVerifier{Keys: map[string][]byte{"s1": testSecret}, Nonces: NewMemoryNonces(), Sessions: NewSessions()}
	v.Sessions.MaxSessions = 3
	for range 3 {
		openSession(t, v, sessionSigner)
	}
	r := httptest.NewRequest(http.MethodPost, "/rpc", bytes.NewReader(testBody))
	r.Header.Set(HeaderSession, SessionOpen)
	sessionSigner.Sign(r, testBody)
	c, err := v.Verify(context.Background(), r, testBody)
	if err != nil || c.OpenedSession != "" {
		t.Errorf("an opening call past MaxSessions: %+v, %v; want accepted without a session", c, err)
	}
}

// waitRetry waits as long as a retryable refusal asks.
func waitRetry(e *errs.Error) { time.Sleep(max(e.RetryAfter, 10*time.Millisecond)) }

// TestSessionMAC holds sessionMAC to crypto/hmac, for key lengths around
// the block size and messages around it, and its fallback (no saved
// states) too.
func TestSessionMAC(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, kl := range []int{0, 1, 32, 63, 64, 65, 200} {
		key := make([]byte, kl)
		for i := range key {
			key[i] = byte(rng.Uint32())
		}
		m := newSessionMAC(key)
		if m.inner == nil || m.outer == nil {
			t.Fatalf("key %d bytes: no saved states", kl)
		}
		for _, ml := range []int{0, 1, 55, 56, 64, 190, 447, 448, 5000} {
			msg := make([]byte, ml)
			for i := range msg {
				msg[i] = byte(rng.Uint32())
			}
			h := hmac.New(sha256.New, key)
			h.Write(msg)
			want := h.Sum(nil)
			if got := m.sum(msg); !bytes.Equal(got[:], want) {
				t.Errorf("key %d bytes, message %d bytes: %x, want %x", kl, ml, got, want)
			}
			if got := (&sessionMAC{key: key}).sum(msg); !bytes.Equal(got[:], want) {
				t.Errorf("fallback, key %d bytes, message %d bytes: %x, want %x", kl, ml, got, want)
			}
		}
	}
}

// TestSessionVerifyAllocs: checking a session call allocates nothing (the
// fields are substrings of the header, the hash sessionMAC resumes stays
// on the stack, the caller's names are the session's, the acting user's
// Authorization is hashed in place), with or without a user to act for.
func TestSessionVerifyAllocs(t *testing.T) {
	v := &ServiceVerifier{Keys: map[string][]byte{"s1": testSecret}, Nonces: NewMemoryNonces(), Sessions: NewSessions()}
	ss := sessionSigner.Session(v.Sessions.open("social", "s1", testSecret, time.Now()))
	for _, authz := range []string{"", "Bearer " + strings.Repeat("t", 400)} {
		const runs = 100
		reqs := make([]*http.Request, runs+1) // AllocsPerRun runs once more to warm up
		for i := range reqs {
			reqs[i] = httptest.NewRequest(http.MethodPost, "/rpc", nil)
			if authz != "" {
				reqs[i].Header.Set("Authorization", authz)
			}
			ss.Sign(reqs[i], testBody)
		}
		ctx := context.Background()
		allocs := testing.AllocsPerRun(runs, func() {
			if _, err := v.Verify(ctx, reqs[0], testBody); err != nil {
				t.Fatal(err)
			}
			reqs = reqs[1:]
		})
		if allocs != 0 {
			t.Errorf("Verify of a session call (Authorization %.10q): %v allocations, want 0", authz, allocs)
		}
	}
}

// TestServiceHeadersAreReadOnce: a request with several
// X-Service-Session or X-Service-Signature headers is judged by the first
// of each, the same way by IsServiceCall, Reach and Verify: a second
// value can neither smuggle a session call past a full call's checks nor
// turn a refused call into an accepted one.
func TestServiceHeadersAreReadOnce(t *testing.T) {
	v := &ServiceVerifier{Keys: map[string][]byte{"s1": testSecret}, Nonces: NewMemoryNonces(), Sessions: NewSessions()}
	a := &Authenticator{Services: v}
	signer := Signer{KeyID: "s1", Secret: testSecret, Service: "social"}
	ss, _ := openSession(t, v, signer)
	good := sessionCall(ss)

	// A forged full call with the good session call's header second.
	r := httptest.NewRequest(http.MethodPost, "/rpc", bytes.NewReader(testBody))
	signer.Sign(r, []byte("another body"))
	r.Header[HeaderSession] = []string{SessionOpen, good.header.Get(HeaderSession)}
	if _, err := a.Authenticate(t.Context(), r, testBody); errs.CodeOf(err) != errs.CodeSignatureInvalid {
		t.Errorf("a forged full call, a session call's header second: %v, want signature_invalid", err)
	}
	// A garbage session value first, the good one second.
	r = good.request()
	r.Header[HeaderSession] = []string{"garbage value here x", good.header.Get(HeaderSession)}
	if _, err := a.Authenticate(t.Context(), r, testBody); err == nil {
		t.Error("a bad session value first, a good one second: accepted")
	}
	if got, err := a.Reach(r); got != Public || err == nil {
		t.Errorf("Reach of a bad session value first: %v, %v; want public and an error", got, err)
	}
	// The good one alone still verifies once (the refusals above recorded nothing).
	if _, err := a.Authenticate(t.Context(), good.request(), testBody); err != nil {
		t.Errorf("the good session call: %v", err)
	}
}
