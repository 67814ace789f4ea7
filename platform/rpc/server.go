package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/flake"
	"github.com/attendify/platform/gate"
	"github.com/attendify/platform/obs"
)

// HTTP headers of the protocol.
const (
	// HeaderRequestID carries the request id both ways: an incoming id is
	// kept, otherwise the server makes one; responses always carry it.
	HeaderRequestID = "X-Request-Id"
	// HeaderBudget carries the caller's remaining deadline in milliseconds.
	// The handler's context ends at min(the method's timeout, the budget).
	HeaderBudget = "X-Budget-Ms"
)

// Authenticator establishes who is calling from an HTTP request and its
// body: a user token, a signed service call, or nobody. It returns an
// anonymous caller and a nil error when no credentials are presented, and an
// error (token_expired, signature_invalid, ...) when they are presented but
// do not verify. platform/auth implements it.
type Authenticator interface {
	Authenticate(ctx context.Context, r *http.Request, body []byte) (auth.Caller, error)
}

// Reacher is implemented by an Authenticator that can tell, before a
// request's body is read, the highest auth level the request's credentials
// reach: Public without credentials, a user level when a user token
// verifies, Service for a service call whose headers are plausible (its
// signature covers the body, so it is checked once the body is read); and
// when credentials are presented but already fail on the headers, Public
// and the error Authenticate would give. The server reads a body only as
// far as the largest MaxBody of the methods that level reaches (without a
// Reacher, as far as the largest MaxBody of all), and refuses with that
// error a body whose credentials fail once it goes past what a call
// without credentials may send without a slot of the large-body gate.
// platform/auth implements it.
type Reacher interface {
	Reach(r *http.Request) (auth.Level, error)
}

// Shedder admits or refuses work under load. platform/shed implements it.
type Shedder interface {
	Allow() (done func(success bool), err error)
}

// Options configure a Server. The zero value of every field has a sensible
// default.
type Options struct {
	Name    string // service name, for discovery and logs
	Version string

	Logger *slog.Logger
	// NoAccessLog keeps the Logger for what must be seen (a call that
	// failed with an internal error, a panic) without a line per call.
	NoAccessLog bool
	Registerer  prometheus.Registerer // nil: metrics are kept but not exported
	Auth        Authenticator         // nil: every caller is anonymous
	Shedder     Shedder               // nil: no load shedding
	// Tracer records a server span per call when set (the service runner
	// sets it when OTEL_EXPORTER_OTLP_ENDPOINT is). Without it W3C trace
	// context still flows from incoming to outgoing calls.
	Tracer trace.Tracer

	// MaxBodyBytes is the body limit of methods above the public level
	// that declare no MaxBody. Default 1 MiB.
	MaxBodyBytes int64
	// PublicMaxBodyBytes is the body limit of public methods that declare
	// no MaxBody, and so, usually, how much of a request without
	// credentials the server reads. Default 64 KiB (never above
	// MaxBodyBytes).
	PublicMaxBodyBytes int64
	// LargeBodies is how many exchanges whose bodies exceed MaxBodyBytes
	// (only methods declaring a larger MaxBody take them) the server holds
	// at once; more wait up to LargeBodyWait, then are refused as
	// overloaded. Default 4.
	LargeBodies   int
	LargeBodyWait time.Duration // default 5 s
	// LargeBodyTime and LargeBodyRate bound how long the rest of a body
	// may take to arrive once it holds a slot of the large-body gate:
	// LargeBodyTime plus the bytes still to come (its Content-Length, or
	// the most its caller may send) at LargeBodyRate bytes a second. A
	// body that misses it is refused (408) and its slot freed: a caller
	// whose headers only look like a service call's cannot hold a slot
	// by trickling its body. Defaults 10 s and 1 MiB/s. The deadline
	// replaces the connection's own (http.Server.ReadTimeout) for the
	// rest of that body: keep it shorter (25 s for 16 MiB by default,
	// against the runner's 60 s).
	LargeBodyTime time.Duration
	LargeBodyRate int64

	// RefuseWrites, when set, makes the server run only the methods
	// declared ReadOnly: every other call is refused with a forbidden
	// error, before its handler runs, whose message starts with this text
	// (why this process does not write: "read-only run-as against qa").
	RefuseWrites string

	MaxBatch         int           // default 100 requests
	MaxDepth         int           // default 32 levels of nesting
	BatchConcurrency int           // default 8 members at once
	DefaultTimeout   time.Duration // default 10 s
}

