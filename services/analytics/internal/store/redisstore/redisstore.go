// Package redisstore is analytics' live state in Redis (service.Live):
// counters, HyperLogLog uniques, presence, top lists and the leaderboard,
// updated by one Lua script per batch so that a batch's effects and its
// dedupe marks land together or not at all. Everything here can be
// rebuilt from the raw events in Postgres (service.Rebuild).
package redisstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/attendify/analytics/internal/derrors"
	"github.com/attendify/analytics/internal/service"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/redisx"
)

// Retention is how long the buckets, day lists, item counts and dedupe
// marks live: longer than analytics.MaxPast, so that a late event always
// finds its bucket whole, and than 2*analytics.MaxSkew, the longest a
// batch sent again unchanged is taken after its first sending.
const Retention = 96 * time.Hour

// presenceKeep is how long presence entries stay before they are trimmed.
const presenceKeep = time.Hour

// Bounds on what the ids that apps send can grow. A tap names its target
// by an id the app chose, and a member can make up as many as their rate
// limit lets them send, so the day's item counts and top lists would grow
// without end, and the fold would carry every made-up id to Postgres.
const (
	// MaxItemsPerDay is how many items (kind and id) an app's day counts:
	// once that many are counted, a new one's taps count only in the
	// totals, while the items counted already go on counting. A big
	// conference has a few thousand sessions, speakers and sponsors and
	// its day's posts.
	MaxItemsPerDay = 50_000
	// MaxTopItems is how many items a "right now" list keeps: past that,
	// the lowest are dropped (the dashboard shows the first ten).
	MaxTopItems = 1_000
)

// Store is the live state of every app under one namespace.
type Store struct {
	rdb  redis.UniversalClient
	keys keys
	now  func() time.Time
	// maxItems and maxTop are MaxItemsPerDay and MaxTopItems (smaller in
	// tests).
	maxItems, maxTop int
	// retention is Retention (shorter in tests that outlive the marks).
	retention time.Duration
}

var _ service.Live = (*Store)(nil)

// New returns the store under namespace (empty in production).
func New(rdb redis.UniversalClient, namespace string) *Store {
	return &Store{rdb: rdb, keys: keys{redisx.NewKeys(namespace, "analytics")}, now: time.Now, maxItems: MaxItemsPerDay, maxTop: MaxTopItems, retention: Retention}
}

