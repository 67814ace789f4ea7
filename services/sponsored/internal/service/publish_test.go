package service_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
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

// TestCountAppWaitsForImpressions: a click or view whose impression is not
// counted yet (its record pending elsewhere) stays in the stream and is
// counted with it; one whose impression never comes is dropped after
// WaitGrace; and neither makes the counter read in a loop.
func TestCountAppWaitsForImpressions(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	campaigns, board := memstore.NewCampaigns(), memstore.NewBoard(200*time.Millisecond)
	ledger := memstore.NewLedger(campaigns)
	svc := service.New(service.Options{Campaigns: campaigns, Board: board, Inbox: board, Ledger: ledger,
		PacingInterval: time.Hour, Now: func() time.Time { return now }})
	c := storetest.Campaign("app1", "C1", now.Add(-24*time.Hour))
	c.State, c.Start, c.End = sponsored.StateLive, now.Add(-time.Hour), now.Add(time.Hour)
	if err := campaigns.Create(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rec := func(kind, imp string) service.Record {
		return service.Record{Kind: kind, Member: "m1", At: now, Items: []service.Item{{Campaign: "C1", Impression: imp}}}
	}
	for _, r := range []service.Record{rec(placement.RecordImpression, "i1"), rec(placement.RecordClick, "i1"), rec(placement.RecordView, "i1"), rec(placement.RecordClick, "made-up")} {
		if err := board.Append(ctx, "app1", r); err != nil {
			t.Fatal(err)
		}
	}
	// A counter read the impression and died.
	if got, _ := board.Read(ctx, "app1", 1); len(got) != 1 {
		t.Fatalf("the dead counter read %d records", len(got))
	}
	count := func() int {
		t.Helper()
		total := 0
		for {
			n, err := svc.CountApp(ctx, "app1")
			if err != nil {
				t.Fatal(err)
			}
			if total += n; n == 0 || total > 100 {
				return total
			}
		}
	}
	if n := count(); n != 3 {
		t.Errorf("read %d records, want the click, the view and the made-up click once", n)
	}
	figures := func() service.DayFigures {
		t.Helper()
		f, err := ledger.Figures(ctx, c)
		if err != nil || len(f.Days) > 1 {
			t.Fatalf("figures %+v %v", f, err)
		}
		if len(f.Days) == 0 {
			return service.DayFigures{}
		}
		return f.Days[0]
	}
	if f := figures(); f.Impressions != 0 || f.Clicks != 0 {
		t.Fatalf("counted before the impression: %+v", f)
	}
	time.Sleep(250 * time.Millisecond) // the claim time
	count()
	if f := figures(); f.Impressions != 1 || f.Clicks != 1 || f.Views != 1 {
		t.Errorf("after the impression was taken over: %+v, want 1 impression, click and view", f)
	}
	// The made-up click is still there, until WaitGrace.
	time.Sleep(250 * time.Millisecond)
	if n := count(); n != 1 {
		t.Errorf("read %d records, want the made-up click again", n)
	}
	now = now.Add(service.WaitGrace)
	time.Sleep(250 * time.Millisecond)
	count()
	time.Sleep(250 * time.Millisecond)
	if n := count(); n != 0 {
		t.Errorf("read %d records after the grace, want the made-up click dropped", n)
	}
}

// racyCampaigns lets a test act between the publisher's read of the
// active campaigns and its publication.
type racyCampaigns struct {
	*memstore.Campaigns
	once  sync.Once
	after func()
}

func (r *racyCampaigns) Active(ctx context.Context, since time.Time) ([]service.Campaign, error) {
	cs, err := r.Campaigns.Active(ctx, since)
	r.once.Do(r.after)
	return cs, err
}

// TestPublisherRoundKeepsPause: a publisher round reads a campaign live,
// an organizer pauses it (published at once), then the round publishes
// its older read: the campaign stays paused in Redis (no eligibility, no
// budget in the live counters), not served again until the next round.
func TestPublisherRoundKeepsPause(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	campaigns, board := &racyCampaigns{Campaigns: memstore.NewCampaigns()}, memstore.NewBoard(time.Minute)
	svc := service.New(service.Options{Campaigns: campaigns, Board: board, Inbox: board, Ledger: ledger{},
		Access: access{"owner": {App: "app1", User: "owner", Role: auth.RoleOwner}, "ada": {App: "app1", User: "ada", MemberRole: hub.MemberAttendee}},
		Now:    func() time.Time { return now }})
	c := storetest.Campaign("app1", "C1", now.Add(-time.Hour))
	c.State, c.Start, c.End = sponsored.StateLive, now.Add(-time.Hour), now.Add(time.Hour)
	if err := campaigns.Create(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	campaigns.after = func() {
		if _, err := svc.Act(as("owner"), "app1", "C1", service.ActPause); err != nil {
			t.Error(err)
		}
	}
	if err := svc.Publish(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, _ := campaigns.Get(context.Background(), "app1", "C1"); got.State != sponsored.StatePaused {
		t.Fatalf("state %s", got.State)
	}
	if elig, ok := board.Eligibility("app1"); ok && len(elig.Campaigns) > 0 {
		t.Errorf("a paused campaign is published as serving: %v", elig.Campaigns[0].ID)
	}
	if _, ok := board.Live("app1", "C1:b"); ok {
		t.Error("a paused campaign has a budget in the live counters: the cap script serves it")
	}
}
