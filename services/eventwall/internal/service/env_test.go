package service_test

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/attendify/eventwall"
	"github.com/attendify/eventwall/internal/service"
	"github.com/attendify/eventwall/internal/store/memstore"
	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/social"
)

// app is the app of the domain tests, with the events ev1 and ev2.
const app = "A"

// testTime is the time of the test's documents and events.
var testTime = time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)

// env is the domain on the in-memory stores, and hub and social faked.
type env struct {
	svc   *service.Service
	walls *memstore.Walls
	board *memstore.Board
	hub   *fakeHub
	feed  *fakeFeed
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{
		walls: memstore.NewWalls(), board: memstore.NewBoard(),
		hub: &fakeHub{
			roles:   map[string]string{},
			events:  []hub.EventInfo{{ID: "ev1"}, {ID: "ev2"}},
			members: map[string]service.Profile{},
		},
		feed: newFakeFeed(),
	}
	e.svc = service.New(service.Options{Walls: e.walls, Moderation: e.walls, Board: e.board, Profiles: e.walls, Members: e.hub, Access: e.hub})
	return e
}

// as is a context of a user of the app with role (auth.RoleOwner,
// RoleAdmin, RoleModerator, RoleAttendee), or "service" for a signed
// service call on nobody's behalf.
func (e *env) as(t *testing.T, role string) context.Context {
	ctx := testkit.Context(t)
	if role == "service" {
		return auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerService, Service: "test"})
	}
	user := "u-" + role
	e.hub.setRole(user, role)
	return auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, User: user, App: app, Role: role})
}

// newWall creates a wall of ev1 as the owner, with change made to its
// default settings (private, moderation auto).
func (e *env) newWall(t *testing.T, change func(*service.WallSettings)) service.Wall {
	t.Helper()
	set := service.WallSettings{Title: "Wall"}
	if change != nil {
		change(&set)
	}
	w, err := e.svc.CreateWall(e.as(t, auth.RoleOwner), app, "ev1", set)
	if err != nil {
		t.Fatalf("create wall %+v: %v", set, err)
	}
	return w
}

// screen is what a wall's screens get: its settings and the items shown,
// by post id.
func (e *env) screen(t *testing.T, wall string) (eventwall.Screen, map[string]eventwall.Item) {
	t.Helper()
	st, err := e.board.Load(testkit.Context(t), wall)
	if err != nil {
		t.Fatal(err)
	}
	var rec service.ScreenRecord
	var scr eventwall.Screen
	if st.Config != nil {
		if err := json.Unmarshal(st.Config, &rec); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(rec.Screen, &scr); err != nil {
			t.Fatal(err)
		}
	}
	items := map[string]eventwall.Item{}
	for post, raw := range st.Items {
		var it eventwall.Item
		if err := json.Unmarshal(raw, &it); err != nil {
			t.Fatal(err)
		}
		items[post] = it
	}
	return scr, items
}

// queue is the posts waiting on a wall, oldest first.
func (e *env) queue(t *testing.T, wall string) []string {
	t.Helper()
	entries, _, err := e.board.Queue(testkit.Context(t), wall, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, en := range entries {
		out = append(out, en.Post)
	}
	return out
}

// ingest runs an ingester on the feed until the test ends or stop is
// called.
func (e *env) ingest(t *testing.T) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(testkit.Context(t))
	in := e.svc.NewIngester(service.IngesterOptions{Feed: e.feed, Leases: memstore.NewLeases(), Interval: 10 * time.Millisecond})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = in.Run(ctx)
	}()
	stop = func() {
		cancel()
		<-done
	}
	t.Cleanup(stop)
	return stop
}

// eventually fails the test unless ok holds within a few seconds.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// post is a post document of ev1 by member m1, revision 1.
func post(id, text string) *social.PostDoc {
	return &social.PostDoc{ID: "post:" + id, Rev: "1-a", Type: social.DocPost, App: app, Event: "ev1", Author: "m1", Text: text,
		Hashtags: []string{}, CreatedAt: testTime}
}