// applyScript applies a batch. KEYS[1..5] are the app's dirty set, its
// sequence, presence of members and installs, and leaderboard; the other
// keys are the buckets, lists and marks the ops name by index. ARGV[1] is
// the TTL of every key from KEYS[6] on, in seconds (a mark gets it from its
// own SET, once: a repeat does not extend it); ARGV[2] trims presence
// older than it (ms); ARGV[3] is the most fields an I op's hash may have
// (MaxItemsPerDay), ARGV[4] the most members a Z op's sorted set keeps
// (MaxTopItems); then, per change: "E", the index of its dedupe mark, the
// number of ops; each op is a letter and its arguments:
//
//	H key field n      HINCRBY
//	I key field n      HINCRBY, unless the hash has ARGV[3] fields and not this one
//	P key element      PFADD
//	Z key member incr  ZINCRBY, then the lowest dropped past ARGV[4]
//	G key member score ZADD GT (presence)
//	D member           ZADD to the dirty set with this batch's mark
//	L mark member n    points: if SET mark NX, ZINCRBY the leaderboard
//
// It returns a 1 (new) or 0 (seen before) per change.
//
// The events of a batch share most of their buckets, so the script sums
// the ops of the new changes before it writes: one HINCRBY per counter of
// a bucket (integers: the sum is the same), one PFADD per HyperLogLog with
// all its elements, one ZADD GT per presence set with each element's
// highest score, one ZADD of the dirty marks. That is the same state as
// the ops one by one, in a tenth of Redis's calls. ZINCRBY of the top
// lists (floating point: a sum's rounding could differ) and the points
// (a mark decides each) still go one by one.
var applyScript = redis.NewScript(`
local ttl = tonumber(ARGV[1])
local maxItems, maxTop = tonumber(ARGV[3]), tonumber(ARGV[4])
local out = {}
local mark = redis.call("INCR", KEYS[2])
local hinc, items, pfs, gmax, dirty, tops = {}, {}, {}, {}, {}, {}
local ndirty = 0
local marks = {} -- the marks' key indexes: their SET gave them their TTL
local i = 5
local touched = false
while i <= #ARGV do
	local seen = KEYS[tonumber(ARGV[i+1])]
	marks[tonumber(ARGV[i+1])] = true
	local nops = tonumber(ARGV[i+2])
	i = i + 3
	local new = redis.call("SET", seen, "1", "NX", "EX", ttl)
	if new then
		touched = true
		out[#out+1] = 1
		for _ = 1, nops do
			local op = ARGV[i]
			if op == "H" or op == "I" then
				local sums = hinc
				if op == "I" then sums = items end
				local h = sums[ARGV[i+1]]
				if not h then h = {}; sums[ARGV[i+1]] = h end
				h[ARGV[i+2]] = (h[ARGV[i+2]] or 0) + tonumber(ARGV[i+3]); i = i + 4
			elseif op == "P" then
				local p = pfs[ARGV[i+1]]
				if not p then p = {n = 0, has = {}}; pfs[ARGV[i+1]] = p end
				local e = ARGV[i+2]
				if not p.has[e] then p.has[e] = true; p.n = p.n + 1; p[p.n] = e end
				i = i + 3
			elseif op == "Z" then
				redis.call("ZINCRBY", KEYS[tonumber(ARGV[i+1])], ARGV[i+3], ARGV[i+2])
				tops[ARGV[i+1]] = true
				i = i + 4
			elseif op == "G" then
				local g = gmax[ARGV[i+1]]
				if not g then g = {}; gmax[ARGV[i+1]] = g end
				local sc = tonumber(ARGV[i+3])
				local cur = g[ARGV[i+2]]
				if not cur or sc > cur then g[ARGV[i+2]] = sc end
				i = i + 4
			elseif op == "D" then
				if not dirty[ARGV[i+1]] then dirty[ARGV[i+1]] = true; ndirty = ndirty + 1 end
				i = i + 2
			elseif op == "L" then
				marks[tonumber(ARGV[i+1])] = true
				if redis.call("SET", KEYS[tonumber(ARGV[i+1])], "1", "NX", "EX", ttl) then
					redis.call("ZINCRBY", KEYS[5], ARGV[i+3], ARGV[i+2])
				end
				i = i + 4
			else
				return redis.error_reply("bad op " .. tostring(op))
			end
		end
	else
		out[#out+1] = 0
		for _ = 1, nops do
			local op = ARGV[i]
			if op == "L" then marks[tonumber(ARGV[i+1])] = true end
			if op == "H" or op == "I" or op == "Z" or op == "G" or op == "L" then i = i + 4
			elseif op == "P" then i = i + 3
			else i = i + 2 end
		end
	end
end
local chunk = 500
for k, h in pairs(hinc) do
	local key = KEYS[tonumber(k)]
	for f, n in pairs(h) do redis.call("HINCRBY", key, f, string.format("%d", n)) end
end
for k, h in pairs(items) do
	local key = KEYS[tonumber(k)]
	local size = redis.call("HLEN", key)
	for f, n in pairs(h) do
		local known = redis.call("HEXISTS", key, f) == 1
		if known or size < maxItems then
			redis.call("HINCRBY", key, f, string.format("%d", n))
			if not known then size = size + 1 end
		end
	end
end
for k in pairs(tops) do
	local key = KEYS[tonumber(k)]
	local over = redis.call("ZCARD", key) - maxTop
	if over > 0 then redis.call("ZREMRANGEBYRANK", key, 0, over - 1) end
end
for k, p in pairs(pfs) do
	local key = KEYS[tonumber(k)]
	for j = 1, p.n, chunk do redis.call("PFADD", key, unpack(p, j, math.min(j + chunk - 1, p.n))) end
end
local function zadd(key, opt, args)
	for j = 1, #args, 2 * chunk do
		if opt then
			redis.call("ZADD", key, opt, unpack(args, j, math.min(j + 2 * chunk - 1, #args)))
		else
			redis.call("ZADD", key, unpack(args, j, math.min(j + 2 * chunk - 1, #args)))
		end
	end
end
for k, g in pairs(gmax) do
	local args = {}
	for m, sc in pairs(g) do args[#args+1] = string.format("%d", sc); args[#args+1] = m end
	zadd(KEYS[tonumber(k)], "GT", args)
end
if ndirty > 0 then
	local args = {}
	for m in pairs(dirty) do args[#args+1] = mark; args[#args+1] = m end
	zadd(KEYS[1], nil, args)
end
if touched then
	for k = 6, #KEYS do
		if not marks[k] then redis.call("EXPIRE", KEYS[k], ttl) end
	end
	redis.call("ZREMRANGEBYSCORE", KEYS[3], "-inf", ARGV[2])
	redis.call("ZREMRANGEBYSCORE", KEYS[4], "-inf", ARGV[2])
end
return out`)

