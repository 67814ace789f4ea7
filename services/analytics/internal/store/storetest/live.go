package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/attendify/analytics"
	"github.com/attendify/analytics/internal/service"
)

func change(e service.Event) service.Change {
	return service.Change{Key: e.Key, At: e.At, Scopes: e.Scopes(), Effects: service.EffectsOf(e)}
}

// Live checks a service.Live adapter. now is the adapter's clock (for rate
// limits): the suite's events are around it.
func Live(t *testing.T, ctx context.Context, now time.Time, newStore func(t *testing.T) service.Live) {
	tap := func(key, member, target string, at time.Time) service.Event {
		return service.Event{App: "a1", Key: key, Source: service.SourceApp, Kind: analytics.TypeTap, At: at, Member: member,
			Install: "i-" + member, EventID: "e1", TargetType: analytics.TargetSession, TargetID: target}
	}
	t.Run("apply counts new keys once, in every scope and level", func(t *testing.T) {
		s := newStore(t)
		at := now.Truncate(time.Minute).Add(10 * time.Second)
		got, err := s.Apply(ctx, "a1", []service.Change{change(tap("k1", "m1", "s1", at)), change(tap("k2", "m2", "s1", at)), change(tap("k1", "m1", "s1", at))})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]bool{true, true, false}, got); diff != "" {
			t.Errorf("new (-want +got):\n%s", diff)
		}
		if got, _ := s.Apply(ctx, "a1", []service.Change{change(tap("k2", "m2", "s1", at))}); got[0] {
			t.Error("a key applied again counted as new")
		}
		var refs []service.BucketRef
		for _, scope := range []string{service.AllScope, "e1"} {
			for _, l := range service.Levels {
				refs = append(refs, service.BucketRef{Scope: scope, Level: l, Start: l.Trunc(at)})
			}
		}
		refs = append(refs, service.BucketRef{Scope: "e2", Level: service.LevelMinute, Start: service.Minute(at)})
		figs, err := s.Figures(ctx, "a1", refs)
		if err != nil {
			t.Fatal(err)
		}
		want := service.Figures{Counts: map[string]int64{analytics.CountTaps: 2}, Members: 2, Installs: 2}
		for i := range 6 {
			if diff := cmp.Diff(want, figs[i]); diff != "" {
				t.Errorf("bucket %v (-want +got):\n%s", refs[i], diff)
			}
		}
		if !figs[6].Empty() {
			t.Errorf("another event's bucket = %+v, want empty", figs[6])
		}
		its, err := s.Items(ctx, "a1", []time.Time{service.Day(at)})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]service.ItemCount{{Kind: service.ItemSession, ID: "s1", N: 2}}, its[0]); diff != "" {
			t.Errorf("items (-want +got):\n%s", diff)
		}
		top, err := s.Top(ctx, "a1", analytics.TopSessions, service.Day(at), 10)
		if err != nil || len(top) != 1 || top[0].ID != "s1" {
			t.Fatalf("top = %v, %v", top, err)
		}
		if w := 2 * service.Heat(at); top[0].Score < w*0.999 || top[0].Score > w*1.001 {
			t.Errorf("top score = %v, want %v", top[0].Score, w)
		}
	})
	t.Run("waiting minutes and conditional folding", func(t *testing.T) {
		s := newStore(t)
		at := now.Truncate(time.Minute)
		mustApply(t, s, tap("k1", "m1", "s1", at), tap("k2", "m1", "s1", at.Add(-3*time.Minute)))
		ws, gen, err := s.Waiting(ctx, "a1")
		if err != nil {
			t.Fatal(err)
		}
		if len(ws) != 4 { // two minutes, two scopes each
			t.Fatalf("waiting = %+v, want 4", ws)
		}
		apps, _ := s.WaitingApps(ctx)
		if diff := cmp.Diff([]string{"a1"}, apps); diff != "" {
			t.Errorf("waiting apps (-want +got):\n%s", diff)
		}
		// A change after the read keeps its minute waiting.
		mustApply(t, s, tap("k3", "m2", "s1", at))
		if err := s.Folded(ctx, "a1", ws); err != nil {
			t.Fatal(err)
		}
		left, gen2, _ := s.Waiting(ctx, "a1")
		if gen2 == gen {
			t.Errorf("the fold generation stayed %q after Folded", gen)
		}
		var minutes []time.Time
		for _, w := range left {
			minutes = append(minutes, w.Minute)
		}
		if diff := cmp.Diff([]time.Time{at, at}, minutes); diff != "" {
			t.Errorf("still waiting (-want +got):\n%s", diff)
		}
		if err := s.Folded(ctx, "a1", left); err != nil {
			t.Fatal(err)
		}
		left, gen3, _ := s.Waiting(ctx, "a1")
		if len(left) != 0 {
			t.Errorf("waiting after folding all = %v", left)
		}
		if gen3 == gen2 || gen3 == gen {
			t.Errorf("fold generations %q, %q, %q: not new each time", gen, gen2, gen3)
		}
		if apps, _ := s.WaitingApps(ctx); len(apps) != 0 {
			t.Errorf("waiting apps after folding all = %v", apps)
		}
	})
	t.Run("presence, leaderboard with the 30 s rule, forget", func(t *testing.T) {
		s := newStore(t)
		w := now.Truncate(service.PointsRepeat)
		mustApply(t, s,
			tap("k1", "m1", "s1", w.Add(time.Second)),
			tap("k2", "m1", "s1", w.Add(20*time.Second)),  // same window, same target: no points
			tap("k3", "m1", "s2", w.Add(20*time.Second)),  // another target: points
			tap("k4", "m1", "s1", w.Add(-10*time.Second)), // the window before: points
			tap("k5", "m2", "s1", w.Add(-20*time.Minute))) // not present any more
		lb, err := s.Leaderboard(ctx, "a1", 10)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]service.Scored{{ID: "m1", Score: 3}, {ID: "m2", Score: 1}}, lb); diff != "" {
			t.Errorf("leaderboard (-want +got):\n%s", diff)
		}
		m, i, err := s.Present(ctx, "a1", now.Add(-5*time.Minute))
		if err != nil || m != 1 || i != 1 {
			t.Errorf("present = %d, %d, %v; want 1, 1", m, i, err)
		}
		if err := s.Forget(ctx, "a1", "m1"); err != nil {
			t.Fatal(err)
		}
		lb, _ = s.Leaderboard(ctx, "a1", 10)
		if diff := cmp.Diff([]service.Scored{{ID: "m2", Score: 1}}, lb); diff != "" {
			t.Errorf("leaderboard after forget (-want +got):\n%s", diff)
		}
		if m, _, _ := s.Present(ctx, "a1", now.Add(-5*time.Minute)); m != 0 {
			t.Errorf("present members after forget = %d", m)
		}
	})
	t.Run("rate limit per budget and minute", func(t *testing.T) {
		s := newStore(t)
		inst, member := service.Budget{Subject: "inst", Limit: 10}, service.Budget{Subject: "m:m1", Limit: 15}
		if over, wait, err := s.Allow(ctx, "a1", 8, inst, member); err != nil || over != -1 || wait != 0 {
			t.Fatalf("Allow 8 of 10 and of 15 = %d, %v, %v", over, wait, err)
		}
		over, wait, err := s.Allow(ctx, "a1", 3, inst, member)
		if err != nil || over != 0 || wait <= 0 || wait > time.Minute {
			t.Errorf("Allow over the first = %d, %v, %v; want 0 and a wait within a minute", over, wait, err)
		}
		if over, wait, _ := s.Allow(ctx, "a1", 3, service.Budget{Subject: "other", Limit: 10}); over != -1 || wait != 0 {
			t.Errorf("another install: over %d, waits %v", over, wait)
		}
		// The member's budget counted both batches (11 of 15): 5 more
		// through another install are over it.
		if over, wait, _ := s.Allow(ctx, "a1", 5, service.Budget{Subject: "inst2", Limit: 10}, member); over != 1 || wait <= 0 {
			t.Errorf("over the member's budget through another install: over %d, waits %v; want 1", over, wait)
		}
	})
	t.Run("ready, lock, reset", func(t *testing.T) {
		s := newStore(t)
		if ok, err := s.Ready(ctx); err != nil || ok {
			t.Fatalf("Ready of a new store = %v, %v", ok, err)
		}
		if err := s.SetReady(ctx); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.Ready(ctx); !ok {
			t.Error("not ready after SetReady")
		}
		if ok, _ := s.Lock(ctx, time.Minute); !ok {
			t.Error("first Lock failed")
		}
		if ok, _ := s.Lock(ctx, time.Minute); ok {
			t.Error("second Lock succeeded")
		}
		if err := s.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.Lock(ctx, time.Minute); !ok {
			t.Error("Lock after Unlock failed")
		}
		at := now.Truncate(time.Minute)
		mustApply(t, s, tap("k1", "m1", "s1", at))
		if err := s.Reset(ctx, "a1"); err != nil {
			t.Fatal(err)
		}
		figs, _ := s.Figures(ctx, "a1", []service.BucketRef{{Scope: service.AllScope, Level: service.LevelDay, Start: service.Day(at)}})
		if diff := cmp.Diff(service.Figures{Counts: map[string]int64{}}, figs[0], cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("figures after reset (-want +got):\n%s", diff)
		}
		if got, _ := s.Apply(ctx, "a1", []service.Change{change(tap("k1", "m1", "s1", at))}); !got[0] {
			t.Error("a key applied before the reset is not new after it")
		}
	})
}

func mustApply(t *testing.T, s service.Live, evs ...service.Event) {
	t.Helper()
	cs := make([]service.Change, len(evs))
	for i, e := range evs {
		cs[i] = change(e)
	}
	if _, err := s.Apply(context.Background(), "a1", cs); err != nil {
		t.Fatal(err)
	}
}
