package multievent_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/attendify/hub"
	"github.com/attendify/multievent"
	"github.com/attendify/multievent/internal/app"
	"github.com/attendify/multievent/internal/metest"
	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
	"github.com/google/go-cmp/cmp"
)

// story is an app with four events and members in every standing,
// projected by a running multievent from hub's events.
type story struct {
	env                          *metest.Env
	app                          string
	conf, workshop, hidden, past hub.EventPayload
	keynote, lunch, lab, secret  string
	plain, registered, organizer metest.Member
	ada                          string
}

func newStory(t *testing.T) *story { return newStoryWith(t, metest.Options{}) }

// newStoryWith is newStory on a service started with o.
func newStoryWith(t *testing.T, o metest.Options) *story {
	env := metest.Start(t, o)
	s := &story{env: env, app: env.CreateApp()}
	now := time.Now().UTC().Truncate(time.Hour)
	s.conf = env.NewEventPayload("Paris Conf", "Europe/Paris", now.Add(-time.Hour), 48)
	s.workshop = env.NewEventPayload("Workshops", "Europe/Paris", now.Add(72*time.Hour), 8)
	s.workshop.Access = hub.EventAccessCode
	s.hidden = env.NewEventPayload("Speakers' dinner", "Europe/Paris", now.Add(24*time.Hour), 3)
	s.hidden.Visibility = hub.VisibilityHidden
	s.past = env.NewEventPayload("Last year in New York", "America/New_York", now.Add(-365*24*time.Hour), 24)
	for _, e := range []hub.EventPayload{s.conf, s.workshop, s.hidden, s.past} {
		env.Event(s.app, e)
	}
	s.ada = env.NewID()
	env.Speaker(s.app, hub.SpeakerPayload{ID: s.ada, Name: "Éloïse Dupont", Company: "Société Générale"})
	s.keynote, s.lunch, s.lab, s.secret = env.NewID(), env.NewID(), env.NewID(), env.NewID()
	env.Session(s.app, hub.SessionPayload{ID: s.keynote, EventID: s.conf.ID, Title: "Keynote: open source at scale",
		StartUTC: now, EndUTC: now.Add(time.Hour), SpeakerIDs: []string{s.ada}}, false)
	env.Session(s.app, hub.SessionPayload{ID: s.lunch, EventID: s.conf.ID, Title: "Lunch", Description: "After the keynote, downstairs",
		StartUTC: now.Add(30 * time.Minute), EndUTC: now.Add(2 * time.Hour)}, false)
	env.Session(s.app, hub.SessionPayload{ID: s.lab, EventID: s.workshop.ID, Title: "Keyboard lab",
		StartUTC: s.workshop.StartUTC, EndUTC: s.workshop.StartUTC.Add(time.Hour)}, false)
	env.Session(s.app, hub.SessionPayload{ID: s.secret, EventID: s.hidden.ID, Title: "Keynote rehearsal",
		StartUTC: s.hidden.StartUTC, EndUTC: s.hidden.StartUTC.Add(time.Hour)}, false)
	s.plain = env.AddMember(s.app, "Plain", auth.RoleAttendee)
	s.registered = env.AddMember(s.app, "Registered", auth.RoleAttendee)
	env.Register(s.registered, s.workshop.ID, s.hidden.ID)
	s.organizer = env.AddMember(s.app, "Organizer", auth.RoleCollaborator)
	// Wait for the projection: the organizer sees every event and session
	// (events and sessions are projected concurrently: the past event,
	// which has no session, may come last).
	testkit.Eventually(t, "the projection of hub's events", func() bool {
		d, err := multievent.ListDirectory.Call(metest.Ctx(s.organizer), env.Client, multievent.AppParams{AppRef: rpc.AppRef{App: s.app}})
		if err != nil || len(gatesOf(d)) != 4 {
			return false
		}
		page, err := multievent.Search.Call(metest.Ctx(s.organizer), env.Client, multievent.SearchParams{AppRef: rpc.AppRef{App: s.app}, Query: "k"})
		if err != nil || len(page.Hits) != 4 { // keynote, lunch, lab, rehearsal
			return false
		}
		page, err = multievent.Search.Call(metest.Ctx(s.organizer), env.Client, multievent.SearchParams{AppRef: rpc.AppRef{App: s.app}, Query: "eloise"})
		return err == nil && len(page.Hits) == 1
	})
	return s
}

func gatesOf(d multievent.Directory) map[string]string {
	out := map[string]string{}
	for _, list := range [][]multievent.DirectoryEvent{d.Now, d.Upcoming, d.Past} {
		for _, e := range list {
			out[e.Name] = e.Status + " " + e.Gate
		}
	}
	return out
}

// contentDB returns the content database of event ("" for the app's "all"
// database) among those m may replicate.
func (s *story) contentDB(t *testing.T, m metest.Member, event string) multievent.ContentDatabase {
	t.Helper()
	dbs, err := multievent.ListContentDatabases.Call(metest.Ctx(m), s.env.Client, multievent.AppParams{AppRef: rpc.AppRef{App: s.app}})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dbs.Databases {
		if d.EventID == event {
			return d
		}
	}
	t.Fatalf("no content database of event %q among %+v", event, dbs.Databases)
	return multievent.ContentDatabase{}
}

