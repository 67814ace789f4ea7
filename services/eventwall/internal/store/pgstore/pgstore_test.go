package pgstore_test

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/attendify/eventwall/internal/service"
	"github.com/attendify/eventwall/internal/store/pgstore"
	"github.com/attendify/eventwall/internal/store/storetest"
	"github.com/attendify/eventwall/migrations"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/testkit"
)

func newStore(t *testing.T) *pgstore.Store {
	return pgstore.New(testkit.Postgres(t, migrations.Schema, migrations.All...))
}

// TestWallsContract runs the contract of service.WallStore and
// service.ModerationStore.
func TestWallsContract(t *testing.T) {
	storetest.RunWalls(t, func(t *testing.T) storetest.Walls { return newStore(t) })
}

// TestProfilesContract runs the contract of service.Profiles.
func TestProfilesContract(t *testing.T) {
	storetest.RunProfiles(t, func(t *testing.T) service.Profiles { return newStore(t) })
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
