package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
	"github.com/google/go-cmp/cmp"
)

var (
	testSecret  = []byte("0123456789abcdef0123456789abcdef")
	otherSecret = []byte("fedcba9876543210fedcba9876543210")
	testBody    = []byte(`{"jsonrpc":"2.0","method":"hub.getApp","params":{"app":"a1"},"id":1}`)
)

func signedRequest(t *testing.T, s Signer, at time.Time, nonce string, body []byte) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://hub.internal/rpc", bytes.NewReader(body))
	s.sign(r, body, at, nonce)
	return r
}

func redisVerifier(t *testing.T, now time.Time) (*ServiceVerifier, func(nonce string) bool) {
	t.Helper()
	rdb, ns := testkit.Redis(t)
	v := &ServiceVerifier{
		Keys:   map[string][]byte{"s1": testSecret, "s2": otherSecret},
		Nonces: NewRedisNonces(rdb, ns),
		Now:    func() time.Time { return now },
	}
	stored := func(nonce string) bool {
		n, err := rdb.Exists(context.Background(), NewRedisNonces(rdb, ns).nonceKeys(nonce)[1]).Result()
		if err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	return v, stored
}

// liveClock is the verifiers' clock in the tests that keep nonces in Redis:
// the nonce store's epoch comes from Redis's clock, so the calls must be
// signed around the real time, not at t0.
func liveClock() time.Time { return time.Now().Truncate(time.Second) }

func TestServiceSignVerify(t *testing.T) {
	t0 := liveClock()
	v, stored := redisVerifier(t, t0)
	s := Signer{KeyID: "s1", Secret: testSecret, Service: "social"}
	r := signedRequest(t, s, t0, "nonce-0000000000000001", testBody)

	got, err := v.Verify(context.Background(), r, testBody)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if diff := cmp.Diff(Caller{Kind: CallerService, Service: "social", KeyID: "s1"}, got); diff != "" {
		t.Errorf("caller (-want +got):\n%s", diff)
	}
	if !stored("nonce-0000000000000001") {
		t.Error("the nonce of an accepted call is not in Redis")
	}

	// The same request again is a replay.
	_, err = v.Verify(context.Background(), r, testBody)
	wantCode(t, err, errs.CodeNonceReplayed)
}

func TestServiceSignRealClock(t *testing.T) {
	rdb, ns := testkit.Redis(t)
	v := &ServiceVerifier{Keys: map[string][]byte{"s1": testSecret}, Nonces: NewRedisNonces(rdb, ns)}
	s := Signer{KeyID: "s1", Secret: testSecret, Service: "social"}
	for range 3 { // a fresh nonce each time
		r := httptest.NewRequest(http.MethodPost, "/rpc", bytes.NewReader(testBody))
		s.Sign(r, testBody)
		if _, err := v.Verify(context.Background(), r, testBody); err != nil {
			t.Fatalf("Verify: %v", err)
		}
	}
}

func TestServiceVerifyRejects(t *testing.T) {
	t0 := liveClock()
	s := Signer{KeyID: "s1", Secret: testSecret, Service: "social"}
	tests := []struct {
		name   string
		at     time.Time // when the call was signed; the verifier's clock is t0
		signer Signer
		change func(r *http.Request) []byte // returns the body the server sees
		want   errs.Code
		stored bool // whether the nonce ends up recorded
	}{
		{"body changed", t0, s, func(r *http.Request) []byte {
			return []byte(`{"jsonrpc":"2.0","method":"hub.deleteApp","params":{"app":"a1"},"id":1}`)
		}, errs.CodeSignatureInvalid, false},
		{"path changed", t0, s, func(r *http.Request) []byte { r.URL.Path = "/admin/rpc"; return testBody }, errs.CodeSignatureInvalid, false},
		{"query added", t0, s, func(r *http.Request) []byte { r.URL.RawQuery = "debug=1"; return testBody }, errs.CodeSignatureInvalid, false},
		{"method changed", t0, s, func(r *http.Request) []byte { r.Method = http.MethodPut; return testBody }, errs.CodeSignatureInvalid, false},
		{"service header changed", t0, s, func(r *http.Request) []byte { r.Header.Set(HeaderService, "hub"); return testBody }, errs.CodeSignatureInvalid, false},
		{"key id header changed", t0, s, func(r *http.Request) []byte { r.Header.Set(HeaderKeyID, "s2"); return testBody }, errs.CodeSignatureInvalid, false},
		{"unknown key id", t0, s, func(r *http.Request) []byte { r.Header.Set(HeaderKeyID, "s9"); return testBody }, errs.CodeSignatureInvalid, false},
		{"timestamp header changed", t0, s, func(r *http.Request) []byte { r.Header.Set(HeaderTimestamp, fmt.Sprint(t0.Unix()+1)); return testBody }, errs.CodeSignatureInvalid, false},
		{"nonce header changed", t0, s, func(r *http.Request) []byte { r.Header.Set(HeaderNonce, "nonce-9999999999999999"); return testBody }, errs.CodeSignatureInvalid, false},
		{"signature header changed", t0, s, func(r *http.Request) []byte {
			sig := []byte(r.Header.Get(HeaderSignature))
			sig[3] ^= 1
			r.Header.Set(HeaderSignature, string(sig))
			return testBody
		}, errs.CodeSignatureInvalid, false},
		{"signature missing", t0, s, func(r *http.Request) []byte { r.Header.Del(HeaderSignature); return testBody }, errs.CodeSignatureInvalid, false},
		{"acting user added", t0, s, func(r *http.Request) []byte { SetBearerToken(r, "someone's token"); return testBody }, errs.CodeSignatureInvalid, false},
		{"nonce too short", t0, s, func(r *http.Request) []byte { r.Header.Set(HeaderNonce, "abc"); return testBody }, errs.CodeSignatureInvalid, false},
		{"signed with another secret", t0, Signer{KeyID: "s1", Secret: otherSecret, Service: "social"}, nil, errs.CodeSignatureInvalid, false},
		{"old timestamp", t0.Add(-DefaultWindow - time.Second), s, nil, errs.CodeSignatureExpired, false},
		{"future timestamp", t0.Add(DefaultWindow + time.Second), s, nil, errs.CodeSignatureExpired, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, stored := redisVerifier(t, t0)
			nonce := "nonce-00000000000000" + string(rune('a'+i))
			r := signedRequest(t, tt.signer, tt.at, nonce, testBody)
			body := testBody
			if tt.change != nil {
				body = tt.change(r)
			}
			_, err := v.Verify(context.Background(), r, body)
			wantCode(t, err, tt.want)
			if got := stored(nonce); got != tt.stored {
				t.Errorf("nonce recorded = %v, want %v", got, tt.stored)
			}
		})
	}
}

