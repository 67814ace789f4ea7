package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/obs"
	"github.com/attendify/platform/testkit"
)

type echoParams struct {
	Text string `json:"text" jsonschema:"maxLength=100"`
}

var (
	echoMethod     = Method[echoParams, echoParams]{Name: "echo", Auth: auth.Public, Idempotent: true}
	createMethod   = Method[echoParams, echoParams]{Name: "create", Auth: auth.Public}
	missingMethod  = Method[echoParams, echoParams]{Name: "missing", Auth: auth.Public, Idempotent: true}
	internalMethod = Method[echoParams, echoParams]{Name: "internal", Auth: auth.Service}
)

func newClient(t *testing.T, urls ...string) *Client {
	t.Helper()
	c, err := NewClient(ClientOptions{Endpoints: urls})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClientTypedCallAndRemoteErrors(t *testing.T) {
	s := NewServer(Options{})
	Handle(s, echoMethod, func(_ context.Context, p echoParams) (echoParams, error) { return p, nil })
	Handle(s, missingMethod, func(context.Context, echoParams) (echoParams, error) {
		return echoParams{}, errs.New(errs.NotFound, "no such thing")
	})
	ts := httptest.NewServer(s)
	defer ts.Close()
	c := newClient(t, ts.URL)

	got, err := echoMethod.Call(context.Background(), c, echoParams{Text: "hi"})
	if err != nil || got.Text != "hi" {
		t.Fatalf("echo = %+v, %v", got, err)
	}
	_, err = missingMethod.Call(context.Background(), c, echoParams{})
	if !errors.Is(err, errs.NotFound) || !strings.Contains(err.Error(), "no such thing") {
		t.Errorf("remote not-found came back as %v", err)
	}
	_, err = echoMethod.Call(context.Background(), c, echoParams{Text: strings.Repeat("x", 101)})
	if e, ok := errs.As(err); !ok || !errors.Is(err, errs.Invalid) || len(e.Fields) != 1 || e.Fields[0].Field != "/text" {
		t.Errorf("invalid params came back as %#v", err)
	}
}

func TestClientBatch(t *testing.T) {
	s := NewServer(Options{})
	Handle(s, echoMethod, func(_ context.Context, p echoParams) (echoParams, error) { return p, nil })
	Handle(s, missingMethod, func(context.Context, echoParams) (echoParams, error) {
		return echoParams{}, errs.New(errs.NotFound, "gone")
	})
	ts := httptest.NewServer(s)
	defer ts.Close()
	c := newClient(t, ts.URL)
	var a, b, m echoParams
	calls := []*BatchCall{
		NewBatchCall(echoMethod, echoParams{Text: "a"}, &a),
		NewBatchCall(missingMethod, echoParams{}, &m),
		NewBatchCall(echoMethod, echoParams{Text: "b"}, &b),
	}
	if err := c.Batch(context.Background(), calls...); err != nil {
		t.Fatal(err)
	}
	if a.Text != "a" || b.Text != "b" || calls[0].Err != nil || calls[2].Err != nil {
		t.Errorf("a=%q b=%q errs=%v %v", a.Text, b.Text, calls[0].Err, calls[2].Err)
	}
	if !errors.Is(calls[1].Err, errs.NotFound) {
		t.Errorf("second call err = %v", calls[1].Err)
	}
}

// TestClientReadsAnyWellFormedAnswer: the client takes answers apart with
// the scanner, not encoding/json; answers of other servers, in any member
// order, spacing or escaping JSON allows, decode as before, and a body that
// is not a JSON-RPC response fails the call as unavailable.
func TestClientReadsAnyWellFormedAnswer(t *testing.T) {
	var answer atomic.Value
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(answer.Load().(string)))
	}))
	defer ts.Close()
	c := newClient(t, ts.URL)
	for _, tc := range []struct {
		name, body string
		want       string    // the echoed text, or
		kind       errs.Kind // the error's kind, when fails
		fails      bool
	}{
		{"members in another order, spaced", " \n{ \"result\" : {\"text\":\"hi\"} ,\n\t\"id\": 1, \"jsonrpc\":\"2.0\" } \n", "hi", 0, false},
		{"escapes in the result", `{"jsonrpc":"2.0","id":1,"result":{"text":"\u00e9t\u00e9 \"q\""}}`, `été "q"`, 0, false},
		{"null result", `{"jsonrpc":"2.0","id":1,"result":null}`, "", 0, false},
		{"error with data", `{"jsonrpc":"2.0","id":1,"error":{"code":1004,"message":"nope","data":{"fields":[{"field":"/text","message":"bad"}]}}}`, "", errs.NotFound, true},
		{"null error beside a result", `{"jsonrpc":"2.0","id":1,"error":null,"result":{"text":"ok"}}`, "ok", 0, false},
		{"not JSON", `{"jsonrpc":"2.0","id":1,"result":{"text":"hi"}`, "", errs.Unavailable, true},
		{"trailing garbage", `{"jsonrpc":"2.0","id":1,"result":{}} x`, "", errs.Unavailable, true},
		{"an array for a lone call", `[{"jsonrpc":"2.0","id":1,"result":{}}]`, "", errs.Unavailable, true},
		{"a string", `"hello"`, "", errs.Unavailable, true},
		{"error not an object", `{"jsonrpc":"2.0","id":1,"error":"boom"}`, "", errs.Unavailable, true},
	} {
		answer.Store(tc.body)
		got, err := echoMethod.Call(t.Context(), c, echoParams{Text: "x"})
		if tc.fails {
			if errs.KindOf(err) != tc.kind {
				t.Errorf("%s: err = %v, want kind %s", tc.name, err, tc.kind)
			}
			continue
		}
		if err != nil || got.Text != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got.Text, err, tc.want)
		}
		// A raw result is the result's bytes, as encoding/json gives them.
		var whole struct{ Result json.RawMessage }
		if err := json.Unmarshal([]byte(tc.body), &whole); err != nil {
			t.Fatal(err)
		}
		raw := json.RawMessage("stale")
		if err := c.Call(t.Context(), echoMethod.Name, false, echoParams{Text: "x"}, &raw); err != nil || string(raw) != string(whole.Result) {
			t.Errorf("%s: raw result %q, %v; want %q", tc.name, raw, err, whole.Result)
		}
	}
}