// Server serves JSON-RPC 2.0 over HTTP: POST /rpc for calls, GET
// /openrpc.json for the discovery document.
//
// Body limits: each method has one (Method.MaxBody, else 64 KiB for public
// methods and 1 MiB for the others), checked against each call. A body is
// read no further than its caller can use: the largest limit of the public
// methods first (no further than MaxBodyBytes); past it, only when the
// credentials, checked before the body is read (Reacher), reach methods
// that take more, and credentials that already fail are refused there;
// past MaxBodyBytes, only LargeBodies exchanges at once. So a flood of
// large bodies without credentials, or with bad ones, costs 64 KiB each,
// and buffers grown for large bodies are not kept in the pool.
type Server struct {
	opts     Options
	log      *slog.Logger
	metrics  *metrics
	tracer   trace.Tracer
	prop     propagation.TextMapPropagator
	ids      *flake.Generator
	large    *gate.Gate // exchanges with bodies over MaxBodyBytes
	services serviceNames

	// ceiling[l] is the largest MaxBody of the methods of level l or
	// below: how far a body is read for a caller who reaches l.
	ceiling [auth.Service + 1]atomic.Int64

	mu      sync.Mutex                        // serialises registration
	methods atomic.Pointer[map[string]*entry] // copy-on-write, read on every call
	openrpc atomic.Pointer[json.RawMessage]   // cached discovery document
}

// NewServer returns a server with the built-in rpc.discover method.
func NewServer(opts Options) *Server {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.PublicMaxBodyBytes <= 0 {
		opts.PublicMaxBodyBytes = 64 << 10
	}
	opts.PublicMaxBodyBytes = min(opts.PublicMaxBodyBytes, opts.MaxBodyBytes)
	if opts.LargeBodies <= 0 {
		opts.LargeBodies = 4
	}
	if opts.LargeBodyWait <= 0 {
		opts.LargeBodyWait = 5 * time.Second
	}
	if opts.LargeBodyTime <= 0 {
		opts.LargeBodyTime = 10 * time.Second
	}
	if opts.LargeBodyRate <= 0 {
		opts.LargeBodyRate = 1 << 20
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 100
	}
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = 32
	}
	if opts.BatchConcurrency <= 0 {
		opts.BatchConcurrency = 8
	}
	if opts.DefaultTimeout <= 0 {
		opts.DefaultTimeout = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		opts:    opts,
		log:     opts.Logger,
		metrics: newMetrics(opts.Registerer),
		tracer:  opts.Tracer,
		prop:    propagation.TraceContext{},
		ids:     flake.New(0),
		large: gate.New(gate.Options{Name: "large_body", Workers: opts.LargeBodies, MaxWait: opts.LargeBodyWait,
			Registerer: opts.Registerer}),
	}
	empty := map[string]*entry{}
	s.methods.Store(&empty)
	s.registerDiscover()
	return s
}

