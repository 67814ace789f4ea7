package service_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/hub"
	"github.com/attendify/multievent"
	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/multievent/internal/store/memory"
	"github.com/attendify/platform/errs"
)

// placement lists, per group, the document ids of the app's databases.
func placement(w *world) map[string][]string {
	out := map[string][]string{}
	for _, g := range w.content.Groups(app) {
		var ids []string
		for id := range w.content.Docs(app, g) {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		if len(ids) > 0 {
			out[g] = ids
		}
	}
	return out
}

// TestContentGroups: each document lands in the database of the group
// hub's rule gives it, and nowhere else.
func TestContentGroups(t *testing.T) {
	w := newWorld(t)
	w.speaker("P-OPEN", "Ada")
	w.speaker("P-CLOSED", "Grace")
	w.speaker("P-NONE", "Lone")
	w.event(evOpen, hub.VisibilityPublic, hub.EventAccessOpen, now)
	w.event(evCode, hub.VisibilityPublic, hub.EventAccessCode, now)
	w.event(evHidden, hub.VisibilityHidden, hub.EventAccessOpen, now)
	w.session("S1", evOpen, "Open talk", now, "P-OPEN")
	w.session("S2", evCode, "Code talk", now, "P-CLOSED")
	w.session("S3", evHidden, "Hidden talk", now)
	w.publish(hub.EventRoomCreated, "R1", hub.RoomPayload{ID: "R1", AppID: app, EventID: evCode, Name: "Lab"})
	want := map[string][]string{
		service.GroupAll:             {"event:" + evCode, "event:" + evOpen, "session:S1", "speaker:P-NONE", "speaker:P-OPEN"},
		service.EventGroup(evCode):   {"room:R1", "session:S2", "speaker:P-CLOSED"},
		service.EventGroup(evHidden): {"event:" + evHidden, "session:S3"},
	}
	if diff := cmp.Diff(want, placement(w)); diff != "" {
		t.Fatalf("placement (-want +got):\n%s", diff)
	}
	// The code event opens to everyone: its content moves to "all" and
	// leaves its own database.
	w.publish(hub.EventEventUpdated, evCode, hub.EventPayload{ID: evCode, AppID: app, Name: "Now open", TimeZone: "UTC",
		StartUTC: now, EndUTC: now.Add(time.Hour), Visibility: hub.VisibilityPublic, Access: hub.EventAccessOpen})
	want = map[string][]string{
		service.GroupAll: {"event:" + evCode, "event:" + evOpen, "room:R1", "session:S1", "session:S2",
			"speaker:P-CLOSED", "speaker:P-NONE", "speaker:P-OPEN"},
		service.EventGroup(evHidden): {"event:" + evHidden, "session:S3"},
	}
	if diff := cmp.Diff(want, placement(w)); diff != "" {
		t.Errorf("placement after the event opened (-want +got):\n%s", diff)
	}
	// A session moves its speaker: Ada now speaks at the hidden event only.
	w.publish(hub.EventSessionUpdated, "S1", hub.SessionPayload{ID: "S1", AppID: app, EventID: evOpen, Title: "Open talk",
		StartUTC: now, EndUTC: now.Add(time.Hour), SpeakerIDs: []string{}})
	w.publish(hub.EventSessionUpdated, "S3", hub.SessionPayload{ID: "S3", AppID: app, EventID: evHidden, Title: "Hidden talk",
		StartUTC: now, EndUTC: now.Add(time.Hour), SpeakerIDs: []string{"P-OPEN"}})
	got := placement(w)
	if slices.Contains(got[service.GroupAll], "speaker:P-OPEN") || !slices.Contains(got[service.EventGroup(evHidden)], "speaker:P-OPEN") {
		t.Errorf("Ada, now at the hidden event only: %v", got)
	}
	// The hidden event is deleted: its database empties.
	w.publish(hub.EventEventDeleted, evHidden, hub.IDsPayload{AppID: app, ID: evHidden})
	got = placement(w)
	if len(got[service.EventGroup(evHidden)]) != 0 || !slices.Contains(got[service.GroupAll], "speaker:P-OPEN") {
		t.Errorf("after the hidden event's deletion: %v", got)
	}
}

// TestContentDocuments: what phones read, and only changed documents are
// written again.
func TestContentDocuments(t *testing.T) {
	w := newWorld(t)
	w.event(evOpen, hub.VisibilityPublic, hub.EventAccessOpen, time.Date(2026, 6, 11, 7, 0, 0, 0, time.UTC))
	w.session("S1", evOpen, "Keynote", time.Date(2026, 6, 11, 7, 30, 0, 0, time.UTC), "P1")
	var doc multievent.SessionDoc
	if err := json.Unmarshal(w.content.Docs(app, service.GroupAll)["session:S1"], &doc); err != nil {
		t.Fatal(err)
	}
	want := multievent.SessionDoc{Type: multievent.DocSession, ID: "S1", EventID: evOpen, Title: "Keynote", Start: "2026-06-11T09:30",
		End: "2026-06-11T10:30", StartUTC: time.Date(2026, 6, 11, 7, 30, 0, 0, time.UTC), EndUTC: time.Date(2026, 6, 11, 8, 30, 0, 0, time.UTC),
		SpeakerIDs: []string{"P1"}, Hash: doc.Hash}
	if diff := cmp.Diff(want, doc); diff != "" || doc.Hash == "" {
		t.Errorf("session document (-want +got):\n%s", diff)
	}
	rev, _ := w.content.Rev(t.Context(), service.DocRef{GroupDB: service.GroupDB{App: app, Group: service.GroupAll}, ID: "session:S1"})
	// A change of the event that leaves the session as it was writes the
	// card, not the session again.
	w.publish(hub.EventEventUpdated, evOpen, hub.EventPayload{ID: evOpen, AppID: app, Name: "Renamed", TimeZone: "Europe/Paris",
		StartUTC: time.Date(2026, 6, 11, 7, 0, 0, 0, time.UTC), EndUTC: time.Date(2026, 6, 11, 15, 0, 0, 0, time.UTC),
		Visibility: hub.VisibilityPublic, Access: hub.EventAccessOpen})
	if again, _ := w.content.Rev(t.Context(), service.DocRef{GroupDB: service.GroupDB{App: app, Group: service.GroupAll}, ID: "session:S1"}); again != rev {
		t.Errorf("an unchanged session was written again: %s -> %s", rev, again)
	}
	if !strings.Contains(string(w.content.Docs(app, service.GroupAll)["event:"+evOpen]), "Renamed") {
		t.Error("the card was not written")
	}
}

// TestContentDatabases: a member may replicate "all" and the databases of
// the restricted events open to them.
func TestContentDatabases(t *testing.T) {
	w := newWorld(t)
	w.standard()
	tests := []struct {
		user string
		want []string
	}{
		{"plain", []string{service.GroupAll}},
		{"reg", []string{service.GroupAll, service.EventGroup(evCode), service.EventGroup(evListed), service.EventGroup(evHidden)}},
		{"org", []string{service.GroupAll, service.EventGroup(evCode), service.EventGroup(evListed), service.EventGroup(evHidden), service.EventGroup(evHidCode)}},
	}
	for _, tt := range tests {
		dbs, err := w.svc.ContentDatabases(as(tt.user), app)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range dbs {
			got = append(got, d.Group)
			if !strings.HasPrefix(d.URL, "https://me.example/content/") {
				t.Errorf("URL %q", d.URL)
			}
		}
		if diff := cmp.Diff(tt.want, got, cmpSorted); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.user, diff)
		}
	}
}

