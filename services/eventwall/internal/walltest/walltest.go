// Package walltest runs a real eventwall service against the real stores
// for tests, with its own Postgres database, Redis namespace and CouchDB
// database prefix for social's databases, and plays hub's part: it writes
// hub's read model (with hub's exported encoders), publishes hub's member
// events and issues tokens. Posts come either from a real social process
// (StartSocial) or are written straight into CouchDB in social's document
// shape (PutPost), the contract eventwall follows.
package walltest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	kivik "github.com/go-kivik/kivik/v4"
	"github.com/redis/go-redis/v9"

	"github.com/attendify/eventwall/internal/app"
	"github.com/attendify/eventwall/migrations"
	"github.com/attendify/hub/readmodeltest"
	"github.com/attendify/platform/couch"
	"github.com/attendify/platform/flake"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/runner"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/platform/testkit/servicetest"
	"github.com/attendify/social"
	socialmigrations "github.com/attendify/social/migrations"
)

// Env is a running eventwall and the hub state it sees.
type Env struct {
	T           testing.TB
	Wall        *app.Eventwall
	URL         string
	Client      *rpc.Client
	Redis       redis.UniversalClient
	Namespace   string
	Config      app.Config
	Couch       *kivik.Client
	CouchPrefix string // the service part of social's database names in this test

	// Hub plays hub's part: apps, members, tokens, member events.
	*readmodeltest.Hub

	stop func()
}

// Stop stops the service now (a replica going away).
func (e *Env) Stop() { e.stop() }

// Options adjust the service.
type Options struct {
	// Configure changes the configuration before the service starts.
	Configure func(*app.Config)
	// Replica starts another replica of that env's service: the same
	// Postgres database, Redis namespace and CouchDB prefix.
	Replica *Env
	// Redis, when set, is the private Redis server the service (and the
	// test's stand-in for hub) uses instead of the shared one: for tests
	// that kill it.
	Redis *testkit.RedisServer
}

// Start starts eventwall for t and stops it when t ends.
func Start(t testing.TB, o Options) *Env {
	t.Helper()
	ctx := testkit.Context(t)
	var rdb redis.UniversalClient
	var ns string
	if o.Redis != nil {
		rdb, ns = o.Redis.Client(), "t"+strings.ToLower(flake.New(0).Next().String()[14:])
	} else {
		rdb, ns = testkit.Redis(t)
	}
	cc := testkit.CouchDB(t) // fails with "run make services" when missing
	cfg, err := runner.LoadConfig[app.Config]()
	if err != nil {
		t.Fatal(err)
	}
	if o.Replica != nil {
		rdb, ns = o.Replica.Redis, o.Replica.Namespace
		cfg.PG = o.Replica.Config.PG
		cfg.Service.Redis = o.Replica.Config.Service.Redis
	} else {
		cfg.PG = pg.Config{URL: testkit.PostgresURL(t, migrations.Schema, migrations.All...)}
	}
	cfg.Namespace = ns
	if o.Redis != nil {
		// The private server alone, even where the suite runs against a
		// Redis Cluster (REDIS_CLUSTER_ADDRS would win over the URL).
		cfg.Service.Redis.URL, cfg.Service.Redis.ClusterAddrs = o.Redis.URL, nil
	}
	servicetest.Config(&cfg.Service, &cfg.PG)
	cfg.SocialCouchPrefix = "t" + strings.ToLower(flake.New(0).Next().String()[14:])
	if o.Replica != nil {
		cfg.SocialCouchPrefix = o.Replica.CouchPrefix
	}
	// The production intervals (EVENTWALL_INGEST_INTERVAL 2s,
	// EVENTWALL_SCREEN_CHECK 1s) stay: a post reaches the screens through
	// the follower and the board's notifications, not those timers, and
	// the tests show it.
	if o.Configure != nil {
		o.Configure(&cfg)
	}
	ew, err := app.New(ctx, cfg)
	if err != nil {
		t.Fatalf("start eventwall: %v", err)
	}
	stop := testkit.Run(t, "eventwall", ew.Run)
	issuer, err := cfg.Service.Auth.Issuer()
	if err != nil {
		t.Fatal(err)
	}
	client, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{ew.URL()}, MaxAttempts: 1}) // errors as they are
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{
		T: t, Wall: ew, URL: ew.URL(), Client: client, Redis: rdb, Namespace: ns, Config: cfg,
		Couch: cc, CouchPrefix: cfg.SocialCouchPrefix,
		Hub: readmodeltest.New(t, rdb, ns, issuer),
	}
	var once sync.Once
	e.stop = func() {
		once.Do(func() {
			if err := stop(); err != nil {
				t.Errorf("eventwall stopped with: %v", err)
			}
		})
	}
	t.Cleanup(func() {
		e.stop()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, a := range e.Apps() {
			name, _ := couch.DBName(cfg.SocialCouchPrefix, a)
			_ = cc.DestroyDB(ctx, name)
		}
	})
	return e
}

