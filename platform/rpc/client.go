package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/obs"
)

// ClientConfig is the environment configuration of a client of one service.
// Embed it with a prefix, e.g. `envPrefix:"HUB_"`, to read HUB_URL.
type ClientConfig struct {
	// URLs are the base URLs of the service's replicas, comma-separated.
	URLs []string `env:"URL" envSeparator:","`
	// HTTP2 calls the replicas over HTTP/2 (ClientOptions.HTTP2).
	HTTP2 bool `env:"HTTP2"`
	// Sessions signs service calls in service sessions
	// (ClientOptions.Sessions).
	Sessions bool `env:"SESSIONS"`
}

// ClientOptions configure a Client.
type ClientOptions struct {
	Endpoints  []string     // base URLs of the replicas (".../rpc" is appended)
	Signer     *auth.Signer // signs every call as a service call when set
	HTTPClient *http.Client // default: a tuned keep-alive client (that follows no redirect when Signer is set)
	// HTTP2 makes the default client speak HTTP/2 only: cleartext with
	// prior knowledge (h2c) to http:// endpoints (services inside the
	// cluster; the service runner's server accepts it), over TLS to
	// https:// ones. Concurrent calls share a connection per replica
	// instead of one each. Ignored with HTTPClient.
	HTTP2 bool
	// Sessions, with Signer, opens a service session with each endpoint
	// (its first signed call asks for one: platform/auth, session.go) and
	// signs the next calls in it, which the replica checks in its memory
	// instead of a nonce in Redis. Each endpoint should be one replica: a
	// session call that reaches a replica without the session (a URL that
	// a load balancer spreads over replicas, or a replica that restarted)
	// is refused as signature_stale and sent again signed in full, and that
	// endpoint goes without a session for SessionPause (default 1 minute).
	Sessions     bool
	SessionPause time.Duration
	// MaxAttempts bounds the tries of one call (default 3).
	MaxAttempts int
	// RetryRatio is the share of calls that may be retries, on top of a
	// floor of MinRetriesPerSecond (defaults 0.1 and 10): when a service is
	// down, retries do not multiply the load on it.
	RetryRatio          float64
	MinRetriesPerSecond int
	// Breaker settings per endpoint: it opens after ConsecutiveFailures
	// (default 5) and probes again after OpenFor (default 5 s).
	ConsecutiveFailures uint32
	OpenFor             time.Duration
}

// Client calls the methods of one service over JSON-RPC: it forwards the
// request id, the user token and the remaining deadline of its context,
// signs service calls, retries what is safe within a retry budget, breaks
// the circuit to failing endpoints and balances load across replicas by
// power of two choices over latency.
type Client struct {
	opts      ClientOptions
	hc        *http.Client
	endpoints []*endpoint
	budget    *retryBudget
	tracer    trace.Tracer
	prop      propagation.TextMapPropagator
	ids       atomic.Uint64
}

// endpoint is one replica with its breaker and load statistics.
type endpoint struct {
	url      string
	breaker  *gobreaker.TwoStepCircuitBreaker[struct{}]
	inflight atomic.Int64
	ewmaNS   atomic.Int64 // exponentially weighted moving average latency

	session      atomic.Pointer[auth.SessionSigner] // the service session with this endpoint, once granted
	opening      atomic.Bool                        // a call asking for a session is on its way
	sessionAfter atomic.Int64                       // unix nanoseconds before which no session is asked for
}

