package auth

import (
	"context"
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
// Concurrent calls share round trips (group commit): a call that finds no
// round trip in flight sends its SET at once, alone; the calls that arrive
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
	key   string
	ttl   time.Duration
	fresh bool
	err   error
	done  chan struct{}
}

// nonceTimeout bounds one round trip of a batch; it does not depend on any
// one caller's context, since the batch carries others' nonces too.
const nonceTimeout = 5 * time.Second

// NewRedisNonces returns a store writing keys "[namespace:]auth:nonce:<nonce>"
// (namespace is empty in production; see redisx.NewKeys).
func NewRedisNonces(rdb redis.UniversalClient, namespace string) *RedisNonces {
	return &RedisNonces{rdb: rdb, keys: redisx.NewKeys(namespace, "auth")}
}

// Remember implements NonceStore.
func (s *RedisNonces) Remember(ctx context.Context, nonce string, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, redisx.Err(err)
	}
	c := &nonceCheck{key: s.keys.Key("nonce", nonce), ttl: ttl, done: make(chan struct{})}
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
		c.fresh, c.err = s.rdb.SetNX(ctx, c.key, 1, c.ttl).Result()
	} else {
		cmds := make([]*redis.BoolCmd, len(batch))
		_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, c := range batch {
				cmds[i] = p.SetNX(ctx, c.key, 1, c.ttl)
			}
			return nil
		})
		for i, c := range batch {
			c.fresh, c.err = cmds[i].Result()
		}
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

var _ NonceStore = (*RedisNonces)(nil)

// MemoryNonces is a NonceStore in process memory, for tests and a single
// process; replicas need RedisNonces.
type MemoryNonces struct {
	mu     sync.Mutex
	seen   map[string]time.Time // nonce -> forget after
	sweep  time.Time
	nowFor func() time.Time
}

// NewMemoryNonces returns an empty in-memory store.
func NewMemoryNonces() *MemoryNonces {
	return &MemoryNonces{seen: make(map[string]time.Time), nowFor: time.Now}
}

// Remember implements NonceStore.
func (s *MemoryNonces) Remember(_ context.Context, nonce string, ttl time.Duration) (bool, error) {
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
