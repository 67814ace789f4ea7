package multievent_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/multievent/internal/app"
	"github.com/attendify/multievent/internal/metest"
	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/multievent/internal/store/postgres"
	"github.com/attendify/multievent/migrations"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
)

// public serves a hub method without checking the caller (the fake hub of
// the rebuild test trusts its one client).
func public[P, R any](m rpc.Method[P, R]) rpc.Method[P, R] {
	m.Auth = auth.Public
	return m
}

// fakeHub serves hub's listings a rebuild reads, from fixed content.
func fakeHub(t *testing.T, appID string, evs []hub.Event, speakers []hub.Speaker, agendas map[string]hub.Agenda) string {
	srv := rpc.NewServer(rpc.Options{Name: "hub"})
	rpc.Handle(srv, public(hub.ListAppIDs), func(context.Context, hub.AppIDsParams) (hub.AppIDPage, error) {
		return hub.AppIDPage{IDs: []string{appID}}, nil
	})
	rpc.Handle(srv, public(hub.ListEvents), func(_ context.Context, p hub.AppParams) (hub.EventList, error) {
		return hub.EventList{Events: evs}, nil
	})
	rpc.Handle(srv, public(hub.ListSpeakers), func(context.Context, hub.AppParams) (hub.SpeakerList, error) {
		return hub.SpeakerList{Speakers: speakers}, nil
	})
	rpc.Handle(srv, public(hub.GetAgenda), func(_ context.Context, p hub.AgendaParams) (hub.Agenda, error) {
		ag, ok := agendas[p.Event]
		if !ok {
			return hub.Agenda{}, errs.New(errs.NotFound, "no such event")
		}
		return ag, nil
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts.URL
}

// TestRebuildFromScratch: `multievent rebuild` on an empty projection (a
// new database: the events it consumed are gone) gets hub's content from
// hub's API, and makes the content databases hold exactly it, deleting
// what hub no longer has.
func TestRebuildFromScratch(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Minute)
	env := metest.Start(t, metest.Options{})
	appID := env.CreateApp()
	conf := env.NewEventPayload("Conf", "Europe/Paris", now, 8)
	gone := env.NewEventPayload("Cancelled", "Europe/Paris", now, 8)
	env.Event(appID, conf)
	env.Event(appID, gone)
	kept, dropped, speaker := env.NewID(), env.NewID(), env.NewID()
	env.Speaker(appID, hub.SpeakerPayload{ID: speaker, Name: "Ada"})
	env.Session(appID, hub.SessionPayload{ID: kept, EventID: conf.ID, Title: "Kept", StartUTC: now, EndUTC: now.Add(time.Hour)}, false)
	env.Session(appID, hub.SessionPayload{ID: dropped, EventID: conf.ID, Title: "Dropped", StartUTC: now, EndUTC: now.Add(time.Hour)}, false)
	allDB, err := env.App.Docs.DBName(service.GroupDB{App: appID, Group: service.GroupAll})
	if err != nil {
		t.Fatal(err)
	}
	db := env.Couch.DB(allDB)
	has := func(id string) bool {
		_, err := db.GetRev(t.Context(), id)
		return err == nil
	}
	testkit.Eventually(t, "the content from hub's events", func() bool {
		return has("session:"+kept) && has("session:"+dropped) && has("event:"+gone.ID) && has("speaker:"+speaker)
	})

	// Hub now has the conference with the kept session (renamed) led by
	// the speaker; not the cancelled event, nor the dropped session.
	renamed := hub.Session{ID: kept, EventID: conf.ID, Title: "Kept, renamed", StartUTC: now, EndUTC: now.Add(time.Hour),
		Speakers: []hub.Speaker{{ID: speaker, Name: "Ada"}}}
	hubURL := fakeHub(t, appID,
		[]hub.Event{{ID: conf.ID, AppID: appID, Name: "Conf", TimeZone: "Europe/Paris", StartUTC: now, EndUTC: now.Add(8 * time.Hour),
			Visibility: hub.VisibilityPublic, Access: hub.EventAccessOpen}},
		[]hub.Speaker{{ID: speaker, Name: "Ada Lovelace"}},
		map[string]hub.Agenda{conf.ID: {Days: []hub.AgendaDay{{Date: now.Format("2006-01-02"), Sessions: []hub.Session{renamed}}}}})

	cfg := env.Config
	cfg.PG.URL = testkit.PostgresURL(t, migrations.Schema, migrations.All...) // from scratch
	cfg.Hub.URLs = []string{hubURL}
	if err := app.Rebuild(testkit.Context(t), cfg); err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	for id, want := range map[string]bool{"session:" + kept: true, "session:" + dropped: false, "event:" + gone.ID: false,
		"event:" + conf.ID: true, "speaker:" + speaker: true} {
		if has(id) != want {
			t.Errorf("after the rebuild, %s in the content database: %v, want %v", id, has(id), want)
		}
	}
	var doc struct {
		Title string `json:"title"`
	}
	if err := db.Get(t.Context(), "session:"+kept).ScanDoc(&doc); err != nil || doc.Title != "Kept, renamed" {
		t.Errorf("the kept session: %+v, %v", doc, err)
	}
	pctx := testkit.Context(t)
	pool, err := pg.Open(pctx, cfg.PG, migrations.Schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store := postgres.New(pool)
	evs, err := store.Events(pctx, appID)
	if err != nil || len(evs) != 1 || evs[0].ID != conf.ID {
		t.Errorf("the rebuilt projection's events: %+v, %v", evs, err)
	}
	xs, err := store.Sessions(pctx, appID, []string{kept, dropped})
	if err != nil || len(xs) != 1 || !slices.Equal(xs[0].SpeakerIDs, []string{speaker}) {
		t.Errorf("the rebuilt projection's sessions: %+v, %v", xs, err)
	}
}
