package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/hub"
	"github.com/attendify/multievent"
	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/multievent/internal/store/memory"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
)

const app = "APP1"

var now = time.Date(2026, 6, 12, 12, 0, 0, 0, time.UTC)

// world is the domain on fakes, with an app of events in every setting.
type world struct {
	t       *testing.T
	svc     *service.Service
	store   *memory.Store
	access  *memory.Access
	agendas *memory.Agendas
	content *memory.Content
	hub     *memory.Hub
	seq     int
}

func newWorld(t *testing.T) *world {
	w := &world{t: t, store: memory.NewStore(), access: memory.NewAccess(), agendas: memory.NewAgendas(),
		content: memory.NewContent(), hub: &memory.Hub{Apps: map[string]service.AppSnapshot{}}}
	w.svc = service.New(service.Options{Projection: w.store, Search: w.store, Links: w.store, Agendas: w.agendas,
		Content: w.content, Access: w.access, Hub: w.hub, PublicURL: "https://me.example", Now: func() time.Time { return now }})
	return w
}

// publish hands one of hub's events to the domain, as the consumer does.
func (w *world) publish(typ, subject string, payload any) {
	w.t.Helper()
	w.seq++
	data, err := json.Marshal(payload)
	if err != nil {
		w.t.Fatal(err)
	}
	ev := events.Event{ID: events.NewID(), Type: typ, App: app, Subject: subject, Time: now.Add(-time.Hour + time.Duration(w.seq)*time.Millisecond), Data: data}
	if err := w.svc.HandleHubEvent(context.Background(), ev); err != nil {
		w.t.Fatalf("%s %s: %v", typ, subject, err)
	}
}

// event publishes an event and puts it in the fake read model.
func (w *world) event(id, visibility, access string, start time.Time) {
	w.t.Helper()
	p := hub.EventPayload{ID: id, AppID: app, Name: "Event " + id, TimeZone: "Europe/Paris", StartUTC: start, EndUTC: start.Add(8 * time.Hour),
		Venue: "Venue " + id, Visibility: visibility, Access: access}
	w.publish(hub.EventEventCreated, id, p)
	w.access.SetEvent(app, hub.EventInfo{ID: id, Name: p.Name, TimeZone: p.TimeZone, StartUTC: p.StartUTC, EndUTC: p.EndUTC,
		Visibility: visibility, Access: access})
}

func (w *world) session(id, event, title string, start time.Time, speakers ...string) {
	w.t.Helper()
	w.publish(hub.EventSessionCreated, id, hub.SessionPayload{ID: id, AppID: app, EventID: event, Title: title,
		StartUTC: start, EndUTC: start.Add(time.Hour), SpeakerIDs: speakers})
}

func (w *world) speaker(id, name string) {
	w.t.Helper()
	w.publish(hub.EventSpeakerCreated, id, hub.SpeakerPayload{ID: id, AppID: app, Name: name})
}

func as(user string) context.Context {
	return auth.WithCaller(context.Background(), auth.Caller{Kind: auth.CallerUser, User: user, App: app, Role: auth.RoleAttendee})
}

func serviceCtx() context.Context {
	return auth.WithCaller(context.Background(), auth.Caller{Kind: auth.CallerService, Service: "test"})
}

// The events of the standard world, by their settings.
const (
	evOpen     = "E-OPEN"
	evCode     = "E-CODE"
	evListed   = "E-LISTED"
	evHidden   = "E-HIDDEN"
	evHidCode  = "E-HIDCODE"
	evPast     = "E-PAST"
	evUpcoming = "E-NEXT"
)

// standard fills the world: events of every setting (now, past,
// upcoming), a session in each, and members.
func (w *world) standard() {
	w.event(evOpen, hub.VisibilityPublic, hub.EventAccessOpen, now.Add(-2*time.Hour))
	w.event(evCode, hub.VisibilityPublic, hub.EventAccessCode, now.Add(-time.Hour))
	w.event(evListed, hub.VisibilityPublic, hub.EventAccessListed, now.Add(-time.Hour))
	w.event(evHidden, hub.VisibilityHidden, hub.EventAccessOpen, now.Add(-time.Hour))
	w.event(evHidCode, hub.VisibilityHidden, hub.EventAccessCode, now.Add(-time.Hour))
	w.event(evPast, hub.VisibilityPublic, hub.EventAccessOpen, now.Add(-30*24*time.Hour))
	w.event(evUpcoming, hub.VisibilityPublic, hub.EventAccessOpen, now.Add(30*24*time.Hour))
	for _, e := range []string{evOpen, evCode, evListed, evHidden, evHidCode, evPast, evUpcoming} {
		w.session("S-"+e, e, "Talk at "+e, now.Add(-time.Hour))
	}
	w.access.SetMember(app, "plain", memory.Member{})
	w.access.SetMember(app, "reg", memory.Member{Registered: []string{evCode, evListed, evHidden}})
	w.access.SetMember(app, "org", memory.Member{Organizer: true})
	w.access.SetMember(app, "blocked", memory.Member{Blocked: true})
}

