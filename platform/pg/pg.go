// Package pg connects a service to Postgres: a pgx pool bound to the
// service's own schema, embedded SQL migrations, a transaction helper that
// retries serialization failures, and the translation of Postgres errors into
// errs kinds.
//
// Each owning service keeps its tables in one schema named after it ("hub",
// "social", ...). Open sets search_path to "<schema>, public" on every
// connection, so queries and migration files name tables without a schema
// prefix.
//
// A typical service:
//
//	pool, err := pg.Open(ctx, cfg.Postgres, "hub")
//	...
//	err = pg.Migrate(ctx, pool, "hub", pg.Source{Name: "hub", FS: migrations})
//	...
//	err = pg.InTx(ctx, pool, pgx.TxOptions{IsoLevel: pgx.Serializable}, func(tx pgx.Tx) error {
//		...
//	})
package pg

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/obs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Config is the Postgres part of a service's configuration.
type Config struct {
	// URL is a postgres:// connection URL (or key=value DSN) naming the
	// database. Never log it as is: use Redacted.
	URL string `env:"DATABASE_URL" envDefault:"postgres://postgres@127.0.0.1:5432/attendify?sslmode=disable"`
	// MaxConns caps the pool size; 0 keeps pgx's default (max(4, CPUs)).
	MaxConns int32 `env:"DATABASE_MAX_CONNS" envDefault:"0"`
	// Create lets the migrate step create the database when it is missing,
	// as on a developer's machine; turn it off where the services' role may
	// not create databases.
	Create bool `env:"DATABASE_CREATE" envDefault:"true"`
	// CheckOnly keeps the migrate step from changing the schema: for a
	// process run against another environment's database (`attendify
	// run-as`), the step only checks that the schema is up to date and
	// fails when it is not. Off, the zero value, the step migrates.
	CheckOnly bool `env:"DATABASE_CHECK_ONLY"`
}

// Redacted is the URL with its password masked, for logs and errors.
func (c Config) Redacted() string { return Redact(c.URL) }

// identRE is what a schema or migration source name may look like: a plain,
// lower-case SQL identifier that needs no quoting anywhere.
var identRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,47}$`)

func checkIdent(what, name string) error {
	if !identRE.MatchString(name) {
		return errs.New(errs.Invalid, "pg: %s %q must be a lower-case identifier ([a-z_][a-z0-9_]*, at most 48 characters)", what, name)
	}
	return nil
}

// Open returns a pool whose connections use search_path "<schema>, public"
// (schema may be empty to keep the server's default), after checking that
// the database answers. The schema itself is created by Migrate.
//
// When Postgres cannot be reached, the error is of kind errs.Unavailable and
// names the host and database, never the password.
func Open(ctx context.Context, cfg Config, schema string) (*pgxpool.Pool, error) {
	pcfg, err := poolConfig(cfg, schema)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "pg: bad database config %s", cfg.Redacted())
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, errs.Wrap(errs.Unavailable, err, "pg: postgres at %s is not reachable", where(pcfg.ConnConfig))
	}
	return pool, nil
}

func poolConfig(cfg Config, schema string) (*pgxpool.Config, error) {
	if schema != "" {
		if err := checkIdent("schema", schema); err != nil {
			return nil, err
		}
	}
	pcfg, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		// pgx's parse errors already redact the password.
		return nil, errs.Wrap(errs.Invalid, err, "pg: cannot parse DATABASE_URL %s", cfg.Redacted())
	}
	if cfg.MaxConns > 0 {
		pcfg.MaxConns = cfg.MaxConns
	}
	if schema != "" {
		pcfg.ConnConfig.RuntimeParams["search_path"] = schema + ", public"
	}
	return pcfg, nil
}

// where names a server and database for an error message.
func where(c *pgx.ConnConfig) string {
	return fmt.Sprintf("%s:%d (database %q, user %q)", c.Host, c.Port, c.Database, c.User)
}

// Redact masks the password of a postgres:// URL (or a key=value DSN) so
// that the result can be logged.
func Redact(dsn string) string {
	if strings.Contains(dsn, "://") {
		return obs.RedactURL(dsn)
	}
	return dsnPasswordRE.ReplaceAllString(dsn, "${1}xxxxx")
}

var dsnPasswordRE = regexp.MustCompile(`(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// Ready returns a readiness check for the service runner: it fails while the
// database cannot be reached.
func Ready(pool *pgxpool.Pool) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := pool.Ping(ctx); err != nil {
			return Err(err)
		}
		return nil
	}
}

// EnsureDatabase creates the database named in dsn if it does not exist yet,
// connecting to the "postgres" maintenance database of the same server. It is
// for local development (`make run`); production databases are provisioned
// outside the services.
func EnsureDatabase(ctx context.Context, dsn string) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return errs.Wrap(errs.Invalid, err, "pg: cannot parse %s", Redact(dsn))
	}
	name := cfg.Database
	if name == "" || name == "postgres" {
		return nil
	}
	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return errs.Wrap(errs.Unavailable, err, "pg: postgres at %s is not reachable", where(cfg))
	}
	defer conn.Close(context.WithoutCancel(ctx))

	const q = `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`
	var exists bool
	if err := conn.QueryRow(ctx, q, name).Scan(&exists); err != nil {
		return Err(err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	// Created meanwhile by another process: duplicate_database, or, when the
	// two CREATE DATABASE statements race, a unique violation on the catalog.
	if st := sqlState(err); err != nil && st != "42P04" && st != "23505" {
		return fmt.Errorf("pg: create database %q: %w", name, Err(err))
	}
	return nil
}

// QuoteIdent quotes a SQL identifier (a database, schema or table name) for
// use in a statement that cannot take it as a parameter.
func QuoteIdent(name string) string { return pgx.Identifier{name}.Sanitize() }