// TestClientForwardsContext checks the request id, user token, remaining
// deadline and trace context reach the callee, and service calls are signed
// and verified (with nonces in Redis).
func TestClientForwardsContext(t *testing.T) {
	rdb, ns := testkit.Redis(t)
	cfg, err := auth.LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.ServiceName = "tester"
	issuer, err := cfg.Issuer()
	if err != nil {
		t.Fatal(err)
	}
	authn := &auth.Authenticator{Tokens: cfg.Verifier(), Services: cfg.ServiceVerifier(auth.NewRedisNonces(rdb, ns))}
	s := NewServer(Options{Auth: authn})
	type seen struct {
		requestID string
		caller    auth.Caller
		budget    time.Duration
		traceID   trace.TraceID
	}
	got := make(chan seen, 1)
	Handle(s, internalMethod, func(ctx context.Context, p echoParams) (echoParams, error) {
		dl, _ := ctx.Deadline()
		got <- seen{obs.RequestID(ctx), auth.CallerFrom(ctx), time.Until(dl), trace.SpanContextFromContext(ctx).TraceID()}
		return p, nil
	})
	ts := httptest.NewServer(s)
	defer ts.Close()

	signer, err := cfg.Signer()
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(ClientOptions{Endpoints: []string{ts.URL}, Signer: &signer})
	if err != nil {
		t.Fatal(err)
	}
	token, err := issuer.Issue(auth.Claims{User: "u1", App: "app1", Role: auth.RoleAttendee}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ctx := obs.WithRequestID(context.Background(), "rid-123")
	ctx = auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, User: "u1", App: "app1", Token: token})
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	traceID := trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	ctx = trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: traceID, SpanID: trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8}, TraceFlags: trace.FlagsSampled}))

	if _, err := internalMethod.Call(ctx, c, echoParams{Text: "x"}); err != nil {
		t.Fatal(err)
	}
	s1 := <-got
	if s1.requestID != "rid-123" {
		t.Errorf("request id = %q", s1.requestID)
	}
	if s1.caller.Kind != auth.CallerService || s1.caller.Service != "tester" || s1.caller.User != "u1" || s1.caller.App != "app1" {
		t.Errorf("caller = %+v", s1.caller)
	}
	if s1.budget <= 0 || s1.budget > 3*time.Second {
		t.Errorf("callee deadline %v, want within the caller's 3s", s1.budget)
	}
	if s1.traceID != traceID {
		t.Errorf("trace id = %v, want %v", s1.traceID, traceID)
	}

	// Unsigned, the same service-level method is refused.
	plain := newClient(t, ts.URL)
	if _, err := internalMethod.Call(context.Background(), plain, echoParams{}); !errors.Is(err, errs.Unauthenticated) {
		t.Errorf("unsigned call: %v", err)
	}
}

