// Package hubtest starts a real hub for tests: its own Postgres database
// and Redis namespace (testkit), the service runner on a free port, and
// clients that call it as a mobile app, an organizer or a service would.
package hubtest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/attendify/hub/internal/app"
	"github.com/attendify/hub/migrations"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/platform/testkit/servicetest"
)

// Env is a running hub and what a test needs to talk to it.
type Env struct {
	Hub       *app.Hub
	URL       string
	Client    *rpc.Client // unsigned: anonymous or user calls
	Service   *rpc.Client // signed as the "importer" service
	Issuer    *auth.Issuer
	Pool      *pgxpool.Pool // the same database, for assertions
	Redis     redis.UniversalClient
	Namespace string
	Config    app.Config
}

// Start runs a hub for the test; it stops when the test ends.
func Start(t testing.TB) *Env {
	t.Helper()
	return StartWith(t, nil)
}

// StartWith is Start with the test's changes to the configuration, made
// by configure (when not nil) after the test defaults.
func StartWith(t testing.TB, configure func(*app.Config)) *Env {
	t.Helper()
	dbURL := testkit.PostgresURL(t, migrations.Schema, migrations.All...)
	rdb, ns := testkit.Redis(t)
	cfg, err := app.LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.PG.URL = dbURL
	cfg.PG.MaxConns = 8
	cfg.Namespace = ns
	servicetest.Config(&cfg.Service, &cfg.PG)
	cfg.DevMode = true
	cfg.PasswordMemoryKiB = 1024 // fast hashes in tests
	cfg.ReadModelInterval = 100 * time.Millisecond
	if configure != nil {
		configure(&cfg)
	}

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel) // after Run's stop: cleanups run last-in first-out
	h, err := app.New(ctx, cfg)
	if err != nil {
		t.Fatalf("start hub: %v", err)
	}
	testkit.Run(t, "hub", h.Run)

	e := &Env{Hub: h, URL: h.URL(), Redis: rdb, Namespace: ns, Config: cfg}
	if e.Client, err = rpc.NewClient(rpc.ClientOptions{Endpoints: []string{e.URL}, MaxAttempts: 1}); err != nil {
		t.Fatal(err)
	}
	authCfg := cfg.Service.Auth
	authCfg.ServiceName = "importer"
	signer, err := authCfg.Signer()
	if err != nil {
		t.Fatal(err)
	}
	if e.Service, err = rpc.NewClient(rpc.ClientOptions{Endpoints: []string{e.URL}, Signer: &signer, MaxAttempts: 1}); err != nil {
		t.Fatal(err)
	}
	if e.Issuer, err = authCfg.Issuer(); err != nil {
		t.Fatal(err)
	}
	pctx, pcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer pcancel()
	if e.Pool, err = pg.Open(pctx, pg.Config{URL: dbURL, MaxConns: 4}, migrations.Schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Pool.Close)
	return e
}

// As returns ctx carrying token, so that the clients send it.
func As(ctx context.Context, token string) context.Context {
	if token == "" {
		return auth.WithCaller(ctx, auth.Caller{})
	}
	return auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, Token: token})
}

// Token issues a token for claims (an hour), numbered from hub's token
// sequence as hub numbers its own: revocations before it do not refuse it.
func (e *Env) Token(t testing.TB, c auth.Claims) string {
	t.Helper()
	if err := e.Pool.QueryRow(context.Background(), `SELECT nextval('token_seq')`).Scan(&c.Seq); err != nil {
		t.Fatal(err)
	}
	tok, err := e.Issuer.Issue(c, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
