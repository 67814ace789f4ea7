package postgres_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/attendify/importer/internal/service"
	"github.com/attendify/importer/internal/store/postgres"
	"github.com/attendify/importer/internal/store/storetest"
	"github.com/attendify/importer/migrations"
	"github.com/attendify/platform/testkit"
)

// TestContract runs the contract of every store port on Postgres, a
// database per port; the jobs go to a recorder instead of River.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Adapter {
		jobs := &recorder{}
		s := postgres.New(testkit.Postgres(t, "importer", migrations.Source), jobs)
		return storetest.Adapter{Store: s, Jobs: jobs.take}
	})
}

// recorder is an Enqueuer that numbers the jobs and keeps them.
type recorder struct {
	mu   sync.Mutex
	last int64
	jobs []storetest.Enqueued
}

func (r *recorder) Enqueue(ctx context.Context, tx pgx.Tx, j service.Job) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last++
	r.jobs = append(r.jobs, storetest.Enqueued{ID: r.last, Job: j})
	return r.last, nil
}

// take returns the jobs enqueued since the last call.
func (r *recorder) take() []storetest.Enqueued {
	r.mu.Lock()
	defer r.mu.Unlock()
	jobs := r.jobs
	r.jobs = nil
	return jobs
}
