// Package app wires analytics together: configuration, the stores
// (Postgres with migrations, Redis), the domain service, its JSON-RPC
// methods, the tracking, export and dashboard routes, the consumer of the
// other services' events and the periodic jobs (fold, retention, rebuild
// after a Redis loss), on the platform's service runner.
package app

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/attendify/analytics/internal/dashboard"
	"github.com/attendify/analytics/internal/rpcapi"
	"github.com/attendify/analytics/internal/service"
	"github.com/attendify/analytics/internal/store/postgres"
	"github.com/attendify/analytics/internal/store/redisstore"
	"github.com/attendify/analytics/migrations"
	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/runner"
)

// devLinkKey signs dashboard links on a developer machine only.
const devLinkKey = "6465762d6f6e6c792d616e616c79746963732d6c696e6b2d6b65792d30303030"

// Config is analytics' configuration, from the environment.
type Config struct {
	Service runner.Config
	PG      pg.Config
	// Hub is hub's replicas, for the dashboard's sign-in (HUB_URL).
	Hub rpc.ClientConfig `envPrefix:"HUB_"`
	// Namespace prefixes every Redis key and stream (empty in production).
	Namespace string `env:"REDIS_NAMESPACE"`
	// PublicURL is the service's address as organizers reach it, for
	// dashboard links (default: http://ADDR).
	PublicURL string `env:"ANALYTICS_PUBLIC_URL"`
	// LinkKey signs dashboard links: 32 bytes or more, hex.
	LinkKey string `env:"ANALYTICS_LINK_KEY"`
	// RateLimit is how many events an install may send a minute.
	RateLimit int `env:"ANALYTICS_RATE_LIMIT" envDefault:"3000"`
	// MemberRateLimit is how many events one member's installs may send
	// together a minute.
	MemberRateLimit int `env:"ANALYTICS_MEMBER_RATE_LIMIT" envDefault:"6000"`
	// AnonRateLimit is how many events the anonymous installs of one app
	// may send together a minute.
	AnonRateLimit int `env:"ANALYTICS_ANON_RATE_LIMIT" envDefault:"60000"`
	// RetentionDays is how many days of raw events are kept.
	RetentionDays int `env:"ANALYTICS_RETENTION_DAYS" envDefault:"30"`
	// RebuildDays is how many days a rebuild after a Redis loss replays.
	RebuildDays int `env:"ANALYTICS_REBUILD_DAYS" envDefault:"4"`
	// FoldInterval is how often the waiting minutes are folded.
	FoldInterval time.Duration `env:"ANALYTICS_FOLD_INTERVAL" envDefault:"10s"`
	// ResyncFromHub makes the consumer of hub's member events rebuild the
	// members' names, joins and erasures from hub (HUB_URL, signed calls)
	// when its place in the streams is lost; off only where no hub runs
	// (tests that play hub's part).
	ResyncFromHub bool `env:"ANALYTICS_RESYNC_FROM_HUB" envDefault:"true"`
	// LostCheckInterval is how often a replica checks whether the live
	// state was lost (Redis came back empty).
	LostCheckInterval time.Duration `env:"ANALYTICS_LOST_CHECK_INTERVAL" envDefault:"5s"`
	// Demo: where `hub demo` left hub.json, and the analytics to call.
	DemoDir string `env:"DEMO_DIR" envDefault:".run/demo"`
	URL     string `env:"ANALYTICS_URL" envDefault:"http://127.0.0.1:8085"`
}

// LoadConfig reads Config from the environment; analytics listens on
// 127.0.0.1:8085 unless ADDR says otherwise.
func LoadConfig() (Config, error) {
	return runner.LoadConfig[Config]("ADDR=127.0.0.1:8085", "HUB_URL=http://127.0.0.1:8081")
}

// Migrate brings analytics' Postgres schema up to date.
func Migrate(ctx context.Context, cfg Config) error {
	return pg.MigrateSchema(ctx, cfg.PG, migrations.Schema, migrations.All...)
}

// Analytics is a wired, not yet running analytics service.
type Analytics struct {
	*runner.Service
	Domain *service.Service
	Live   *redisstore.Store
	Store  *postgres.Store
	Links  *dashboard.Links
}

