// Package sponsoredtest runs a real sponsored service against the real
// stores for tests, with its own Postgres database and Redis namespace, a
// clock the test moves, and hub's part played by readmodeltest (hub's read
// model and tokens, written with hub's own encoders).
package sponsoredtest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/attendify/hub"
	"github.com/attendify/hub/readmodeltest"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/runner"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/platform/testkit/servicetest"
	"github.com/attendify/sponsored/internal/app"
	"github.com/attendify/sponsored/migrations"
	"github.com/attendify/sponsored/placement"
)

// Clock is a clock the test moves.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set sets the clock.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Add moves the clock on.
func (c *Clock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

// Env is a running sponsored and the hub state it sees.
type Env struct {
	T         testing.TB
	Sponsored *app.Sponsored
	URL       string
	Client    *rpc.Client
	Redis     redis.UniversalClient
	Namespace string
	Config    app.Config
	Clock     *Clock
	Keys      placement.Keys

	*readmodeltest.Hub
}

// Options adjust the service.
type Options struct {
	// Start is the clock's first time (default: now, truncated to the hour).
	Start time.Time
	// Configure changes the configuration before the service starts.
	Configure func(*app.Config)
}

// Start starts sponsored for t and stops it when t ends. Its background
// publisher and counter run every hour of real time: tests drive them
// with Publish and Count.
func Start(t testing.TB, o Options) *Env {
	t.Helper()
	ctx := testkit.Context(t)
	rdb, ns := testkit.Redis(t)
	cfg, err := runner.LoadConfig[app.Config]()
	if err != nil {
		t.Fatal(err)
	}
	cfg.PG = pg.Config{URL: testkit.PostgresURL(t, migrations.Schema, migrations.All...)}
	cfg.Namespace = ns
	cfg.PublicURL = ""
	servicetest.Config(&cfg.Service, &cfg.PG)
	cfg.PublishInterval = time.Hour
	cfg.CountInterval = time.Hour
	cfg.ClaimIdle = time.Second
	if o.Configure != nil {
		o.Configure(&cfg)
	}
	clock := &Clock{t: o.Start}
	if clock.t.IsZero() {
		clock.t = time.Now().UTC().Truncate(time.Hour)
	}
	s, err := app.New(ctx, cfg, app.Options{Now: clock.Now})
	if err != nil {
		t.Fatalf("start sponsored: %v", err)
	}
	cfg.PublicURL = s.URL()
	issuer, err := cfg.Service.Auth.Issuer()
	if err != nil {
		t.Fatal(err)
	}
	client, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{s.URL()}, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Run(t, "sponsored", s.Run)
	return &Env{
		T: t, Sponsored: s, URL: s.URL(), Client: client, Redis: rdb, Namespace: ns, Config: cfg, Clock: clock,
		Keys: placement.NewKeys(ns), Hub: readmodeltest.New(t, rdb, ns, issuer),
	}
}

// Publish runs one round of the publisher at the clock's time.
func (e *Env) Publish() {
	e.T.Helper()
	if err := e.Sponsored.Domain.Publish(context.Background()); err != nil {
		e.T.Fatalf("publish: %v", err)
	}
}

// Count counts every app's records until the streams are empty.
func (e *Env) Count() {
	e.T.Helper()
	for _, app := range e.Sponsored.Domain.Apps() {
		for {
			n, err := e.Sponsored.Domain.CountApp(context.Background(), app)
			if err != nil {
				e.T.Fatalf("count %s: %v", app, err)
			}
			if n == 0 {
				break
			}
		}
	}
}

// Placer returns a placement.Placer as social would run it, on the
// test's Redis and clock.
func (e *Env) Placer() *placement.Placer {
	e.T.Helper()
	p, err := placement.New(placement.Config{Enabled: true, LinkKeys: e.Config.LinkKeys, PublicURL: e.URL, Timeout: 10 * time.Second},
		placement.Options{Redis: e.Redis, Namespace: e.Namespace, Now: e.Clock.Now})
	if err != nil {
		e.T.Fatal(err)
	}
	return p
}

// SetMemberRole writes a member's conference role into hub's read model
// (readmodeltest writes none).
func (e *Env) SetMemberRole(m readmodeltest.Member, role string, registered ...string) {
	e.T.Helper()
	fields := hub.EncodeMembership(hub.Membership{App: m.App, User: m.ID, Role: m.Role, MemberRole: role, Registered: registered})
	args := make([]any, 0, len(fields)+2)
	for _, f := range fields {
		args = append(args, f)
	}
	args = append(args, hub.FieldVersion, time.Now().UnixNano())
	if err := e.Redis.HSet(context.Background(), hub.NewReadModelKeys(e.Namespace).Membership(m.App, m.ID), args...).Err(); err != nil {
		e.T.Fatal(err)
	}
}

// Member is a member or organizer of a test app.
type Member = readmodeltest.Member
