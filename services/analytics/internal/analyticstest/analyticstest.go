// Package analyticstest runs a real analytics service against the real
// stores for tests, with its own Postgres database and Redis namespace, and
// plays hub's part with readmodeltest (hub's read model, member events,
// tokens), so that no hub process is needed.
package analyticstest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/attendify/analytics"
	"github.com/attendify/analytics/internal/app"
	"github.com/attendify/analytics/migrations"
	"github.com/attendify/hub/readmodeltest"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/platform/testkit/servicetest"
)

// Env is a running analytics service and the hub state it sees.
type Env struct {
	T         testing.TB
	Analytics *app.Analytics
	URL       string
	Client    *rpc.Client
	// Service signs calls as another service (admin.fold, admin.rebuild).
	Service   *rpc.Client
	Redis     redis.UniversalClient
	Namespace string
	Config    app.Config
	Publisher *events.Publisher

	*readmodeltest.Hub
}

// Options adjust the service.
type Options struct {
	// RateLimit, MemberRateLimit and AnonRateLimit are the events an
	// install, a member's installs together, and an app's anonymous
	// installs together may send a minute (default: 100,000).
	RateLimit, MemberRateLimit, AnonRateLimit int
	// HubURL is a hub (or a test's stand-in) to resync members from when
	// the consumer's place in the streams is lost; empty: no resync.
	HubURL string
	// FoldInterval is the fold job's period (default: an hour, so that
	// tests fold when they decide, with admin.fold).
	FoldInterval time.Duration
}

// Start starts analytics for t and stops it when t ends.
func Start(t testing.TB, o Options) *Env {
	t.Helper()
	ctx := testkit.Context(t)
	rdb, ns := testkit.Redis(t)
	cfg, err := app.LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.PG = pg.Config{URL: testkit.PostgresURL(t, migrations.Schema, migrations.All...)}
	cfg.Namespace = ns
	servicetest.Config(&cfg.Service, &cfg.PG)
	cfg.RateLimit, cfg.MemberRateLimit, cfg.AnonRateLimit = 100_000, 100_000, 100_000
	if o.RateLimit > 0 {
		cfg.RateLimit = o.RateLimit
	}
	if o.MemberRateLimit > 0 {
		cfg.MemberRateLimit = o.MemberRateLimit
	}
	if o.AnonRateLimit > 0 {
		cfg.AnonRateLimit = o.AnonRateLimit
	}
	cfg.FoldInterval = time.Hour
	if o.FoldInterval > 0 {
		cfg.FoldInterval = o.FoldInterval
	}
	cfg.LostCheckInterval = 100 * time.Millisecond
	cfg.ResyncFromHub = o.HubURL != ""
	if o.HubURL != "" {
		cfg.Hub.URLs = []string{o.HubURL}
	}
	cfg.LinkKey = "746573742d6c696e6b2d6b65792d746573742d6c696e6b2d6b65792d74657374"

	a, err := app.New(ctx, cfg)
	if err != nil {
		t.Fatalf("start analytics: %v", err)
	}
	testkit.Run(t, "analytics", a.Run)
	issuer, err := cfg.Service.Auth.Issuer()
	if err != nil {
		t.Fatal(err)
	}
	client, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{a.URL()}, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	ac := cfg.Service.Auth
	ac.ServiceName = "tests"
	signer, err := ac.Signer()
	if err != nil {
		t.Fatal(err)
	}
	svcClient, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{a.URL()}, MaxAttempts: 1, Signer: &signer})
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{
		T: t, Analytics: a, URL: a.URL(), Client: client, Service: svcClient, Redis: rdb, Namespace: ns, Config: cfg,
		Publisher: events.NewPublisher(rdb, events.NewStreams(ns), events.PublisherConfig{}),
		Hub:       readmodeltest.New(t, rdb, ns, issuer),
	}
	// The live state starts ready (as after the first rebuild).
	testkit.Eventually(t, "the first rebuild", func() bool {
		ok, err := a.Live.Ready(context.Background())
		return err == nil && ok
	})
	return e
}

// Member is a member or organizer of a test app.
type Member = readmodeltest.Member

// Fold folds every waiting minute now (admin.fold with all).
func (e *Env) Fold() int {
	e.T.Helper()
	r, err := analytics.Fold.Call(context.Background(), e.Service, analytics.FoldParams{All: true})
	if err != nil {
		e.T.Fatal(err)
	}
	return r.Minutes
}

// LoseRedis deletes every Redis key of analytics in the test's namespace:
// what a Redis restart without persistence does to analytics, without
// touching anything else.
func (e *Env) LoseRedis() {
	e.T.Helper()
	prefix := fmt.Sprintf("%s:analytics:", e.Namespace)
	if err := testkit.DeleteKeys(context.Background(), e.Redis, prefix); err != nil {
		e.T.Fatal(err)
	}
}

// Get sends a GET to analytics, with the bearer token when not empty.
func (e *Env) Get(path, token string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, e.URL+path, nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		auth.SetBearerToken(req, token)
	}
	return http.DefaultClient.Do(req)
}

// Post sends a POST with a JSON body to analytics.
func (e *Env) Post(path, token, body string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, e.URL+path, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		auth.SetBearerToken(req, token)
	}
	return http.DefaultClient.Do(req)
}
