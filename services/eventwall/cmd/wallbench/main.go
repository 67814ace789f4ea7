// Command wallbench loads eventwall from a separate process for
// bench/eventwall/run.sh. Subcommands:
//
//	wallbench seed     play hub's part (read model, member events, tokens) for
//	                   one app in Redis, create a public wall through
//	                   eventwall's API and fill it with posts through social's
//	                   API; print the state as JSON (-state file)
//	wallbench screens  simulate N screens polling every P (default 10,000
//	                   every 5 s, 2,000 polls/s) while posts keep arriving;
//	                   print latency percentiles and status counts
//	wallbench delay    create posts through social one at a time and measure
//	                   when each shows in a long poll of the wall
//	wallbench cursor   print the wall's current cursor (for wrk)
//	wallbench bare     serve the same poll bytes from memory with a bare
//	                   net/http handler (the baseline of the 304 path)
//
// The Redis namespace is REDIS_NAMESPACE, as for the services.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/redis/go-redis/v9"

	"github.com/attendify/eventwall"
	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/benchkit"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/flake"
	"github.com/attendify/platform/redisx"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/social"
)

// State is what seed leaves for the other subcommands.
type State struct {
	AppID       string   `json:"app_id"`
	EventID     string   `json:"event_id"`
	WallID      string   `json:"wall_id"`
	WallToken   string   `json:"wall_token"` // the screens' name of the wall (its screen token)
	OwnerToken  string   `json:"owner_token"`
	MemberIDs   []string `json:"member_ids"`
	MemberToken []string `json:"member_tokens"`
}

type config struct {
	Namespace string `env:"REDIS_NAMESPACE"`
	Redis     redisx.Config
	Auth      auth.Config
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: wallbench seed|screens|delay|cursor|bare [flags]")
		os.Exit(2)
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "seed":
		err = seed(ctx, args)
	case "screens":
		err = screens(ctx, args)
	case "delay":
		err = delay(ctx, args)
	case "cursor":
		err = cursor(ctx, args)
	case "bare":
		err = bare(ctx, args)
	default:
		err = fmt.Errorf("unknown command %q", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "wallbench:", err)
		os.Exit(1)
	}
}

func readState(path string) (State, error) {
	var st State
	b, err := os.ReadFile(path)
	if err != nil {
		return st, err
	}
	return st, json.Unmarshal(b, &st)
}

func as(ctx context.Context, token string) context.Context {
	return auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, Token: token})
}

// ------------------------------------------------------------------- seed

