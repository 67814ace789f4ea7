// Command hub measures the hub service, side by side with baselines, and
// prints Markdown tables:
//
//   - token verification and the membership check (hub's Redis read model),
//     calls/s, against a bare HMAC-SHA256 verify of a token-sized message;
//   - bulk upsert of N members (bulk.members over RPC, batches of -batch),
//     rows/s, against COPY of the same rows into a copy of the members table
//     (with and without its indexes);
//   - member directory search (member.search) p50/p99 at -clients concurrent
//     clients on the app of N members.
//
// It runs a real hub (the binary given with -hub, built by run.sh) on a
// database and a Redis namespace of its own, removed at the end. Postgres and
// Redis come from DATABASE_URL and REDIS_URL (local defaults).
//
//	go run ./hub -hub /tmp/hub -members 100000
package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/benchkit"
	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/redisx"
	"github.com/attendify/platform/rpc"
)

type config struct {
	Postgres pg.Config
	Redis    redisx.Config
	Auth     auth.Config
}

type params struct {
	hubBin   string
	members  int
	batch    int
	clients  int
	duration time.Duration
}

func main() {
	var p params
	flag.StringVar(&p.hubBin, "hub", "", "path to the hub binary (go build ./services/hub/cmd/hub)")
	flag.IntVar(&p.members, "members", 100000, "members of the benchmark app")
	flag.IntVar(&p.batch, "batch", 10000, "rows per bulk.members call")
	flag.IntVar(&p.clients, "clients", 64, "concurrent clients of the search and membership benchmarks")
	flag.DurationVar(&p.duration, "duration", 10*time.Second, "duration of each timed load")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, p); err != nil {
		fmt.Fprintln(os.Stderr, "bench/hub:", err)
		os.Exit(1)
	}
}

