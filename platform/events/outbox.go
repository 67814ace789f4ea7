package events

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/pg"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

//go:embed migrations
var migrationFiles embed.FS

func sub(dir string) fs.FS {
	f, err := fs.Sub(migrationFiles, "migrations/"+dir)
	if err != nil {
		panic(err) // the directory is embedded above: cannot happen
	}
	return f
}

// OutboxMigrations creates the outbox table in a producing service's schema.
// Apply it with the service's own migrations:
//
//	pg.Migrate(ctx, pool, "hub", hubMigrations, events.OutboxMigrations)
//
// The outbox holds only events not yet published: the relay deletes a row
// once its event is in the stream. Keeping published rows (a published_at
// column) would make the table grow forever and need a pruning job and a
// partial index to find the backlog, for a history the streams (and their
// dead letters) already keep; with deletes the relay's query reads the
// head of the primary key and the table stays as small as the backlog.
//
// An insert trigger sends NOTIFY "outbox.<schema>" so that relays wake at
// commit. Postgres serializes the commits of notifying transactions, which
// cost about a third of the commit rate of one-event transactions in the
// events benchmark (bench/events); far above this project's write rates. A
// service that writes thousands of events a second can drop the trigger in
// its own migration and give its relays a short PollInterval.
var OutboxMigrations = pg.Source{Name: "events_outbox", FS: sub("outbox")}

// ProcessedMigrations creates the processed_events table that IdempotentTx
// uses, in a consuming service's schema.
var ProcessedMigrations = pg.Source{Name: "events_processed", FS: sub("processed")}

// AddToOutbox records evs in the outbox, in the caller's transaction, so
// that they are published if and only if the transaction commits: the way a
// service announces a change to its own data without losing events. The
// relay (Relay) publishes them after the commit, in the order added; an
// insert trigger wakes it at once.
//
// tx must run with the service's schema first in search_path (pg.Open sets
// it). Call AddToOutbox after the writes the events describe: the outbox
// order is the order of these inserts, and a transaction that waited for
// another's row locks then inserts after that one committed, so the events
// of one subject are published in the order their changes committed.
//
// Empty ID and Time are filled in (set ID yourself to know it in advance).
func AddToOutbox(ctx context.Context, tx pgx.Tx, evs ...Event) error {
	const q = `
		INSERT INTO outbox (id, type, app, subject, occurred_at, data, request_id, traceparent)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
	if len(evs) == 0 {
		return nil
	}
	now := time.Now()
	args := make([][]any, len(evs))
	for i := range evs {
		ev := evs[i]
		if err := prepare(ctx, &ev, now); err != nil {
			return errs.Wrap(errs.Invalid, err, "events: add to outbox")
		}
		var data []byte // NULL when empty
		if len(ev.Data) > 0 {
			data = ev.Data
		}
		args[i] = []any{ev.ID, ev.Type, ev.App, ev.Subject, ev.Time, data, ev.RequestID, ev.TraceParent}
	}
	if len(args) == 1 {
		if _, err := tx.Exec(ctx, q, args[0]...); err != nil {
			return fmt.Errorf("events: add to outbox: %w", pg.Err(err))
		}
		return nil
	}
	b := &pgx.Batch{}
	for _, a := range args {
		b.Queue(q, a...)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("events: add %d events to outbox: %w", len(evs), pg.Err(err))
	}
	return nil
}

// TxHandler handles an event inside a Postgres transaction; see IdempotentTx.
type TxHandler func(ctx context.Context, tx pgx.Tx, ev Event) error

// IdempotentTx makes a handler whose effects are Postgres writes take effect
// exactly once. Each delivery runs in one transaction that first inserts
// (scope, event id) into processed_events (ProcessedMigrations), then calls
// h with the transaction: if the row exists the event was processed and h
// is skipped; if h fails everything rolls back, the mark included, and the
// event is retried. There is no crash window: the mark and the effects
// commit together or not at all. h may call AddToOutbox to announce what it
// did, with the same guarantee.
//
// Two concurrent deliveries of one event (a reclaim racing a slow handler)
// are serialized by the primary key: the second waits for the first to
// commit and then skips. scope tells apart the handlers of a service that
// process the same events (usually the consumer group). db's connections
// must have the service's schema in search_path (pg.Open does this).
func IdempotentTx(db pg.Beginner, scope string, h TxHandler) Handler {
	return func(ctx context.Context, ev Event) error {
		return pg.InTx(ctx, db, pgx.TxOptions{}, func(tx pgx.Tx) error {
			const q = `
				INSERT INTO processed_events (scope, event_id) VALUES ($1, $2)
				ON CONFLICT DO NOTHING`
			tag, err := tx.Exec(ctx, q, scope, ev.ID)
			if err != nil {
				return fmt.Errorf("events: mark event %s processed: %w", ev.ID, pg.Err(err))
			}
			if tag.RowsAffected() == 0 {
				return nil // processed before
			}
			return h(ctx, tx, ev)
		})
	}
}

// Execer runs a statement: a pool, a connection or a transaction.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// PruneProcessed deletes the processed_events rows older than age and
// returns how many. Run it now and then (daily) with an age well beyond the
// streams' retention and the outbox backlog: a duplicate older than that
// cannot arrive any more.
func PruneProcessed(ctx context.Context, db Execer, age time.Duration) (int64, error) {
	const q = `DELETE FROM processed_events WHERE processed_at < now() - $1::interval`
	tag, err := db.Exec(ctx, q, age)
	if err != nil {
		return 0, fmt.Errorf("events: prune processed events: %w", pg.Err(err))
	}
	return tag.RowsAffected(), nil
}
