// Package throttle keeps hub's rate-limit counters in Redis: wrong guesses
// of secrets, each counter imposing a wait that doubles with every wrong
// guess past its free ones, and fixed-window quotas of requests. A counter
// is no decision a person made: losing Redis only forgives the guessers
// (the audit log of guesses is in Postgres).
package throttle

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/attendify/hub/internal/service"
	"github.com/attendify/platform/redisx"
)

// fail counts a wrong guess in the hash KEYS[1] (fields n: wrong guesses,
// until: Unix milliseconds before which no guess is taken). ARGV: now (ms),
// free guesses, base wait (ms), longest wait (ms), forget after (ms). It
// returns the wait in milliseconds.
var fail = redis.NewScript(`
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local free = tonumber(ARGV[2])
local wait = 0
if n > free then
  wait = math.min(tonumber(ARGV[3]) * 2 ^ math.min(n - free - 1, 40), tonumber(ARGV[4]))
end
wait = math.floor(wait)
redis.call('HSET', KEYS[1], 'until', tonumber(ARGV[1]) + wait)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return wait
`)

// take counts one use of the quota window KEYS[1], which expires after
// ARGV[1] milliseconds, and returns the count.
var take = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
`)

// lockOut counts a wrong try on the lock-out hash KEYS[1] (fields n:
// wrong tries since the last lock, locked: Unix milliseconds until which
// it is locked). ARGV: now (ms), tries that lock, lock (ms), forget after
// (ms). It returns {wait (ms), counted (0 or 1)}: a locked key is not
// counted and answers what is left of its lock; the try that reaches the
// limit locks it and sets n back to 0.
var lockOut = redis.NewScript(`
local now = tonumber(ARGV[1])
local locked = tonumber(redis.call('HGET', KEYS[1], 'locked') or '0')
if locked > now then
  return {locked - now, 0}
end
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local wait = 0
if n >= tonumber(ARGV[2]) then
  wait = tonumber(ARGV[3])
  redis.call('HSET', KEYS[1], 'n', 0, 'locked', now + wait)
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {wait, 1}
`)

// Redis implements service.Throttle.
type Redis struct {
	rdb  redis.UniversalClient
	keys redisx.Keys
}

var _ service.Throttle = (*Redis)(nil)

// New returns counters under namespace (empty in production).
func New(rdb redis.UniversalClient, namespace string) *Redis {
	return &Redis{rdb: rdb, keys: redisx.NewKeys(namespace, "hub")}
}

func (r *Redis) guessKey(k string) string { return r.keys.Key("guess", k) }

// Wait implements service.Throttle.
func (r *Redis) Wait(ctx context.Context, now time.Time, keys []service.GuessKey) (time.Duration, error) {
	cmds := make([]*redis.StringCmd, len(keys))
	_, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.HGet(ctx, r.guessKey(k.Key), "until")
		}
		return nil
	})
	if err != nil && err != redis.Nil {
		return 0, redisx.Err(err)
	}
	var wait time.Duration
	for _, c := range cmds {
		until, err := strconv.ParseInt(c.Val(), 10, 64)
		if err != nil {
			continue // no wrong guess yet
		}
		wait = max(wait, time.UnixMilli(until).Sub(now))
	}
	return wait, nil
}

// Fail implements service.Throttle.
func (r *Redis) Fail(ctx context.Context, now time.Time, keys []service.GuessKey) (time.Duration, error) {
	run := func() ([]*redis.Cmd, error) {
		cmds := make([]*redis.Cmd, len(keys))
		_, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range keys {
				cmds[i] = fail.EvalSha(ctx, p, []string{r.guessKey(k.Key)}, now.UnixMilli(), k.Free,
					k.Base.Milliseconds(), k.Max.Milliseconds(), k.Forget.Milliseconds())
			}
			return nil
		})
		return cmds, err
	}
	cmds, err := run()
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		if err := fail.Load(ctx, r.rdb).Err(); err != nil {
			return 0, redisx.Err(err)
		}
		cmds, err = run()
	}
	if err != nil {
		return 0, redisx.Err(err)
	}
	var wait time.Duration
	for _, c := range cmds {
		ms, _ := c.Int64()
		wait = max(wait, time.Duration(ms)*time.Millisecond)
	}
	return wait, nil
}

// Succeed implements service.Throttle.
func (r *Redis) Succeed(ctx context.Context, keys []service.GuessKey) error {
	if len(keys) == 0 {
		return nil
	}
	_, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Del(ctx, r.guessKey(k.Key))
		}
		return nil
	})
	return redisx.Err(err)
}

// Take implements service.Throttle.
func (r *Redis) Take(ctx context.Context, now time.Time, quotas []service.Quota) (time.Duration, error) {
	for _, q := range quotas {
		w := q.Window.Milliseconds()
		window := now.UnixMilli() / w
		n, err := take.Run(ctx, r.rdb, []string{r.keys.Key("quota", q.Key, strconv.FormatInt(window, 10))}, w).Int64()
		if err != nil {
			return 0, redisx.Err(err)
		}
		if n > int64(q.Limit) {
			return time.UnixMilli((window + 1) * w).Sub(now), nil
		}
	}
	return 0, nil
}

// LockedOut implements service.Throttle.
func (r *Redis) LockedOut(ctx context.Context, now time.Time, key string) (time.Duration, error) {
	v, err := r.rdb.HGet(ctx, r.guessKey(key), "locked").Result()
	if err == redis.Nil {
		return 0, nil
	}
	if err != nil {
		return 0, redisx.Err(err)
	}
	locked, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, nil // not locked yet
	}
	return max(0, time.UnixMilli(locked).Sub(now)), nil
}

// FailLockOut implements service.Throttle.
func (r *Redis) FailLockOut(ctx context.Context, now time.Time, lo service.LockOut) (time.Duration, bool, error) {
	res, err := lockOut.Run(ctx, r.rdb, []string{r.guessKey(lo.Key)}, now.UnixMilli(), lo.Max,
		lo.For.Milliseconds(), max(lo.Forget, lo.For).Milliseconds()).Int64Slice()
	if err != nil {
		return 0, false, redisx.Err(err)
	}
	if len(res) != 2 {
		return 0, false, fmt.Errorf("throttle: lock-out script answered %v", res)
	}
	return time.Duration(res[0]) * time.Millisecond, res[1] == 1, nil
}
