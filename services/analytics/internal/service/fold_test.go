package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/attendify/analytics"
	"github.com/attendify/analytics/internal/service"
	"github.com/attendify/hub"
)

// activity sends screen views and taps of several members over the two
// hours before now, across an hour boundary.
func activity(t *testing.T, f *fixture, prefix string, n int) {
	t.Helper()
	now := f.clock()
	for i := range n {
		at := now.Add(-time.Duration(i*7) * time.Minute)
		user := fmt.Sprintf("m%d", 1+i%3)
		f.access.roles[[2]string{app, user}] = "attendee"
		delete(f.access.blocked, [2]string{app, user})
		evs := []service.AppEvent{
			{ID: prefix + fmt.Sprint(i) + "v", Type: analytics.TypeScreenView, At: at, Screen: "agenda", EventID: "e1"},
			{ID: prefix + fmt.Sprint(i) + "t", Type: analytics.TypeTap, At: at, TargetType: analytics.TargetSession, TargetID: fmt.Sprintf("s%d", i%4)},
		}
		if _, err := f.svc.Track(member(user), service.Batch{App: app, Install: "install-" + user, SentAt: now, Events: evs}); err != nil {
			t.Fatal(err)
		}
	}
}

func series(t *testing.T, f *fixture, r service.Range) []service.Bucket {
	t.Helper()
	r.App = app
	bs, err := f.svc.Series(organizer(), r)
	if err != nil {
		t.Fatal(err)
	}
	return bs
}

