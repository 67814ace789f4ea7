// Package redisstore is sponsored's Redis adapter: it publishes each app's
// eligibility and live counters for the placement package, restores the
// members' caps after a Redis loss, marks hides, appends click and view
// records, and reads the app's record stream as a consumer group for the
// counter. Key names are placement.Keys.
package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/attendify/platform/redisx"
	"github.com/attendify/sponsored/internal/derr"
	"github.com/attendify/sponsored/internal/service"
	"github.com/attendify/sponsored/placement"
)

// Group is the consumer group of the counter on every app's stream.
const Group = "counter"

// Store is the Redis adapter.
type Store struct {
	rdb      redis.UniversalClient
	keys     placement.Keys
	consumer string
	claim    time.Duration
}

// Options configure a Store.
type Options struct {
	// Consumer names this process in the counter's group.
	Consumer string
	// ClaimIdle is how long a record read by a consumer may stay
	// unacknowledged before another consumer takes it (default 30 s).
	ClaimIdle time.Duration
}

// New returns a Store under namespace.
func New(rdb redis.UniversalClient, namespace string, o Options) *Store {
	if o.ClaimIdle <= 0 {
		o.ClaimIdle = 30 * time.Second
	}
	if o.Consumer == "" {
		o.Consumer = "counter-" + placement.NewSecret()[:8]
	}
	return &Store{rdb: rdb, keys: placement.NewKeys(namespace), consumer: o.Consumer, claim: o.ClaimIdle}
}

var (
	_ service.Board = (*Store)(nil)
	_ service.Inbox = (*Store)(nil)
)

// Published reports whether app's eligibility is in Redis.
func (s *Store) Published(ctx context.Context, app string) (_ bool, err error) {
	defer derr.Wrap(&err, "redisstore.Published(%q)", app)
	n, err := s.rdb.Exists(ctx, s.keys.Eligibility(app)).Result()
	return n == 1, redisx.Err(err)
}

// generationScript gives the next publication generation: Redis' clock
// in microseconds, or the last one given plus one when that is later. Not
// a plain INCR: were the counter lost alone (a shard of a cluster, while
// the apps' live hashes on other shards keep their generations), INCR
// would start again at 1 and every publication would be refused; the
// clock starts it again past the generations given before.
// KEYS: the generation counter.
var generationScript = redis.NewScript(`
local t = redis.call('TIME')
local g = math.max(tonumber(t[1]) * 1000000 + tonumber(t[2]), tonumber(redis.call('GET', KEYS[1]) or '0') + 1)
redis.call('SET', KEYS[1], string.format('%.0f', g))
return g
`)

// Generation returns the next publication generation.
func (s *Store) Generation(ctx context.Context) (_ int64, err error) {
	defer derr.Wrap(&err, "redisstore.Generation")
	n, err := generationScript.Run(ctx, s.rdb, []string{s.keys.Generations()}).Int64()
	return n, redisx.Err(err)
}

// publishScript writes an app's publication unless the one in Redis has a
// generation of ARGV[1] or above (kept in the live hash, placement.GenerationField).
// KEYS: live hash, eligibility. ARGV: generation, generation field, the
// eligibility document ("" deletes it), the number of serving campaigns;
// per serving campaign its served field and count (set when missing),
// budget field and budget, pacing field and target; then the fields to
// delete (the stopped campaigns' budgets and targets).
var publishScript = redis.NewScript(`
local live, elig = KEYS[1], KEYS[2]
local gen = tonumber(ARGV[1])
if gen <= tonumber(redis.call('HGET', live, ARGV[2]) or '0') then return 0 end
redis.call('HSET', live, ARGV[2], ARGV[1])
local i = 5
for _ = 1, tonumber(ARGV[4]) do
  redis.call('HSETNX', live, ARGV[i], ARGV[i + 1])
  redis.call('HSET', live, ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5])
  i = i + 6
end
for j = i, #ARGV do redis.call('HDEL', live, ARGV[j]) end
if ARGV[3] == '' then redis.call('DEL', elig) else redis.call('SET', elig, ARGV[3]) end
return 1
`)

