package events

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/pg"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// EventPublisher is what the relay publishes through: a *Publisher.
type EventPublisher interface {
	Publish(ctx context.Context, evs ...Event) error
}

// Relay publishes a service's outbox (AddToOutbox) to the streams. Run one
// in every replica of the producing service: they share the work safely.
//
// Each round is one transaction: take up to BatchSize of the oldest rows out
// of the outbox (DELETE ... RETURNING of rows selected ORDER BY seq ... FOR
// UPDATE SKIP LOCKED), publish them in order in one pipeline, commit. A
// relay that dies before the commit leaves the rows for the next round, so
// nothing committed is lost; one that dies after publishing and before the
// commit gets those events published again later, which is why consumers
// are idempotent (Idempotent, IdempotentTx). A publish that fails, even for
// part of the batch (the pipeline's other events appended), rolls the round
// back the same way: the rows stay, the whole batch goes again after a
// backoff, and the events of it that did go out are then in their streams
// twice. In the default ordered mode nothing after a failing batch is
// published before it.
//
// By default one relay at a time publishes a schema's outbox (each round
// takes a transaction-level advisory lock, and a relay that finds it taken
// waits for the next wake-up), which keeps events in outbox order across
// rounds and replicas. Parallel lets replicas publish different batches at
// once, for throughput, at the cost of that order between batches.
//
// The relay wakes on the outbox's NOTIFY (sent by an insert trigger at
// commit) on a dedicated connection, and polls every PollInterval as well,
// in case a notification is lost while that connection reconnects.
type Relay struct {
	// Pool is the producing service's pool.
	Pool *pgxpool.Pool
	// Publisher publishes the events, usually a *Publisher.
	Publisher EventPublisher
	// Schema holds the outbox table; default the pool's current schema
	// (the first in its search_path).
	Schema string
	// BatchSize is the most events one round publishes. Default 256.
	BatchSize int
	// PollInterval is how often the relay looks at the outbox without a
	// notification. Default 2 seconds.
	PollInterval time.Duration
	// Parallel lets several relays publish at once; see above.
	Parallel bool
	// Logger receives failures. Default slog.Default().
	Logger *slog.Logger

	// hook, when set (by tests), is called at the named points of a round:
	// "claimed" (rows taken in the open transaction, nothing published) and
	// "published" (events in the streams, transaction not committed).
	hook func(point string)
}

// Run relays until ctx is canceled, then finishes the round in progress
// and returns nil. Failures (Postgres or Redis down) are logged and
// retried with backoff; Run returns an error only for a bad configuration.
func (r *Relay) Run(ctx context.Context) error {
	if r.Pool == nil || r.Publisher == nil {
		return errs.New(errs.Invalid, "events: relay needs a Pool and a Publisher")
	}
	batch, poll, log := r.BatchSize, r.PollInterval, r.Logger
	if batch <= 0 {
		batch = 256
	}
	if poll <= 0 {
		poll = 2 * time.Second
	}
	if log == nil {
		log = slog.Default()
	}
	schema, err := r.schema(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting: a stop, as in the loop below
		}
		return err
	}
	log = log.With("outbox", schema+".outbox")
	if p, ok := r.Publisher.(*Publisher); ok {
		warnIfNotPersistent(ctx, p.rdb, log)
	}
	table := pgx.Identifier{schema, "outbox"}.Sanitize()
	lock := relayLockKey(schema)

	wake := make(chan struct{}, 1)
	lctx, stopListening := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { r.listen(lctx, "outbox."+schema, wake, log) })
	defer wg.Wait()
	defer stopListening()

	timer := time.NewTimer(poll)
	defer timer.Stop()
	for failures := 0; ctx.Err() == nil; {
		began := time.Now()
		n, err := r.round(ctx, table, lock, batch)
		if err != nil {
			failures++
			d := backoff(failures)
			log.Warn("events: relay round failed, retrying", "error", err, "in", d)
			sleep(ctx, d)
			continue
		}
		failures = 0
		if n == batch {
			continue // more waiting
		}
		timer.Reset(poll)
		select {
		case <-ctx.Done():
		case <-wake:
			// Under a stream of commits every one of them wakes the relay:
			// gather what arrives within coalesce of the last round into
			// the next one, instead of a round per commit.
			sleep(ctx, coalesce-time.Since(began))
		case <-timer.C:
		}
	}
	return nil
}

// coalesce is the shortest time between the starts of two rounds woken by
// notifications: at most this much latency, and only when events keep
// coming, for rounds that carry many events instead of one.
const coalesce = 5 * time.Millisecond