func TestServiceVerifyWindowEdges(t *testing.T) {
	t0 := liveClock().Add(DefaultWindow) // so that t0-DefaultWindow is not before the nonce store's epoch
	v, _ := redisVerifier(t, t0)
	s := Signer{KeyID: "s2", Secret: otherSecret, Service: "analytics"}
	for i, at := range []time.Time{t0.Add(-DefaultWindow), t0.Add(DefaultWindow)} {
		r := signedRequest(t, s, at, "edge-nonce-000000000"+string(rune('a'+i)), testBody)
		if _, err := v.Verify(context.Background(), r, testBody); err != nil {
			t.Errorf("signed %s from now: %v, want accepted", at.Sub(t0), err)
		}
	}
}

func TestServiceVerifyStoreDown(t *testing.T) {
	v := &ServiceVerifier{Keys: map[string][]byte{"s1": testSecret}, Nonces: failingNonces{}, Now: func() time.Time { return t0 }}
	r := signedRequest(t, Signer{KeyID: "s1", Secret: testSecret, Service: "social"}, t0, "nonce-0000000000000001", testBody)
	_, err := v.Verify(context.Background(), r, testBody)
	if errs.KindOf(err) != errs.Unavailable {
		t.Errorf("err = %v, want kind unavailable (refused, retryable)", err)
	}
}