// NewClient returns a client for the replicas in opts.Endpoints.
func NewClient(opts ClientOptions) (*Client, error) {
	if len(opts.Endpoints) == 0 {
		return nil, errors.New("rpc: client needs at least one endpoint URL")
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 3
	}
	if opts.SessionPause <= 0 {
		opts.SessionPause = time.Minute
	}
	if opts.RetryRatio <= 0 {
		opts.RetryRatio = 0.1
	}
	if opts.MinRetriesPerSecond <= 0 {
		opts.MinRetriesPerSecond = 10
	}
	if opts.ConsecutiveFailures == 0 {
		opts.ConsecutiveFailures = 5
	}
	if opts.OpenFor <= 0 {
		opts.OpenFor = 5 * time.Second
	}
	c := &Client{
		opts:   opts,
		hc:     opts.HTTPClient,
		budget: newRetryBudget(opts.RetryRatio, opts.MinRetriesPerSecond),
		tracer: otel.Tracer("github.com/attendify/platform/rpc"),
		prop:   propagation.TraceContext{},
	}
	if c.hc == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 256
		t.MaxIdleConns = 1024
		if opts.HTTP2 {
			t.Protocols = new(http.Protocols)
			t.Protocols.SetHTTP2(true)
			t.Protocols.SetUnencryptedHTTP2(true)
		}
		c.hc = &http.Client{Transport: t}
		if opts.Signer != nil {
			// A redirect would send the signed call, nonce and all, on to
			// wherever Location points (net/http keeps X-Service-* headers
			// across hosts): a call no service has seen, usable once
			// against any of them. The 3xx is the answer instead.
			c.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		}
	}
	for _, u := range opts.Endpoints {
		u = strings.TrimRight(strings.TrimSpace(u), "/")
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return nil, fmt.Errorf("rpc: endpoint %q is not an http(s) URL", u)
		}
		if !strings.HasSuffix(u, "/rpc") {
			u += "/rpc"
		}
		failures := opts.ConsecutiveFailures
		c.endpoints = append(c.endpoints, &endpoint{
			url: u,
			breaker: gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
				Name:        u,
				Timeout:     opts.OpenFor,
				ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= failures },
			}),
		})
	}
	return c, nil
}

// Call calls the method with params and returns its result.
func (m Method[P, R]) Call(ctx context.Context, c *Client, params P) (R, error) {
	var r R
	err := c.Call(ctx, m.Name, m.Idempotent, params, &r)
	return r, err
}

// Call is the untyped form of Method.Call: it encodes params, decodes the
// result into result (a pointer) and returns the remote error, if any, as an
// *errs.Error carrying the remote code, so errors.Is(err, errs.NotFound)
// works across services.
func (c *Client) Call(ctx context.Context, method string, idempotent bool, params, result any) error {
	p, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("rpc: encode params of %s: %w", method, err)
	}
	body := appendRequest(nil, method, p, c.ids.Add(1))
	ctx, span := c.tracer.Start(ctx, method, trace.WithSpanKind(trace.SpanKindClient))
	defer span.End()
	_, ans, err := c.roundTrip(ctx, body, idempotent)
	switch {
	case err != nil:
	case ans == nil:
		err = errs.New(errs.Unavailable, "%s answered something that is not a JSON-RPC response", method)
	default:
		err = ans.into(result)
	}
	if err != nil && span.IsRecording() {
		span.SetStatus(codes.Error, errs.CodeOf(err).Name())
		span.SetAttributes(attribute.Int("rpc.jsonrpc.error_code", int(errs.CodeOf(err))))
	}
	return err
}

// BatchCall is one call of a batch: build it with NewBatchCall; after
// Client.Batch returns, Err holds its own outcome.
type BatchCall struct {
	method     string
	params     any
	result     any
	idempotent bool
	Err        error
}

// NewBatchCall prepares a call of m for Client.Batch; the result is decoded
// into out.
func NewBatchCall[P, R any](m Method[P, R], params P, out *R) *BatchCall {
	return &BatchCall{method: m.Name, params: params, result: out, idempotent: m.Idempotent}
}