// front sends a request to the content front as m (with no token for the
// zero Member) and returns the status and body of the answer.
func front(t *testing.T, m metest.Member, method, url string, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if m.Token != "" {
		auth.SetBearerToken(req, m.Token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestDirectoryComponent: the directory over JSON-RPC, for each kind of
// caller, against hub's read model and events.
func TestDirectoryComponent(t *testing.T) {
	s := newStory(t)
	c := s.env.Client
	tests := []struct {
		name string
		m    metest.Member
		want map[string]string
	}{
		{"member", s.plain, map[string]string{"Paris Conf": "now open", "Workshops": "upcoming code", "Last year in New York": "past open"}},
		{"registered member", s.registered, map[string]string{"Paris Conf": "now open", "Workshops": "upcoming open",
			"Speakers' dinner": "upcoming open", "Last year in New York": "past open"}},
		{"organizer", s.organizer, map[string]string{"Paris Conf": "now open", "Workshops": "upcoming open",
			"Speakers' dinner": "upcoming open", "Last year in New York": "past open"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := multievent.ListDirectory.Call(metest.Ctx(tt.m), c, multievent.AppParams{AppRef: rpc.AppRef{App: s.app}})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, gatesOf(d)); diff != "" {
				t.Errorf("directory (-want +got):\n%s", diff)
			}
		})
	}
	d, err := multievent.ListDirectory.Call(metest.Ctx(s.registered), c, multievent.AppParams{AppRef: rpc.AppRef{App: s.app}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{s.workshop.ID, s.hidden.ID}, d.Mine, cmpSorted); diff != "" {
		t.Errorf("mine (-want +got):\n%s", diff)
	}
	if len(d.Past) != 1 || d.Past[0].TimeZone != "America/New_York" || d.Past[0].UTCOffset == "" || !strings.HasPrefix(d.Past[0].Start, "20") {
		t.Errorf("the past event in its own zone: %+v", d.Past)
	}
	refused := []struct {
		name string
		ctx  context.Context
		want errs.Code
	}{
		{"anonymous", context.Background(), errs.CodeUnauthenticated},
		{"member of another app", metest.Ctx(s.env.AddMember(s.env.CreateApp(), "Other", auth.RoleAttendee)), errs.CodeTokenWrongApp},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			_, err := multievent.ListDirectory.Call(tt.ctx, c, multievent.AppParams{AppRef: rpc.AppRef{App: s.app}})
			if errs.CodeOf(err) != tt.want {
				t.Errorf("directory.list = %v, want %v", err, tt.want)
			}
		})
	}
	s.env.SetMembership(s.plain, true) // blocked in hub
	if _, err := multievent.ListDirectory.Call(metest.Ctx(s.plain), c, multievent.AppParams{AppRef: rpc.AppRef{App: s.app}}); !errors.Is(err, errs.Forbidden) {
		t.Errorf("a blocked member: %v, want forbidden", err)
	}
	if _, err := multievent.GetDirectoryEvent.Call(metest.Ctx(s.registered), c, multievent.EventParams{AppRef: rpc.AppRef{App: s.app}, Event: s.hidden.ID}); err != nil {
		t.Errorf("a hidden event to its registered member: %v", err)
	}
}

var cmpSorted = cmp.Transformer("sort", func(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return out
})

func hitIDs(p multievent.SearchPage) []string {
	var out []string
	for _, h := range p.Hits {
		out = append(out, h.ID)
	}
	return out
}

// TestSearchComponent: Postgres full-text search over JSON-RPC: accents
// and case folded, prefixes, titles first, only what the caller may see.
func TestSearchComponent(t *testing.T) {
	s := newStory(t)
	search := func(m metest.Member, q string) multievent.SearchPage {
		t.Helper()
		p, err := multievent.Search.Call(metest.Ctx(m), s.env.Client, multievent.SearchParams{AppRef: rpc.AppRef{App: s.app}, Query: q})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	got := hitIDs(search(s.plain, "KEYNOTE"))
	if !slices.Equal(got, []string{s.keynote, s.lunch}) {
		t.Errorf("KEYNOTE: %v, want the keynote (title) before the lunch (description)", got)
	}
	if got := hitIDs(search(s.plain, "eloise soc")); !slices.Equal(got, []string{s.ada}) {
		t.Errorf("eloise soc: %v, want Éloïse", got)
	}
	// The workshop's card, not its lab; nothing of the hidden event.
	got = hitIDs(search(s.plain, "k"))
	if slices.Contains(got, s.lab) || slices.Contains(got, s.secret) {
		t.Errorf("k as a member: %v holds a closed session", got)
	}
	got = hitIDs(search(s.plain, "workshops"))
	if !slices.Equal(got, []string{s.workshop.ID}) {
		t.Errorf("workshops: %v, want the card", got)
	}
	got = hitIDs(search(s.registered, "key"))
	if !slices.Contains(got, s.lab) || !slices.Contains(got, s.secret) {
		t.Errorf("key as a registered member: %v lacks what registration opens", got)
	}
	if _, err := multievent.Search.Call(metest.Ctx(s.plain), s.env.Client, multievent.SearchParams{AppRef: rpc.AppRef{App: s.app}, Query: "k", Cursor: "garbage"}); errs.CodeOf(err) != errs.CodeInvalid {
		t.Errorf("a bad cursor: %v", err)
	}
}

// TestCachesFollowTheProjection: the directory and search cache what they
// read under the app's content version; an edit in hub shows in the very
// next call once the projection has applied it, never a stale answer.
func TestCachesFollowTheProjection(t *testing.T) {
	s := newStory(t)
	ctx := testkit.Context(t)
	ref := rpc.AppRef{App: s.app}
	names := func() map[string]bool {
		t.Helper()
		d, err := multievent.ListDirectory.Call(metest.Ctx(s.plain), s.env.Client, multievent.AppParams{AppRef: ref})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for n := range gatesOf(d) {
			out[n] = true
		}
		return out
	}
	search := func(q string) []string {
		t.Helper()
		p, err := multievent.Search.Call(metest.Ctx(s.plain), s.env.Client, multievent.SearchParams{AppRef: ref, Query: q})
		if err != nil {
			t.Fatal(err)
		}
		return hitIDs(p)
	}
	// Warm both caches, twice (the second call is served from them).
	for range 2 {
		if !names()["Paris Conf"] {
			t.Fatal("the directory lacks Paris Conf")
		}
		if got := search("keynote"); !slices.Contains(got, s.keynote) {
			t.Fatalf("keynote: %v", got)
		}
	}

	// An event renamed in hub: once the projection holds the new name, the
	// next directory call shows it.
	conf := s.conf
	conf.Name = "Lyon Conf"
	s.env.Event(s.app, conf)
	testkit.Eventually(t, "the projection applies the rename", func() bool {
		evs, err := s.env.App.Store.Events(ctx, s.app)
		return err == nil && slices.ContainsFunc(evs, func(e service.Event) bool { return e.Name == "Lyon Conf" })
	})
	if got := names(); !got["Lyon Conf"] || got["Paris Conf"] {
		t.Errorf("directory right after the projection applied the rename: %v", got)
	}

	// A session retitled in hub: the next search finds the new title and
	// no longer the old one.
	s.env.Session(s.app, hub.SessionPayload{ID: s.keynote, EventID: s.conf.ID, Title: "Opening: wombats at scale",
		StartUTC: s.conf.StartUTC, EndUTC: s.conf.StartUTC.Add(time.Hour), SpeakerIDs: []string{s.ada}}, true)
	testkit.Eventually(t, "the projection applies the new title", func() bool {
		xs, err := s.env.App.Store.Sessions(ctx, s.app, []string{s.keynote})
		return err == nil && len(xs) == 1 && strings.HasPrefix(xs[0].Title, "Opening")
	})
	if got := search("wombat"); !slices.Equal(got, []string{s.keynote}) {
		t.Errorf("wombat right after the projection applied it: %v", got)
	}
	if got := search("keynote"); slices.Contains(got, s.keynote) {
		t.Errorf("keynote after the retitle still finds the session: %v", got)
	}
}

// TestAgendaComponent: two phones of one member sync their offline edits
// over JSON-RPC (the key-value port on Postgres), the iCalendar feed
// follows, and a new link retires the old one.
func TestAgendaComponent(t *testing.T) {
	s := newStory(t)
	c := s.env.Client
	ctx := metest.Ctx(s.registered)
	sync := func(base multievent.Agenda, ops ...multievent.AgendaOp) multievent.Agenda {
		t.Helper()
		a, err := multievent.SyncAgenda.Call(ctx, c, multievent.SyncParams{AppRef: rpc.AppRef{App: s.app}, Ops: multievent.EncodeOps(ops...),
			BookmarksContext: base.BookmarksContext, NotesContext: base.NotesContext})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	ids := func(a multievent.Agenda) []string {
		var out []string
		for _, x := range a.Sessions {
			out = append(out, x.ID)
		}
		return out
	}
	bm := func(id string) multievent.AgendaOp {
		return multievent.AgendaOp{Op: multievent.OpBookmark, Session: id}
	}
	unbm := func(id string) multievent.AgendaOp {
		return multievent.AgendaOp{Op: multievent.OpUnbookmark, Session: id}
	}
	first := sync(multievent.Agenda{}, bm(s.keynote), bm(s.lunch))
	if len(first.Conflicts) != 1 {
		t.Errorf("conflicts: %+v, want keynote and lunch", first.Conflicts)
	}
	phoneA, phoneB := first, first
	sync(phoneA, unbm(s.keynote), multievent.AgendaOp{Op: multievent.OpNote, Session: s.lunch, Text: "Vegetarian"})
	merged := sync(phoneB, unbm(s.keynote), bm(s.keynote), bm(s.lab))
	if diff := cmp.Diff([]string{s.keynote, s.lunch, s.lab}, ids(merged)); diff != "" {
		t.Errorf("merged agenda (-want +got):\n%s", diff)
	}
	if merged.Sessions[1].Note != "Vegetarian" {
		t.Errorf("the note of the other phone: %+v", merged.Sessions[1])
	}
	// A context from another member's agenda is refused.
	other, err := multievent.GetAgenda.Call(metest.Ctx(s.plain), c, multievent.AgendaParams{AppRef: rpc.AppRef{App: s.app}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := multievent.SyncAgenda.Call(ctx, c, multievent.SyncParams{AppRef: rpc.AppRef{App: s.app}, Ops: multievent.EncodeOps(unbm(s.lunch)),
		BookmarksContext: other.BookmarksContext}); errs.CodeOf(err) != errs.CodeInvalid {
		t.Errorf("another member's context: %v, want invalid", err)
	}

	link, err := multievent.IssueCalendarLink.Call(ctx, c, multievent.AgendaParams{AppRef: rpc.AppRef{App: s.app}})
	if err != nil {
		t.Fatal(err)
	}
	feed := func(url string) (int, []byte) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == http.StatusOK && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/calendar") {
			t.Errorf("content type %q", resp.Header.Get("Content-Type"))
		}
		return resp.StatusCode, body
	}
	code, body := feed(link.URL)
	if code != http.StatusOK {
		t.Fatalf("feed: %d %s", code, body)
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse the feed: %v", err)
	}
	if n := len(cal.Events()); n != 3 || len(cal.Timezones()) != 1 {
		t.Errorf("feed: %d events, %d time zones; want 3 and Paris", n, len(cal.Timezones()))
	}
	again, err := multievent.IssueCalendarLink.Call(ctx, c, multievent.AgendaParams{AppRef: rpc.AppRef{App: s.app}})
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := feed(link.URL); code != http.StatusNotFound {
		t.Errorf("the old link: %d, want 404", code)
	}
	// Unregistered from the workshop in hub: its lab leaves the feed.
	s.env.Unregister(s.registered, s.workshop.ID)
	_, body = feed(again.URL)
	if cal, err := ics.ParseCalendar(bytes.NewReader(body)); err != nil || len(cal.Events()) != 2 {
		t.Errorf("feed after leaving the workshop: %v events, %v", len(cal.Events()), err)
	}
}

// TestContentFront: the replication front lets a member reach the
// databases hub's rules open to them, read-only, and nothing else.
func TestContentFront(t *testing.T) {
	s := newStory(t)
	dbs, err := multievent.ListContentDatabases.Call(metest.Ctx(s.plain), s.env.Client, multievent.AppParams{AppRef: rpc.AppRef{App: s.app}})
	if err != nil {
		t.Fatal(err)
	}
	if len(dbs.Databases) != 1 || dbs.Databases[0].Group != "all" {
		t.Fatalf("a member's databases: %+v", dbs)
	}
	reg, err := multievent.ListContentDatabases.Call(metest.Ctx(s.registered), s.env.Client, multievent.AppParams{AppRef: rpc.AppRef{App: s.app}})
	if err != nil {
		t.Fatal(err)
	}
	var workshopURL string
	for _, d := range reg.Databases {
		if d.EventID == s.workshop.ID {
			workshopURL = d.URL
		}
	}
	if len(reg.Databases) != 3 || workshopURL == "" {
		t.Fatalf("a registered member's databases: %+v", reg)
	}
	all := dbs.Databases[0].URL
	// Each group's database is written on its own: wait for both documents
	// the checks read, not the first alone.
	testkit.Eventually(t, "the keynote in the all database", func() bool {
		code, _ := front(t, s.plain, http.MethodGet, all+"/session:"+s.keynote, nil)
		return code == http.StatusOK
	})
	testkit.Eventually(t, "the lab in the workshop's database", func() bool {
		code, _ := front(t, s.registered, http.MethodGet, workshopURL+"/session:"+s.lab, nil)
		return code == http.StatusOK
	})
	tests := []struct {
		name   string
		m      metest.Member
		method string
		url    string
		body   string
		want   int
	}{
		{"database info", s.plain, http.MethodGet, all + "/", "", http.StatusOK},
		{"changes", s.plain, http.MethodGet, all + "/_changes?since=0", "", http.StatusOK},
		{"bulk get", s.plain, http.MethodPost, all + "/_bulk_get", `{"docs":[{"id":"session:` + s.keynote + `"}]}`, http.StatusOK},
		{"a closed event's database", s.plain, http.MethodGet, workshopURL + "/", "", http.StatusNotFound},
		{"the same, registered", s.registered, http.MethodGet, workshopURL + "/session:" + s.lab, "", http.StatusOK},
		{"an escaped document id", s.plain, http.MethodGet, all + "/session%3A" + s.keynote, "", http.StatusOK},
		{"no token", metest.Member{}, http.MethodGet, all + "/", "", http.StatusUnauthorized},
		{"a write", s.plain, http.MethodPut, all + "/x", `{}`, http.StatusForbidden},
		{"a bulk write", s.plain, http.MethodPost, all + "/_bulk_docs", `{"docs":[{}]}`, http.StatusForbidden},
		{"a checkpoint write", s.plain, http.MethodPut, all + "/_local/cp", `{}`, http.StatusForbidden},
		{"a design document", s.plain, http.MethodGet, all + "/_design/x", "", http.StatusForbidden},
		{"a deletion", s.plain, http.MethodDelete, all + "/", "", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := front(t, tt.m, tt.method, tt.url, strings.NewReader(tt.body)); got != tt.want {
				t.Errorf("%s %s: %d, want %d", tt.method, tt.url, got, tt.want)
			}
		})
	}
}

// newStoryBehindHop is newStory with a proxy between the service and
// CouchDB that passes each request on with its escaped path rewritten by
// rewrite, as a hop on the way (nginx, an ingress) or CouchDB itself
// reads it.
func newStoryBehindHop(t *testing.T, rewrite func(escapedPath string) string) *story {
	t.Helper()
	couchURL, err := url.Parse(os.Getenv("COUCHDB_URL"))
	if err != nil || couchURL.Host == "" {
		couchURL, _ = url.Parse("http://admin:admin@127.0.0.1:5984")
	}
	couch := *couchURL
	couch.User = nil
	hop := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(&couch)
		p := rewrite(pr.In.URL.EscapedPath())
		pr.Out.URL.Path, _ = url.PathUnescape(p)
		pr.Out.URL.RawPath = p
		pr.Out.Host = couch.Host
	}})
	t.Cleanup(hop.Close)
	viaHop := *couchURL
	viaHop.Host = strings.TrimPrefix(hop.URL, "http://")
	return newStoryWith(t, metest.Options{Configure: func(c *app.Config) { c.Couch.URL = viaHop.String() }})
}