type failingNonces struct{}

func (failingNonces) Remember(context.Context, string, time.Time, time.Duration) (bool, error) {
	return false, errs.New(errs.Unavailable, "redis down")
}

func TestMemoryNonces(t *testing.T) {
	now := t0.Add(300 * time.Millisecond)
	s := newMemoryNonces(func() time.Time { return now })
	ctx := context.Background()
	for i, want := range []bool{true, false} {
		if got, err := s.Remember(ctx, "n1", t0, time.Minute); got != want || err != nil {
			t.Errorf("call %d: fresh = %v, %v, want %v", i, got, err, want)
		}
	}
	now = now.Add(2 * time.Minute)
	if got, _ := s.Remember(ctx, "n1", now, time.Minute); !got {
		t.Error("a nonce is still remembered after its ttl")
	}
	// A call signed in a second before the store was made may have been
	// accepted by the store it replaced: refused, and not recorded.
	var stale *StaleError
	if got, err := s.Remember(ctx, "n2", t0.Add(-time.Second), time.Minute); got || !errors.As(err, &stale) || !stale.Epoch.Equal(t0) {
		t.Errorf("signed before the store: fresh = %v, err = %v; want a StaleError with epoch %s", got, err, t0)
	}
	if got, err := s.Remember(ctx, "n2", t0, time.Minute); !got || err != nil {
		t.Errorf("n2 signed after the epoch: fresh = %v, %v; want fresh", got, err)
	}
}

// TestSignatureComparedInConstantTime guards the one line that must not
// regress: the signature is compared with hmac.Equal, never with == (which
// returns at the first differing byte and leaks how much of a guess is
// right). Timing itself is too noisy to test.
func TestSignatureComparedInConstantTime(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "service.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var verify *ast.FuncDecl
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == "Verify" {
			verify = fd
		}
	}
	if verify == nil {
		t.Fatal("no Verify in service.go")
	}
	usesHMACEqual := false
	ast.Inspect(verify, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Equal" {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "hmac" {
					usesHMACEqual = true
				}
			}
		case *ast.BinaryExpr:
			if n.Op != token.EQL && n.Op != token.NEQ {
				break
			}
			for _, side := range []ast.Expr{n.X, n.Y} {
				if id, ok := side.(*ast.Ident); ok && (id.Name == "sig" || id.Name == "want") {
					other := n.Y
					if side == n.Y {
						other = n.X
					}
					if lit, ok := other.(*ast.BasicLit); !ok || lit.Value != `""` {
						t.Errorf("%s: signature compared with %s", fset.Position(n.Pos()), n.Op)
					}
				}
			}
		}
		return true
	})
	if !usesHMACEqual {
		t.Error("Verify does not call hmac.Equal")
	}
}

func BenchmarkServiceVerify(b *testing.B) {
	v := &ServiceVerifier{Keys: map[string][]byte{"s1": testSecret}, Nonces: NewMemoryNonces()}
	s := Signer{KeyID: "s1", Secret: testSecret, Service: "social"}
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/rpc", nil)
		s.Sign(r, testBody)
		if _, err := v.Verify(context.Background(), r, testBody); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRedisNoncesUnderConcurrency: 64 goroutines remember 50 nonces each,
// every nonce twice over (calls grouped into shared round trips): each
// nonce is fresh exactly once, and a call whose context ends gets an error.
func TestRedisNoncesUnderConcurrency(t *testing.T) {
	rdb, ns := testkit.Redis(t)
	s := NewRedisNonces(rdb, ns)
	ctx := testkit.Context(t)
	const workers, each = 64, 50
	var fresh [workers * each]atomic.Int32
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				for _, n := range []int{w*each + i, (w*each + i + each) % (workers * each)} {
					ok, err := s.Remember(ctx, fmt.Sprint("n", n), time.Now(), time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if ok {
						fresh[n].Add(1)
					}
				}
			}
		})
	}
	wg.Wait()
	for n := range fresh {
		if got := fresh[n].Load(); got != 1 {
			t.Fatalf("nonce %d fresh %d times, want once", n, got)
		}
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Remember(done, "late", time.Now(), time.Minute); err == nil {
		t.Error("a call with an ended context succeeded")
	}
}

