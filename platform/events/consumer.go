package events

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/redisx"
	"github.com/redis/go-redis/v9"
)

// Handler processes one event. Returning nil acknowledges it; returning an
// error leaves it pending so that it is delivered again later (to this or
// another consumer of the group), until the group's MaxAttempts is reached
// and it moves to the dead letters. A panic counts as an error.
//
// Delivery is at least once: a handler must tolerate seeing an event twice
// (wrap it with Idempotent or IdempotentTx) and, after a failure, seeing
// events of a subject out of order.
type Handler func(ctx context.Context, ev Event) error

// Permanent marks err as not worth retrying: the consumer moves the event to
// the dead letters at once instead of delivering it again.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

type permanentError struct{ error }

func (e permanentError) Unwrap() error { return e.error }

// ConsumerConfig describes one consumer group's subscription. Group and
// Topics are required; the zero value of every other field picks the
// default documented on it.
type ConsumerConfig struct {
	// Group is the consumer group, one per consuming service and purpose
	// ("social" or "social.feed"). Every replica of the service uses the
	// same group; each event reaches one of them.
	Group string
	// Topics are the topics to consume ("member", "post"); one stream each.
	Topics []string
	// Name identifies this process within the group. Default:
	// "<hostname>-<pid>-<random>", fresh for every Consumer.
	Name string
	// FromStart makes a newly created group read the stream's whole history
	// (XGROUP CREATE ... 0) instead of only events added from now on ($).
	// It has no effect on a group that exists already.
	FromStart bool
	// Concurrency is how many events of one stream are handled at once.
	// Events with the same Subject stay in order (they go to the same
	// worker). Default 1: strictly in stream order.
	Concurrency int
	// BatchSize is how many entries one XREADGROUP or XAUTOCLAIM fetches.
	// Default 64.
	BatchSize int
	// MaxAttempts is how many times an event is delivered before it moves
	// to the dead letters. Default 5.
	MaxAttempts int
	// ClaimIdle is how long a delivered event may stay unacknowledged before
	// any consumer of the group claims and retries it: the retry delay after
	// a failure, and how soon the events of a crashed consumer move on. A
	// consumer keeps the events still waiting in its batch fresh every
	// ClaimIdle/4, so only one handler call must fit in it (see
	// HandlerTimeout). Default 1 minute.
	ClaimIdle time.Duration
	// HandlerTimeout bounds the context of one handler call. Default
	// ClaimIdle/2; negative means no timeout (then a handler that outlasts
	// ClaimIdle lets other consumers claim the events after it).
	HandlerTimeout time.Duration
	// Block is how long one XREADGROUP waits for new events; it also bounds
	// how long Run takes to notice a canceled context. Default 1 second.
	Block time.Duration
	// DeadMaxLen caps each dead-letter stream (approximately). Default
	// DefaultMaxLen.
	DeadMaxLen int64
	// Logger receives failures and dead letters. Default slog.Default().
	Logger *slog.Logger
	// Resync, when set, rebuilds the consumer's projection from its source
	// of truth. The consumer calls it when its position is missing from a
	// stream: the group does not exist (Redis restarted empty, the stream
	// was deleted, or the group was never created) or entries after the
	// group's last delivered one were deleted (the stream was trimmed past
	// a lagging group). It notes the stream's last id first, calls Resync,
	// and only then consumes again, from that id: what Resync read covers
	// the events before it. A failing Resync is retried with backoff, and
	// nothing of that stream is consumed meanwhile. When several streams
	// of the consumer lose their position at once, one call serves them
	// all. Resync must be safe to run at any time, in several replicas at
	// once, and with events being consumed.
	//
	// Without Resync, a missing group is created again (at the start of the
	// stream with FromStart, else at its end) and what was lost stays lost.
	Resync func(ctx context.Context) error
}