// TestContentFrontDotSegments: the front never sends CouchDB a path with
// "." or ".." segments. CouchDB itself reads them as names, but a hop that
// normalizes paths on the way (nginx, an ingress, a balancer) resolves
// them: "<db>/_local/../../<other db>/<doc>" would read any database with
// the front's credentials. Here such a hop stands between the service and
// CouchDB, and a member who may read only the "all" database asks through
// it for a document of an event they are not registered to.
func TestContentFrontDotSegments(t *testing.T) {
	s := newStoryBehindHop(t, path.Clean) // as nginx does with a proxy_pass URI

	all, workshop := s.contentDB(t, s.registered, ""), s.contentDB(t, s.registered, s.workshop.ID)
	get := func(m metest.Member, u string) (int, string) { return front(t, m, http.MethodGet, u, nil) }
	lab := "/session:" + s.lab
	testkit.Eventually(t, "the lab in the workshop's database", func() bool {
		code, _ := get(s.registered, workshop.URL+lab)
		return code == http.StatusOK
	})
	for _, u := range []string{
		all.URL + "/_local/..%2F..%2F" + url.PathEscape(workshop.Name) + lab,
		all.URL + "/_local/x%2F..%2F..%2F..%2F" + url.PathEscape(workshop.Name) + lab,
		all.URL + "/_local/../../" + url.PathEscape(workshop.Name) + lab,
		all.URL + "/_local/%2E%2E%2F%2E%2E%2F" + url.PathEscape(workshop.Name) + lab,
	} {
		code, body := get(s.plain, u)
		if code == http.StatusOK || strings.Contains(body, s.lab) {
			t.Errorf("GET %s as a member not registered to the workshop: %d %s", u, code, body)
		}
	}
	for _, rest := range []string{"/..", "/.", "/_local/..", "/_local/.", "/%2E%2E"} {
		if code, body := get(s.plain, all.URL+rest); code != http.StatusForbidden {
			t.Errorf("GET %s%s: %d %s, want 403", all.URL, rest, code, body)
		}
	}
}

