// Package app wires sponsored together: configuration, the stores
// (Postgres with migrations, Redis), the domain service, its JSON-RPC
// methods and HTTP routes, and the background workers: the outbox relay,
// the eligibility publisher and the counter of the apps' record streams.
package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/runner"
	"github.com/attendify/sponsored/internal/rpcapi"
	"github.com/attendify/sponsored/internal/service"
	"github.com/attendify/sponsored/internal/store/pgstore"
	"github.com/attendify/sponsored/internal/store/redisstore"
	"github.com/attendify/sponsored/internal/web"
	"github.com/attendify/sponsored/migrations"
	"github.com/attendify/sponsored/placement"
)

// Config is sponsored's configuration, from the environment.
type Config struct {
	Service runner.Config
	PG      pg.Config
	Events  events.PublisherConfig
	// Namespace prefixes every Redis key and stream (empty in production;
	// hub's and social's must match).
	Namespace string `env:"REDIS_NAMESPACE"`
	// LinkKeys sign click links and report links; social needs the same.
	LinkKeys auth.ServiceKeys `env:"SPONSORED_LINK_KEYS" envDefault:"dev:Q2hhbmdlIG1lOiBzcG9uc29yZWQgbGlua3MgZGV2IGtleQ"`
	// PublicURL is sponsored's address as phones and sponsors reach it
	// (empty: the address it listens on).
	PublicURL string `env:"SPONSORED_PUBLIC_URL" envDefault:"http://127.0.0.1:8084"`
	// Every is the organic posts per sponsored slot of apps that set none.
	Every int `env:"SPONSORED_EVERY" envDefault:"5"`
	// PublishInterval is how often eligibility is published.
	PublishInterval time.Duration `env:"SPONSORED_PUBLISH_INTERVAL" envDefault:"5s"`
	// PacingInterval is the length of a pacing interval.
	PacingInterval time.Duration `env:"SPONSORED_PACING_INTERVAL" envDefault:"1m"`
	// CountInterval is how often the record streams are read.
	CountInterval time.Duration `env:"SPONSORED_COUNT_INTERVAL" envDefault:"200ms"`
	// ClaimIdle is how long a record read but not counted waits before
	// another counter takes it; at most a quarter of service.WaitGrace, so
	// that a click waiting for its impression is read again a few times
	// before it is dropped.
	ClaimIdle time.Duration `env:"SPONSORED_CLAIM_IDLE" envDefault:"30s"`
}

// LoadConfig reads Config from the environment; sponsored listens on
// 127.0.0.1:8084 unless ADDR says otherwise.
func LoadConfig() (Config, error) {
	return runner.LoadConfig[Config]("ADDR=127.0.0.1:8084")
}

// Migrate brings sponsored's Postgres schema up to date.
func Migrate(ctx context.Context, cfg Config) error {
	return pg.MigrateSchema(ctx, cfg.PG, migrations.Schema, migrations.All...)
}

// Sponsored is a wired, not yet running sponsored service.
type Sponsored struct {
	*runner.Service
	Domain *service.Service
	Store  *pgstore.Store
	Board  *redisstore.Store
}

// Options let tests replace the clock.
type Options struct {
	Now func() time.Time
}

// New wires sponsored: it migrates and opens the stores, registers the
// methods, routes and background workers. Run it with Run.
func New(ctx context.Context, cfg Config, o Options) (*Sponsored, error) {
	if cfg.ClaimIdle > service.WaitGrace/4 {
		return nil, fmt.Errorf("SPONSORED_CLAIM_IDLE %s is above %s, a quarter of the time clicks wait for their impression", cfg.ClaimIdle, service.WaitGrace/4)
	}
	if err := Migrate(ctx, cfg); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	svc, err := runner.New(ctx, "sponsored", cfg.Service)
	if err != nil {
		return nil, err
	}
	pool, err := svc.OpenPostgres(ctx, cfg.PG, migrations.Schema)
	if err != nil {
		return nil, err
	}
	signer, err := placement.NewSigner(cfg.LinkKeys)
	if err != nil {
		return nil, err
	}
	if signer.Dev() {
		svc.Log.Warn("the development link key is in use: set SPONSORED_LINK_KEYS outside a laptop")
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = svc.URL()
	}
	store := pgstore.New(pool)
	board := redisstore.New(svc.Redis, cfg.Namespace, redisstore.Options{ClaimIdle: cfg.ClaimIdle})
	domain := service.New(service.Options{
		Campaigns: store, Ledger: store, Board: board, Inbox: board,
		Access: hub.NewReadModel(svc.Redis, cfg.Namespace), Signer: signer,
		PublicURL: strings.TrimRight(cfg.PublicURL, "/"), Every: cfg.Every, PacingInterval: cfg.PacingInterval,
		Log: svc.Log, Now: o.Now,
	})
	rpcapi.Register(svc.RPC, domain)
	svc.AllowOrigins(hub.WebOrigins(svc.Redis, cfg.Namespace)) // browsers on the apps' web origins (CORS)
	web.New(domain, cfg.Service.Auth.Verifier(), svc.Log).Routes(svc.Routes)

	relay := &events.Relay{
		Pool:      pool,
		Publisher: events.NewPublisher(svc.Redis, events.NewStreams(cfg.Namespace), cfg.Events),
		Schema:    migrations.Schema,
		Logger:    svc.Log,
	}
	svc.Go("outbox-relay", relay.Run)
	svc.Periodic(runner.Periodic{Name: "publisher", Interval: cfg.PublishInterval, AtStart: true, Run: domain.Publish})
	svc.Periodic(runner.Periodic{Name: "counter", Interval: cfg.CountInterval, AtStart: true, Run: domain.CountAll})
	return &Sponsored{Service: svc, Domain: domain, Store: store, Board: board}, nil
}