// BenchmarkRedisNonces measures the nonce check of signed service calls
// against the shared Redis, from concurrent callers (group commit).
func BenchmarkRedisNonces(b *testing.B) {
	rdb, ns := testkit.Redis(b)
	s := NewRedisNonces(rdb, ns)
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ok, err := s.Remember(context.Background(), fmt.Sprint("bench-nonce-", n.Add(1)), time.Now(), time.Minute)
			if err != nil || !ok {
				b.Fatal(ok, err)
			}
		}
	})
}

// TestHMACSHA256 holds the allocation-free HMAC to crypto/hmac, across key
// lengths around the block size and messages around the stack buffer.
func TestHMACSHA256(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, kl := range []int{0, 1, 32, 63, 64, 65, 200} {
		for _, ml := range []int{0, 1, 100, 447, 448, 449, 5000} {
			key, msg := make([]byte, kl), make([]byte, ml)
			for i := range key {
				key[i] = byte(rng.Uint32())
			}
			for i := range msg {
				msg[i] = byte(rng.Uint32())
			}
			m := hmac.New(sha256.New, key)
			m.Write(msg)
			if got := hmacSHA256(key, msg); !bytes.Equal(got[:], m.Sum(nil)) {
				t.Errorf("key %d bytes, message %d bytes: %x, want %x", kl, ml, got, m.Sum(nil))
			}
		}
	}
}