// schema is r.Schema, or the pool's current schema.
func (r *Relay) schema(ctx context.Context) (string, error) {
	if r.Schema != "" {
		return r.Schema, nil
	}
	var s *string
	if err := r.Pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&s); err != nil {
		return "", fmt.Errorf("events: relay: find the outbox schema: %w", pg.Err(err))
	}
	if s == nil {
		return "", errs.New(errs.Invalid, "events: relay: the pool has no current schema; set Relay.Schema")
	}
	return *s, nil
}

// relayLockKey is the advisory lock that lets one relay at a time publish
// a schema's outbox.
func relayLockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("attendify/events.Relay\x00" + schema))
	return int64(h.Sum64())
}

// round publishes one batch and returns its size. It runs to the end even
// if ctx is canceled meanwhile, so that a stopping relay does not leave
// published events behind in the outbox.
func (r *Relay) round(ctx context.Context, table string, lock int64, batch int) (int, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	// One statement takes the round's rows out of the outbox (the DELETE
	// is undone if the transaction does not commit), after
	//   - taking the advisory lock, unless Parallel: no rows without it;
	//   - turning off synchronous_commit for this transaction: if a crash
	//     loses the commit, the rows come back and are published again,
	//     which consumers tolerate, and the relay saves a WAL flush per
	//     round for the writers.
	q := `
		WITH round AS (
			SELECT set_config('synchronous_commit', 'off', true) AS sc,
			       CASE WHEN $1 THEN true ELSE pg_try_advisory_xact_lock($2) END AS ours
		), claimed AS (
			SELECT seq FROM ` + table + `
			WHERE (SELECT ours FROM round)
			ORDER BY seq
			LIMIT $3
			FOR UPDATE SKIP LOCKED
		)
		DELETE FROM ` + table + ` o USING claimed c
		WHERE o.seq = c.seq
		RETURNING o.seq, o.id, o.type, o.app, o.subject, o.occurred_at, o.data, o.request_id, o.traceparent`
	var n int
	err := pg.InTx(ctx, r.Pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		n = 0
		// Planned on each round (not a cached prepared statement): a plan
		// made while the outbox was nearly empty reads the whole table,
		// and under a backlog of a million events (a bulk import) that
		// cost the database more than the writers' own work. The planner
		// sees the table's current size; no ANALYZE needed.
		rows, err := tx.Query(ctx, q, pgx.QueryExecModeExec, r.Parallel, lock, batch)
		if err != nil {
			return pg.Err(err)
		}
		type row struct {
			seq int64
			ev  Event
		}
		var claimed []row
		for rows.Next() {
			var (
				x    row
				data []byte
			)
			if err := rows.Scan(&x.seq, &x.ev.ID, &x.ev.Type, &x.ev.App, &x.ev.Subject, &x.ev.Time, &data, &x.ev.RequestID, &x.ev.TraceParent); err != nil {
				rows.Close()
				return pg.Err(err)
			}
			x.ev.Data = data
			claimed = append(claimed, x)
		}
		if err := rows.Err(); err != nil {
			return pg.Err(err)
		}
		if len(claimed) == 0 {
			return nil
		}
		// RETURNING has no order: restore the outbox's.
		slices.SortFunc(claimed, func(a, b row) int { return cmp.Compare(a.seq, b.seq) })
		evs := make([]Event, len(claimed))
		for i, x := range claimed {
			evs[i] = x.ev
		}
		r.at("claimed")
		if err := r.Publisher.Publish(ctx, evs...); err != nil {
			return err
		}
		r.at("published")
		n = len(evs)
		return nil
	})
	return n, err
}

func (r *Relay) at(point string) {
	if r.hook != nil {
		r.hook(point)
	}
}

// listen holds a connection that LISTENs on the outbox's channel and turns
// each notification into a wake-up, reconnecting with backoff.
func (r *Relay) listen(ctx context.Context, channel string, wake chan<- struct{}, log *slog.Logger) {
	for failures := 0; ctx.Err() == nil; {
		err := r.listenOnce(ctx, channel, wake)
		if ctx.Err() != nil {
			return
		}
		failures++
		d := backoff(failures)
		log.Warn("events: relay lost its LISTEN connection, polling meanwhile", "error", err, "in", d)
		sleep(ctx, d)
	}
}

func (r *Relay) listenOnce(ctx context.Context, channel string, wake chan<- struct{}) error {
	pc, err := r.Pool.Acquire(ctx)
	if err != nil {
		return pg.Err(err)
	}
	conn := pc.Hijack() // a LISTENing connection must not go back to the pool
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return pg.Err(err)
	}
	signal(wake) // anything committed while we were not listening
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return pg.Err(err)
		}
		signal(wake)
	}
}

// signal posts a wake-up unless one is pending already.
func signal(wake chan<- struct{}) {
	select {
	case wake <- struct{}{}:
	default:
	}
}
