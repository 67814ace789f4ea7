// Package redisstore keeps eventwall's live state in Redis: each wall's
// posts (shown and waiting), a copy of the moderators' verdicts and marks
// (Postgres has them), the change log the screens follow, the screens'
// settings, the ingesters' leases, and the pub/sub notifications that keep
// every replica in step. keys.go lists the keys. Nothing here is the only
// copy of anything: the service rebuilds it all after Redis comes back
// empty.
package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/attendify/eventwall"
	"github.com/attendify/eventwall/internal/screen"
	"github.com/attendify/eventwall/internal/service"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/redisx"
)

// DefaultMaxChanges is how many entries a wall's change log keeps; a screen
// further behind gets the full state.
const DefaultMaxChanges = 2000

// Store is the Redis adapter.
type Store struct {
	rdb        redis.UniversalClient
	keys       Keys
	holder     string // this process, as a lease holder
	maxChanges int
}

var (
	_ service.Board  = (*Store)(nil)
	_ service.Leases = (*Store)(nil)
	_ screen.Source  = (*Store)(nil)
)

// New returns a store on rdb under namespace.
func New(rdb redis.UniversalClient, namespace string) *Store {
	return &Store{rdb: rdb, keys: NewKeys(namespace), holder: randomID(), maxChanges: DefaultMaxChanges}
}

// SetMaxChanges changes the change log's length (tests).
func (s *Store) SetMaxChanges(n int) { s.maxChanges = n }

// Keys returns the store's key names.
func (s *Store) Keys() Keys { return s.keys }

func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// bumpLua is shared by the writing scripts: it appends member to the change
// log (KEYS[seq], KEYS[changes], KEYS[floor]), trims it, and announces it.
const bumpLua = `
local function bump(kseq, kchanges, kfloor, member, max, channel, wall)
  local seq = redis.call('INCR', kseq)
  redis.call('ZADD', kchanges, seq, member)
  local n = redis.call('ZCARD', kchanges)
  if n > max then
    local cut = redis.call('ZRANGE', kchanges, n - max - 1, n - max - 1, 'WITHSCORES')
    redis.call('SET', kfloor, cut[2])
    redis.call('ZREMRANGEBYRANK', kchanges, 0, n - max - 1)
  end
  redis.call('PUBLISH', channel, wall .. ' ' .. seq)
  return seq
end
`

// applyScript's answers when it changes nothing for the wall's sake: the
// wall's moderation is not loaded, or the decision's rules are older than
// those in force.
const (
	unloaded = "~unloaded"
	stale    = "~stale"
)

// applyScript applies a decision (service.Decision), unless the wall's
// moderators' decisions are not loaded (KEYS[loaded] is absent) or the
// decision was made with rules (ARGV[rules], 0: a moderator's action)
// older than those in force (KEYS[blockver]): then nothing happens and it
// answers unloaded or stale.
//
// KEYS: revs verdicts marks items entries queue changes seq blocked floor epoch loaded blockver
// ARGV: post rev outcome item entry hash score author channel wall max epoch rules
var applyScript = redis.NewScript(bumpLua + `
if redis.call('EXISTS', KEYS[12]) == 0 then return {'` + unloaded + `', 0} end
local rules = tonumber(ARGV[13])
if rules > 0 and rules < tonumber(redis.call('GET', KEYS[13]) or '0') then return {'` + stale + `', 0} end
local post, rev, outcome = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local cur = tonumber(redis.call('HGET', KEYS[1], post) or '-1')
if rev < cur then return {'', 0} end
redis.call('SET', KEYS[11], ARGV[12], 'NX')
redis.call('HSET', KEYS[1], post, rev)
if outcome ~= 'drop' and ARGV[8] ~= '' and redis.call('SISMEMBER', KEYS[9], ARGV[8]) == 1 then
  outcome = 'drop'
end
local verdict = redis.call('HGET', KEYS[2], post)
if outcome == 'hold' and verdict == 'a:' .. ARGV[6] then outcome = 'show' end
if outcome ~= 'drop' and verdict == 'r' then outcome = 'drop' end
local shown = redis.call('HGET', KEYS[4], post)
if outcome == 'refresh' then
  if shown then
    outcome = 'show'
  elseif redis.call('ZSCORE', KEYS[6], post) then
    outcome = 'hold'
  else
    return {'', 0}
  end
end
local max = tonumber(ARGV[11])
local changed = 0
if outcome == 'show' then
  local item = ARGV[4]
  local mark = redis.call('HGET', KEYS[3], post)
  if mark then item = string.sub(item, 1, -2) .. ',"mark":"' .. mark .. '"}' end
  redis.call('HSET', KEYS[5], post, ARGV[5])
  redis.call('ZREM', KEYS[6], post)
  if shown ~= item then
    redis.call('HSET', KEYS[4], post, item)
    changed = bump(KEYS[8], KEYS[7], KEYS[10], post, max, ARGV[9], ARGV[10])
  end
elseif outcome == 'hold' then
  redis.call('HSET', KEYS[5], post, ARGV[5])
  redis.call('ZADD', KEYS[6], ARGV[7], post)
  if shown then
    redis.call('HDEL', KEYS[4], post)
    changed = bump(KEYS[8], KEYS[7], KEYS[10], post, max, ARGV[9], ARGV[10])
  end
else
  redis.call('HDEL', KEYS[5], post)
  redis.call('ZREM', KEYS[6], post)
  if shown then
    redis.call('HDEL', KEYS[4], post)
    changed = bump(KEYS[8], KEYS[7], KEYS[10], post, max, ARGV[9], ARGV[10])
  end
end
return {outcome, changed}
`)