// flaky is content databases that can be down.
type flaky struct {
	*memory.Content
	down bool
}

func (f *flaky) Write(ctx context.Context, db service.GroupDB, docs []service.ContentDoc) ([]service.WriteResult, error) {
	if f.down {
		return nil, errs.New(errs.Unavailable, "couchdb is down")
	}
	return f.Content.Write(ctx, db, docs)
}

// TestSweeperWritesWhatFailed: a write that fails leaves its documents
// dirty; the sweeper writes them once CouchDB is back.
func TestSweeperWritesWhatFailed(t *testing.T) {
	w := newWorld(t)
	down := &flaky{Content: w.content, down: true}
	w.svc = service.New(service.Options{Projection: w.store, Search: w.store, Links: w.store, Agendas: w.agendas,
		Content: down, Access: w.access, PublicURL: "https://me.example", Now: func() time.Time { return now }})
	w.event(evOpen, hub.VisibilityPublic, hub.EventAccessOpen, now)
	if len(w.content.Docs(app, service.GroupAll)) != 0 {
		t.Fatal("written while CouchDB was down")
	}
	down.down = false
	if n, err := w.svc.SettleDirty(t.Context()); err != nil || n != 1 {
		t.Errorf("sweep: %d, %v", n, err)
	}
	if len(w.content.Docs(app, service.GroupAll)) != 1 {
		t.Error("the sweeper did not write the card")
	}
}

func cmpDiff(want, got any) string { return cmp.Diff(want, got) }
