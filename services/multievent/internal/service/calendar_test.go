package service_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/attendify/hub"
	"github.com/attendify/multievent"
	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/multievent/internal/store/memory"
	"github.com/attendify/platform/errs"
)

// token is the secret of a calendar URL.
func token(url string) string {
	return strings.TrimSuffix(url[strings.LastIndex(url, "/")+1:], ".ics")
}

// TestCalendarFeed: the feed holds the sessions the member may open, with
// stable UIDs and notes; a new link stops the old one; a blocked member's
// link answers as an unknown one.
func TestCalendarFeed(t *testing.T) {
	w := newWorld(t)
	w.standard()
	w.access.SetMember(app, "plain", memory.Member{Registered: []string{evCode}})
	ops := append(bookmark("S-"+evOpen, "S-"+evCode), service.Op{Op: multievent.OpNote, Session: "S-" + evOpen, Text: "Front row"})
	if _, err := w.svc.Sync(as("plain"), app, "", ops, nil, nil); err != nil {
		t.Fatal(err)
	}
	link, err := w.svc.IssueCalendarLink(as("plain"), app, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link.URL, "https://me.example/calendar/") || len(token(link.URL)) != 43 {
		t.Fatalf("link %q: want 256 bits in base64url", link.URL)
	}
	parse := func(body []byte) []*ics.VEvent {
		t.Helper()
		cal, err := ics.ParseCalendar(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("parse the feed: %v", err)
		}
		return cal.Events()
	}
	body, err := w.svc.Feed(t.Context(), token(link.URL))
	if err != nil {
		t.Fatal(err)
	}
	uids := map[string]string{}
	for _, e := range parse(body) {
		desc := ""
		if p := e.GetProperty(ics.ComponentPropertyDescription); p != nil {
			desc = p.Value
		}
		uids[e.GetProperty(ics.ComponentPropertyUniqueId).Value] = desc
	}
	if len(uids) != 2 || !strings.Contains(uids["S-"+evOpen+"@"+app+".multievent.attendify"], "Front row") {
		t.Errorf("feed events: %v", uids)
	}
	// Unregistered from the code event: its session leaves the feed.
	w.access.SetMember(app, "plain", memory.Member{})
	body, _ = w.svc.Feed(t.Context(), token(link.URL))
	if evs := parse(body); len(evs) != 1 {
		t.Errorf("%d events after losing the code event, want 1", len(evs))
	}
	// A new link: the old one stops.
	again, err := w.svc.IssueCalendarLink(as("plain"), app, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Feed(t.Context(), token(link.URL)); !errors.Is(err, errs.NotFound) {
		t.Errorf("the old link after a new one: %v", err)
	}
	if _, err := w.svc.Feed(t.Context(), token(again.URL)); err != nil {
		t.Errorf("the new link: %v", err)
	}
	// Blocked in hub: the feed answers as for an unknown link.
	w.access.SetMember(app, "plain", memory.Member{Blocked: true})
	if _, err := w.svc.Feed(t.Context(), token(again.URL)); !errors.Is(err, errs.NotFound) {
		t.Errorf("a blocked member's feed: %v", err)
	}
	for _, bad := range []string{"", "short", strings.Repeat("A", 43)} {
		if _, err := w.svc.Feed(t.Context(), bad); !errors.Is(err, errs.NotFound) {
			t.Errorf("feed %q: %v", bad, err)
		}
	}
	w.access.SetMember(app, "plain", memory.Member{})
	if err := w.svc.RevokeCalendarLink(as("plain"), app, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Feed(t.Context(), token(again.URL)); !errors.Is(err, errs.NotFound) {
		t.Errorf("a revoked link: %v", err)
	}
}

// TestRebuild: a projection rebuilt from hub matches hub, deletes what hub
// no longer has, and rewrites the content databases, lost ones included
// (what changed after a snapshot is the Projection contract's).
func TestRebuild(t *testing.T) {
	w := newWorld(t)
	w.event(evOpen, hub.VisibilityPublic, hub.EventAccessOpen, now)
	w.event(evPast, hub.VisibilityPublic, hub.EventAccessOpen, now.Add(-48*time.Hour))
	w.session("S-GONE", evOpen, "Gone in hub", now)
	w.access.SetMember(app, "org", memory.Member{Organizer: true})
	// Hub has the open event with another session, and a speaker, but no
	// longer the past event; an event arrived after the snapshot's time.
	w.hub.Apps[app] = service.AppSnapshot{
		Events:   []service.Event{{ID: evOpen, AppID: app, Name: "Renamed in hub", TimeZone: "UTC", Start: now, End: now.Add(time.Hour), Visibility: hub.VisibilityPublic, Access: hub.EventAccessOpen}},
		Sessions: []service.Session{{ID: "S-NEW", AppID: app, EventID: evOpen, Title: "New in hub", Start: now, End: now.Add(time.Hour), SpeakerIDs: []string{"P1"}}},
		Speakers: []service.Speaker{{ID: "P1", AppID: app, Name: "Ada"}},
	}
	if err := w.content.Drop(t.Context(), app); err != nil { // the content databases are lost too
		t.Fatal(err)
	}
	if err := w.svc.Rebuild(t.Context()); err != nil {
		t.Fatal(err)
	}
	d, err := w.svc.Directory(as("org"), app)
	if err != nil {
		t.Fatal(err)
	}
	if names := gates(d); len(names) != 1 {
		t.Errorf("directory after the rebuild: %v", names)
	}
	got := placement(w)
	want := map[string][]string{service.GroupAll: {"event:" + evOpen, "session:S-NEW", "speaker:P1"}}
	if diff := cmpDiff(want, got); diff != "" {
		t.Errorf("content after the rebuild (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(w.content.Docs(app, service.GroupAll)["event:"+evOpen]), "Renamed in hub") {
		t.Error("the card is not hub's")
	}
	// An app hub no longer lists is deleted.
	delete(w.hub.Apps, app)
	if err := w.svc.Rebuild(t.Context()); err != nil {
		t.Fatal(err)
	}
	if g := w.content.Groups(app); len(g) != 0 {
		t.Errorf("content databases of an app hub no longer has: %v", g)
	}
}