var applyKeys = []string{"revs", "verdicts", "marks", "items", "entries", "queue", "changes", "seq", "blocked", "floor", "epoch", "loaded", "blockver"}

// Apply implements service.Board.
func (s *Store) Apply(ctx context.Context, wall string, d service.Decision) (service.Applied, error) {
	entry, err := d.EncodeEntry()
	if err != nil {
		return service.Applied{}, err
	}
	item := string(d.Entry.Item)
	res, err := applyScript.Run(ctx, s.rdb, s.keys.wallKeys(wall, applyKeys...),
		d.Post, d.Rev, d.Outcome, item, entry, d.Entry.Hash, d.Entry.Created, d.Entry.Author,
		s.keys.ChangedChannel(), wall, s.maxChanges, randomID(), d.Rules).Slice()
	if err != nil {
		return service.Applied{}, redisx.Err(err)
	}
	out, _ := res[0].(string)
	switch out {
	case unloaded:
		return service.Applied{}, service.ErrUnloaded
	case stale:
		return service.Applied{}, service.ErrStaleRules
	}
	seq, _ := res[1].(int64)
	return service.Applied{Outcome: out, Changed: seq > 0}, nil
}

// approveScript applies a moderator's approval (service.Approval) in one
// step with its checks: the wall's moderation is loaded, the approver's
// rules (ARGV[rules]) are not older than those in force (KEYS[blockver]),
// and the post is kept (shown or waiting) at the revision approved
// (ARGV[rev], 0: any), not rejected, its author not blocked on the wall,
// judged by the rules the approver read (ARGV[rulesid]) and, on a public
// wall (ARGV[audience] not empty), of an event hub lets anonymous readers
// see: ARGV[audience] is '1' when the app is readable ('0' when nothing
// is), the following ARGV the events readable. An entry from before
// entries named their event is refused there as rules_changed (the refill
// after the upgrade judges it again). Then it copies the approval of the
// entry's text and shows the post if it waits, and answers {'approved',
// hash, rev}; otherwise it changes nothing and answers unloaded, stale,
// notKept or {'refused', reason}.
//
// The item shown is the entry's last field, "item", taken byte for byte
// from the entry's JSON (",\"item\":" cannot occur earlier: inside a JSON
// string the quote would be escaped), so that it is the very item the
// decision applied.
//
// KEYS: loaded blockver entries revs verdicts blocked queue items marks seq changes floor
// ARGV: post rev rules rulesid channel wall max audience events...
var approveScript = redis.NewScript(bumpLua + `
if redis.call('EXISTS', KEYS[1]) == 0 then return {'` + unloaded + `'} end
if tonumber(ARGV[3]) < tonumber(redis.call('GET', KEYS[2]) or '0') then return {'` + stale + `'} end
local post, rev = ARGV[1], tonumber(ARGV[2])
local raw = redis.call('HGET', KEYS[3], post)
if not raw then
  if redis.call('HEXISTS', KEYS[4], post) == 1 then return {'refused', '` + eventwall.RefusedRemoved + `'} end
  return {'` + notKept + `'}
end
local e = cjson.decode(raw)
if rev ~= 0 and e.rev ~= rev then return {'refused', '` + eventwall.RefusedChanged + `'} end
if redis.call('HGET', KEYS[5], post) == 'r' then return {'refused', '` + eventwall.RefusedRemoved + `'} end
if type(e.author) == 'string' and redis.call('SISMEMBER', KEYS[6], e.author) == 1 then
  return {'refused', '` + eventwall.RefusedAuthorBlocked + `'}
end
if e.rules_id ~= ARGV[4] then return {'refused', '` + eventwall.RefusedRulesChanged + `'} end
if ARGV[8] ~= '' then
  if type(e.event) ~= 'string' then return {'refused', '` + eventwall.RefusedRulesChanged + `'} end
  local may = false
  if ARGV[8] == '1' then
    may = e.event == ''
    for i = 9, #ARGV do if ARGV[i] == e.event then may = true end end
  end
  if not may then return {'refused', '` + eventwall.RefusedNotPublic + `'} end
end
redis.call('HSET', KEYS[5], post, 'a:' .. e.hash)
if redis.call('ZSCORE', KEYS[7], post) then
  local item = string.sub(raw, string.find(raw, ',"item":', 1, true) + 8, -2)
  local mark = redis.call('HGET', KEYS[9], post)
  if mark then item = string.sub(item, 1, -2) .. ',"mark":"' .. mark .. '"}' end
  redis.call('ZREM', KEYS[7], post)
  redis.call('HSET', KEYS[8], post, item)
  bump(KEYS[10], KEYS[11], KEYS[12], post, tonumber(ARGV[7]), ARGV[5], ARGV[6])
end
return {'approved', e.hash, e.rev}
`)

