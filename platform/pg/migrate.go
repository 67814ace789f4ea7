package pg

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"maps"
	"time"

	"github.com/attendify/platform/errs"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
)

// Source is one set of numbered SQL migrations (goose format: files named
// 00001_create_posts.sql with "-- +goose Up" / "-- +goose Down" sections) at
// the root of FS. Embed them in the binary and strip the directory:
//
//	//go:embed migrations/*.sql
//	var migrationFiles embed.FS
//
//	var Migrations = pg.Source{Name: "hub", FS: must(fs.Sub(migrationFiles, "migrations"))}
//
// Name identifies the set within a schema; its applied versions are kept in
// the table <schema>.goose_<name>, so a service's own migrations and the sets
// the platform ships (such as the events outbox) evolve independently in the
// same schema. Files are never edited once they have landed: add a new one.
type Source struct {
	Name string
	FS   fs.FS
}

// Migrate brings schema up to date with every source, in order: it creates
// the schema if missing, then applies each source's pending migrations with
// search_path set to "<schema>, public", so that the SQL files name their
// tables without a schema prefix.
//
// Several replicas may call Migrate at once: a Postgres advisory lock (per
// database and schema) makes them take turns, and the later ones find
// nothing left to do. Each migration file runs in its own transaction
// unless it says "-- +goose NO TRANSACTION".
func Migrate(ctx context.Context, pool *pgxpool.Pool, schema string, sources ...Source) (err error) {
	if err := checkIdent("schema", schema); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, s := range sources {
		if err := checkIdent("migration source name", s.Name); err != nil {
			return err
		}
		if seen[s.Name] {
			return errs.New(errs.Invalid, "pg: migration source %q given twice", s.Name)
		}
		seen[s.Name] = true
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("pg: migrate schema %s: %w", schema, err)
		}
	}()

	conn, err := pool.Acquire(ctx)
	if err != nil {
		return Err(err)
	}
	defer conn.Release()
	const lock = `SELECT pg_advisory_lock($1)`
	if _, err := conn.Exec(ctx, lock, migrateLockKey(schema)); err != nil {
		return Err(err)
	}
	defer func() {
		const unlock = `SELECT pg_advisory_unlock($1)`
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, uerr := conn.Exec(uctx, unlock, migrateLockKey(schema)); uerr != nil {
			// Ending the session releases the lock for sure.
			_ = conn.Conn().Close(uctx)
		}
	}()

	if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+QuoteIdent(schema)); err != nil {
		return Err(err)
	}

	// goose speaks database/sql: give it its own connection with the
	// schema's search_path, whatever the pool was opened with.
	cc := pool.Config().ConnConfig.Copy()
	cc.RuntimeParams = maps.Clone(cc.RuntimeParams)
	cc.RuntimeParams["search_path"] = schema + ", public"
	db := stdlib.OpenDB(*cc)
	defer db.Close()
	db.SetMaxOpenConns(1)

	for _, s := range sources {
		p, err := goose.NewProvider(goose.DialectPostgres, db, s.FS,
			goose.WithTableName(schema+".goose_"+s.Name),
			goose.WithDisableGlobalRegistry(true),
			goose.WithLogger(goose.NopLogger()),
		)
		if errors.Is(err, goose.ErrNoMigrations) {
			continue
		}
		if err != nil {
			return fmt.Errorf("source %s: %w", s.Name, err)
		}
		if _, err := p.Up(ctx); err != nil {
			return fmt.Errorf("source %s: %w", s.Name, Err(err))
		}
	}
	return nil
}

// CheckSchema fails unless every migration of sources has been applied to
// schema. It writes nothing (not even goose's version tables).
func CheckSchema(ctx context.Context, pool *pgxpool.Pool, schema string, sources ...Source) error {
	cc := pool.Config().ConnConfig.Copy()
	cc.RuntimeParams = maps.Clone(cc.RuntimeParams)
	cc.RuntimeParams["search_path"] = schema + ", public"
	cc.RuntimeParams["default_transaction_read_only"] = "on"
	db := stdlib.OpenDB(*cc)
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, s := range sources {
		p, err := goose.NewProvider(goose.DialectPostgres, db, s.FS,
			goose.WithTableName(schema+".goose_"+s.Name),
			goose.WithDisableGlobalRegistry(true),
			goose.WithLogger(goose.NopLogger()),
		)
		if errors.Is(err, goose.ErrNoMigrations) {
			continue
		}
		if err != nil {
			return fmt.Errorf("pg: check schema %s, source %s: %w", schema, s.Name, err)
		}
		pending, err := p.HasPending(ctx)
		if err != nil {
			return errs.Wrap(errs.Unavailable, Err(err), "pg: check schema %s, source %s (migrations are off)", schema, s.Name)
		}
		if pending {
			return errs.New(errs.Unavailable, "pg: schema %s lacks migrations of %s that this build has, and migrations are off (DATABASE_CHECK_ONLY=true)", schema, s.Name)
		}
	}
	return nil
}

// migrateLockKey is the advisory lock key that serializes migrations of one
// schema (advisory locks are per database already).
func migrateLockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("attendify/pg.Migrate\x00" + schema))
	return int64(h.Sum64())
}

// MigrateSchema is a service's migrate step: it creates the database when
// cfg.Create is set and it is missing, then brings schema up to date with
// sources on a pool of its own.
//
// With cfg.CheckOnly it changes nothing: it fails unless schema is
// already up to date (CheckSchema).
func MigrateSchema(ctx context.Context, cfg Config, schema string, sources ...Source) error {
	if cfg.CheckOnly {
		pool, err := Open(ctx, cfg, schema)
		if err != nil {
			return err
		}
		defer pool.Close()
		return CheckSchema(ctx, pool, schema, sources...)
	}
	if cfg.Create {
		if err := EnsureDatabase(ctx, cfg.URL); err != nil {
			return err
		}
	}
	pool, err := Open(ctx, cfg, schema)
	if err != nil {
		return err
	}
	defer pool.Close()
	return Migrate(ctx, pool, schema, sources...)
}
