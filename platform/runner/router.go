package runner

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/attendify/platform/obs"
	"github.com/attendify/platform/rpc"
)

// compressed are the content types the plain routes compress for clients
// that accept it: pages and JSON (CSV exports too). Images, spreadsheets
// (already zipped) and event streams are left alone.
var compressed = []string{
	"text/html", "text/css", "text/plain", "text/csv", "text/javascript",
	"application/javascript", "application/json", "image/svg+xml",
}

// routeMetrics counts and times the plain routes' requests by route
// pattern (never the raw path: ids in paths would make a label per
// resource). The JSON-RPC endpoint has its own, per method (platform/rpc).
type routeMetrics struct {
	duration *prometheus.HistogramVec
}

func newRouteMetrics(reg prometheus.Registerer) *routeMetrics {
	m := &routeMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_route_duration_seconds",
			Help:    "Duration of requests to the plain HTTP routes (not the JSON-RPC endpoint), by route pattern, method and status.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method", "code"}),
	}
	reg.MustRegister(m.duration)
	return m
}

// routes builds the server's router: POST /rpc, the discovery document,
// health and readiness, the index page, and the groups the service fills
// (Routes, Streams). It is one chi router; the JSON-RPC endpoint goes
// through no middleware of the router's own but CORS and the refusal of
// calls from other sites' pages (refuseCrossSite): the rpc server does its
// request ids, recovery, metrics and traces per call, by method. The plain
// routes go through request ids, recovery, per-pattern metrics and traces,
// and, except streams, compression and a timeout.
func (s *Service) routes(cfg Config, tracer trace.Tracer) {
	root := chi.NewRouter()
	root.Use(s.cors(cfg.CORS))   // browsers on other origins (web apps, the SDK)
	root.Use(middleware.GetHead) // HEAD where GET is routed, as http.ServeMux does
	root.Method(http.MethodPost, "/rpc", s.refuseCrossSite(cfg.CORS, s.RPC))
	root.Get("/openrpc.json", s.RPC.ServeOpenRPC)
	root.Get("/healthz", s.serveHealth)
	root.Get("/readyz", s.serveReady)
	root.Get("/", s.serveIndex)

	rm := newRouteMetrics(s.Metrics)
	var plain chi.Router
	root.Group(func(r chi.Router) {
		r.Use(s.requestID, s.recoverer, rm.observe(tracer))
		plain = r
	})
	s.Streams = plain
	s.Routes = plain.With(middleware.Timeout(cfg.RouteTimeout), middleware.Compress(5, compressed...))
	// A path no route matches is a 404, counted and traced as "unmatched"
	// (scans show in the metrics without a label per path).
	root.NotFound(chi.Chain(s.requestID, rm.observe(tracer)).HandlerFunc(http.NotFound).ServeHTTP)
	s.router = rpcFirst{rpc: s.RPC, router: root}
}

// rpcFirst hands a JSON-RPC call without an Origin header (from services,
// the apps and the SDK outside browsers: almost every call) straight to the
// JSON-RPC server. The router would send it to the same handler through
// middleware that leaves it alone (CORS acts only on requests with an
// Origin, GetHead only on HEAD), at the price of chi's route context (a
// copy of the request and a context value) and its routing on every call.
// Everything else, browser calls to /rpc included, goes through the router
// (and so past refuseCrossSite).
type rpcFirst struct {
	rpc    http.Handler
	router http.Handler
}

func (h rpcFirst) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && r.URL.Path == "/rpc" && r.URL.RawPath == "" && len(r.Header["Origin"]) == 0 {
		h.rpc.ServeHTTP(w, r)
		return
	}
	h.router.ServeHTTP(w, r)
}

// requestID keeps a valid incoming X-Request-Id or makes one, as the
// JSON-RPC endpoint does, answers with it and puts it in the context for
// the logs.
func (s *Service) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := s.RPC.RequestID(r)
		w.Header().Set(rpc.HeaderRequestID, id)
		next.ServeHTTP(w, r.WithContext(obs.WithRequestID(r.Context(), id)))
	})
}

// recoverer is chi's Recoverer with the panic logged through the service's
// logger (with the request id), not printed to stderr.
func (s *Service) recoverer(next http.Handler) http.Handler {
	rec := middleware.Recoverer(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.ServeHTTP(w, middleware.WithLogEntry(r, panicLog{s.Log, r}))
	})
}

// panicLog is the chi log entry the recoverer reports a panic to.
type panicLog struct {
	log *slog.Logger
	r   *http.Request
}

func (panicLog) Write(int, int, http.Header, time.Duration, any) {}

func (p panicLog) Panic(v any, stack []byte) {
	p.log.ErrorContext(p.r.Context(), "panic serving a request", slog.String("method", p.r.Method),
		slog.String("path", p.r.URL.Path), slog.Any("panic", v), slog.String("stack", string(stack)))
}

// observe records each request's duration by route pattern, and a server
// span named by it when tracing is on.
func (m *routeMetrics) observe(tracer trace.Tracer) func(http.Handler) http.Handler {
	prop := propagation.TraceContext{}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			var span trace.Span
			if tracer != nil {
				ctx := prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
				ctx, span = tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer))
				r = r.WithContext(ctx)
			}
			next.ServeHTTP(ww, r)
			route := routePattern(r)
			code := ww.Status()
			if code == 0 {
				code = http.StatusOK
			}
			m.duration.WithLabelValues(route, r.Method, strconv.Itoa(code)).Observe(time.Since(start).Seconds())
			if span != nil {
				span.SetName(r.Method + " " + route)
				span.SetAttributes(attribute.String("http.route", route), attribute.Int("http.response.status_code", code))
				span.End()
			}
		})
	}
}

// routePattern is the pattern that routed r ("/walls/{token}/poll"), or
// "unmatched" when none did.
func routePattern(r *http.Request) string {
	if rc := chi.RouteContext(r.Context()); rc != nil {
		if p := rc.RoutePattern(); p != "" && p != "/*" {
			return p
		}
	}
	return "unmatched"
}