// New wires analytics: it migrates and opens the stores, registers the
// methods, routes and background workers. Run it with Run.
func New(ctx context.Context, cfg Config) (*Analytics, error) {
	if err := Migrate(ctx, cfg); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	svc, err := runner.New(ctx, "analytics", cfg.Service)
	if err != nil {
		return nil, err
	}
	pool, err := svc.OpenPostgres(ctx, cfg.PG, migrations.Schema)
	if err != nil {
		return nil, err
	}
	if cfg.LinkKey == "" {
		cfg.LinkKey = devLinkKey
		svc.Log.Warn("ANALYTICS_LINK_KEY is not set: dashboard links are signed with the development key")
	}
	key, err := hex.DecodeString(cfg.LinkKey)
	if err != nil {
		return nil, fmt.Errorf("ANALYTICS_LINK_KEY: %w", err)
	}
	links, err := dashboard.NewLinks(key)
	if err != nil {
		return nil, err
	}
	store := postgres.New(pool)
	live := redisstore.New(svc.Redis, cfg.Namespace)
	domain := service.New(service.Options{
		Raw: store, Members: store, Rollups: store, Jobs: store, Live: live,
		Access: hub.NewReadModel(svc.Redis, cfg.Namespace),
		Limits: service.Limits{
			PerInstallPerMinute:      cfg.RateLimit,
			PerMemberPerMinute:       cfg.MemberRateLimit,
			AnonymousPerAppPerMinute: cfg.AnonRateLimit,
			Retention:                time.Duration(cfg.RetentionDays) * 24 * time.Hour,
			RebuildDays:              cfg.RebuildDays,
		},
		Log: svc.Log,
	})
	base := cfg.PublicURL
	if base == "" {
		base = svc.URL()
	}
	rpcapi.Register(svc.RPC, &rpcapi.Handlers{Svc: domain, Links: links, BaseURL: base})
	gate := &dashboard.Gate{Tokens: cfg.Service.Auth.Verifier(), Links: links, Svc: domain,
		TrustedProxies: cfg.Service.Auth.TrustedProxies,
		SignIns: func(ctx context.Context, addr string) (time.Duration, error) {
			return live.TakeSignIn(ctx, addr, dashboard.SignInsPerMinute)
		}}
	svc.AllowOrigins(hub.WebOrigins(svc.Redis, cfg.Namespace)) // browsers on the apps' web origins (CORS)
	rpcapi.Routes(svc.Routes, domain, gate, svc.Log)
	hubClient, err := svc.Client(cfg.Hub)
	if err != nil {
		return nil, err
	}
	dashboard.Routes(svc.Routes, gate, hubSignIn(hubClient), svc.Log)

	cc := events.ConsumerConfig{
		Group: "analytics", Topics: service.Topics, FromStart: true, Logger: svc.Log,
		Concurrency: 4, ClaimIdle: time.Minute,
	}
	if cfg.ResyncFromHub {
		// Hub's member events are gone (Redis restarted empty, or a
		// stream was trimmed past the group): hub has the members.
		members := hub.NewMemberSource(hubClient)
		cc.Resync = func(ctx context.Context) error { return domain.ResyncMembers(ctx, members) }
	}
	consumer, err := events.NewConsumer(svc.Redis, events.NewStreams(cfg.Namespace), svc.Consumer(cc), domain.HandleEvent)
	if err != nil {
		return nil, err
	}
	svc.Go("domain-events", consumer.Run)
	svc.Periodic(runner.Periodic{Name: "fold", Interval: cfg.FoldInterval, AtStart: true, Run: func(ctx context.Context) error {
		_, err := domain.Fold(ctx, false)
		return err
	}})
	svc.Periodic(runner.Periodic{Name: "retention", Interval: time.Hour, AtStart: true, Run: func(ctx context.Context) error {
		dropped, err := domain.Retain(ctx)
		if len(dropped) > 0 {
			svc.Log.Info("dropped raw events past the retention", "days", len(dropped))
		}
		return err
	}})
	svc.Periodic(runner.Periodic{Name: "rebuild-if-lost", Interval: cfg.LostCheckInterval, AtStart: true, Run: func(ctx context.Context) error {
		_, err := domain.RebuildIfLost(ctx)
		return err
	}})
	return &Analytics{Service: svc, Domain: domain, Live: live, Store: store, Links: links}, nil
}

// hubSignIn signs an organizer in to hub and exchanges their account token
// for their token of the app.
func hubSignIn(c *rpc.Client) dashboard.SignIn {
	return func(ctx context.Context, email, password, app string) (string, error) {
		acct, err := hub.LogIn.Call(ctx, c, hub.LogInParams{Email: email, Password: password})
		if err != nil {
			return "", err
		}
		ctx = auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, User: acct.Organizer.ID, Role: auth.RoleOrganizer, Token: acct.Token})
		tok, err := hub.AppTokenFor.Call(ctx, c, hub.AppParams{AppRef: rpc.AppRef{App: app}})
		if err != nil {
			return "", err
		}
		return tok.Token, nil
	}
}