// TestContentFrontPlusSign: a "+" of a document id reaches CouchDB as
// "%2B". Apache CouchDB 3 decodes a "+" of a path as a space
// (chttpd:unquote/1, [chttpd] decode_plus_to_space, true by default in
// 3.x); the dev server does not, so a hop that decodes paths as CouchDB 3
// does stands between the service and it here.
func TestContentFrontPlusSign(t *testing.T) {
	s := newStoryBehindHop(t, func(p string) string { return strings.ReplaceAll(p, "+", "%20") })

	all := s.contentDB(t, s.plain, "")
	db := s.env.Couch.DB(all.Name) // straight to CouchDB, not through the hop
	for _, id := range []string{"note+1", "_local/cp+1"} {
		testkit.Eventually(t, "a document "+id+" in the all database", func() bool {
			_, err := db.Put(t.Context(), id, map[string]any{"n": 1})
			return err == nil
		})
		u := all.URL + "/" + strings.ReplaceAll(id, "+", "%2B")
		code, body := front(t, s.plain, http.MethodGet, u, nil)
		if code != http.StatusOK || !strings.Contains(body, `"_id":"`+id+`"`) {
			t.Errorf("GET %s: %d %s, want the document %q", u, code, body, id)
		}
	}
}

// TestAgendaLimits: a member's bookmarks and notes stay within
// multievent.MaxBookmarks and multievent.MaxNotes, whatever a sync's
// operations: removals of sessions that are not bookmarked free no room,
// and the adds past a limit are rejected one by one, the sync's other
// operations applied.
func TestAgendaLimits(t *testing.T) {
	s := newStory(t)
	ctx := testkit.Context(t)
	n := max(multievent.MaxBookmarks, multievent.MaxNotes) + multievent.MaxOps
	ids := make([]string, n)
	start := s.conf.StartUTC.Add(time.Hour)
	for i := range ids {
		ids[i] = s.env.NewID()
		c := service.Change{Kind: service.KindSession, App: s.app, ID: ids[i], Version: time.Now(),
			Session: service.Session{ID: ids[i], AppID: s.app, EventID: s.conf.ID, Title: "Talk", Start: start, End: start.Add(time.Hour)}}
		if _, err := s.env.App.Store.Apply(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	ref := rpc.AppRef{App: s.app}
	sync := func(ops []multievent.AgendaOp) (multievent.Agenda, error) {
		return multievent.SyncAgenda.Call(metest.Ctx(s.plain), s.env.Client, multievent.SyncParams{AppRef: ref, Ops: multievent.EncodeOps(ops...)})
	}
	fill := func(op string, ids []string) {
		t.Helper()
		for len(ids) > 0 {
			k := min(len(ids), multievent.MaxOps)
			var ops []multievent.AgendaOp
			for _, id := range ids[:k] {
				ops = append(ops, multievent.AgendaOp{Op: op, Session: id, Text: "n"})
			}
			if a, err := sync(ops); err != nil || len(a.Rejected) != 0 {
				t.Fatalf("%s %d sessions: %v, rejected %v", op, k, err, a.Rejected)
			}
			ids = ids[k:]
		}
	}
	// Half the operations remove sessions that were never bookmarked (or
	// noted), half add new ones.
	padded := func(op, unop string, ids []string) []multievent.AgendaOp {
		var ops []multievent.AgendaOp
		for i, id := range ids {
			ops = append(ops, multievent.AgendaOp{Op: unop, Session: "never-" + strconv.Itoa(i)},
				multievent.AgendaOp{Op: op, Session: id, Text: "n"})
		}
		return ops
	}
	bookmarks := func() int {
		t.Helper()
		a, err := multievent.GetAgenda.Call(metest.Ctx(s.plain), s.env.Client, multievent.AgendaParams{AppRef: ref})
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Conflicts) > multievent.MaxConflicts {
			t.Errorf("%d conflicts, want at most %d", len(a.Conflicts), multievent.MaxConflicts)
		}
		return len(a.Sessions)
	}

	// past checks the rejections of a sync of padded(op, ...) of n adds
	// at a limit with room for the first `room` of them: every later add
	// (the odd indices) is rejected for the limit, and nothing else.
	past := func(what string, a multievent.Agenda, err error, room, n int) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s past the limit, with removals of nothing: %v, want the adds past it rejected", what, err)
		}
		var want []multievent.Rejected
		for i := room; i < n; i++ {
			want = append(want, multievent.Rejected{Index: 2*i + 1, Reason: multievent.RejectLimit, Field: "session_id",
				Message: fmt.Sprintf("at most 2000 %s", what)})
		}
		if diff := cmp.Diff(want, a.Rejected); diff != "" {
			t.Errorf("%s past the limit: rejected (-want +got):\n%s", what, diff)
		}
	}

	// One room left: the first add of the queue takes it, the later ones
	// are rejected for the limit, and the sync applies.
	fill(multievent.OpBookmark, ids[:multievent.MaxBookmarks-1])
	rest := ids[multievent.MaxBookmarks-1 : multievent.MaxBookmarks-1+multievent.MaxOps/2]
	a, err := sync(padded(multievent.OpBookmark, multievent.OpUnbookmark, rest))
	past("bookmarks", a, err, 1, len(rest))
	if b := bookmarks(); b != multievent.MaxBookmarks {
		t.Errorf("%d bookmarks, want %d", b, multievent.MaxBookmarks)
	}
	// At the limit, one removed (by a phone that saw it: its context)
	// makes room for one added, and bookmarking again what is bookmarked
	// takes none.
	seen, err := multievent.GetAgenda.Call(metest.Ctx(s.plain), s.env.Client, multievent.AgendaParams{AppRef: ref})
	if err != nil {
		t.Fatal(err)
	}
	if a, err := multievent.SyncAgenda.Call(metest.Ctx(s.plain), s.env.Client, multievent.SyncParams{AppRef: ref,
		Ops: multievent.EncodeOps(multievent.AgendaOp{Op: multievent.OpUnbookmark, Session: ids[0]}, multievent.AgendaOp{Op: multievent.OpBookmark, Session: rest[1]},
			multievent.AgendaOp{Op: multievent.OpBookmark, Session: ids[1]}), BookmarksContext: seen.BookmarksContext}); err != nil || len(a.Rejected) > 0 {
		t.Errorf("a swap at the limit: %v, rejected %v", err, a.Rejected)
	}

	fill(multievent.OpNote, ids[:multievent.MaxNotes])
	rest = ids[multievent.MaxNotes : multievent.MaxNotes+multievent.MaxOps/2]
	a, err = sync(padded(multievent.OpNote, multievent.OpUnnote, rest))
	past("notes", a, err, 0, len(rest))
	if n := len(a.Sessions); n != multievent.MaxBookmarks {
		t.Errorf("%d bookmarks after the notes, want %d", n, multievent.MaxBookmarks)
	}
}

