// Command socialbench loads a running social service from a separate
// process, the way mobile apps would, and measures the same operations made
// directly against the stores (the baseline). bench/social/run.sh starts the
// server and runs it; the figures go to bench/RESULTS.md.
//
// It seeds one app in hub's read model (1 event, -members members with
// tokens, profiles through hub's member events), creates -posts posts and
// -likes likes through the API (measuring post creations/s and likes/s),
// then, at -c concurrent clients: feed pages (-page items) beside the same
// reads made straight against Redis, in -feed-rounds interleaved rounds of
// -ab-duration (feed.go), and for -duration each, likes on one hot post and
// the baselines of likes and posts.
//
// Configuration of the stores comes from the same environment as social's
// (DATABASE_URL, REDIS_URL, COUCHDB_URL, REDIS_NAMESPACE, SOCIAL_COUCH_PREFIX).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/benchkit"
	"github.com/attendify/platform/couch"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/flake"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/redisx"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/runner"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/app"
	"github.com/attendify/social/internal/service"
	"github.com/attendify/social/internal/store/couchstore"
	"github.com/attendify/social/internal/store/pgstore"
	"github.com/attendify/social/internal/store/redisstore"
	"github.com/attendify/social/migrations"
)

type flags struct {
	url       string
	clients   int
	duration  time.Duration
	members   int
	posts     int
	likes     int
	page      int
	skip      string
	profile   string
	adminURL  string
	wrkScript string
	// Placement on vs off: a second social server with placement on, the
	// sponsored service, and the rounds.
	placementURL string
	sponsoredURL string
	abRounds     int
	abDuration   time.Duration
	abDecode     bool
	// Rounds of the feed phase (feedRounds).
	feedRounds int
	// The servers' process ids, to read their CPU time per round.
	offPID, onPID int
	// The -placement-url server's admin listener, for -profile.
	onAdminURL string
}

func main() {
	var f flags
	flag.StringVar(&f.url, "url", "http://127.0.0.1:8083", "social's URL")
	flag.IntVar(&f.clients, "c", 64, "concurrent clients")
	flag.DurationVar(&f.duration, "duration", 15*time.Second, "duration of each timed phase")
	flag.IntVar(&f.members, "members", 1000, "members to seed")
	flag.IntVar(&f.posts, "posts", 10000, "posts to create")
	flag.IntVar(&f.likes, "likes", 100000, "likes to create")
	flag.IntVar(&f.page, "page", 20, "feed page size")
	flag.StringVar(&f.profile, "profile", "", "save the server's CPU profile of the feed phase here, from -admin-url (server started with DEBUG_PPROF=true), and this process's beside it (<profile>.client)")
	flag.StringVar(&f.adminURL, "admin-url", "", "the -url server's admin listener (ADMIN_ADDR), for -profile")
	flag.StringVar(&f.skip, "skip", "", "timed phases to skip, comma-separated: feed,hot,baselines")
	flag.StringVar(&f.wrkScript, "wrk-script", "", "after seeding, write here a wrk Lua script of the feed call, a different member's token on each request")
	flag.StringVar(&f.placementURL, "placement-url", "", "a second social server, with sponsored placement on: measure the feed on vs off (-url has it off)")
	flag.StringVar(&f.sponsoredURL, "sponsored-url", "http://127.0.0.1:18084", "the sponsored service (with -placement-url)")
	flag.IntVar(&f.abRounds, "ab-rounds", 5, "rounds of the placement on/off comparison, interleaved")
	flag.DurationVar(&f.abDuration, "ab-duration", 10*time.Second, "duration of each on/off round, and of each round of the feed phase")
	flag.BoolVar(&f.abDecode, "ab-decode", false, "in the on/off rounds, decode every page into Go types (else the light client of the feed phase)")
	flag.IntVar(&f.feedRounds, "feed-rounds", 5, "interleaved rounds of the feed phase: the API loaded by wrk (with -wrk-script) and by a light client, the Redis-only baseline, the API loaded by a decoding client")
	flag.IntVar(&f.offPID, "off-pid", 0, "the process id of the -url server (its CPU time per request)")
	flag.IntVar(&f.onPID, "on-pid", 0, "the process id of the -placement-url server")
	flag.StringVar(&f.onAdminURL, "on-admin-url", "", "the -placement-url server's admin listener, for -profile: both servers' CPU profiles of the second on/off round go to <profile>.on and .off")
	flag.Parse()
	if f.profile != "" && f.adminURL == "" {
		fmt.Fprintln(os.Stderr, "-profile needs -admin-url (the server's ADMIN_ADDR)")
		os.Exit(2)
	}
	runner.Main(func(ctx context.Context) error { return run(ctx, f) })
}

