package pgstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/eventwall/internal/service"
	"github.com/attendify/eventwall/internal/store/pgstore"
	"github.com/attendify/eventwall/migrations"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
)

func wall(id, app, event string) service.Wall {
	now := time.Now().UTC().Truncate(time.Microsecond)
	return service.Wall{
		ID: id, App: app, Event: event, Title: "Wall " + id, Layout: "grid",
		Theme:          service.Theme{Background: "#000000", Text: "#ffffff", Accent: "#ff0000"},
		Rules:          service.Rules{Event: event, Scope: "event", Hashtags: []string{"go"}, Mode: "auto", Blocklist: []string{"x"}, AllowList: []string{}, BlockedAuthors: []string{}},
		DisplaySeconds: 8, Public: true, Version: 1, CreatedAt: now, UpdatedAt: now,
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
