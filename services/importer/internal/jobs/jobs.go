// Package jobs runs the importer's background work on River, a job queue
// in Postgres (its tables live in the importer's schema): the analysis and
// the commit of each import, and the reaper that resumes the imports of
// workers that died.
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/attendify/importer/internal/service"
)

// Args address an import at a generation: a job of an older generation
// (the import was reconfigured since) finds nothing to do.
type Args struct {
	ImportID string `json:"import_id"`
	Gen      int    `json:"gen"`
}

// AnalyzeArgs are the analysis job's.
type AnalyzeArgs Args

// Kind implements river.JobArgs.
func (AnalyzeArgs) Kind() string { return string(service.JobAnalyze) }

// CommitArgs are the commit job's.
type CommitArgs Args

// Kind implements river.JobArgs.
func (CommitArgs) Kind() string { return string(service.JobCommit) }

// Runner does the work of the jobs (the service).
type Runner interface {
	RunAnalyze(ctx context.Context, id string, gen int, job int64) error
	RunCommit(ctx context.Context, id string, gen int, job int64) error
}

type analyzeWorker struct {
	river.WorkerDefaults[AnalyzeArgs]
	q *Queue
}

func (w *analyzeWorker) Work(ctx context.Context, j *river.Job[AnalyzeArgs]) error {
	return w.q.runner.RunAnalyze(ctx, j.Args.ImportID, j.Args.Gen, j.ID)
}

// Timeout: an import takes as long as it takes; its lease, not a timeout,
// tells a live worker from a dead one.
func (w *analyzeWorker) Timeout(*river.Job[AnalyzeArgs]) time.Duration { return -1 }

type commitWorker struct {
	river.WorkerDefaults[CommitArgs]
	q *Queue
}

func (w *commitWorker) Work(ctx context.Context, j *river.Job[CommitArgs]) error {
	return w.q.runner.RunCommit(ctx, j.Args.ImportID, j.Args.Gen, j.ID)
}

func (w *commitWorker) Timeout(*river.Job[CommitArgs]) time.Duration { return -1 }

// Config tunes the queue.
type Config struct {
	Schema  string
	Workers int // jobs run at once by this replica
	// Insert only: no workers (the migrate and demo commands).
	InsertOnly bool
}

// Queue is the River client.
type Queue struct {
	client *river.Client[pgx.Tx]
	runner Runner
}

// New returns a queue on pool; SetRunner before Start.
func New(pool *pgxpool.Pool, cfg Config, log *slog.Logger) (*Queue, error) {
	q := &Queue{}
	rc := &river.Config{Schema: cfg.Schema, Logger: log, JobTimeout: -1}
	if !cfg.InsertOnly {
		workers := river.NewWorkers()
		if err := river.AddWorkerSafely(workers, &analyzeWorker{q: q}); err != nil {
			return nil, err
		}
		if err := river.AddWorkerSafely(workers, &commitWorker{q: q}); err != nil {
			return nil, err
		}
		rc.Workers = workers
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: max(cfg.Workers, 1)}}
	}
	c, err := river.NewClient(riverpgxv5.New(pool), rc)
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	q.client = c
	return q, nil
}

// SetRunner sets what runs the jobs.
func (q *Queue) SetRunner(r Runner) { q.runner = r }

// Enqueue inserts a job in tx and returns its id.
func (q *Queue) Enqueue(ctx context.Context, tx pgx.Tx, j service.Job) (int64, error) {
	var args river.JobArgs
	switch j.Kind {
	case service.JobAnalyze:
		args = AnalyzeArgs{ImportID: j.Import, Gen: j.Gen}
	case service.JobCommit:
		args = CommitArgs{ImportID: j.Import, Gen: j.Gen}
	default:
		return 0, fmt.Errorf("unknown job %q", j.Kind)
	}
	res, err := q.client.InsertTx(ctx, tx, args, &river.InsertOpts{MaxAttempts: 25})
	if err != nil {
		return 0, fmt.Errorf("enqueue %s: %w", j.Kind, err)
	}
	return res.Job.ID, nil
}

// Start starts working jobs.
func (q *Queue) Start(ctx context.Context) error { return q.client.Start(ctx) }

// Stop stops fetching jobs and waits for running ones up to ctx's end;
// then it cancels them (their leases run out and another replica resumes
// them).
func (q *Queue) Stop(ctx context.Context) error {
	if err := q.client.Stop(ctx); err != nil {
		return q.client.StopAndCancel(context.Background())
	}
	return nil
}

// Migrate brings River's tables in schema up to date.
func Migrate(ctx context.Context, pool *pgxpool.Pool, schema string, log *slog.Logger) error {
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: schema, Logger: log})
	if err != nil {
		return err
	}
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}
