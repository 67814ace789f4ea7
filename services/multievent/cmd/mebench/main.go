// Command mebench measures multievent beside its baselines and prints
// Markdown tables (bench/multievent/run.sh runs it for `make bench`):
//
//   - directory.list and search.query over JSON-RPC at -clients concurrent
//     clients, on an app of 50 events, 5,000 sessions and 2,000 speakers
//     seeded through hub, beside the bare SQL queries they run (the
//     Postgres adapter's Events and Search on a pool of their own);
//   - bookmark writes (agenda.sync, one operation a call) beside the raw
//     data-type call (SetAdd/SetRemove of the key-value port), on pgkv, and
//     on Riak when RIAK_HOSTS is set;
//   - the time from an organizer's session.save in hub to the session's
//     document in CouchDB;
//   - what a member's first replication reads from their content
//     databases, beside what one database of the whole app holds (what a
//     filtered replication of a single database makes the server read).
//
// It runs a real hub and a real multievent (the binaries given with -hub
// and -multievent) on a database, a Redis namespace and CouchDB database
// names of their own, removed at the end. Every JSON-RPC error counts as a
// failure. Rounds of the load targets are interleaved. Each load row gives
// the server CPU per call: multievent's process and the Postgres backends
// of the bench's database (/proc), which the machine's load moves less
// than latencies. multievent inherits the environment (so
// MULTIEVENT_SEARCH_CACHE=0 measures search without its cache).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/attendify/hub"
	"github.com/attendify/multievent"
	"github.com/attendify/multievent/internal/service"
	"github.com/attendify/multievent/internal/store/postgres"
	"github.com/attendify/multievent/migrations"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/benchkit"
	"github.com/attendify/platform/couch"
	"github.com/attendify/platform/kv"
	"github.com/attendify/platform/kv/pgkv"
	"github.com/attendify/platform/kv/riakkv"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/redisx"
	"github.com/attendify/platform/rpc"
)

type config struct {
	Postgres pg.Config
	Redis    redisx.Config
	Couch    couch.Config
	Auth     auth.Config
	Riak     riakkv.Config
}

type params struct {
	hubBin, meBin     string
	clients, rounds   int
	duration, warm    time.Duration
	edits             int
	events, perEvent  int
	speakers, members int
	bookmarkClients   int
	bookmarkSessions  int
	parts             string
}

func main() {
	var p params
	flag.StringVar(&p.hubBin, "hub", "", "hub binary")
	flag.StringVar(&p.meBin, "multievent", "", "multievent binary")
	flag.IntVar(&p.clients, "clients", 64, "concurrent clients of the directory and search loads")
	flag.IntVar(&p.rounds, "rounds", 3, "interleaved rounds of each load target")
	flag.DurationVar(&p.duration, "duration", 10*time.Second, "measured time of one round")
	flag.DurationVar(&p.warm, "warm", 2*time.Second, "warm-up before each round")
	flag.IntVar(&p.edits, "edits", 100, "session edits timed from hub to CouchDB")
	flag.IntVar(&p.events, "events", 50, "events of the app")
	flag.IntVar(&p.perEvent, "sessions-per-event", 100, "sessions of each event")
	flag.IntVar(&p.speakers, "speakers", 2000, "speakers of the app")
	flag.IntVar(&p.members, "members", 64, "members (each load client is one)")
	flag.IntVar(&p.bookmarkClients, "bookmark-clients", 16, "concurrent writers of bookmarks")
	flag.IntVar(&p.bookmarkSessions, "bookmark-sessions", 50, "sessions each writer bookmarks and unbookmarks in turn")
	flag.StringVar(&p.parts, "parts", "loads,bookmarks,edits,replication", "which measurements to run")
	cpuprofile := flag.String("cpuprofile", "", "write the harness's own CPU profile to this file (is the load generator the limit?)")
	flag.Parse()
	if *cpuprofile != "" {
		stopProfile, err := benchkit.StartCPUProfile(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "mebench:", err)
			os.Exit(1)
		}
		defer stopProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, p); err != nil {
		fmt.Fprintln(os.Stderr, "mebench:", err)
		os.Exit(1)
	}
}