// flaky answers 503 to the first n requests, then serves s.
func flaky(s http.Handler, n int32, hits *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) <= n {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		s.ServeHTTP(w, r)
	})
}

func TestClientRetriesOnlyWhatIsSafe(t *testing.T) {
	s := NewServer(Options{})
	Handle(s, echoMethod, func(_ context.Context, p echoParams) (echoParams, error) { return p, nil })
	Handle(s, createMethod, func(_ context.Context, p echoParams) (echoParams, error) { return p, nil })

	t.Run("idempotent is retried", func(t *testing.T) {
		var hits atomic.Int32
		ts := httptest.NewServer(flaky(s, 1, &hits))
		defer ts.Close()
		if _, err := echoMethod.Call(context.Background(), newClient(t, ts.URL), echoParams{Text: "x"}); err != nil {
			t.Fatalf("not retried: %v", err)
		}
		if hits.Load() != 2 {
			t.Errorf("hits = %d, want 2", hits.Load())
		}
	})
	t.Run("non-idempotent is not retried after an ambiguous failure", func(t *testing.T) {
		var hits atomic.Int32
		ts := httptest.NewServer(flaky(s, 1, &hits))
		defer ts.Close()
		if _, err := createMethod.Call(context.Background(), newClient(t, ts.URL), echoParams{Text: "x"}); err == nil {
			t.Fatal("a non-idempotent call was retried after a 503 without a retryable code")
		}
		if hits.Load() != 1 {
			t.Errorf("hits = %d, want 1", hits.Load())
		}
	})
	// failOnce answers the first request with the JSON-RPC error code
	// (HTTP status), then serves s.
	failOnce := func(status int, code errs.Code, hits *atomic.Int32) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if hits.Add(1) == 1 {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				fmt.Fprintf(w, `{"jsonrpc":"2.0","error":{"code":%d,"message":"%s","data":{"retryable":true,"retry_after_ms":5}},"id":null}`, code, code.Name())
				return
			}
			s.ServeHTTP(w, r)
		})
	}
	for _, tc := range []struct {
		status     int
		code       errs.Code
		method     Method[echoParams, echoParams]
		wantresent bool
	}{
		// Refused before running: safe to send again for any method.
		{http.StatusServiceUnavailable, errs.CodeOverloaded, createMethod, true},
		{http.StatusOK, errs.CodeRateLimited, createMethod, true},
		{http.StatusOK, errs.CodeSignatureStale, createMethod, true},
		// A dependency failed: the call may have run; only an idempotent
		// one is sent again.
		{http.StatusOK, errs.CodeUnavailable, createMethod, false},
		{http.StatusServiceUnavailable, errs.CodeUnavailable, createMethod, false},
		{http.StatusOK, errs.CodeUnavailable, echoMethod, true},
		// A second try would have even less budget.
		{http.StatusOK, errs.CodeInsufficientBudget, echoMethod, false},
	} {
		t.Run(fmt.Sprintf("%s of %s (HTTP %d)", tc.code.Name(), tc.method.Name, tc.status), func(t *testing.T) {
			var hits atomic.Int32
			ts := httptest.NewServer(failOnce(tc.status, tc.code, &hits))
			defer ts.Close()
			_, err := tc.method.Call(context.Background(), newClient(t, ts.URL), echoParams{Text: "x"})
			if resent := hits.Load() == 2; resent != tc.wantresent || (err == nil) != tc.wantresent {
				t.Errorf("hits = %d, err = %v; want sent again: %v", hits.Load(), err, tc.wantresent)
			}
		})
	}
	t.Run("a stale signature is signed again", func(t *testing.T) {
		signer := auth.Signer{KeyID: "k1", Secret: []byte("0123456789abcdef0123456789abcdef"), Service: "importer"}
		verifier := &auth.ServiceVerifier{Keys: map[string][]byte{"k1": signer.Secret}, Nonces: auth.NewMemoryNonces()}
		signed := NewServer(Options{Auth: &auth.Authenticator{Services: verifier}})
		Handle(signed, Method[echoParams, echoParams]{Name: "record", Auth: auth.Service}, func(_ context.Context, p echoParams) (echoParams, error) { return p, nil })
		var sent []http.Header
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sent = append(sent, r.Header.Clone())
			if len(sent) == 1 { // the receiver's nonce store lost its memory after this call was signed
				fmt.Fprintf(w, `{"jsonrpc":"2.0","error":{"code":%d,"message":"stale","data":{"retryable":true,"retry_after_ms":5}},"id":1}`, errs.CodeSignatureStale)
				return
			}
			signed.ServeHTTP(w, r)
		}))
		defer ts.Close()
		c, err := NewClient(ClientOptions{Endpoints: []string{ts.URL}, Signer: &signer})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := (Method[echoParams, echoParams]{Name: "record", Auth: auth.Service}).Call(context.Background(), c, echoParams{Text: "x"}); err != nil {
			t.Fatalf("the call signed again was refused: %v", err)
		}
		if len(sent) != 2 || sent[0].Get(auth.HeaderNonce) == sent[1].Get(auth.HeaderNonce) {
			t.Errorf("%d attempts, nonces %q: want 2 attempts, each signed with its own nonce", len(sent), sent[0].Get(auth.HeaderNonce))
		}
	})
	t.Run("retry budget caps retries", func(t *testing.T) {
		var hits atomic.Int32
		ts := httptest.NewServer(flaky(s, 1<<30, &hits))
		defer ts.Close()
		c, _ := NewClient(ClientOptions{Endpoints: []string{ts.URL}, MinRetriesPerSecond: 1, RetryRatio: 0.1, ConsecutiveFailures: 1 << 20})
		const calls = 100
		for range calls {
			_, _ = echoMethod.Call(context.Background(), c, echoParams{})
		}
		// Without a budget 3 attempts each would make 300 hits.
		if h := hits.Load(); h > calls+calls/10+10 {
			t.Errorf("%d hits for %d calls: the retry budget did not hold", h, calls)
		}
	})
}