func seed(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("seed", flag.ExitOnError)
	wallURL := fs.String("wall", "http://127.0.0.1:18086", "eventwall's URL")
	socialURL := fs.String("social", "http://127.0.0.1:18083", "social's URL")
	posts := fs.Int("posts", 50, "posts to create")
	members := fs.Int("members", 20, "members posting")
	statePath := fs.String("state", "wallbench.json", "where to write the state")
	_ = fs.Parse(args)

	var cfg config
	if err := env.Parse(&cfg); err != nil {
		return err
	}
	rdb, err := redisx.Open(ctx, cfg.Redis)
	if err != nil {
		return err
	}
	defer rdb.Close()
	issuer, err := cfg.Auth.Issuer()
	if err != nil {
		return err
	}
	keys := hub.NewReadModelKeys(cfg.Namespace)
	ids := flake.New(0)
	st := State{AppID: ids.Next().String(), EventID: ids.Next().String()}
	appCfg := hub.EncodeAppConfig(hub.AppConfig{ID: st.AppID, Slug: "bench", Name: "Bench", Status: hub.StatusPublished, Access: hub.AccessOpen})
	evs, _ := hub.EncodeEvents([]hub.EventInfo{{ID: st.EventID, Name: "Bench conf", TimeZone: "UTC", Visibility: hub.VisibilityPublic, Access: hub.EventAccessOpen}})
	pub := events.NewPublisher(rdb, events.NewStreams(cfg.Namespace), events.PublisherConfig{})
	_, err = rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, keys.Ready(), "1", 0)
		p.HSet(ctx, keys.Config(st.AppID), append(toAny(appCfg), hub.FieldVersion, 1)...)
		p.HSet(ctx, keys.Events(st.AppID), append(toAny(evs), hub.FieldVersion, 1)...)
		return nil
	})
	if err != nil {
		return err
	}
	addMember := func(name, role string) (string, string, error) {
		id := ids.Next().String()
		f := hub.EncodeMembership(hub.Membership{App: st.AppID, User: id, Role: role})
		if err := rdb.HSet(ctx, keys.Membership(st.AppID, id), append(toAny(f), hub.FieldVersion, 1)...).Err(); err != nil {
			return "", "", err
		}
		data, _ := json.Marshal(hub.MemberPayload{ID: id, AppID: st.AppID, Name: name, Role: hub.MemberAttendee})
		if err := pub.Publish(ctx, events.Event{Type: hub.EventMemberCreated, App: st.AppID, Subject: id, Data: data}); err != nil {
			return "", "", err
		}
		tok, err := issuer.Issue(auth.Claims{User: id, App: st.AppID, Role: role}, 24*time.Hour)
		return id, tok, err
	}
	_, st.OwnerToken, err = addMember("Bench Owner", auth.RoleOwner)
	if err != nil {
		return err
	}
	for i := range *members {
		id, tok, err := addMember(fmt.Sprintf("Member %d", i), auth.RoleAttendee)
		if err != nil {
			return err
		}
		st.MemberIDs, st.MemberToken = append(st.MemberIDs, id), append(st.MemberToken, tok)
	}
	wc, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{*wallURL}})
	if err != nil {
		return err
	}
	w, err := eventwall.CreateWall.Call(as(ctx, st.OwnerToken), wc, eventwall.CreateWallParams{
		AppRef: rpc.AppRef{App: st.AppID}, EventID: st.EventID, Title: "Bench wall",
		Moderation: &eventwall.Moderation{Mode: eventwall.ModerationAuto, Blocklist: []string{"spam"}},
	})
	if err != nil {
		return fmt.Errorf("create the wall: %w", err)
	}
	st.WallID, st.WallToken = w.ID, w.ScreenToken
	sc, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{*socialURL}})
	if err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond) // let social take in the member events
	for i := range *posts {
		tok := st.MemberToken[i%len(st.MemberToken)]
		if _, err := createPost(ctx, sc, st, tok, fmt.Sprintf("Seeded post %d #bench", i)); err != nil {
			return err
		}
	}
	b, _ := json.MarshalIndent(st, "", "  ")
	if err := os.WriteFile(*statePath, b, 0o644); err != nil {
		return err
	}
	// Wait until the wall shows them all.
	deadline := time.Now().Add(30 * time.Second)
	for {
		ch, _, err := fetch(ctx, http.DefaultClient, *wallURL, st.WallToken, "")
		if err == nil && len(ch.Items) >= *posts {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the wall shows %d of %d posts after 30 s", len(ch.Items), *posts)
		}
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Fprintf(os.Stderr, "seeded app %s, wall %s, %d members, %d posts\n", st.AppID, st.WallID, *members, *posts)
	return nil
}

func createPost(ctx context.Context, sc *rpc.Client, st State, token, text string) (social.Post, error) {
	p, err := social.CreatePost.Call(as(ctx, token), sc, social.CreatePostParams{AppRef: rpc.AppRef{App: st.AppID}, EventID: st.EventID, Text: text})
	if err != nil {
		return p, fmt.Errorf("post.create: %w", err)
	}
	return p, nil
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// fetch polls once; it returns the changes (zero on 304) and the status.
func fetch(ctx context.Context, c *http.Client, base, token, cursor string) (eventwall.Changes, int, error) {
	u := base + "/walls/" + token + "/poll"
	if cursor != "" {
		u += "?cursor=" + cursor
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	resp, err := c.Do(req)
	if err != nil {
		return eventwall.Changes{}, 0, err
	}
	defer resp.Body.Close()
	var ch eventwall.Changes
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&ch); err != nil {
			return ch, resp.StatusCode, err
		}
	} else {
		_, _ = io.Copy(io.Discard, resp.Body)
	}
	return ch, resp.StatusCode, nil
}