// notKept is approveScript's answer about a post the wall never decided
// about.
const notKept = "~notkept"

var approveKeys = []string{"loaded", "blockver", "entries", "revs", "verdicts", "blocked", "queue", "items", "marks", "seq", "changes", "floor"}

// Approve implements service.Board.
func (s *Store) Approve(ctx context.Context, wall string, a service.Approval) (service.ApprovalOutcome, error) {
	args := []any{a.Post, a.Rev, a.Rules, a.RulesID, s.keys.ChangedChannel(), wall, s.maxChanges, ""}
	if aud := a.Audience; aud != nil {
		args[7] = "0"
		if aud.App {
			args[7] = "1"
			for _, ev := range aud.Events {
				args = append(args, ev)
			}
		}
	}
	res, err := approveScript.Run(ctx, s.rdb, s.keys.wallKeys(wall, approveKeys...), args...).Slice()
	if err != nil {
		return service.ApprovalOutcome{}, redisx.Err(err)
	}
	switch str(res[0]) {
	case unloaded:
		return service.ApprovalOutcome{}, service.ErrUnloaded
	case stale:
		return service.ApprovalOutcome{}, service.ErrStaleRules
	case notKept:
		return service.ApprovalOutcome{}, errs.New(errs.NotFound, "the wall keeps no post %s", a.Post)
	case "refused":
		return service.ApprovalOutcome{Refused: str(res[1])}, nil
	}
	rev, _ := res[2].(int64)
	return service.ApprovalOutcome{Rev: rev, Hash: str(res[1])}, nil
}

// Entries implements service.Board.
func (s *Store) Entries(ctx context.Context, wall string, posts []string) (map[string]service.Entry, error) {
	out := make(map[string]service.Entry, len(posts))
	if len(posts) == 0 {
		return out, nil
	}
	vals, err := s.rdb.HMGet(ctx, s.keys.Wall(wall, "entries"), posts...).Result()
	if err != nil {
		return nil, redisx.Err(err)
	}
	for i, v := range vals {
		str, ok := v.(string)
		if !ok {
			continue
		}
		var e service.Entry
		if err := json.Unmarshal([]byte(str), &e); err != nil {
			return nil, fmt.Errorf("decode entry %s of wall %s: %w", posts[i], wall, err)
		}
		out[posts[i]] = e
	}
	return out, nil
}