// Batch sends the calls as one JSON-RPC batch. It returns an error when the
// exchange itself fails (then every call's Err is that error too); each
// call's own outcome is in its Err. The batch is retried only when every
// call in it is idempotent.
func (c *Client) Batch(ctx context.Context, calls ...*BatchCall) error {
	if len(calls) == 0 {
		return nil
	}
	idempotent := true
	body := []byte{'['}
	first := c.ids.Add(uint64(len(calls))) - uint64(len(calls)) + 1
	for i, bc := range calls {
		p, err := json.Marshal(bc.params)
		if err != nil {
			return fmt.Errorf("rpc: encode params of %s: %w", bc.method, err)
		}
		if i > 0 {
			body = append(body, ',')
		}
		body = appendRequest(body, bc.method, p, first+uint64(i))
		idempotent = idempotent && bc.idempotent
	}
	body = append(body, ']')
	ctx, span := c.tracer.Start(ctx, "batch", trace.WithSpanKind(trace.SpanKindClient))
	defer span.End()
	fail := func(err error) error {
		for _, bc := range calls {
			bc.Err = err
		}
		return err
	}
	raw, single, err := c.roundTrip(ctx, body, idempotent)
	if err != nil {
		return fail(err)
	}
	if single != nil && single.Error != nil { // the whole batch was refused with one error
		return fail(single.into(nil))
	}
	resps, err := parseAnswers(raw)
	if err != nil {
		return fail(errs.Wrap(errs.Unavailable, err, "batch answer is not a JSON-RPC response"))
	}
	byID := make(map[uint64]*response, len(resps))
	for i := range resps {
		if id, err := strconv.ParseUint(string(resps[i].ID), 10, 64); err == nil {
			byID[id] = &resps[i]
		}
	}
	for i, bc := range calls {
		r, ok := byID[first+uint64(i)]
		if !ok {
			bc.Err = errs.New(errs.Unavailable, "no answer to %s in the batch", bc.method)
			continue
		}
		bc.Err = r.into(bc.result)
	}
	return nil
}

func appendRequest(buf []byte, method string, params []byte, id uint64) []byte {
	buf = append(buf, `{"jsonrpc":"2.0","method":`...)
	m, _ := json.Marshal(method)
	buf = append(buf, m...)
	buf = append(buf, `,"params":`...)
	buf = append(buf, params...)
	buf = append(buf, `,"id":`...)
	buf = strconv.AppendUint(buf, id, 10)
	return append(buf, '}')
}

// response is a JSON-RPC response taken apart: Result and ID are the raw
// bytes of those members, slices of the answer's body.
type response struct {
	Result []byte
	Error  *wireError
	ID     []byte
}

// maxAnswerDepth bounds the nesting of an answer, as encoding/json does.
const maxAnswerDepth = 10000

var errNotResponse = errors.New("not a JSON-RPC response object")

// parseAnswer takes apart the answer to a lone call. The scanner validates
// the body and finds the members in two fast passes, without copying the
// result: only the caller's decoding of the result pays encoding/json's
// price, once (decoding the whole answer, then the result from a copy,
// cost a client about twice what the result alone does).
func parseAnswer(raw []byte) (response, error) {
	if err := validate(raw, maxAnswerDepth); err != nil {
		return response{}, err
	}
	return answerOf(trimWS(raw))
}

// parseAnswers takes apart the answer to a batch: an array of responses.
func parseAnswers(raw []byte) ([]response, error) {
	if err := validate(raw, maxAnswerDepth); err != nil {
		return nil, err
	}
	if firstByte(raw) != '[' {
		return nil, errors.New("not an array")
	}
	var out []response
	var err error
	elements(raw, func(el []byte) {
		if err == nil {
			var r response
			r, err = answerOf(el)
			out = append(out, r)
		}
	})
	return out, err
}

// answerOf takes apart one response object of valid JSON.
func answerOf(obj []byte) (response, error) {
	var r response
	if len(obj) == 0 || obj[0] != '{' {
		return r, errNotResponse
	}
	var err error
	members(obj, func(name, value []byte) bool {
		switch string(name) {
		case `"result"`:
			r.Result = value
		case `"id"`:
			r.ID = value
		case `"error"`:
			if string(value) != "null" {
				r.Error = new(wireError)
				err = json.Unmarshal(value, r.Error)
			}
		}
		return err == nil
	})
	return r, err
}

// RemoteError is a JSON-RPC error as the server sent it; it is the cause
// (errors.As) of the *errs.Error a Call returns.
type RemoteError struct {
	Code    int
	Message string
	Data    json.RawMessage
}

func (e *RemoteError) Error() string { return fmt.Sprintf("remote error %d: %s", e.Code, e.Message) }

