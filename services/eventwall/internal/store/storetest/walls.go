package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/eventwall/internal/service"
	"github.com/attendify/platform/errs"
)

// Walls is what the Postgres store implements of the walls: their
// settings, and the moderators' decisions versioned by each.
type Walls interface {
	service.WallStore
	service.ModerationStore
}

// RunWalls runs the contract of service.WallStore and
// service.ModerationStore; newStore returns an empty store.
func RunWalls(t *testing.T, newStore func(t *testing.T) Walls) {
	run(t, newStore, []struct {
		name string
		run  func(t *testing.T, ctx context.Context, s Walls)
	}{
		{"walls", walls},
		{"moderation", moderation},
	})
}

// walls: walls are read back as written, by app, id and token, listed by
// app and event, changed under a lock (a refused change changes nothing)
// and deleted once.
func walls(t *testing.T, ctx context.Context, s Walls) {
	w1, w2, w3 := wall("w1", "A", "e1"), wall("w2", "A", "e2"), wall("w3", "B", "e1")
	for _, w := range []service.Wall{w1, w2, w3} {
		if err := s.CreateWall(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Wall(ctx, "A", "w1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(w1, got); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
	if _, err := s.Wall(ctx, "B", "w1"); !errors.Is(err, errs.NotFound) {
		t.Errorf("another app's wall: %v", err)
	}
	if w, err := s.WallByID(ctx, "w3"); err != nil || w.App != "B" {
		t.Errorf("by id: %v %+v", err, w)
	}
	if w, err := s.WallByToken(ctx, "token-w3"); err != nil || w.ID != "w3" {
		t.Errorf("by token: %v %+v", err, w)
	}
	for _, token := range []string{"w3", "token-", ""} {
		if _, err := s.WallByToken(ctx, token); !errors.Is(err, errs.NotFound) {
			t.Errorf("by token %q: %v, want not found", token, err)
		}
	}
	list, err := s.Walls(ctx, "A", "")
	if err != nil || len(list) != 2 {
		t.Errorf("walls of A: %v %d", err, len(list))
	}
	list, err = s.Walls(ctx, "A", "e2")
	if err != nil || len(list) != 1 || list[0].ID != "w2" {
		t.Errorf("walls of e2: %v %+v", err, list)
	}
	all, err := s.AllWalls(ctx)
	if err != nil || len(all) != 3 {
		t.Errorf("all: %v %d", err, len(all))
	}

	up, err := s.UpdateWall(ctx, "A", "w1", func(w *service.Wall) error {
		w.Paused = true
		w.Rules.BlockedAuthors = append(w.Rules.BlockedAuthors, "m1")
		return nil
	})
	if err != nil || up.Version != 2 || !up.Paused || !cmp.Equal(up.Rules.BlockedAuthors, []string{"m1"}) {
		t.Errorf("update: %v %+v", err, up)
	}
	if _, err := s.UpdateWall(ctx, "A", "w1", func(*service.Wall) error { return errs.New(errs.Conflict, "no") }); !errors.Is(err, errs.Conflict) {
		t.Errorf("a refused change: %v", err)
	}
	if got, _ := s.Wall(ctx, "A", "w1"); got.Version != 2 {
		t.Errorf("version after a refused change: %d", got.Version)
	}
	if _, err := s.UpdateWall(ctx, "B", "w1", func(*service.Wall) error { return nil }); !errors.Is(err, errs.NotFound) {
		t.Errorf("update through another app: %v", err)
	}
	if err := s.DeleteWall(ctx, "A", "w1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteWall(ctx, "A", "w1"); !errors.Is(err, errs.NotFound) {
		t.Errorf("delete twice: %v", err)
	}
}

// moderation: the moderators' decisions about posts are versioned by their
// wall, read back whole, and go with the wall.
func moderation(t *testing.T, ctx context.Context, s Walls) {
	for _, w := range []service.Wall{wall("w1", "A", "e1"), wall("w2", "A", "e1")} {
		if err := s.CreateWall(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	set := func(wall, post string, change func(*service.Moderation)) service.Moderation {
		t.Helper()
		m, err := s.Moderate(ctx, service.PostRef{App: "A", Wall: wall, Post: post}, change)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	set("w1", "p1", func(m *service.Moderation) { m.Verdict = "r" })
	set("w1", "p2", func(m *service.Moderation) { m.Mark = "pin" })
	got := set("w1", "p2", func(m *service.Moderation) { m.Verdict = "a:abc" })
	if want := (service.Moderation{Post: "p2", Verdict: "a:abc", Mark: "pin", Version: 3}); got != want {
		t.Errorf("a verdict on a pinned post = %+v, want %+v", got, want)
	}
	set("w2", "p1", func(m *service.Moderation) { m.Mark = "highlight" })

	all, err := s.Moderations(ctx, "w1")
	if err != nil {
		t.Fatal(err)
	}
	want := service.Moderations{Version: 3, Posts: []service.Moderation{
		{Post: "p1", Verdict: "r", Version: 1},
		{Post: "p2", Verdict: "a:abc", Mark: "pin", Version: 3},
	}}
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("moderations of w1 (-want +got):\n%s", diff)
	}
	if w, _ := s.WallByID(ctx, "w1"); w.ModerationVersion != 3 || w.Version != 1 {
		t.Errorf("wall after three decisions: moderation version %d, settings version %d", w.ModerationVersion, w.Version)
	}
	if none, err := s.Moderations(ctx, "w9"); !errors.Is(err, errs.NotFound) {
		t.Errorf("moderations of no wall: %+v %v", none, err)
	}
	if _, err := s.Moderate(ctx, service.PostRef{App: "B", Wall: "w1", Post: "p1"}, func(*service.Moderation) {}); !errors.Is(err, errs.NotFound) {
		t.Errorf("moderate through another app: %v", err)
	}
	if err := s.DeleteWall(ctx, "A", "w1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Moderations(ctx, "w1"); !errors.Is(err, errs.NotFound) {
		t.Errorf("moderations of a deleted wall: %v", err)
	}
	if fresh, err := s.Moderations(ctx, "w2"); err != nil || fresh.Version != 1 || len(fresh.Posts) != 1 {
		t.Errorf("the other wall's moderations: %+v %v", fresh, err)
	}
}

// RunProfiles runs the contract of service.Profiles; newStore returns an
// empty store.
func RunProfiles(t *testing.T, newStore func(t *testing.T) service.Profiles) {
	run(t, newStore, []struct {
		name string
		run  func(t *testing.T, ctx context.Context, s service.Profiles)
	}{
		{"events", profileEvents},
		{"resync", profileResync},
	})
}

// profileEvents: the newest event wins, and a deleted member stays deleted.
func profileEvents(t *testing.T, ctx context.Context, s service.Profiles) {
	t0 := time.Now().UTC().Truncate(time.Microsecond)
	for _, step := range []struct {
		member string
		p      service.Profile
		at     time.Time
	}{
		{"m1", service.Profile{Name: "Ada", PhotoURL: "https://x/a.jpg"}, t0},
		{"m1", service.Profile{Name: "Ada L."}, t0.Add(time.Second)},
		{"m1", service.Profile{Name: "Ada (old)"}, t0}, // a late, older event
		{"m2", service.Profile{Name: "Bob"}, t0},
	} {
		if err := s.SaveProfile(ctx, "A", step.member, step.p, step.at); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Profiles(ctx, "A", []string{"m1", "m2", "m3"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]service.Profile{"m1": {Name: "Ada L."}, "m2": {Name: "Bob"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("profiles (-want +got):\n%s", diff)
	}
	if err := s.DeleteProfile(ctx, "A", "m2", t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveProfile(ctx, "A", "m2", service.Profile{Name: "Bob again"}, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Profiles(ctx, "A", []string{"m2"}); len(got) != 0 {
		t.Errorf("a deleted member's profile: %+v", got)
	}
	if got, _ := s.Profiles(ctx, "B", []string{"m1"}); len(got) != 0 {
		t.Errorf("another app's profile: %+v", got)
	}
	if got, err := s.Profiles(ctx, "A", nil); err != nil || got == nil || len(got) != 0 {
		t.Errorf("profiles of no members: %v %v", got, err)
	}
}

// profileResync: a profile read from hub replaces one stored from an event
// older than the resync, says whether what it shows changed, and leaves a
// newer or deleted one; the members held from before the resync are
// listed, deleted ones not.
func profileResync(t *testing.T, ctx context.Context, s service.Profiles) {
	t0 := time.Now().UTC().Truncate(time.Microsecond)
	began := t0.Add(time.Hour)
	at := began.Add(-service.ResyncSkew)
	save := func(member, name string, when time.Time) {
		t.Helper()
		if err := s.SaveProfile(ctx, "A", member, service.Profile{Name: name}, when); err != nil {
			t.Fatal(err)
		}
	}
	save("old", "Old", t0)
	save("same", "Same", t0)
	save("newer", "Newer", began.Add(time.Second)) // an event after the resync began
	save("gone", "Gone", t0)
	if err := s.DeleteProfile(ctx, "A", "gone", t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	save("other", "Other", t0)
	held, err := s.ProfileMembers(ctx, "A", began)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(held)
	if want := []string{"old", "other", "same"}; !cmp.Equal(want, held) {
		t.Errorf("members held before the resync = %v, want %v", held, want)
	}

	for _, c := range []struct {
		member, name string
		changed      bool
		want         string // the name stored after it ("": none)
	}{
		{"old", "Old renamed", true, "Old renamed"},
		{"same", "Same", false, "Same"},
		{"newer", "Stale", false, "Newer"},
		{"gone", "Back", false, ""},
		{"new", "New", true, "New"},
	} {
		changed, err := s.ResyncProfile(ctx, "A", c.member, service.Profile{Name: c.name}, at, began)
		if err != nil || changed != c.changed {
			t.Errorf("resync %s: changed %v, %v; want %v", c.member, changed, err, c.changed)
		}
		got, err := s.Profiles(ctx, "A", []string{c.member})
		if err != nil || got[c.member].Name != c.want {
			t.Errorf("%s after the resync: %+v, %v; want %q", c.member, got, err, c.want)
		}
	}
	// Resynced profiles are dated before the resync began: listed still.
	held, err = s.ProfileMembers(ctx, "A", began)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(held)
	if want := []string{"new", "old", "other", "same"}; !cmp.Equal(want, held) {
		t.Errorf("members held after the resync = %v, want %v", held, want)
	}
	if held, _ := s.ProfileMembers(ctx, "B", began); len(held) != 0 {
		t.Errorf("another app's members: %v", held)
	}
}