func say(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

func run(ctx context.Context, p params) error {
	if p.hubBin == "" {
		return fmt.Errorf("-hub is required")
	}
	var cfg config
	if err := env.Parse(&cfg); err != nil {
		return err
	}
	// A database and a namespace of our own.
	scratch, err := benchkit.OpenScratch(ctx, "hub", cfg.Postgres.URL, cfg.Redis)
	if err != nil {
		return err
	}
	defer scratch.Close()
	dsn, rdb, ns := scratch.DatabaseURL, scratch.Redis, scratch.Namespace

	addr, err := benchkit.FreeAddr()
	if err != nil {
		return err
	}
	hubProc := exec.CommandContext(ctx, p.hubBin)
	hubProc.Env = append(os.Environ(), "DATABASE_URL="+dsn, "REDIS_NAMESPACE="+ns, "ADDR="+addr, "HUB_DEV_MODE=true",
		"RPC_ACCESS_LOG=false", "SHED_DISABLED=true", "LOG_LEVEL=WARN", "DATABASE_MAX_CONNS=16", "SHUTDOWN_DELAY=0")
	hubProc.Stdout, hubProc.Stderr = os.Stderr, os.Stderr
	if err := hubProc.Start(); err != nil {
		return err
	}
	defer func() { _ = hubProc.Process.Signal(os.Interrupt); _ = hubProc.Wait() }()
	base := "http://" + addr
	if err := benchkit.WaitReady(ctx, base); err != nil {
		return err
	}
	client, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{base}, MaxAttempts: 1})
	if err != nil {
		return err
	}
	acfg := cfg.Auth
	acfg.ServiceName = "bench"
	signer, err := acfg.Signer()
	if err != nil {
		return err
	}
	svcClient, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{base}, Signer: &signer, MaxAttempts: 1})
	if err != nil {
		return err
	}
	issuer, err := acfg.Issuer()
	if err != nil {
		return err
	}

	// The app.
	as := func(tok string) context.Context {
		return auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, Token: tok})
	}
	acct, err := hub.DevSignUp(ctx, client, svcClient, "bench@example.com", "bench-password-1", "Bench")
	if err != nil {
		return err
	}
	app, err := hub.CreateApp.Call(as(acct.Token), client, hub.CreateAppParams{Name: "Bench Conf", Slug: "bench-conf"})
	if err != nil {
		return err
	}
	at, err := hub.AppTokenFor.Call(as(acct.Token), client, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}})
	if err != nil {
		return err
	}
	if _, err := hub.PublishApp.Call(as(at.Token), client, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}); err != nil {
		return err
	}

	fmt.Printf("## hub benchmarks\n\n%d CPUs (GOMAXPROCS %d), %s; hub, Postgres and Redis on this machine; %d members.\n\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), time.Now().UTC().Format("2006-01-02"), p.members)

	// 1. Bulk upsert vs COPY.
	rows := genMembers(p.members)
	var ids []string
	// bulk upserts rows, registering them to event when it is not empty.
	bulk := func(event string) (time.Duration, hub.BulkResult, error) {
		var total hub.BulkResult
		start := time.Now()
		for i := 0; i < len(rows); i += p.batch {
			r, err := hub.BulkMembers.Call(ctx, svcClient, hub.BulkMembersParams{AppRef: rpc.AppRef{App: app.ID}, Event: event, Members: rows[i:min(i+p.batch, len(rows))]})
			if err != nil {
				return 0, total, err
			}
			if !r.Applied {
				return 0, total, fmt.Errorf("bulk not applied: %v", r.Errors[:min(3, len(r.Errors))])
			}
			total.Created += r.Created
			total.Updated += r.Updated
			total.Unchanged += r.Unchanged
			total.Registered += r.Registered
			total.IDs = append(total.IDs, r.IDs...)
		}
		return time.Since(start), total, nil
	}
	say("bulk upsert of %d members...", len(rows))
	dCreate, res, err := bulk("")
	if err != nil {
		return err
	}
	ids = res.IDs
	say("again (unchanged)...")
	dSame, res2, err := bulk("")
	if err != nil {
		return err
	}
	for i := range rows { // change every row's title: the update path
		rows[i].Title = "Senior " + rows[i].Title
	}
	say("again (every row changed)...")
	dUpdate, res3, err := bulk("")
	if err != nil {
		return err
	}
	// The importer's path with an event: the same members registered to a
	// "listed" event (each registration is written to the member's
	// read-model hash under a new version) and otherwise unchanged.
	ev, err := hub.CreateEvent.Call(as(at.Token), client, hub.CreateEventParams{AppRef: rpc.AppRef{App: app.ID}, Name: "Bench day", TimeZone: "UTC",
		Start: "2030-06-01T09:00", End: "2030-06-02T18:00", Access: hub.EventAccessListed})
	if err != nil {
		return err
	}
	say("again, registered to an event...")
	dRegister, res4, err := bulk(ev.ID)
	if err != nil {
		return err
	}
	pool, err := pg.Open(ctx, pg.Config{URL: dsn}, "hub")
	if err != nil {
		return err
	}
	defer pool.Close()
	dCopyIdx, err := copyRows(ctx, pool, rows, app.ID, true)
	if err != nil {
		return err
	}
	dCopyBare, err := copyRows(ctx, pool, rows, app.ID, false)
	if err != nil {
		return err
	}
	rate := func(n int, d time.Duration) string { return fmt.Sprintf("%.0f", float64(n)/d.Seconds()) }
	fmt.Printf("### Bulk upsert, %d members in batches of %d\n\n| path | rows | time | rows/s |\n|---|---|---|---|\n", len(rows), p.batch)
	fmt.Printf("| bulk.members, new rows (RPC, COPY to temp, INSERT, outbox events, read model) | %d created | %s | %s |\n", res.Created, dCreate.Round(time.Millisecond), rate(len(rows), dCreate))
	fmt.Printf("| bulk.members, same rows again | %d unchanged | %s | %s |\n", res2.Unchanged, dSame.Round(time.Millisecond), rate(len(rows), dSame))
	fmt.Printf("| bulk.members, every row changed | %d updated | %s | %s |\n", res3.Updated, dUpdate.Round(time.Millisecond), rate(len(rows), dUpdate))
	fmt.Printf("| bulk.members, the same rows registered to an event | %d registered | %s | %s |\n", res4.Registered, dRegister.Round(time.Millisecond), rate(len(rows), dRegister))
	fmt.Printf("| COPY into a copy of the members table with its indexes (directory, unique; no word-index trigger) | %d | %s | %s |\n", len(rows), dCopyIdx.Round(time.Millisecond), rate(len(rows), dCopyIdx))
	fmt.Printf("| COPY into a copy of the members table without indexes | %d | %s | %s |\n\n", len(rows), dCopyBare.Round(time.Millisecond), rate(len(rows), dCopyBare))

	// 2. Directory search.
	memberTok, err := issuer.Issue(auth.Claims{User: ids[0], App: app.ID, Role: auth.RoleAttendee}, time.Hour)
	if err != nil {
		return err
	}
	queries := searchQueries()
	mctx := as(memberTok)
	fmt.Printf("### Member directory search (member.search, 20 per page, as a member; %d members)\n\n", len(rows))
	fmt.Printf("%d queries: word prefixes (2, 3 or 5 letters) of first names, last names and companies, one or two words, accents and case mixed.\n\n", len(queries))
	fmt.Printf("| clients | calls/s | p50 | p99 | errors | results/page |\n|---|---|---|---|---|---|\n")
	for _, clients := range []int{1, p.clients} {
		d := p.duration
		if clients == 1 {
			d = p.duration / 2
		}
		say("member.search at %d clients for %s...", clients, d)
		var hits atomic.Int64
		res, err := load(ctx, clients, d, func(r *mrand.Rand) error {
			q := queries[r.IntN(len(queries))]
			page, err := hub.SearchMembers.Call(mctx, client, hub.SearchMembersParams{AppRef: rpc.AppRef{App: app.ID}, Query: q, Limit: 20})
			hits.Add(int64(len(page.Members)))
			return err
		})
		if err != nil {
			return err
		}
		fmt.Printf("| %d | %.0f | %s | %s | %d | %.1f |\n", clients, res.Rate(), benchkit.FormatPercentile(res.Latencies, 50), benchkit.FormatPercentile(res.Latencies, 99), res.Failures,
			float64(hits.Load())/float64(max(1, len(res.Latencies))))
	}
	fmt.Println()

	// 3. Token verification and the membership check.
	say("token and membership checks...")
	tokens := make([]string, 1000)
	for i := range tokens {
		if tokens[i], err = issuer.Issue(auth.Claims{User: ids[i%len(ids)], App: app.ID, Role: auth.RoleAttendee}, time.Hour); err != nil {
			return err
		}
	}
	verifier := acfg.Verifier()
	uncached := auth.NewVerifierCache(acfg.TokenPublicKeys, 0, 0)
	rm := hub.NewReadModel(rdb, ns)
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	msg := []byte(tokens[0])
	mac := hmac.New(sha256.New, secret)
	mac.Write(msg)
	want := mac.Sum(nil)
	short := p.duration / 3
	type row struct {
		name    string
		clients int
		fn      func(r *mrand.Rand) error
	}
	procs := runtime.GOMAXPROCS(0)
	rowsT := []row{
		{"bare HMAC-SHA256 verify of a token-sized message", procs, func(r *mrand.Rand) error {
			m := hmac.New(sha256.New, secret)
			m.Write(msg)
			if !hmac.Equal(m.Sum(nil), want) {
				return fmt.Errorf("mismatch")
			}
			return nil
		}},
		{"token verify, Ed25519 (no cache)", procs, func(r *mrand.Rand) error {
			_, err := uncached.Verify(tokens[r.IntN(len(tokens))])
			return err
		}},
		{"token verify, cached (the same 1000 tokens again and again)", procs, func(r *mrand.Rand) error {
			_, err := verifier.Verify(tokens[r.IntN(len(tokens))])
			return err
		}},
		{"membership read (hub.ReadModel.Membership: 1 Redis round trip)", p.clients, func(r *mrand.Rand) error {
			_, err := rm.Membership(ctx, app.ID, ids[r.IntN(len(ids))])
			return err
		}},
		{"token verify (cached) + Authorize (membership, blocked, app status: 1 pipelined round trip)", p.clients, func(r *mrand.Rand) error {
			c, err := verifier.Verify(tokens[r.IntN(len(tokens))])
			if err != nil {
				return err
			}
			_, err = rm.Authorize(ctx, c.Caller(""), app.ID)
			return err
		}},
	}
	fmt.Printf("### Token verification and the membership check (in process; Redis on loopback)\n\n")
	fmt.Printf("| check | goroutines | calls/s | p50 | p99 | errors |\n|---|---|---|---|---|---|\n")
	for _, r := range rowsT {
		res, err := load(ctx, r.clients, short, r.fn)
		if err != nil {
			return err
		}
		fmt.Printf("| %s | %d | %.0f | %s | %s | %d |\n", r.name, r.clients, res.Rate(), benchkit.FormatPercentile(res.Latencies, 50), benchkit.FormatPercentile(res.Latencies, 99), res.Failures)
	}
	fmt.Println()
	return nil
}