// Publish writes app's eligibility and live counters in one script, which
// writes nothing when the app's publication in Redis is of generation gen
// or later.
func (s *Store) Publish(ctx context.Context, app string, gen int64, elig placement.Eligibility, live []service.Live, stopped []string) (err error) {
	defer derr.Wrap(&err, "redisstore.Publish(%q, %d live)", app, len(live))
	doc := ""
	if len(elig.Campaigns) > 0 {
		b, err := json.Marshal(elig)
		if err != nil {
			return err
		}
		doc = string(b)
	}
	args := make([]any, 0, 4+6*len(live)+2*len(stopped))
	args = append(args, gen, placement.GenerationField, doc, len(live))
	for _, l := range live {
		args = append(args, placement.ServedField(l.Campaign), l.Counted, placement.BudgetField(l.Campaign), l.Budget, placement.PaceField(l.Campaign), l.Pace)
	}
	for _, c := range stopped {
		args = append(args, placement.BudgetField(c), placement.PaceField(c))
	}
	err = publishScript.Run(ctx, s.rdb, []string{s.keys.Live(app), s.keys.Eligibility(app)}, args...).Err()
	return redisx.Err(err)
}

// Served reports whether member's caps hold a flight count of campaign.
func (s *Store) Served(ctx context.Context, app, campaign, member string) (_ bool, err error) {
	defer derr.Wrap(&err, "redisstore.Served(%q, %q, %q)", app, campaign, member)
	ok, err := s.rdb.HExists(ctx, s.keys.Member(app, member), placement.FlightCountField(campaign)).Result()
	return ok, redisx.Err(err)
}

// restoreScript writes one member's window of one campaign unless Redis
// has it (a flight count present), and the hide mark.
// KEYS: the member's hash. ARGV: campaign, hour, hour count, day, day
// count, flight count, hidden ("1"/"0"), TTL seconds.
var restoreScript = redis.NewScript(`
local k, c = KEYS[1], ARGV[1]
if tonumber(ARGV[6]) > 0 and redis.call('HEXISTS', k, c .. ':f') == 0 then
  redis.call('HSET', k, c .. ':h', ARGV[2], c .. ':hc', ARGV[3], c .. ':d', ARGV[4], c .. ':dc', ARGV[5], c .. ':f', ARGV[6])
end
if ARGV[7] == '1' then redis.call('HSET', k, c .. ':x', '1') end
if redis.call('EXISTS', k) == 1 and redis.call('TTL', k) < tonumber(ARGV[8]) then redis.call('EXPIRE', k, ARGV[8]) end
return 0
`)

// capTTL is how long members' cap hashes live without a charge (a flight
// lasts at most a year).
const capTTL = 400 * 24 * time.Hour

// RestoreCaps writes the windows Redis lacks, in pipelines of 500.
func (s *Store) RestoreCaps(ctx context.Context, app string, ws []service.CapWindow) (err error) {
	defer derr.Wrap(&err, "redisstore.RestoreCaps(%q, %d windows)", app, len(ws))
	for len(ws) > 0 {
		n := min(len(ws), 500)
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, w := range ws[:n] {
				hidden := "0"
				if w.Hidden {
					hidden = "1"
				}
				restoreScript.Eval(ctx, p, []string{s.keys.Member(app, w.Member)}, w.Campaign, w.Hour, w.HourCount, w.Day, w.DayCount, w.FlightCount, hidden, int64(capTTL/time.Second))
			}
			return nil
		})
		if err != nil {
			return redisx.Err(err)
		}
		ws = ws[n:]
	}
	return nil
}

