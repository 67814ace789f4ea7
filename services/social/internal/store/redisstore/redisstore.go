// Package redisstore is social's Redis index: the feeds (sorted sets), the
// cache of posts with their counters, of members' reactions and of authors'
// profiles, the per-member rate limiters and pending uploads. Everything in it is a cache:
// when keys are missing (after FLUSHALL, an eviction) the service rebuilds
// them from CouchDB and the ledger (see service.FeedIndex and PostCache).
//
// Cache entries are written "if absent" by readers and changed in place by
// writers only while present (Lua scripts), and a writer that invalidates an
// entry leaves a short-lived floor at the version it wrote (or a tombstone
// when it has none), so that a reader who loaded the old version before the
// write cannot put it back, and one who loaded the new one can at once.
// A member's reactions are filled only by a fill that started before its
// reader read them and that no reaction of theirs cancelled since (a
// token in the hash: StartMemberReactions).
// A post's counters carry their version (service.Counts.Version), and
// every write of them, a reader's or a writer's, is a compare-and-set in
// one script: taken only over an older version, so the entry converges to
// the newest counters committed whatever order the writes land in.
package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/redisx"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/service"
	"github.com/attendify/social/internal/store/docform"
)

// Store is social's Redis index: it implements service.FeedIndex,
// PostCache, ProfileCache, RateLimiter and PendingUploads.
type Store struct {
	rdb  redis.UniversalClient
	keys Keys
	// WaitRebuild bounds how long a reader waits for another's rebuild.
	WaitRebuild time.Duration
	docs        *docCache

	profMu sync.Mutex
	profs  map[string]timedProfile
}

var (
	_ service.FeedIndex      = (*Store)(nil)
	_ service.PostCache      = (*Store)(nil)
	_ service.ProfileCache   = (*Store)(nil)
	_ service.RateLimiter    = (*Store)(nil)
	_ service.PendingUploads = (*Store)(nil)
)

// New returns an index under namespace.
func New(rdb redis.UniversalClient, namespace string) *Store {
	return &Store{rdb: rdb, keys: NewKeys(namespace), WaitRebuild: 20 * time.Second, docs: &docCache{m: map[string]revDoc{}, max: 50_000}, profs: map[string]timedProfile{}}
}

// Keys returns the store's keys.
func (s *Store) Keys() Keys { return s.keys }

// tombstoneTTL is how long an invalidated entry refuses to be re-cached,
// and how long a writer's counters wait for a reader to fill the document.
const tombstoneTTL = 30 * time.Second

// unversionedTTL is how long an entry filled with unversioned counters
// (Riak's) lives: they cannot be ordered, so a stale copy lasts that long.
const unversionedTTL = 10 * time.Second

// Post cache entry fields: the document as JSON, its revision, the
// counters' version, a counter per reaction, the comment count. A hash
// without fieldDoc, or without fieldCountsVersion, reads as missing: a
// tombstone ("x"), a floor (fieldFloor, a revision generation), counters
// waiting for their document, or a document whose counters were dropped
// (or cached by an older version of social, without their version).
const (
	fieldDoc           = "d"
	fieldRev           = "r"
	fieldFloor         = "fl"
	fieldCountsVersion = "cv"
	fieldComments      = "cm"
	counterPrefix      = "c:"
)

// A member's reactions (a hash of post -> kind) are loaded when they hold
// mineLoaded; before, the hash holds at most mineFill, the token of the
// fill in flight (StartMemberReactions), for tombstoneTTL.
const (
	mineLoaded = "_"
	mineFill   = "~"
)

func redisErr(err error) error {
	if err == nil || errors.Is(err, redis.Nil) {
		return nil
	}
	if k := errs.KindOf(redisx.Err(err)); k == errs.Unavailable {
		return redisx.Err(err)
	}
	return errs.Wrap(errs.Unavailable, err, "redis")
}

// Built reports whether the app's feed index is complete.
func (s *Store) Built(ctx context.Context, app string) (bool, error) {
	n, err := s.rdb.Exists(ctx, s.keys.Built(app)).Result()
	return n == 1, redisErr(err)
}