func (r *response) into(result any) error {
	if r.Error == nil {
		if result == nil || len(r.Result) == 0 {
			return nil
		}
		if raw, ok := result.(*json.RawMessage); ok {
			// The scanner validated the answer: a copy of the result's
			// bytes is what encoding/json would make, without its second
			// pass over them (a proxy, or a caller that reads a few
			// members of a large result).
			*raw = append((*raw)[:0], r.Result...)
			return nil
		}
		if err := json.Unmarshal(r.Result, result); err != nil {
			return errs.Wrap(errs.Internal, err, "decode result")
		}
		return nil
	}
	remote := &RemoteError{Code: r.Error.Code, Message: r.Error.Message, Data: r.Error.Data}
	var data errorData
	_ = json.Unmarshal(r.Error.Data, &data)
	e := &errs.Error{Msg: r.Error.Message, Fields: data.Fields, Err: remote,
		RetryAfter: time.Duration(data.RetryAfterMS) * time.Millisecond}
	switch code := errs.Code(r.Error.Code); {
	case code.Known():
		e.Code = code
	case r.Error.Code == CodeInvalidParams, r.Error.Code == CodeInvalidRequest:
		// Bad params, a call over its method's body limit, a method
		// refused in a batch: the caller's input, not the server's fault.
		e.Code = errs.CodeInvalid
	default:
		e.Code = errs.CodeInternal
	}
	return e
}

// roundTrip sends body to a replica, retrying what is safe, and returns the
// answer's body and, when the body is one object (a lone call's answer, or
// a whole batch refused), that answer taken apart.
func (c *Client) roundTrip(ctx context.Context, body []byte, idempotent bool) ([]byte, *response, error) {
	c.budget.deposit()
	var lastErr error
	var tried *endpoint
	for attempt := 0; attempt < c.opts.MaxAttempts; attempt++ {
		if attempt > 0 {
			if !c.budget.withdraw() {
				return nil, nil, lastErr
			}
			if err := sleepBackoff(ctx, attempt, lastErr); err != nil {
				return nil, nil, lastErr
			}
		}
		ep := c.pick(tried)
		if ep == nil {
			lastErr = errs.New(errs.Unavailable, "every endpoint's circuit is open")
			continue
		}
		tried = ep
		raw, ans, retry, err := c.send(ctx, ep, body, idempotent)
		if err == nil {
			return raw, ans, nil
		}
		lastErr = err
		if !retry || ctx.Err() != nil {
			return nil, nil, err
		}
	}
	return nil, nil, lastErr
}

