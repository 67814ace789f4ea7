package testkit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attendify/platform/pg"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultTestDatabaseURL is the admin connection used when TEST_DATABASE_URL
// is not set: the local server that `make services` runs.
const DefaultTestDatabaseURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Names of the databases testkit creates. Per-test databases carry their
// creation time so that leftovers of a killed test binary can be recognised
// and dropped later.
const (
	dbPrefix  = "testkit_"     // testkit_<unix seconds>_<random>
	tplPrefix = "testkit_tpl_" // testkit_tpl_<schema>_<hash of schema and migrations>
	// kitVersion changes whenever the way templates are built changes, so
	// that old templates are not reused.
	kitVersion = "1"
	// staleAfter is the age after which a per-test database is considered
	// left over by a test binary that died before its cleanup ran.
	staleAfter = 6 * time.Hour
)

// Postgres returns a pool on a new database that belongs to this test alone,
// with schema created and every source's migrations applied, and with
// search_path set to "<schema>, public". The database is cloned from a
// template built once per distinct schema and migration content, so a test
// pays for CREATE DATABASE only, not for running migrations. The pool is
// closed and the database dropped when the test ends.
//
// With an empty schema and no sources the database is empty.
func Postgres(t testing.TB, schema string, sources ...pg.Source) *pgxpool.Pool {
	t.Helper()
	dsn := PostgresURL(t, schema, sources...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pg.Open(ctx, pg.Config{URL: dsn, MaxConns: 8}, schema)
	if err != nil {
		t.Fatalf("testkit: open test database: %v", err)
	}
	t.Cleanup(pool.Close) // runs before the drop registered by PostgresURL
	return pool
}

// PostgresURL is Postgres for callers that connect by themselves (a
// subprocess, a service's run function): it returns the connection URL of
// a new, migrated database that is dropped when the test ends. Connections
// to it should set search_path themselves (pg.Open does).
func PostgresURL(t testing.TB, schema string, sources ...pg.Source) string {
	t.Helper()
	adminURL := env("TEST_DATABASE_URL", DefaultTestDatabaseURL)
	admin := adminPool(t, adminURL)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	name := fmt.Sprintf("%s%d_%s", dbPrefix, time.Now().Unix(), randomHex(6))
	for attempt := 1; ; attempt++ {
		tpl, err := templates.ensure(ctx, admin, adminURL, schema, sources)
		if err != nil {
			t.Fatalf("testkit: build template database for schema %q: %v", schema, err)
		}
		create := "CREATE DATABASE " + pg.QuoteIdent(name) + " TEMPLATE " + pg.QuoteIdent(tpl)
		err = execRetryInUse(ctx, admin, create)
		var pgErr *pgconn.PgError
		if err != nil && errors.As(err, &pgErr) && pgErr.Code == "3D000" && attempt < 3 {
			// Dropped by a process with newer migrations for this schema.
			templates.forget(tpl)
			continue
		}
		if err != nil {
			t.Fatalf("testkit: create test database from %s: %v", tpl, err)
		}
		break
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pg.QuoteIdent(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("testkit: drop test database %s: %v", name, err)
		}
	})
	return withDatabase(adminURL, name)
}

// admin is the connection pool to the maintenance database, shared by the
// tests of one binary and never closed (the process exit closes it).
var admin struct {
	sync.Mutex
	pools map[string]*pgxpool.Pool
}

func adminPool(t testing.TB, adminURL string) *pgxpool.Pool {
	t.Helper()
	admin.Lock()
	defer admin.Unlock()
	if p := admin.pools[adminURL]; p != nil {
		return p
	}
	if u, err := url.Parse(adminURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("testkit: TEST_DATABASE_URL must be a postgres:// URL, got %s", pg.Redact(adminURL))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	p, err := pg.Open(ctx, pg.Config{URL: adminURL, MaxConns: 4}, "")
	if err != nil {
		t.Fatalf("testkit: Postgres at %s is not reachable: run `make services` (or set TEST_DATABASE_URL): %v", pg.Redact(adminURL), err)
	}
	if admin.pools == nil {
		admin.pools = map[string]*pgxpool.Pool{}
	}
	admin.pools[adminURL] = p
	dropStale(ctx, p) // best effort, once per binary
	return p
}

// templates remembers the template databases this process has seen ready.
var templates = templateCache{ready: map[string]bool{}}

type templateCache struct {
	mu    sync.Mutex // held while building: one build at a time per process
	ready map[string]bool
}

// ensure returns the name of the template database for schema and sources,
// building it if no process has done so yet.
func (c *templateCache) ensure(ctx context.Context, admin *pgxpool.Pool, adminURL, schema string, sources []pg.Source) (string, error) {
	digest, err := migrationsDigest(schema, sources)
	if err != nil {
		return "", err
	}
	tpl := templateName(schema, digest)

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ready[tpl] {
		return tpl, nil
	}

	// Several test binaries may want the same template at once: the first
	// to take the advisory lock builds it, the others find it built.
	conn, err := admin.Acquire(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Release()
	k, _ := strconv.ParseUint(digest[:16], 16, 64)
	key := int64(k)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return "", err
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, key); err != nil {
			_ = conn.Conn().Close(uctx) // ending the session releases the lock
		}
	}()

	const q = `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`
	var exists bool
	if err := conn.QueryRow(ctx, q, tpl).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if err := buildTemplate(ctx, admin, adminURL, tpl, schema, sources); err != nil {
			return "", err
		}
		dropOlderTemplates(ctx, admin, schema, tpl)
	}
	c.ready[tpl] = true
	return tpl, nil
}