func TestClientBreakerAndBalancing(t *testing.T) {
	s := NewServer(Options{})
	Handle(s, echoMethod, func(_ context.Context, p echoParams) (echoParams, error) { return p, nil })
	var goodHits, slowHits atomic.Int32
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		goodHits.Add(1)
		s.ServeHTTP(w, r)
	}))
	defer good.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slowHits.Add(1)
		time.Sleep(20 * time.Millisecond)
		s.ServeHTTP(w, r)
	}))
	defer slow.Close()
	// A port nobody listens on: every attempt fails to connect.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + l.Addr().String()
	l.Close()

	c, err := NewClient(ClientOptions{Endpoints: []string{dead, good.URL, slow.URL}, OpenFor: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for range 200 {
		if _, err := echoMethod.Call(context.Background(), c, echoParams{Text: "x"}); err != nil {
			t.Fatalf("call failed although two endpoints are up: %v", err)
		}
	}
	if st := c.endpoints[0].breaker.State().String(); st != "open" {
		t.Errorf("dead endpoint's breaker is %s, want open", st)
	}
	if g, sl := goodHits.Load(), slowHits.Load(); g < 4*sl {
		t.Errorf("fast endpoint got %d calls, slow one %d: want most on the fast one", g, sl)
	}
}

// TestRateLimitedAnswersKeepTheCircuitClosed: an endpoint that answers 429
// (one caller over its limit) is healthy; its breaker must not open, or one
// rate-limited user would cut every caller of the client off the service.
func TestRateLimitedAnswersKeepTheCircuitClosed(t *testing.T) {
	var limited atomic.Bool
	limited.Store(true)
	s := NewServer(Options{})
	Handle(s, createMethod, func(_ context.Context, p echoParams) (echoParams, error) { return p, nil })
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if limited.Load() {
			WriteHTTPError(w, r, nil, &errs.Error{Code: errs.CodeRateLimited, Msg: "slow down", RetryAfter: time.Millisecond})
			return
		}
		s.ServeHTTP(w, r)
	}))
	defer ts.Close()
	c, err := NewClient(ClientOptions{Endpoints: []string{ts.URL}, ConsecutiveFailures: 2, OpenFor: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		_, err := createMethod.Call(context.Background(), c, echoParams{Text: "x"})
		if errs.CodeOf(err) != errs.CodeRateLimited {
			t.Fatalf("err = %v, want rate_limited", err)
		}
	}
	if st := c.endpoints[0].breaker.State().String(); st != "closed" {
		t.Errorf("breaker is %s after rate-limited answers, want closed", st)
	}
	limited.Store(false)
	if _, err := createMethod.Call(context.Background(), c, echoParams{Text: "x"}); err != nil {
		t.Errorf("call after the limit lifted: %v", err)
	}
}

