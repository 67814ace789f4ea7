// Package app wires the importer together from its configuration: the
// platform runner, Postgres and its migrations, River, the hub client and
// the API; and the demo loader.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/attendify/hub"
	"github.com/attendify/importer/internal/hubclient"
	"github.com/attendify/importer/internal/jobs"
	"github.com/attendify/importer/internal/rpcapi"
	"github.com/attendify/importer/internal/service"
	"github.com/attendify/importer/internal/sheet"
	"github.com/attendify/importer/internal/store/postgres"
	"github.com/attendify/importer/migrations"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/runner"
)

// Schema is the importer's Postgres schema (River's tables too).
const Schema = "importer"

// Config is the importer's configuration, from the environment.
type Config struct {
	Service runner.Config
	PG      pg.Config
	// Hub is hub's replicas (HUB_URL, default http://127.0.0.1:8081).
	Hub rpc.ClientConfig `envPrefix:"HUB_"`

	MaxFileMB    int64         `env:"IMPORTER_MAX_FILE_MB" envDefault:"200"`
	MaxRows      int           `env:"IMPORTER_MAX_ROWS" envDefault:"1048576"`
	MaxCellChars int           `env:"IMPORTER_MAX_CELL_CHARS" envDefault:"32767"`
	MaxUnzipMB   int64         `env:"IMPORTER_MAX_UNZIP_MB" envDefault:"1024"`
	BatchRows    int           `env:"IMPORTER_BATCH_ROWS" envDefault:"10000"`
	BatchBytes   int           `env:"IMPORTER_BATCH_BYTES" envDefault:"8388608"`
	Workers      int           `env:"IMPORTER_WORKERS" envDefault:"2"`
	LeaseTTL     time.Duration `env:"IMPORTER_LEASE_TTL" envDefault:"30s"`
	TempDir      string        `env:"IMPORTER_TMPDIR"`
	// CheckMembership checks on every call, in hub's Redis read model, that
	// an organizer's token still belongs to a collaborator of the app.
	CheckMembership bool   `env:"IMPORTER_CHECK_MEMBERSHIP" envDefault:"true"`
	RedisNamespace  string `env:"REDIS_NAMESPACE"`
	// ExitAfterBatches makes the process exit right after hub applied that
	// many batches, before recording the last: for the kill test only.
	ExitAfterBatches int `env:"IMPORTER_TEST_EXIT_AFTER_BATCHES"`

	// Demo: where `hub demo` left hub.json, and the importer to call.
	DemoDir string `env:"DEMO_DIR" envDefault:".run/demo"`
	URL     string `env:"IMPORTER_URL" envDefault:"http://127.0.0.1:8082"`
}

// LoadConfig reads the configuration, with the defaults of this machine:
// the importer listens on 127.0.0.1:8082 and calls hub at 127.0.0.1:8081.
func LoadConfig() (Config, error) {
	return runner.LoadConfig[Config]("ADDR=127.0.0.1:8082", "HUB_URL=http://127.0.0.1:8081")
}

func (c Config) limits() sheet.Limits {
	return sheet.Limits{MaxRows: c.MaxRows, MaxCellChars: c.MaxCellChars, MaxUnzipBytes: c.MaxUnzipMB << 20}
}

func open(ctx context.Context, cfg Config) (*pgxpool.Pool, error) {
	if err := pg.EnsureDatabase(ctx, cfg.PG.URL); err != nil {
		return nil, err
	}
	return pg.Open(ctx, cfg.PG, Schema)
}

// Migrate applies the importer's migrations and River's.
func Migrate(ctx context.Context, cfg Config) error {
	pool, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	return migrate(ctx, pool)
}

func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	if err := pg.Migrate(ctx, pool, Schema, migrations.Source); err != nil {
		return err
	}
	return jobs.Migrate(ctx, pool, Schema, slog.New(slog.DiscardHandler))
}

// Serve runs the service until ctx ends.
func Serve(ctx context.Context, cfg Config) error {
	svc, err := runner.New(ctx, "importer", cfg.Service)
	if err != nil {
		return err
	}
	pool, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	svc.OnStop("postgres", func(context.Context) error { pool.Close(); return nil })
	svc.AddCheck("postgres", pg.Ready(pool))
	if err := migrate(ctx, pool); err != nil {
		return err
	}
	hc, err := svc.Client(cfg.Hub)
	if err != nil {
		return err
	}
	q, err := jobs.New(pool, jobs.Config{Schema: Schema, Workers: cfg.Workers}, svc.Log)
	if err != nil {
		return err
	}
	store := postgres.New(pool, q)
	store.PickupGrace = max(2*cfg.LeaseTTL, 5*time.Second)
	s := service.New(store, hubclient.New(hc), service.Config{
		MaxFileBytes: cfg.MaxFileMB << 20, Limits: cfg.limits(), BatchRows: cfg.BatchRows, BatchBytes: cfg.BatchBytes, LeaseTTL: cfg.LeaseTTL, TempDir: cfg.TempDir,
		AfterHubBatch: exitAfter(cfg.ExitAfterBatches),
	}, svc.Log)
	q.SetRunner(s)

	var authz rpcapi.Authorizer
	if cfg.CheckMembership {
		authz = hub.NewReadModel(svc.Redis, cfg.RedisNamespace)
	}
	api := rpcapi.New(s, svc.Auth.Verifier(), authz, cfg.MaxFileMB<<20+1<<20, svc.Log)
	api.Register(svc.RPC)
	api.Routes(svc.Mux)

	if err := q.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	svc.OnStop("river", q.Stop)
	svc.Go("reaper", jobs.Reaper(store, max(cfg.LeaseTTL/2, 500*time.Millisecond), store.PickupGrace, svc.Log))
	svc.Log.Info("importer ready", "hub", cfg.Hub.URLs, "lease_ttl", cfg.LeaseTTL, "pid", os.Getpid())
	return svc.Run(ctx)
}

// exitAfter is the kill test's failpoint: the process dies after hub
// applied n batches, before the importer records the last one.
func exitAfter(n int) func(int) {
	if n <= 0 {
		return nil
	}
	return func(sent int) {
		if sent == n {
			fmt.Fprintf(os.Stderr, "dying at failpoint: hub applied batch %d, not recorded\n", sent)
			os.Exit(1)
		}
	}
}