// load runs fn from clients goroutines for d (benchkit.Phase) and says
// the first failure.
func load(ctx context.Context, clients int, d time.Duration, fn func(r *mrand.Rand) error) (benchkit.Result, error) {
	res, err := benchkit.Phase{Clients: clients, Duration: d}.Run(ctx, func(_ context.Context, c benchkit.Call) error { return fn(c.Rand) })
	if res.FirstErr != nil {
		say("  first error: %v", res.FirstErr)
	}
	return res, err
}

var (
	firstNames = []string{"Ada", "Grace", "Éloïse", "Jöhn", "Zoë", "Łukasz", "Marie", "Pierre", "Anaïs", "Jürgen", "Søren", "Chloé",
		"Noah", "Liam", "Emma", "Olivia", "Lucas", "Léa", "Hugo", "Inès", "Mateo", "Sofía", "Björn", "Ingrid", "Ravi", "Priya",
		"Kenji", "Yuki", "Amara", "Kwame", "Fatima", "Omar", "Elena", "Nikolai", "Olga", "Ivan", "Carmen", "José", "Ana", "Luis"}
	lastNames = []string{"Lovelace", "Hopper", "Dupont", "Smith", "Zhang", "Żółć", "Curie", "Martin", "Bernard", "Müller", "Kierkegaard",
		"Lefèvre", "Johnson", "Williams", "Brown", "Jones", "García", "Rodríguez", "Moreau", "Laurent", "Fernández", "López",
		"Andersson", "Nilsson", "Sharma", "Patel", "Tanaka", "Suzuki", "Okafor", "Mensah", "Haddad", "Nasser", "Petrova", "Ivanov",
		"Kowalski", "Nowak", "O'Brien", "McAllister", "van der Berg", "de la Cruz"}
	companies = []string{"Acme", "Société Générale", "Globex", "Initech", "Umbrella", "Stark Industries", "Wayne Enterprises",
		"Ørsted", "Nestlé", "Siemens", "Renault", "Airbus", "Spotify", "Zalando", "Attendify", "Analytical Engines", "Hooli",
		"Pied Piper", "Cyberdyne", "Tyrell", "Wonka", "Aperture", "Black Mesa", "Soylent", "Vandelay"}
	titles = []string{"Engineer", "CTO", "Designer", "Product Manager", "Sales", "Founder", "Researcher", "Developer"}
)

