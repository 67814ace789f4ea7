package auth

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/attendify/platform/redisx"
	"github.com/redis/go-redis/v9"
)

// RedisNonces is a NonceStore in Redis: one key per nonce, set with
// SET key 1 NX PX ttl, so the first writer wins and the key expires by
// itself. Every service of a deployment should use the same namespace and
// Redis, so that a call captured on its way to one service cannot be
// replayed to another.
//
// Its memory begins when Redis's does: next to the nonces it keeps an epoch,
// the unix second before which calls are refused as stale (StaleError). When
// the epoch key is missing (Redis restarted empty, was flushed, or this is
// the first call ever), the check that finds it missing writes it from
// Redis's own clock: the later of one second before now, and the second
// after Redis started. So after a restart every call signed up to the start
// (whose nonce Redis may have lost) is refused, including those signed in
// the second Redis started, since timestamps are whole seconds; on a Redis
// that has run for a while, a new epoch refuses only what was signed more
// than a second before it was written. The epoch and the nonce are read and
// written by one script, atomically. Keys are grouped into 64 hash slots by
// the nonce's first character, each with its own epoch, so that in a Redis
// Cluster a node that restarts empty resets the epoch of its own nonces.
//
// Concurrent calls share round trips (group commit): a call that finds no
// round trip in flight sends its check at once, alone; the calls that arrive
// while one is in flight wait for it and then go together in one pipeline.
// A lone call waits for nothing, and under load a replica makes one round
// trip per batch of calls instead of one per call.
type RedisNonces struct {
	rdb  redis.UniversalClient
	keys redisx.Keys

	mu      sync.Mutex
	queue   []*nonceCheck
	sending bool
}

// nonceCheck is one Remember waiting for its answer.
type nonceCheck struct {
	keys   []string // the slot's epoch, the nonce
	signed int64    // unix seconds
	ttl    time.Duration
	fresh  bool
	err    error
	done   chan struct{}
}

// nonceTimeout bounds one round trip of a batch; it does not depend on any
// one caller's context, since the batch carries others' nonces too.
const nonceTimeout = 5 * time.Second

// rememberScript checks one nonce against its slot's epoch and records it.
// KEYS: the epoch, the nonce. ARGV: the unix second the call was signed,
// the ttl in milliseconds. It returns {1, epoch} for a fresh nonce,
// {0, epoch} for a replay and {-1, epoch} for a call signed before the
// epoch (the nonce is then not recorded).
var rememberScript = redis.NewScript(`
local epoch = tonumber(redis.call('GET', KEYS[1]))
if not epoch then
  local now = tonumber(redis.call('TIME')[1])
  local up = tonumber(string.match(redis.call('INFO', 'server'), 'uptime_in_seconds:(%d+)'))
  epoch = math.max(now - 1, now - up + 1)
  redis.call('SET', KEYS[1], epoch)
end
if tonumber(ARGV[1]) < epoch then
  return {-1, epoch}
end
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then
  return {1, epoch}
end
return {0, epoch}
`)

// NewRedisNonces returns a store writing keys
// "[namespace:]auth:{c}:nonce:<nonce>" and "[namespace:]auth:{c}:epoch",
// where c is the nonce's first character (namespace is empty in
// production; see redisx.NewKeys).
func NewRedisNonces(rdb redis.UniversalClient, namespace string) *RedisNonces {
	return &RedisNonces{rdb: rdb, keys: redisx.NewKeys(namespace, "auth")}
}

// nonceKeys returns the keys of nonce's check: its slot's epoch, then the
// nonce itself.
func (s *RedisNonces) nonceKeys(nonce string) []string {
	tag := "_"
	if nonce != "" {
		tag = nonce[:1]
	}
	return []string{s.keys.Tagged(tag, "epoch"), s.keys.Tagged(tag, "nonce", nonce)}
}

// Remember implements NonceStore.
func (s *RedisNonces) Remember(ctx context.Context, nonce string, signed time.Time, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, redisx.Err(err)
	}
	c := &nonceCheck{keys: s.nonceKeys(nonce), signed: signed.Unix(), ttl: ttl, done: make(chan struct{})}
	s.mu.Lock()
	s.queue = append(s.queue, c)
	lead := !s.sending
	s.sending = true
	s.mu.Unlock()
	if lead {
		s.send()
	}
	select {
	case <-c.done:
		return c.fresh, c.err
	case <-ctx.Done():
		return false, redisx.Err(ctx.Err())
	}
}