// BenchmarkSessionVerify measures the check of one session call, the
// request already signed.
func BenchmarkSessionVerify(b *testing.B) {
	v := &ServiceVerifier{Keys: map[string][]byte{"s1": testSecret}, Nonces: NewMemoryNonces(), Sessions: NewSessions()}
	s := Signer{KeyID: "s1", Secret: testSecret, Service: "social"}
	id := v.Sessions.open("social", "s1", testSecret, time.Now())
	ss := s.Session(id)
	reqs := make([]*http.Request, b.N)
	for i := range reqs {
		reqs[i] = httptest.NewRequest(http.MethodPost, "/rpc", nil)
		ss.Sign(reqs[i], testBody)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := v.Verify(context.Background(), reqs[i], testBody); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSessionVerifyParallel is BenchmarkSessionVerify with the calls
// of one session checked at once on every CPU, as a replica serving one
// busy caller does: with -mutexprofile it shows what the session's lock
// costs under contention. A goroutine descheduled for long between taking
// a call and checking it may find the call more than the window behind the
// newest: refused as stale (retryable), as the server would; stale/op
// counts them.
func BenchmarkSessionVerifyParallel(b *testing.B) {
	v := &ServiceVerifier{Keys: map[string][]byte{"s1": testSecret}, Nonces: NewMemoryNonces(), Sessions: NewSessions()}
	s := Signer{KeyID: "s1", Secret: testSecret, Service: "social"}
	id := v.Sessions.open("social", "s1", testSecret, time.Now())
	ss := s.Session(id)
	reqs := make([]*http.Request, b.N)
	for i := range reqs {
		reqs[i] = httptest.NewRequest(http.MethodPost, "/rpc", nil)
		ss.Sign(reqs[i], testBody)
	}
	var next, stale atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, err := v.Verify(context.Background(), reqs[next.Add(1)-1], testBody)
			if errs.CodeOf(err) == errs.CodeSignatureStale {
				stale.Add(1)
			} else if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(stale.Load())/float64(b.N), "stale/op")
}

// TestServiceHeadersCanonical: the service headers are looked up by their
// names as written (header), which works only for canonical names.
func TestServiceHeadersCanonical(t *testing.T) {
	for _, name := range []string{HeaderService, HeaderKeyID, HeaderTimestamp, HeaderNonce, HeaderSignature, HeaderSession} {
		if c := http.CanonicalHeaderKey(name); c != name {
			t.Errorf("%s is not canonical (%s)", name, c)
		}
	}
}

func TestEmptySHA256(t *testing.T) {
	if sum := sha256.Sum256(nil); emptySHA256 != fmt.Sprintf("%x", sum) {
		t.Errorf("emptySHA256 = %s, want %x", emptySHA256, sum)
	}
}

// TestActingUserIsSigned: a service call acting for a user carries the
// user's token in Authorization, and the signature covers it, for a fully
// signed call and a session call alike. Whoever is on the path of such a
// call (the threat the nonces and sessions are built against) can neither
// drop the token, which would make the call the bare service's (allowed
// everywhere: Caller.Allows), nor put another user's in its place, nor
// add one to a call made for no user, nor add a second Authorization
// header after the signed one.
func TestActingUserIsSigned(t *testing.T) {
	c := &clock{time.Now()}
	is := newTestIssuer("k1", c)
	member := mustIssue(t, is, Claims{User: "u1", App: "a1", Role: RoleAttendee}, time.Hour)
	other := mustIssue(t, is, Claims{User: "u2", App: "a1", Role: RoleOwner}, time.Hour)
	v := &ServiceVerifier{Keys: map[string][]byte{"s1": testSecret}, Nonces: NewMemoryNonces(), Sessions: NewSessions()}
	a := &Authenticator{Tokens: newTestVerifier(c, "k1"), Services: v}
	signer := Signer{KeyID: "s1", Secret: testSecret, Service: "social"}
	ss, _ := openSession(t, v, signer)

	for _, call := range []struct {
		name string
		sign func(r *http.Request, body []byte)
	}{{"a signed call", signer.Sign}, {"a session call", ss.Sign}} {
		for _, tc := range []struct {
			name   string
			token  string // the user the call is signed for; "" for none
			change func(r *http.Request)
		}{
			{"the member's token dropped", member, func(r *http.Request) { r.Header.Del("Authorization") }},
			{"another user's token", member, func(r *http.Request) { SetBearerToken(r, other) }},
			{"a token added", "", func(r *http.Request) { SetBearerToken(r, other) }},
			{"a second token after it", member, func(r *http.Request) { r.Header.Add("Authorization", "Bearer "+other) }},
			{"a second token before it", member, func(r *http.Request) {
				r.Header["Authorization"] = append([]string{"Bearer " + other}, r.Header["Authorization"]...)
			}},
			{"the token's scheme spelled otherwise", member, func(r *http.Request) { r.Header.Set("Authorization", "bearer "+member) }},
		} {
			// The call as social signs it, for the member.
			r := httptest.NewRequest(http.MethodPost, "/rpc", bytes.NewReader(testBody))
			if tc.token != "" {
				SetBearerToken(r, tc.token)
			}
			call.sign(r, testBody)
			tc.change(r) // on its way
			got, err := a.Authenticate(t.Context(), r, testBody)
			if errs.CodeOf(err) != errs.CodeSignatureInvalid {
				t.Errorf("%s for user %q with %s: %+v, %v; want signature_invalid", call.name, tc.token, tc.name, got, err)
			}
		}
		// As signed, it acts for the member.
		r := httptest.NewRequest(http.MethodPost, "/rpc", bytes.NewReader(testBody))
		SetBearerToken(r, member)
		call.sign(r, testBody)
		got, err := a.Authenticate(t.Context(), r, testBody)
		if err != nil || got.Kind != CallerService || got.Service != "social" || got.User != "u1" || got.Role != RoleAttendee {
			t.Errorf("%s for the member, as signed: %+v, %v", call.name, got, err)
		}
	}
}