func (c *ConsumerConfig) setDefaults() error {
	if c.Group == "" {
		return errs.New(errs.Invalid, "events: consumer needs a Group")
	}
	if len(c.Topics) == 0 {
		return errs.New(errs.Invalid, "events: consumer needs at least one topic")
	}
	for _, t := range c.Topics {
		if err := checkTopic(t); err != nil {
			return err
		}
	}
	if c.Name == "" {
		host, _ := os.Hostname()
		if host == "" {
			host = "consumer"
		}
		// Random, not from an id: flake ids of one process share their
		// worker bits, and two consumers of one process need two names.
		c.Name = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), strings.ToLower(rand.Text()[:8]))
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 1
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 64
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	if c.ClaimIdle <= 0 {
		c.ClaimIdle = time.Minute
	}
	if c.HandlerTimeout == 0 {
		c.HandlerTimeout = c.ClaimIdle / 2
	}
	if c.Block <= 0 {
		c.Block = time.Second
	}
	if c.DeadMaxLen == 0 {
		c.DeadMaxLen = DefaultMaxLen
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// Consumer reads a consumer group's topics and hands each event to a
// Handler. Run it in every replica of the consuming service.
//
// How an event flows: XREADGROUP delivers it (delivery 1); success is
// acknowledged (XACK, batched); a failure leaves it pending, and once it has
// been idle for ClaimIdle, XAUTOCLAIM hands it to whichever consumer of the
// group asks first, counting one more delivery. The same reclaim picks up
// the pending events of a consumer that died. An event that reaches
// MaxAttempts deliveries without success, or that cannot be decoded at all,
// is appended to the topic's dead-letter stream (with the error, the
// attempts and the group) and acknowledged, in one MULTI.
type Consumer struct {
	rdb     redis.Cmdable
	streams Streams
	cfg     ConsumerConfig
	handler Handler
	log     *slog.Logger

	resyncMu sync.Mutex
	resynced time.Time // when the last successful Resync began
}

// NewConsumer returns a consumer of cfg.Topics for cfg.Group.
func NewConsumer(rdb redis.Cmdable, streams Streams, cfg ConsumerConfig, h Handler) (*Consumer, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, errs.New(errs.Invalid, "events: consumer needs a handler")
	}
	return &Consumer{
		rdb:     rdb,
		streams: streams,
		cfg:     cfg,
		handler: h,
		log:     cfg.Logger.With("group", cfg.Group, "consumer", cfg.Name),
	}, nil
}

// Name is the consumer's name within its group.
func (c *Consumer) Name() string { return c.cfg.Name }

// Setup creates the group on every topic's stream (and the stream itself)
// unless it exists. With a Resync, a stream on which the group's position
// is missing is resynced first (one attempt). It is idempotent; Run calls
// it.
func (c *Consumer) Setup(ctx context.Context) error {
	for _, t := range c.cfg.Topics {
		stream := c.streams.Stream(t)
		if c.cfg.Resync == nil {
			if err := c.createGroup(ctx, stream); err != nil {
				return err
			}
			continue
		}
		if err := c.ensurePosition(ctx, stream, c.log.With("stream", stream)); err != nil {
			return err
		}
	}
	return nil
}

// ensurePosition checks that the group's position is in stream and, when
// it is not, resyncs and sets it (see ConsumerConfig.Resync).
func (c *Consumer) ensurePosition(ctx context.Context, stream string, log *slog.Logger) error {
	lost, why, err := c.positionLost(ctx, stream)
	if err != nil || !lost {
		return err
	}
	log.Warn("events: the group's position is missing from the stream; resyncing the projection from its source", "why", why)
	return c.recoverPosition(ctx, stream, log)
}

// positionLost reports whether the group's position is missing from
// stream, and why: no stream, no group, or entries after the group's last
// delivered one gone: trimmed (the group's lag, the entries added after its
// position, exceeds the stream's length) or deleted (XINFO STREAM's
// max-deleted-entry-id is after the position). Both need Redis 7.
func (c *Consumer) positionLost(ctx context.Context, stream string) (bool, string, error) {
	var (
		info   *redis.XInfoStreamCmd
		groups *redis.XInfoGroupsCmd
	)
	_, _ = c.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		info = pipe.XInfoStream(ctx, stream)
		groups = pipe.XInfoGroups(ctx, stream)
		return nil
	})
	if err := info.Err(); err != nil {
		if noSuchKey(err) {
			return true, "no stream", nil
		}
		return false, "", fmt.Errorf("events: read stream %s: %w", stream, redisx.Err(err))
	}
	gs, err := groups.Result()
	if err != nil {
		return false, "", fmt.Errorf("events: read groups of %s: %w", stream, redisx.Err(err))
	}
	st := info.Val()
	for _, g := range gs {
		if g.Name != c.cfg.Group {
			continue
		}
		switch {
		case g.Lag >= 0 && g.Lag > st.Length:
			// More entries were added after the group's position than the
			// stream holds: it was trimmed past the group.
			return true, fmt.Sprintf("trimmed past the group (%d entries not read, %d in the stream)", g.Lag, st.Length), nil
		case idLess(g.LastDeliveredID, st.MaxDeletedEntryID):
			return true, fmt.Sprintf("entries after %s deleted (up to %s)", g.LastDeliveredID, st.MaxDeletedEntryID), nil
		}
		return false, "", nil
	}
	return true, "no group", nil
}