func (s *Server) register(e *entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.methods.Load()
	if _, dup := old[e.name]; dup {
		panic(fmt.Sprintf("rpc: method %s registered twice", e.name))
	}
	next := make(map[string]*entry, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	e.m = s.metrics.forMethod(e.name)
	if e.maxBody <= 0 {
		e.maxBody = s.opts.MaxBodyBytes
		if e.level == auth.Public {
			e.maxBody = s.opts.PublicMaxBodyBytes
		}
	}
	for l := e.level; int(l) < len(s.ceiling); l++ {
		if s.ceiling[l].Load() < e.maxBody {
			s.ceiling[l].Store(e.maxBody)
		}
	}
	next[e.name] = e
	s.methods.Store(&next)
	s.openrpc.Store(nil)
}

// Routes registers POST /rpc and GET /openrpc.json on mux.
func (s *Server) Routes(mux *http.ServeMux) {
	mux.Handle("POST /rpc", s)
	mux.HandleFunc("GET /openrpc.json", s.ServeOpenRPC)
}

// RequestID returns r's X-Request-Id when it is a valid one, else a new id:
// the id the server answers a call with, for other routes of the same
// service to do the same.
func (s *Server) RequestID(r *http.Request) string {
	if id := r.Header.Get(HeaderRequestID); validRequestID(id) {
		return id
	}
	return s.ids.Next().String()
}

// traceparent is the W3C trace context header's name as net/http keys it.
const traceparent = "Traceparent"

// maxBudgetMS is the largest X-Budget-Ms taken as it is: longer budgets
// are cut to it (about 292 years), the longest time.Duration.
const maxBudgetMS = int64(math.MaxInt64 / int64(time.Millisecond))

// call is what every request of one HTTP exchange shares.
type call struct {
	requestID string
	idHeader  [1]string // the answer's X-Request-Id values: requestID
	caller    auth.Caller
	authErr   error
	deadline  time.Time // the caller's deadline; zero when none was sent
}

// jsonContentType is the Content-Type header's value of every answer,
// shared: headers are set to it, never changed in place (net/http copies
// them when it writes them).
var jsonContentType = []string{"application/json"}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooledBuffer is the largest buffer put back in bufPool. A buffer grown
// for one large body or answer is left to the garbage collector: kept, a
// burst of large requests would stay in memory for good.
const maxPooledBuffer = 64 << 10

func putBuf(b *[]byte) {
	if cap(*b) <= maxPooledBuffer {
		*b = (*b)[:0]
		bufPool.Put(b)
	}
}

// ServeHTTP serves one JSON-RPC exchange: a single request or a batch.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	success := true // for the shedder: false when the exchange says nothing about capacity
	c := &call{requestID: s.RequestID(r)}
	c.idHeader[0] = c.requestID
	h := w.Header()
	h[HeaderRequestID] = c.idHeader[:]
	h["Content-Type"] = jsonContentType
	ctx := obs.WithRequestID(r.Context(), c.requestID)
	if len(r.Header[traceparent]) > 0 { // without it there is no trace context to extract
		ctx = s.prop.Extract(ctx, propagation.HeaderCarrier(r.Header))
	}

	if s.opts.Shedder != nil {
		done, err := s.opts.Shedder.Allow()
		if err != nil {
			s.metrics.shed.Inc()
			s.writeWholeError(w, http.StatusServiceUnavailable, err, c.requestID)
			return
		}
		defer func() { done(success) }()
	}
	if v := r.Header.Get(HeaderBudget); v != "" {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil || ms < 0 {
			s.writeWholeError(w, http.StatusBadRequest, &protocolError{code: CodeInvalidRequest,
				msg: HeaderBudget + " must be a non-negative integer of milliseconds"}, c.requestID)
			return
		}
		// A budget past what time.Duration holds (a careless client's "no
		// limit") would overflow into a deadline in the past: it is as
		// good as no limit, and the method's own timeout applies.
		c.deadline = time.Now().Add(time.Duration(min(ms, maxBudgetMS)) * time.Millisecond)
	}

	bp := bufPool.Get().(*[]byte)
	defer putBuf(bp)
	body, leave, err := s.read(ctx, w, r, (*bp)[:0])
	*bp = body
	if leave != nil {
		defer leave()
	}
	if err != nil {
		success = false
		var tl *tooLarge
		var sb *slowBody
		var bc *badCredentials
		switch {
		case errors.As(err, &tl):
			s.writeWholeError(w, http.StatusRequestEntityTooLarge, &protocolError{code: CodeInvalidRequest,
				msg: fmt.Sprintf("request body exceeds %d bytes%s", tl.limit, tl.hint)}, c.requestID)
		case errors.As(err, &sb):
			s.writeWholeError(w, http.StatusRequestTimeout, &protocolError{code: CodeInvalidRequest,
				msg: fmt.Sprintf("the request body did not arrive within %v of its admission (%v plus %d bytes a second)",
					sb.allowed.Round(time.Millisecond), s.opts.LargeBodyTime, s.opts.LargeBodyRate)}, c.requestID)
		case errs.CodeOf(err) == errs.CodeOverloaded:
			s.writeWholeError(w, http.StatusServiceUnavailable, err, c.requestID)
		case errors.As(err, &bc):
			// As the call would be answered once read (200 and the error):
			// a client signs a call refused as signature_stale again.
			s.writeWholeError(w, http.StatusOK, bc.err, c.requestID)
		}
		return // the client went away mid-body: nobody to answer
	}
	if s.opts.Auth != nil {
		c.caller, c.authErr = s.opts.Auth.Authenticate(ctx, r, body)
		if id := c.caller.OpenedSession; id != "" {
			h.Set(auth.HeaderSession, id) // the service session this call was granted
		}
	}
	ctx = auth.WithCallerRef(ctx, &c.caller)

	out := s.exchange(ctx, c, body, bufPool.Get().(*[]byte))
	defer putBuf(out.buf)
	if out.single != nil {
		_, protocol := out.single.(*protocolError)
		k := errs.KindOf(out.single)
		success = !protocol && k != errs.Canceled && k != errs.Unauthenticated && k != errs.Invalid
	}
	switch {
	case len(*out.buf) == 0:
		h.Del("Content-Type")
		w.WriteHeader(http.StatusNoContent)
	default:
		status := http.StatusOK
		if out.single != nil {
			status = httpStatus(out.single, out.retryAfter, h)
		}
		// With its length known, net/http sends the body as it is: without
		// it, a body over 2 KB went out chunked, in one more write.
		h.Set("Content-Length", strconv.Itoa(len(*out.buf)))
		w.WriteHeader(status)
		_, _ = w.Write(*out.buf)
	}
}