// TestContentFrontFeedEndsWithAccess: a _changes feed that stays open
// (continuous, with heartbeats) ends once its member may no longer read
// the database; what the organizers write after never reaches them.
func TestContentFrontFeedEndsWithAccess(t *testing.T) {
	s := newStoryWith(t, metest.Options{Configure: func(c *app.Config) { c.ContentRecheck = 200 * time.Millisecond }})
	workshop := s.contentDB(t, s.registered, s.workshop.ID).URL
	title := func() string {
		t.Helper()
		_, body := front(t, s.organizer, http.MethodGet, workshop+"/session:"+s.lab, nil)
		var doc multievent.SessionDoc
		_ = json.Unmarshal([]byte(body), &doc)
		return doc.Title
	}
	testkit.Eventually(t, "the lab in the workshop's database", func() bool { return title() == "Keyboard lab" })

	req, _ := http.NewRequest(http.MethodGet, workshop+"/_changes?feed=continuous&heartbeat=200&include_docs=true&since=now", nil)
	auth.SetBearerToken(req, s.registered.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the feed: %d", resp.StatusCode)
	}
	got := make(chan string, 100)
	go func() {
		defer close(got)
		b := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(b)
			if n > 0 {
				got <- string(b[:n])
			}
			if err != nil {
				return
			}
		}
	}()
	s.env.Unregister(s.registered, s.workshop.ID)
	time.Sleep(time.Second) // more than the front's recheck
	s.env.Session(s.app, hub.SessionPayload{ID: s.lab, EventID: s.workshop.ID, Title: "Keyboard lab: the secret room",
		StartUTC: s.workshop.StartUTC, EndUTC: s.workshop.StartUTC.Add(time.Hour)}, true)
	testkit.Eventually(t, "the new title in the workshop's database", func() bool { return strings.HasSuffix(title(), "secret room") })
	deadline := time.After(2 * time.Second)
	var feed strings.Builder
	for done := false; !done; {
		select {
		case b, ok := <-got:
			feed.WriteString(b)
			done = !ok
		case <-deadline:
			done = true
		}
	}
	if strings.Contains(feed.String(), "secret room") {
		t.Errorf("a member unregistered from the workshop still reads its changes: %q", feed.String())
	}
}

