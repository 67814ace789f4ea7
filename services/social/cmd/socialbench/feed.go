package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/benchkit"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/service"
	"github.com/attendify/social/internal/store/redisstore"
)

// The feed phase compares feed.get with the same reads made straight
// against Redis (the baseline), in interleaved rounds: the API loaded by
// wrk, by a light client, the baseline, the API loaded by a decoding
// client, and again. Each goes two pages deep, then back to the top (wrk's
// script: as many calls of each depth).
//
// Three clients, because the load generator shares the server's two CPUs:
// a Go client that decodes every 20-item page into Go types spends about
// what the server spends making it, and that is not the server's cost. The
// light client checks what wrk's script checks and a little more (a
// JSON-RPC error fails the call; the page holds items; its next_cursor
// drives the paging) from the answer's bytes, which the RPC client has
// validated as JSON, and decodes one page in fullEvery into Go types, so
// that a malformed page still fails the run. wrk (C, one thread) is the
// lightest; its script reads every body for a JSON-RPC error.
const fullEvery = 32

var errEmptyPage = errors.New("empty feed page")

// feedOp reads feed pages as random members: with decode, each into
// social.FeedPage; else as the light client above.
func feedOp(client *rpc.Client, appID string, page int, as func(context.Context, int) context.Context, decode bool) func(ctx context.Context, w, i int) error {
	cursors := make([]string, 1024)
	return func(ctx context.Context, w, i int) error {
		p := social.FeedParams{AppRef: rpc.AppRef{App: appID}, Kind: social.FeedApp, Limit: page, Cursor: cursors[w]}
		next, _, err := readPage(as(ctx, rand.IntN(1<<20)), client, p, decode || i%fullEvery == 0)
		if err != nil {
			return err
		}
		cursors[w] = next
		if i%3 == 2 {
			cursors[w] = "" // back to the top every third page
		}
		return nil
	}
}

// readPage calls feed.get with p and checks its answer (pageEnvelope),
// decoding it into Go types when full.
func readPage(ctx context.Context, client *rpc.Client, p social.FeedParams, full bool) (next string, sponsoredItems int, err error) {
	var raw json.RawMessage
	if err := client.Call(ctx, social.GetFeed.Name, social.GetFeed.Idempotent, p, &raw); err != nil {
		return "", 0, err
	}
	return pageEnvelope(raw, full)
}

// pageEnvelope checks a feed page's result, valid JSON, without decoding
// its items unless full: it is an object whose items are a non-empty
// array. It returns the page's next_cursor and how many sponsored items it
// holds. The server writes "items" first and "next_cursor" last; a member
// name inside a string has its quotes escaped, so the byte searches cannot
// match text.
func pageEnvelope(raw []byte, full bool) (next string, sponsoredItems int, err error) {
	if full {
		var p social.FeedPage
		if err := json.Unmarshal(raw, &p); err != nil {
			return "", 0, fmt.Errorf("decode the page: %w", err)
		}
		if len(p.Items) == 0 {
			return "", 0, errEmptyPage
		}
		if p.Items[0].Sponsored != nil {
			return "", 0, errors.New("a sponsored item first")
		}
		for _, it := range p.Items {
			if it.Sponsored != nil {
				sponsoredItems++
			}
		}
		return p.NextCursor, sponsoredItems, nil
	}
	if !bytes.HasPrefix(raw, []byte(`{"items":[{`)) {
		if bytes.HasPrefix(raw, []byte(`{"items":[]`)) {
			return "", 0, errEmptyPage
		}
		return "", 0, fmt.Errorf("not a feed page: %.60s", raw)
	}
	sponsoredItems = bytes.Count(raw, []byte(`"sponsored":{`))
	const member = `"next_cursor":`
	at := bytes.LastIndex(raw, []byte(member))
	if at < 0 {
		return "", sponsoredItems, nil
	}
	// The string's closing quote is the first one not escaped.
	value := raw[at+len(member):]
	end := 1
	for end < len(value) && value[end] != '"' {
		if value[end] == '\\' {
			end++
		}
		end++
	}
	if err := json.Unmarshal(value[:min(end+1, len(value))], &next); err != nil {
		return "", 0, fmt.Errorf("a page's next_cursor: %w", err)
	}
	return next, sponsoredItems, nil
}