// Refuse answers an exchange that a layer in front of the server refuses
// before the server sees it (the service runner's check of browser
// origins) as the server answers those it refuses itself: err as the
// JSON-RPC error of the whole exchange (a null id), the HTTP status of
// err's kind (403 for forbidden), the request id.
func (s *Server) Refuse(w http.ResponseWriter, r *http.Request, err error) {
	id := s.RequestID(r)
	h := w.Header()
	h[HeaderRequestID] = []string{id}
	h["Content-Type"] = jsonContentType
	s.writeWholeError(w, httpStatusOfKind(errs.KindOf(err)), err, id)
}

// exchangeResult is the encoded answer of one HTTP exchange.
type exchangeResult struct {
	buf        *[]byte
	single     error // the error of a lone (non-batch) request, for the HTTP status
	retryAfter time.Duration
}

func (s *Server) exchange(ctx context.Context, c *call, body []byte, buf *[]byte) exchangeResult {
	out := exchangeResult{buf: buf}
	b := (*buf)[:0]
	defer func() { *out.buf = b }()

	if err := validate(body, s.opts.MaxDepth); err != nil {
		pe := &protocolError{code: CodeParseError, msg: "parse error: the body is not valid JSON"}
		if err == errDepth {
			pe = &protocolError{code: CodeInvalidRequest, msg: fmt.Sprintf("nesting deeper than %d levels", s.opts.MaxDepth)}
		}
		w, _ := toWire(pe, c.requestID)
		b = appendError(b, nullID, w)
		return out
	}
	first := firstByte(body)
	if first != '[' {
		req := parseRequest(trimWS(body))
		if first != '{' {
			req = request{bad: "a request must be a JSON object or a batch array"}
		}
		var err error
		b, err = s.serve(ctx, c, &req, b, false)
		out.single = err
		if e, ok := errs.As(err); ok {
			out.retryAfter = e.RetryAfter
		}
		return out
	}

	var reqs []request
	elements(body, func(raw []byte) { reqs = append(reqs, parseRequest(raw)) })
	switch {
	case len(reqs) == 0:
		w, _ := toWire(&protocolError{code: CodeInvalidRequest, msg: "invalid request: empty batch"}, c.requestID)
		b = appendError(b, nullID, w)
		return out
	case len(reqs) > s.opts.MaxBatch:
		w, _ := toWire(&protocolError{code: CodeInvalidRequest,
			msg: fmt.Sprintf("batch of %d requests exceeds the limit of %d", len(reqs), s.opts.MaxBatch)}, c.requestID)
		b = appendError(b, nullID, w)
		return out
	}

	answers := make([][]byte, len(reqs))
	sem := make(chan struct{}, s.opts.BatchConcurrency)
	var wg sync.WaitGroup
	for i := range reqs {
		if reqs[i].bad != "" {
			answers[i], _ = s.serve(ctx, c, &reqs[i], nil, true)
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			answers[i], _ = s.serve(ctx, c, &reqs[i], nil, true)
		}()
	}
	wg.Wait()
	n := 0
	for _, a := range answers {
		if a == nil {
			continue
		}
		if n == 0 {
			b = append(b, '[')
		} else {
			b = append(b, ',')
		}
		b = append(b, a...)
		n++
	}
	if n > 0 {
		b = append(b, ']')
	}
	return out
}