// TestContentFrontBodyLimit: the front passes CouchDB request bodies of
// what a replication sends (a batch of ids and revisions), not a member's
// gigabytes of keys for CouchDB to parse.
func TestContentFrontBodyLimit(t *testing.T) {
	s := newStory(t)
	all := s.contentDB(t, s.plain, "").URL
	keys := `{"keys":["session:` + s.keynote + `"` + strings.Repeat(`,"session:`+s.keynote+`"`, 100_000) + `]}` // 3.7 MB
	post := func(body io.Reader) int {
		t.Helper()
		code, _ := front(t, s.plain, http.MethodPost, all+"/_all_docs", body)
		return code
	}
	// The content writer makes the database after the projection that
	// newStory waits for: a small _all_docs passes once it is there.
	testkit.Eventually(t, "a small _all_docs passed", func() bool {
		return post(strings.NewReader(`{"keys":["session:`+s.keynote+`"]}`)) == http.StatusOK
	})
	if got := post(strings.NewReader(keys)); got != http.StatusRequestEntityTooLarge {
		t.Errorf("%d bytes of keys: %d, want 413", len(keys), got)
	}
	// The same without a length (chunked).
	if got := post(io.MultiReader(strings.NewReader(keys))); got != http.StatusRequestEntityTooLarge {
		t.Errorf("%d bytes of keys, chunked: %d, want 413", len(keys), got)
	}
}