// batch builds one run of applyScript.
type batch struct {
	keys    []string
	idx     map[string]int
	args    []any
	buckets map[bucketKey]int // the index of a bucket's key, built once a batch
}

// bucketKey names a bucket key of a batch: its family (counts, members,
// installs), scope, level and start.
type bucketKey struct {
	family byte
	scope  string
	level  service.Level
	start  time.Time
}

// bucket returns the index of a bucket's key, building the name only the
// first time in the batch (the events of a batch share most buckets).
func (b *batch) bucket(k bucketKey, name func() string) int {
	if i, ok := b.buckets[k]; ok {
		return i
	}
	i := b.key(name())
	b.buckets[k] = i
	return i
}

func (b *batch) key(k string) int {
	if i, ok := b.idx[k]; ok {
		return i
	}
	b.keys = append(b.keys, k)
	b.idx[k] = len(b.keys)
	return len(b.keys)
}

// Apply implements service.Live.
func (s *Store) Apply(ctx context.Context, app string, changes []service.Change) (_ []bool, err error) {
	defer derrors.Wrap(&err, "redisstore.Apply(%q, %d changes)", app, len(changes))
	if len(changes) == 0 {
		return nil, nil
	}
	b := &batch{idx: map[string]int{}, buckets: map[bucketKey]int{}}
	for _, k := range []string{s.keys.dirty(app), s.keys.seq(app), s.keys.presentMembers(app), s.keys.presentInstalls(app), s.keys.leaderboard(app)} {
		b.key(k)
	}
	now := s.now()
	b.args = append(b.args, int64(s.retention/time.Second), now.Add(-presenceKeep).UnixMilli(), s.maxItems, s.maxTop)
	for _, c := range changes {
		b.args = append(b.args, "E", b.key(s.keys.seen(app, c.Key)), 0)
		nAt := len(b.args) - 1
		n := s.ops(b, app, c)
		b.args[nAt] = n
	}
	// The script, then the app's entry in dirty-apps (another slot), in
	// this order: the fold drops an app from dirty-apps only when it has no
	// marks left, so marks are never left without their app listed. On one
	// server a pipeline keeps the order in one round trip; a cluster client
	// sends the two slots' commands in parallel, so there they go one after
	// the other. A server that lost its scripts gets the script whole.
	var run *redis.Cmd
	if _, cluster := s.rdb.(*redis.ClusterClient); cluster {
		run = applyScript.EvalSha(ctx, s.rdb, b.keys, b.args...)
		err = run.Err()
		if err == nil {
			err = s.rdb.SAdd(ctx, s.keys.dirtyApps(), app).Err()
		}
	} else {
		_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			run = applyScript.EvalSha(ctx, p, b.keys, b.args...)
			p.SAdd(ctx, s.keys.dirtyApps(), app)
			return nil
		})
	}
	if err != nil && redis.HasErrorPrefix(run.Err(), "NOSCRIPT") {
		run = applyScript.Run(ctx, s.rdb, b.keys, b.args...)
		err = run.Err()
		if err == nil {
			err = s.rdb.SAdd(ctx, s.keys.dirtyApps(), app).Err()
		}
	}
	if err != nil {
		return nil, redisx.Err(err)
	}
	res, err := run.Int64Slice()
	if err != nil {
		return nil, redisx.Err(err)
	}
	out := make([]bool, len(res))
	for i, v := range res {
		out[i] = v == 1
	}
	return out, nil
}