func gates(d service.Directory) map[string]string {
	out := map[string]string{}
	for _, list := range [][]service.DirectoryEvent{d.Now, d.Upcoming, d.Past} {
		for _, e := range list {
			out[e.ID] = e.Gate.String()
		}
	}
	return out
}

// TestDirectoryCache: the directory is cached under the app's content
// version, but a call answers for its own clock and standing: the clock
// passing an event's start, a registration and hub's visibility change
// the next answer without any change to the projection; an event's edit
// projected shows at once.
func TestDirectoryCache(t *testing.T) {
	w := newWorld(t)
	w.standard()
	clock := now
	w.svc = service.New(service.Options{Projection: w.store, Search: w.store, Links: w.store, Agendas: w.agendas,
		Content: w.content, Access: w.access, Hub: w.hub, PublicURL: "https://me.example", Now: func() time.Time { return clock }})
	find := func(ctx context.Context, id string) (status, gate, name string) {
		t.Helper()
		d, err := w.svc.Directory(ctx, app)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range slices.Concat(d.Now, d.Upcoming, d.Past) {
			if e.ID == id {
				return e.Status, e.Gate.String(), e.Name
			}
		}
		return "", "absent", ""
	}
	for range 2 { // the second call is served from the cache
		if st, _, _ := find(as("plain"), evUpcoming); st != multievent.StatusUpcoming {
			t.Fatalf("the upcoming event: %q", st)
		}
	}
	clock = now.Add(30*24*time.Hour + time.Minute)
	if st, _, _ := find(as("plain"), evUpcoming); st != multievent.StatusNow {
		t.Errorf("after its start the event is %q, want now", st)
	}
	if _, g, _ := find(as("plain"), evCode); g != "code" {
		t.Fatalf("the code event for a plain member: %q", g)
	}
	w.access.SetMember(app, "plain", memory.Member{Registered: []string{evCode}})
	if _, g, _ := find(as("plain"), evCode); g != hub.EventAccessOpen {
		t.Errorf("the code event once registered: %q, want open", g)
	}
	w.access.SetEvent(app, hub.EventInfo{ID: evOpen, Name: "Event " + evOpen, Visibility: hub.VisibilityHidden, Access: hub.EventAccessOpen})
	if _, g, _ := find(as("plain"), evOpen); g != "absent" {
		t.Errorf("an event hub hides: %q, want absent", g)
	}
	w.publish(hub.EventEventUpdated, evPast, hub.EventPayload{ID: evPast, AppID: app, Name: "Renamed", TimeZone: "Europe/Paris",
		StartUTC: now.Add(-30 * 24 * time.Hour), EndUTC: now.Add(-30*24*time.Hour + 8*time.Hour), Visibility: hub.VisibilityPublic,
		Access: hub.EventAccessOpen})
	if _, _, n := find(as("plain"), evPast); n != "Renamed" {
		t.Errorf("the past event after its rename: %q", n)
	}
}