// ---------------------------------------------------------------- screens

func screens(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("screens", flag.ExitOnError)
	wallURL := fs.String("wall", "http://127.0.0.1:18086", "eventwall's URL")
	socialURL := fs.String("social", "http://127.0.0.1:18083", "social's URL")
	n := fs.Int("n", 10000, "screens")
	every := fs.Duration("every", 5*time.Second, "poll period of a screen")
	dur := fs.Duration("duration", 60*time.Second, "measured duration")
	postEvery := fs.Duration("post-every", 2*time.Second, "a new post through social this often (0: none)")
	statePath := fs.String("state", "wallbench.json", "seed's state")
	_ = fs.Parse(args)
	st, err := readState(*statePath)
	if err != nil {
		return err
	}
	tr := &http.Transport{MaxIdleConns: 4096, MaxIdleConnsPerHost: 4096, IdleConnTimeout: time.Minute}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	// Every screen first loads the full state (not measured), spread over a second.
	cursors := make([]string, *n)
	ch, _, err := fetch(ctx, client, *wallURL, st.WallToken, "")
	if err != nil {
		return err
	}
	for i := range cursors {
		cursors[i] = ch.Cursor
	}

	var (
		mu     sync.Mutex
		status = map[int]int{}
	)
	rctx, cancel := context.WithTimeout(ctx, *dur)
	defer cancel()
	var wg sync.WaitGroup
	if *postEvery > 0 {
		sc, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{*socialURL}})
		if err != nil {
			return err
		}
		wg.Go(func() {
			t := time.NewTicker(*postEvery)
			defer t.Stop()
			for i := 0; ; i++ {
				select {
				case <-rctx.Done():
					return
				case <-t.C:
				}
				_, _ = createPost(rctx, sc, st, st.MemberToken[i%len(st.MemberToken)], fmt.Sprintf("Live post %d #bench", i))
			}
		})
	}
	// Each screen polls once a period, from a random phase.
	res, err := benchkit.Phase{Clients: *n, Duration: *dur, Period: *every}.Run(ctx, func(ctx context.Context, c benchkit.Call) error {
		ch, code, err := fetch(ctx, client, *wallURL, st.WallToken, cursors[c.Client])
		if err != nil {
			return err
		}
		mu.Lock()
		status[code]++
		mu.Unlock()
		if code == http.StatusOK {
			cursors[c.Client] = ch.Cursor
		}
		return nil
	})
	cancel()
	wg.Wait()
	if err != nil {
		return err
	}
	lats := res.Latencies
	out := map[string]any{
		"screens": *n, "period": every.String(), "duration": res.Elapsed.Round(time.Millisecond).String(),
		"polls": len(lats), "polls_per_s": res.Rate(),
		"p50_ms": msAt(lats, 50), "p90_ms": msAt(lats, 90), "p99_ms": msAt(lats, 99), "p999_ms": msAt(lats, 99.9), "max_ms": msAt(lats, 100),
		"status": status, "errors": res.Failures,
	}
	return printJSON(out)
}

// msAt is the p-th percentile of sorted, in milliseconds.
func msAt(sorted []time.Duration, p float64) float64 {
	return benchkit.Millis(benchkit.Percentile(sorted, p))
}

func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// ------------------------------------------------------------------ delay

