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
type RedisNonces struct {
	rdb  redis.UniversalClient
	keys redisx.Keys
}

// NewRedisNonces returns a store writing keys "[namespace:]auth:nonce:<nonce>"
// (namespace is empty in production; see redisx.NewKeys).
func NewRedisNonces(rdb redis.UniversalClient, namespace string) *RedisNonces {
	return &RedisNonces{rdb: rdb, keys: redisx.NewKeys(namespace, "auth")}
}

// Remember implements NonceStore.
func (s *RedisNonces) Remember(ctx context.Context, nonce string, ttl time.Duration) (bool, error) {
	fresh, err := s.rdb.SetNX(ctx, s.keys.Key("nonce", nonce), 1, ttl).Result()
	return fresh, redisx.Err(err)
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