// send makes one attempt on ep. retry reports whether the failure is safe
// to retry for a call of this idempotency. ans is the answer taken apart
// when it is one object (roundTrip).
func (c *Client) send(ctx context.Context, ep *endpoint, body []byte, idempotent bool) (raw []byte, ans *response, retry bool, err error) {
	done, err := ep.breaker.Allow()
	if err != nil {
		return nil, nil, true, errs.Wrap(errs.Unavailable, err, "circuit open to %s", ep.url)
	}
	ep.inflight.Add(1)
	start := time.Now()
	healthy := false
	defer func() {
		ep.inflight.Add(-1)
		ep.observe(time.Since(start))
		if healthy {
			done(nil)
		} else {
			done(errUnhealthy)
		}
	}()

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.url, bytes.NewReader(body))
	if err != nil {
		return nil, nil, false, err
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	if id := obs.RequestID(ctx); id != "" {
		h.Set(HeaderRequestID, id)
	}
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl).Milliseconds()
		if left <= 0 {
			return nil, nil, false, errs.Wrap(errs.DeadlineExceeded, context.DeadlineExceeded, "no time left to call")
		}
		h.Set(HeaderBudget, strconv.FormatInt(left, 10))
	}
	if tok := auth.CallerFrom(ctx).Token; tok != "" {
		auth.SetBearerToken(req, tok)
	}
	var inSession *auth.SessionSigner
	asked := false
	switch {
	case c.opts.Signer == nil:
	case !c.opts.Sessions:
		c.opts.Signer.Sign(req, body)
	case len(body) > 0 && body[0] == '[':
		// A batch is signed in full: were its session unknown to the
		// replica, each member would fail on its own, past the resending
		// of a refused call.
		c.opts.Signer.Sign(req, body)
	default:
		if inSession = ep.session.Load(); inSession != nil {
			inSession.Sign(req, body)
			break
		}
		if time.Now().UnixNano() >= ep.sessionAfter.Load() && ep.opening.CompareAndSwap(false, true) {
			asked = true
			h.Set(auth.HeaderSession, auth.SessionOpen)
			defer ep.opening.Store(false)
		}
		c.opts.Signer.Sign(req, body)
	}
	c.prop.Inject(ctx, propagation.HeaderCarrier(h))

	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			healthy = true // our deadline, not the endpoint's fault
			return nil, nil, false, errs.Wrap(errs.KindOf(ctx.Err()), err, "call %s", ep.url)
		}
		// Nothing was answered: a request that never reached the server
		// (refused connection) is safe to retry for any method.
		return nil, nil, idempotent || isDialError(err), errs.Wrap(errs.Unavailable, err, "call %s", ep.url)
	}
	defer resp.Body.Close()
	if asked {
		if id := resp.Header.Get(auth.HeaderSession); id != "" {
			ep.session.Store(c.opts.Signer.Session(id))
		}
	}
	if inSession != nil {
		defer func() {
			if errs.CodeOf(err) == errs.CodeSignatureStale { // the replica does not have the session (any more)
				ep.session.CompareAndSwap(inSession, nil)
				ep.sessionAfter.Store(time.Now().Add(c.opts.SessionPause).UnixNano())
			}
		}()
	}
	raw, err = readAnswer(resp)
	if err != nil {
		return nil, nil, idempotent, errs.Wrap(errs.Unavailable, err, "read answer of %s", ep.url)
	}
	switch {
	case resp.StatusCode == http.StatusNoContent:
		healthy = true
		return nil, nil, false, nil
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		// A 429 limits one caller; the endpoint itself is healthy, and its
		// breaker must not cut every other caller off.
		healthy = resp.StatusCode == http.StatusTooManyRequests
		err, fromServer := remoteStatusError(resp, raw)
		if !fromServer { // a proxy's bare 5xx: the call may or may not have run
			return nil, nil, idempotent, err
		}
		return nil, nil, resendable(errs.CodeOf(err), idempotent), err
	case resp.StatusCode != http.StatusOK:
		healthy = true
		err, _ := remoteStatusError(resp, raw)
		return nil, nil, false, err
	}
	healthy = true
	if firstByte(raw) != '{' {
		return raw, nil, false, nil // a batch's answers
	}
	a, err := parseAnswer(raw)
	if err != nil {
		return nil, nil, false, errs.Wrap(errs.Unavailable, err, "%s answered something that is not a JSON-RPC response", ep.url)
	}
	// A lone call that failed with a code worth another try.
	if a.Error != nil {
		if e := a.into(nil); resendable(errs.CodeOf(e), idempotent) {
			return nil, nil, true, e
		}
	}
	return raw, &a, false, nil
}

// maxAnswer bounds the body of an answer.
const maxAnswer = 64 << 20

// readAnswer reads an answer's body, in one buffer of its length when the
// server said it (the RPC server always does).
func readAnswer(resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= maxAnswer {
		b := make([]byte, n)
		_, err := io.ReadFull(resp.Body, b)
		return b, err
	}
	return io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
}

// resendable reports whether a call that failed with code may be sent
// again. Any call the server refused before running it (shedding, rate
// limits, a signature older than the receiver's nonce store: each attempt
// is signed anew) may; an idempotent call may on any retryable code; a call
// that may have run (a dependency failed mid-way: unavailable) is not sent
// twice unless it is idempotent. Insufficient budget is never retried here:
// a second try has even less time.
func resendable(code errs.Code, idempotent bool) bool {
	switch code {
	case errs.CodeOverloaded, errs.CodeRateLimited, errs.CodeSignatureStale:
		return true
	case errs.CodeInsufficientBudget:
		return false
	}
	return idempotent && code.Retryable()
}