// TestClientSessions: with Sessions, the client's first signed call to an
// endpoint asks for a service session and the next ones are signed in it
// (no nonce); when the replica no longer has the session (it restarted),
// the refused call is sent again signed in full and the endpoint goes
// without a session for SessionPause. So is a call whose body is past
// what a call without credentials may send (64 KiB): it is refused as
// signature_stale from its headers, not as too large.
func TestClientSessions(t *testing.T) {
	signer := auth.Signer{KeyID: "k1", Secret: []byte("0123456789abcdef0123456789abcdef"), Service: "importer"}
	newReplica := func() *Server {
		v := &auth.ServiceVerifier{Keys: map[string][]byte{"k1": signer.Secret}, Nonces: auth.NewMemoryNonces(), Sessions: auth.NewSessions()}
		s := NewServer(Options{Auth: &auth.Authenticator{Services: v}})
		Handle(s, Method[textParams, int]{Name: "record", Auth: auth.Service}, func(_ context.Context, p textParams) (int, error) { return len(p.Text), nil })
		return s
	}
	var mu sync.Mutex
	replica := newReplica()
	var sent []http.Header
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		sent = append(sent, r.Header.Clone())
		s := replica
		mu.Unlock()
		s.ServeHTTP(w, r)
	}))
	defer ts.Close()
	c, err := NewClient(ClientOptions{Endpoints: []string{ts.URL}, Signer: &signer, Sessions: true, SessionPause: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	call := func(text string) {
		t.Helper()
		if _, err := (Method[textParams, int]{Name: "record", Auth: auth.Service}).Call(context.Background(), c, textParams{Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	kinds := func() (k []string) {
		mu.Lock()
		defer mu.Unlock()
		for _, h := range sent {
			// A session call's X-Service-Session: "<id> <seq> <timestamp> <signature>".
			session := strings.Fields(h.Get(auth.HeaderSession))
			switch {
			case len(session) == 4:
				k = append(k, "session "+session[1])
			case h.Get(auth.HeaderSession) == auth.SessionOpen:
				k = append(k, "open")
			default:
				k = append(k, "full")
			}
		}
		sent = nil
		return k
	}
	for range 3 {
		call("x")
	}
	if got, want := kinds(), []string{"open", "session 1", "session 2"}; !slices.Equal(got, want) {
		t.Errorf("calls %q, want %q", got, want)
	}
	mu.Lock()
	replica = newReplica() // restarted: its sessions are gone
	mu.Unlock()
	call(strings.Repeat("x", 100<<10))
	call("x")
	if got, want := kinds(), []string{"session 3", "full", "full"}; !slices.Equal(got, want) {
		t.Errorf("after the replica restarted: calls %q, want %q (refused, sent again in full, no session for SessionPause)", got, want)
	}
}

// TestClientDoesNotFollowRedirectsWithSignedCalls: the client's
// default HTTP client follows redirects, and a 307 or 308 sends the call
// again, body and X-Service-* headers included, to wherever Location
// points (net/http drops only Authorization and cookies on the way to
// another host). A signed call whose nonce no service has seen is then in
// the hands of that host, which may send it once to any service of the
// deployment within the 5 minutes of its window.
//
// A client that signs now takes the 3xx as the answer: an error, and
// nothing sent elsewhere.
func TestClientDoesNotFollowRedirectsWithSignedCalls(t *testing.T) {
	var leaked http.Header
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked = r.Header.Clone()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","result":{"text":"x"},"id":1}`)
	}))
	defer elsewhere.Close()
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/rpc", http.StatusTemporaryRedirect)
	}))
	defer endpoint.Close()
	signer := auth.Signer{KeyID: "k1", Secret: []byte("0123456789abcdef0123456789abcdef"), Service: "importer"}
	c, err := NewClient(ClientOptions{Endpoints: []string{endpoint.URL}, Signer: &signer, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = (Method[echoParams, echoParams]{Name: "record", Auth: auth.Service}).Call(t.Context(), c, echoParams{Text: "x"})
	if leaked != nil && leaked.Get(auth.HeaderSignature) != "" {
		t.Errorf("a signed call was sent on to the redirect's target, signature and nonce included: %v", leaked)
	}
	if err == nil || !strings.Contains(err.Error(), "307") {
		t.Errorf("a signed call answered with a redirect: %v, want an error naming the 307", err)
	}
}