// TestContentFrontForgetsEarlierRevisions: a document deleted from a
// group's database because its readers may no longer see it cannot be
// read back by naming its earlier revision (CouchDB keeps revisions'
// bodies until the database is compacted, and the front lets revision
// reads through, as replication needs them).
func TestContentFrontForgetsEarlierRevisions(t *testing.T) {
	s := newStory(t)
	keynote := s.contentDB(t, s.plain, "").URL + "/session:" + s.keynote
	get := func(u string) (int, string) { return front(t, s.plain, http.MethodGet, u, nil) }
	var doc struct {
		Rev   string `json:"_rev"`
		Title string `json:"title"`
	}
	testkit.Eventually(t, "the keynote in the all database", func() bool {
		code, body := get(keynote)
		return code == http.StatusOK && json.Unmarshal([]byte(body), &doc) == nil && doc.Rev != ""
	})

	// The conference now takes a code: its documents leave the database
	// every member reads.
	conf := s.conf
	conf.Access = hub.EventAccessCode
	s.env.Event(s.app, conf)
	testkit.Eventually(t, "the keynote gone from the all database", func() bool {
		code, _ := get(keynote)
		return code == http.StatusNotFound
	})
	testkit.Eventually(t, "the keynote's earlier revision forgotten", func() bool {
		_, body := get(keynote + "?rev=" + url.QueryEscape(doc.Rev))
		return !strings.Contains(body, doc.Title)
	})
	if _, body := get(keynote + "?open_revs=all&revs=true"); strings.Contains(body, doc.Title) {
		t.Errorf("open_revs still serves the keynote's title: %s", body)
	}
}

// TestSyncNoteWithNUL: a note the key-value port cannot keep (a NUL
// character, which JSON carries as \u0000) is rejected as that one
// operation, with a reason a person reads; the other operations of the
// sync apply.
func TestSyncNoteWithNUL(t *testing.T) {
	s := newStory(t)
	ref := rpc.AppRef{App: s.app}
	a, err := multievent.SyncAgenda.Call(metest.Ctx(s.plain), s.env.Client, multievent.SyncParams{AppRef: ref, Ops: multievent.EncodeOps(
		multievent.AgendaOp{Op: multievent.OpBookmark, Session: s.keynote},
		multievent.AgendaOp{Op: multievent.OpNote, Session: s.keynote, Text: "row\u00003"},
		multievent.AgendaOp{Op: multievent.OpNote, Session: s.lunch, Text: "vegetarian"},
	)})
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	if len(a.Rejected) != 1 || a.Rejected[0].Index != 1 {
		t.Errorf("rejected: %+v, want operation 1", a.Rejected)
	}
	if len(a.Sessions) != 1 || a.Sessions[0].ID != s.keynote {
		t.Errorf("sessions: %+v", a.Sessions)
	}
	// Removals of ids the port cannot hold, with the contexts: rejected.
	a, err = multievent.SyncAgenda.Call(metest.Ctx(s.plain), s.env.Client, multievent.SyncParams{AppRef: ref, Ops: multievent.EncodeOps(
		multievent.AgendaOp{Op: multievent.OpUnbookmark, Session: "x\u0000y"}, multievent.AgendaOp{Op: multievent.OpUnnote, Session: "x\u0000y"},
		multievent.AgendaOp{Op: multievent.OpUnbookmark, Session: s.keynote},
	), BookmarksContext: a.BookmarksContext, NotesContext: a.NotesContext})
	if err != nil {
		t.Fatalf("sync of removals: %v", err)
	}
	if len(a.Rejected) != 2 || len(a.Sessions) != 0 {
		t.Errorf("rejected %+v, sessions %+v: want the two NUL ids rejected and the keynote removed", a.Rejected, a.Sessions)
	}
}