// baselineFeedOp makes a feed page's reads straight against the stores, as
// the service makes them (hub's membership, app and event list, the page of ids, the
// posts' entries with the reader's reactions, the authors' profiles),
// paging as feedOp does.
func baselineFeedOp(rm *hub.ReadModel, index *redisstore.Store, appID string, members []string, page int) func(ctx context.Context, w, i int) error {
	after := make([]string, 1024)
	return func(ctx context.Context, w, i int) error {
		m := rand.IntN(len(members))
		if _, err := rm.AuthorizeEvents(ctx, auth.Caller{Kind: auth.CallerUser, User: members[m], App: appID, Role: auth.RoleAttendee}, appID); err != nil {
			return err
		}
		ids, _, err := index.Page(ctx, appID, service.Feed{Kind: social.FeedApp}, after[w], page)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return errEmptyPage
		}
		after[w] = ids[len(ids)-1]
		if i%3 == 2 {
			after[w] = ""
		}
		cached, _, _, err := index.Items(ctx, appID, members[m], ids)
		if err != nil {
			return err
		}
		var authors []string
		for _, c := range cached {
			if c != nil && !slices.Contains(authors, c.Doc.Author) {
				authors = append(authors, c.Doc.Author)
			}
		}
		_, err = index.Profiles(ctx, appID, authors)
		return err
	}
}

// feedRounds runs the feed phase: f.feedRounds rounds of f.abDuration, each
// wrk (with f.wrkScript), the light client, the baseline and the decoding
// client in turn, and prints each round's ratios to the baseline and their
// medians.
func feedRounds(ctx context.Context, f flags, client *rpc.Client, appID string, as func(context.Context, int) context.Context, baseline func(ctx context.Context, w, i int) error) ([]result, error) {
	fmt.Fprintln(os.Stderr, "feed against the Redis-only baseline: warm-up")
	load(ctx, "feed.get warm-up", f.clients, 0, 3*time.Second, feedOp(client, appID, f.page, as, false))
	light, full := feedOp(client, appID, f.page, as, false), feedOp(client, appID, f.page, as, true)
	type target struct {
		name    string
		op      func(ctx context.Context, w, i int) error // nil: wrk
		pid     int                                       // whose CPU a request to read: the server's, or this process's
		profile bool                                      // the round profiled with -profile (the second)
	}
	targets := []target{
		{fmt.Sprintf("feed.get %d items (API, wrk)", f.page), nil, f.offPID, false},
		{fmt.Sprintf("feed.get %d items (API, light client)", f.page), light, f.offPID, true},
		{fmt.Sprintf("baseline feed %d items (Redis)", f.page), baseline, os.Getpid(), false},
		{fmt.Sprintf("feed.get %d items (API, decoding client)", f.page), full, f.offPID, false},
	}
	var out []result
	rates := map[string][]float64{}
	cpus := map[string][]float64{}
	if f.wrkScript == "" {
		targets = targets[1:]
	}
	for r := 0; r < f.feedRounds; r++ {
		for _, t := range targets {
			stop := func() error { return nil }
			if f.profile != "" && r == 1 && t.profile {
				go saveProfile(f.adminURL, f.abDuration, f.profile)
				var err error
				if stop, err = benchkit.StartCPUProfile(f.profile + ".client"); err != nil {
					return nil, err
				}
			}
			cpu0, m0 := benchkit.ProcessCPU(t.pid), sampleCPU()
			var res result
			if t.op == nil {
				var err error
				if res, err = runWrk(ctx, fmt.Sprintf("%s round %d", t.name, r+1), f); err != nil {
					return nil, err
				}
			} else {
				res = load(ctx, fmt.Sprintf("%s round %d", t.name, r+1), f.clients, 0, f.abDuration, t.op)
			}
			if err := stop(); err != nil {
				return nil, err
			}
			if cpu1 := benchkit.ProcessCPU(t.pid); cpu1 > 0 && res.Requests > 0 {
				res.CPUus = float64((cpu1 - cpu0).Microseconds()) / float64(res.Requests)
				cpus[t.name] = append(cpus[t.name], res.CPUus)
			}
			_, line := perRequest(m0, sampleCPU(), int64(res.Requests))
			fmt.Fprintf(os.Stderr, "  CPU a page: serving process %.0f µs; %s\n", res.CPUus, line)
			rates[t.name] = append(rates[t.name], res.PerSec)
			out = append(out, res)
		}
	}
	base := targets[len(targets)-2].name
	for _, t := range targets {
		line := fmt.Sprintf("%-42s req/s %s", t.name, spread(rates[t.name], "%.0f", ""))
		if cs := cpus[t.name]; len(cs) > 0 {
			line += "; CPU a page " + spread(cs, "%.0f", " µs")
		}
		if t.name != base {
			// Each round's ratio to the baseline's round beside it.
			ratios := make([]float64, len(rates[t.name]))
			for i := range ratios {
				ratios[i] = rates[t.name][i] / rates[base][i]
			}
			line += fmt.Sprintf("; to the baseline: %s, each round %.2f", spread(ratios, "%.2f", ""), ratios)
		}
		fmt.Fprintln(os.Stderr, line)
	}
	return out, nil
}