// ops appends the ops of one change and returns how many.
func (s *Store) ops(b *batch, app string, c service.Change) int {
	n := 0
	fx := c.Effects
	for _, scope := range c.Scopes {
		for _, l := range service.Levels {
			start := l.Trunc(c.At)
			if len(fx.Counts) > 0 {
				k := b.bucket(bucketKey{'c', scope, l, start}, func() string { return s.keys.counts(app, scope, string(l), start) })
				for name, v := range fx.Counts {
					b.args = append(b.args, "H", k, name, v)
					n++
				}
			}
			if fx.Member != "" {
				k := b.bucket(bucketKey{'m', scope, l, start}, func() string { return s.keys.members(app, scope, string(l), start) })
				b.args = append(b.args, "P", k, fx.Member)
				n++
			}
			if fx.Install != "" {
				k := b.bucket(bucketKey{'i', scope, l, start}, func() string { return s.keys.installs(app, scope, string(l), start) })
				b.args = append(b.args, "P", k, fx.Install)
				n++
			}
		}
		b.args = append(b.args, "D", scope+"|"+strconv.FormatInt(service.Minute(c.At).Unix(), 10))
		n++
	}
	day := service.Day(c.At)
	if fx.Member != "" {
		b.args = append(b.args, "G", 3, fx.Member, c.At.UnixMilli())
		n++
	}
	if fx.Install != "" {
		b.args = append(b.args, "G", 4, fx.Install, c.At.UnixMilli())
		n++
	}
	for _, t := range fx.Top {
		b.args = append(b.args, "Z", b.key(s.keys.top(app, t.List, day)), t.ID, strconv.FormatFloat(fx.Heat, 'g', -1, 64))
		n++
	}
	if len(fx.Items) > 0 {
		k := b.key(s.keys.items(app, day))
		for _, it := range fx.Items {
			b.args = append(b.args, "I", k, service.ItemField(it.Kind, it.ID), it.N)
			n++
		}
	}
	if fx.Points > 0 {
		b.args = append(b.args, "L", b.key(s.keys.pointsMark(app, fx.PointsKey, fx.PointsWindow)), fx.Member, fx.Points)
		n++
	}
	return n
}

// Allow implements service.Live: a fixed one-minute window per budget, all
// in one transaction (the app's keys share its slot).
func (s *Store) Allow(ctx context.Context, app string, n int, budgets ...service.Budget) (_ int, _ time.Duration, err error) {
	defer derrors.Wrap(&err, "redisstore.Allow(%q, %d budgets)", app, len(budgets))
	now := s.now()
	keys := make([]string, len(budgets))
	limits := make([]int, len(budgets))
	for i, b := range budgets {
		keys[i], limits[i] = s.keys.rate(app, b.Subject, service.Minute(now)), b.Limit
	}
	return s.window(ctx, now, n, keys, limits)
}

// TakeSignIn counts a dashboard sign-in from a client address against
// limit a minute (every replica together); it returns how long to wait
// when over.
func (s *Store) TakeSignIn(ctx context.Context, addr string, limit int) (_ time.Duration, err error) {
	defer derrors.Wrap(&err, "redisstore.TakeSignIn(%q)", addr)
	now := s.now()
	_, wait, err := s.window(ctx, now, 1, []string{s.keys.signIns(addr, service.Minute(now))}, []int{limit})
	return wait, err
}

// window adds n to the counters keys (of now's minute, in one slot), each
// a fixed one-minute window of its limit; it returns the index of the
// first over its limit (-1: none) and how long to wait.
func (s *Store) window(ctx context.Context, now time.Time, n int, keys []string, limits []int) (int, time.Duration, error) {
	incrs := make([]*redis.IntCmd, len(keys))
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			incrs[i] = p.IncrBy(ctx, k, int64(n))
			p.Expire(ctx, k, 2*time.Minute)
		}
		return nil
	})
	if err != nil {
		return -1, 0, redisx.Err(err)
	}
	for i, incr := range incrs {
		if incr.Val() > int64(limits[i]) {
			return i, service.Minute(now).Add(time.Minute).Sub(now), nil
		}
	}
	return -1, 0, nil
}

// Figures implements service.Live.
func (s *Store) Figures(ctx context.Context, app string, refs []service.BucketRef) (_ []service.Figures, err error) {
	defer derrors.Wrap(&err, "redisstore.Figures(%q, %d buckets)", app, len(refs))
	type cmds struct {
		counts       *redis.MapStringStringCmd
		mem, install *redis.IntCmd
	}
	cs := make([]cmds, len(refs))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, r := range refs {
			l := string(r.Level)
			cs[i] = cmds{
				counts:  p.HGetAll(ctx, s.keys.counts(app, r.Scope, l, r.Start)),
				mem:     p.PFCount(ctx, s.keys.members(app, r.Scope, l, r.Start)),
				install: p.PFCount(ctx, s.keys.installs(app, r.Scope, l, r.Start)),
			}
		}
		return nil
	})
	if err != nil {
		return nil, redisx.Err(err)
	}
	out := make([]service.Figures, len(refs))
	for i, c := range cs {
		f := service.Figures{Counts: map[string]int64{}, Members: c.mem.Val(), Installs: c.install.Val()}
		for name, v := range c.counts.Val() {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("counter %s: %w", name, err)
			}
			f.Counts[name] = n
		}
		out[i] = f
	}
	return out, nil
}