// TestFoldIdempotentAndAgrees: folding writes the live buckets as they are;
// folding again changes nothing; a query answers the same before and after
// a fold, at every level, and the minutes of an hour add up to it.
func TestFoldIdempotentAndAgrees(t *testing.T) {
	f := newFixture(t, service.Limits{})
	activity(t, f, "a", 20)
	now := f.clock()
	ranges := map[string]service.Range{
		"minutes": {From: now.Add(-150 * time.Minute), To: now.Add(time.Minute), Level: service.LevelMinute},
		"hours":   {From: now.Add(-3 * time.Hour), To: now.Add(time.Hour), Level: service.LevelHour},
		"days":    {From: now.AddDate(0, 0, -2), To: now.Add(time.Hour), Level: service.LevelDay},
		"event":   {Scope: "e1", From: now.Add(-3 * time.Hour), To: now.Add(time.Hour), Level: service.LevelHour},
	}
	before := map[string][]service.Bucket{}
	for name, r := range ranges {
		before[name] = series(t, f, r)
	}
	n, err := f.svc.Fold(context.Background(), true)
	if err != nil || n == 0 {
		t.Fatalf("Fold = %d, %v", n, err)
	}
	rows := func() []service.Row {
		var all []service.Row
		for _, l := range service.Levels {
			for _, scope := range []string{service.AllScope, "e1"} {
				rs, _ := f.store.Get(context.Background(), app, scope, l, now.AddDate(0, 0, -2), now.Add(24*time.Hour))
				all = append(all, rs...)
			}
		}
		return all
	}
	folded := rows()
	if w, _, _ := f.live.Waiting(context.Background(), app); len(w) != 0 {
		t.Errorf("still waiting after folding all: %v", w)
	}
	for name, r := range ranges {
		if diff := cmp.Diff(before[name], series(t, f, r), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s after the fold (-before +after):\n%s", name, diff)
		}
	}
	// Folding the same window again (every minute marked again, as a
	// rebuild does) writes the same rows.
	if _, _, err := f.svc.Rebuild(context.Background(), "", 1, true); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Fold(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(folded, rows()); diff != "" {
		t.Errorf("rows after folding again (-first +second):\n%s", diff)
	}
	// The minutes of each hour add up to the hour.
	minutes := series(t, f, ranges["minutes"])
	hours := series(t, f, ranges["hours"])
	for _, h := range hours {
		var sum int64
		for _, m := range minutes {
			if service.Hour(m.Start).Equal(h.Start) {
				sum += m.Counts[analytics.CountScreenViews]
			}
		}
		if h.Start.After(now.Add(-150*time.Minute)) && sum != h.Counts[analytics.CountScreenViews] {
			t.Errorf("hour %s: minutes add up to %d screen views, the hour says %d", h.Start, sum, h.Counts[analytics.CountScreenViews])
		}
	}
}

// TestSeriesAgreeAtBoundaries: ranges split at any minute give counts that
// add up to the whole range's, while some buckets are folded and others
// still live (late events arrive in folded hours).
func TestSeriesAgreeAtBoundaries(t *testing.T) {
	f := newFixture(t, service.Limits{})
	activity(t, f, "a", 20)
	if _, err := f.svc.Fold(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	activity(t, f, "b", 9) // new events in minutes already folded
	now := f.clock()
	from, to := service.Minute(now.Add(-140*time.Minute)), service.Minute(now).Add(time.Minute)
	whole := service.Totals(series(t, f, service.Range{From: from, To: to, Level: service.LevelMinute}))
	if whole[analytics.CountScreenViews] != 29 {
		t.Fatalf("screen views over the whole range = %d, want 29", whole[analytics.CountScreenViews])
	}
	for cut := from.Add(time.Minute); cut.Before(to); cut = cut.Add(13 * time.Minute) {
		a := service.Totals(series(t, f, service.Range{From: from, To: cut, Level: service.LevelMinute}))
		b := service.Totals(series(t, f, service.Range{From: cut, To: to, Level: service.LevelMinute}))
		for _, c := range []string{analytics.CountScreenViews, analytics.CountTaps} {
			if a[c]+b[c] != whole[c] {
				t.Errorf("cut at %s: %s %d + %d != %d", cut.Format("15:04"), c, a[c], b[c], whole[c])
			}
		}
	}
	// Hours and days tell the same totals as the minutes.
	hours := service.Totals(series(t, f, service.Range{From: service.Hour(from), To: to, Level: service.LevelHour}))
	days := service.Totals(series(t, f, service.Range{From: service.Day(from), To: to, Level: service.LevelDay}))
	if hours[analytics.CountScreenViews] != 29 || days[analytics.CountScreenViews] != 29 {
		t.Errorf("screen views by hour %d, by day %d; want 29", hours[analytics.CountScreenViews], days[analytics.CountScreenViews])
	}
}

// snapshot is everything an organizer sees.
type snapshot struct {
	Series      []service.Bucket
	Live        service.LiveState
	Top         []service.Scored
	Leaderboard []service.Scored
}

func snap(t *testing.T, f *fixture) snapshot {
	t.Helper()
	now := f.clock()
	live, err := f.svc.Live(organizer(), app, "", 60)
	if err != nil {
		t.Fatal(err)
	}
	top, err := f.svc.Top(organizer(), service.Range{App: app, From: service.Day(now), To: now}, analytics.TopSessions, 10)
	if err != nil {
		t.Fatal(err)
	}
	lb, _ := f.svc.Leaderboard(organizer(), app, 10)
	return snapshot{Series: series(t, f, service.Range{From: now.Add(-3 * time.Hour), To: now.Add(time.Minute), Level: service.LevelMinute}), Live: live, Top: top, Leaderboard: lb}
}

// TestRebuildAfterLoss: after the live state is lost, RebuildIfLost brings
// back every figure an organizer sees.
func TestRebuildAfterLoss(t *testing.T) {
	f := newFixture(t, service.Limits{})
	activity(t, f, "a", 20)
	publish(t, f, "post.created", "p1", map[string]any{"id": "p1", "app_id": app, "author_id": "m1"})
	want := snap(t, f)
	f.live.LoseLive()
	if got := snap(t, f); cmp.Equal(want, got, cmpopts.EquateEmpty()) {
		t.Fatal("losing the live state changed nothing: the test cannot tell a rebuild")
	}
	rebuilt, err := f.svc.RebuildIfLost(context.Background())
	if err != nil || !rebuilt {
		t.Fatalf("RebuildIfLost = %v, %v", rebuilt, err)
	}
	if diff := cmp.Diff(want, snap(t, f), cmpopts.EquateEmpty(), cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("after the rebuild (-before +after):\n%s", diff)
	}
	if again, _ := f.svc.RebuildIfLost(context.Background()); again {
		t.Error("rebuilt again while the live state is whole")
	}
}

// TestErase: a deleted member's personal rows go, every count stays, also
// after a rebuild.
func TestErase(t *testing.T) {
	f := newFixture(t, service.Limits{})
	activity(t, f, "a", 12)
	before := snap(t, f)
	now := f.clock()
	adoptionBefore, _ := f.svc.Adoption(organizer(), service.Range{App: app, From: service.Day(now), To: now})
	publish(t, f, hub.EventMemberDeleted, "m1", hub.IDsPayload{AppID: app, ID: "m1"})
	after := snap(t, f)
	for _, it := range after.Leaderboard {
		if it.ID == "m1" {
			t.Errorf("m1 still on the leaderboard: %v", after.Leaderboard)
		}
	}
	if after.Live.LiveMembers != before.Live.LiveMembers-1 {
		t.Errorf("live members %d, want %d (m1 gone)", after.Live.LiveMembers, before.Live.LiveMembers-1)
	}
	if diff := cmp.Diff(before.Series, after.Series); diff != "" {
		t.Errorf("series changed (-before +after):\n%s", diff)
	}
	_ = f.store.Scan(context.Background(), app, now.Add(-24*time.Hour), now.Add(time.Hour), func(evs []service.Event) error {
		for _, e := range evs {
			if e.Member == "m1" {
				t.Errorf("raw event %s still names m1", e.Key)
			}
		}
		return nil
	})
	adoption, _ := f.svc.Adoption(organizer(), service.Range{App: app, From: service.Day(now), To: now})
	if adoption[0].Registered != adoptionBefore[0].Registered-1 || adoption[0].Active != adoptionBefore[0].Active {
		t.Errorf("adoption %+v, before %+v: want one registered less, the same active", adoption[0], adoptionBefore[0])
	}
	f.live.LoseLive()
	if _, err := f.svc.RebuildIfLost(context.Background()); err != nil {
		t.Fatal(err)
	}
	rebuilt := snap(t, f)
	if diff := cmp.Diff(before.Series, rebuilt.Series); diff != "" {
		t.Errorf("series after a rebuild (-before +after):\n%s", diff)
	}
}

// TestRetain drops the raw days past the retention, once per replica turn.
func TestRetain(t *testing.T) {
	f := newFixture(t, service.Limits{Retention: 2 * 24 * time.Hour}) // raised to 4 days
	activity(t, f, "a", 3)
	f.advance(4 * 24 * time.Hour)
	if dropped, _ := f.svc.Retain(context.Background()); len(dropped) != 0 {
		t.Errorf("dropped %v within the minimum retention", dropped)
	}
	f.advance(24 * time.Hour)
	dropped, err := f.svc.Retain(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Time{service.Day(f.clock().AddDate(0, 0, -5))}, dropped); diff != "" {
		t.Errorf("dropped (-want +got):\n%s", diff)
	}
}

// TestCachedRowsFollowFolds: a query after a fold of late events sees them,
// though the rows of the same range were read (and cached) before.
func TestCachedRowsFollowFolds(t *testing.T) {
	f := newFixture(t, service.Limits{})
	activity(t, f, "a", 10)
	if _, err := f.svc.Fold(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	now := f.clock()
	r := service.Range{From: now.Add(-2 * time.Hour), To: now.Add(time.Minute), Level: service.LevelHour}
	views := func() int64 { return service.Totals(series(t, f, r))[analytics.CountScreenViews] }
	if n := views(); n != 10 {
		t.Fatalf("screen views = %d, want 10", n)
	}
	activity(t, f, "b", 4) // late: in hours already folded and cached
	if n := views(); n != 14 {
		t.Errorf("before the fold: %d, want 14", n)
	}
	if _, err := f.svc.Fold(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	if n := views(); n != 14 {
		t.Errorf("after the fold: %d, want 14 (stale cached rows?)", n)
	}
}