// recoverPosition notes the stream's last id (its start when nothing was
// ever removed from it), resyncs, and sets the group's position to that
// id: creates the group there, or moves an existing group forward to it
// (never back).
func (c *Consumer) recoverPosition(ctx context.Context, stream string, log *slog.Logger) error {
	seen := time.Now()
	note := "0-0"
	info, err := c.rdb.XInfoStream(ctx, stream).Result()
	switch {
	case err == nil && info.EntriesAdded == info.Length:
		// The stream holds every entry ever added to it (nothing trimmed
		// or deleted): producers published before the group was made (a
		// first start, or after Redis came back empty). Read them all
		// after the resync: the source may not hold what they carry
		// (handlers are idempotent, and the stream's order ends each
		// subject at its last event).
	case err == nil:
		note = info.LastGeneratedID
	case !noSuchKey(err):
		return fmt.Errorf("events: read stream %s: %w", stream, redisx.Err(err))
	}
	began, ran, err := c.resync(ctx, seen)
	if err != nil {
		return fmt.Errorf("events: resync of group %s: %w", c.cfg.Group, err)
	}
	if ran {
		log.Info("events: resynced the projection from its source", "took", time.Since(began).Round(time.Millisecond))
	}
	err = c.rdb.XGroupCreateMkStream(ctx, stream, c.cfg.Group, note).Err()
	if err == nil {
		log.Info("events: consuming again after the resync", "from", note)
		return nil
	}
	if !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("events: create group %s on %s: %w", c.cfg.Group, stream, redisx.Err(err))
	}
	// The group exists: trimmed past it, or another replica created it.
	gs, err := c.rdb.XInfoGroups(ctx, stream).Result()
	if err != nil {
		return fmt.Errorf("events: read groups of %s: %w", stream, redisx.Err(err))
	}
	for _, g := range gs {
		if g.Name == c.cfg.Group && idLess(g.LastDeliveredID, note) {
			if err := c.rdb.XGroupSetID(ctx, stream, c.cfg.Group, note).Err(); err != nil {
				return fmt.Errorf("events: move group %s on %s: %w", c.cfg.Group, stream, redisx.Err(err))
			}
			log.Info("events: consuming again after the resync", "from", note)
		}
	}
	return nil
}

// resync calls the Resync hook unless a call that began after seen has
// succeeded already (another stream of this consumer asked first). It
// reports when the call began and whether it ran.
func (c *Consumer) resync(ctx context.Context, seen time.Time) (time.Time, bool, error) {
	c.resyncMu.Lock()
	defer c.resyncMu.Unlock()
	if c.resynced.After(seen) {
		return c.resynced, false, nil
	}
	began := time.Now()
	if err := c.cfg.Resync(ctx); err != nil {
		return began, true, err
	}
	c.resynced = began
	return began, true, nil
}

// noSuchKey reports whether err is Redis's answer about a missing key.
func noSuchKey(err error) bool {
	return err != nil && strings.Contains(err.Error(), "no such key")
}

// idLess reports whether stream id a comes before b ("<ms>-<seq>"; an
// empty or malformed id counts as 0-0).
func idLess(a, b string) bool {
	am, as := parseID(a)
	bm, bs := parseID(b)
	return am < bm || (am == bm && as < bs)
}

func parseID(id string) (ms, seq uint64) {
	m, s, _ := strings.Cut(id, "-")
	ms, _ = strconv.ParseUint(m, 10, 64)
	seq, _ = strconv.ParseUint(s, 10, 64)
	return ms, seq
}

func (c *Consumer) createGroup(ctx context.Context, stream string) error {
	start := "$"
	if c.cfg.FromStart {
		start = "0"
	}
	err := c.rdb.XGroupCreateMkStream(ctx, stream, c.cfg.Group, start).Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("events: create group %s on %s: %w", c.cfg.Group, stream, redisx.Err(err))
	}
	return nil
}