// AllEntries implements service.Board.
func (s *Store) AllEntries(ctx context.Context, wall string) ([]service.Entry, error) {
	m, err := s.rdb.HGetAll(ctx, s.keys.Wall(wall, "entries")).Result()
	if err != nil {
		return nil, redisx.Err(err)
	}
	out := make([]service.Entry, 0, len(m))
	for post, v := range m {
		var e service.Entry
		if err := json.Unmarshal([]byte(v), &e); err != nil {
			return nil, fmt.Errorf("decode entry %s of wall %s: %w", post, wall, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// Queue implements service.Board.
func (s *Store) Queue(ctx context.Context, wall string, offset, limit int) ([]service.Entry, int64, error) {
	var ids *redis.StringSliceCmd
	var total *redis.IntCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		ids = p.ZRange(ctx, s.keys.Wall(wall, "queue"), int64(offset), int64(offset+limit-1))
		total = p.ZCard(ctx, s.keys.Wall(wall, "queue"))
		return nil
	})
	if err != nil {
		return nil, 0, redisx.Err(err)
	}
	entries, err := s.Entries(ctx, wall, ids.Val())
	if err != nil {
		return nil, 0, err
	}
	out := make([]service.Entry, 0, len(ids.Val()))
	for _, id := range ids.Val() {
		if e, ok := entries[id]; ok {
			out = append(out, e)
		}
	}
	return out, total.Val(), nil
}

// Shown implements service.Board.
func (s *Store) Shown(ctx context.Context, wall, post string) (bool, error) {
	n, err := s.rdb.HExists(ctx, s.keys.Wall(wall, "items"), post).Result()
	return n, redisx.Err(err)
}

// mergeLua writes one post's verdict and mark (ARGV from i: post verdict
// mark version) unless the board has them from a later version.
const mergeLua = `
local function merge(kverdicts, kmarks, kmodver, i)
  local post, v = ARGV[i], tonumber(ARGV[i + 3])
  if v <= tonumber(redis.call('HGET', kmodver, post) or '0') then return end
  if ARGV[i + 1] == '' then redis.call('HDEL', kverdicts, post) else redis.call('HSET', kverdicts, post, ARGV[i + 1]) end
  if ARGV[i + 2] == '' then redis.call('HDEL', kmarks, post) else redis.call('HSET', kmarks, post, ARGV[i + 2]) end
  redis.call('HSET', kmodver, post, v)
end
`

// moderateScript copies a moderator's decision. The wall's loaded version
// moves with it only when it is the next one: a decision whose copy failed
// leaves a gap that the ingester sees and fills from Postgres.
//
// KEYS: verdicts marks modver loaded
// ARGV: post verdict mark version
var moderateScript = redis.NewScript(mergeLua + `
merge(KEYS[1], KEYS[2], KEYS[3], 1)
local loaded = redis.call('GET', KEYS[4])
if loaded and tonumber(loaded) == tonumber(ARGV[4]) - 1 then redis.call('SET', KEYS[4], ARGV[4]) end
return 1
`)

// SetModeration implements service.Board.
func (s *Store) SetModeration(ctx context.Context, wall string, m service.Moderation) error {
	err := moderateScript.Run(ctx, s.rdb, s.keys.wallKeys(wall, "verdicts", "marks", "modver", "loaded"),
		m.Post, m.Verdict, m.Mark, m.Version).Err()
	return redisx.Err(err)
}

// restoreScript loads moderators' decisions (ARGV from 2: post verdict mark
// version, repeated), and, when ARGV[1] is not empty, marks the wall's
// moderation loaded up to that version.
//
// KEYS: verdicts marks modver loaded
var restoreScript = redis.NewScript(mergeLua + `
for i = 2, #ARGV, 4 do merge(KEYS[1], KEYS[2], KEYS[3], i) end
if ARGV[1] ~= '' and tonumber(ARGV[1]) > tonumber(redis.call('GET', KEYS[4]) or '-1') then
  redis.call('SET', KEYS[4], ARGV[1])
end
return 1
`)

// restoreBatch bounds the decisions one script call loads.
const restoreBatch = 500

// Restore implements service.Board: the rules' version and the blocked
// authors first, then the decisions in batches, the last of which marks
// the wall loaded.
func (s *Store) Restore(ctx context.Context, wall string, m service.Moderations, version int64, blocked []string) error {
	if err := s.SetRules(ctx, wall, version, blocked); err != nil {
		return err
	}
	keys := s.keys.wallKeys(wall, "verdicts", "marks", "modver", "loaded")
	posts := m.Posts
	for {
		n := min(len(posts), restoreBatch)
		args := make([]any, 0, 1+4*n)
		if n == len(posts) {
			args = append(args, m.Version)
		} else {
			args = append(args, "")
		}
		for _, p := range posts[:n] {
			args = append(args, p.Post, p.Verdict, p.Mark, p.Version)
		}
		if err := restoreScript.Run(ctx, s.rdb, keys, args...).Err(); err != nil {
			return redisx.Err(err)
		}
		posts = posts[n:]
		if len(posts) == 0 {
			return nil
		}
	}
}

// rulesScript puts a version of the settings' rules in force (ARGV[1]),
// replacing the blocked authors (ARGV from 2), unless the board has a
// newer one.
//
// KEYS: blocked blockver
var rulesScript = redis.NewScript(`
if tonumber(ARGV[1]) <= tonumber(redis.call('GET', KEYS[2]) or '0') then return 0 end
redis.call('DEL', KEYS[1])
if #ARGV > 1 then redis.call('SADD', KEYS[1], unpack(ARGV, 2)) end
redis.call('SET', KEYS[2], ARGV[1])
return 1
`)

// SetRules implements service.Board.
func (s *Store) SetRules(ctx context.Context, wall string, version int64, blocked []string) error {
	args := make([]any, 0, 1+len(blocked))
	args = append(args, version)
	for _, a := range blocked {
		args = append(args, a)
	}
	return redisx.Err(rulesScript.Run(ctx, s.rdb, s.keys.wallKeys(wall, "blocked", "blockver"), args...).Err())
}

// publishScript stores a wall's screen settings unless a newer version is
// there.
//
// KEYS: config cfgver seq changes floor epoch
// ARGV: record version channel wall max epoch
var publishScript = redis.NewScript(bumpLua + `
local v = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(ARGV[2]) <= v then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SET', KEYS[6], ARGV[6], 'NX')
return bump(KEYS[3], KEYS[4], KEYS[5], '~cfg', tonumber(ARGV[5]), ARGV[3], ARGV[4])
`)

var publishKeys = []string{"config", "cfgver", "seq", "changes", "floor", "epoch"}

// PublishConfig implements service.Board.
func (s *Store) PublishConfig(ctx context.Context, rec service.ScreenRecord) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	err = publishScript.Run(ctx, s.rdb, s.keys.wallKeys(rec.Wall, publishKeys...),
		b, rec.Version, s.keys.ChangedChannel(), rec.Wall, s.maxChanges, randomID()).Err()
	return redisx.Err(err)
}

// removeScript publishes a deleted wall's last settings, logs the removal
// of every post shown, and deletes the rest of its state; the log and the
// settings expire after a day.
//
// KEYS: config cfgver seq changes floor epoch items entries queue verdicts marks revs blocked filled modver loaded blockver
// ARGV: record version channel wall max epoch ttl
var removeScript = redis.NewScript(bumpLua + `
local max = tonumber(ARGV[5])
for _, post in ipairs(redis.call('HKEYS', KEYS[7])) do
  bump(KEYS[3], KEYS[4], KEYS[5], post, max, ARGV[3], ARGV[4])
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SET', KEYS[6], ARGV[6], 'NX')
bump(KEYS[3], KEYS[4], KEYS[5], '~cfg', max, ARGV[3], ARGV[4])
redis.call('DEL', KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11], KEYS[12], KEYS[13], KEYS[14], KEYS[15], KEYS[16], KEYS[17])
for i = 1, 6 do redis.call('EXPIRE', KEYS[i], ARGV[7]) end
return 1
`)

// RemoveWall implements service.Board.
func (s *Store) RemoveWall(ctx context.Context, rec service.ScreenRecord) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	keys := s.keys.wallKeys(rec.Wall, append(publishKeys, "items", "entries", "queue", "verdicts", "marks", "revs", "blocked", "filled", "modver", "loaded", "blockver")...)
	err = removeScript.Run(ctx, s.rdb, keys, b, rec.Version, s.keys.ChangedChannel(), rec.Wall, s.maxChanges, randomID(), int((24 * time.Hour).Seconds())).Err()
	return redisx.Err(err)
}

