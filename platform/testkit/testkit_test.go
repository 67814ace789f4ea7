package testkit_test

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"testing"
	"time"

	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/redisx"
	"github.com/attendify/platform/testkit"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed testdata/migrations/*.sql
var migrationFiles embed.FS

func widgets(t testing.TB) pg.Source {
	t.Helper()
	sub, err := fs.Sub(migrationFiles, "testdata/migrations")
	if err != nil {
		t.Fatal(err)
	}
	return pg.Source{Name: "widgets", FS: sub}
}

func currentDatabase(t testing.TB, pool *pgxpool.Pool) string {
	t.Helper()
	var name string
	if err := pool.QueryRow(testkit.Context(t), `SELECT current_database()`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
}

func databaseExists(t testing.TB, name string) bool {
	t.Helper()
	ctx := testkit.Context(t)
	admin := os.Getenv("TEST_DATABASE_URL")
	if admin == "" {
		admin = testkit.DefaultTestDatabaseURL
	}
	conn, err := pgxpool.New(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var exists bool
	const q = `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`
	if err := conn.QueryRow(ctx, q, name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	return exists
}

func TestPostgresGivesEachCallItsOwnMigratedDatabase(t *testing.T) {
	ctx := testkit.Context(t)
	a := testkit.Postgres(t, "kit", widgets(t))
	b := testkit.Postgres(t, "kit", widgets(t))
	if da, db := currentDatabase(t, a), currentDatabase(t, b); da == db {
		t.Fatalf("both pools are on database %s", da)
	}

	// Both migrations applied, in the schema, reachable without a prefix.
	if _, err := a.Exec(ctx, `INSERT INTO widgets (id, name) VALUES (1, 'one')`); err != nil {
		t.Fatal(err)
	}
	var schema, color string
	const q = `SELECT (SELECT schemaname FROM pg_tables WHERE tablename = 'widgets'), color FROM widgets`
	if err := a.QueryRow(ctx, q).Scan(&schema, &color); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"kit", "blue"}, []string{schema, color}); diff != "" {
		t.Errorf("migrated table (-want +got):\n%s", diff)
	}

	// The other database did not see the insert.
	var n int
	if err := b.QueryRow(ctx, `SELECT count(*) FROM widgets`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("second database has %d widgets, want 0", n)
	}
}

func TestPostgresDropsTheDatabaseAfterTheTest(t *testing.T) {
	var name string
	t.Run("user", func(t *testing.T) {
		name = currentDatabase(t, testkit.Postgres(t, "kit", widgets(t)))
		if !databaseExists(t, name) {
			t.Fatalf("database %s does not exist during the test", name)
		}
	})
	if name == "" {
		t.Fatal("subtest failed")
	}
	if databaseExists(t, name) {
		t.Errorf("database %s still exists after the test", name)
	}
}

func TestPostgresParallel(t *testing.T) {
	for i := range 6 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			pool := testkit.Postgres(t, "kit", widgets(t))
			ctx := testkit.Context(t)
			for j := range 3 {
				if _, err := pool.Exec(ctx, `INSERT INTO widgets (id, name) VALUES ($1, $2)`, j, fmt.Sprint(i, "-", j)); err != nil {
					t.Fatal(err)
				}
			}
			var n int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM widgets`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 3 {
				t.Errorf("count = %d, want 3: databases are shared", n)
			}
		})
	}
}

func TestPostgresWithoutMigrations(t *testing.T) {
	pool := testkit.Postgres(t, "")
	var n int
	const q = `SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`
	if err := pool.QueryRow(testkit.Context(t), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("empty database has %d tables", n)
	}
}

func TestPostgresURL(t *testing.T) {
	ctx := testkit.Context(t)
	url := testkit.PostgresURL(t, "kit", widgets(t))
	pool, err := pg.Open(ctx, pg.Config{URL: url}, "kit")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `INSERT INTO widgets (id, name) VALUES (1, 'one')`); err != nil {
		t.Fatal(err)
	}
}

func TestRedisNamespacesAndCleanup(t *testing.T) {
	var (
		keys     []string
		nsA, nsB string
	)
	t.Run("a", func(t *testing.T) {
		c, ns := testkit.Redis(t)
		nsA = ns
		k := redisx.NewKeys(ns, "kit")
		keys = []string{k.Key("plain"), k.Tagged("app1", "feed"), k.Tagged("app1", "seen")}
		ctx := testkit.Context(t)
		for _, key := range keys {
			if err := c.Set(ctx, key, "x", time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
		}
	})
	c, ns := testkit.Redis(t)
	nsB = ns
	if nsA == nsB {
		t.Fatalf("two tests got the same namespace %q", nsA)
	}
	var n int64
	for _, key := range keys { // one at a time: on a cluster they are on different slots
		m, err := c.Exists(testkit.Context(t), key).Result()
		if err != nil {
			t.Fatal(err)
		}
		n += m
	}
	if n != 0 {
		t.Errorf("%d of the first test's keys survived its cleanup", n)
	}
}

func TestRunStopsWithTheContext(t *testing.T) {
	started := make(chan struct{})
	stop := testkit.Run(t, "worker", func(ctx context.Context) error {
		close(started)
		<-ctx.Done()
		return errors.New("stopped: " + context.Cause(ctx).Error())
	})
	<-started
	for range 2 { // stop is idempotent
		if err := stop(); err == nil || err.Error() != "stopped: context canceled" {
			t.Fatalf("stop() = %v, want the worker's error", err)
		}
	}
}