// serve runs one request (a member of a batch when inBatch) and appends its
// response (nothing for a notification) to buf. It returns the error the
// request ended with.
func (s *Server) serve(ctx context.Context, c *call, req *request, buf []byte, inBatch bool) ([]byte, error) {
	start := time.Now()
	var e *entry
	var err error
	var result []byte
	switch {
	case req.bad != "":
		err = &protocolError{code: CodeInvalidRequest, msg: "invalid request: " + req.bad}
	default:
		e = (*s.methods.Load())[string(req.method[1:len(req.method)-1])]
		if e == nil {
			if name, ok := unquote(req.method); ok {
				e = (*s.methods.Load())[name] // escaped method names are rare
			}
		}
		switch {
		case e == nil:
			err = &protocolError{code: CodeMethodNotFound, msg: "method not found"}
		case inBatch && e.noBatch:
			err = &protocolError{code: CodeInvalidRequest,
				msg: "invalid request: " + e.name + " cannot be called in a batch; call it alone"}
		case int64(req.size) > e.maxBody:
			err = &protocolError{code: CodeInvalidRequest, status: http.StatusRequestEntityTooLarge,
				msg: fmt.Sprintf("invalid request: the request of %d bytes exceeds %s's limit of %d bytes", req.size, e.name, e.maxBody)}
		default:
			result, err = s.run(ctx, c, e, req.params, start)
		}
	}
	s.observe(ctx, c, e, req, err, start)
	if req.notification() {
		return buf, err
	}
	if err != nil {
		w, _ := toWire(err, c.requestID)
		return appendError(buf, req.responseID(), w), err
	}
	return appendResult(buf, req.responseID(), result), nil
}

