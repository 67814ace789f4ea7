package postgres_test

import (
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/multievent/internal/store/postgres"
	"github.com/attendify/multievent/migrations"
	"github.com/attendify/platform/testkit"
)

var idSeq atomic.Int64

func newID(prefix string) string {
	return fmt.Sprintf("%s%d-%d", prefix, time.Now().UnixNano()%1e9, idSeq.Add(1))
}

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func apply(t *testing.T, s *postgres.Store, cs ...service.Change) {
	t.Helper()
	for i, c := range cs {
		if c.Version.IsZero() {
			c.Version = t0.Add(time.Duration(i+1) * time.Second)
		}
		if _, err := s.Apply(testkit.Context(t), c); err != nil {
			t.Fatalf("Apply(%s %s): %v", c.Kind, c.ID, err)
		}
	}
}

func eventChange(app, id, name, access string) service.Change {
	return service.Change{Kind: service.KindEvent, App: app, ID: id, Event: service.Event{ID: id, AppID: app, Name: name,
		TimeZone: "Europe/Paris", Visibility: hub.VisibilityPublic, Access: access, Start: t0, End: t0.Add(8 * time.Hour)}}
}

func sessionChange(app, id, event, title string, speakers ...string) service.Change {
	return service.Change{Kind: service.KindSession, App: app, ID: id, Session: service.Session{ID: id, AppID: app, EventID: event,
		Title: title, Start: t0, End: t0.Add(time.Hour), SpeakerIDs: speakers}}
}

// TestSpeakerEventsBeforeTheEvent: Content reports the events of a
// speaker's sessions that the projection does not hold yet (the session
// came first), so that the writer does not take the speaker for one of no
// event (whose document goes to the "all" database); and not those of a
// deleted event.
func TestSpeakerEventsBeforeTheEvent(t *testing.T) {
	s := postgres.New(testkit.Postgres(t, migrations.Schema, migrations.All...))
	app, listed, gone := newID("app"), newID("ev"), newID("ev")
	apply(t, s,
		service.Change{Kind: service.KindSpeaker, App: app, ID: "P1", Speaker: service.Speaker{ID: "P1", AppID: app, Name: "Secret"}},
		sessionChange(app, "S1", listed, "Secret talk", "P1"),
		eventChange(app, gone, "Gone", hub.EventAccessOpen),
		service.Change{Kind: service.KindEvent, App: app, ID: gone, Deleted: true, Version: t0.Add(time.Hour)},
		// A late creation of a session of the deleted event.
		sessionChange(app, "S2", gone, "Zombie", "P1"),
	)
	st, err := s.Content(testkit.Context(t), app, []string{"speaker:P1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := st.SpeakerEvents["P1"]; !slices.Equal(got, []string{listed}) {
		t.Errorf("SpeakerEvents = %v, want the event not projected yet (%s) and not the deleted one", got, listed)
	}
}

// TestSearchFoldsWordsWithDigits: accents are folded in every word,
// also in those Postgres' parser reads as letters and digits together
// ("Café2026", a numword): such a title is found by what a person types,
// with or without the accent.
func TestSearchFoldsWordsWithDigits(t *testing.T) {
	s := postgres.New(testkit.Postgres(t, migrations.Schema, migrations.All...))
	app, e := newID("app"), newID("ev")
	apply(t, s, eventChange(app, e, "Québec2026", hub.EventAccessOpen), sessionChange(app, "S1", e, "Rénovation3D"))
	for _, words := range [][]string{{"Quebec2026"}, {"québec"}, {"quebec"}, {"renovation"}, {"RÉNOV"}} {
		hits, err := s.Search(testkit.Context(t), service.Query{App: app, Words: words, Cards: []string{e}, Agendas: []string{e}, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != 1 {
			t.Errorf("%q: %d hits, want 1", words, len(hits))
		}
	}
}

// TestSearchDecomposedAccents: a query typed with decomposed accents
// (NFD: "e" then U+0301, as some keyboards and pasted text give) finds
// what the composed one finds.
func TestSearchDecomposedAccents(t *testing.T) {
	s := postgres.New(testkit.Postgres(t, migrations.Schema, migrations.All...))
	app, e := newID("app"), newID("ev")
	apply(t, s, eventChange(app, e, "Paris", hub.EventAccessOpen), sessionChange(app, "S1", e, "Éloïse's keynote"))
	for _, q := range []string{"ke\u0301y", "E\u0301loi\u0308se", "Éloïse"} {
		words := service.Words(q)
		hits, err := s.Search(testkit.Context(t), service.Query{App: app, Words: words, Cards: []string{e}, Agendas: []string{e}, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != 1 {
			t.Errorf("%q (words %q): %d hits, want 1", q, words, len(hits))
		}
	}
}