// TestDirectoryAccess: one table of who sees which event with which gate.
func TestDirectoryAccess(t *testing.T) {
	w := newWorld(t)
	w.standard()
	open := hub.EventAccessOpen
	tests := []struct {
		name string
		ctx  context.Context
		want map[string]string
	}{
		{"member", as("plain"), map[string]string{evOpen: open, evCode: "code", evListed: "listed", evPast: open, evUpcoming: open}},
		{"registered member", as("reg"), map[string]string{evOpen: open, evCode: open, evListed: open, evHidden: open, evPast: open, evUpcoming: open}},
		{"organizer", as("org"), map[string]string{evOpen: open, evCode: open, evListed: open, evHidden: open, evHidCode: open, evPast: open, evUpcoming: open}},
		{"service", serviceCtx(), map[string]string{evOpen: open, evCode: open, evListed: open, evHidden: open, evHidCode: open, evPast: open, evUpcoming: open}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := w.svc.Directory(tt.ctx, app)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, gates(d)); diff != "" {
				t.Errorf("gates (-want +got):\n%s", diff)
			}
		})
	}
	refused := []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"blocked member", as("blocked"), errs.Forbidden},
		{"not a member", as("stranger"), errs.Forbidden},
		{"anonymous", context.Background(), errs.Unauthenticated},
		{"token of another app", auth.WithCaller(context.Background(), auth.Caller{Kind: auth.CallerUser, User: "plain", App: "OTHER"}), errs.Forbidden},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := w.svc.Directory(tt.ctx, app); !errors.Is(err, tt.want) {
				t.Errorf("Directory = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestDirectoryByClock: now, upcoming (soonest first), past (latest
// first) and mine.
func TestDirectoryByClock(t *testing.T) {
	w := newWorld(t)
	w.standard()
	w.event("E-LATER", hub.VisibilityPublic, hub.EventAccessOpen, now.Add(60*24*time.Hour))
	w.event("E-OLDER", hub.VisibilityPublic, hub.EventAccessOpen, now.Add(-60*24*time.Hour))
	d, err := w.svc.Directory(as("reg"), app)
	if err != nil {
		t.Fatal(err)
	}
	idsOf := func(evs []service.DirectoryEvent) []string {
		var out []string
		for _, e := range evs {
			out = append(out, e.ID)
		}
		return out
	}
	if diff := cmp.Diff([]string{evUpcoming, "E-LATER"}, idsOf(d.Upcoming)); diff != "" {
		t.Errorf("upcoming (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{evPast, "E-OLDER"}, idsOf(d.Past)); diff != "" {
		t.Errorf("past (-want +got):\n%s", diff)
	}
	if got := idsOf(d.Now); len(got) != 4 || !slices.Contains(got, evHidden) {
		t.Errorf("now: %v", got)
	}
	if diff := cmp.Diff([]string{evCode, evListed, evHidden}, d.Mine, cmpSorted); diff != "" {
		t.Errorf("mine (-want +got):\n%s", diff)
	}
	if _, err := w.svc.DirectoryEvent(as("plain"), app, evHidden); !errors.Is(err, errs.NotFound) {
		t.Errorf("a hidden event for a member not registered: %v, want not found", err)
	}
	if e, err := w.svc.DirectoryEvent(as("plain"), app, evCode); err != nil || e.Gate != hub.GateCode {
		t.Errorf("the code event: %+v, %v", e, err)
	}
}

var cmpSorted = cmp.Transformer("sort", func(in []string) []string {
	out := slices.Clone(in)
	sort.Strings(out)
	return out
})

// TestSearchScope: what a member finds is what the directory opens.
func TestSearchScope(t *testing.T) {
	w := newWorld(t)
	w.standard()
	tests := []struct {
		ctx  context.Context
		want []string
	}{
		{as("plain"), []string{"S-" + evOpen, "S-" + evPast, "S-" + evUpcoming}},
		{as("reg"), []string{"S-" + evOpen, "S-" + evPast, "S-" + evUpcoming, "S-" + evCode, "S-" + evListed, "S-" + evHidden}},
	}
	for _, tt := range tests {
		page, err := w.svc.Search(tt.ctx, service.Searching{App: app, Text: "talk", After: ""})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, h := range page.Hits {
			got = append(got, h.ID)
		}
		if diff := cmp.Diff(tt.want, got, cmpSorted); diff != "" {
			t.Errorf("talk as %v (-want +got):\n%s", auth.CallerFrom(tt.ctx).User, diff)
		}
	}
	if _, err := w.svc.Search(as("plain"), service.Searching{App: app, Text: " ?! ", After: ""}); !errors.Is(err, errs.Invalid) {
		t.Errorf("a search without words: %v", err)
	}
	// Pages are cached per content version and per what the caller may
	// see: a registration opens more at once, and so does a new session.
	w.access.SetMember(app, "plain", memory.Member{Registered: []string{evCode}})
	w.session("S-NEW", evOpen, "Talk about caches", now)
	page, err := w.svc.Search(as("plain"), service.Searching{App: app, Text: "talk", After: ""})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range page.Hits {
		got = append(got, h.ID)
	}
	if diff := cmp.Diff([]string{"S-" + evOpen, "S-" + evPast, "S-" + evUpcoming, "S-" + evCode, "S-NEW"}, got, cmpSorted); diff != "" {
		t.Errorf("talk once registered to the code event, after a new session (-want +got):\n%s", diff)
	}
}

// TestSearchPages: 20 a page, the cursor continues, a cursor of another
// search is refused.
func TestSearchPages(t *testing.T) {
	w := newWorld(t)
	w.event(evOpen, hub.VisibilityPublic, hub.EventAccessOpen, now)
	for i := range 45 {
		w.session("S"+strings.Repeat("x", i%3)+string(rune('A'+i/3))+string(rune('a'+i%26)), evOpen, "Workshop", now)
	}
	w.access.SetMember(app, "plain", memory.Member{})
	var all []string
	cursor := ""
	for range 5 {
		page, err := w.svc.Search(as("plain"), service.Searching{App: app, Text: "work", After: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range page.Hits {
			all = append(all, h.ID)
		}
		if len(page.Hits) > multievent.SearchPageSize {
			t.Fatalf("a page of %d", len(page.Hits))
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if len(all) != 45 || len(slices.Compact(slices.Sorted(slices.Values(all)))) != 45 {
		t.Errorf("paged through %d hits (%d distinct), want 45", len(all), len(slices.Compact(slices.Sorted(slices.Values(all)))))
	}
	page, _ := w.svc.Search(as("plain"), service.Searching{App: app, Text: "work", After: ""})
	if _, err := w.svc.Search(as("plain"), service.Searching{App: app, Text: "shop", After: page.Next}); !errors.Is(err, errs.Invalid) {
		t.Errorf("a cursor of another search: %v, want invalid", err)
	}
}