// run checks access and the deadline, then invokes the method with panic
// recovery. start is when the call began: its timeout runs from then.
func (s *Server) run(ctx context.Context, c *call, e *entry, params []byte, start time.Time) (result []byte, err error) {
	e.m.inflight.Inc()
	defer e.m.inflight.Dec()
	if s.opts.RefuseWrites != "" && !e.readOnly {
		return nil, errs.New(errs.Forbidden, "%s: %s writes, and this server runs only methods that read", s.opts.RefuseWrites, e.name)
	}
	if e.level != auth.Public {
		switch {
		case c.authErr != nil:
			return nil, c.authErr
		case e.scoped && c.caller.Anonymous():
			return nil, auth.NoCredentials()
		case !e.scoped:
			if err := c.caller.Allows(e.level, ""); err != nil {
				return nil, err
			}
		}
	}
	timeout := e.timeout
	if timeout <= 0 {
		timeout = s.opts.DefaultTimeout
	}
	if !c.deadline.IsZero() {
		need := e.minBudget
		if need <= 0 {
			need = time.Millisecond
		}
		left := c.deadline.Sub(start)
		if left < need {
			return nil, &errs.Error{Code: errs.CodeInsufficientBudget,
				Msg: fmt.Sprintf("%s needs at least %v; the caller has %v left", e.name, need, left.Round(time.Millisecond))}
		}
		timeout = min(timeout, left)
	}
	ctx, release := withCallDeadline(ctx, start.Add(timeout))
	defer release()
	if s.tracer != nil {
		var span trace.Span
		ctx, span = s.tracer.Start(ctx, e.name, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("rpc.system", "jsonrpc"), attribute.String("rpc.method", e.name),
				attribute.String("request.id", c.requestID)))
		defer func() {
			if err != nil {
				span.SetStatus(codes.Error, errs.CodeOf(err).Name())
			}
			span.End()
		}()
	}
	defer func() {
		if p := recover(); p != nil {
			s.log.ErrorContext(ctx, "panic in handler", slog.String("method", e.name),
				slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
			result, err = nil, errs.New(errs.Internal, "panic: %v", p)
		}
	}()
	result, err = e.invoke(ctx, c, params)
	if err != nil && ctx.Err() != nil && errs.KindOf(err) == errs.Internal {
		err = errs.Wrap(errs.KindOf(ctx.Err()), err, "%s: %v", e.name, ctx.Err())
	}
	return result, err
}

// observe logs and counts one request, which began at start.
//
// The access log line (obs.Access) is written by the logger's handler
// itself when it can (obs.AccessWriter: the service's logger, byte for byte
// as slog would, for a fifth of the cost), else handed to it as a record
// made here, not through Logger.LogAttrs, which would read the clock once
// more and walk the stack for the caller's program counter (a source
// location no handler of ours prints, and which would name this function
// anyway).
func (s *Server) observe(ctx context.Context, c *call, e *entry, req *request, err error, start time.Time) {
	d := time.Since(start) // the monotonic clock only: one clock read, not two
	end := start.Add(d)
	name := "unknown"
	m := s.metrics.unknown
	if e != nil {
		name, m = e.name, e.m
	}
	code := 0
	if err != nil {
		if pe, ok := err.(*protocolError); ok {
			code = pe.code
		} else {
			w, _ := toWire(err, "")
			code = w.Code
		}
	}
	m.observe(code, d)
	level := slog.LevelInfo
	if code == CodeInternalError {
		level = slog.LevelError
	}
	h := s.log.Handler()
	if (level < slog.LevelError && s.opts.NoAccessLog) || !h.Enabled(ctx, level) {
		return
	}
	a := obs.Access{Time: end, Level: level, Method: name, Caller: s.callerName(c.caller), DurationUS: d.Microseconds(),
		Code: code, Notification: req.notification(), Outcome: "ok"}
	if err != nil {
		a.Outcome = outcome(err)
		if level == slog.LevelError {
			a.Error = err.Error()
		}
	}
	if aw, ok := h.(obs.AccessWriter); ok && aw.WriteAccess(ctx, a) {
		return
	}
	_ = h.Handle(ctx, a.Record())
}

// callerName is the caller for the access log: "anonymous", "user:<id>",
// "service:<name>" (acting for "user:<id>" when it carries a user token).
func (s *Server) callerName(c auth.Caller) string {
	switch {
	case c.Kind == auth.CallerService && c.User != "":
		return "service:" + c.Service + "/user:" + c.User
	case c.Kind == auth.CallerService:
		return s.services.name(c.Service)
	case c.Kind == auth.CallerUser:
		return "user:" + c.User
	}
	return "anonymous"
}

// maxServiceNames bounds serviceNames: a deployment has a handful of
// services, but a caller holding a key chooses the name it signs.
const maxServiceNames = 64

