// Package storetest holds the contract suites of multievent's ports: each
// runs against the real adapter (Postgres, CouchDB, the key-value port on
// pgkv and on Riak) and against the in-memory fake, so that the domain's
// unit tests on fakes mean what they say.
package storetest

import (
	"fmt"
	"slices"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/hub"
	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/platform/testkit"
)

// Store is the part of the Postgres adapter the projection suites need.
type Store interface {
	service.Projection
	service.Searcher
	service.Links
}

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// at is a version: t0 plus n seconds.
func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }

var seq atomic.Int64

// newID returns a fresh id with a prefix (apps of one test never collide).
func newID(prefix string) string {
	return fmt.Sprintf("%s%d-%d", prefix, time.Now().UnixNano()%1e9, seq.Add(1))
}

func ev(app, id, name string, start time.Time) service.Change {
	return service.Change{Kind: service.KindEvent, App: app, ID: id, Event: service.Event{ID: id, AppID: app, Name: name,
		TimeZone: "Europe/Paris", Visibility: hub.VisibilityPublic, Access: hub.EventAccessOpen, Start: start, End: start.Add(8 * time.Hour)}}
}

func sess(app, id, event, title string, start time.Time, speakers ...string) service.Change {
	return service.Change{Kind: service.KindSession, App: app, ID: id, Session: service.Session{ID: id, AppID: app, EventID: event,
		Title: title, Start: start, End: start.Add(time.Hour), SpeakerIDs: speakers}}
}

func spk(app, id, name string) service.Change {
	return service.Change{Kind: service.KindSpeaker, App: app, ID: id, Speaker: service.Speaker{ID: id, AppID: app, Name: name}}
}

func del(k service.Kind, app, id string) service.Change {
	return service.Change{Kind: k, App: app, ID: id, Deleted: true}
}

func v(c service.Change, n int) service.Change { c.Version = at(n); return c }

func mustApply(t *testing.T, s service.Projection, cs ...service.Change) {
	t.Helper()
	for _, c := range cs {
		if _, err := s.Apply(testkit.Context(t), c); err != nil {
			t.Fatalf("Apply(%s %s): %v", c.Kind, c.ID, err)
		}
	}
}