// runWrk loads the feed with wrk and f.wrkScript (paging three deep) for
// f.abDuration at f.clients connections, and reads its figures: every
// answer that is not a 2xx, every JSON-RPC error and every socket error is
// a failure.
func runWrk(ctx context.Context, name string, f flags) (result, error) {
	cmd := exec.CommandContext(ctx, "wrk", "-t1", fmt.Sprintf("-c%d", f.clients), fmt.Sprintf("-d%ds", int(f.abDuration.Seconds())),
		"--latency", "-s", f.wrkScript, f.url+"/rpc")
	cmd.Env = append(os.Environ(), "WRK_PAGES=3")
	out, err := cmd.Output()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %w: %s", err, out)
	}
	r := result{Name: name, Seconds: f.abDuration.Seconds()}
	for _, line := range strings.Split(string(out), "\n") {
		fs := strings.Fields(line)
		switch {
		case len(fs) == 2 && fs[0] == "Requests/sec:":
			r.PerSec, _ = strconv.ParseFloat(fs[1], 64)
		case len(fs) >= 5 && fs[1] == "requests" && fs[2] == "in":
			r.Requests, _ = strconv.Atoi(fs[0])
		case len(fs) == 2 && fs[0] == "50%":
			r.P50ms = wrkMillis(fs[1])
		case len(fs) == 2 && fs[0] == "99%":
			r.P99ms = wrkMillis(fs[1])
		case len(fs) == 2 && fs[0] == "RPC_ERRORS":
			n, _ := strconv.Atoi(fs[1])
			r.Errors += n
		case strings.HasPrefix(line, "  Non-2xx or 3xx responses:"):
			n, _ := strconv.Atoi(fs[len(fs)-1])
			r.Errors += n
		case strings.HasPrefix(line, "  Socket errors:"):
			// "Socket errors: connect 0, read 0, write 0, timeout 0"
			for i := 3; i < len(fs); i += 2 {
				n, _ := strconv.Atoi(strings.TrimSuffix(fs[i], ","))
				r.Errors += n
			}
		}
	}
	if r.Requests == 0 {
		return r, fmt.Errorf("wrk: no figures in its output: %s", out)
	}
	// wrk has exited by the time the round's CPU is sampled: its own.
	if st := cmd.ProcessState; st != nil {
		fmt.Fprintf(os.Stderr, "  wrk's CPU %.0f µs a request\n", float64((st.UserTime()+st.SystemTime()).Microseconds())/float64(r.Requests))
	}
	if r.Errors > 0 {
		r.FirstErr = "errors: non-2xx, JSON-RPC or socket (wrk counts them in its rate)"
	}
	fmt.Fprintln(os.Stderr, r)
	return r, nil
}

// wrkMillis reads one of wrk's latencies ("850.00us", "11.42ms", "1.02s").
func wrkMillis(v string) float64 {
	for _, u := range []struct {
		suffix string
		ms     float64
	}{{"us", 1e-3}, {"ms", 1}, {"s", 1e3}, {"m", 60e3}} {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			x, err := strconv.ParseFloat(n, 64)
			if err == nil {
				return x * u.ms
			}
		}
	}
	return 0
}
