package pg

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/attendify/platform/errs"
	"github.com/jackc/pgx/v5"
)

// Beginner starts transactions: a *pgxpool.Pool or a *pgx.Conn.
type Beginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// MaxTxAttempts bounds how many times InTx runs a closure that keeps failing
// with a serialization failure or a deadlock.
const MaxTxAttempts = 10

// InTx runs fn in a transaction and commits it. If fn returns an error (or
// panics) the transaction is rolled back and the error returned unchanged.
//
// When the transaction fails with a serialization failure (40001) or a
// deadlock (40P01), in fn or at commit, the whole closure runs again in a
// new transaction after a short jittered backoff, up to MaxTxAttempts times
// and never past ctx's deadline. fn must therefore have no effects outside
// the transaction (or only idempotent ones). When the attempts are used up
// the error is of kind errs.Conflict.
//
// Begin and commit errors are translated with Err.
func InTx(ctx context.Context, db Beginner, opts pgx.TxOptions, fn func(pgx.Tx) error) error {
	backoff := 2 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := runTx(ctx, db, opts, fn)
		if err == nil || !retryable(err) {
			return err
		}
		if attempt == MaxTxAttempts {
			return errs.Wrap(errs.Conflict, err, "conflicting concurrent change (gave up after %d attempts)", attempt)
		}
		// Full jitter: sleep a random time up to the current cap, so that
		// the transactions that collided do not collide again in lockstep.
		t := time.NewTimer(rand.N(backoff) + time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("pg: gave up retrying a transaction (%v): %w", err, ctx.Err())
		case <-t.C:
		}
		backoff = min(2*backoff, 250*time.Millisecond)
	}
}

func runTx(ctx context.Context, db Beginner, opts pgx.TxOptions, fn func(pgx.Tx) error) (err error) {
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return Err(err)
	}
	defer func() {
		p := recover()
		if p != nil || err != nil {
			// Rolling back a failed transaction is harmless; use a context
			// that outlives a canceled ctx so that the connection goes back
			// to the pool clean.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			_ = tx.Rollback(rctx)
			cancel()
		}
		if p != nil {
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return Err(err)
	}
	return nil
}