// serviceNames are the access log's names of calling services
// ("service:hub"), each made once rather than on every call: a map
// replaced, never changed, when a name is added, so that reading it takes
// no lock.
type serviceNames struct {
	mu sync.Mutex
	m  atomic.Pointer[map[string]string]
}

// name returns "service:" + service.
func (n *serviceNames) name(service string) string {
	if m := n.m.Load(); m != nil {
		if name, ok := (*m)[service]; ok {
			return name
		}
	}
	name := "service:" + service
	n.mu.Lock()
	defer n.mu.Unlock()
	var old map[string]string
	if m := n.m.Load(); m != nil {
		old = *m
	}
	if len(old) < maxServiceNames {
		next := make(map[string]string, len(old)+1)
		maps.Copy(next, old)
		next[service] = name
		n.m.Store(&next)
	}
	return name
}

func outcome(err error) string {
	if pe, ok := err.(*protocolError); ok {
		switch pe.code {
		case CodeParseError:
			return "parse_error"
		case CodeInvalidRequest:
			return "invalid_request"
		case CodeMethodNotFound:
			return "method_not_found"
		case CodeInvalidParams:
			return "invalid_params"
		}
		return "internal"
	}
	return errs.CodeOf(err).Name()
}

// writeWholeError answers an exchange that failed before any request was
// read.
func (s *Server) writeWholeError(w http.ResponseWriter, status int, err error, requestID string) {
	we, retryAfter := toWire(err, requestID)
	if retryAfter > 0 {
		setRetryAfter(w.Header(), retryAfter)
	}
	w.WriteHeader(status)
	_, _ = w.Write(appendError(nil, nullID, we))
}

// httpStatus picks the HTTP status of a lone request's answer: 503 and 429
// with Retry-After for shedding and rate limits, so that proxies and load
// balancers see them; 200 for everything else, as JSON-RPC over HTTP
// carries its errors in the body.
func httpStatus(err error, retryAfter time.Duration, h http.Header) int {
	if pe, ok := err.(*protocolError); ok {
		if pe.status != 0 {
			return pe.status
		}
		return http.StatusOK
	}
	status := http.StatusOK
	switch errs.CodeOf(err) {
	case errs.CodeOverloaded, errs.CodeUnavailable:
		status = http.StatusServiceUnavailable
	case errs.CodeRateLimited:
		status = http.StatusTooManyRequests
	default:
		return status
	}
	if retryAfter <= 0 {
		retryAfter = time.Second
	}
	setRetryAfter(h, retryAfter)
	return status
}

// setRetryAfter sets the Retry-After header to d in whole seconds, rounded
// up: a client must not come back before d.
func setRetryAfter(h http.Header, d time.Duration) {
	h.Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
}

var errTooLarge = fmt.Errorf("request body too large")

// tooLarge is a body over the limit that applied to its caller.
type tooLarge struct {
	limit int64
	hint  string // why the limit is this one, when it may surprise
}

func (e *tooLarge) Error() string { return fmt.Sprintf("request body exceeds %d bytes", e.limit) }

// slowBody is a body that held a slot of the large-body gate and did not
// arrive in the time allowed.
type slowBody struct {
	allowed time.Duration
	err     error
}

func (e *slowBody) Error() string {
	return fmt.Sprintf("the request body did not arrive within %v: %v", e.allowed, e.err)
}

func (e *slowBody) Unwrap() error { return e.err }

// badCredentials is a body refused before it was read in full because
// its credentials already failed on the headers (Reacher).
type badCredentials struct{ err error }

func (e *badCredentials) Error() string {
	return "the request's credentials do not verify: " + e.err.Error()
}

func (e *badCredentials) Unwrap() error { return e.err }

