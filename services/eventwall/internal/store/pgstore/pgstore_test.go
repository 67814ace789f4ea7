package pgstore_test

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/eventwall/internal/service"
	"github.com/attendify/eventwall/internal/store/pgstore"
	"github.com/attendify/eventwall/migrations"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/testkit"
)

func wall(id, app, event string) service.Wall {
	now := time.Now().UTC().Truncate(time.Microsecond)
	return service.Wall{
		ID: id, App: app, Event: event, Title: "Wall " + id, Layout: "grid",
		Theme:          service.Theme{Background: "#000000", Text: "#ffffff", Accent: "#ff0000"},
		Rules:          service.Rules{Event: event, Scope: "event", Hashtags: []string{"go"}, Mode: "auto", Blocklist: []string{"x"}, AllowList: []string{}, BlockedAuthors: []string{}},
		DisplaySeconds: 8, Public: true, Token: "token-" + id, Version: 1, CreatedAt: now, UpdatedAt: now,
	}
}

func TestWalls(t *testing.T) {
	s := pgstore.New(testkit.Postgres(t, migrations.Schema, migrations.All...))
	ctx := testkit.Context(t)
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

// TestModeration: the moderators' decisions about posts are versioned by
// their wall, read back whole, and go with the wall.
func TestModeration(t *testing.T) {
	s := pgstore.New(testkit.Postgres(t, migrations.Schema, migrations.All...))
	ctx := testkit.Context(t)
	for _, w := range []service.Wall{wall("w1", "A", "e1"), wall("w2", "A", "e1")} {
		if err := s.CreateWall(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	set := func(wall, post string, change func(*service.Moderation)) service.Moderation {
		t.Helper()
		m, err := s.Moderate(ctx, "A", wall, post, change)
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
	if _, err := s.Moderate(ctx, "B", "w1", "p1", func(*service.Moderation) {}); !errors.Is(err, errs.NotFound) {
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

// TestProfiles: the newest event wins, and a deleted member stays deleted.
func TestProfiles(t *testing.T) {
	s := pgstore.New(testkit.Postgres(t, migrations.Schema, migrations.All...))
	ctx := testkit.Context(t)
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
}

// TestMigrationOfExistingWalls: walls made before screen tokens get one
// each (random, distinct) and a new settings version, so that the
// ingesters publish their settings again with it.
func TestMigrationOfExistingWalls(t *testing.T) {
	ctx := testkit.Context(t)
	cfg := pg.Config{URL: testkit.PostgresURL(t, "")}
	first, err := fs.ReadFile(migrations.Eventwall.FS, "00001_eventwall.sql")
	if err != nil {
		t.Fatal(err)
	}
	before := pg.Source{Name: migrations.Eventwall.Name, FS: fstest.MapFS{"00001_eventwall.sql": {Data: first}}}
	if err := pg.MigrateSchema(ctx, cfg, migrations.Schema, before); err != nil {
		t.Fatal(err)
	}
	pool, err := pg.Open(ctx, cfg, migrations.Schema)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for _, id := range []string{"w1", "w2"} {
		const q = `INSERT INTO walls (id, app_id, event_id, title, layout, background, text_color, accent, scope, moderation, display_seconds, version)
			VALUES ($1, 'A', 'e1', 'Old', 'grid', '#000000', '#ffffff', '#ff0000', 'event', 'auto', 8, 3)`
		if _, err := pool.Exec(ctx, q, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := pg.MigrateSchema(ctx, cfg, migrations.Schema, migrations.All...); err != nil {
		t.Fatal(err)
	}
	s := pgstore.New(pool)
	w1, err := s.WallByID(ctx, "w1")
	if err != nil {
		t.Fatal(err)
	}
	w2, err := s.WallByID(ctx, "w2")
	if err != nil {
		t.Fatal(err)
	}
	if len(w1.Token) < 40 || w1.Token == w2.Token || strings.ContainsAny(w1.Token, "+/=") || w1.Version != 4 || w1.ModerationVersion != 0 {
		t.Errorf("migrated walls: %q (version %d, moderation %d) and %q", w1.Token, w1.Version, w1.ModerationVersion, w2.Token)
	}
	if got, err := s.WallByToken(ctx, w2.Token); err != nil || got.ID != "w2" {
		t.Errorf("by the migrated token: %v %+v", err, got)
	}
}