// settleAll takes every dirty document of app (placing none) and returns
// them sorted.
func settleAll(t *testing.T, s service.Projection, app string) []string {
	t.Helper()
	var got []string
	_, err := s.Settle(testkit.Context(t), app, 10_000, func(dirty []string, _ []service.Placement) ([]service.Placement, error) {
		got = append(got, dirty...)
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	return got
}

func eventNames(t *testing.T, s service.Projection, app string) []string {
	t.Helper()
	evs, err := s.Events(testkit.Context(t), app)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, e := range evs {
		out = append(out, e.Name)
	}
	return out
}

func sessionIDs(t *testing.T, s service.Projection, app string, ids ...string) []string {
	t.Helper()
	xs, err := s.Sessions(testkit.Context(t), app, ids)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, x := range xs {
		out = append(out, x.ID)
	}
	return out
}

// Projection is the contract of service.Projection.
func Projection(t *testing.T, newStore func(t *testing.T) Store) {
	t.Run("a change older than the row is ignored; the same version applies again", func(t *testing.T) {
		s, app := newStore(t), newID("app")
		ctx := testkit.Context(t)
		e := newID("ev")
		mustApply(t, s, v(ev(app, e, "Second", t0), 2))
		ok, err := s.Apply(ctx, v(ev(app, e, "First", t0), 1))
		if err != nil || ok {
			t.Fatalf("older change: applied %v, %v", ok, err)
		}
		if ok, err := s.Apply(ctx, v(ev(app, e, "Second", t0), 2)); err != nil || !ok {
			t.Fatalf("same version: applied %v, %v", ok, err)
		}
		if diff := cmp.Diff([]string{"Second"}, eventNames(t, s, app)); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
	})
	t.Run("a deletion is a tombstone older changes cannot pass", func(t *testing.T) {
		s, app := newStore(t), newID("app")
		e := newID("ev")
		mustApply(t, s, v(ev(app, e, "Conf", t0), 1), v(del(service.KindEvent, app, e), 3), v(ev(app, e, "Late", t0), 2))
		if diff := cmp.Diff([]string{}, eventNames(t, s, app)); diff != "" {
			t.Errorf("events after a late update (-want +got):\n%s", diff)
		}
	})
	t.Run("events by start, sessions of live events only", func(t *testing.T) {
		s, app := newStore(t), newID("app")
		a, b := newID("ev"), newID("ev")
		x1, x2 := newID("s"), newID("s")
		mustApply(t, s, v(ev(app, b, "Later", t0.Add(48*time.Hour)), 1), v(ev(app, a, "Sooner", t0), 1),
			v(sess(app, x1, a, "Keynote", t0), 1), v(sess(app, x2, b, "Closing", t0.Add(49*time.Hour)), 1))
		if diff := cmp.Diff([]string{"Sooner", "Later"}, eventNames(t, s, app)); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
		mustApply(t, s, v(del(service.KindEvent, app, b), 2))
		if diff := cmp.Diff([]string{x1}, sessionIDs(t, s, app, x1, x2, "nope")); diff != "" {
			t.Errorf("sessions after the event's deletion (-want +got):\n%s", diff)
		}
		// A session change older than its event's deletion stays deleted.
		mustApply(t, s, v(sess(app, x2, b, "Closing", t0), 1))
		if ids := sessionIDs(t, s, app, x2); len(ids) != 0 {
			t.Errorf("late session of a deleted event: %v", ids)
		}
	})
	t.Run("every change marks the documents it touches dirty", func(t *testing.T) {
		s, app := newStore(t), newID("app")
		e, x, p1, p2 := newID("ev"), newID("s"), newID("p"), newID("p")
		mustApply(t, s, v(ev(app, e, "Conf", t0), 1), v(spk(app, p1, "Ada"), 1), v(sess(app, x, e, "Keynote", t0, p1), 1))
		want := []string{"event:" + e, "session:" + x, "speaker:" + p1}
		sort.Strings(want)
		if diff := cmp.Diff(want, settleAll(t, s, app)); diff != "" {
			t.Errorf("dirty after creation (-want +got):\n%s", diff)
		}
		// A session's new title, the same speaker (marked once).
		mustApply(t, s, v(sess(app, x, e, "Keynote 2", t0, p1), 2))
		want = []string{"session:" + x, "speaker:" + p1}
		if diff := cmp.Diff(want, settleAll(t, s, app)); diff != "" {
			t.Errorf("dirty after a title change (-want +got):\n%s", diff)
		}
		// A session's new speaker: the session, the old and the new speaker.
		mustApply(t, s, v(sess(app, x, e, "Keynote", t0, p2), 2))
		want = []string{"session:" + x, "speaker:" + p1, "speaker:" + p2}
		sort.Strings(want)
		if diff := cmp.Diff(want, settleAll(t, s, app)); diff != "" {
			t.Errorf("dirty after a speaker change (-want +got):\n%s", diff)
		}
		// An event's change: its card, its sessions and their speakers.
		c := ev(app, e, "Conf", t0)
		c.Event.Access = hub.EventAccessCode
		mustApply(t, s, v(c, 3))
		want = []string{"event:" + e, "session:" + x, "speaker:" + p2}
		sort.Strings(want)
		if diff := cmp.Diff(want, settleAll(t, s, app)); diff != "" {
			t.Errorf("dirty after the event's change (-want +got):\n%s", diff)
		}
		// A speaker's deletion takes them off their sessions.
		mustApply(t, s, v(del(service.KindSpeaker, app, p2), 4))
		want = []string{"session:" + x, "speaker:" + p2}
		sort.Strings(want)
		if diff := cmp.Diff(want, settleAll(t, s, app)); diff != "" {
			t.Errorf("dirty after the speaker's deletion (-want +got):\n%s", diff)
		}
		xs, err := s.Sessions(testkit.Context(t), app, []string{x})
		if err != nil || len(xs) != 1 || len(xs[0].SpeakerIDs) != 0 {
			t.Errorf("session after its speaker's deletion: %+v, %v", xs, err)
		}
		if got := settleAll(t, s, app); len(got) != 0 {
			t.Errorf("dirty after settling: %v", got)
		}
	})
	t.Run("settle keeps placements and what was marked again while it ran", func(t *testing.T) {
		s, app := newStore(t), newID("app")
		ctx := testkit.Context(t)
		e := newID("ev")
		mustApply(t, s, v(ev(app, e, "Conf", t0), 1))
		doc := "event:" + e
		n, err := s.Settle(ctx, app, 100, func(dirty []string, placed []service.Placement) ([]service.Placement, error) {
			if len(placed) != 0 {
				t.Errorf("placed before any write: %v", placed)
			}
			// A change while the writer works marks the document again.
			mustApply(t, s, v(ev(app, e, "Conf 2", t0), 2))
			return []service.Placement{{DocID: doc, Group: service.GroupAll, Rev: "1-a", Hash: "h1"}}, nil
		})
		if err != nil || n != 1 {
			t.Fatalf("settle: %d, %v", n, err)
		}
		var placed []service.Placement
		_, err = s.Settle(ctx, app, 100, func(dirty []string, p []service.Placement) ([]service.Placement, error) {
			if !slices.Equal(dirty, []string{doc}) {
				t.Errorf("dirty: %v, want the document marked again", dirty)
			}
			placed = p
			return nil, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]service.Placement{{DocID: doc, Group: service.GroupAll, Rev: "1-a", Hash: "h1"}}, placed); diff != "" {
			t.Errorf("placements (-want +got):\n%s", diff)
		}
		apps, err := s.DirtyApps(ctx, 10)
		if err != nil || slices.Contains(apps, app) {
			t.Errorf("dirty apps after settling: %v, %v", apps, err)
		}
	})
	t.Run("a failed settle leaves its documents dirty", func(t *testing.T) {
		s, app := newStore(t), newID("app")
		ctx := testkit.Context(t)
		mustApply(t, s, v(ev(app, newID("ev"), "Conf", t0), 1))
		_, err := s.Settle(ctx, app, 100, func([]string, []service.Placement) ([]service.Placement, error) {
			return nil, fmt.Errorf("couch down")
		})
		if err == nil {
			t.Fatal("settle did not return fn's error")
		}
		apps, err := s.DirtyApps(ctx, 10_000)
		if err != nil || !slices.Contains(apps, app) {
			t.Errorf("dirty apps after a failed settle: %v, %v", apps, err)
		}
	})
	t.Run("content state holds live objects and speakers' live events", func(t *testing.T) {
		s, app := newStore(t), newID("app")
		ctx := testkit.Context(t)
		a, b, x1, x2, p, lone := newID("ev"), newID("ev"), newID("s"), newID("s"), newID("p"), newID("p")
		room := service.Change{Kind: service.KindRoom, App: app, ID: newID("r"), Room: service.Room{EventID: a, Name: "Hall", Capacity: 10}}
		mustApply(t, s, v(ev(app, a, "A", t0), 1), v(ev(app, b, "B", t0), 1), v(spk(app, p, "Ada"), 1), v(spk(app, lone, "Lone"), 1),
			v(sess(app, x1, a, "One", t0, p), 1), v(sess(app, x2, b, "Two", t0, p), 1), v(room, 1), v(del(service.KindEvent, app, b), 2))
		st, err := s.Content(ctx, app, []string{"speaker:" + p, "speaker:" + lone, "session:" + x1, "room:" + room.ID, "event:" + b})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string][]string{p: {a}}, st.SpeakerEvents); diff != "" {
			t.Errorf("speaker events (-want +got):\n%s", diff)
		}
		if _, ok := st.Events[b]; ok {
			t.Error("a deleted event is in the content state")
		}
		if st.Sessions[x1].Title != "One" || st.Rooms[room.ID].Name != "Hall" || st.Rooms[room.ID].Capacity != 10 ||
			st.Events[a].Name != "A" || st.Speakers[lone].Name != "Lone" {
			t.Errorf("content state: %+v", st)
		}
	})
	t.Run("a snapshot replaces the app but keeps what changed after it", func(t *testing.T) {
		s, app := newStore(t), newID("app")
		ctx := testkit.Context(t)
		keep, gone, newer := newID("ev"), newID("ev"), newID("ev")
		mustApply(t, s, v(ev(app, keep, "Keep", t0), 1), v(ev(app, gone, "Gone", t0), 1), v(ev(app, newer, "Newer", t0), 9))
		x := newID("s")
		snap := service.AppSnapshot{
			Events:   []service.Event{ev(app, keep, "Kept", t0).Event},
			Sessions: []service.Session{sess(app, x, keep, "Talk", t0, "p1", "p2").Session},
			Speakers: []service.Speaker{spk(app, "p1", "Ada").Speaker},
		}
		if err := s.Snapshot(ctx, app, at(5), snap); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"Kept", "Newer"}, eventNames(t, s, app)); diff != "" {
			t.Errorf("events after the snapshot (-want +got):\n%s", diff)
		}
		xs, err := s.Sessions(ctx, app, []string{x})
		if err != nil || len(xs) != 1 || !slices.Equal(xs[0].SpeakerIDs, []string{"p1", "p2"}) {
			t.Errorf("sessions after the snapshot: %+v, %v", xs, err)
		}
		if got := settleAll(t, s, app); !slices.Contains(got, "event:"+gone) || !slices.Contains(got, "session:"+x) {
			t.Errorf("dirty after the snapshot: %v", got)
		}
	})
	t.Run("a deleted app is gone and takes no older change", func(t *testing.T) {
		s, app := newStore(t), newID("app")
		ctx := testkit.Context(t)
		e := newID("ev")
		mustApply(t, s, v(ev(app, e, "Conf", t0), 1))
		if ok, err := s.DeleteApp(ctx, app, at(5)); err != nil || !ok {
			t.Fatalf("DeleteApp: %v, %v", ok, err)
		}
		if ok, err := s.Apply(ctx, v(ev(app, e, "Late", t0), 3)); err != nil || ok {
			t.Errorf("late change of a deleted app: applied %v, %v", ok, err)
		}
		apps, err := s.Apps(ctx)
		if err != nil || slices.Contains(apps, app) {
			t.Errorf("apps: %v, %v", apps, err)
		}
		if names := eventNames(t, s, app); len(names) != 0 {
			t.Errorf("events of a deleted app: %v", names)
		}
		if ok, err := s.DeleteApp(ctx, app, at(5)); err != nil || !ok {
			t.Errorf("DeleteApp again (a redelivery): %v, %v", ok, err)
		}
	})
	t.Run("the content version moves with every change of the app", func(t *testing.T) {
		s, app := newStore(t), newID("app")
		ctx := testkit.Context(t)
		version := func() int64 {
			t.Helper()
			n, err := s.ContentVersion(ctx, app)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := version(); n != 0 {
			t.Errorf("version of an app never held: %d, want 0", n)
		}
		seen := map[int64]string{0: "before"}
		step := func(what string, do func()) {
			t.Helper()
			do()
			n := version()
			if prev, ok := seen[n]; ok {
				t.Errorf("after %s the version is %d, as after %s", what, n, prev)
			}
			seen[n] = what
		}
		e, x, p := newID("ev"), newID("s"), newID("p")
		step("the first event", func() { mustApply(t, s, v(ev(app, e, "Conf", t0), 1)) })
		step("a session", func() { mustApply(t, s, v(sess(app, x, e, "Talk", t0, p), 2)) })
		step("a speaker", func() { mustApply(t, s, v(spk(app, p, "Ada"), 2)) })
		step("an event's edit", func() { mustApply(t, s, v(ev(app, e, "Conf 2", t0), 3)) })
		step("a session's deletion", func() { mustApply(t, s, v(del(service.KindSession, app, x), 4)) })
		step("a snapshot", func() {
			if err := s.Snapshot(ctx, app, at(5), service.AppSnapshot{Events: []service.Event{ev(app, e, "Conf 3", t0).Event}}); err != nil {
				t.Fatal(err)
			}
		})
		step("the app's deletion", func() {
			if _, err := s.DeleteApp(ctx, app, at(6)); err != nil {
				t.Fatal(err)
			}
		})
	})
}

