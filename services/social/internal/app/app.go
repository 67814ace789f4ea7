// Package app wires social together: configuration, the stores (CouchDB,
// Postgres with migrations, Redis, the key-value port), the domain service,
// its JSON-RPC methods and photo routes, the outbox relay and the consumer
// of hub's member events, on the platform's service runner.
package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/platform/couch"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/kv/riakkv"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/runner"
	"github.com/attendify/social/internal/rpcapi"
	"github.com/attendify/social/internal/service"
	"github.com/attendify/social/internal/store/couchstore"
	"github.com/attendify/social/internal/store/pgstore"
	"github.com/attendify/social/internal/store/redisstore"
	"github.com/attendify/social/migrations"
	"github.com/attendify/sponsored/placement"
)

// Config is social's configuration, from the environment.
type Config struct {
	Service runner.Config
	PG      pg.Config
	Couch   couch.Config
	Riak    riakkv.Config
	Events  events.PublisherConfig
	// Namespace prefixes every Redis key and stream (empty in production).
	Namespace string `env:"REDIS_NAMESPACE"`
	// CouchPrefix is the service part of the app databases' names
	// ("social$<app>"); tests use their own.
	CouchPrefix string `env:"SOCIAL_COUCH_PREFIX" envDefault:"social"`
	// RateLimits turns the per-member rate limits on (off for load tests).
	RateLimits bool `env:"SOCIAL_RATE_LIMITS" envDefault:"true"`
	// UploadSweepInterval is how often unused photo uploads are deleted.
	UploadSweepInterval time.Duration `env:"SOCIAL_UPLOAD_SWEEP_INTERVAL" envDefault:"1h"`
	// Hub is hub's replicas (HUB_URL), read to rebuild the authors'
	// profiles when social's place in hub's member events is lost (Redis
	// restarted empty, or the stream was trimmed past it); none: not
	// rebuilt, and a lost change shows until the member's next one.
	Hub rpc.ClientConfig `envPrefix:"HUB_"`
	// Sponsored configures the placement of sponsored posts in the feeds
	// (SPONSORED_PLACEMENT, SPONSORED_LINK_KEYS, SPONSORED_PUBLIC_URL...).
	Sponsored placement.Config
}

// LoadConfig reads Config from the environment; social listens on
// 127.0.0.1:8083 unless ADDR says otherwise.
func LoadConfig() (Config, error) {
	return runner.LoadConfig[Config]("ADDR=127.0.0.1:8083")
}

// Migrate brings social's Postgres schema up to date.
func Migrate(ctx context.Context, cfg Config) error {
	return pg.MigrateSchema(ctx, cfg.PG, migrations.Schema, migrations.All...)
}

// Social is a wired, not yet running social service.
type Social struct {
	*runner.Service
	Domain *service.Service
	Docs   *couchstore.Store
	Index  *redisstore.Store
	Ledger *pgstore.Store
}

// New wires social: it migrates and opens the stores, registers the
// methods, routes and background workers. Run it with Run.
func New(ctx context.Context, cfg Config) (*Social, error) {
	if err := Migrate(ctx, cfg); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	svc, err := runner.New(ctx, "social", cfg.Service)
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

	// The key-value port: Riak when RIAK_HOSTS is set, else pgkv in the
	// ledger's own transactions.
	var remote pgstore.KV
	if cfg.Riak.Enabled() {
		rs, err := riakkv.Open(cfg.Riak)
		if err != nil {
			return nil, err
		}
		svc.OnStop("riak", func(context.Context) error { return rs.Close() })
		svc.AddCheck("riak", rs.Ping)
		remote = rs
		svc.Log.Info("key-value port on Riak", "hosts", strings.Join(cfg.Riak.Hosts, ","))
	}

	docs := couchstore.New(cc, cfg.CouchPrefix)
	index := redisstore.New(svc.Redis, cfg.Namespace)
	ledger := pgstore.New(pool, remote)
	limits := service.DefaultLimits
	if !cfg.RateLimits {
		limits = service.NoLimits
		svc.Log.Warn("SOCIAL_RATE_LIMITS is off: members are not rate limited")
	}
	var placer service.Placer
	if cfg.Sponsored.Enabled {
		p, err := placement.New(cfg.Sponsored, placement.Options{Redis: svc.Redis, Namespace: cfg.Namespace, Log: svc.Log})
		if err != nil {
			return nil, err
		}
		placer = p
	}
	domain := service.New(service.Options{
		Access: hub.NewReadModel(svc.Redis, cfg.Namespace),
		Stores: service.Stores{
			Posts: docs, Comments: docs, Uploads: docs, AppDocs: docs,
			Reactions: ledger, Changes: ledger, Notifications: ledger, Reports: ledger, Blocks: ledger, Profiles: ledger,
			Feeds: index, Cache: index, ProfileCache: index, Limiter: index, Pending: index,
		},
		Limits: limits, Log: svc.Log,
		Decoding: service.NewDecodingGate(svc.Metrics), Placer: placer,
	})
	rpcapi.Register(svc.RPC, domain)
	svc.AllowOrigins(hub.WebOrigins(svc.Redis, cfg.Namespace)) // browsers on the apps' web origins (CORS)
	rpcapi.Routes(svc.Routes, domain, cfg.Service.Auth.Verifier(), svc.Log)

	streams := events.NewStreams(cfg.Namespace)
	relay := &events.Relay{
		Pool:      pool,
		Publisher: events.NewPublisher(svc.Redis, streams, cfg.Events),
		Schema:    migrations.Schema,
		Logger:    svc.Log,
	}
	svc.Go("outbox-relay", relay.Run)
	members := events.ConsumerConfig{
		Group: "social", Topics: []string{"member"}, FromStart: true, Logger: svc.Log,
		Concurrency: 4, ClaimIdle: 2 * time.Minute,
	}
	if len(cfg.Hub.URLs) > 0 {
		hc, err := svc.Client(cfg.Hub)
		if err != nil {
			return nil, err
		}
		hubMembers := hub.NewMemberSource(hc)
		members.Resync = func(ctx context.Context) error { return domain.ResyncMembers(ctx, hubMembers) }
	} else {
		svc.Log.Warn("HUB_URL is not set: the authors' profiles are not rebuilt from hub if hub's member events are lost")
	}
	consumer, err := events.NewConsumer(svc.Redis, streams, svc.Consumer(members), domain.HandleMemberEvent)
	if err != nil {
		return nil, err
	}
	svc.Go("member-events", consumer.Run)
	svc.Periodic(runner.Periodic{Name: "pending-events", Interval: 30 * time.Second, Run: func(ctx context.Context) error {
		n, err := domain.SettlePending(ctx, time.Minute)
		if n > 0 {
			svc.Log.Info("settled pending changes of interrupted writes", "count", n)
		}
		return err
	}})
	// Members blocked before reactions followed blocks, and a block whose
	// settling a crash cut short: at start, then every ten minutes.
	svc.Periodic(runner.Periodic{Name: "settle-blocks", Interval: 10 * time.Minute, AtStart: true, Run: domain.SettleBlocks})
	svc.Periodic(runner.Periodic{Name: "upload-sweeper", Interval: cfg.UploadSweepInterval, Run: func(ctx context.Context) error {
		return sweepUploads(ctx, cc, docs, cfg.CouchPrefix, svc.Log)
	}})
	return &Social{Service: svc, Domain: domain, Docs: docs, Index: index, Ledger: ledger}, nil
}