// result is one measured phase.
type result struct {
	Name     string  `json:"name"`
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	Seconds  float64 `json:"seconds"`
	PerSec   float64 `json:"per_sec"`
	P50ms    float64 `json:"p50_ms"`
	P99ms    float64 `json:"p99_ms"`
	// CPUus is the serving process's CPU time a request (µs), when known.
	CPUus    float64 `json:"cpu_us,omitempty"`
	FirstErr string  `json:"first_error,omitempty"`
}

func (r result) String() string {
	return fmt.Sprintf("%-34s %8d req %5d err %9.0f/s  p50 %7.2f ms  p99 %7.2f ms %s", r.Name, r.Requests, r.Errors, r.PerSec, r.P50ms, r.P99ms, r.FirstErr)
}

// load runs op on c workers until n operations are done (n > 0) or d has
// passed (benchkit.Phase), and measures them. op gets the worker and a
// sequence number.
func load(ctx context.Context, name string, c, n int, d time.Duration, op func(ctx context.Context, worker, i int) error) result {
	phase := benchkit.Phase{Clients: c, Calls: n}
	if n <= 0 {
		phase.Duration = d
	}
	res, _ := phase.Run(ctx, func(ctx context.Context, call benchkit.Call) error { return op(ctx, call.Client, call.Seq) })
	r := result{Name: name, Requests: len(res.Latencies), Errors: res.Failures, Seconds: res.Elapsed.Seconds(), PerSec: res.Rate(),
		P50ms: benchkit.Millis(res.Percentile(50)), P99ms: benchkit.Millis(res.Percentile(99))}
	if res.FirstErr != nil {
		r.FirstErr = "first error: " + res.FirstErr.Error()
	}
	fmt.Fprintln(os.Stderr, r)
	return r
}

