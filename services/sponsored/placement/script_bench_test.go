package placement_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/attendify/platform/benchkit"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/placement"
)

// BenchmarkFill is placement.Fill's cap script as social runs it, one
// page at a time: four eligible campaigns with hourly and daily caps, a
// member drawn from 5,000 (so that most calls find the member's windows
// of a campaign), one slot a page. It reports Redis' own time per call of
// EVALSHA (INFO commandstats, every client's calls: run it on a Redis of
// its own, or on a quiet one) and this process's CPU per page:
//
//	redis-server --port 6390 --save '' --appendonly no &
//	cd services/sponsored && REDIS_URL=redis://127.0.0.1:6390/0 go test -run '^$' -bench Fill -benchtime 50000x ./placement
func BenchmarkFill(b *testing.B) {
	ctx := context.Background()
	rdb, ns := testkit.Redis(b)
	keys := placement.NewKeys(ns)
	cfg := placement.Config{Enabled: true, PublicURL: "http://sp.test", Timeout: 5 * time.Second, CacheTTL: time.Hour}
	if err := cfg.LinkKeys.UnmarshalText([]byte(placement.DevLinkKey)); err != nil {
		b.Fatal(err)
	}
	p, err := placement.New(cfg, placement.Options{Redis: rdb, Namespace: ns})
	if err != nil {
		b.Fatal(err)
	}
	const app = "app1"
	var entries []placement.Entry
	for i := range 4 {
		id := fmt.Sprintf("camp%d", i)
		entries = append(entries, placement.Entry{ID: id, Weight: 1 + i, TimeZone: "Europe/Berlin", End: time.Now().Add(48 * time.Hour),
			Caps:    sponsored.Caps{PerHour: 1000, PerDay: 10000},
			Sponsor: sponsored.Sponsor{Name: "Acme"}, Text: "Buy", CTA: sponsored.CTA{Kind: sponsored.CTALink, Label: "Go"}})
		if err := rdb.HSet(ctx, keys.Live(app), placement.BudgetField(id), 1<<40, placement.PaceField(id), 1<<40).Err(); err != nil {
			b.Fatal(err)
		}
	}
	publish(b, rdb, keys, app, entries)
	viewers := make([]placement.Viewer, 5000)
	for i := range viewers {
		viewers[i] = placement.Viewer{Member: fmt.Sprintf("member-%06d", i), MemberRole: "attendee"}
	}
	for _, v := range viewers { // every member seen once: the windows exist
		p.Fill(ctx, app, "", v, 5)
	}
	calls0, usec0, err := benchkit.RedisCommand(ctx, rdb, "evalsha")
	if err != nil {
		b.Fatal(err)
	}
	cpu0 := benchkit.SelfCPU()
	b.ResetTimer()
	served := 0
	for range b.N {
		served += len(p.Fill(ctx, app, "", viewers[rand.IntN(len(viewers))], 5))
	}
	b.StopTimer()
	cpu := benchkit.SelfCPU() - cpu0
	calls, usec, err := benchkit.RedisCommand(ctx, rdb, "evalsha")
	if err != nil {
		b.Fatal(err)
	}
	if served != b.N {
		b.Fatalf("%d sponsored items in %d pages, want one a page", served, b.N)
	}
	b.ReportMetric((usec-usec0)/float64(calls-calls0), "redis-µs/call")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "go-µs/page")
}

func publish(b *testing.B, rdb redis.UniversalClient, keys placement.Keys, app string, entries []placement.Entry) {
	doc, err := json.Marshal(placement.Eligibility{Version: 1, Every: 5, Campaigns: entries})
	if err != nil {
		b.Fatal(err)
	}
	if err := rdb.Set(context.Background(), keys.Eligibility(app), doc, 0).Err(); err != nil {
		b.Fatal(err)
	}
}