// Rebuild implements service.FeedIndex.
func (s *Store) Rebuild(ctx context.Context, app string, load func(add func(service.IndexEntry)) error) error {
	lock := s.keys.Rebuilding(app)
	token := strconv.FormatInt(time.Now().UnixNano(), 36)
	ok, err := s.rdb.SetNX(ctx, lock, token, 2*time.Minute).Result()
	if err != nil {
		return redisErr(err)
	}
	if !ok {
		return s.waitBuilt(ctx, app)
	}
	defer func() {
		ctx := context.WithoutCancel(ctx)
		_ = releaseScript.Run(ctx, s.rdb, []string{lock}, token).Err()
	}()
	if built, err := s.Built(ctx, app); err != nil || built {
		return err
	}
	var entries []service.IndexEntry
	if err := load(func(e service.IndexEntry) { entries = append(entries, e) }); err != nil {
		return err
	}
	for len(entries) > 0 {
		n := min(len(entries), 500)
		batch := entries[:n]
		entries = entries[n:]
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, e := range batch {
				for _, f := range e.Feeds() {
					p.ZAdd(ctx, s.keys.Feed(app, f), redis.Z{Member: e.ID})
				}
			}
			return nil
		})
		if err != nil {
			return redisErr(err)
		}
	}
	return redisErr(s.rdb.Set(ctx, s.keys.Built(app), "1", 0).Err())
}

var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

func (s *Store) waitBuilt(ctx context.Context, app string) error {
	deadline := time.Now().Add(s.WaitRebuild)
	for time.Now().Before(deadline) {
		built, err := s.Built(ctx, app)
		if err != nil || built {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return errs.New(errs.Unavailable, "the feed index is being rebuilt; retry")
}

// Add implements service.FeedIndex.
func (s *Store) Add(ctx context.Context, e service.IndexEntry, cached *service.CachedPost) error {
	var args []any
	if cached != nil {
		var err error
		if args, err = cachePostArgs("add", cached); err != nil {
			return err
		}
	}
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, f := range e.Feeds() {
			p.ZAdd(ctx, s.keys.Feed(e.App, f), redis.Z{Member: e.ID})
		}
		if cached != nil {
			cachePost.Eval(ctx, p, []string{s.keys.Post(e.App, e.ID)}, args...)
		}
		return nil
	})
	return redisErr(err)
}

// Remove implements service.FeedIndex.
func (s *Store) Remove(ctx context.Context, e service.IndexEntry) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, f := range e.Feeds() {
			p.ZRem(ctx, s.keys.Feed(e.App, f), e.ID)
		}
		return nil
	})
	return redisErr(err)
}

// dropPost drops a post's cache entry (KEYS[1]) and leaves, for ARGV[2]
// seconds, a floor at the revision generation ARGV[1] (field fieldFloor)
// with the entry's counters, or a tombstone (field "x") alone when ARGV[1]
// is 0; an entry that holds that generation or a later one stays.
var dropPost = redis.NewScript(`
local g = tonumber(ARGV[1])
if g > 0 then
  local held = redis.call('HGET', KEYS[1], '` + fieldRev + `')
  if held and (tonumber(string.match(held, '^(%d+)%-')) or 0) >= g then return 0 end
  redis.call('HDEL', KEYS[1], '` + fieldDoc + `', '` + fieldRev + `', 'x')
  redis.call('HSET', KEYS[1], '` + fieldFloor + `', g)
else
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'x', '1')
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1`)

// DropPost implements service.PostCache.
func (s *Store) DropPost(ctx context.Context, app, post, rev string) error {
	g := service.RevGeneration(rev)
	return redisErr(dropPost.Run(ctx, s.rdb, []string{s.keys.Post(app, post)}, g, int(tombstoneTTL/time.Second)).Err())
}

// Page implements service.FeedIndex.
func (s *Store) Page(ctx context.Context, app string, f service.Feed, after string, n int) ([]string, bool, error) {
	start := "+"
	if after != "" {
		start = "(" + after
	}
	var ids *redis.StringSliceCmd
	var built *redis.IntCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		built = p.Exists(ctx, s.keys.Built(app))
		ids = p.ZRangeArgs(ctx, redis.ZRangeArgs{
			Key: s.keys.Feed(app, f), Start: start, Stop: "-", ByLex: true, Rev: true, Count: int64(n),
		})
		return nil
	})
	if err != nil {
		return nil, false, redisErr(err)
	}
	return ids.Val(), built.Val() == 1, nil
}