func genMembers(n int) []hub.MemberInput {
	r := mrand.New(mrand.NewPCG(1, 2))
	out := make([]hub.MemberInput, n)
	for i := range out {
		out[i] = hub.MemberInput{
			Email:      fmt.Sprintf("member%06d@example.com", i),
			ExternalID: fmt.Sprintf("REG-%06d", i),
			Name:       firstNames[r.IntN(len(firstNames))] + " " + lastNames[r.IntN(len(lastNames))],
			Company:    companies[r.IntN(len(companies))],
			Title:      titles[r.IntN(len(titles))],
		}
	}
	return out
}

// searchQueries are what people type: 2–5 letters of a first name, a last
// name or a company, sometimes two words, in any case, with or without
// accents.
func searchQueries() []string {
	var out []string
	fold := strings.NewReplacer("é", "e", "ë", "e", "è", "e", "ö", "o", "ø", "o", "ó", "o", "ł", "l", "Ł", "L", "ż", "z", "Ż", "Z",
		"ï", "i", "í", "i", "ü", "u", "É", "E", "Ø", "O")
	add := func(word string) {
		runes := []rune(word)
		for _, n := range []int{2, 3, 5} {
			if n <= len(runes) {
				p := string(runes[:n])
				out = append(out, p, strings.ToLower(fold.Replace(p)))
			}
		}
	}
	for _, w := range firstNames {
		add(w)
	}
	for _, w := range lastNames {
		add(w)
	}
	for _, w := range companies {
		add(w)
	}
	for i := range 40 {
		out = append(out, strings.ToLower(firstNames[i%len(firstNames)][:2]+" "+lastNames[(i*7)%len(lastNames)][:3]))
	}
	return out
}

// copyRows COPYs rows into a fresh copy of the members table (with or
// without its indexes) and returns how long the COPY took.
func copyRows(ctx context.Context, pool *pgxpool.Pool, rows []hub.MemberInput, app string, indexes bool) (time.Duration, error) {
	like := "LIKE members INCLUDING DEFAULTS INCLUDING GENERATED"
	if indexes {
		like = "LIKE members INCLUDING ALL"
	}
	if _, err := pool.Exec(ctx, "DROP TABLE IF EXISTS copy_baseline; CREATE TABLE copy_baseline ("+like+")"); err != nil {
		return 0, pg.Err(err)
	}
	cols := []string{"id", "app_id", "email", "external_id", "name", "company", "title", "photo_url", "bio", "links", "role"}
	start := time.Now()
	_, err := pool.CopyFrom(ctx, pgx.Identifier{"copy_baseline"}, cols, pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
		m := rows[i]
		return []any{fmt.Sprintf("copy%08d", i), app, m.Email, m.ExternalID, m.Name, m.Company, m.Title, "", "", "[]", "attendee"}, nil
	}))
	d := time.Since(start)
	_, _ = pool.Exec(ctx, "DROP TABLE IF EXISTS copy_baseline")
	return d, pg.Err(err)
}