// Member is a member or organizer of a test app.
type Member = readmodeltest.Member

// DB returns social's database of app in this test, creating it.
func (e *Env) DB(appID string) *kivik.DB {
	e.T.Helper()
	name, err := couch.DBName(e.CouchPrefix, appID)
	if err != nil {
		e.T.Fatal(err)
	}
	if err := couch.EnsureDB(context.Background(), e.Couch, name); err != nil {
		e.T.Fatal(err)
	}
	return e.Couch.DB(name)
}

// Post is a post written straight into CouchDB in social's shape.
type Post struct {
	social.PostDoc
	PhotoData [][]byte // full photos; thumbnails get the same bytes
}

// PutPost writes (or rewrites) a post document and returns it with its
// new revision.
func (e *Env) PutPost(appID string, p Post) social.PostDoc {
	e.T.Helper()
	doc := p.PostDoc
	if doc.ID == "" {
		doc.ID = "post:" + e.NewID()
	}
	doc.Type, doc.App = social.DocPost, appID
	if doc.CreatedAt.IsZero() {
		doc.CreatedAt = time.Now().UTC()
	}
	if doc.Hashtags == nil {
		doc.Hashtags = []string{}
	}
	if doc.Mentions == nil {
		doc.Mentions = []social.MentionRef{}
	}
	if len(p.PhotoData) > 0 {
		doc.Photos = nil
		doc.Attachments = map[string]json.RawMessage{}
		for i, b := range p.PhotoData {
			ref := social.PhotoRef{Name: fmt.Sprintf("photo-%d", i), Thumb: fmt.Sprintf("photo-%d-thumb", i), ContentType: "image/png", Width: 8, Height: 8, Bytes: len(b)}
			doc.Photos = append(doc.Photos, ref)
			att, _ := json.Marshal(map[string]any{"content_type": "image/png", "data": b})
			doc.Attachments[ref.Name] = att
			doc.Attachments[ref.Thumb] = att
		}
	}
	if doc.Photos == nil {
		doc.Photos = []social.PhotoRef{}
	}
	rev, err := e.DB(appID).Put(context.Background(), doc.ID, doc)
	if err != nil {
		e.T.Fatalf("put %s: %v", doc.ID, err)
	}
	doc.Rev = rev
	doc.Attachments = nil
	return doc
}

// ChangePost reads a post document, changes it with fn and writes it back
// (keeping its attachments).
func (e *Env) ChangePost(appID string, doc social.PostDoc, fn func(*social.PostDoc)) social.PostDoc {
	e.T.Helper()
	db := e.DB(appID)
	var cur map[string]json.RawMessage
	if err := db.Get(context.Background(), doc.ID).ScanDoc(&cur); err != nil {
		e.T.Fatal(err)
	}
	var d social.PostDoc
	raw, _ := json.Marshal(cur)
	if err := json.Unmarshal(raw, &d); err != nil {
		e.T.Fatal(err)
	}
	fn(&d)
	rev, err := db.Put(context.Background(), d.ID, d)
	if err != nil {
		e.T.Fatalf("update %s: %v", d.ID, err)
	}
	d.Rev = rev
	return d
}

// Social is a running social process (the real binary).
type Social struct {
	URL    string
	Client *rpc.Client
}

// StartSocial builds social's binary and runs it against this test's
// stores (Postgres database of its own, the same Redis namespace and
// CouchDB prefix), stopping it when the test ends; its log is in the
// test's output when the test fails.
func (e *Env) StartSocial() *Social {
	t := e.T
	t.Helper()
	bin := testkit.Build(t, "github.com/attendify/social/cmd/social")
	svc := testkit.StartService(t, bin,
		"DATABASE_URL="+testkit.PostgresURL(t, socialmigrations.Schema, socialmigrations.All...),
		"DATABASE_CREATE=false",
		"REDIS_URL="+e.Config.Service.Redis.URL,
		"REDIS_NAMESPACE="+e.Namespace,
		"SOCIAL_COUCH_PREFIX="+e.CouchPrefix,
		"SOCIAL_RATE_LIMITS=false",
		"RPC_ACCESS_LOG=false",
		"SHED_DISABLED=true",
	)
	client, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{svc.URL}, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return &Social{URL: svc.URL, Client: client}
}