// Items implements service.PostCache. It reads each post's revision and
// counters (HMGET), takes the decoded document from the process's cache when
// it holds that revision, and fetches and decodes only the other documents
// in a second round trip: documents are immutable per revision, and decoding
// them was most of a feed page's CPU.
func (s *Store) Items(ctx context.Context, app, member string, ids []string) ([]*service.CachedPost, map[string]string, bool, error) {
	posts := make([]*redis.SliceCmd, len(ids))
	var mine *redis.SliceCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			posts[i] = p.HMGet(ctx, s.keys.Post(app, id), countFields...)
		}
		if member != "" {
			fields := make([]string, 0, len(ids)+1)
			fields = append(fields, mineLoaded)
			fields = append(fields, ids...)
			mine = p.HMGet(ctx, s.keys.Mine(app, member), fields...)
		}
		return nil
	})
	if err != nil {
		return nil, nil, false, redisErr(err)
	}
	out := make([]*service.CachedPost, len(ids))
	var fetch []int
	for i, c := range posts {
		vals := c.Val()
		rev, ok := vals[0].(string)
		if !ok || vals[1] == nil {
			continue // missing, a tombstone or a floor, or without counters
		}
		cp := &service.CachedPost{Counts: service.Counts{Reactions: map[string]int64{}}}
		cp.Counts.Version = atoi(vals[1])
		cp.Counts.Comments = atoi(vals[2])
		for k, kind := range social.Reactions {
			if n := atoi(vals[3+k]); n != 0 {
				cp.Counts.Reactions[kind] = n
			}
		}
		if doc := s.docs.get(app, ids[i], rev); doc != nil {
			cp.Doc = doc
		} else {
			fetch = append(fetch, i)
		}
		out[i] = cp
	}
	if len(fetch) > 0 {
		docs := make([]*redis.StringCmd, len(fetch))
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for j, i := range fetch {
				docs[j] = p.HGet(ctx, s.keys.Post(app, ids[i]), fieldDoc)
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, nil, false, redisErr(err)
		}
		for j, i := range fetch {
			var doc social.PostDoc
			if json.Unmarshal([]byte(docs[j].Val()), &doc) != nil {
				out[i] = nil // gone meanwhile, or unreadable: reload
				continue
			}
			p := docform.Post(&doc)
			s.docs.put(app, ids[i], p.Rev, p)
			out[i].Doc = s.docs.get(app, ids[i], p.Rev)
			if out[i].Doc == nil {
				out[i].Doc = p
			}
		}
	}
	reactions := map[string]string{}
	loaded := member == ""
	if mine != nil {
		vals := mine.Val()
		loaded = vals[0] != nil
		for i, id := range ids {
			if v, ok := vals[i+1].(string); ok && v != "" {
				reactions[id] = v
			}
		}
	}
	return out, reactions, loaded, nil
}

// countFields are what Items reads of a cache entry: the revision, the
// counters' version, the comment count and a counter per reaction, in
// social.Reactions order.
var countFields = func() []string {
	f := []string{fieldRev, fieldCountsVersion, fieldComments}
	for _, k := range social.Reactions {
		f = append(f, counterPrefix+k)
	}
	return f
}()

func atoi(v any) int64 {
	s, _ := v.(string)
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// docCache keeps decoded posts by app, post and revision.
type docCache struct {
	mu  sync.Mutex
	m   map[string]revDoc
	max int
}

type revDoc struct {
	rev string
	doc *service.Post
}

// get returns a copy of the cached document of post at rev, or nil.
func (c *docCache) get(app, post, rev string) *service.Post {
	if rev == "" {
		return nil
	}
	c.mu.Lock()
	e, ok := c.m[app+"/"+post]
	c.mu.Unlock()
	if !ok || e.rev != rev {
		return nil
	}
	d := *e.doc // callers may change the copy's fields, never the cached one
	return &d
}

func (c *docCache) put(app, post, rev string, doc *service.Post) {
	if rev == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		clear(c.m) // rare: the cache holds the hot posts again within a page or two
	}
	c.m[app+"/"+post] = revDoc{rev: rev, doc: doc}
}