func run(ctx context.Context, f flags) error {
	cfg, err := app.LoadConfig()
	if err != nil {
		return err
	}
	rdb, err := redisx.Open(ctx, cfg.Service.Redis)
	if err != nil {
		return err
	}
	pool, err := pg.Open(ctx, cfg.PG, migrations.Schema)
	if err != nil {
		return err
	}
	cc, err := couch.Open(ctx, cfg.Couch)
	if err != nil {
		return err
	}
	issuer, err := cfg.Service.Auth.Issuer()
	if err != nil {
		return err
	}
	// No retries and no circuit breaking: every call is measured as it is.
	client, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{f.url}, MaxAttempts: 1, ConsecutiveFailures: 1 << 30})
	if err != nil {
		return err
	}
	ns := cfg.Namespace
	ids := flake.New(0)
	hk := hub.NewReadModelKeys(ns)

	// Seed hub's part: the app, its event, the members, their profiles.
	appID := ids.Next().String()
	event := hub.EventInfo{ID: ids.Next().String(), Name: "Bench Conf", TimeZone: "UTC", Visibility: hub.VisibilityPublic, Access: hub.EventAccessOpen}
	evs, _ := hub.EncodeEvents([]hub.EventInfo{event})
	pub := events.NewPublisher(rdb, events.NewStreams(ns), events.PublisherConfig{})
	members := make([]string, f.members)
	tokens := make([]string, f.members)
	_, err = rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, hk.Ready(), "1", 0)
		p.HSet(ctx, hk.Config(appID), anys(hub.EncodeAppConfig(hub.AppConfig{ID: appID, Slug: "bench", Name: "Bench", Status: hub.StatusPublished, Access: hub.AccessOpen}), hub.FieldVersion, "1")...)
		p.HSet(ctx, hk.Events(appID), anys(evs, hub.FieldVersion, "1")...)
		for i := range members {
			members[i] = ids.Next().String()
			p.HSet(ctx, hk.Membership(appID, members[i]), anys(hub.EncodeMembership(hub.Membership{App: appID, User: members[i], Role: auth.RoleAttendee}), hub.FieldVersion, "1")...)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, m := range members {
		data, _ := json.Marshal(hub.MemberPayload{ID: m, AppID: appID, Name: fmt.Sprintf("Member %d", i), Company: "Acme", Title: "Attendee"})
		if err := pub.Publish(ctx, events.Event{Type: hub.EventMemberCreated, App: appID, Subject: m, Data: data}); err != nil {
			return err
		}
		if tokens[i], err = issuer.Issue(auth.Claims{User: m, App: appID, Role: auth.RoleAttendee}, 2*time.Hour); err != nil {
			return err
		}
	}
	as := func(ctx context.Context, i int) context.Context {
		i %= len(members)
		return auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, User: members[i], App: appID, Role: auth.RoleAttendee, Token: tokens[i]})
	}
	fmt.Fprintf(os.Stderr, "seeded app %s: %d members\n", appID, f.members)
	if f.wrkScript != "" {
		if err := writeWrkScript(f.wrkScript, appID, f.page, tokens); err != nil {
			return err
		}
	}

	var results []result
	// Posts through the API.
	posts := make([]string, f.posts)
	tags := []string{"#keynote", "#gophers", "#coffee", "#networking", ""}
	results = append(results, load(ctx, "post.create (API)", f.clients, f.posts, 0, func(ctx context.Context, w, i int) error {
		p := social.CreatePostParams{AppRef: rpc.AppRef{App: appID}, Text: fmt.Sprintf("Post %d from the floor %s", i, tags[i%len(tags)])}
		if i%2 == 0 {
			p.EventID = event.ID
		}
		r, err := social.CreatePost.Call(as(ctx, i), client, p)
		posts[i] = r.ID
		return err
	}))
	// Likes spread over the posts: distinct (member, post) pairs.
	results = append(results, load(ctx, "reaction.set spread (API)", f.clients, f.likes, 0, func(ctx context.Context, w, i int) error {
		m, k := i%f.members, i/f.members
		post := posts[(k*101+m*7)%len(posts)]
		_, err := social.React.Call(as(ctx, m), client, social.ReactParams{AppRef: rpc.AppRef{App: appID}, PostID: post, Reaction: social.ReactionLike})
		return err
	}))
	skip := func(phase string) bool { return slices.Contains(strings.Split(f.skip, ","), phase) }
	// Let the outbox relay publish the seeding's events before timing reads.
	for {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM outbox`).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			break
		}
		fmt.Fprintf(os.Stderr, "waiting for the outbox to drain (%d events)\n", n)
		time.Sleep(2 * time.Second)
	}
	// Feed pages against the same reads straight against Redis (issue 20's
	// yardstick), in interleaved rounds.
	if !skip("feed") {
		base := baselineFeedOp(hub.NewReadModel(rdb, ns), redisstore.New(rdb, ns), appID, members, f.page)
		rs, err := feedRounds(ctx, f, client, appID, as, base)
		if err != nil {
			return err
		}
		results = append(results, rs...)
	}
	if f.placementURL != "" {
		ab, err := placementAB(ctx, f, rdb, issuer, appID, as)
		if err != nil {
			return err
		}
		results = append(results, ab...)
	}
	// One hot post: every request is a change (like, unlike) by a member of
	// the worker's own.
	hot := posts[len(posts)-1]
	state := make([]bool, f.members)
	hotDuration := f.duration
	if skip("hot") {
		hotDuration = time.Millisecond
	}
	results = append(results, load(ctx, "reaction.set hot post (API)", f.clients, 0, hotDuration, func(ctx context.Context, w, i int) error {
		m := w + f.clients*((i/f.clients)%(f.members/f.clients))
		m %= f.members
		var err error
		if !state[m] {
			_, err = social.React.Call(as(ctx, m), client, social.ReactParams{AppRef: rpc.AppRef{App: appID}, PostID: hot, Reaction: social.ReactionLike})
		} else {
			_, err = social.Unreact.Call(as(ctx, m), client, social.PostParams{AppRef: rpc.AppRef{App: appID}, PostID: hot})
		}
		if err == nil {
			state[m] = !state[m]
		}
		return err
	}))

	if skip("baselines") {
		return json.NewEncoder(os.Stdout).Encode(map[string]any{"app": appID, "results": results})
	}
	// Baselines: the same work as direct store calls from this process
	// (the feed's runs in the feed phase).
	docs := couchstore.New(cc, cfg.CouchPrefix)
	index := redisstore.New(rdb, ns)
	ledger := pgstore.New(pool, nil)
	hot2 := posts[len(posts)-2]
	state2 := make([]bool, f.members)
	results = append(results, load(ctx, "baseline hot post like (Postgres tx + Redis)", f.clients, 0, f.duration, func(ctx context.Context, w, i int) error {
		m := (w + f.clients*((i/f.clients)%(f.members/f.clients))) % f.members
		kind := social.ReactionLike
		if state2[m] {
			kind = ""
		}
		re := service.Reaction{App: appID, Post: hot2, Member: members[m], Kind: kind}
		r, err := ledger.React(ctx, re, func(prev string) service.Effects {
			return service.Effects{App: appID, Events: []events.Event{{Type: social.EventLikeCreated, App: appID, Subject: hot2, Data: json.RawMessage(`{}`)}}}
		})
		if err != nil {
			return err
		}
		if r.Changed {
			state2[m] = !state2[m]
			counts, err := ledger.Counts(ctx, appID, hot2) // as committed, for the cache
			if err != nil {
				return err
			}
			return index.ApplyReaction(ctx, re, &counts)
		}
		return nil
	}))
	results = append(results, load(ctx, "baseline post create (CouchDB + Postgres + Redis)", f.clients, 2000, 0, func(ctx context.Context, w, i int) error {
		id := ids.Next().String()
		doc := &service.Post{ID: id, App: appID, Author: members[i%len(members)],
			Text: "baseline", Hashtags: []string{}, Mentions: []service.Mention{}, Photos: []service.PhotoRef{}, CreatedAt: time.Now().UTC()}
		if err := docs.CreatePost(ctx, doc, nil); err != nil {
			return err
		}
		if err := ledger.Record(ctx, service.Effects{App: appID, Events: []events.Event{{Type: social.EventPostCreated, App: appID, Subject: id, Data: json.RawMessage(`{}`)}}}); err != nil {
			return err
		}
		return index.Add(ctx, service.IndexEntry{App: appID, ID: id, Author: doc.Author}, &service.CachedPost{Doc: doc})
	}))
	// The hot post's count is exact: it equals the number of members whose
	// register holds a reaction to it.
	c, err := ledger.Counts(ctx, appID, hot)
	if err != nil {
		return err
	}
	want := 0
	for _, m := range members {
		r, err := ledger.MemberReactions(ctx, appID, m)
		if err != nil {
			return err
		}
		if r[hot] != "" {
			want++
		}
	}
	fmt.Fprintf(os.Stderr, "hot post: %d reactions counted, %d expected\n", c.Total(), want)
	out := map[string]any{"app": appID, "results": results, "hot_post_reactions": c.Total(), "hot_post_expected": want}
	return json.NewEncoder(os.Stdout).Encode(out)
}

// saveProfile fetches the server's CPU profile over d from its admin
// listener at url into path.
func saveProfile(url string, d time.Duration, path string) {
	u := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", url, int(d.Seconds())-1)
	if err := benchkit.FetchProfile(context.Background(), u, path); err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
	}
}

func anys(ss []string, more ...string) []any {
	out := make([]any, 0, len(ss)+len(more))
	for _, s := range ss {
		out = append(out, s)
	}
	for _, s := range more {
		out = append(out, s)
	}
	return out
}

// writeWrkScript writes a wrk script of feed.get calls, in turn as each
// seeded member (wrk is the lightest load generator at hand). With
// WRK_PAGES=n (1 by default) it pages as feedOp does: a call's JSON-RPC id
// is the page's depth, and an answer of depth below n queues its
// next_cursor for a next call, which takes it before a new first page: as
// many calls of each depth. WRK_DELAY_MS, when set, paces each connection.
func writeWrkScript(path, appID string, page int, tokens []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nlocal method, app, limit = %q, %q, %d\n", social.GetFeed.Name, appID, page)
	b.WriteString("local tokens = {\n")
	for _, t := range tokens {
		fmt.Fprintf(&b, "  %q,\n", t)
	}
	b.WriteString(`}