// Links is the contract of service.Links.
func Links(t *testing.T, newStore func(t *testing.T) Store) {
	s := newStore(t)
	ctx := testkit.Context(t)
	app, other := newID("app"), newID("app")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.SetLink(ctx, app, "m1", []byte("hash-1"), t0))
	must(s.SetLink(ctx, other, "m1", []byte("hash-2"), t0))
	a, m, err := s.LinkOwner(ctx, []byte("hash-1"))
	if err != nil || a != app || m != "m1" {
		t.Errorf("owner of hash-1: %s %s %v", a, m, err)
	}
	must(s.SetLink(ctx, app, "m1", []byte("hash-3"), at(1)))
	if _, _, err := s.LinkOwner(ctx, []byte("hash-1")); err == nil {
		t.Error("a replaced link still works")
	}
	if a, _, err := s.LinkOwner(ctx, []byte("hash-3")); err != nil || a != app {
		t.Errorf("new link: %s %v", a, err)
	}
	must(s.DeleteAppLinks(ctx, app))
	if _, _, err := s.LinkOwner(ctx, []byte("hash-3")); err == nil {
		t.Error("a link of a deleted app still works")
	}
	if _, _, err := s.LinkOwner(ctx, []byte("hash-2")); err != nil {
		t.Errorf("the other app's link: %v", err)
	}
	must(s.DeleteLink(ctx, other, "m1"))
	must(s.DeleteLink(ctx, other, "m1")) // none is fine
	if _, _, err := s.LinkOwner(ctx, []byte("hash-2")); err == nil {
		t.Error("a deleted link still works")
	}
	must(s.AddAgendaOwner(ctx, app, "m2"))
	must(s.AddAgendaOwner(ctx, app, "m1"))
	must(s.AddAgendaOwner(ctx, app, "m1"))
	owners, err := s.AgendaOwners(ctx, app)
	if err != nil || !slices.Equal(owners, []string{"m1", "m2"}) {
		t.Errorf("owners: %v %v", owners, err)
	}
	must(s.DeleteAgendaOwner(ctx, app, "m1"))
	if owners, _ := s.AgendaOwners(ctx, app); !slices.Equal(owners, []string{"m2"}) {
		t.Errorf("owners after a deletion: %v", owners)
	}
}