// State implements service.Board.
func (s *Store) State(ctx context.Context, wall string) (service.BoardState, error) {
	vals, err := s.rdb.MGet(ctx, s.keys.wallKeys(wall, "filled", "cfgver", "loaded", "config")...).Result()
	if err != nil {
		return service.BoardState{}, redisx.Err(err)
	}
	st := service.BoardState{Moderation: -1}
	st.Fingerprint, _ = vals[0].(string)
	if v, ok := vals[1].(string); ok {
		st.Settings, _ = strconv.ParseInt(v, 10, 64)
	}
	if v, ok := vals[2].(string); ok {
		if st.Moderation, err = strconv.ParseInt(v, 10, 64); err != nil {
			st.Moderation = -1
		}
	}
	if v, ok := vals[3].(string); ok {
		var rec service.ScreenRecord
		if json.Unmarshal([]byte(v), &rec) == nil {
			st.Public = rec.Public && !rec.Gone
		}
	}
	return st, nil
}

// SetFilled implements service.Board.
func (s *Store) SetFilled(ctx context.Context, wall, fingerprint string) error {
	return redisx.Err(s.rdb.Set(ctx, s.keys.Wall(wall, "filled"), fingerprint, 0).Err())
}

// NotifyWalls implements service.Board.
func (s *Store) NotifyWalls(ctx context.Context, app, member string) error {
	msg := app
	if member != "" {
		msg += " " + member
	}
	return redisx.Err(s.rdb.Publish(ctx, s.keys.WallsChannel(), msg).Err())
}