// docFields are the fields of a post's document in its cache entry.
func docFields(p *service.Post) ([]any, error) {
	doc := docform.PostDoc(p) // the cache keeps the document's form
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, err, "encode cached post")
	}
	return []any{fieldDoc, b, fieldRev, doc.Rev}, nil
}

// countsFields are the fields of a post's counters in its cache entry,
// the version first and every kind of reaction, zeros included (they
// replace the counters held as a whole).
func countsFields(c service.Counts) []any {
	f := []any{fieldCountsVersion, c.Version, fieldComments, c.Comments}
	for _, k := range social.Reactions {
		f = append(f, counterPrefix+k, c.Reactions[k])
	}
	return f
}

// countsVersion is a version as the scripts take it: "" for unversioned
// counters.
func countsVersion(c service.Counts) string {
	if c.Unversioned {
		return ""
	}
	return strconv.FormatInt(c.Version, 10)
}

// cachePost fills a post's entry (KEYS[1]) with what a reader read, or
// with a new post (FeedIndex.Add). ARGV[1] is "add" (the document
// replaces whatever the entry holds, tombstone and floor included) or
// "fill" (the document is written only where none is, no tombstone holds
// the place and no floor is above its generation, ARGV[2]); ARGV[3] is the
// counters' version ("" unversioned), ARGV[4] the lifetime of an entry
// with unversioned counters, ARGV[5] the number n of the document's
// fields and values that follow, then the counters' (cv first). The
// counters replace the entry's unless it holds the same or a later
// version (unversioned ones: unless it holds any); a tombstone refuses a
// fill's counters too. An entry filled with versioned counters and its
// document lives on (a writer's counters waiting for it expired).
var cachePost = redis.NewScript(`
local cur = redis.call('HMGET', KEYS[1], '` + fieldDoc + `', 'x', '` + fieldFloor + `', '` + fieldCountsVersion + `')
local add, v, n = ARGV[1] == 'add', ARGV[3], tonumber(ARGV[5])
if cur[2] and not add then return 0 end
if add or (not cur[1] and not (cur[3] and tonumber(ARGV[2]) < tonumber(cur[3]))) then
  redis.call('HDEL', KEYS[1], 'x', '` + fieldFloor + `')
  redis.call('HSET', KEYS[1], unpack(ARGV, 6, 5 + n))
  if v ~= '' then redis.call('PERSIST', KEYS[1]) end
end
if not cur[4] or (v ~= '' and tonumber(cur[4]) < tonumber(v)) then
  redis.call('HSET', KEYS[1], unpack(ARGV, 6 + n))
end
if v == '' and redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[4]) end
return 1`)

// cachePostArgs are cachePost's arguments for cp in mode ("add" or "fill").
func cachePostArgs(mode string, cp *service.CachedPost) ([]any, error) {
	doc, err := docFields(cp.Doc)
	if err != nil {
		return nil, err
	}
	args := []any{mode, service.RevGeneration(cp.Doc.Rev), countsVersion(cp.Counts), int(unversionedTTL / time.Second), len(doc)}
	args = append(args, doc...)
	return append(args, countsFields(cp.Counts)...), nil
}

// CachePost implements service.PostCache.
func (s *Store) CachePost(ctx context.Context, app string, cp *service.CachedPost) error {
	args, err := cachePostArgs("fill", cp)
	if err != nil {
		return err
	}
	return redisErr(cachePost.Run(ctx, s.rdb, []string{s.keys.Post(app, cp.Doc.ID)}, args...).Err())
}

