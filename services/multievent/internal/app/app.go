// Package app wires multievent together: configuration, the stores
// (Postgres with migrations, CouchDB, the key-value port on Riak or
// Postgres, hub's Redis read model), the domain service, its JSON-RPC
// methods and HTTP routes, the consumer of hub's events and the sweeper of
// the content databases, on the platform's service runner.
package app

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/multievent/internal/hubaccess"
	"github.com/attendify/multievent/internal/hubsource"
	"github.com/attendify/multievent/internal/rpcapi"
	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/multievent/internal/store/couchstore"
	"github.com/attendify/multievent/internal/store/kvagenda"
	"github.com/attendify/multievent/internal/store/postgres"
	"github.com/attendify/multievent/migrations"
	"github.com/attendify/platform/couch"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/kv/pgkv"
	"github.com/attendify/platform/kv/riakkv"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/runner"
)

// Config is multievent's configuration, from the environment.
type Config struct {
	Service runner.Config
	PG      pg.Config
	Couch   couch.Config
	// Riak holds RIAK_HOSTS (unset: the agendas live in Postgres through
	// pgkv) and KV_CONTEXT_KEYS, which seal the causal contexts phones
	// carry, for both adapters.
	Riak riakkv.Config
	// Hub is hub's replicas (HUB_URL), for rebuilds.
	Hub rpc.ClientConfig `envPrefix:"HUB_"`
	// Namespace prefixes every Redis key and stream (empty in production;
	// hub's must match).
	Namespace string `env:"REDIS_NAMESPACE"`
	// CouchPrefix is the service part of the content databases' names
	// ("multievent$<app>-<group>"); tests use their own.
	CouchPrefix string `env:"MULTIEVENT_COUCH_PREFIX" envDefault:"multievent"`
	// PublicURL is where phones and calendar apps reach this service (in
	// calendar links and content database URLs); empty: the address it
	// listens on.
	PublicURL string `env:"MULTIEVENT_PUBLIC_URL" envDefault:"http://127.0.0.1:8087"`
	// SweepInterval is how often the content databases' dirty documents
	// left by failed writes are written again.
	SweepInterval time.Duration `env:"MULTIEVENT_SWEEP_INTERVAL" envDefault:"5s"`
	// Concurrency is how many of hub's events of one topic are handled at
	// once (those of one object stay in order).
	Concurrency int `env:"MULTIEVENT_CONCURRENCY" envDefault:"4"`
	// ContentRecheck is how often the content front checks again, while a
	// _changes feed stays open, that its member may still read the
	// database (the feed ends when they may not).
	ContentRecheck time.Duration `env:"MULTIEVENT_CONTENT_RECHECK" envDefault:"30s"`
	// SearchCache is how many search pages are kept under their app's
	// content version (type-ahead repeats its prefixes); 0 or less keeps
	// none.
	SearchCache int `env:"MULTIEVENT_SEARCH_CACHE" envDefault:"4096"`
}

// LoadConfig reads Config from the environment; multievent listens on
// 127.0.0.1:8087 unless ADDR says otherwise.
func LoadConfig() (Config, error) {
	return runner.LoadConfig[Config]("ADDR=127.0.0.1:8087", "HUB_URL=http://127.0.0.1:8081")
}

// Migrate brings multievent's Postgres schema up to date.
func Migrate(ctx context.Context, cfg Config) error {
	return pg.MigrateSchema(ctx, cfg.PG, migrations.Schema, migrations.All...)
}

// Multievent is a wired, not yet running multievent service.
type Multievent struct {
	*runner.Service
	Domain *service.Service
	Store  *postgres.Store
	Docs   *couchstore.Store
}

// New wires multievent: it migrates and opens the stores, registers the
// methods, routes and background workers. Run it with Run.
func New(ctx context.Context, cfg Config) (*Multievent, error) { return build(ctx, cfg, true) }

// Rebuild rebuilds the projection from hub and rewrites the content
// databases (`multievent rebuild`), with the service's wiring on a
// loopback port of its own and without its workers; it returns when done.
func Rebuild(ctx context.Context, cfg Config) error {
	cfg.Service.Addr = "127.0.0.1:0"
	cfg.Service.ShutdownDelay = 0 // nothing balances over this port
	m, err := build(ctx, cfg, false)
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var rebuildErr error
	m.Go("rebuild", func(ctx context.Context) error {
		defer stop()
		start := time.Now()
		if rebuildErr = m.Domain.Rebuild(ctx); rebuildErr == nil {
			m.Log.Info("rebuilt the projection and the content databases from hub", "took", time.Since(start))
		}
		return nil
	})
	if err := m.Run(runCtx); err != nil {
		return err
	}
	return rebuildErr
}

