package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/benchkit"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/social"
	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/placement"
)

// placementAB measures the feed with sponsored placement off (-url) and on
// (-placement-url), in interleaved rounds, after making two live campaigns
// through sponsored's API: a large one whose caps let most pages carry
// sponsored items, and a small one whose budget runs out under the load,
// to measure how far Redis and Postgres go past a budget.
func placementAB(ctx context.Context, f flags, rdb redis.UniversalClient, issuer *auth.Issuer, appID string, as func(context.Context, int) context.Context) ([]result, error) {
	ns := os.Getenv("REDIS_NAMESPACE")
	owner := "bench-owner"
	hk := hub.NewReadModelKeys(ns)
	if err := rdb.HSet(ctx, hk.Membership(appID, owner), anys(hub.EncodeMembership(hub.Membership{App: appID, User: owner, Role: auth.RoleOwner}), hub.FieldVersion, "1")...).Err(); err != nil {
		return nil, err
	}
	tok, err := issuer.Issue(auth.Claims{User: owner, App: appID, Role: auth.RoleOwner}, 2*time.Hour)
	if err != nil {
		return nil, err
	}
	sp, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{f.sponsoredURL}, MaxAttempts: 1})
	if err != nil {
		return nil, err
	}
	octx := auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, User: owner, App: appID, Role: auth.RoleOwner, Token: tok})
	now := time.Now().UTC()
	flight := sponsored.Flight{Start: now.Add(-time.Hour).Format("2006-01-02T15:04"), End: now.Add(24 * time.Hour).Format("2006-01-02T15:04"), TimeZone: "UTC"}
	const probeBudget = 5_000
	var probe string
	for i, c := range []struct {
		name   string
		budget int64
	}{{"Bench large", 100_000_000}, {"Bench budget probe", probeBudget}} {
		in := sponsored.CampaignInput{
			Name: c.name, Sponsor: sponsored.Sponsor{Name: "Acme"},
			Creative: sponsored.Creative{Text: "Meet us at booth 12", CTA: sponsored.CTA{Kind: sponsored.CTALink, Label: "Go", URL: "https://acme.example/"}},
			Flight:   flight, Weight: 1, Budget: c.budget, Pacing: sponsored.PacingASAP, Caps: sponsored.Caps{PerHour: 100_000},
		}
		camp, err := sponsored.CreateCampaign.Call(octx, sp, sponsored.CreateCampaignParams{AppRef: rpc.AppRef{App: appID}, CampaignInput: in})
		if err != nil {
			return nil, fmt.Errorf("campaign.create: %w", err)
		}
		if _, err := sponsored.ScheduleCampaign.Call(octx, sp, sponsored.CampaignRef{AppRef: rpc.AppRef{App: appID}, CampaignID: camp.ID}); err != nil {
			return nil, fmt.Errorf("campaign.schedule: %w", err)
		}
		if i == 1 {
			probe = camp.ID
		}
	}
	keys := placement.NewKeys(ns)
	for rdb.Exists(ctx, keys.Eligibility(appID)).Val() == 0 {
		time.Sleep(100 * time.Millisecond)
	}
	clients := map[string]*rpc.Client{}
	for name, u := range map[string]string{"off": f.url, "on": f.placementURL} {
		if clients[name], err = rpc.NewClient(rpc.ClientOptions{Endpoints: []string{u}, MaxAttempts: 1, ConsecutiveFailures: 1 << 30}); err != nil {
			return nil, err
		}
	}
	// The sponsored items the "on" rounds' pages carried, and the pages.
	var sponsoredItems atomic.Int64
	var pages int
	fmt.Fprintln(os.Stderr, "placement on vs off: warm-up")
	load(ctx, "feed.get placement off warm-up", f.clients, 0, 3*time.Second, abFeedOp(clients["off"], appID, f.page, as, f.abDecode, nil))
	load(ctx, "feed.get placement on warm-up", f.clients, 0, 3*time.Second, abFeedOp(clients["on"], appID, f.page, as, f.abDecode, nil))
	var out []result
	byMode := map[string][]result{}
	cpuPerReq := map[string][]float64{}
	machinePerReq := map[string][]float64{}
	pids := map[string]int{"off": f.offPID, "on": f.onPID}
	for r := 0; r < f.abRounds; r++ {
		for _, mode := range []string{"off", "on"} {
			var seen *atomic.Int64
			if mode == "on" {
				seen = &sponsoredItems
			}
			if f.profile != "" && r == 1 {
				// The second round's CPU profile of each server.
				admin := map[string]string{"off": f.adminURL, "on": f.onAdminURL}[mode]
				if admin != "" {
					go saveProfile(admin, f.abDuration, f.profile+"."+mode)
				}
			}
			cpu0, m0 := benchkit.ProcessCPU(pids[mode]), sampleCPU()
			res := load(ctx, fmt.Sprintf("feed.get placement %s round %d", mode, r+1), f.clients, 0, f.abDuration, abFeedOp(clients[mode], appID, f.page, as, f.abDecode, seen))
			if mode == "on" {
				pages += res.Requests
			}
			if cpu1 := benchkit.ProcessCPU(pids[mode]); cpu1 > 0 && res.Requests > 0 {
				us := float64((cpu1 - cpu0).Microseconds()) / float64(res.Requests)
				cpuPerReq[mode] = append(cpuPerReq[mode], us)
				fmt.Fprintf(os.Stderr, "  server CPU %.0f µs a request\n", us)
			}
			if mus, line := perRequest(m0, sampleCPU(), int64(res.Requests)); line != "" {
				machinePerReq[mode] = append(machinePerReq[mode], mus)
				fmt.Fprintf(os.Stderr, "  CPU a request: %s\n", line)
			}
			byMode[mode] = append(byMode[mode], res)
			out = append(out, res)
		}
	}
	for _, mode := range []string{"off", "on"} {
		rs := byMode[mode]
		ps := make([]float64, len(rs))
		p99 := make([]float64, len(rs))
		for i, r := range rs {
			ps[i], p99[i] = r.PerSec, r.P99ms
		}
		fmt.Fprintf(os.Stderr, "placement %-3s: req/s %s; p99 %s", mode, spread(ps, "%.0f", ""), spread(p99, "%.2f", " ms"))
		if cs := cpuPerReq[mode]; len(cs) > 0 {
			fmt.Fprintf(os.Stderr, "; server CPU a request %s", spread(cs, "%.0f", " µs"))
		}
		if ms := machinePerReq[mode]; len(ms) > 0 {
			fmt.Fprintf(os.Stderr, "; machine CPU a request %s", spread(ms, "%.0f", " µs"))
		}
		fmt.Fprintln(os.Stderr)
	}
	fmt.Fprintf(os.Stderr, "placement on: %d pages, %d sponsored items (%.2f a page)\n", pages, sponsoredItems.Load(), float64(sponsoredItems.Load())/float64(max(pages, 1)))

	// The budget probe: Redis' served count and Postgres' count against the
	// budget, once sponsored has counted every record.
	backlog := rdb.XLen(ctx, keys.Records(appID)).Val()
	t0 := time.Now()
	for rdb.XLen(ctx, keys.Records(appID)).Val() > 0 && time.Since(t0) < 5*time.Minute {
		time.Sleep(500 * time.Millisecond)
	}
	served, _ := rdb.HGet(ctx, keys.Live(appID), placement.ServedField(probe)).Int64()
	camp, err := sponsored.GetCampaign.Call(octx, sp, sponsored.CampaignRef{AppRef: rpc.AppRef{App: appID}, CampaignID: probe})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "budget probe: budget %d, served by Redis %d, counted in Postgres %d (%s); record backlog at the end of the load %d, counted in %s\n",
		probeBudget, served, camp.Counted, camp.State, backlog, time.Since(t0).Round(100*time.Millisecond))
	return out, nil
}

// abFeedOp reads the app feed's first page as a random member, with the
// feed phase's light client unless decode; a JSON-RPC error, an empty page
// or a sponsored item first is a failure (the light client sees the last
// on the pages it decodes).
func abFeedOp(client *rpc.Client, appID string, page int, as func(context.Context, int) context.Context, decode bool, seen *atomic.Int64) func(ctx context.Context, w, i int) error {
	return func(ctx context.Context, w, i int) error {
		p := social.FeedParams{AppRef: rpc.AppRef{App: appID}, Kind: social.FeedApp, Limit: page}
		_, n, err := readPage(as(ctx, rand.IntN(1<<20)), client, p, decode || i%fullEvery == 0)
		if err != nil {
			return err
		}
		if seen != nil {
			seen.Add(int64(n))
		}
		return nil
	}
}
