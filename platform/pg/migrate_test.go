package pg_test

import (
	"errors"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/testkit"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"
)

func sqlFS(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for name, body := range files {
		m[name] = &fstest.MapFile{Data: []byte(body)}
	}
	return m
}

// Two sets in one schema: the service's own and one the platform ships.
var (
	service = pg.Source{Name: "svc", FS: sqlFS(map[string]string{
		"00001_posts.sql": "-- +goose Up\nCREATE TABLE posts (id bigint PRIMARY KEY, body text NOT NULL);\n" +
			"-- +goose Down\nDROP TABLE posts;\n",
		"00002_likes.sql": "-- +goose Up\nCREATE TABLE likes (post_id bigint NOT NULL REFERENCES posts (id));\n" +
			"-- +goose Down\nDROP TABLE likes;\n",
	})}
	outbox = pg.Source{Name: "outbox", FS: sqlFS(map[string]string{
		"00001_outbox.sql": "-- +goose Up\nCREATE TABLE outbox (id bigserial PRIMARY KEY, payload jsonb NOT NULL);\n" +
			"-- +goose Down\nDROP TABLE outbox;\n",
	})}
)

func tablesIn(t *testing.T, pool *pgxpool.Pool, schema string) []string {
	t.Helper()
	const q = `SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename`
	rows, err := pool.Query(testkit.Context(t), q, schema)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

func TestMigrateCreatesSchemaAndKeepsOneVersionTablePerSource(t *testing.T) {
	ctx := testkit.Context(t)
	pool := testkit.Postgres(t, "")
	for range 2 { // the second run finds nothing to do
		if err := pg.Migrate(ctx, pool, "svc", service, outbox); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"goose_outbox", "goose_svc", "likes", "outbox", "posts"}
	if diff := cmp.Diff(want, tablesIn(t, pool, "svc")); diff != "" {
		t.Errorf("tables in schema svc (-want +got):\n%s", diff)
	}
	if got := tablesIn(t, pool, "public"); len(got) != 0 {
		t.Errorf("migrations leaked tables into public: %v", got)
	}
	var versions []int64
	const q = `SELECT max(version_id) FROM svc.goose_svc UNION ALL SELECT max(version_id) FROM svc.goose_outbox`
	rows, _ := pool.Query(ctx, q)
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
	}
	if diff := cmp.Diff([]int64{2, 1}, versions); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
}

func TestMigrateAppliesNewFilesLater(t *testing.T) {
	ctx := testkit.Context(t)
	pool := testkit.Postgres(t, "")
	v1 := sqlFS(map[string]string{"00001_a.sql": "-- +goose Up\nCREATE TABLE a (id int);\n"})
	if err := pg.Migrate(ctx, pool, "svc", pg.Source{Name: "svc", FS: v1}); err != nil {
		t.Fatal(err)
	}
	v2 := sqlFS(map[string]string{
		"00001_a.sql": "-- +goose Up\nCREATE TABLE a (id int);\n",
		"00002_b.sql": "-- +goose Up\nCREATE TABLE b (id int);\n",
	})
	if err := pg.Migrate(ctx, pool, "svc", pg.Source{Name: "svc", FS: v2}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b", "goose_svc"}, tablesIn(t, pool, "svc")); diff != "" {
		t.Errorf("tables (-want +got):\n%s", diff)
	}
}

