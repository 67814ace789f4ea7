package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/redisx"
	"github.com/redis/go-redis/v9"
)

// Store remembers which events a handler has processed, for Idempotent.
type Store interface {
	// Begin reserves the event id for processing. It reports done when the
	// event was processed already; an error of kind errs.Conflict when
	// another consumer is processing it right now.
	Begin(ctx context.Context, id string) (done bool, err error)
	// Done records the event as processed.
	Done(ctx context.Context, id string) error
	// Abort gives up the reservation after a failure, so that the next
	// delivery processes the event.
	Abort(ctx context.Context, id string) error
}

// Idempotent wraps h so that an event id it processed successfully is not
// processed again: a redelivery (after a consumer crash, a lost ack, or a
// relay that published twice) is acknowledged without calling h.
//
// The guarantee is as strong as the store: with RedisStore, h's effects and
// the "done" mark are two separate writes (see RedisStore for the window
// between them). When h writes to Postgres, IdempotentTx makes the effect
// exactly once.
func Idempotent(store Store, h Handler) Handler {
	return func(ctx context.Context, ev Event) error {
		done, err := store.Begin(ctx, ev.ID)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		if err := h(ctx, ev); err != nil {
			if aerr := store.Abort(context.WithoutCancel(ctx), ev.ID); aerr != nil {
				// The reservation expires by itself; until then a
				// redelivery is told the event is busy.
				return errors.Join(err, aerr)
			}
			return err
		}
		// h succeeded: a failure to record it does not undo that, and the
		// event must be acknowledged. The reservation expires and a rare
		// later duplicate would run h again.
		_ = store.Done(context.WithoutCancel(ctx), ev.ID)
		return nil
	}
}

// RedisStoreConfig tunes a RedisStore. The zero value is usable.
type RedisStoreConfig struct {
	// TTL is how long a processed event is remembered: longer than any
	// redelivery or outbox duplicate can come late. Default 24 hours.
	TTL time.Duration
	// Lease is how long a reservation holds while the handler runs; a
	// crashed consumer's reservation expires after it. Keep it at least the
	// handler timeout and below the consumer's ClaimIdle, so that a
	// reclaimed event finds it expired. Default 30 seconds.
	Lease time.Duration
}

// RedisStore is a Store in Redis: one key per processed event,
//
//	<keys>:processed:<scope>:<event id>   "running" while reserved, then "done"
//
// Begin is SET NX with the lease as expiry (with GET, one round trip); Done
// overwrites the value with "done" and the TTL; Abort deletes the key.
//
// The crash windows, for a consumer that dies:
//   - before or while the handler runs: the reservation expires after Lease;
//     the redelivery (after ClaimIdle) processes the event. No duplicate if
//     the handler had no effect yet; a partial effect is redone.
//   - after the handler succeeded, before Done: the effect happened but is
//     not recorded; after Lease the redelivery runs the handler again. This
//     is the one window where an effect can happen twice: it cannot close
//     while the effect and the mark live in different stores. Handlers with
//     naturally idempotent effects (SET, SADD, upserts) do not mind; others
//     use IdempotentTx.
//   - after Done, before the ack: the redelivery is skipped and acknowledged.
//
// While a reservation is held, a second delivery of the same event (a
// reclaim racing a slow handler, or a duplicate processed by another
// replica) gets errs.Conflict and is retried later, so the handler never
// runs twice at once for one event.
type RedisStore struct {
	rdb   redis.Cmdable
	keys  redisx.Keys
	scope string
	ttl   time.Duration
	lease time.Duration
}

// NewRedisStore returns a store under keys (the consuming service's key
// builder) for scope, which tells apart the handlers of one service that
// process the same events (usually the consumer group name).
func NewRedisStore(rdb redis.Cmdable, keys redisx.Keys, scope string, cfg RedisStoreConfig) *RedisStore {
	if cfg.TTL <= 0 {
		cfg.TTL = 24 * time.Hour
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 30 * time.Second
	}
	return &RedisStore{rdb: rdb, keys: keys, scope: scope, ttl: cfg.TTL, lease: cfg.Lease}
}

var _ Store = (*RedisStore)(nil)

const (
	markRunning = "running"
	markDone    = "done"
)

func (s *RedisStore) key(id string) string { return s.keys.Key("processed", s.scope, id) }

// Begin implements Store.
func (s *RedisStore) Begin(ctx context.Context, id string) (bool, error) {
	old, err := s.rdb.SetArgs(ctx, s.key(id), markRunning, redis.SetArgs{Mode: "NX", Get: true, TTL: s.lease}).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return false, nil // reserved
	case err != nil:
		return false, fmt.Errorf("events: reserve event %s: %w", id, redisx.Err(err))
	case old == markDone:
		return true, nil
	default:
		return false, errs.New(errs.Conflict, "events: event %s is being processed by another consumer", id)
	}
}

// Done implements Store.
func (s *RedisStore) Done(ctx context.Context, id string) error {
	if err := s.rdb.Set(ctx, s.key(id), markDone, s.ttl).Err(); err != nil {
		return fmt.Errorf("events: mark event %s done: %w", id, redisx.Err(err))
	}
	return nil
}

// abortScript deletes a reservation, but never a "done" mark (which another
// consumer may have written after our lease expired).
var abortScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// Abort implements Store.
func (s *RedisStore) Abort(ctx context.Context, id string) error {
	if err := abortScript.Run(ctx, s.rdb, []string{s.key(id)}, markRunning).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("events: release event %s: %w", id, redisx.Err(err))
	}
	return nil
}