// Run consumes until ctx is canceled, then finishes the events in hand
// (their handlers get a context that is not canceled), acknowledges them,
// leaves the group if nothing is pending for it, and returns nil. Redis
// failures are logged and retried with backoff; Run returns an error only
// when the groups cannot be set up.
func (c *Consumer) Run(ctx context.Context) error {
	warnIfNotPersistent(ctx, c.rdb, c.log)
	if c.cfg.Resync == nil {
		// With a Resync, each stream's loop sets itself up, retrying.
		if err := c.Setup(ctx); err != nil {
			return err
		}
	}
	var wg sync.WaitGroup
	for _, t := range c.cfg.Topics {
		wg.Go(func() { c.consume(ctx, t) })
	}
	wg.Wait()
	return nil
}

// delivery is one stream entry handed to this consumer.
type delivery struct {
	msg      redis.XMessage
	attempts int64 // deliveries so far, this one included
}

// consume runs the read/claim loop of one stream until ctx is done.
func (c *Consumer) consume(ctx context.Context, topic string) {
	stream := c.streams.Stream(topic)
	log := c.log.With("stream", stream)
	var (
		cursor    = "0-0"
		nextClaim time.Time // zero: claim at once, picking up what a previous run left
		failures  int
	)
	pause := func(err error, what string) {
		failures++
		d := backoff(failures)
		log.Warn("events: "+what+" failed, retrying", "error", err, "in", d)
		sleep(ctx, d)
	}
	for ctx.Err() == nil {
		if c.cfg.Resync != nil {
			// Before every read: a read after a loss would hide it.
			if err := c.ensurePosition(ctx, stream, log); err != nil {
				if ctx.Err() == nil {
					pause(err, "resync")
				}
				continue
			}
		}
		if !time.Now().Before(nextClaim) {
			ds, next, err := c.claim(ctx, stream, cursor)
			if err != nil {
				if ctx.Err() == nil {
					pause(err, "claim")
				}
				continue
			}
			failures = 0
			cursor = next
			if len(ds) > 0 {
				c.process(ctx, topic, stream, ds)
			}
			if len(ds) < c.cfg.BatchSize {
				// No backlog of idle entries (or a pass over the pending
				// list is done, at "0-0"): read new events until the next
				// claim, resuming the pass where it stopped.
				nextClaim = time.Now().Add(c.claimInterval())
			}
			continue
		}
		res, err := c.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group:    c.cfg.Group,
			Consumer: c.cfg.Name,
			Streams:  []string{stream, ">"},
			Count:    int64(c.cfg.BatchSize),
			Block:    c.cfg.Block,
		}).Result()
		switch {
		case errors.Is(err, redis.Nil):
			continue
		case err != nil && ctx.Err() != nil:
			continue
		case err != nil && strings.HasPrefix(err.Error(), "NOGROUP"):
			// The stream or the group was deleted under us.
			if c.cfg.Resync == nil {
				log.Warn("events: the group is gone from the stream; creating it again without a resync (events may be lost)")
				if err := c.createGroup(ctx, stream); err != nil {
					pause(err, "recreate group")
				}
			}
			continue // with a Resync, the check before the next read resyncs
		case err != nil:
			pause(err, "read")
			continue
		}
		failures = 0
		var ds []delivery
		for _, s := range res {
			for _, m := range s.Messages {
				ds = append(ds, delivery{msg: m, attempts: 1})
			}
		}
		c.process(ctx, topic, stream, ds)
	}
	c.leave(stream, log)
}

// claimInterval is how often a consumer looks for idle pending entries.
func (c *Consumer) claimInterval() time.Duration {
	return max(c.cfg.ClaimIdle/4, 10*time.Millisecond)
}

// claim takes over up to BatchSize entries that have been pending for at
// least ClaimIdle (XAUTOCLAIM, which also counts a delivery) and reads how
// many times each has been delivered (XPENDING of each id, pipelined).
func (c *Consumer) claim(ctx context.Context, stream, cursor string) ([]delivery, string, error) {
	msgs, next, err := c.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
		Stream:   stream,
		Group:    c.cfg.Group,
		Consumer: c.cfg.Name,
		MinIdle:  c.cfg.ClaimIdle,
		Start:    cursor,
		Count:    int64(c.cfg.BatchSize),
	}).Result()
	if err != nil {
		if strings.HasPrefix(err.Error(), "NOGROUP") {
			if c.cfg.Resync == nil {
				if err := c.createGroup(ctx, stream); err != nil {
					return nil, cursor, err
				}
			}
			return nil, "0-0", nil
		}
		return nil, cursor, err
	}
	if len(msgs) == 0 {
		return nil, next, nil
	}
	cmds, err := c.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for _, m := range msgs {
			pipe.XPendingExt(ctx, &redis.XPendingExtArgs{
				Stream: stream, Group: c.cfg.Group, Start: m.ID, End: m.ID, Count: 1,
			})
		}
		return nil
	})
	if err != nil {
		// The entries are ours now; they come back after ClaimIdle.
		return nil, next, err
	}
	ds := make([]delivery, 0, len(msgs))
	for i, m := range msgs {
		p := cmds[i].(*redis.XPendingExtCmd).Val()
		if len(p) == 0 {
			continue // acknowledged since the claim: handled after all
		}
		ds = append(ds, delivery{msg: m, attempts: p[0].RetryCount})
	}
	return ds, next, nil
}