// TestSyncChecksEachOperation: a phone sends again the queue it recorded
// offline on every sync, so an operation that breaks the rules (a note
// too long, an op it does not know, a field missing or of another type)
// is rejected alone, with its index and a reason and field a program
// reads, and the others apply; sending the queue again changes nothing.
func TestSyncChecksEachOperation(t *testing.T) {
	s := newStory(t)
	ctx := metest.Ctx(s.plain)
	queue := []struct {
		op     string
		reject string // "<reason> <field>" of its rejection; empty when it applies
	}{
		{fmt.Sprintf(`{"op":"bookmark","session_id":%q}`, s.keynote), ""},
		{fmt.Sprintf(`{"op":"note","session_id":%q,"text":%q}`, s.keynote, strings.Repeat("é", multievent.MaxNoteLen+1)), "too_long text"},
		{fmt.Sprintf(`{"op":"star","session_id":%q}`, s.lunch), "unknown_op op"},
		{fmt.Sprintf(`{"session_id":%q}`, s.lunch), "missing op"},
		{`{"op":"bookmark"}`, "missing session_id"},
		{`{"op":"bookmark","session_id":42}`, "wrong_type session_id"},
		{fmt.Sprintf(`{"op":"note","session_id":%q,"text":null}`, s.lunch), "wrong_type text"},
		{`"bookmark"`, "wrong_type "},
		{`null`, "wrong_type "},
		{fmt.Sprintf(`{"op":"bookmark","session_id":%q,"starred":true}`, s.lunch), "unknown_field starred"},
		{fmt.Sprintf(`{"op":"bookmark","session_id":%q}`, strings.Repeat("x", multievent.MaxSessionIDLen+1)), "too_long session_id"},
		{fmt.Sprintf(`{"op":"note","session_id":%q,"text":"row\u00003"}`, s.lunch), "bad_character text"},
		{fmt.Sprintf(`{"op":"bookmark","session_id":%q}`, s.lab), "not_open session_id"}, // a "code" event's
		{fmt.Sprintf(`{"op":"bookmark","session_id":%q}`, s.lunch), ""},
		{fmt.Sprintf(`{"op":"note","session_id":%q,"text":"Vegetarian"}`, s.lunch), ""},
	}
	var ops []rpc.Unchecked[multievent.AgendaOp]
	var want []string
	for i, q := range queue {
		ops = append(ops, rpc.Unchecked[multievent.AgendaOp](q.op))
		if q.reject != "" {
			want = append(want, fmt.Sprintf("%d %s", i, q.reject))
		}
	}
	sync := func() multievent.Agenda {
		t.Helper()
		a, err := multievent.SyncAgenda.Call(ctx, s.env.Client, multievent.SyncParams{AppRef: rpc.AppRef{App: s.app}, Ops: ops})
		if err != nil {
			t.Fatalf("a queue with invalid operations: %v, want the valid ones applied", err)
		}
		return a
	}
	first := sync()
	var got []string
	for _, r := range first.Rejected {
		got = append(got, fmt.Sprintf("%d %s %s", r.Index, r.Reason, r.Field))
		if r.Message == "" {
			t.Errorf("rejection %+v without a message", r)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rejected (-want +got):\n%s", diff)
	}
	notes := func(a multievent.Agenda) map[string]string {
		out := map[string]string{}
		for _, x := range a.Sessions {
			out[x.ID] = x.Note
		}
		return out
	}
	if diff := cmp.Diff(map[string]string{s.keynote: "", s.lunch: "Vegetarian"}, notes(first)); diff != "" {
		t.Errorf("the valid operations (-want +got):\n%s", diff)
	}
	again := sync()
	if diff := cmp.Diff(first.Rejected, again.Rejected); diff != "" {
		t.Errorf("rejected when the queue is sent again (-first +again):\n%s", diff)
	}
	if diff := cmp.Diff(first.Sessions, again.Sessions); diff != "" {
		t.Errorf("the agenda when the queue is sent again (-first +again):\n%s", diff)
	}
}

// TestSyncRefusesEnvelopesWhole: what is about the call rather than one
// operation (too many operations, ops that is not an array or is missing,
// a context of another member's agenda, a body that is not JSON) refuses
// the whole sync, and none of its operations applies.
func TestSyncRefusesEnvelopesWhole(t *testing.T) {
	s := newStory(t)
	ctx := metest.Ctx(s.plain)
	other, err := multievent.GetAgenda.Call(metest.Ctx(s.registered), s.env.Client, multievent.AgendaParams{AppRef: rpc.AppRef{App: s.app}})
	if err != nil {
		t.Fatal(err)
	}
	bookmark := multievent.EncodeOps(multievent.AgendaOp{Op: multievent.OpBookmark, Session: s.keynote})
	tooMany := slices.Repeat(bookmark, multievent.MaxOps+1)
	tests := []struct {
		name   string
		params map[string]any
		code   int
	}{
		{"more operations than MaxOps", map[string]any{"app_id": s.app, "ops": tooMany}, rpc.CodeInvalidParams},
		{"ops not an array", map[string]any{"app_id": s.app, "ops": bookmark[0]}, rpc.CodeInvalidParams},
		{"ops missing", map[string]any{"app_id": s.app}, rpc.CodeInvalidParams},
		{"another member's context", map[string]any{"app_id": s.app, "ops": bookmark, "bookmarks_context": other.BookmarksContext},
			int(errs.CodeInvalid)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a multievent.Agenda
			err := s.env.Client.Call(ctx, multievent.SyncAgenda.Name, true, tt.params, &a)
			if re := (*rpc.RemoteError)(nil); !errors.As(err, &re) || re.Code != tt.code {
				t.Errorf("sync: %v, want error %d", err, tt.code)
			}
		})
	}
	t.Run("a body that is not JSON", func(t *testing.T) {
		body := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"agenda.sync","params":{"app_id":%q,"ops":[%s`, s.app, bookmark[0])
		if _, answer := front(t, s.plain, http.MethodPost, s.env.URL+"/rpc", strings.NewReader(body)); !strings.Contains(answer, `"code":-32700`) {
			t.Errorf("answer: %s, want a parse error", answer)
		}
	})
	a, err := multievent.GetAgenda.Call(ctx, s.env.Client, multievent.AgendaParams{AppRef: rpc.AppRef{App: s.app}})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Sessions) != 0 {
		t.Errorf("sessions %+v after syncs refused whole, want none", a.Sessions)
	}
}

// TestOrganizerCalendar: an organizer who bookmarks sessions and
// takes a calendar link gets a feed of them (the link calendar.link hands
// out works), like a member's.
func TestOrganizerCalendar(t *testing.T) {
	s := newStory(t)
	ref := rpc.AppRef{App: s.app}
	ctx := metest.Ctx(s.organizer)
	if _, err := multievent.SyncAgenda.Call(ctx, s.env.Client, multievent.SyncParams{AppRef: ref,
		Ops: multievent.EncodeOps(multievent.AgendaOp{Op: multievent.OpBookmark, Session: s.secret})}); err != nil {
		t.Fatal(err)
	}
	link, err := multievent.IssueCalendarLink.Call(ctx, s.env.Client, multievent.AgendaParams{AppRef: ref})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(link.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Keynote rehearsal") {
		t.Errorf("the organizer's feed: %d %s", resp.StatusCode, body)
	}
}