func say(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

// bench is the running stack and the seeded app.
type bench struct {
	p                 params
	cfg               config
	dsn, ns, prefix   string
	hubURL, meURL     string
	hubC, meC, svcHub *rpc.Client
	pool              *pgxpool.Pool
	app, orgToken     string
	issuer            *auth.Issuer
	members           []string
	tokens            []string
	events            []hub.Event
	openEvents        []string
	registered        []string // the code events the first half of the members are registered to
	sessionsByEvent   map[string][]string
	words             []string
	mePid             int // multievent's process, for its CPU per call
}

func run(ctx context.Context, p params) error {
	if p.hubBin == "" || p.meBin == "" {
		return errors.New("-hub and -multievent are required")
	}
	b := &bench{p: p, sessionsByEvent: map[string][]string{}}
	if err := env.Parse(&b.cfg); err != nil {
		return err
	}
	scratch, err := benchkit.OpenScratch(ctx, "me", b.cfg.Postgres.URL, b.cfg.Redis)
	if err != nil {
		return err
	}
	defer scratch.Close()
	b.dsn, b.ns = scratch.DatabaseURL, scratch.Namespace
	b.prefix = "benchme" + scratch.Suffix
	defer b.dropCouch()

	hubAddr, _ := benchkit.FreeAddr()
	meAddr, _ := benchkit.FreeAddr()
	b.hubURL, b.meURL = "http://"+hubAddr, "http://"+meAddr
	common := []string{"SHUTDOWN_DELAY=0", "DATABASE_URL=" + b.dsn, "REDIS_NAMESPACE=" + b.ns, "RPC_ACCESS_LOG=false", "SHED_DISABLED=true",
		"LOG_LEVEL=WARN", "DATABASE_MAX_CONNS=16", "DEBUG_PPROF=true"}
	// Each service's admin listener (metrics, pprof) on a port of its own,
	// printed so that a profile can be taken during a round.
	hubAdmin, _ := benchkit.FreeAddr()
	meAdmin, _ := benchkit.FreeAddr()
	say("admin listeners (pprof): hub http://%s/debug/pprof/, multievent http://%s/debug/pprof/", hubAdmin, meAdmin)
	hubProc, err := start(ctx, p.hubBin, append(common, "ADDR="+hubAddr, "ADMIN_ADDR="+hubAdmin, "HUB_DEV_MODE=true"))
	if err != nil {
		return err
	}
	defer stopProc(hubProc)
	if err := benchkit.WaitReady(ctx, b.hubURL); err != nil {
		return err
	}
	meEnv := append(common, "ADDR="+meAddr, "ADMIN_ADDR="+meAdmin, "HUB_URL="+b.hubURL, "MULTIEVENT_COUCH_PREFIX="+b.prefix, "MULTIEVENT_PUBLIC_URL="+b.meURL)
	meProc, err := start(ctx, p.meBin, meEnv)
	if err != nil {
		return err
	}
	defer stopProc(meProc)
	b.mePid = meProc.Process.Pid
	if err := benchkit.WaitReady(ctx, b.meURL); err != nil {
		return err
	}
	if b.hubC, err = rpc.NewClient(rpc.ClientOptions{Endpoints: []string{b.hubURL}, MaxAttempts: 1}); err != nil {
		return err
	}
	if b.meC, err = rpc.NewClient(rpc.ClientOptions{Endpoints: []string{b.meURL}, MaxAttempts: 1}); err != nil {
		return err
	}
	acfg := b.cfg.Auth
	acfg.ServiceName = "bench"
	signer, err := acfg.Signer()
	if err != nil {
		return err
	}
	if b.svcHub, err = rpc.NewClient(rpc.ClientOptions{Endpoints: []string{b.hubURL}, Signer: &signer, MaxAttempts: 1}); err != nil {
		return err
	}
	if b.issuer, err = acfg.Issuer(); err != nil {
		return err
	}
	if b.pool, err = pg.Open(ctx, pg.Config{URL: b.dsn, MaxConns: 16}, migrations.Schema); err != nil {
		return err
	}
	defer b.pool.Close()

	start := time.Now()
	if err := b.seed(ctx); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	say("seeded hub in %v; waiting for multievent's projection and content", time.Since(start).Round(time.Millisecond))
	if err := b.waitProjected(ctx); err != nil {
		return err
	}
	say("projected and written to CouchDB %v after the seed began", time.Since(start).Round(time.Millisecond))
	fmt.Printf("Seed: %d events, %d sessions, %d speakers through hub's bulk methods; multievent had them projected and "+
		"written to CouchDB %.1f s after the seed began.\n\n", p.events, p.events*p.perEvent, p.speakers, time.Since(start).Seconds())

	for _, part := range []struct {
		name string
		fn   func(context.Context) error
	}{{"loads", b.loads}, {"bookmarks", b.bookmarks}, {"edits", b.editLatency}, {"replication", b.replicationReads}} {
		if !slices.Contains(strings.Split(p.parts, ","), part.name) {
			continue
		}
		if err := part.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", part.name, err)
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// Seed.

var vocabulary = strings.Fields(`keynote workshop panel security cloud native kubernetes rust golang python data
	privacy design product growth marketing sales funding startup scale database postgres redis couchdb riak
	mobile offline sync search ranking latency observability tracing metrics logging testing quality accessibility
	inclusion leadership hiring culture remote hybrid future energy climate health finance music sport travel`)

func (b *bench) seed(ctx context.Context) error {
	acct, err := hub.DevSignUp(ctx, b.hubC, b.svcHub, "bench@example.com", "bench-password-123", "Bench")
	if err != nil {
		return err
	}
	actx := as(ctx, acct.Token)
	a, err := hub.CreateApp.Call(actx, b.hubC, hub.CreateAppParams{Name: "Bench series", Slug: "bench-series"})
	if err != nil {
		return err
	}
	b.app = a.ID
	at, err := hub.AppTokenFor.Call(actx, b.hubC, hub.AppParams{AppRef: rpc.AppRef{App: b.app}})
	if err != nil {
		return err
	}
	b.orgToken = at.Token
	octx := as(ctx, at.Token)
	r := mrand.New(mrand.NewPCG(7, 7))
	speakers := make([]hub.SpeakerInput, b.p.speakers)
	for i := range speakers {
		speakers[i] = hub.SpeakerInput{ExternalID: fmt.Sprintf("sp-%d", i), Name: fmt.Sprintf("%s %s %d", pick(r, firstNames), pick(r, lastNames), i),
			Company: pick(r, companies), Title: pick(r, titles), Bio: pick(r, vocabulary) + " and " + pick(r, vocabulary)}
	}
	if res, err := hub.BulkSpeakers.Call(ctx, b.svcHub, hub.BulkSpeakersParams{AppRef: rpc.AppRef{App: b.app}, Speakers: speakers}); err != nil || !res.Applied {
		return fmt.Errorf("bulk speakers: %v %+v", err, res.Errors)
	}
	zones := []string{"Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Sydney"}
	base := time.Date(2026, 1, 12, 9, 0, 0, 0, time.UTC)
	for i := range b.p.events {
		access := hub.EventAccessOpen
		switch i % 10 {
		case 3:
			access = hub.EventAccessCode
		case 7:
			access = hub.EventAccessListed
		}
		day := base.AddDate(0, 0, 14*i-350) // a year before now to a year after
		e, err := hub.CreateEvent.Call(octx, b.hubC, hub.CreateEventParams{AppRef: rpc.AppRef{App: b.app}, Name: fmt.Sprintf("%s %s summit %d", pick(r, vocabulary), pick(r, vocabulary), i),
			TimeZone: zones[i%len(zones)], Start: day.Format(hub.LocalTimeLayout), End: day.Add(32 * time.Hour).Format(hub.LocalTimeLayout),
			Venue: pick(r, companies) + " center", Access: access, Code: "CODE-1234"})
		if err != nil {
			return fmt.Errorf("event %d: %w", i, err)
		}
		b.events = append(b.events, e)
		if access == hub.EventAccessOpen {
			b.openEvents = append(b.openEvents, e.ID)
		} else if access == hub.EventAccessCode && len(b.registered) < 2 {
			b.registered = append(b.registered, e.ID)
		}
		rows := make([]hub.BulkSessionInput, b.p.perEvent)
		for j := range rows {
			room, slot := j%5, j/5
			start := day.Add(time.Duration(slot) * 30 * time.Minute)
			words := []string{pick(r, vocabulary), pick(r, vocabulary), pick(r, vocabulary)}
			rows[j] = hub.BulkSessionInput{ExternalID: fmt.Sprintf("s-%d-%d", i, j), Title: strings.Join(words, " "),
				Description: "A session about " + pick(r, vocabulary) + ", " + pick(r, vocabulary) + " and " + pick(r, vocabulary),
				Start:       start.Format(hub.LocalTimeLayout), End: start.Add(25 * time.Minute).Format(hub.LocalTimeLayout),
				Room: fmt.Sprintf("Room %d", room), Track: pick(r, vocabulary),
				Speakers: []string{fmt.Sprintf("sp-%d", r.IntN(b.p.speakers))}}
		}
		res, err := hub.BulkSessions.Call(ctx, b.svcHub, hub.BulkSessionsParams{AppRef: rpc.AppRef{App: b.app}, Event: e.ID, Sessions: rows})
		if err != nil || !res.Applied {
			return fmt.Errorf("bulk sessions of event %d: %v %+v", i, err, res.Errors)
		}
		b.sessionsByEvent[e.ID] = res.IDs
	}
	if _, err := hub.PublishApp.Call(octx, b.hubC, hub.AppParams{AppRef: rpc.AppRef{App: b.app}}); err != nil {
		return err
	}
	members := make([]hub.MemberInput, b.p.members)
	for i := range members {
		members[i] = hub.MemberInput{Email: fmt.Sprintf("member%d@example.com", i), Name: fmt.Sprintf("Member %d", i)}
	}
	res, err := hub.BulkMembers.Call(ctx, b.svcHub, hub.BulkMembersParams{AppRef: rpc.AppRef{App: b.app}, Members: members})
	if err != nil || !res.Applied {
		return fmt.Errorf("bulk members: %v", err)
	}
	b.members = res.IDs
	for _, ev := range b.registered {
		if _, err := hub.AddAttendees.Call(octx, b.hubC, hub.AttendeesParams{AppRef: rpc.AppRef{App: b.app}, Event: ev, Members: b.members[:len(b.members)/2]}); err != nil {
			return err
		}
	}
	for _, m := range b.members {
		tok, err := b.issuer.Issue(auth.Claims{User: m, App: b.app, Role: auth.RoleAttendee}, 2*time.Hour)
		if err != nil {
			return err
		}
		b.tokens = append(b.tokens, tok)
	}
	for _, w := range vocabulary {
		b.words = append(b.words, w[:min(len(w), 2+r.IntN(3))])
	}
	return nil
}

// waitProjected waits until multievent holds the seed and has written it
// all to CouchDB.
func (b *bench) waitProjected(ctx context.Context) error {
	want := b.p.events * b.p.perEvent
	deadline := time.Now().Add(15 * time.Minute)
	for time.Now().Before(deadline) {
		var events, sessions, speakers, dirty int
		err := b.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM events WHERE app_id = $1 AND NOT deleted),
			(SELECT count(*) FROM sessions WHERE app_id = $1 AND NOT deleted),
			(SELECT count(*) FROM speakers WHERE app_id = $1 AND NOT deleted),
			(SELECT count(*) FROM content_dirty WHERE app_id = $1)`, b.app).Scan(&events, &sessions, &speakers, &dirty)
		if err == nil && events == b.p.events && sessions == want && speakers == b.p.speakers && dirty == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	return errors.New("multievent did not project the seed within 15 minutes")
}

// ---------------------------------------------------------------------------
// Directory and search.

type target struct {
	name string
	fn   func(ctx context.Context, r *mrand.Rand, client int) error
}

type roundResult struct {
	lat      []time.Duration
	failures int
	rate     float64
	// CPU per successful call: multievent's process and the Postgres
	// backends of the bench's database (multievent's and the bare SQL's
	// pools), from /proc over the measured window.
	meCPU, pgCPU time.Duration
}

func (b *bench) loads(ctx context.Context) error {
	store := postgres.New(b.pool)
	// The query lists the directory and search build for a member who is
	// registered to the two code events: hub's gates, computed once here
	// as the service computes them per call.
	cards, agendas := []string{}, []string{}
	for _, e := range b.events {
		cards = append(cards, e.ID)
		if e.Access == hub.EventAccessOpen || slices.Contains(b.registered, e.ID) {
			agendas = append(agendas, e.ID)
		}
	}
	query := func(r *mrand.Rand) string {
		if r.IntN(3) == 0 {
			return pick(r, b.words) + " " + pick(r, b.words)
		}
		return pick(r, b.words)
	}
	targets := []target{
		{"directory.list (JSON-RPC)", func(ctx context.Context, r *mrand.Rand, c int) error {
			_, err := multievent.ListDirectory.Call(as(ctx, b.tokens[c%len(b.tokens)]), b.meC, multievent.AppParams{AppRef: rpc.AppRef{App: b.app}})
			return err
		}},
		{"directory: bare SQL (Events)", func(ctx context.Context, r *mrand.Rand, c int) error {
			_, err := store.Events(ctx, b.app)
			return err
		}},
		{"search.query (JSON-RPC)", func(ctx context.Context, r *mrand.Rand, c int) error {
			_, err := multievent.Search.Call(as(ctx, b.tokens[c%len(b.tokens)]), b.meC, multievent.SearchParams{AppRef: rpc.AppRef{App: b.app}, Query: query(r)})
			return err
		}},
		{"search: bare SQL (Search)", func(ctx context.Context, r *mrand.Rand, c int) error {
			_, err := store.Search(ctx, service.Query{App: b.app, Words: service.Words(query(r)), Cards: cards, Agendas: agendas,
				Limit: multievent.SearchPageSize + 1})
			return err
		}},
	}
	return b.rounds(ctx, "Directory and search", b.p.clients, targets)
}

// rounds runs every target for p.rounds interleaved rounds and prints the
// median round (by calls/s) of each, with every round's p99 and rate.
func (b *bench) rounds(ctx context.Context, title string, clients int, targets []target) error {
	results := make([][]roundResult, len(targets))
	for round := range b.p.rounds {
		for i, t := range targets {
			say("%s: round %d, %s", title, round+1, t.name)
			if _, err := load(ctx, clients, b.p.warm, t.fn); err != nil {
				return err
			}
			me0, pg0 := b.cpu(ctx)
			res, err := load(ctx, clients, b.p.duration, t.fn)
			if err != nil {
				return err
			}
			me1, pg1 := b.cpu(ctx)
			rr := roundResult{lat: res.Latencies, failures: res.Failures, rate: res.Rate()}
			n := time.Duration(max(1, len(res.Latencies)))
			rr.meCPU, rr.pgCPU = (me1-me0)/n, cpuDelta(pg0, pg1)/n
			results[i] = append(results[i], rr)
		}
	}
	fmt.Printf("| target | clients | calls/s | p50 | p99 | errors (all rounds) | p99 of each round | calls/s of each round | CPU per call: multievent / Postgres |\n")
	fmt.Printf("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |\n")
	for i, t := range targets {
		rs := results[i]
		byRate := slices.Clone(rs)
		slices.SortFunc(byRate, func(x, y roundResult) int { return int(math.Copysign(1, x.rate-y.rate)) })
		med := byRate[len(byRate)/2]
		var p99s, rates []string
		failures := 0
		for _, r := range rs {
			p99s = append(p99s, benchkit.FormatPercentile(r.lat, 99))
			rates = append(rates, fmt.Sprintf("%.0f", r.rate))
			failures += r.failures
		}
		fmt.Printf("| %s | %d | %.0f | %s | %s | %d | %s | %s | %s / %s |\n", t.name, clients, med.rate, benchkit.FormatPercentile(med.lat, 50), benchkit.FormatPercentile(med.lat, 99), failures,
			strings.Join(p99s, " / "), strings.Join(rates, " / "), micros(med.meCPU), micros(med.pgCPU))
	}
	fmt.Println()
	return nil
}

// ---------------------------------------------------------------------------
// Bookmarks.

func (b *bench) bookmarks(ctx context.Context) error {
	sessions := b.sessionsByEvent[b.openEvents[0]][:b.p.bookmarkSessions]
	rawPG := pgkv.New(b.pool)
	var flips [1024]atomic.Uint64
	op := func(c int) (string, bool) {
		n := flips[c%len(flips)].Add(1) - 1
		return sessions[int(n/2)%len(sessions)], n%2 == 0
	}
	// Each member's phone sends the bookmarks context of the agenda it
	// last saw, as phones do: a removal without one removes nothing.
	seen := make([]atomic.Pointer[[]byte], len(b.tokens))
	targets := []target{
		{"agenda.sync, one bookmark operation (JSON-RPC, pgkv)", func(ctx context.Context, r *mrand.Rand, c int) error {
			s, add := op(c)
			o := multievent.OpUnbookmark
			if add {
				o = multievent.OpBookmark
			}
			m := c % len(b.tokens)
			var cc []byte
			if p := seen[m].Load(); p != nil {
				cc = *p
			}
			a, err := multievent.SyncAgenda.Call(as(ctx, b.tokens[m]), b.meC, multievent.SyncParams{AppRef: rpc.AppRef{App: b.app},
				Ops: multievent.EncodeOps(multievent.AgendaOp{Op: o, Session: s}), BookmarksContext: cc})
			if err == nil && len(a.Rejected) > 0 {
				err = fmt.Errorf("rejected: %v", a.Rejected)
			}
			if err == nil {
				seen[m].Store(&a.BookmarksContext)
			}
			return err
		}},
		{"raw SetAdd / SetRemove (pgkv)", rawSet(rawPG, b.app, b.members, op)},
	}
	if b.cfg.Riak.Enabled() {
		rs, err := riakkv.Open(b.cfg.Riak)
		if err != nil {
			return err
		}
		defer rs.Close()
		targets = append(targets, target{"raw SetAdd / SetRemove (Riak)", rawSet(rs, b.app+"-raw", b.members, op)})
		say("note: multievent itself runs on pgkv here; start it with RIAK_HOSTS to measure agenda.sync on Riak")
	}
	fmt.Println("Bookmark writes: each client is one member, bookmarking and unbookmarking its sessions in turn.")
	fmt.Println()
	if err := b.rounds(ctx, "Bookmarks", b.p.bookmarkClients, targets); err != nil {
		return err
	}
	if !b.cfg.Riak.Enabled() {
		fmt.Println("Riak: not measured (RIAK_HOSTS is unset: no Riak node on this machine).")
		fmt.Println()
	}
	return nil
}

func rawSet(s kv.Sets, app string, members []string, op func(int) (string, bool)) func(context.Context, *mrand.Rand, int) error {
	return func(ctx context.Context, r *mrand.Rand, c int) error {
		sess, add := op(c)
		key := app + "/" + members[c%len(members)]
		if add {
			return s.SetAdd(ctx, "multievent.bookmarks", key, sess)
		}
		return s.SetRemove(ctx, "multievent.bookmarks", key, nil, sess)
	}
}

// ---------------------------------------------------------------------------
// Edit latency.

func (b *bench) editLatency(ctx context.Context) error {
	ev := b.openEvents[len(b.openEvents)/2]
	id := b.sessionsByEvent[ev][0]
	octx := as(ctx, b.orgToken)
	x, err := hub.GetSession.Call(octx, b.hubC, hub.ItemParams{AppRef: rpc.AppRef{App: b.app}, ID: id})
	if err != nil {
		return err
	}
	db, err := couch.DBName(b.prefix, b.app+"-"+service.GroupAll)
	if err != nil {
		return err
	}
	docURL := strings.TrimRight(b.cfg.Couch.URL, "/") + "/" + url.PathEscape(db) + "/" + url.PathEscape("session:"+id)
	var lat []time.Duration
	failures := 0
	for i := range b.p.edits {
		title := fmt.Sprintf("%s (edit %d)", x.Title, i)
		in := hub.SessionInput{ExternalID: x.ExternalID, Title: title, Description: x.Description, Start: x.Start, End: x.End,
			Capacity: x.Capacity}
		if x.Room != nil {
			in.Room = x.Room.ID
		}
		if x.Track != nil {
			in.Track = x.Track.ID
		}
		for _, s := range x.Speakers {
			in.Speakers = append(in.Speakers, s.ID)
		}
		start := time.Now()
		if _, err := hub.SaveSession.Call(octx, b.hubC, hub.SessionParams{AppRef: rpc.AppRef{App: b.app}, Event: ev, Session: id, SessionInput: in}); err != nil {
			failures++
			say("edit %d: %v", i, err)
			continue
		}
		for {
			if t, err := docTitle(ctx, docURL); err == nil && t == title {
				lat = append(lat, time.Since(start))
				break
			}
			if time.Since(start) > 30*time.Second {
				failures++
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	slices.Sort(lat)
	fmt.Println("Session edit in hub (session.save) to the session's document in CouchDB, one edit at a time:")
	fmt.Println()
	fmt.Println("| edits | p50 | p90 | p99 | max | failures |")
	fmt.Println("| ---: | ---: | ---: | ---: | ---: | ---: |")
	fmt.Printf("| %d | %s | %s | %s | %s | %d |\n\n", len(lat), benchkit.FormatPercentile(lat, 50), benchkit.FormatPercentile(lat, 90), benchkit.FormatPercentile(lat, 99), benchkit.FormatPercentile(lat, 100), failures)
	return nil
}

func docTitle(ctx context.Context, u string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var d struct {
		Title string `json:"title"`
	}
	err = json.NewDecoder(resp.Body).Decode(&d)
	return d.Title, err
}

// ---------------------------------------------------------------------------
// Replication reads: database per group vs one database of the app.

func (b *bench) replicationReads(ctx context.Context) error {
	// A registered member replicates "all" and the two code events'
	// databases; a single app database would hold every group's documents,
	// which a filtered replication makes the server read and test, per
	// member, to send the same documents.
	groups := []string{service.GroupAll}
	for _, e := range b.registered {
		groups = append(groups, service.EventGroup(e))
	}
	allGroups := []string{service.GroupAll}
	for _, e := range b.events {
		if e.Access != hub.EventAccessOpen {
			allGroups = append(allGroups, service.EventGroup(e.ID))
		}
	}
	read := func(gs []string) (docs int, bytes int64, took time.Duration, err error) {
		start := time.Now()
		for _, g := range gs {
			db, err := couch.DBName(b.prefix, b.app+"-"+g)
			if err != nil {
				return 0, 0, 0, err
			}
			u := strings.TrimRight(b.cfg.Couch.URL, "/") + "/" + url.PathEscape(db) + "/_changes?include_docs=true&style=all_docs"
			resp, err := http.Get(u)
			if err != nil {
				return 0, 0, 0, err
			}
			var body struct {
				Results []json.RawMessage `json:"results"`
			}
			raw, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return 0, 0, 0, err
			}
			if err := json.Unmarshal(raw, &body); err != nil {
				return 0, 0, 0, err
			}
			docs += len(body.Results)
			bytes += int64(len(raw))
		}
		return docs, bytes, time.Since(start), nil
	}
	fmt.Println("A registered member's first replication: the `_changes` feeds (with documents) it reads, per database")
	fmt.Println("per group, beside one database of the whole app (what a filtered replication makes the server read")
	fmt.Println("and test for every replicating member), median of 5 reads:")
	fmt.Println()
	fmt.Println("| what | databases | documents | bytes | time |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: |")
	for _, x := range []struct {
		name string
		gs   []string
	}{{"the member's groups (all + 2 events)", groups}, {"every group of the app (one app database)", allGroups}} {
		var times []time.Duration
		var docs int
		var bytes int64
		for range 5 {
			d, n, t, err := read(x.gs)
			if err != nil {
				return err
			}
			docs, bytes, times = d, n, append(times, t)
		}
		slices.Sort(times)
		fmt.Printf("| %s | %d | %d | %d | %s |\n", x.name, len(x.gs), docs, bytes, benchkit.FormatPercentile(times, 50))
	}
	fmt.Println()
	return nil
}

// ---------------------------------------------------------------------------
// Helpers.

func as(ctx context.Context, token string) context.Context {
	return auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, Token: token})
}

func pick[T any](r *mrand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// load runs fn from clients goroutines for d (benchkit.Phase) and says
// the first failure.
func load(ctx context.Context, clients int, d time.Duration, fn func(ctx context.Context, r *mrand.Rand, client int) error) (benchkit.Result, error) {
	res, err := benchkit.Phase{Clients: clients, Duration: d}.Run(ctx, func(ctx context.Context, c benchkit.Call) error { return fn(ctx, c.Rand, c.Client) })
	if res.FirstErr != nil {
		say("  first error: %v", res.FirstErr)
	}
	return res, err
}

func micros(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d.Nanoseconds())/1e3) }

// cpu returns the CPU time (user and system) multievent's process has
// used so far, and that of each Postgres backend of the bench's database
// by pid (a backend that exits during a round takes its time with it).
func (b *bench) cpu(ctx context.Context) (time.Duration, map[int]time.Duration) {
	me := benchkit.ProcessCPU(b.mePid)
	backends := map[int]time.Duration{}
	rows, err := b.pool.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		return me, backends
	}
	pids, _ := pgx.CollectRows(rows, pgx.RowTo[int32])
	for _, pid := range pids {
		if d := benchkit.ProcessCPU(int(pid)); d > 0 { // 0: gone already, or nothing used yet
			backends[int(pid)] = d
		}
	}
	return me, backends
}

// cpuDelta sums what each backend of after used since before (all of it
// for a backend that started in between).
func cpuDelta(before, after map[int]time.Duration) time.Duration {
	var sum time.Duration
	for pid, d := range after {
		sum += d - before[pid]
	}
	return sum
}

func (b *bench) dropCouch() {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client, err := couch.Open(ctx, b.cfg.Couch)
	if err != nil {
		return
	}
	defer client.Close()
	names, _ := client.AllDBs(ctx)
	for _, n := range names {
		if strings.HasPrefix(n, b.prefix+"$") {
			_ = client.DestroyDB(ctx, n)
		}
	}
}

func start(ctx context.Context, bin string, envs []string) (*exec.Cmd, error) {
	cmd := exec.CommandContext(ctx, bin, "serve")
	cmd.Env = append(os.Environ(), envs...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd, cmd.Start()
}

func stopProc(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(os.Interrupt)
	_ = cmd.Wait()
}

var (
	firstNames = []string{"Ada", "Grace", "Éloïse", "Jöhn", "Zoë", "Łukasz", "Marie", "Pierre", "Anaïs", "Jürgen", "Søren", "Chloé",
		"Noah", "Liam", "Emma", "Olivia", "Lucas", "Léa", "Hugo", "Inès", "Mateo", "Sofía", "Björn", "Ingrid", "Ravi", "Priya"}
	lastNames = []string{"Lovelace", "Hopper", "Dupont", "Smith", "Zhang", "Żółć", "Curie", "Martin", "Bernard", "Müller",
		"Lefèvre", "Johnson", "García", "Moreau", "Laurent", "Andersson", "Sharma", "Tanaka", "Okafor", "Haddad", "Kowalski"}
	companies = []string{"Acme", "Société Générale", "Globex", "Initech", "Umbrella", "Ørsted", "Nestlé", "Siemens", "Renault",
		"Airbus", "Spotify", "Zalando", "Attendify", "Analytical Engines", "Hooli", "Pied Piper"}
	titles = []string{"Engineer", "CTO", "Designer", "Product Manager", "Founder", "Researcher", "Developer"}
)