var errUnhealthy = errors.New("endpoint failed")

// remoteStatusError turns a non-200 answer into an error. fromServer is
// true when the answer is the server's JSON-RPC error: a bare 5xx from a
// proxy says nothing about whether the call took effect.
func remoteStatusError(resp *http.Response, raw []byte) (err error, fromServer bool) {
	if r, perr := parseAnswer(raw); perr == nil && r.Error != nil {
		err := r.into(nil)
		if e, ok := errs.As(err); ok && e.RetryAfter == 0 {
			if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil {
				e.RetryAfter = time.Duration(s) * time.Second
			}
		}
		return err, true
	}
	return errs.New(errs.Unavailable, "HTTP %d from %s", resp.StatusCode, resp.Request.URL), false
}

// isDialError reports whether the request failed before a connection was
// made, so the server cannot have seen it.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// pick chooses a replica by power of two choices: two distinct endpoints at
// random, the one with the lower load score (latency × (in-flight + 1)),
// avoiding the one just tried and endpoints whose circuit is open.
func (c *Client) pick(avoid *endpoint) *endpoint {
	var cands []*endpoint
	for _, ep := range c.endpoints {
		if ep.breaker.State() != gobreaker.StateOpen && (ep != avoid || len(c.endpoints) == 1) {
			cands = append(cands, ep)
		}
	}
	switch len(cands) {
	case 0:
		if avoid != nil && avoid.breaker.State() != gobreaker.StateOpen {
			return avoid
		}
		return nil
	case 1:
		return cands[0]
	}
	i := rand.IntN(len(cands))
	j := rand.IntN(len(cands) - 1)
	if j >= i {
		j++
	}
	a, b := cands[i], cands[j]
	if a.score() <= b.score() {
		return a
	}
	return b
}

func (ep *endpoint) score() float64 {
	lat := float64(ep.ewmaNS.Load())
	if lat == 0 {
		lat = 1 // untried endpoints win, so that each gets measured
	}
	return lat * float64(ep.inflight.Load()+1)
}

// observe folds one latency sample into the moving average (weight 0.2).
func (ep *endpoint) observe(d time.Duration) {
	for {
		old := ep.ewmaNS.Load()
		next := int64(d)
		if old != 0 {
			next = int64(0.8*float64(old) + 0.2*float64(d))
		}
		if ep.ewmaNS.CompareAndSwap(old, next) {
			return
		}
	}
}

// sleepBackoff waits before retry number attempt: the server's retry-after
// hint when it gave one, else jittered exponential backoff from 10 ms. It
// gives up when the wait would outlast the context's deadline.
func sleepBackoff(ctx context.Context, attempt int, lastErr error) error {
	d := time.Duration(float64(10*time.Millisecond) * math.Pow(2, float64(attempt-1)))
	d = d/2 + rand.N(d/2+1)
	if e, ok := errs.As(lastErr); ok && e.RetryAfter > 0 {
		d = e.RetryAfter
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return context.DeadlineExceeded
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retryBudget lets retries be at most ratio of calls, plus a floor per
// second, so that a failing service is not hammered by retry storms.
type retryBudget struct {
	mu       sync.Mutex
	ratio    float64
	floor    float64
	tokens   float64
	max      float64
	lastFill time.Time
}

func newRetryBudget(ratio float64, minPerSecond int) *retryBudget {
	return &retryBudget{ratio: ratio, floor: float64(minPerSecond), tokens: float64(minPerSecond),
		max: float64(minPerSecond) + 100*ratio, lastFill: time.Now()}
}

func (b *retryBudget) refill() {
	now := time.Now()
	b.tokens = min(b.max, b.tokens+now.Sub(b.lastFill).Seconds()*b.floor)
	b.lastFill = now
}

func (b *retryBudget) deposit() {
	b.mu.Lock()
	b.refill()
	b.tokens = min(b.max, b.tokens+b.ratio)
	b.mu.Unlock()
}

func (b *retryBudget) withdraw() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