// Hide marks h.Campaign hidden in h.Member's caps.
func (s *Store) Hide(ctx context.Context, h service.Hidden) (err error) {
	defer derr.Wrap(&err, "redisstore.Hide(%q, %q, %q)", h.App, h.Member, h.Campaign)
	k := s.keys.Member(h.App, h.Member)
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, k, placement.HiddenField(h.Campaign), "1")
		p.ExpireNX(ctx, k, capTTL)
		return nil
	})
	return redisx.Err(err)
}

// Append appends a record to app's stream.
func (s *Store) Append(ctx context.Context, app string, r service.Record) (err error) {
	defer derr.Wrap(&err, "redisstore.Append(%q, %s)", app, r.Kind)
	internal := "0"
	if r.Internal {
		internal = "1"
	}
	items := make([]string, 0, 2*len(r.Items))
	for _, it := range r.Items {
		items = append(items, it.Campaign, it.Impression)
	}
	return redisx.Err(s.rdb.XAdd(ctx, &redis.XAddArgs{Stream: s.keys.Records(app), Values: []any{
		placement.RecKind, r.Kind, placement.RecMember, r.Member, placement.RecTime, r.At.UnixMilli(),
		placement.RecInternal, internal, placement.RecItems, strings.Join(items, " "),
	}}).Err())
}

// Read returns up to n unacknowledged records of app: those left pending
// past ClaimIdle (by a consumer that died, or by this one after a failed
// count), then new ones.
func (s *Store) Read(ctx context.Context, app string, n int) (_ []service.Record, err error) {
	defer derr.Wrap(&err, "redisstore.Read(%q)", app)
	key := s.keys.Records(app)
	msgs, _, err := s.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: key, Group: Group, Consumer: s.consumer, MinIdle: s.claim, Start: "0-0", Count: int64(n)}).Result()
	if isNoGroup(err) {
		if err := s.rdb.XGroupCreateMkStream(ctx, key, Group, "0").Err(); err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
			return nil, redisx.Err(err)
		}
		msgs, err = nil, nil
	}
	if err != nil {
		return nil, redisx.Err(err)
	}
	if len(msgs) < n {
		res, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: Group, Consumer: s.consumer, Streams: []string{key, ">"}, Count: int64(n - len(msgs)), Block: -1}).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, redisx.Err(err)
		}
		for _, st := range res {
			msgs = append(msgs, st.Messages...)
		}
	}
	out := make([]service.Record, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, decode(m))
	}
	return out, nil
}

func isNoGroup(err error) bool { return err != nil && strings.HasPrefix(err.Error(), "NOGROUP") }

// decode reads a record; an unreadable one comes back with no items (it
// is acknowledged and counts nothing).
func decode(m redis.XMessage) service.Record {
	str := func(k string) string { s, _ := m.Values[k].(string); return s }
	ms, _ := strconv.ParseInt(str(placement.RecTime), 10, 64)
	r := service.Record{ID: m.ID, Kind: str(placement.RecKind), Member: str(placement.RecMember),
		At: time.UnixMilli(ms).UTC(), Internal: str(placement.RecInternal) == "1"}
	f := strings.Fields(str(placement.RecItems))
	if len(f)%2 != 0 || r.Member == "" || ms <= 0 {
		return service.Record{ID: m.ID}
	}
	for i := 0; i+1 < len(f); i += 2 {
		r.Items = append(r.Items, service.Item{Campaign: f[i], Impression: f[i+1]})
	}
	return r
}

// Ack acknowledges and deletes records of app's stream, in one MULTI: the
// stream keeps only what is not counted yet.
func (s *Store) Ack(ctx context.Context, app string, ids []string) (err error) {
	defer derr.Wrap(&err, "redisstore.Ack(%q, %d)", app, len(ids))
	if len(ids) == 0 {
		return nil
	}
	key := s.keys.Records(app)
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.XAck(ctx, key, Group, ids...)
		p.XDel(ctx, key, ids...)
		return nil
	})
	return redisx.Err(err)
}