func delay(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("delay", flag.ExitOnError)
	wallURL := fs.String("wall", "http://127.0.0.1:18086", "eventwall's URL")
	socialURL := fs.String("social", "http://127.0.0.1:18083", "social's URL")
	count := fs.Int("posts", 200, "posts to create")
	gap := fs.Duration("gap", 150*time.Millisecond, "pause between posts")
	statePath := fs.String("state", "wallbench.json", "seed's state")
	_ = fs.Parse(args)
	st, err := readState(*statePath)
	if err != nil {
		return err
	}
	sc, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{*socialURL}})
	if err != nil {
		return err
	}
	var mu sync.Mutex
	created := map[string]time.Time{} // post id -> when social answered post.create
	sent := map[string]time.Time{}    // post id -> when post.create was sent
	seen := map[string]time.Time{}

	// A screen long-polling the wall.
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	first, _, err := fetch(ctx, http.DefaultClient, *wallURL, st.WallToken, "")
	if err != nil {
		return err
	}
	watcherDone := make(chan struct{})
	go func() {
		defer close(watcherDone)
		cur := first.Cursor
		for wctx.Err() == nil {
			ch, code, err := fetch(wctx, http.DefaultClient, *wallURL, st.WallToken, cur+"&wait=25s")
			now := time.Now()
			if err != nil {
				continue
			}
			if code == 200 {
				cur = ch.Cursor
				mu.Lock()
				for _, it := range ch.Items {
					if _, ok := seen[it.ID]; !ok {
						seen[it.ID] = now
					}
				}
				mu.Unlock()
			}
		}
	}()
	for i := range *count {
		t0 := time.Now()
		p, err := createPost(ctx, sc, st, st.MemberToken[i%len(st.MemberToken)], fmt.Sprintf("Delay probe %d #bench", i))
		if err != nil {
			return err
		}
		mu.Lock()
		sent[p.ID], created[p.ID] = t0, time.Now()
		mu.Unlock()
		time.Sleep(*gap)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := 0
		for id := range sent {
			if _, ok := seen[id]; ok {
				n++
			}
		}
		mu.Unlock()
		if n == len(sent) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	<-watcherDone
	var fromCall, fromCommit []time.Duration
	missing := 0
	for id, t0 := range sent {
		t1, ok := seen[id]
		if !ok {
			missing++
			continue
		}
		fromCall = append(fromCall, t1.Sub(t0))
		fromCommit = append(fromCommit, max(0, t1.Sub(created[id])))
	}
	slices.Sort(fromCall)
	slices.Sort(fromCommit)
	return printJSON(map[string]any{
		"posts": len(sent), "missing": missing,
		"from_call_p50_ms": msAt(fromCall, 50), "from_call_p99_ms": msAt(fromCall, 99), "from_call_max_ms": msAt(fromCall, 100),
		"from_answer_p50_ms": msAt(fromCommit, 50), "from_answer_p99_ms": msAt(fromCommit, 99), "from_answer_max_ms": msAt(fromCommit, 100),
	})
}

// ----------------------------------------------------------------- cursor

func cursor(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("cursor", flag.ExitOnError)
	wallURL := fs.String("wall", "http://127.0.0.1:18086", "eventwall's URL")
	statePath := fs.String("state", "wallbench.json", "seed's state")
	_ = fs.Parse(args)
	st, err := readState(*statePath)
	if err != nil {
		return err
	}
	ch, _, err := fetch(ctx, http.DefaultClient, *wallURL, st.WallToken, "")
	if err != nil {
		return err
	}
	fmt.Println(ch.Cursor)
	return nil
}

// ------------------------------------------------------------------- bare

// bare serves GET /walls/{token}/poll from memory with the bytes eventwall
// answers: 304 when the cursor or If-None-Match is current, else the body.
func bare(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bare", flag.ExitOnError)
	wallURL := fs.String("wall", "http://127.0.0.1:18086", "eventwall's URL (to copy the answer from)")
	addr := fs.String("addr", "127.0.0.1:18099", "listen address")
	statePath := fs.String("state", "wallbench.json", "seed's state")
	_ = fs.Parse(args)
	st, err := readState(*statePath)
	if err != nil {
		return err
	}
	resp, err := http.Get(*wallURL + "/walls/" + st.WallToken + "/poll")
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	etag := resp.Header.Get("ETag")
	cur := etag[1 : len(etag)-1]
	mux := http.NewServeMux()
	mux.HandleFunc("GET /walls/{token}/poll", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", etag)
		w.Header().Set("Cache-Control", "no-cache")
		if strings.Contains(r.URL.RawQuery, cur) || r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Shutdown(context.Background())
	}()
	fmt.Fprintf(os.Stderr, "bare handler on %s, %d bytes, cursor %s\n", *addr, len(body), cur)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
