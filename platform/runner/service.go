// Package runner runs a service process: configuration from the
// environment, the HTTP server with the JSON-RPC endpoint, health and
// readiness, metrics on a separate admin listener, background workers, and
// a graceful shutdown that drains in-flight requests before closing the
// stores.
//
// A service's main stays thin:
//
//	func main() { runner.Main(run) }
//
//	func run(ctx context.Context) error {
//		cfg, err := runner.LoadConfig[Config]()
//		...
//		svc, err := runner.New(ctx, "hub", cfg.Service)
//		...
//		rpc.Handle(svc.RPC, hub.GetApp, h.GetApp)
//		return svc.Run(ctx)
//	}
package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/obs"
	"github.com/attendify/platform/redisx"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/shed"
)

// Config is the part of every service's configuration the runner needs.
// Embed it in the service's own config struct.
type Config struct {
	// Addr is where the HTTP server listens.
	Addr string `env:"ADDR"`
	// ShutdownDelay is how long the server keeps serving after a stop
	// signal, with /readyz answering 503, before it closes its listener:
	// the time load balancers need to notice and send elsewhere. 0 where
	// no balancer watches readiness (tests, the dev stack).
	ShutdownDelay time.Duration `env:"SHUTDOWN_DELAY" envDefault:"5s"`
	// ShutdownTimeout bounds the drain of in-flight requests after the
	// listener closes.
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"25s"`
	ReadTimeout     time.Duration `env:"HTTP_READ_TIMEOUT" envDefault:"60s"`
	IdleTimeout     time.Duration `env:"HTTP_IDLE_TIMEOUT" envDefault:"120s"`
	// RouteTimeout bounds a request to a plain route (Service.Routes: its
	// context's deadline, then 504); streams (Service.Streams) have none.
	RouteTimeout time.Duration `env:"HTTP_ROUTE_TIMEOUT" envDefault:"60s"`
	// H2C also serves HTTP/2 without TLS (prior knowledge, as the kit's
	// client sends with rpc.ClientConfig.HTTP2) beside HTTP/1.1, for calls
	// between services inside the cluster. Browsers and apps keep
	// HTTP/1.1 (or HTTP/2 over TLS at the load balancer).
	H2C bool `env:"HTTP_H2C" envDefault:"true"`
	// Shedding: off with SHED_DISABLED=true (benchmarks of the bare path).
	ShedDisabled     bool    `env:"SHED_DISABLED"`
	ShedCPUThreshold float64 `env:"SHED_CPU_THRESHOLD" envDefault:"0.9"`
	// MaxBodyBytes bounds a JSON-RPC request body.
	MaxBodyBytes int64 `env:"RPC_MAX_BODY_BYTES" envDefault:"1048576"`
	// AccessLog logs a line per call (on by default). Off, a call that
	// failed with an internal error, or panicked, is logged all the same.
	AccessLog bool `env:"RPC_ACCESS_LOG" envDefault:"true"`
	// AdminAddr is where the admin listener serves /metrics (and
	// /debug/pprof/ with DEBUG_PPROF), apart from the service's port that
	// callers reach: a loopback or internal address only the scraper can
	// reach. Empty: no admin listener, and no metrics over HTTP.
	AdminAddr string `env:"ADMIN_ADDR"`
	// DocsURL is where the repository's files are read in a browser (its
	// main branch on the code host); the index page (GET /) links the
	// service's method reference under it. Empty: the page names the file.
	DocsURL string `env:"DOCS_URL"`
	// Pprof serves net/http/pprof under /debug/pprof/ on the admin
	// listener (off by default: it exposes internals).
	Pprof bool `env:"DEBUG_PPROF"`
	// RunAs is set when the process runs against another environment
	// (runas.go).
	RunAs RunAsConfig

	CORS CORS

	// Deploy is where the instance's start, ready, stop and crash are
	// posted (DEPLOY_WEBHOOK_URL; webhook.go).
	Deploy DeployConfig

	Log   obs.LogConfig
	Trace obs.TraceConfig
	Auth  auth.Config
	Redis redisx.Config
}

// LoadConfig reads a configuration struct from the environment. Defaults,
// as "NAME=value", stand in for variables that are not set: they say what a
// struct tag cannot, such as the address one service listens on by default
// (ADDR), when its Config embeds this package's.
func LoadConfig[T any](defaults ...string) (T, error) {
	var c T
	environ := env.ToMap(os.Environ())
	for _, d := range defaults {
		name, value, ok := strings.Cut(d, "=")
		if !ok || name == "" {
			return c, fmt.Errorf("configuration: default %q is not NAME=value", d)
		}
		if _, set := environ[name]; !set {
			environ[name] = value
		}
	}
	if err := env.ParseWithOptions(&c, env.Options{Environment: environ}); err != nil {
		return c, fmt.Errorf("configuration: %w", err)
	}
	return c, nil
}

// Service is a running service's shared equipment.
type Service struct {
	Name string
	Log  *slog.Logger
	RPC  *rpc.Server
	// Routes take the service's plain HTTP routes (uploads, photos,
	// reports, pages), with chi patterns ("/walls/{token}/poll"; handlers
	// read parameters with r.PathValue or chi.URLParam). They get request
	// ids, panic recovery, metrics and traces labelled by the route
	// pattern, compression of pages and JSON, and HTTP_ROUTE_TIMEOUT.
	Routes chi.Router
	// Streams take long-lived responses (event streams, long polls): the
	// same as Routes without the timeout and compression.
	Streams chi.Router
	// Admin is the admin listener's routes (/metrics, /debug/pprof/); nil
	// when AdminAddr is empty.
	Admin   *http.ServeMux
	Redis   redis.UniversalClient
	Metrics *prometheus.Registry
	Auth    auth.Config

	cfg      Config
	router   http.Handler
	logger   *obs.Logger
	listener net.Listener
	adminLn  net.Listener

	mu          sync.Mutex
	checks      map[string]func(context.Context) error
	originCheck OriginCheck
	stops       []stopHook
	workers     []worker
	ready       bool
	draining    chan struct{}
	deploy      *deployNotifier
}

type stopHook struct {
	name string
	fn   func(context.Context) error
}

type worker struct {
	name string
	fn   func(context.Context) error
}

// New prepares a service: logger, tracing, Redis (for service-call nonces
// and most services' data), auth, metrics, the RPC server and its routes.
// It listens on cfg.Addr at once so that the address is known (port 0
// picks a free one) before Run.
func New(ctx context.Context, name string, cfg Config) (*Service, error) {
	logger := obs.NewLogger(os.Stdout, name, cfg.Log)
	s := &Service{
		Name:     name,
		Log:      logger.Logger,
		Metrics:  prometheus.NewRegistry(),
		Auth:     cfg.Auth,
		cfg:      cfg,
		logger:   logger,
		checks:   map[string]func(context.Context) error{},
		draining: make(chan struct{}),
		deploy:   newDeployNotifier(cfg.Deploy, name, logger.Logger),
	}
	s.applyRunAs()
	s.deploy.post(deployStart, nil)
	lastDeploy.Store(s.deploy)
	s.Metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), buildInfoMetric(name))

	stopTracing, err := obs.SetupTracing(ctx, name, cfg.Trace)
	if err != nil {
		return nil, err
	}
	s.OnStop("tracing", stopTracing)

	rdb, err := redisx.Open(ctx, cfg.Redis)
	if err != nil {
		return nil, err
	}
	s.Redis = rdb
	s.OnStop("redis", func(context.Context) error { return rdb.Close() })
	s.AddCheck("redis", redisx.Ready(rdb))

	if cfg.Auth.ServiceName == "" {
		cfg.Auth.ServiceName = name
		s.Auth.ServiceName = name
	}
	if cfg.Auth.Dev() {
		s.Log.Warn("development keys in use: set AUTH_TOKEN_PUBLIC_KEYS and AUTH_SERVICE_KEYS outside a laptop")
	}
	authn := &auth.Authenticator{
		Tokens:         cfg.Auth.Verifier(),
		Services:       cfg.Auth.ServiceVerifier(auth.NewRedisNonces(rdb, "")),
		TrustedProxies: cfg.Auth.TrustedProxies,
	}
	opts := rpc.Options{
		Name:         name,
		Version:      version(),
		Logger:       s.Log,
		NoAccessLog:  !cfg.AccessLog, // internal errors and panics are logged all the same
		Registerer:   s.Metrics,
		Auth:         authn,
		MaxBodyBytes: cfg.MaxBodyBytes,
		RefuseWrites: cfg.RunAs.refusal(),
	}
	var routeTracer trace.Tracer
	if cfg.Trace.Enabled() {
		opts.Tracer = otel.Tracer("github.com/attendify/platform/rpc")
		routeTracer = otel.Tracer("github.com/attendify/platform/runner")
	}
	if !cfg.ShedDisabled {
		sh := shed.New(shed.Options{CPUThreshold: cfg.ShedCPUThreshold})
		opts.Shedder = sh
	}
	s.RPC = rpc.NewServer(opts)
	s.routes(cfg, routeTracer)

	addr := cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	s.listener, err = net.Listen("tcp", addr)
	if err != nil {
		_ = s.stop(context.Background())
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	if cfg.AdminAddr != "" {
		s.adminLn, err = net.Listen("tcp", cfg.AdminAddr)
		if err != nil {
			_ = s.listener.Close()
			_ = s.stop(context.Background())
			return nil, fmt.Errorf("admin listener on %s: %w", cfg.AdminAddr, err)
		}
		s.Admin = http.NewServeMux()
		s.Admin.Handle("GET /metrics", promhttp.HandlerFor(s.Metrics, promhttp.HandlerOpts{}))
		if cfg.Pprof {
			s.Admin.HandleFunc("/debug/pprof/", pprof.Index)
			s.Admin.HandleFunc("/debug/pprof/profile", pprof.Profile)
			s.Admin.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
			s.Admin.HandleFunc("/debug/pprof/trace", pprof.Trace)
		}
	}
	return s, nil
}

// Handler is the service's HTTP handler (its router), for tests and
// benchmarks that serve it in process.
func (s *Service) Handler() http.Handler { return s.router }

// Addr is the address the service listens on.
func (s *Service) Addr() string { return s.listener.Addr().String() }

// AdminAddr is the address of the admin listener ("" when there is none).
func (s *Service) AdminAddr() string {
	if s.adminLn == nil {
		return ""
	}
	return s.adminLn.Addr().String()
}

// URL is the service's base URL.
func (s *Service) URL() string { return "http://" + s.Addr() }

// Signer signs this service's outgoing service calls.
func (s *Service) Signer() (*auth.Signer, error) {
	sg, err := s.Auth.Signer()
	if err != nil {
		return nil, err
	}
	return &sg, nil
}

// Client returns a client of another service's replicas, signing calls as
// this service.
func (s *Service) Client(cfg rpc.ClientConfig) (*rpc.Client, error) {
	sg, err := s.Signer()
	if err != nil {
		return nil, err
	}
	return rpc.NewClient(rpc.ClientOptions{Endpoints: cfg.URLs, Signer: sg, HTTP2: cfg.HTTP2, Sessions: cfg.Sessions})
}

// AddCheck registers a readiness check (a store ping, typically).
func (s *Service) AddCheck(name string, check func(context.Context) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checks[name] = check
}

// OnStop registers a hook run at shutdown after the server has drained, in
// reverse order of registration (close what was opened last first).
func (s *Service) OnStop(name string, fn func(context.Context) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stops = append(s.stops, stopHook{name, fn})
}

// Go registers a background worker (an outbox relay, an event consumer, a
// changes follower). Workers start with Run; their context ends at shutdown,
// after the HTTP server has drained. A worker returning an error other than
// the context's stops the service. A job that runs on a ticker (a sweeper,
// a reaper) is a Periodic instead.
func (s *Service) Go(name string, fn func(ctx context.Context) error) {
	if s.skipWorker(name) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.workers = append(s.workers, worker{name, fn})
}

// Draining is closed when the server starts draining, at the end of the
// shutdown delay, as its listener closes. Long-lived responses (streams,
// long polls) end then, with a hint to reconnect (which reaches another
// replica), instead of holding the drain until its timeout.
func (s *Service) Draining() <-chan struct{} { return s.draining }

// Run serves until ctx ends, then shuts down gracefully: readiness turns
// false and responses stop keeping connections alive while the server goes
// on serving for ShutdownDelay (load balancers take the replica out), then
// the listener closes, Draining is closed, in-flight requests finish (up to
// ShutdownTimeout), workers stop, stop hooks run, logs are flushed.
func (s *Service) Run(ctx context.Context) error {
	srv := &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       s.cfg.ReadTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.Log.Handler(), slog.LevelWarn),
	}
	if s.cfg.H2C {
		srv.Protocols = new(http.Protocols)
		srv.Protocols.SetHTTP1(true)
		srv.Protocols.SetUnencryptedHTTP2(true)
	}
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	errc := make(chan error, 2+len(s.workers)) // the server, the admin listener, each worker
	var wg sync.WaitGroup
	for _, w := range s.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.fn(workCtx); err != nil && workCtx.Err() == nil {
				errc <- fmt.Errorf("worker %s: %w", w.name, err)
			}
		}()
	}
	// Ready before the first request is served: the listener has been
	// accepting since New, and a probe that arrived early must not be
	// told the service is shutting down.
	s.setReady(true)
	go func() {
		if err := srv.Serve(s.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	var admin *http.Server
	if s.adminLn != nil {
		admin = &http.Server{
			Handler:           s.Admin,
			ReadHeaderTimeout: 5 * time.Second,
			IdleTimeout:       s.cfg.IdleTimeout,
			ErrorLog:          srv.ErrorLog,
		}
		go func() {
			if err := admin.Serve(s.adminLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("admin listener: %w", err)
			}
		}()
	}
	s.deploy.post(deployReady, nil)
	s.Log.Info("listening", slog.String("addr", s.Addr()), slog.String("admin_addr", s.AdminAddr()), slog.String("version", version()))

	var runErr error
	select {
	case <-ctx.Done():
		s.Log.Info("shutting down", slog.Duration("delay", s.cfg.ShutdownDelay), slog.Duration("drain_timeout", s.cfg.ShutdownTimeout))
	case runErr = <-errc:
		s.Log.Error("stopping on error", slog.Any("error", runErr))
	}
	s.setReady(false)
	if s.cfg.ShutdownDelay > 0 && runErr == nil {
		// Connections kept alive bypass a balancer's choice: each
		// response now closes its connection, so that the caller's next
		// request goes through the balancer again.
		srv.SetKeepAlivesEnabled(false)
		delay := time.NewTimer(s.cfg.ShutdownDelay)
		select {
		case <-delay.C:
		case runErr = <-errc:
			delay.Stop()
			s.Log.Error("stopping on error", slog.Any("error", runErr))
		}
	}
	drainCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	close(s.draining)
	if err := srv.Shutdown(drainCtx); err != nil {
		s.Log.Warn("drain incomplete", slog.Any("error", err))
		_ = srv.Close()
	}
	if admin != nil { // served until now: scrapes see the drain
		if err := admin.Shutdown(drainCtx); err != nil {
			_ = admin.Close()
		}
	}
	stopWork()
	wg.Wait()
	if err := s.stop(drainCtx); err != nil && runErr == nil {
		runErr = err
	}
	if runErr != nil {
		s.deploy.post(deployCrash, runErr)
	} else {
		s.deploy.post(deployStop, nil)
	}
	s.deploy.wait()
	s.Log.Info("stopped")
	_ = s.logger.Close()
	return runErr
}

func (s *Service) stop(ctx context.Context) error {
	s.mu.Lock()
	hooks := slices.Clone(s.stops)
	s.mu.Unlock()
	var errs []error
	for i := len(hooks) - 1; i >= 0; i-- {
		if err := hooks[i].fn(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop %s: %w", hooks[i].name, err))
		}
	}
	return errors.Join(errs...)
}

func (s *Service) setReady(v bool) {
	s.mu.Lock()
	s.ready = v
	s.mu.Unlock()
}

// serveReady answers 200 when every readiness check passes, 503
// otherwise, naming each check's outcome.
func (s *Service) serveReady(w http.ResponseWriter, r *http.Request) {
	status, results := s.readiness(r.Context())
	code := http.StatusOK
	if status != "ok" {
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"status": status, "checks": results})
}

// Main runs run with a context that ends on SIGINT or SIGTERM; a second
// signal exits at once. It exits 1 when run fails. Before run, it answers
// the commands every service has: `-version` and `healthcheck` (build.go).
func Main(run func(ctx context.Context) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // restore default handling: a second signal kills the process
	}()
	if handled, err := builtin(ctx, os.Args[1:], os.Stdout); handled {
		run = func(context.Context) error { return err }
	}
	if err := run(ctx); err != nil {
		postCrash(err)
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// lastDeploy is the deploy notifier of the process's service, once New
// has made it.
var lastDeploy atomic.Pointer[deployNotifier]

// postCrash posts the crash of a service that failed before Run ended it:
// New failing on a store, or a service's own start-up failing after New.
// When Run already posted the end, it posts nothing.
func postCrash(err error) {
	if n := lastDeploy.Load(); n != nil {
		n.post(deployCrash, err)
		n.wait()
	}
}

// Commands are a program's subcommands by name. Run runs the one its first
// argument names, "serve" when there is none:
//
//	func main() {
//		runner.Main(func(ctx context.Context) error {
//			return runner.Commands{"serve": serve, "migrate": migrate}.Run(ctx)
//		})
//	}
type Commands map[string]func(ctx context.Context) error

// Run runs the command os.Args[1] names ("serve" by default).
func (c Commands) Run(ctx context.Context) error {
	name := "serve"
	if len(os.Args) > 1 {
		name = os.Args[1]
	}
	if run, ok := c[name]; ok {
		return run(ctx)
	}
	names := make([]string, 0, len(c))
	for n := range c {
		names = append(names, n)
	}
	slices.Sort(names)
	return fmt.Errorf("unknown command %q: want one of %s", name, strings.Join(names, ", "))
}
