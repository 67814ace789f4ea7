// Package metest runs a real multievent service against the real stores for
// tests, with its own Postgres database, Redis namespace and CouchDB
// database prefix, and plays hub's part: it writes hub's read model (with
// hub's exported encoders, readmodeltest) and publishes hub's events with
// hub's payload types, so that no hub process is needed.
package metest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	kivik "github.com/go-kivik/kivik/v4"

	"github.com/attendify/hub"
	"github.com/attendify/hub/readmodeltest"
	"github.com/attendify/multievent/internal/app"
	"github.com/attendify/multievent/migrations"
	"github.com/attendify/platform/flake"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/platform/testkit/servicetest"
)

// Env is a running multievent and the hub state it sees.
type Env struct {
	T      testing.TB
	App    *app.Multievent
	URL    string
	Client *rpc.Client // unsigned: members' calls with their tokens
	Signed *rpc.Client // signed as a service
	Config app.Config
	Couch  *kivik.Client

	// Hub plays hub's part: apps, members, tokens, events.
	*readmodeltest.Hub

	mu     sync.Mutex
	events map[string][]hub.EventInfo // the read model's event list, by app
}

// Options adjust the service.
type Options struct {
	// HubURL is the hub the service rebuilds from (a fake in tests).
	HubURL string
	// Configure changes the configuration before the service starts.
	Configure func(*app.Config)
}

// Start starts multievent for t and stops it when t ends.
func Start(t testing.TB, o Options) *Env {
	t.Helper()
	ctx := testkit.Context(t)
	rdb, ns := testkit.Redis(t)
	cc := testkit.CouchDB(t) // fails with "run make services" when missing
	cfg, err := app.LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.PG = pg.Config{URL: testkit.PostgresURL(t, migrations.Schema, migrations.All...), MaxConns: 8}
	cfg.Namespace = ns
	servicetest.Config(&cfg.Service, &cfg.PG)
	cfg.CouchPrefix = "tme" + strings.ToLower(flake.New(0).Next().String()[14:])
	cfg.Riak.Hosts = nil
	cfg.SweepInterval = 200 * time.Millisecond
	cfg.PublicURL = "" // the service's own address
	cfg.Hub.URLs = nil // no hub: no rebuilds, and no resync of lost streams
	if o.HubURL != "" {
		cfg.Hub.URLs = []string{o.HubURL}
	}
	if o.Configure != nil {
		o.Configure(&cfg)
	}
	m, err := app.New(ctx, cfg)
	if err != nil {
		t.Fatalf("start multievent: %v", err)
	}
	stop := testkit.Run(t, "multievent", m.Run)
	issuer, err := cfg.Service.Auth.Issuer()
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{T: t, App: m, URL: m.URL(), Config: cfg, Couch: cc, Hub: readmodeltest.New(t, rdb, ns, issuer),
		events: map[string][]hub.EventInfo{}}
	if e.Client, err = rpc.NewClient(rpc.ClientOptions{Endpoints: []string{e.URL}, MaxAttempts: 1}); err != nil {
		t.Fatal(err)
	}
	authCfg := cfg.Service.Auth
	authCfg.ServiceName = "tester"
	signer, err := authCfg.Signer()
	if err != nil {
		t.Fatal(err)
	}
	if e.Signed, err = rpc.NewClient(rpc.ClientOptions{Endpoints: []string{e.URL}, Signer: &signer, MaxAttempts: 1}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = stop()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		names, _ := cc.AllDBs(ctx)
		for _, n := range names {
			if strings.HasPrefix(n, cfg.CouchPrefix+"$") {
				_ = cc.DestroyDB(ctx, n)
			}
		}
	})
	return e
}

// Member is a member or organizer of a test app.
type Member = readmodeltest.Member

// Event creates (or changes) an event as hub does: it publishes
// event.created (or event.updated) and rewrites the app's event list in
// the read model.
func (e *Env) Event(app string, p hub.EventPayload) {
	e.T.Helper()
	p.AppID = app
	info := hub.EventInfo{ID: p.ID, Name: p.Name, TimeZone: p.TimeZone, StartUTC: p.StartUTC, EndUTC: p.EndUTC,
		Visibility: p.Visibility, Access: p.Access}
	e.mu.Lock()
	typ := hub.EventEventCreated
	list := e.events[app]
	if i := indexOf(list, p.ID); i >= 0 {
		list[i], typ = info, hub.EventEventUpdated
	} else {
		list = append(list, info)
	}
	e.events[app] = list
	evs := append([]hub.EventInfo(nil), list...)
	e.mu.Unlock()
	e.SetEvents(app, evs...)
	e.PublishData(typ, app, p.ID, p)
}

func indexOf(evs []hub.EventInfo, id string) int {
	for i, e := range evs {
		if e.ID == id {
			return i
		}
	}
	return -1
}

// NewEventPayload returns an open, public event in time zone tz starting
// at start for hours.
func (e *Env) NewEventPayload(name, tz string, start time.Time, hours int) hub.EventPayload {
	return hub.EventPayload{ID: e.NewID(), Name: name, TimeZone: tz, StartUTC: start, EndUTC: start.Add(time.Duration(hours) * time.Hour),
		Venue: name + " venue", Visibility: hub.VisibilityPublic, Access: hub.EventAccessOpen}
}

// Session publishes session.created (or updated, when update is set).
func (e *Env) Session(app string, p hub.SessionPayload, update bool) {
	e.T.Helper()
	p.AppID = app
	if p.SpeakerIDs == nil {
		p.SpeakerIDs = []string{}
	}
	typ := hub.EventSessionCreated
	if update {
		typ = hub.EventSessionUpdated
	}
	e.PublishData(typ, app, p.ID, p)
}

// Speaker publishes speaker.created.
func (e *Env) Speaker(app string, p hub.SpeakerPayload) {
	e.T.Helper()
	p.AppID = app
	e.PublishData(hub.EventSpeakerCreated, app, p.ID, p)
}

// Ctx returns a context carrying m's token.
func Ctx(m Member) context.Context { return m.Ctx(context.Background()) }