// fakeHub is hub's read model (service.Access) and member directory
// (service.Directory).
type fakeHub struct {
	mu      sync.Mutex
	roles   map[string]string // user -> role in the app
	events  []hub.EventInfo
	brand   hub.Branding
	members map[string]service.Profile
	asked   []string // the members whose profile was asked
	// anonDown makes AnonymousAccess fail as while hub rebuilds its
	// read model.
	anonDown bool
}

func (h *fakeHub) setRole(user, role string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.roles[user] = role
}

func (h *fakeHub) Authorize(_ context.Context, c auth.Caller, a string) (hub.Membership, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c.Kind == auth.CallerService && c.User == "" {
		return hub.Membership{App: a}, nil
	}
	role, ok := h.roles[c.User]
	if !ok || a != app {
		return hub.Membership{}, errs.New(errs.Forbidden, "not in the app")
	}
	return hub.Membership{App: a, User: c.User, Role: role}, nil
}

// AnonymousAccess: the fake app is not published (unavailable while
// anonDown).
func (h *fakeHub) AnonymousAccess(context.Context, string) (hub.EventAccess, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.anonDown {
		return hub.EventAccess{}, errs.New(errs.Unavailable, "hub's read model is being rebuilt")
	}
	return hub.EventAccess{}, errs.New(errs.NotFound, "no such published app")
}

func (h *fakeHub) Events(context.Context, string) ([]hub.EventInfo, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.events), nil
}

func (h *fakeHub) App(_ context.Context, a string) (hub.AppConfig, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return hub.AppConfig{ID: a, Name: "App", Branding: h.brand}, nil
}

func (h *fakeHub) Profile(_ context.Context, _, member string) (service.Profile, time.Time, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.asked = append(h.asked, member)
	p, ok := h.members[member]
	if !ok {
		return service.Profile{}, time.Time{}, errs.New(errs.NotFound, "no such member")
	}
	return p, time.Now().Add(-time.Hour), nil
}

func (h *fakeHub) AppIDs(context.Context) ([]string, error) { return []string{app}, nil }

func (h *fakeHub) EachMember(_ context.Context, _ string, fn func(string, service.Profile) error) error {
	h.mu.Lock()
	members := maps.Clone(h.members)
	h.mu.Unlock()
	for m, p := range members {
		if err := fn(m, p); err != nil {
			return err
		}
	}
	return nil
}

// fakeFeed is social's published documents (service.Feed): the latest
// revision of each post, and a follower that gets every change.
type fakeFeed struct {
	mu      sync.Mutex
	docs    map[string]*social.PostDoc
	changes chan *social.PostDoc
}

func newFakeFeed() *fakeFeed {
	return &fakeFeed{docs: map[string]*social.PostDoc{}, changes: make(chan *social.PostDoc, 100)}
}

// put writes a revision of a post document; the follower gets it.
func (f *fakeFeed) put(doc *social.PostDoc) {
	f.mu.Lock()
	f.docs[doc.ID] = doc
	f.mu.Unlock()
	f.changes <- doc
}

// had writes a post document that was there before the follower's
// checkpoint: a refill decides about it, the follower does not.
func (f *fakeFeed) had(doc *social.PostDoc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.docs[doc.ID] = doc
}

func (f *fakeFeed) Follow(ctx context.Context, _ string, handle func(context.Context, *social.PostDoc) error) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case doc := <-f.changes:
			if err := handle(ctx, doc); err != nil {
				return err
			}
		}
	}
}

func (f *fakeFeed) EachPost(_ context.Context, _ string, fn func(*social.PostDoc) error) error {
	f.mu.Lock()
	docs := make([]*social.PostDoc, 0, len(f.docs))
	for _, d := range f.docs {
		docs = append(docs, d)
	}
	f.mu.Unlock()
	for _, d := range docs {
		if err := fn(d); err != nil {
			return err
		}
	}
	return nil
}