// Items implements service.Live.
func (s *Store) Items(ctx context.Context, app string, days []time.Time) (_ [][]service.ItemCount, err error) {
	defer derrors.Wrap(&err, "redisstore.Items(%q, %d days)", app, len(days))
	cmds := make([]*redis.MapStringStringCmd, len(days))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, d := range days {
			cmds[i] = p.HGetAll(ctx, s.keys.items(app, d))
		}
		return nil
	})
	if err != nil {
		return nil, redisx.Err(err)
	}
	out := make([][]service.ItemCount, len(days))
	for i, c := range cmds {
		for f, v := range c.Val() {
			kind, id, ok := service.ParseItemField(f)
			n, perr := strconv.ParseInt(v, 10, 64)
			if !ok || perr != nil {
				continue
			}
			out[i] = append(out[i], service.ItemCount{Kind: kind, ID: id, N: n})
		}
	}
	return out, nil
}

// Waiting implements service.Live: the marks, then the generation, in one
// round trip.
func (s *Store) Waiting(ctx context.Context, app string) (_ []service.Waiting, _ string, err error) {
	defer derrors.Wrap(&err, "redisstore.Waiting(%q)", app)
	var zcmd *redis.ZSliceCmd
	var gcmd *redis.StringCmd
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		zcmd = p.ZRangeWithScores(ctx, s.keys.dirty(app), 0, -1)
		gcmd = p.Get(ctx, s.keys.folds(app))
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, "", redisx.Err(err)
	}
	zs := zcmd.Val()
	out := make([]service.Waiting, 0, len(zs))
	for _, z := range zs {
		m, _ := z.Member.(string)
		scope, sec, ok := strings.Cut(m, "|")
		u, perr := strconv.ParseInt(sec, 10, 64)
		if !ok || perr != nil {
			continue
		}
		out = append(out, service.Waiting{Scope: scope, Minute: time.Unix(u, 0).UTC(), Mark: z.Score})
	}
	return out, gcmd.Val(), nil
}

// WaitingApps implements service.Live.
func (s *Store) WaitingApps(ctx context.Context) (_ []string, err error) {
	defer derrors.Wrap(&err, "redisstore.WaitingApps")
	apps, err := s.rdb.SMembers(ctx, s.keys.dirtyApps()).Result()
	return apps, redisx.Err(err)
}

// foldedScript sets the app's fold generation (KEYS[2]) to ARGV[1], then
// removes the dirty marks that did not change since they were read (the
// rest of ARGV: member, mark pairs), and returns how many marks are left.
var foldedScript = redis.NewScript(`
redis.call("SET", KEYS[2], ARGV[1])
local n = 0
for i = 2, #ARGV, 2 do
	local cur = redis.call("ZSCORE", KEYS[1], ARGV[i])
	if cur and tonumber(cur) == tonumber(ARGV[i+1]) then
		redis.call("ZREM", KEYS[1], ARGV[i]); n = n + 1
	end
end
return redis.call("ZCARD", KEYS[1])`)

// Folded implements service.Live.
func (s *Store) Folded(ctx context.Context, app string, ws []service.Waiting) (err error) {
	defer derrors.Wrap(&err, "redisstore.Folded(%q, %d minutes)", app, len(ws))
	args := make([]any, 0, 1+2*len(ws))
	args = append(args, rand.Text())
	for _, w := range ws {
		args = append(args, w.Scope+"|"+strconv.FormatInt(w.Minute.Unix(), 10), strconv.FormatFloat(w.Mark, 'f', -1, 64))
	}
	left, err := foldedScript.Run(ctx, s.rdb, []string{s.keys.dirty(app), s.keys.folds(app)}, args...).Int64()
	if err != nil {
		return redisx.Err(err)
	}
	if left == 0 {
		// The app leaves dirty-apps (another slot, so apart from the
		// script). A batch may mark the app again between the two: it
		// re-adds the app after its script, so at worst the app is listed
		// once more.
		return redisx.Err(s.rdb.SRem(ctx, s.keys.dirtyApps(), app).Err())
	}
	return nil
}

