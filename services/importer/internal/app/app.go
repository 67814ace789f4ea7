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
	// Retention is how long an ended import (done, canceled, failed)
	// keeps its file and staged rows; UnfinishedRetention how long one
	// left uncommitted (ready) does. Then the retention job deletes them;
	// the import's summary stays.
	Retention           time.Duration `env:"IMPORTER_RETENTION" envDefault:"720h"`
	UnfinishedRetention time.Duration `env:"IMPORTER_UNFINISHED_RETENTION" envDefault:"168h"`
	// RetentionInterval is how often the retention job runs.
	RetentionInterval time.Duration `env:"IMPORTER_RETENTION_INTERVAL" envDefault:"1h"`
	// AppQuotaMB bounds an app's stored import files (imports not
	// expired); AppMaxAnalyses its imports being uploaded or analyzed at
	// once.
	AppQuotaMB     int64 `env:"IMPORTER_APP_QUOTA_MB" envDefault:"2048"`
	AppMaxAnalyses int   `env:"IMPORTER_APP_MAX_ANALYSES" envDefault:"4"`
	// MaxSharedStrings bounds the distinct texts (shared strings) of an
	// .xlsx, which excelize indexes in memory.
	MaxSharedStrings int `env:"IMPORTER_MAX_SHARED_STRINGS" envDefault:"4194304"`
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
	return sheet.Limits{MaxRows: c.MaxRows, MaxCellChars: c.MaxCellChars, MaxUnzipBytes: c.MaxUnzipMB << 20, MaxSharedStrings: c.MaxSharedStrings}
}

// Migrate brings the importer's schema up to date, then River's tables in
// it (with DATABASE_CHECK_ONLY, it only checks the importer's schema).
func Migrate(ctx context.Context, cfg Config) error {
	if err := pg.MigrateSchema(ctx, cfg.PG, Schema, migrations.Source); err != nil {
		return err
	}
	if cfg.PG.CheckOnly { // another environment's database (run-as)
		return nil
	}
	pool, err := pg.Open(ctx, cfg.PG, Schema)
	if err != nil {
		return err
	}
	defer pool.Close()
	return jobs.Migrate(ctx, pool, Schema, slog.New(slog.DiscardHandler))
}

// Serve runs the service until ctx ends.
func Serve(ctx context.Context, cfg Config) error {
	svc, err := runner.New(ctx, "importer", cfg.Service)
	if err != nil {
		return err
	}
	if err := Migrate(ctx, cfg); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	pool, err := svc.OpenPostgres(ctx, cfg.PG, Schema)
	if err != nil {
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
		Retention: cfg.Retention, Unfinished: cfg.UnfinishedRetention, MaxAppBytes: cfg.AppQuotaMB << 20, MaxAppAnalyses: cfg.AppMaxAnalyses,
		AfterHubBatch: exitAfter(cfg.ExitAfterBatches),
	}, svc.Log)
	q.SetRunner(s)

	var authz rpcapi.Authorizer
	if cfg.CheckMembership {
		authz = hub.NewReadModel(svc.Redis, cfg.RedisNamespace)
	}
	api := rpcapi.New(s, svc.Auth.Verifier(), authz, cfg.MaxFileMB<<20+1<<20, svc.Log)
	api.Register(svc.RPC)
	svc.AllowOrigins(hub.WebOrigins(svc.Redis, cfg.RedisNamespace)) // browsers on the apps' web origins (CORS)
	api.Routes(svc.Routes)

	if svc.RunsWorkers() { // River's workers take jobs from the queue: not another environment's unless asked
		if err := q.Start(context.WithoutCancel(ctx)); err != nil {
			return err
		}
		svc.OnStop("river", q.Stop)
	}
	// The reaper resumes the imports whose worker died (their lease ran out).
	svc.Periodic(runner.Periodic{Name: "reaper", Interval: max(cfg.LeaseTTL/2, 500*time.Millisecond), AtStart: true, Run: func(ctx context.Context) error {
		n, err := store.Reap(ctx, store.PickupGrace)
		if n > 0 {
			svc.Log.Info("resumed imports whose worker died", "imports", n)
		}
		return err
	}})
	// The retention job deletes the files and staged rows of the imports
	// whose time is up, on every replica (they skip each other's locks).
	svc.Periodic(runner.Periodic{Name: "retention", Interval: max(cfg.RetentionInterval, time.Second), AtStart: true, Run: func(ctx context.Context) error {
		n, err := s.Expire(ctx, time.Now())
		if n > 0 {
			svc.Log.Info("deleted the files and rows of expired imports", "imports", n)
		}
		return err
	}})
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
