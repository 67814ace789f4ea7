package service_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/internal/service"
	"github.com/attendify/sponsored/internal/store/memstore"
	"github.com/attendify/sponsored/internal/storetest"
	"github.com/attendify/sponsored/placement"
)

// ledger is the part of the Ledger port the publisher uses: no counts.
type ledger struct{ service.Ledger }

func (ledger) CapWindows(context.Context, service.Campaign, time.Time) ([]service.CapWindow, error) {
	return nil, nil
}

// TestPublishByTime: one publisher round moves campaigns by time and
// budget and publishes what may serve, with budgets and pacing targets.
func TestPublishByTime(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	campaigns, board := memstore.NewCampaigns(), memstore.NewBoard(time.Minute)
	svc := service.New(service.Options{Campaigns: campaigns, Board: board, Inbox: board, Ledger: ledger{},
		PacingInterval: time.Hour, Now: func() time.Time { return now }})
	for _, tc := range []struct {
		id, state  string
		start, end time.Time
		counted    int64
	}{
		{"starts", sponsored.StateScheduled, now.Add(-time.Hour), now.Add(3 * time.Hour), 0},
		{"waits", sponsored.StateScheduled, now.Add(time.Hour), now.Add(3 * time.Hour), 0},
		{"serves", sponsored.StateLive, now.Add(-2 * time.Hour), now.Add(2 * time.Hour), 10},
		{"spent", sponsored.StateLive, now.Add(-2 * time.Hour), now.Add(2 * time.Hour), 500},
		{"over", sponsored.StateLive, now.Add(-4 * time.Hour), now, 0},
		{"paused", sponsored.StatePaused, now.Add(-4 * time.Hour), now.Add(time.Hour), 0},
	} {
		c := storetest.Campaign("app1", tc.id, now.Add(-24*time.Hour))
		c.State, c.Start, c.End = tc.state, tc.start, tc.end
		if err := campaigns.Create(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		campaigns.SetCounted(tc.id, tc.counted)
	}
	if err := svc.Publish(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"starts": sponsored.StateLive, "waits": sponsored.StateScheduled, "serves": sponsored.StateLive,
		"spent": sponsored.StateFinished, "over": sponsored.StateFinished, "paused": sponsored.StatePaused}
	for id, st := range want {
		if c, _ := campaigns.Get(context.Background(), "app1", id); c.State != st {
			t.Errorf("%s: %s, want %s", id, c.State, st)
		}
	}
	elig, ok := board.Eligibility("app1")
	var ids []string
	for _, e := range elig.Campaigns {
		ids = append(ids, e.ID)
	}
	slices.Sort(ids)
	if !ok || !slices.Equal(ids, []string{"serves", "starts"}) || elig.Every != sponsored.DefaultEvery {
		t.Errorf("published %v (every %d)", ids, elig.Every)
	}
	// "serves": budget 500, even over 4 h, 2 h done; the hour's target is
	// the plan at its end, 3/4 of the budget.
	if p, _ := board.Live("app1", "serves:p"); p != 375 {
		t.Errorf("pacing target %d, want 375", p)
	}
	if s, _ := board.Live("app1", "serves:s"); s != 10 {
		t.Errorf("served count starts at %d, want the 10 counted", s)
	}
	if _, ok := board.Live("app1", "paused:b"); ok {
		t.Error("a paused campaign has a budget in the live counters")
	}
}

// TestCountAppBacklog: a backlog of a busy feed's 200 ms of records is
// counted in one batch.
func TestCountAppBacklog(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	campaigns, board := memstore.NewCampaigns(), memstore.NewBoard(time.Minute)
	svc := service.New(service.Options{Campaigns: campaigns, Board: board, Inbox: board, Ledger: memstore.NewLedger(campaigns),
		PacingInterval: time.Hour, Now: func() time.Time { return now }})
	c := storetest.Campaign("app1", "C1", now.Add(-24*time.Hour))
	c.State, c.Budget, c.Start, c.End = sponsored.StateLive, 10_000, now.Add(-time.Hour), now.Add(time.Hour)
	if err := campaigns.Create(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		r := service.Record{Kind: placement.RecordImpression, Member: fmt.Sprintf("m%d", i), At: now,
			Items: []service.Item{{Campaign: "C1", Impression: fmt.Sprintf("i%d", i)}}}
		if err := board.Append(context.Background(), "app1", r); err != nil {
			t.Fatal(err)
		}
	}
	n, err := svc.CountApp(context.Background(), "app1")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := campaigns.Get(context.Background(), "app1", "C1"); n != 1000 || got.Counted != 1000 {
		t.Errorf("one batch read %d records and counted %d impressions, want 1000 and 1000", n, got.Counted)
	}
}