// startMine starts a fill of a member's reactions (KEYS[1]) unless they
// are loaded: the token ARGV[1] replaces any other fill's, for ARGV[2]
// seconds.
var startMine = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], '` + mineLoaded + `') == 1 then return 0 end
redis.call('HSET', KEYS[1], '` + mineFill + `', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1`)

// fillMine loads a member's reactions (KEYS[1]) if the fill of token
// ARGV[1] is still the one in flight (not cancelled by a reaction, another
// fill or time, nor loaded); the fields and values follow, mineLoaded's
// first.
var fillMine = redis.NewScript(`
if redis.call('HGET', KEYS[1], '` + mineFill + `') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return 1`)

// StartMemberReactions implements service.PostCache.
func (s *Store) StartMemberReactions(ctx context.Context, app, member string) (string, error) {
	token := rand.Text()
	err := startMine.Run(ctx, s.rdb, []string{s.keys.Mine(app, member)}, token, int(tombstoneTTL/time.Second)).Err()
	return token, redisErr(err)
}

// CacheMemberReactions implements service.PostCache.
func (s *Store) CacheMemberReactions(ctx context.Context, app, member, fill string, r map[string]string) error {
	args := make([]any, 0, 3+2*len(r))
	args = append(args, fill, mineLoaded, "1")
	for post, kind := range r {
		args = append(args, post, kind)
	}
	return redisErr(fillMine.Run(ctx, s.rdb, []string{s.keys.Mine(app, member)}, args...).Err())
}

// putCounts is the Lua of PostCache.SetCounts: putCounts(key, from) sets
// the counters of a post's entry (key) from a writer, ARGV[from] their
// version ("" unversioned), ARGV[from+1] the lifetime of an entry it
// creates, then their fields and values (cv first). They replace the
// entry's unless it holds the same or a later version; with no entry they
// make one that waits that long for a reader to fill the document.
// Unversioned counters drop the entry's instead (their version: the entry
// then reads as missing, and is filled again).
const putCounts = `
local function putCounts(key, from)
  local v = ARGV[from]
  if v == '' then redis.call('HDEL', key, '` + fieldCountsVersion + `') return end
  local held = redis.call('HGET', key, '` + fieldCountsVersion + `')
  if held and tonumber(held) >= tonumber(v) then return end
  local existed = redis.call('EXISTS', key) == 1
  redis.call('HSET', key, unpack(ARGV, from + 2))
  if not existed then redis.call('EXPIRE', key, ARGV[from + 1]) end
end
`

// setCounts sets a post's counters (KEYS[1]; ARGV as putCounts from 1).
var setCounts = redis.NewScript(putCounts + `
putCounts(KEYS[1], 1)
return 1`)

// applyReaction sets the member's cached reaction (KEYS[2], only if
// loaded; ARGV[1] the post, ARGV[2] the kind, "" for none), or cancels
// the fill of their reactions in flight, which may have read them before
// this reaction, and, when ARGV[3] follows, the post's counters (KEYS[1];
// as putCounts from 3).
var applyReaction = redis.NewScript(putCounts + `
if redis.call('HEXISTS', KEYS[2], '` + mineLoaded + `') == 1 then
  if ARGV[2] == '' then redis.call('HDEL', KEYS[2], ARGV[1]) else redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) end
else
  redis.call('DEL', KEYS[2])
end
if #ARGV >= 3 then putCounts(KEYS[1], 3) end
return 1`)

// countsArgs are putCounts' arguments for c.
func countsArgs(c service.Counts) []any {
	return append([]any{countsVersion(c), int(tombstoneTTL / time.Second)}, countsFields(c)...)
}

// ApplyReaction implements service.PostCache.
func (s *Store) ApplyReaction(ctx context.Context, r service.Reaction, counts *service.Counts) error {
	keys := []string{s.keys.Post(r.App, r.Post), s.keys.Mine(r.App, r.Member)}
	args := []any{r.Post, r.Kind}
	if counts != nil {
		args = append(args, countsArgs(*counts)...)
	}
	return redisErr(applyReaction.Run(ctx, s.rdb, keys, args...).Err())
}

// SetCounts implements service.PostCache.
func (s *Store) SetCounts(ctx context.Context, app, post string, counts service.Counts) error {
	return redisErr(setCounts.Run(ctx, s.rdb, []string{s.keys.Post(app, post)}, countsArgs(counts)...).Err())
}

// Profile hash fields. A hash with profVersion and no profName is a
// dropped profile's floor (ProfileCache).
const (
	profName    = "n"
	profCompany = "c"
	profTitle   = "t"
	profPhoto   = "ph"
	profDeleted = "del"
	profVersion = "v" // the stored row's version in Unix microseconds (0: no row)
)

// cacheProfile writes a profile read from the store (KEYS[1] its hash,
// ARGV[1] its version, then its fields and values, the name first) unless
// the hash holds the same or a newer version, or a floor above it; a
// tombstone of older code ("x") refuses too.
var cacheProfile = redis.NewScript(`
local cur = redis.call('HMGET', KEYS[1], 'v', ARGV[2], 'x')
if cur[3] then return 0 end
if cur[1] then
  local held, v = tonumber(cur[1]), tonumber(ARGV[1])
  if cur[2] and held >= v then return 0 end
  if not cur[2] and v < held then return 0 end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'v', ARGV[1], unpack(ARGV, 2))
