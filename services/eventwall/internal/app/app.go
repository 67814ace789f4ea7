// Package app wires eventwall together: configuration, the stores
// (Postgres with migrations, Redis, social's CouchDB databases), the domain
// service and its JSON-RPC methods, the screens' routes and cache, the
// ingesters and the consumer of hub's member events, on the platform's
// service runner.
package app

import (
	"context"
	"fmt"
	"time"

	"github.com/attendify/eventwall/internal/rpcapi"
	"github.com/attendify/eventwall/internal/screen"
	"github.com/attendify/eventwall/internal/service"
	"github.com/attendify/eventwall/internal/store/couchstore"
	"github.com/attendify/eventwall/internal/store/hubclient"
	"github.com/attendify/eventwall/internal/store/pgstore"
	"github.com/attendify/eventwall/internal/store/redisstore"
	"github.com/attendify/eventwall/migrations"
	"github.com/attendify/hub"
	"github.com/attendify/platform/couch"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/runner"
)

// Config is eventwall's configuration, from the environment.
type Config struct {
	Service runner.Config
	PG      pg.Config
	Couch   couch.Config
	// Namespace prefixes every Redis key, channel and stream (empty in
	// production; hub's and social's must match).
	Namespace string `env:"REDIS_NAMESPACE"`
	// SocialCouchPrefix is the service part of social's database names
	// ("social$<app>"); it must match social's SOCIAL_COUCH_PREFIX.
	SocialCouchPrefix string `env:"SOCIAL_COUCH_PREFIX" envDefault:"social"`
	// IngestInterval is how often each replica checks the walls and its
	// leases on apps' feeds.
	IngestInterval time.Duration `env:"EVENTWALL_INGEST_INTERVAL" envDefault:"2s"`
	// LeaseTTL is how long a replica's lease on an app's feed outlives it.
	LeaseTTL time.Duration `env:"EVENTWALL_LEASE_TTL" envDefault:"15s"`
	// ScreenCheck is how often the walls in memory are compared with Redis
	// (besides the notifications).
	ScreenCheck time.Duration `env:"EVENTWALL_SCREEN_CHECK" envDefault:"1s"`
	// PhotoCacheBytes bounds the photos kept in memory.
	PhotoCacheBytes int64 `env:"EVENTWALL_PHOTO_CACHE_BYTES" envDefault:"67108864"`
	// Hub is hub's replicas (HUB_URL), asked for the profiles of authors
	// whose member events eventwall missed; none: not asked.
	Hub rpc.ClientConfig `envPrefix:"HUB_"`
}

// LoadConfig reads Config from the environment; eventwall listens on
// 127.0.0.1:8086 and calls hub at 127.0.0.1:8081 unless ADDR and HUB_URL
// say otherwise.
func LoadConfig() (Config, error) {
	return runner.LoadConfig[Config]("ADDR=127.0.0.1:8086", "HUB_URL=http://127.0.0.1:8081")
}

// Migrate brings eventwall's Postgres schema up to date.
func Migrate(ctx context.Context, cfg Config) error {
	return pg.MigrateSchema(ctx, cfg.PG, migrations.Schema, migrations.All...)
}

// Eventwall is a wired, not yet running eventwall service.
type Eventwall struct {
	*runner.Service
	Domain *service.Service
	Board  *redisstore.Store
	Cache  *screen.Cache
	Screen *screen.Handler
}

// New wires eventwall: it migrates and opens the stores, registers the
// methods, routes and background workers. Run it with Run.
func New(ctx context.Context, cfg Config) (*Eventwall, error) {
	if err := Migrate(ctx, cfg); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	svc, err := runner.New(ctx, "eventwall", cfg.Service)
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

	walls := pgstore.New(pool)
	board := redisstore.New(svc.Redis, cfg.Namespace)
	feed := couchstore.New(cc, cfg.SocialCouchPrefix, svc.Log)
	opts := service.Options{
		Walls: walls, Moderation: walls, Board: board, Profiles: walls,
		Access: hub.NewReadModel(svc.Redis, cfg.Namespace), Log: svc.Log,
	}
	if len(cfg.Hub.URLs) > 0 {
		hc, err := svc.Client(cfg.Hub)
		if err != nil {
			return nil, err
		}
		opts.Members = hubclient.New(hc)
	}
	domain := service.New(opts)
	rpcapi.Register(svc.RPC, domain)

	cache := screen.NewCache(board, domain, screen.CacheOptions{Check: cfg.ScreenCheck, Registerer: svc.Metrics, Log: svc.Log})
	scr := screen.NewHandler(cache, feed, cfg.PhotoCacheBytes, svc.Log)
	scr.Draining = svc.Draining()
	svc.AllowOrigins(hub.WebOrigins(svc.Redis, cfg.Namespace)) // browsers on the apps' web origins (CORS)
	scr.Routes(svc.Routes, svc.Streams)
	svc.Go("screen-cache", cache.Run)

	ingester := domain.NewIngester(service.IngesterOptions{Feed: feed, Leases: board, Interval: cfg.IngestInterval, LeaseTTL: cfg.LeaseTTL})
	svc.Go("ingester", ingester.Run)

	memberEvents := events.ConsumerConfig{
		Group: "eventwall", Topics: []string{"member"}, FromStart: true, Logger: svc.Log,
		Concurrency: 4, ClaimIdle: time.Minute,
	}
	if opts.Members != nil {
		// Hub's member events are gone (Redis restarted empty, or the
		// stream was trimmed past the group): the authors' profiles are
		// rebuilt from hub before consuming again.
		memberEvents.Resync = domain.ResyncProfiles
	}
	consumer, err := events.NewConsumer(svc.Redis, events.NewStreams(cfg.Namespace), svc.Consumer(memberEvents), domain.HandleMemberEvent)
	if err != nil {
		return nil, err
	}
	svc.Go("member-events", consumer.Run)
	return &Eventwall{Service: svc, Domain: domain, Board: board, Cache: cache, Screen: scr}, nil
}
