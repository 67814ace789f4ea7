// Package app wires hub together: configuration, Postgres with migrations,
// the domain service, its JSON-RPC methods, the outbox relay and the
// read-model worker, on the platform's service runner.
package app

import (
	"context"
	"fmt"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/attendify/hub"
	"github.com/attendify/hub/internal/readmodel"
	"github.com/attendify/hub/internal/rpcapi"
	"github.com/attendify/hub/internal/service"
	"github.com/attendify/hub/internal/store/postgres"
	"github.com/attendify/hub/internal/throttle"
	"github.com/attendify/hub/migrations"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/gate"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/runner"
)

// Config is hub's configuration, from the environment.
type Config struct {
	Service runner.Config
	PG      pg.Config
	Events  events.PublisherConfig
	// Namespace prefixes every Redis key and stream (empty in production).
	Namespace string `env:"REDIS_NAMESPACE"`
	// DevMode logs sign-in codes and mailed tokens and enables
	// dev.lastCode and dev.lastToken.
	DevMode bool `env:"HUB_DEV_MODE"`
	// ReadModelInterval is how often the read-model worker checks the ready
	// key and the repair queue.
	ReadModelInterval time.Duration `env:"HUB_READMODEL_INTERVAL" envDefault:"2s"`
	// PasswordMemoryKiB is argon2id's memory cost (64 MiB by default).
	PasswordMemoryKiB uint32 `env:"HUB_PASSWORD_MEMORY_KIB" envDefault:"65536"`
	// PasswordWorkers bounds the password and passcode hashes running at
	// once (0: GOMAXPROCS), PasswordQueue the calls waiting for one (0:
	// twice the workers); past them a call is refused as overloaded.
	PasswordWorkers int `env:"HUB_PASSWORD_WORKERS"`
	PasswordQueue   int `env:"HUB_PASSWORD_QUEUE"`
	// OutboxBatch is the events the relay moves from the outbox to the
	// streams per round (a bulk upsert adds one per member).
	OutboxBatch int `env:"HUB_OUTBOX_BATCH" envDefault:"1000"`
	// The limits of auth.requestCode: per client address and minute, per
	// address and hour, and for all clients together per minute (unset or
	// 0: service.DefaultLimits, 30, 300 and 1000).
	CodesPerAddrMinute int `env:"HUB_CODES_PER_ADDR_MINUTE"`
	CodesPerAddrHour   int `env:"HUB_CODES_PER_ADDR_HOUR"`
	CodesPerMinute     int `env:"HUB_CODES_PER_MINUTE"`
	// The limits of auth.signUp: per client address and hour, per email
	// and hour, for all clients together per minute (unset or 0: 20, 5,
	// 200).
	SignUpsPerAddrHour  int `env:"HUB_SIGNUPS_PER_ADDR_HOUR"`
	SignUpsPerEmailHour int `env:"HUB_SIGNUPS_PER_EMAIL_HOUR"`
	SignUpsPerMinute    int `env:"HUB_SIGNUPS_PER_MINUTE"`
	// The limits of collaborator.invite, per hour: per inviting organizer,
	// per app, per app and email (unset or 0: 100, 50, 5).
	InvitesPerInviterHour int `env:"HUB_INVITES_PER_INVITER_HOUR"`
	InvitesPerAppHour     int `env:"HUB_INVITES_PER_APP_HOUR"`
	InvitesPerEmailHour   int `env:"HUB_INVITES_PER_EMAIL_HOUR"`
}

// LoadConfig reads Config from the environment; hub listens on
// 127.0.0.1:8081 unless ADDR says otherwise.
func LoadConfig() (Config, error) {
	return runner.LoadConfig[Config]("ADDR=127.0.0.1:8081")
}

// Migrate brings hub's schema up to date.
func Migrate(ctx context.Context, cfg Config) error {
	return pg.MigrateSchema(ctx, cfg.PG, migrations.Schema, migrations.All...)
}

// Hub is a wired, not yet running hub.
type Hub struct {
	*runner.Service
	Domain *service.Service
}

// New wires hub: it opens and migrates Postgres, registers the methods and
// the background workers. Run it with Run.
func New(ctx context.Context, cfg Config) (*Hub, error) {
	if err := Migrate(ctx, cfg); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	svc, err := runner.New(ctx, "hub", cfg.Service)
	if err != nil {
		return nil, err
	}
	pool, err := svc.OpenPostgres(ctx, cfg.PG, migrations.Schema)
	if err != nil {
		return nil, err
	}

	issuer, err := cfg.Service.Auth.Issuer()
	if err != nil {
		return nil, err
	}
	params := *argon2id.DefaultParams
	params.Memory = cfg.PasswordMemoryKiB
	if cfg.DevMode {
		svc.Log.Warn("HUB_DEV_MODE is on: sign-in codes and mailed tokens are logged, dev.lastCode and dev.lastToken answer")
	}
	domain := service.New(service.Options{
		Store:          postgres.New(pool),
		ReadModel:      readmodel.NewWriter(svc.Redis, cfg.Namespace),
		Issuer:         issuer,
		Log:            svc.Log,
		DevMode:        cfg.DevMode,
		PasswordParams: &params,
		Hashing: gate.New(gate.Options{Name: "password", Workers: cfg.PasswordWorkers, Queue: cfg.PasswordQueue,
			Registerer: svc.Metrics}),
		Throttle: throttle.New(svc.Redis, cfg.Namespace),
		Limits: service.Limits{CodesPerAddrMinute: cfg.CodesPerAddrMinute, CodesPerAddrHour: cfg.CodesPerAddrHour,
			CodesPerMinute: cfg.CodesPerMinute, SignUpsPerAddrHour: cfg.SignUpsPerAddrHour, SignUpsPerEmailHour: cfg.SignUpsPerEmailHour,
			SignUpsPerMinute: cfg.SignUpsPerMinute, InvitesPerInviterHour: cfg.InvitesPerInviterHour,
			InvitesPerAppHour: cfg.InvitesPerAppHour, InvitesPerEmailHour: cfg.InvitesPerEmailHour},
	})
	svc.AllowOrigins(hub.WebOrigins(svc.Redis, cfg.Namespace)) // browsers on the apps' web origins (CORS)
	rpcapi.Register(svc.RPC, domain)

	relay := &events.Relay{
		Pool:      pool,
		Publisher: events.NewPublisher(svc.Redis, events.NewStreams(cfg.Namespace), cfg.Events),
		Schema:    migrations.Schema,
		Logger:    svc.Log,
		BatchSize: cfg.OutboxBatch,
	}
	svc.Go("outbox-relay", relay.Run)
	svc.Periodic(runner.Periodic{Name: "read-model", Interval: cfg.ReadModelInterval, AtStart: true, Run: domain.ReadModelJob()})
	return &Hub{Service: svc, Domain: domain}, nil
}