// send makes one round trip with what has queued up, then hands the
// next one, if calls queued up meanwhile, to a new goroutine: the caller
// that led this one returns with its answer at once.
func (s *RedisNonces) send() {
	s.mu.Lock()
	batch := s.queue
	s.queue = nil
	s.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), nonceTimeout)
	if len(batch) == 1 {
		c := batch[0]
		c.answer(rememberScript.Run(ctx, s.rdb, c.keys, c.signed, c.ttl.Milliseconds()))
	} else {
		s.sendBatch(ctx, batch)
	}
	cancel()
	for _, c := range batch {
		c.err = redisx.Err(c.err)
		close(c.done)
	}

	s.mu.Lock()
	more := len(s.queue) > 0
	s.sending = more
	s.mu.Unlock()
	if more {
		go s.send()
	}
}

// sendBatch checks batch in one pipeline of EVALSHA. A Redis that does not
// have the script yet (it restarted) answers NOSCRIPT to those calls
// without running them; they go again, with the script's text, in a second
// round trip, which also loads it.
func (s *RedisNonces) sendBatch(ctx context.Context, batch []*nonceCheck) {
	cmds := make([]*redis.Cmd, len(batch))
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, c := range batch {
			cmds[i] = rememberScript.EvalSha(ctx, p, c.keys, c.signed, c.ttl.Milliseconds())
		}
		return nil
	})
	var again []int
	for i, c := range batch {
		if redis.HasErrorPrefix(cmds[i].Err(), "NOSCRIPT") {
			again = append(again, i)
			continue
		}
		c.answer(cmds[i])
	}
	if len(again) == 0 {
		return
	}
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, i := range again {
			c := batch[i]
			cmds[i] = rememberScript.Eval(ctx, p, c.keys, c.signed, c.ttl.Milliseconds())
		}
		return nil
	})
	for _, i := range again {
		batch[i].answer(cmds[i])
	}
}

// answer reads rememberScript's reply into c.
func (c *nonceCheck) answer(cmd *redis.Cmd) {
	reply, err := cmd.Int64Slice()
	switch {
	case err != nil:
		c.err = err
	case len(reply) != 2:
		c.err = fmt.Errorf("auth: unexpected nonce script reply %v", reply)
	case reply[0] < 0:
		c.err = &StaleError{Epoch: time.Unix(reply[1], 0)}
	default:
		c.fresh = reply[0] == 1
	}
}

var _ NonceStore = (*RedisNonces)(nil)

// MemoryNonces is a NonceStore in process memory, for tests and a single
// process; replicas need RedisNonces. Its memory begins with it: calls
// signed in a second before the one it was made in are refused as stale
// (a call signed earlier in that same second is accepted, so that a store
// made just before a call does not refuse it; a process that restarts
// within the second it served a call in could take a replay of that call).
type MemoryNonces struct {
	mu     sync.Mutex
	seen   map[string]time.Time // nonce -> forget after
	sweep  time.Time
	epoch  time.Time // the second the store was made in
	nowFor func() time.Time
}

// NewMemoryNonces returns an empty in-memory store.
func NewMemoryNonces() *MemoryNonces { return newMemoryNonces(time.Now) }

func newMemoryNonces(now func() time.Time) *MemoryNonces {
	return &MemoryNonces{seen: make(map[string]time.Time), epoch: now().Truncate(time.Second), nowFor: now}
}

// Remember implements NonceStore.
func (s *MemoryNonces) Remember(_ context.Context, nonce string, signed time.Time, ttl time.Duration) (bool, error) {
	if signed.Before(s.epoch) {
		return false, &StaleError{Epoch: s.epoch}
	}
	now := s.nowFor()
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.After(s.sweep) {
		for n, until := range s.seen {
			if now.After(until) {
				delete(s.seen, n)
			}
		}
		s.sweep = now.Add(ttl / 4)
	}
	if until, ok := s.seen[nonce]; ok && !now.After(until) {
		return false, nil
	}
	s.seen[nonce] = now.Add(ttl)
	return true, nil
}

var _ NonceStore = (*MemoryNonces)(nil)