// read reads r's body into buf, no further than its caller may send: up to
// the public ceiling first, and no further than MaxBodyBytes (most bodies
// end there); past it only as far as the credentials verified without the
// body reach, and not at all when they already fail; past MaxBodyBytes
// only with a slot of the large-body gate, which leave gives back, and
// within a read deadline (largeBodyTime).
func (s *Server) read(ctx context.Context, w http.ResponseWriter, r *http.Request, buf []byte) (body []byte, leave func(), err error) {
	// A public method may take more than MaxBodyBytes, but no caller,
	// with credentials or without, is read past it without a slot.
	limit := min(s.ceiling[auth.Public].Load(), s.opts.MaxBodyBytes)
	body, err = readBody(r.Body, buf, limit)
	if err != errTooLarge {
		return body, nil, err
	}
	reach := auth.Service
	if s.opts.Auth == nil {
		reach = auth.Public
	} else if ra, ok := s.opts.Auth.(Reacher); ok {
		var failed error
		if reach, failed = ra.Reach(r); failed != nil {
			// Whatever method it names, the call would be refused once
			// read (a public one included: its caller's credentials are
			// refused rather than ignored past this point), so neither
			// the rest of its body nor a slot of the large-body gate is
			// spent on it.
			return body, nil, &badCredentials{err: failed}
		}
	}
	ceiling := s.ceiling[reach].Load()
	if ceiling <= limit {
		hint := ""
		if reach == auth.Public && s.ceiling[auth.Service].Load() > limit {
			hint = " (without verified credentials)"
		}
		return body, nil, &tooLarge{limit: limit, hint: hint}
	}
	var rc *http.ResponseController // set while the rest has a read deadline
	var allowed time.Duration
	if ceiling > s.opts.MaxBodyBytes {
		if body, err = readBody(r.Body, body, s.opts.MaxBodyBytes); err != errTooLarge {
			return body, nil, err
		}
		if leave, err = s.large.Enter(ctx); err != nil {
			return body, nil, err
		}
		// The slot was granted on headers alone (a service call's
		// signature covers the body and is checked once it is in): a
		// forged call that trickled its body would hold the slot until
		// the server's read timeout, and LargeBodies of them would keep
		// every genuine bulk call out. So the rest must come at a rate.
		allowed = s.largeBodyTime(r.ContentLength-int64(len(body)), ceiling-int64(len(body)))
		rc = http.NewResponseController(w)
		// Not every ResponseWriter can (a test's recorder): then the
		// server's own read timeout is the bound, as before.
		if rc.SetReadDeadline(time.Now().Add(allowed)) != nil {
			rc = nil
		}
	}
	body, err = readBody(r.Body, body, ceiling)
	if rc != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			leave() // at once: the answer may wait on the client
			return body, nil, &slowBody{allowed: allowed, err: err}
		}
		// Read in full (net/http's background read of the connection
		// already runs without a deadline, HTTP/2's stream needs it
		// dropped) or failed: the deadline is done.
		_ = rc.SetReadDeadline(time.Time{})
	}
	if err == errTooLarge {
		err = &tooLarge{limit: ceiling}
	}
	return body, leave, err
}

// largeBodyTime is how long a body admitted to the large-body gate has
// for the rest of it: LargeBodyTime, plus its remaining bytes at
// LargeBodyRate. The remaining bytes are those its Content-Length
// declares (declared, negative when it has none) but never more than
// most, what its caller may still send.
func (s *Server) largeBodyTime(declared, most int64) time.Duration {
	n := most
	if declared >= 0 && declared < most {
		n = declared
	}
	secs := min(float64(max(n, 0))/float64(s.opts.LargeBodyRate), 24*3600) // a day: no overflow
	return s.opts.LargeBodyTime + time.Duration(secs*float64(time.Second))
}

// readBody reads at most limit bytes into buf.
func readBody(r io.Reader, buf []byte, limit int64) ([]byte, error) {
	for {
		if int64(len(buf)) > limit {
			return buf, errTooLarge
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			if int64(len(buf)) > limit {
				return buf, errTooLarge
			}
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}

func firstByte(b []byte) byte {
	b = trimWS(b)
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

func trimWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