local pages = tonumber(os.getenv("WRK_PAGES") or "1")
local function call(depth, cursor)
  local c = ""
  if cursor then c = string.format(',"cursor":"%s"', cursor) end
  return string.format('{"jsonrpc":"2.0","id":%d,"method":"%s","params":{"app_id":"%s","kind":"app","limit":%d%s}}', depth, method, app, limit, c)
end
local heads, first, i = {}, {}, 0
local queue, qhead, qtail = {}, 1, 0
function init(args)
  for _, t in ipairs(tokens) do
    local h = {}
    for k, v in pairs(wrk.headers) do h[k] = v end
    h["Authorization"] = "Bearer " .. t
    heads[#heads + 1] = h
    first[#first + 1] = wrk.format(nil, nil, h, call(1, nil))
  end
end
function request()
  i = i % #heads + 1
  if qhead <= qtail then
    local e = queue[qhead]
    queue[qhead] = nil
    qhead = qhead + 1
    return wrk.format(nil, nil, heads[i], call(e[1], e[2]))
  end
  return first[i]
end
local pace = tonumber(os.getenv("WRK_DELAY_MS") or "")
if pace then
  function delay() return pace end
end
-- A JSON-RPC error answers HTTP 200: every body is read, and one with an
-- "error" member counts as a failure (RPC_ERRORS, printed by done). The
-- answer ends with ,"next_cursor":"..."},"id":<depth>}.
local threads = {}
function setup(thread) table.insert(threads, thread) end
rpc_errors = 0
function response(status, headers, body)
  if status >= 400 or not body then return end
  if body:find('"error"%s*:') then
    rpc_errors = rpc_errors + 1
    return
  end
  if pages > 1 then
    local tail = body:sub(-400)
    local depth = tonumber(tail:match(',"id":(%d+)}$'))
    local c = tail:match('"next_cursor":"([%w_-]+)"')
    if depth and depth < pages and c then
      qtail = qtail + 1
      queue[qtail] = {depth + 1, c}
    end
  end
end
function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("rpc_errors") end
  io.write(string.format("RPC_ERRORS %d\n", n))
end
`)
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
