// Package socialtest runs a real social service against the real stores for
// tests, with its own Postgres database, Redis namespace and CouchDB
// database prefix, and plays hub's part: it writes hub's read model (with
// hub's exported encoders) and publishes hub's member events, so that no
// hub process is needed.
package socialtest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/attendify/hub/readmodeltest"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/couch"
	"github.com/attendify/platform/flake"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/runner"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/platform/testkit/servicetest"
	"github.com/attendify/social/internal/app"
	"github.com/attendify/social/migrations"
)

// Env is a running social service and the hub state it sees.
type Env struct {
	T         testing.TB
	Social    *app.Social
	URL       string
	Client    *rpc.Client
	Redis     redis.UniversalClient
	Namespace string
	Config    app.Config

	// Hub plays hub's part: apps, members, tokens, member events.
	*readmodeltest.Hub
}

// Options adjust the service.
type Options struct {
	RateLimits bool
}

// Start starts social for t and stops it when t ends.
func Start(t testing.TB, o Options) *Env {
	t.Helper()
	ctx := testkit.Context(t)
	rdb, ns := testkit.Redis(t)
	cc := testkit.CouchDB(t) // fails with "run make services" when missing
	cfg, err := runner.LoadConfig[app.Config]()
	if err != nil {
		t.Fatal(err)
	}
	cfg.PG = pg.Config{URL: testkit.PostgresURL(t, migrations.Schema, migrations.All...)}
	cfg.Namespace = ns
	servicetest.Config(&cfg.Service, &cfg.PG)
	cfg.CouchPrefix = "t" + strings.ToLower(flake.New(0).Next().String()[14:])
	cfg.RateLimits = o.RateLimits
	cfg.Riak.Hosts = nil

	s, err := app.New(ctx, cfg)
	if err != nil {
		t.Fatalf("start social: %v", err)
	}
	stop := testkit.Run(t, "social", s.Run)
	issuer, err := cfg.Service.Auth.Issuer()
	if err != nil {
		t.Fatal(err)
	}
	client, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{s.URL()}, MaxAttempts: 1}) // errors as they are
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{
		T: t, Social: s, URL: s.URL(), Client: client, Redis: rdb, Namespace: ns, Config: cfg,
		Hub: readmodeltest.New(t, rdb, ns, issuer),
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("social stopped with: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, a := range e.Apps() {
			name, _ := couch.DBName(cfg.CouchPrefix, a)
			_ = cc.DestroyDB(ctx, name)
		}
	})
	return e
}

// Member is a member or organizer of a test app.
type Member = readmodeltest.Member

// DropSocialKeys deletes every Redis key of social in the test's namespace:
// what FLUSHALL does to social's index, without touching anything else.
func (e *Env) DropSocialKeys() {
	e.T.Helper()
	prefix := fmt.Sprintf("%s:social:", e.Namespace)
	if err := testkit.DeleteKeys(context.Background(), e.Redis, prefix); err != nil {
		e.T.Fatal(err)
	}
}

// HTTP sends an HTTP request to social with the member's token.
func (e *Env) HTTP(m Member, method, path, contentType string, body []byte) (*http.Response, error) {
	req, err := http.NewRequest(method, e.URL+path, strings.NewReader(string(body)))
	if err != nil {
		return nil, err
	}
	if m.Token != "" {
		auth.SetBearerToken(req, m.Token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return http.DefaultClient.Do(req)
}
