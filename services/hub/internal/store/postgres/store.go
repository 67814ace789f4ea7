// Package postgres is hub's relational store: the service.Store port on
// Postgres (pgx), with the events outbox in the same transactions.
package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/propagation"

	"github.com/attendify/hub/internal/service"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/obs"
	"github.com/attendify/platform/pg"
)

// db is what a pool and a transaction have in common.
type db interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error)
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// Store implements service.Store. Outside InTx its queries run on the
// pool; inside, on the transaction.
type Store struct {
	pool *pgxpool.Pool
	db   db
	tx   pgx.Tx // nil outside a transaction
}

var _ service.Store = (*Store)(nil)

// New returns a store on pool, whose connections have hub's schema first in
// search_path (pg.Open does that).
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool, db: pool} }

// InTx implements service.Store.
func (s *Store) InTx(ctx context.Context, fn func(q service.Queries) error) error {
	return s.inTx(ctx, func(s *Store) error { return fn(s) })
}

// inTx runs fn on s inside a transaction: the one s is in, or a new one
// (pg.InTx: committed when fn succeeds, retried on serialization failures).
func (s *Store) inTx(ctx context.Context, fn func(s *Store) error) error {
	if s.tx != nil {
		return fn(s) // already inside one
	}
	return pg.InTx(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		return fn(&Store{pool: s.pool, db: tx, tx: tx})
	})
}

// Snapshot runs fn in a repeatable-read, read-only transaction: one
// consistent view of several queries.
func (s *Store) Snapshot(ctx context.Context, fn func(q service.Queries) error) error {
	return pg.InTx(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		return fn(&Store{pool: s.pool, db: tx, tx: tx})
	})
}

// copyAbove is the number of events above which Announce writes the
// outbox with COPY instead of events.AddToOutbox's pipelined INSERTs (an
// eighth of the time per event for the thousands a bulk upsert makes).
const copyAbove = 32

// Announce implements service.Outbox.
func (s *Store) Announce(ctx context.Context, evs ...events.Event) (err error) {
	defer errs.Annotate(&err, "store.Announce(%d evs)", len(evs))
	if s.tx == nil {
		return errors.New("hub store: Announce outside a transaction")
	}
	if len(evs) <= copyAbove {
		return events.AddToOutbox(ctx, s.tx, evs...)
	}
	return s.copyOutbox(ctx, evs)
}

// copyOutbox writes the rows events.AddToOutbox writes, in the same order,
// with one COPY: the defaults it fills (id, time, request id, trace
// parent) are filled the same way.
func (s *Store) copyOutbox(ctx context.Context, evs []events.Event) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	rid := obs.RequestID(ctx)
	carrier := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, carrier)
	tp := carrier["traceparent"]
	cols := []string{"id", "type", "app", "subject", "occurred_at", "data", "request_id", "traceparent"}
	_, err := s.tx.CopyFrom(ctx, pgx.Identifier{"outbox"}, cols, pgx.CopyFromSlice(len(evs), func(i int) ([]any, error) {
		ev := &evs[i]
		if ev.ID == "" {
			ev.ID = events.NewID()
		}
		t := now
		if !ev.Time.IsZero() {
			t = ev.Time.UTC().Truncate(time.Microsecond)
		}
		r, p := ev.RequestID, ev.TraceParent
		if r == "" {
			r = rid
		}
		if p == "" {
			p = tp
		}
		var data any // NULL when empty; json, kept byte for byte
		if len(ev.Data) > 0 {
			if !json.Valid(ev.Data) {
				return nil, errs.New(errs.Invalid, "events: event %s (%s): data is not valid JSON", ev.ID, ev.Type)
			}
			data = []byte(ev.Data)
		}
		return []any{ev.ID, ev.Type, ev.App, ev.Subject, t, data, r, p}, nil
	}))
	if err != nil {
		return fmt.Errorf("hub store: copy %d events to the outbox: %w", len(evs), pg.Err(err))
	}
	return nil
}

// NextVersion implements service.Outbox.
func (s *Store) NextVersion(ctx context.Context) (_ int64, err error) {
	defer errs.Annotate(&err, "store.NextVersion()")
	const q = `SELECT nextval('rm_version')`
	var v int64
	err = s.db.QueryRow(ctx, q).Scan(&v)
	return v, pg.Err(err)
}

// forUpdate is the locking clause of a read that will be followed by a
// write in the same transaction.
func (s *Store) forUpdate(lock bool) string {
	if lock && s.tx != nil {
		return " FOR UPDATE"
	}
	return ""
}

// constraint is the name of the constraint a Postgres error violated.
func constraint(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.ConstraintName
	}
	return ""
}

// notFound turns zero affected rows into errs.NotFound.
func notFound(tag pgconn.CommandTag, err error, what string) error {
	if err != nil {
		return pg.Err(err)
	}
	if tag.RowsAffected() == 0 {
		return errs.New(errs.NotFound, "no such %s", what)
	}
	return nil
}

// nullTime maps the zero time to SQL NULL.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// nullable maps "" to SQL NULL.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