// process handles a batch of deliveries, at most Concurrency at a time with
// the events of one subject in order, and acknowledges the successes in one
// XACK at the end. Handlers run under a context that outlives ctx's
// cancelation: a stopping consumer finishes what it has read.
//
// A long batch stays this consumer's: every ClaimIdle/4 a lane acknowledges
// what it has handled so far and keeps the events still waiting in it (see
// keep), so that no other consumer claims them as a dead consumer's and
// handles them twice.
func (c *Consumer) process(ctx context.Context, topic, stream string, ds []delivery) {
	ctx = context.WithoutCancel(ctx)
	var (
		mu    sync.Mutex
		acked = make([]string, 0, len(ds))
	)
	run := func(lane []delivery) {
		held := time.Now()
		var handled []string // not yet acknowledged
		for i, d := range lane {
			if time.Since(held) > c.cfg.ClaimIdle/4 {
				c.keep(ctx, stream, handled, lane[i:])
				handled, held = handled[:0], time.Now()
			}
			if c.handle(ctx, topic, stream, d) {
				handled = append(handled, d.msg.ID)
			}
		}
		mu.Lock()
		acked = append(acked, handled...)
		mu.Unlock()
	}
	if c.cfg.Concurrency == 1 || len(ds) == 1 {
		run(ds)
	} else {
		lanes := make([][]delivery, c.cfg.Concurrency)
		for _, d := range ds {
			i := laneOf(d.msg, len(lanes))
			lanes[i] = append(lanes[i], d)
		}
		var wg sync.WaitGroup
		for _, lane := range lanes {
			if len(lane) > 0 {
				wg.Go(func() { run(lane) })
			}
		}
		wg.Wait()
	}
	if len(acked) == 0 {
		return
	}
	if err := c.rdb.XAck(ctx, stream, c.cfg.Group, acked...).Err(); err != nil {
		// Handled but not acknowledged: they will be delivered again, and an
		// idempotent handler skips them.
		c.log.Warn("events: ack failed", "stream", stream, "error", err, "entries", len(acked))
	}
}

// keep, in one round trip, acknowledges the events of a batch handled so
// far and resets the idle time of those still waiting their turn: XCLAIM
// to this consumer, JUSTID (the delivery count stays the same), only of
// entries idle for ClaimIdle/4 at least, which leaves alone an entry
// another consumer took meanwhile (its claim made it fresh). Failed events
// are in neither list: they go idle and are retried after ClaimIdle.
func (c *Consumer) keep(ctx context.Context, stream string, handled []string, waiting []delivery) {
	ids := make([]string, len(waiting))
	for i, d := range waiting {
		ids[i] = d.msg.ID
	}
	_, err := c.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		if len(handled) > 0 {
			pipe.XAck(ctx, stream, c.cfg.Group, handled...)
		}
		pipe.XClaimJustID(ctx, &redis.XClaimArgs{
			Stream: stream, Group: c.cfg.Group, Consumer: c.cfg.Name,
			MinIdle: c.cfg.ClaimIdle / 4, Messages: ids,
		})
		return nil
	})
	if err != nil {
		c.log.Warn("events: could not keep the rest of a batch; other consumers may claim it", "stream", stream, "error", err, "entries", len(ids))
	}
}

// laneOf picks a worker by subject, so that one subject's events stay in
// order; entries without a subject spread by id.
func laneOf(m redis.XMessage, n int) int {
	key, _ := m.Values[fSubject].(string)
	if key == "" {
		key = m.ID
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % uint32(n))
}

