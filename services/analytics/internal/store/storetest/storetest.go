// Package storetest is the contract suite of analytics' store ports: one
// test per port, run against every adapter (Postgres or Redis, and the
// in-memory one), so that the fakes the domain's unit tests use behave
// like the real stores.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/attendify/analytics"
	"github.com/attendify/analytics/internal/service"
	"github.com/attendify/platform/errs"
)

// T0 is the suite's reference time: a UTC day's 10:00.
var T0 = time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)

func ev(app, key, member string, at time.Time) service.Event {
	return service.Event{App: app, Key: key, Source: service.SourceApp, Kind: analytics.TypeScreenView, At: at,
		Member: member, Install: "inst-" + member, Screen: "agenda", Props: map[string]any{"n": 1.0, "s": "x", "b": true}}
}

// RawEvents checks a service.RawEvents adapter.
func RawEvents(t *testing.T, ctx context.Context, newStore func(t *testing.T) service.RawEvents) {
	t.Run("insert dedupes by app and key", func(t *testing.T) {
		s := newStore(t)
		got, err := s.Insert(ctx, []service.Event{ev("a1", "k1", "m1", T0), ev("a1", "k2", "m1", T0), ev("a2", "k1", "m1", T0), ev("a1", "k1", "m1", T0)})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]bool{true, true, true, false}, got); diff != "" {
			t.Errorf("first insert (-want +got):\n%s", diff)
		}
		got, err = s.Insert(ctx, []service.Event{ev("a1", "k1", "m1", T0.Add(time.Second)), ev("a1", "k3", "m1", T0)})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]bool{false, true}, got); diff != "" {
			t.Errorf("second insert (-want +got):\n%s", diff)
		}
		// Sent again with another batch's clock skew, across midnight
		// either way: the same event.
		nextDay := T0.Truncate(24 * time.Hour).Add(24*time.Hour + time.Second)
		lastDay := T0.Truncate(24 * time.Hour).Add(-time.Second)
		got, err = s.Insert(ctx, []service.Event{ev("a1", "k1", "m1", nextDay), ev("a1", "k3", "m1", lastDay), ev("a1", "k4", "m1", nextDay)})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]bool{false, false, true}, got); diff != "" {
			t.Errorf("an event sent again on the day after or before (-want +got):\n%s", diff)
		}
	})
	t.Run("scan returns a range by day, app and key, whole events", func(t *testing.T) {
		s := newStore(t)
		in := []service.Event{ev("a1", "k3", "m1", T0.Add(2*time.Hour)), ev("a1", "k1", "m1", T0), ev("a2", "k2", "m2", T0.Add(time.Hour)),
			ev("a1", "late", "m1", T0.Add(48*time.Hour)), ev("a1", "early", "m1", T0.Add(-time.Hour))}
		in[0].Kind, in[0].TargetType, in[0].TargetID, in[0].EventID, in[0].DurationMs, in[0].Photos = analytics.TypeTap, analytics.TargetSession, "s1", "e1", 5, 2
		if _, err := s.Insert(ctx, in); err != nil {
			t.Fatal(err)
		}
		var got []service.Event
		err := s.Scan(ctx, "", T0, T0.Add(24*time.Hour), func(evs []service.Event) error { got = append(got, evs...); return nil })
		if err != nil {
			t.Fatal(err)
		}
		want := []service.Event{in[1], in[0], in[2]} // a1/k1, a1/k3, a2/k2
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("scan (-want +got):\n%s", diff)
		}
		got = nil
		if err := s.Scan(ctx, "a2", T0.Add(-24*time.Hour), T0.Add(72*time.Hour), func(evs []service.Event) error { got = append(got, evs...); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Key != "k2" {
			t.Errorf("scan of a2 = %v, want k2 only", got)
		}
	})
	t.Run("scan pages through many events, each once", func(t *testing.T) {
		s := newStore(t)
		var in []service.Event
		for i := range 2500 {
			in = append(in, ev([]string{"a1", "a2"}[i%2], fmt.Sprintf("k%04d", i), "m1", T0.Add(time.Duration(i)*time.Minute)))
		}
		for chunk := range slices.Chunk(in, 500) {
			if _, err := s.Insert(ctx, chunk); err != nil {
				t.Fatal(err)
			}
		}
		seen := map[string]int{}
		err := s.Scan(ctx, "", T0, T0.Add(2500*time.Minute), func(evs []service.Event) error {
			for _, e := range evs {
				seen[e.App+"/"+e.Key]++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) != 2500 {
			t.Errorf("scanned %d distinct events, want 2500", len(seen))
		}
		for k, n := range seen {
			if n != 1 {
				t.Errorf("%s scanned %d times", k, n)
			}
		}
	})
	t.Run("pseudonymize replaces the member only", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Insert(ctx, []service.Event{ev("a1", "k1", "m1", T0), ev("a1", "k2", "m1", T0), ev("a1", "k3", "m2", T0), ev("a2", "k1", "m1", T0)}); err != nil {
			t.Fatal(err)
		}
		n, err := s.Pseudonymize(ctx, "a1", service.Erasure{Member: "m1", Pseudonym: "erased-x"})
		if err != nil || n != 2 {
			t.Fatalf("Pseudonymize = %d, %v; want 2", n, err)
		}
		members := map[string]string{}
		_ = s.Scan(ctx, "", T0, T0.Add(time.Hour), func(evs []service.Event) error {
			for _, e := range evs {
				members[e.App+"/"+e.Key] = e.Member
			}
			return nil
		})
		want := map[string]string{"a1/k1": "erased-x", "a1/k2": "erased-x", "a1/k3": "m2", "a2/k1": "m1"}
		if diff := cmp.Diff(want, members); diff != "" {
			t.Errorf("members (-want +got):\n%s", diff)
		}
	})
	t.Run("drop before removes whole old days", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Insert(ctx, []service.Event{ev("a1", "k1", "m1", T0.AddDate(0, 0, -2)), ev("a1", "k2", "m1", T0.AddDate(0, 0, -1)), ev("a1", "k3", "m1", T0)}); err != nil {
			t.Fatal(err)
		}
		dropped, err := s.DropBefore(ctx, service.Day(T0).AddDate(0, 0, -1))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]time.Time{service.Day(T0).AddDate(0, 0, -2)}, dropped); diff != "" {
			t.Errorf("dropped (-want +got):\n%s", diff)
		}
		var keys []string
		_ = s.Scan(ctx, "", T0.AddDate(0, 0, -3), T0.Add(time.Hour), func(evs []service.Event) error {
			for _, e := range evs {
				keys = append(keys, e.Key)
			}
			return nil
		})
		if diff := cmp.Diff([]string{"k2", "k3"}, keys); diff != "" {
			t.Errorf("kept (-want +got):\n%s", diff)
		}
		// A dropped day takes new events again.
		if got, err := s.Insert(ctx, []service.Event{ev("a1", "k1", "m1", T0.AddDate(0, 0, -2))}); err != nil || !got[0] {
			t.Errorf("insert into a dropped day = %v, %v", got, err)
		}
	})
}

