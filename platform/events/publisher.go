package events

import (
	"context"
	"fmt"
	"time"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/redisx"
	"github.com/redis/go-redis/v9"
)

// DefaultMaxLen is how many entries a stream keeps when PublisherConfig
// leaves MaxLen at zero: about a day of the busiest topic at the planned
// scale, a few tens of MB. A consumer group that stays away longer than the
// stream's retention misses the trimmed events.
const DefaultMaxLen = 100_000

// PublisherConfig tunes a Publisher. The zero value is usable.
type PublisherConfig struct {
	// MaxLen caps each stream at about this many entries (XADD MAXLEN ~,
	// which trims whole radix-tree nodes and may keep a few more).
	// Zero means DefaultMaxLen; negative means no trimming.
	MaxLen int64 `env:"EVENTS_STREAM_MAXLEN" envDefault:"100000"`
}

// Publisher appends events to their topics' streams. It is safe for
// concurrent use.
//
// Publishing directly gives at-least-once delivery only from the moment
// Publish returns nil: an event published after a database commit is lost
// if the process dies in between. Services that change their own data and
// announce it use the outbox (AddToOutbox and Relay) instead.
type Publisher struct {
	rdb     redis.Cmdable
	streams Streams
	maxLen  int64
	now     func() time.Time
}

// NewPublisher returns a publisher writing to streams through rdb.
func NewPublisher(rdb redis.Cmdable, streams Streams, cfg PublisherConfig) *Publisher {
	maxLen := cfg.MaxLen
	if maxLen == 0 {
		maxLen = DefaultMaxLen
	}
	return &Publisher{rdb: rdb, streams: streams, maxLen: maxLen, now: time.Now}
}

// Publish appends evs to their streams, in order (several events are sent in
// one pipeline). It fills an empty ID, Time or TraceParent (from ctx's span).
// On error some of the events may have been appended: publishing again is
// safe for idempotent consumers, which is what the relay does.
func (p *Publisher) Publish(ctx context.Context, evs ...Event) error {
	if len(evs) == 0 {
		return nil
	}
	now := p.now()
	args := make([]*redis.XAddArgs, len(evs))
	for i := range evs {
		ev := evs[i]
		if err := prepare(ctx, &ev, now); err != nil {
			return errs.Wrap(errs.Invalid, err, "events: publish")
		}
		args[i] = p.xaddArgs(ev)
	}
	if len(args) == 1 {
		if err := p.rdb.XAdd(ctx, args[0]).Err(); err != nil {
			return fmt.Errorf("events: publish %s: %w", evs[0].Type, redisx.Err(err))
		}
		return nil
	}
	cmds, err := p.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for _, a := range args {
			pipe.XAdd(ctx, a)
		}
		return nil
	})
	if err != nil {
		for _, c := range cmds {
			if c.Err() != nil {
				return fmt.Errorf("events: publish %d events: %w", len(evs), redisx.Err(c.Err()))
			}
		}
		return fmt.Errorf("events: publish %d events: %w", len(evs), redisx.Err(err))
	}
	return nil
}

func (p *Publisher) xaddArgs(ev Event) *redis.XAddArgs {
	a := &redis.XAddArgs{Stream: p.streams.Stream(ev.Topic()), Values: ev.values()}
	if p.maxLen > 0 {
		a.MaxLen, a.Approx = p.maxLen, true
	}
	return a
}
