// Package socialtest runs a real social service against the real stores for
// tests, with its own Postgres database, Redis namespace and CouchDB
// database prefix, and plays hub's part: it writes hub's read model (with
// hub's exported encoders) and publishes hub's member events, so that no
// hub process is needed.
package socialtest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/couch"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/flake"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/rpc"
	platform "github.com/attendify/platform/service"
	"github.com/attendify/platform/testkit"
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

	issuer  *auth.Issuer
	hubKeys hub.ReadModelKeys
	pub     *events.Publisher
	ids     *flake.Generator

	mu   sync.Mutex
	apps []string
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
	cfg, err := platform.LoadConfig[app.Config]()
	if err != nil {
		t.Fatal(err)
	}
	cfg.PG = pg.Config{URL: testkit.PostgresURL(t, migrations.Schema, migrations.All...)}
	cfg.EnsureDatabase = false
	cfg.Namespace = ns
	cfg.Service.Addr = "127.0.0.1:0"
	cfg.Service.AccessLog = false
	cfg.Service.ShedDisabled = true
	cfg.Service.Log.Level = slog.LevelWarn
	cfg.CouchPrefix = "t" + strings.ToLower(flake.New(0).Next().String()[14:])
	cfg.RateLimits = o.RateLimits
	cfg.Riak.Hosts = nil

	s, err := app.New(ctx, cfg)
	if err != nil {
		t.Fatalf("start social: %v", err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(runCtx) }()
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
		issuer: issuer, hubKeys: hub.NewReadModelKeys(ns),
		pub: events.NewPublisher(rdb, events.NewStreams(ns), events.PublisherConfig{}),
		ids: flake.New(0),
	}
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("social stopped with: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, a := range e.apps {
			name, _ := couch.DBName(cfg.CouchPrefix, a)
			_ = cc.DestroyDB(ctx, name)
		}
	})
	if err := rdb.Set(ctx, e.hubKeys.Ready(), "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	return e
}

// NewID returns a fresh id.
func (e *Env) NewID() string { return e.ids.Next().String() }

// CreateApp writes a published app with events into hub's read model.
func (e *Env) CreateApp(events ...hub.EventInfo) string {
	e.T.Helper()
	ctx := context.Background()
	id := e.NewID()
	e.mu.Lock()
	e.apps = append(e.apps, id)
	e.mu.Unlock()
	cfg := hub.EncodeAppConfig(hub.AppConfig{ID: id, Slug: "app-" + strings.ToLower(id[20:]), Name: "Test app", Status: hub.StatusPublished, Access: hub.AccessOpen})
	evs, err := hub.EncodeEvents(events)
	if err != nil {
		e.T.Fatal(err)
	}
	_, err = e.Redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, e.hubKeys.Config(id), append(toAny(cfg), hub.FieldVersion, 1)...)
		p.HSet(ctx, e.hubKeys.Events(id), append(toAny(evs), hub.FieldVersion, 1)...)
		return nil
	})
	if err != nil {
		e.T.Fatal(err)
	}
	return id
}

// Member is a member of a test app.
type Member struct {
	ID    string
	App   string
	Role  string
	Name  string
	Token string
}

// Ctx returns ctx carrying the member's token for outgoing calls.
func (m Member) Ctx(ctx context.Context) context.Context {
	return auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, User: m.ID, App: m.App, Role: m.Role, Token: m.Token})
}

// AddMember writes a membership into hub's read model, publishes hub's
// member.created event (the profile), and issues the member's token. role
// is auth.RoleAttendee or an organizer role.
func (e *Env) AddMember(appID, name, role string) Member {
	e.T.Helper()
	m := Member{ID: e.NewID(), App: appID, Role: role, Name: name}
	e.SetMembership(m, false)
	e.Publish(hub.EventMemberCreated, m, false)
	tok, err := e.issuer.Issue(auth.Claims{User: m.ID, App: appID, Role: role}, time.Hour)
	if err != nil {
		e.T.Fatal(err)
	}
	m.Token = tok
	return m
}

// SetMembership writes m's membership hash (blocked or not).
func (e *Env) SetMembership(m Member, blocked bool) {
	e.T.Helper()
	ctx := context.Background()
	f := hub.EncodeMembership(hub.Membership{App: m.App, User: m.ID, Role: m.Role, Blocked: blocked})
	if err := e.Redis.HSet(ctx, e.hubKeys.Membership(m.App, m.ID), append(toAny(f), hub.FieldVersion, time.Now().UnixNano())...).Err(); err != nil {
		e.T.Fatal(err)
	}
}

// Publish publishes a hub member event about m.
func (e *Env) Publish(typ string, m Member, blocked bool) {
	e.T.Helper()
	var data []byte
	if typ == hub.EventMemberDeleted {
		data, _ = json.Marshal(hub.IDsPayload{AppID: m.App, ID: m.ID})
	} else {
		data, _ = json.Marshal(hub.MemberPayload{
			ID: m.ID, AppID: m.App, Name: m.Name, Company: "Acme", Title: "Engineer",
			PhotoURL: "https://example.test/" + m.ID + ".jpg", Role: hub.MemberAttendee, Blocked: blocked,
		})
	}
	if err := e.pub.Publish(context.Background(), events.Event{Type: typ, App: m.App, Subject: m.ID, Data: data}); err != nil {
		e.T.Fatal(err)
	}
}

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

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