// handle runs the handler on one delivery and reports whether the entry is
// to be acknowledged. Dead letters are acknowledged by deadLetter itself.
func (c *Consumer) handle(ctx context.Context, topic, stream string, d delivery) bool {
	ev, err := decode(d.msg.Values)
	if err != nil {
		c.deadLetter(ctx, topic, stream, d, fmt.Errorf("undecodable entry: %w", err))
		return false
	}
	if d.attempts > int64(c.cfg.MaxAttempts) {
		// Earlier deliveries never reported back: the consumer died or hung
		// while handling it, perhaps because of this very event.
		c.deadLetter(ctx, topic, stream, d, fmt.Errorf("delivered %d times without an outcome (consumer crashed or timed out)", d.attempts-1))
		return false
	}
	err = c.call(ctx, ev)
	if err == nil {
		return true
	}
	var perm permanentError
	if errors.As(err, &perm) || d.attempts >= int64(c.cfg.MaxAttempts) {
		c.deadLetter(ctx, topic, stream, d, err)
		return false
	}
	c.log.WarnContext(handlerContext(ctx, ev), "events: handler failed, will retry",
		"stream", stream, "entry", d.msg.ID, "event", ev.ID, "type", ev.Type,
		"attempt", d.attempts, "max_attempts", c.cfg.MaxAttempts, "error", err)
	return false
}

// call runs the handler with the event's trace context and the handler
// timeout, turning a panic into an error.
func (c *Consumer) call(ctx context.Context, ev Event) (err error) {
	ctx = handlerContext(ctx, ev)
	if c.cfg.HandlerTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.HandlerTimeout)
		defer cancel()
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panic: %v", r)
		}
	}()
	return c.handler(ctx, ev)
}

// Dead-letter entry fields, added to the original entry's fields.
const (
	fDeadEntry    = "dead_entry"
	fDeadGroup    = "dead_group"
	fDeadConsumer = "dead_consumer"
	fDeadError    = "dead_error"
	fDeadAttempts = "dead_attempts"
	fDeadAt       = "dead_at"
)

// deadLetter appends the entry, with why it failed, to the topic's
// dead-letter stream and acknowledges it, atomically. If that fails the
// entry stays pending and comes back after ClaimIdle.
func (c *Consumer) deadLetter(ctx context.Context, topic, stream string, d delivery, cause error) {
	vals := make([]any, 0, 2*len(d.msg.Values)+12)
	for k, v := range d.msg.Values {
		vals = append(vals, k, v)
	}
	vals = append(vals,
		fDeadEntry, d.msg.ID,
		fDeadGroup, c.cfg.Group,
		fDeadConsumer, c.cfg.Name,
		fDeadError, cause.Error(),
		fDeadAttempts, strconv.FormatInt(d.attempts, 10),
		fDeadAt, time.Now().UTC().Format(time.RFC3339Nano),
	)
	dead := c.streams.Dead(topic)
	_, err := c.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		a := &redis.XAddArgs{Stream: dead, Values: vals}
		if c.cfg.DeadMaxLen > 0 {
			a.MaxLen, a.Approx = c.cfg.DeadMaxLen, true
		}
		pipe.XAdd(ctx, a)
		pipe.XAck(ctx, stream, c.cfg.Group, d.msg.ID)
		return nil
	})
	if err != nil {
		c.log.Error("events: moving to dead letters failed, will retry", "stream", stream, "entry", d.msg.ID, "error", err)
		return
	}
	id, _ := d.msg.Values[fID].(string)
	typ, _ := d.msg.Values[fType].(string)
	c.log.Error("events: moved to dead letters",
		"stream", stream, "dead", dead, "entry", d.msg.ID, "event", id, "type", typ,
		"attempts", d.attempts, "error", cause)
}

// leave removes this consumer from the group when nothing is pending for
// it, so that groups do not collect the names of every past process. With
// entries still pending it stays, and another consumer claims them.
func (c *Consumer) leave(stream string, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	consumers, err := c.rdb.XInfoConsumers(ctx, stream, c.cfg.Group).Result()
	if err != nil {
		return
	}
	for _, cons := range consumers {
		if cons.Name == c.cfg.Name && cons.Pending == 0 {
			if err := c.rdb.XGroupDelConsumer(ctx, stream, c.cfg.Group, c.cfg.Name).Err(); err != nil {
				log.Warn("events: leaving the group failed", "error", err)
			}
		}
	}
}

// backoff is the pause after n consecutive failures: 100ms doubling to 5s.
func backoff(n int) time.Duration {
	d := 100 * time.Millisecond << min(n-1, 6)
	return min(d, 5*time.Second)
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