// Present implements service.Live.
func (s *Store) Present(ctx context.Context, app string, since time.Time) (_, _ int64, err error) {
	defer derrors.Wrap(&err, "redisstore.Present(%q)", app)
	min := strconv.FormatInt(since.UnixMilli(), 10)
	var m, i *redis.IntCmd
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		m = p.ZCount(ctx, s.keys.presentMembers(app), min, "+inf")
		i = p.ZCount(ctx, s.keys.presentInstalls(app), min, "+inf")
		return nil
	})
	if err != nil {
		return 0, 0, redisx.Err(err)
	}
	return m.Val(), i.Val(), nil
}

// Top implements service.Live.
func (s *Store) Top(ctx context.Context, app, list string, day time.Time, limit int) (_ []service.Scored, err error) {
	defer derrors.Wrap(&err, "redisstore.Top(%q, %q)", app, list)
	return s.zrevrange(ctx, s.keys.top(app, list, day), limit)
}

// Leaderboard implements service.Live.
func (s *Store) Leaderboard(ctx context.Context, app string, limit int) (_ []service.Scored, err error) {
	defer derrors.Wrap(&err, "redisstore.Leaderboard(%q)", app)
	return s.zrevrange(ctx, s.keys.leaderboard(app), limit)
}

func (s *Store) zrevrange(ctx context.Context, key string, limit int) ([]service.Scored, error) {
	zs, err := s.rdb.ZRevRangeWithScores(ctx, key, 0, int64(limit-1)).Result()
	if err != nil {
		return nil, redisx.Err(err)
	}
	out := make([]service.Scored, len(zs))
	for i, z := range zs {
		m, _ := z.Member.(string)
		out[i] = service.Scored{ID: m, Score: z.Score}
	}
	return out, nil
}

// Forget implements service.Live.
func (s *Store) Forget(ctx context.Context, app, member string) (err error) {
	defer derrors.Wrap(&err, "redisstore.Forget(%q, %q)", app, member)
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, s.keys.presentMembers(app), member)
		p.ZRem(ctx, s.keys.leaderboard(app), member)
		return nil
	})
	return redisx.Err(err)
}

// Ready implements service.Live.
func (s *Store) Ready(ctx context.Context) (_ bool, err error) {
	defer derrors.Wrap(&err, "redisstore.Ready")
	n, err := s.rdb.Exists(ctx, s.keys.ready()).Result()
	return n == 1, redisx.Err(err)
}

// SetReady implements service.Live.
func (s *Store) SetReady(ctx context.Context) (err error) {
	defer derrors.Wrap(&err, "redisstore.SetReady")
	return redisx.Err(s.rdb.Set(ctx, s.keys.ready(), "1", 0).Err())
}

// Lock implements service.Live.
func (s *Store) Lock(ctx context.Context, ttl time.Duration) (_ bool, err error) {
	defer derrors.Wrap(&err, "redisstore.Lock")
	ok, err := s.rdb.SetNX(ctx, s.keys.rebuilding(), "1", ttl).Result()
	return ok, redisx.Err(err)
}

// Unlock implements service.Live.
func (s *Store) Unlock(ctx context.Context) (err error) {
	defer derrors.Wrap(&err, "redisstore.Unlock")
	return redisx.Err(s.rdb.Del(ctx, s.keys.rebuilding()).Err())
}

// Reset deletes every key of app (for a rebuild from scratch). It scans,
// so it is for maintenance, not request paths.
func (s *Store) Reset(ctx context.Context, app string) (err error) {
	defer derrors.Wrap(&err, "redisstore.Reset(%q)", app)
	pattern := redisx.ScanPattern(s.keys.appPrefix(app))
	err = redisx.EachPrimary(ctx, s.rdb, nil, func(ctx context.Context, c redis.Cmdable) error {
		iter := c.Scan(ctx, 0, pattern, 500).Iterator()
		var batch []string
		for iter.Next(ctx) {
			batch = append(batch, iter.Val())
			if len(batch) == 500 {
				if err := c.Unlink(ctx, batch...).Err(); err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
		if len(batch) > 0 {
			return c.Unlink(ctx, batch...).Err()
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return errs.Wrap(errs.Unavailable, err, "reset live state")
	}
	return nil
}