return 1`)

// dropProfile leaves a floor (KEYS[1] the hash, ARGV[1] the change's
// version, ARGV[2] the floor's lifetime in seconds) unless the hash holds
// that change or a later one.
var dropProfile = redis.NewScript(`
local held = redis.call('HGET', KEYS[1], 'v')
if held and tonumber(held) >= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'v', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1`)

// profileVersion is a Profile's Version as the cache stores it.
func profileVersion(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// profileTTL is how long a process keeps a profile it read from Redis: a
// changed name shows within this delay, and a feed page usually needs no
// round trip for its authors.
const profileTTL = 2 * time.Second

// Profiles implements service.ProfileCache.
func (s *Store) Profiles(ctx context.Context, app string, members []string) (map[string]service.Profile, error) {
	out := make(map[string]service.Profile, len(members))
	now := time.Now()
	var ask []string
	s.profMu.Lock()
	for _, m := range members {
		if e, ok := s.profs[app+"/"+m]; ok && now.Before(e.until) {
			out[m] = e.p
		} else {
			ask = append(ask, m)
		}
	}
	s.profMu.Unlock()
	if len(ask) == 0 {
		return out, nil
	}
	members = ask
	cmds := make([]*redis.SliceCmd, len(members))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, m := range members {
			cmds[i] = p.HMGet(ctx, s.keys.Profile(app, m), profName, profCompany, profTitle, profPhoto, profDeleted, profVersion)
		}
		return nil
	})
	if err != nil {
		return nil, redisErr(err)
	}
	s.profMu.Lock()
	defer s.profMu.Unlock()
	if len(s.profs) > 50_000 {
		clear(s.profs)
	}
	for i, c := range cmds {
		v := c.Val()
		name, ok := v[0].(string)
		if !ok {
			continue // not cached, or a floor
		}
		str := func(x any) string { s, _ := x.(string); return s }
		p := service.Profile{
			App: app, Member: members[i], Name: name, Company: str(v[1]), Title: str(v[2]),
			PhotoURL: str(v[3]), Deleted: str(v[4]) == "1",
		}
		if us, _ := strconv.ParseInt(str(v[5]), 10, 64); us != 0 {
			p.Version = time.UnixMicro(us).UTC()
		}
		out[members[i]] = p
		s.profs[app+"/"+members[i]] = timedProfile{p: p, until: now.Add(profileTTL)}
	}
	return out, nil
}

type timedProfile struct {
	p     service.Profile
	until time.Time
}

// CacheProfiles implements service.ProfileCache.
func (s *Store) CacheProfiles(ctx context.Context, app string, ps []service.Profile) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, pr := range ps {
			del := "0"
			if pr.Deleted {
				del = "1"
			}
			cacheProfile.Eval(ctx, p, []string{s.keys.Profile(app, pr.Member)}, profileVersion(pr.Version),
				profName, pr.Name, profCompany, pr.Company, profTitle, pr.Title, profPhoto, pr.PhotoURL, profDeleted, del)
		}
		return nil
	})
	return redisErr(err)
}

// DropProfile implements service.ProfileCache. Other processes keep their copy for
// up to profileTTL.
func (s *Store) DropProfile(ctx context.Context, app, member string, at time.Time) error {
	s.profMu.Lock()
	delete(s.profs, app+"/"+member)
	s.profMu.Unlock()
	err := dropProfile.Run(ctx, s.rdb, []string{s.keys.Profile(app, member)}, profileVersion(at), int(tombstoneTTL/time.Second)).Err()
	return redisErr(err)
}

// gcra is a generic cell rate limiter: ARGV[1] is the emission interval
// (ms), ARGV[2] the burst. It answers 0 when the action is allowed (and
// counts it), or the milliseconds to wait.
var gcra = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allow_at = tat + interval - burst * interval
if now < allow_at then return allow_at - now end
local new = tat + interval
redis.call('SET', KEYS[1], new, 'PX', new - now + 1000)
return 0`)