func build(ctx context.Context, cfg Config, workers bool) (*Multievent, error) {
	if err := Migrate(ctx, cfg); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	svc, err := runner.New(ctx, "multievent", cfg.Service)
	if err != nil {
		return nil, err
	}
	pool, err := svc.OpenPostgres(ctx, cfg.PG, migrations.Schema)
	if err != nil {
		return nil, err
	}
	cc, err := svc.OpenCouchDB(ctx, cfg.Couch)
	if err != nil {
		return nil, err
	}
	couchURL, err := url.Parse(cfg.Couch.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Couch.User != "" {
		couchURL.User = url.UserPassword(cfg.Couch.User, cfg.Couch.Password)
	}

	// The key-value port: Riak when RIAK_HOSTS is set, else pgkv; both
	// seal contexts with KV_CONTEXT_KEYS.
	var agendas *kvagenda.Store
	if cfg.Riak.Enabled() {
		rs, err := riakkv.Open(cfg.Riak)
		if err != nil {
			return nil, err
		}
		svc.OnStop("riak", func(context.Context) error { return rs.Close() })
		svc.AddCheck("riak", rs.Ping)
		agendas = kvagenda.New(rs)
		svc.Log.Info("key-value port on Riak", "hosts", strings.Join(cfg.Riak.Hosts, ","))
	} else {
		agendas = kvagenda.New(pgkv.New(pool, pgkv.WithContextKeys(cfg.Riak.ContextKeys)))
	}

	store := postgres.New(pool)
	docs := couchstore.New(cc, cfg.CouchPrefix)
	opts := service.Options{
		Projection: store, Search: store, Links: store, Agendas: agendas, Content: docs,
		Access: hubaccess.New(hub.NewReadModel(svc.Redis, cfg.Namespace)),
		Log:    svc.Log, PublicURL: cmp.Or(cfg.PublicURL, svc.URL()),
		SearchCache: cfg.SearchCache,
	}
	if cfg.SearchCache <= 0 {
		opts.SearchCache = -1 // none
	}
	if len(cfg.Hub.URLs) > 0 { // none: no rebuilds (tests that play hub's part)
		hc, err := svc.Client(cfg.Hub)
		if err != nil {
			return nil, err
		}
		opts.Hub = hubsource.New(hc)
	}
	domain := service.New(opts)
	rpcapi.Register(svc.RPC, domain)
	svc.AllowOrigins(hub.WebOrigins(svc.Redis, cfg.Namespace)) // browsers on the apps' web origins (CORS)
	rpcapi.Routes(svc.Routes, svc.Streams, domain, cfg.Service.Auth.Verifier(), couchURL, cfg.ContentRecheck, svc.Log)
	m := &Multievent{Service: svc, Domain: domain, Store: store, Docs: docs}
	if !workers {
		return m, nil
	}

	hubEvents := events.ConsumerConfig{
		Group: "multievent", Topics: service.Topics, FromStart: true, Logger: svc.Log,
		Concurrency: cfg.Concurrency, ClaimIdle: time.Minute,
	}
	if opts.Hub != nil {
		// Hub's events are gone (Redis restarted empty, or a stream was
		// trimmed past the group): rebuild from hub, as `multievent
		// rebuild` does, before consuming again.
		hubEvents.Resync = domain.Rebuild
	}
	consumer, err := events.NewConsumer(svc.Redis, events.NewStreams(cfg.Namespace), svc.Consumer(hubEvents), domain.HandleHubEvent)
	if err != nil {
		return nil, err
	}
	svc.Go("hub-events", consumer.Run)
	svc.Periodic(runner.Periodic{Name: "content-sweeper", Interval: cfg.SweepInterval, Run: func(ctx context.Context) error {
		n, err := domain.SettleDirty(ctx)
		if err == nil && n > 0 {
			svc.Log.Info("content sweep wrote documents left dirty", "count", n)
		}
		return err
	}})
	return m, nil
}