// forget drops tpl from the cache: another process replaced it.
func (c *templateCache) forget(tpl string) {
	c.mu.Lock()
	delete(c.ready, tpl)
	c.mu.Unlock()
}

// templateName is testkit_tpl_<schema>_<12 hex digits of the digest>, at
// most 57 bytes so that the "_build" suffix fits in Postgres' 63.
func templateName(schema, digest string) string {
	return tplPrefix + schemaTag(schema) + "_" + digest[:12]
}

func schemaTag(schema string) string {
	if schema == "" {
		return "none"
	}
	return schema[:min(len(schema), 30)]
}

// dropOlderTemplates drops the templates of schema built from other
// migrations than keep (the migrations changed since), so that they do not
// pile up. A process that still uses one gets "does not exist" and rebuilds
// (see PostgresURL). Best effort.
func dropOlderTemplates(ctx context.Context, admin *pgxpool.Pool, schema, keep string) {
	const q = `SELECT datname FROM pg_database WHERE datistemplate AND starts_with(datname, $1)`
	prefix := tplPrefix + schemaTag(schema) + "_"
	rows, err := admin.Query(ctx, q, prefix)
	if err != nil {
		return
	}
	var old []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) == nil && name != keep && isHex12(strings.TrimPrefix(name, prefix)) {
			old = append(old, name)
		}
	}
	rows.Close()
	for _, name := range old {
		if _, err := admin.Exec(ctx, "ALTER DATABASE "+pg.QuoteIdent(name)+" WITH IS_TEMPLATE false"); err == nil {
			_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pg.QuoteIdent(name))
		}
	}
}

func isHex12(s string) bool {
	_, err := hex.DecodeString(s)
	return len(s) == 12 && err == nil
}

// buildTemplate migrates a scratch database and renames it to tpl, so that
// a template database either does not exist or is complete, even when the
// builder is killed half-way. The caller holds the template's lock.
func buildTemplate(ctx context.Context, admin *pgxpool.Pool, adminURL, tpl, schema string, sources []pg.Source) error {
	build := tpl + "_build"
	// A leftover of a builder that died; nobody else uses it while we hold the lock.
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pg.QuoteIdent(build)+" WITH (FORCE)"); err != nil {
		return err
	}
	// template0, not template1: nobody connects to template0, so the copy
	// never fails with "source database is being accessed by other users".
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pg.QuoteIdent(build)+" TEMPLATE template0"); err != nil {
		return err
	}
	if schema != "" {
		pool, err := pg.Open(ctx, pg.Config{URL: withDatabase(adminURL, build), MaxConns: 2}, schema)
		if err != nil {
			return err
		}
		err = pg.Migrate(ctx, pool, schema, sources...)
		pool.Close()
		if err != nil {
			return err
		}
	}
	// Templates take no connections: a stray session would block every
	// CREATE DATABASE ... TEMPLATE.
	alter := "ALTER DATABASE " + pg.QuoteIdent(build) + " WITH ALLOW_CONNECTIONS false IS_TEMPLATE true"
	if _, err := admin.Exec(ctx, alter); err != nil {
		return err
	}
	// The migration sessions may still be ending on the server side.
	rename := "ALTER DATABASE " + pg.QuoteIdent(build) + " RENAME TO " + pg.QuoteIdent(tpl)
	return execRetryInUse(ctx, admin, rename)
}

// execRetryInUse runs a statement that fails while another session is
// connected to the database it copies or renames (SQLSTATE 55006, "is being
// accessed by other users"), retrying with backoff until ctx ends.
func execRetryInUse(ctx context.Context, admin *pgxpool.Pool, stmt string) error {
	wait := 20 * time.Millisecond
	for {
		_, err := admin.Exec(ctx, stmt)
		var pgErr *pgconn.PgError
		if err == nil || !errors.As(err, &pgErr) || pgErr.Code != "55006" {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (gave up waiting: %v)", err, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

// migrationsDigest is a hex SHA-256 of the schema name and the name and
// every file of each source.
func migrationsDigest(schema string, sources []pg.Source) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "testkit %s\x00schema %s\x00", kitVersion, schema)
	for _, s := range sources {
		fmt.Fprintf(h, "source %s\x00", s.Name)
		if s.FS == nil {
			continue
		}
		err := fs.WalkDir(s.FS, ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := fs.ReadFile(s.FS, path)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "file %s %d\x00", path, len(b))
			h.Write(b)
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("read migrations of %s: %w", s.Name, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// dropStale drops per-test databases that are older than staleAfter: those
// of test binaries killed before their cleanup ran. A database still in use
// is left alone (no FORCE).
func dropStale(ctx context.Context, admin *pgxpool.Pool) {
	const q = `SELECT datname FROM pg_database WHERE datname LIKE 'testkit\_%' AND NOT datistemplate`
	rows, err := admin.Query(ctx, q)
	if err != nil {
		return
	}
	var stale []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) != nil {
			continue
		}
		rest, ok := strings.CutPrefix(name, dbPrefix)
		secs, _, _ := strings.Cut(rest, "_")
		created, err := strconv.ParseInt(secs, 10, 64)
		if ok && err == nil && time.Since(time.Unix(created, 0)) > staleAfter {
			stale = append(stale, name)
		}
	}
	rows.Close()
	for _, name := range stale {
		_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pg.QuoteIdent(name))
	}
}

// withDatabase returns the postgres:// URL u pointing at database name.
func withDatabase(u, name string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return u // checked by adminPool already
	}
	parsed.Path = "/" + name
	parsed.RawPath = ""
	return parsed.String()
}
