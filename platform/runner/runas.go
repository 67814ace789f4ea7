package runner

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/rpc"
)

// RunAsConfig describes a process started from a developer's machine
// against another environment's stores and services (`attendify run-as qa
// social`). Unset (Env empty), the service runs as usual.
//
// Run as another environment, a service:
//   - names the environment in every log line ("run_as") and in /healthz;
//   - starts no background worker (relays, consumers, sweepers) unless
//     Workers is set, and its event consumers then use a group and names of
//     their own (Service.Consumer), so that they never take the
//     environment's messages;
//   - with ReadOnly, refuses every method not declared rpc.Method.ReadOnly,
//     and every plain route but GET and HEAD, before any handler runs.
//
// It never migrates: the caller sets DATABASE_CHECK_ONLY=true (pg.Config),
// which only checks that the environment's schema is up to date.
type RunAsConfig struct {
	// Env is the environment's name ("qa", "prod").
	Env string `env:"RUN_AS"`
	// ReadOnly refuses whatever writes.
	ReadOnly bool `env:"RUN_AS_READ_ONLY"`
	// Workers starts the background workers.
	Workers bool `env:"RUN_AS_WORKERS"`
	// ID tells this process apart in consumer group and consumer names
	// (default: the host name and the process id).
	ID string `env:"RUN_AS_ID"`
}

// Active reports whether the process runs as another environment.
func (c RunAsConfig) Active() bool { return c.Env != "" }

// id is the process's tag in the names it uses in shared stores.
func (c RunAsConfig) id() string {
	if c.ID != "" {
		return c.ID
	}
	host, _ := os.Hostname()
	if host == "" {
		host = "local"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// refusal is the message of a write refused in read-only mode ("": writes
// are not refused).
func (c RunAsConfig) refusal() string {
	if !c.Active() || !c.ReadOnly {
		return ""
	}
	return "read-only run-as against " + c.Env
}

// banner is the run-as attribute every log line carries.
func (c RunAsConfig) banner() slog.Attr {
	mode := "read-write"
	if c.ReadOnly {
		mode = "read-only"
	}
	return slog.String("run_as", c.Env+" ("+mode+")")
}

// applyRunAs puts the run-as banner in every log line of a run-as process.
func (s *Service) applyRunAs() {
	ra := s.cfg.RunAs
	if !ra.Active() {
		return
	}
	s.logger.Logger = s.logger.With(ra.banner())
	s.Log = s.logger.Logger
	s.Log.Warn("running against another environment's stores and services",
		slog.Bool("read_only", ra.ReadOnly), slog.Bool("workers", ra.Workers))
}

// RunsWorkers reports whether the process runs background work: always,
// unless it runs as another environment without Workers. Background work a
// service starts by other means than Go (a job queue's workers) asks it.
func (s *Service) RunsWorkers() bool {
	return !s.cfg.RunAs.Active() || s.cfg.RunAs.Workers
}

// skipWorker reports whether the worker name must not start: a run-as
// process without Workers starts none.
func (s *Service) skipWorker(name string) bool {
	if s.RunsWorkers() {
		return false
	}
	s.Log.Info("run-as: background worker not started (--workers starts them)", slog.String("worker", name))
	return true
}

// Consumer returns cfg as this process must use it: unchanged normally;
// run as another environment, with a consumer group and a consumer name of
// its own, so that the environment's consumers keep every message of their
// group. Services pass their consumer configurations through it:
//
//	consumer, err := events.NewConsumer(svc.Redis, streams, svc.Consumer(cfg), h)
func (s *Service) Consumer(cfg events.ConsumerConfig) events.ConsumerConfig {
	ra := s.cfg.RunAs
	if !ra.Active() {
		return cfg
	}
	id := ra.id()
	cfg.Group = cfg.Group + ".run-as." + ra.Env + "." + id
	cfg.Name = "run-as-" + id
	cfg.FromStart = false // the environment's history is not this process's to replay
	return cfg
}

// runAsStatus is what /healthz says of a run-as process.
type runAsStatus struct {
	RunAs    string `json:"run_as"`
	ReadOnly bool   `json:"read_only"`
	Workers  bool   `json:"workers"`
}

// runAsStatus is nil unless the process runs as another environment.
func (s *Service) runAsStatus() *runAsStatus {
	ra := s.cfg.RunAs
	if !ra.Active() {
		return nil
	}
	return &runAsStatus{RunAs: ra.Env, ReadOnly: ra.ReadOnly, Workers: ra.Workers}
}

// handler is the HTTP handler the server runs: the router, behind the
// read-only guard of a read-only run-as process, which refuses the plain
// routes that may write (every method but GET and HEAD) before they run.
// JSON-RPC calls go through; the RPC server refuses their writes itself,
// method by method.
func (s *Service) handler() http.Handler {
	ra := s.cfg.RunAs
	if !ra.Active() || !ra.ReadOnly {
		return s.router
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions ||
			(r.Method == http.MethodPost && r.URL.Path == "/rpc") {
			s.router.ServeHTTP(w, r)
			return
		}
		rpc.WriteHTTPError(w, r, s.Log, errs.New(errs.Forbidden, "%s: %s %s may write, and this server serves only reads",
			ra.refusal(), r.Method, strings.ReplaceAll(r.URL.Path, "\n", "")))
	})
}