// Allow implements service.RateLimiter.
func (s *Store) Allow(ctx context.Context, b service.Bucket, l service.Limit) (time.Duration, error) {
	ms, err := gcra.Run(ctx, s.rdb, []string{s.keys.Rate(b.App, b.Action, b.Member)}, l.Per.Milliseconds(), l.Burst).Int64()
	if err != nil {
		return 0, redisErr(err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// reservePending is PendingUploads.ReservePending on a member's hash of
// pending uploads (KEYS[1]: upload id -> "<expiry ms> <bytes>"). ARGV: the
// upload's id, bytes and expiry (ms), now (ms), the quota's count and
// bytes. It drops the expired entries, then adds the upload unless that
// would pass the quota, and keeps the hash until its last entry expires.
// It answers {reserved 0|1, count, bytes, wait ms} (count and bytes of
// the others; wait -1 when the upload alone is over the quota). A hash
// holds at most the quota's count of live entries, so the scan is short.
var reservePending = redis.NewScript(`
local id, size, expires, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local maxCount, maxBytes = tonumber(ARGV[5]), tonumber(ARGV[6])
local all = redis.call('HGETALL', KEYS[1])
local live, count, total, last = {}, 0, 0, expires
for i = 1, #all, 2 do
  local e, b = string.match(all[i+1], '^(%d+) (%d+)$')
  e, b = tonumber(e), tonumber(b)
  if e == nil or b == nil or e <= now then
    redis.call('HDEL', KEYS[1], all[i])
  elseif all[i] ~= id then
    count, total = count + 1, total + b
    live[#live+1] = {e, b}
    if e > last then last = e end
  end
end
if count + 1 <= maxCount and total + size <= maxBytes then
  redis.call('HSET', KEYS[1], id, ARGV[3] .. ' ' .. ARGV[2])
  redis.call('PEXPIRE', KEYS[1], math.max(last - now, 1) + 1000)
  return {1, count, total, 0}
end
if size > maxBytes or maxCount < 1 then return {0, count, total, -1} end
table.sort(live, function(a, b) return a[1] < b[1] end)
local c, t = count, total
for _, x in ipairs(live) do
  c, t = c - 1, t - x[2]
  if c + 1 <= maxCount and t + size <= maxBytes then
    return {0, count, total, math.max(x[1] - now, 1)}
  end
end
return {0, count, total, -1}`)

// ReservePending implements service.PendingUploads.
func (s *Store) ReservePending(ctx context.Context, p service.PendingUpload, q service.UploadQuota, now time.Time) (service.Reservation, error) {
	res, err := reservePending.Run(ctx, s.rdb, []string{s.keys.Pending(p.App, p.Member)},
		p.ID, p.Bytes, p.Expires.UnixMilli(), now.UnixMilli(), q.Count, q.Bytes).Int64Slice()
	if err != nil {
		return service.Reservation{}, redisErr(err)
	}
	if len(res) != 4 {
		return service.Reservation{}, errs.New(errs.Internal, "reserve pending upload: %d values", len(res))
	}
	r := service.Reservation{Reserved: res[0] == 1, Count: int(res[1]), Bytes: res[2]}
	if res[3] > 0 {
		r.Wait = time.Duration(res[3]) * time.Millisecond
	}
	return r, nil
}

// ReleasePending implements service.PendingUploads.
func (s *Store) ReleasePending(ctx context.Context, app, member string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return redisErr(s.rdb.HDel(ctx, s.keys.Pending(app, member), ids...).Err())
}