func TestMigrateConcurrentReplicas(t *testing.T) {
	ctx := testkit.Context(t)
	pool := testkit.Postgres(t, "")
	// CREATE TABLE without IF NOT EXISTS: a migration run twice would fail.
	const replicas = 5
	var wg sync.WaitGroup
	errc := make(chan error, replicas)
	for range replicas {
		wg.Go(func() { errc <- pg.Migrate(ctx, pool, "svc", service, outbox) })
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Error(err)
		}
	}
	var applied int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM svc.goose_svc WHERE version_id > 0`).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if applied != 2 {
		t.Errorf("svc migrations recorded %d times, want 2", applied)
	}
}

func TestMigrateFailingFileRollsBackAndReports(t *testing.T) {
	ctx := testkit.Context(t)
	pool := testkit.Postgres(t, "")
	bad := pg.Source{Name: "svc", FS: sqlFS(map[string]string{
		"00001_ok.sql":  "-- +goose Up\nCREATE TABLE ok (id int);\n",
		"00002_bad.sql": "-- +goose Up\nCREATE TABLE half (id int);\nCREATE TABLE broken (id nosuchtype);\n",
	})}
	err := pg.Migrate(ctx, pool, "svc", bad)
	if err == nil {
		t.Fatal("Migrate with a broken file succeeded")
	}
	if diff := cmp.Diff([]string{"goose_svc", "ok"}, tablesIn(t, pool, "svc")); diff != "" {
		t.Errorf("tables after the failure (-want +got):\n%s", diff)
	}
}

func TestMigrateValidatesNames(t *testing.T) {
	ctx := testkit.Context(t)
	pool := testkit.Postgres(t, "")
	tests := []struct {
		name    string
		schema  string
		sources []pg.Source
	}{
		{"upper-case schema", "Hub", []pg.Source{service}},
		{"quote in schema", `hub"`, []pg.Source{service}},
		{"empty schema", "", []pg.Source{service}},
		{"bad source name", "hub", []pg.Source{{Name: "a-b", FS: service.FS}}},
		{"duplicate source", "hub", []pg.Source{service, service}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := pg.Migrate(ctx, pool, tt.schema, tt.sources...); !errors.Is(err, errs.Invalid) {
				t.Errorf("err = %v, want kind invalid", err)
			}
		})
	}
}

// During a rolling deploy an old replica starts after a new one migrated:
// it must not fail on versions it does not know.
func TestMigrateOlderBinaryAfterNewerMigrated(t *testing.T) {
	ctx := testkit.Context(t)
	pool := testkit.Postgres(t, "")
	if err := pg.Migrate(ctx, pool, "svc", service); err != nil {
		t.Fatal(err)
	}
	older := pg.Source{Name: "svc", FS: sqlFS(map[string]string{
		"00001_posts.sql": "-- +goose Up\nCREATE TABLE posts (id bigint PRIMARY KEY, body text NOT NULL);\n",
	})}
	if err := pg.Migrate(ctx, pool, "svc", older); err != nil {
		t.Errorf("older migration set after a newer one: %v", err)
	}
}

func TestMigrateSkipsEmptySource(t *testing.T) {
	ctx := testkit.Context(t)
	pool := testkit.Postgres(t, "")
	empty := pg.Source{Name: "empty", FS: sqlFS(map[string]string{"README.md": "nothing yet"})}
	if err := pg.Migrate(ctx, pool, "svc", empty, service); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"goose_svc", "likes", "posts"}, tablesIn(t, pool, "svc")); diff != "" {
		t.Errorf("tables (-want +got):\n%s", diff)
	}
}

// With migrations off, the migrate step changes nothing: it passes on an
// up-to-date schema and fails, leaving the database as it was, on one that
// lacks migrations (a local build ahead of another environment's schema).
func TestMigrateSchemaOffOnlyChecks(t *testing.T) {
	ctx := testkit.Context(t)
	url := testkit.PostgresURL(t, "")
	off := pg.Config{URL: url, CheckOnly: true}
	if err := pg.MigrateSchema(ctx, off, "svc", service); err == nil {
		t.Fatal("migrations off on an empty database: no error")
	}
	pool, err := pg.Open(ctx, pg.Config{URL: url}, "svc")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if got := tablesIn(t, pool, "svc"); len(got) != 0 {
		t.Fatalf("migrations off created %v", got)
	}
	v1 := pg.Source{Name: "svc", FS: sqlFS(map[string]string{"00001_posts.sql": "-- +goose Up\nCREATE TABLE posts (id bigint);\n"})}
	if err := pg.MigrateSchema(ctx, pg.Config{URL: url}, "svc", v1); err != nil {
		t.Fatal(err)
	}
	if err := pg.MigrateSchema(ctx, off, "svc", v1); err != nil {
		t.Errorf("migrations off on an up-to-date schema: %v", err)
	}
	if err := pg.MigrateSchema(ctx, off, "svc", service); err == nil {
		t.Error("migrations off on a schema that lacks 00002: no error")
	}
	if diff := cmp.Diff([]string{"goose_svc", "posts"}, tablesIn(t, pool, "svc")); diff != "" {
		t.Errorf("tables (-want +got):\n%s", diff)
	}
}