// Members checks a service.Members adapter.
func Members(t *testing.T, ctx context.Context, newStore func(t *testing.T) service.Members) {
	s := newStore(t)
	d0 := service.Day(T0)
	must(t, s.Joined(ctx, "a1", service.Joining{Member: "m1", Name: "Ada", At: T0}))
	must(t, s.Joined(ctx, "a1", service.Joining{Member: "m2", Name: "Grace", At: T0.AddDate(0, 0, 1)}))
	must(t, s.Joined(ctx, "a2", service.Joining{Member: "m9", Name: "Other", At: T0}))
	must(t, s.Joined(ctx, "a1", service.Joining{Member: "m2", Name: "Grace Hopper", At: T0.AddDate(0, 0, 3)})) // updated: renamed, joined stays
	must(t, s.Joined(ctx, "a1", service.Joining{Member: "m1", Name: "", At: T0.AddDate(0, 0, 3)}))             // no name: kept
	must(t, s.Opened(ctx, "a1", map[string]time.Time{"m1": T0.AddDate(0, 0, 1).Add(time.Hour), "m3": T0}))
	must(t, s.Opened(ctx, "a1", map[string]time.Time{"m1": T0.Add(time.Hour)}))   // earlier: kept
	must(t, s.Opened(ctx, "a1", map[string]time.Time{"m3": T0.AddDate(0, 0, 2)})) // later: ignored
	reg, opened, err := s.Adoption(ctx, "a1", []time.Time{d0, d0.AddDate(0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{2, 3}, reg); diff != "" {
		t.Errorf("registered (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int64{2, 2}, opened); diff != "" {
		t.Errorf("opened (-want +got):\n%s", diff)
	}
	names, err := s.Names(ctx, "a1", []string{"m1", "m2", "m3", "m9"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"m1": "Ada", "m2": "Grace Hopper"}, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if ids, err := s.IDs(ctx, "a1"); err != nil || !slices.Equal(ids, []string{"m1", "m2", "m3"}) {
		t.Errorf("IDs(a1) = %v, %v; want m1 m2 m3 (joined or seen)", ids, err)
	}
	must(t, s.Forget(ctx, "a1", "m1"))
	if ids, err := s.IDs(ctx, "a1"); err != nil || !slices.Equal(ids, []string{"m2", "m3"}) {
		t.Errorf("IDs(a1) after Forget(m1) = %v, %v", ids, err)
	}
	if names, _ := s.Names(ctx, "a1", []string{"m1"}); len(names) != 0 {
		t.Errorf("a forgotten member's name: %v", names)
	}
	reg, _, _ = s.Adoption(ctx, "a1", []time.Time{d0})
	if diff := cmp.Diff([]int64{1}, reg); diff != "" {
		t.Errorf("registered after forget (-want +got):\n%s", diff)
	}
}

// Rollups checks a service.Rollups adapter.
func Rollups(t *testing.T, ctx context.Context, newStore func(t *testing.T) service.Rollups) {
	s := newStore(t)
	d0 := service.Day(T0)
	row := func(scope string, l service.Level, start time.Time, views int64) service.Row {
		return service.Row{App: "a1", BucketRef: service.BucketRef{Scope: scope, Level: l, Start: start},
			Figures: service.Figures{Counts: map[string]int64{analytics.CountScreenViews: views}, Members: views, Installs: views + 1}}
	}
	items := map[service.DayRef][]service.ItemCount{
		{App: "a1", Day: d0}: {{Kind: service.ItemPost, ID: "p1", N: 3}, {Kind: service.ItemSession, ID: "s1", N: 1}},
	}
	rows := []service.Row{row("all", service.LevelMinute, T0, 1), row("all", service.LevelMinute, T0.Add(time.Minute), 2), row("e1", service.LevelMinute, T0, 5), row("all", service.LevelHour, T0, 3)}
	must(t, s.Put(ctx, rows, items))
	must(t, s.Put(ctx, rows, items)) // idempotent
	got, err := s.Get(ctx, "a1", "all", service.LevelMinute, T0, T0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rows[:2], got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	// A bucket written again is replaced; zero counters are not kept.
	newer := row("all", service.LevelMinute, T0, 7)
	newer.Counts[analytics.CountTaps] = 0
	must(t, s.Put(ctx, []service.Row{newer}, map[service.DayRef][]service.ItemCount{
		{App: "a1", Day: d0}:                  {{Kind: service.ItemPost, ID: "p1", N: 4}},
		{App: "a1", Day: d0.AddDate(0, 0, 1)}: {{Kind: service.ItemPost, ID: "p1", N: 1}, {Kind: service.ItemPost, ID: "p2", N: 2}},
	}))
	got, _ = s.Get(ctx, "a1", "all", service.LevelMinute, T0, T0.Add(time.Minute))
	delete(newer.Counts, analytics.CountTaps)
	if diff := cmp.Diff([]service.Row{newer}, got); diff != "" {
		t.Errorf("replaced row (-want +got):\n%s", diff)
	}
	its, err := s.Items(ctx, "a1", []string{service.ItemPost}, []time.Time{d0, d0.AddDate(0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	sortItems(its)
	want := []service.ItemCount{{Kind: service.ItemPost, ID: "p1", N: 5}, {Kind: service.ItemPost, ID: "p2", N: 2}}
	if diff := cmp.Diff(want, its); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
}

func sortItems(its []service.ItemCount) {
	slices.SortFunc(its, func(a, b service.ItemCount) int {
		if a.Kind != b.Kind {
			return cmpString(a.Kind, b.Kind)
		}
		return cmpString(a.ID, b.ID)
	})
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Jobs checks a service.Jobs adapter.
func Jobs(t *testing.T, ctx context.Context, newStore func(t *testing.T) service.Jobs) {
	s := newStore(t)
	must(t, s.Update(ctx, "fold", func(st *service.JobState) error {
		st.Runs, st.Done, st.LastRun = st.Runs+1, 7, T0
		// Held: another replica gives up at once.
		err := s.Update(ctx, "fold", func(*service.JobState) error { t.Error("ran while held"); return nil })
		if errs.KindOf(err) != errs.Conflict {
			t.Errorf("Update while held = %v, want a conflict", err)
		}
		return nil
	}))
	boom := errors.New("boom")
	if err := s.Update(ctx, "fold", func(st *service.JobState) error { st.Runs = 100; return boom }); !errors.Is(err, boom) {
		t.Errorf("failing Update = %v, want boom", err)
	}
	must(t, s.Update(ctx, "fold", func(st *service.JobState) error {
		if diff := cmp.Diff(service.JobState{Runs: 1, Done: 7, LastRun: T0}, *st); diff != "" {
			t.Errorf("saved state (-want +got):\n%s", diff)
		}
		return nil
	}))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