// SubscribeWalls implements service.Board.
func (s *Store) SubscribeWalls(ctx context.Context, fn func(app, member string)) error {
	return s.subscribe(ctx, s.keys.WallsChannel(), func(payload string) {
		app, member, _ := strings.Cut(payload, " ")
		fn(app, member)
	})
}

// subscribe calls fn with each message of channel until ctx ends or the
// subscription fails (go-redis resubscribes after a lost connection by
// itself; messages sent meanwhile are lost, so callers also poll).
func (s *Store) subscribe(ctx context.Context, channel string, fn func(payload string)) error {
	ps := s.rdb.Subscribe(ctx, channel)
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		return redisx.Err(err)
	}
	ch := ps.Channel()
	for {
		select {
		case <-ctx.Done():
			return nil
		case m, ok := <-ch:
			if !ok {
				return errs.New(errs.Unavailable, "subscription to %s closed", channel)
			}
			fn(m.Payload)
		}
	}
}

// ---------------------------------------------------------------------------
// Leases.

var acquireScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
elseif v == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`)

var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// Acquire implements service.Leases.
func (s *Store) Acquire(ctx context.Context, name string, ttl time.Duration) (bool, error) {
	n, err := acquireScript.Run(ctx, s.rdb, []string{s.keys.Lease(name)}, s.holder, ttl.Milliseconds()).Int()
	if err != nil {
		return false, redisx.Err(err)
	}
	return n == 1, nil
}

// Release implements service.Leases.
func (s *Store) Release(ctx context.Context, name string) error {
	return redisx.Err(releaseScript.Run(ctx, s.rdb, []string{s.keys.Lease(name)}, s.holder).Err())
}

// ---------------------------------------------------------------------------
// The screens' side (screen.Source).

// loadScript reads a wall's whole state.
//
// KEYS: epoch seq floor config items changes
var loadScript = redis.NewScript(`
return {
  redis.call('GET', KEYS[1]) or '',
  redis.call('GET', KEYS[2]) or '0',
  redis.call('GET', KEYS[3]) or '0',
  redis.call('GET', KEYS[4]) or '',
  redis.call('HGETALL', KEYS[5]),
  redis.call('ZRANGE', KEYS[6], 0, -1, 'WITHSCORES'),
}
`)

// sinceScript reads what changed in a wall's log after ARGV[1].
//
// KEYS: epoch seq floor config items changes
var sinceScript = redis.NewScript(`
local changes = redis.call('ZRANGEBYSCORE', KEYS[6], '(' .. ARGV[1], '+inf', 'WITHSCORES')
local posts, cfg = {}, ''
for i = 1, #changes, 2 do
  if changes[i] == '~cfg' then
    cfg = redis.call('GET', KEYS[4]) or ''
  else
    posts[#posts + 1] = changes[i]
  end
end
local items = {}
if #posts > 0 then items = redis.call('HMGET', KEYS[5], unpack(posts)) end
return {
  redis.call('GET', KEYS[1]) or '',
  redis.call('GET', KEYS[2]) or '0',
  redis.call('GET', KEYS[3]) or '0',
  cfg, changes, items,
}
`)

var screenKeys = []string{"epoch", "seq", "floor", "config", "items", "changes"}

// Load implements screen.Source.
func (s *Store) Load(ctx context.Context, wall string) (screen.State, error) {
	res, err := loadScript.Run(ctx, s.rdb, s.keys.wallKeys(wall, screenKeys...)).Slice()
	if err != nil {
		return screen.State{}, redisx.Err(err)
	}
	st := screen.State{
		Epoch: str(res[0]), Head: num(res[1]), Floor: num(res[2]),
		Items: map[string][]byte{}, Seqs: map[string]uint64{},
	}
	if c := str(res[3]); c != "" {
		st.Config = []byte(c)
	}
	kv, _ := res[4].([]any)
	for i := 0; i+1 < len(kv); i += 2 {
		st.Items[str(kv[i])] = []byte(str(kv[i+1]))
	}
	ch, _ := res[5].([]any)
	for i := 0; i+1 < len(ch); i += 2 {
		st.Seqs[str(ch[i])] = num(ch[i+1])
	}
	return st, nil
}

// Since implements screen.Source.
func (s *Store) Since(ctx context.Context, wall string, seq uint64) (screen.Delta, error) {
	res, err := sinceScript.Run(ctx, s.rdb, s.keys.wallKeys(wall, screenKeys...), seq).Slice()
	if err != nil {
		return screen.Delta{}, redisx.Err(err)
	}
	d := screen.Delta{Epoch: str(res[0]), Head: num(res[1]), Floor: num(res[2])}
	if c := str(res[3]); c != "" {
		d.Config = []byte(c)
	}
	ch, _ := res[4].([]any)
	items, _ := res[5].([]any)
	k := 0
	for i := 0; i+1 < len(ch); i += 2 {
		c := screen.Change{Post: str(ch[i]), Seq: num(ch[i+1])}
		if c.Post == screen.ConfigMember {
			d.ConfigSeq = c.Seq
			continue
		}
		if k < len(items) {
			if v, ok := items[k].(string); ok {
				c.Item = []byte(v)
			}
		}
		k++
		d.Changes = append(d.Changes, c)
	}
	return d, nil
}

// Heads implements screen.Source.
func (s *Store) Heads(ctx context.Context, walls []string) (map[string]screen.Head, error) {
	cmds := make([]*redis.SliceCmd, len(walls))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, w := range walls {
			cmds[i] = p.MGet(ctx, s.keys.Wall(w, "epoch"), s.keys.Wall(w, "seq"))
		}
		return nil
	})
	if err != nil {
		return nil, redisx.Err(err)
	}
	out := make(map[string]screen.Head, len(walls))
	for i, w := range walls {
		v := cmds[i].Val()
		out[w] = screen.Head{Epoch: str(v[0]), Seq: num(v[1])}
	}
	return out, nil
}

// SubscribeChanges implements screen.Source.
func (s *Store) SubscribeChanges(ctx context.Context, fn func(wall string, seq uint64)) error {
	return s.subscribe(ctx, s.keys.ChangedChannel(), func(payload string) {
		wall, seq, _ := strings.Cut(payload, " ")
		n, _ := strconv.ParseUint(seq, 10, 64)
		fn(wall, n)
	})
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func num(v any) uint64 {
	switch x := v.(type) {
	case string:
		n, _ := strconv.ParseFloat(x, 64)
		return uint64(n)
	case int64:
		return uint64(x)
	}
	return 0
}
