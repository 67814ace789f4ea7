package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/platform/errs"
	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/internal/service"
	"github.com/attendify/sponsored/placement"
)

// LedgerStores are the two ports one Postgres adapter (or fake) serves:
// the Ledger reads the campaigns' budgets, states and time zones and the
// members' hides that the Campaigns port writes.
type LedgerStores interface {
	service.Campaigns
	service.Ledger
}

// RunLedger runs the suite of the Ledger port against the store newStore
// returns (a fresh one per call).
func RunLedger(t *testing.T, newStore func(t *testing.T) LedgerStores) {
	ctx := context.Background()
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	// at is an instant of the flight: 12:00 in Berlin, 2026-06-01.
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	// live stores a live campaign of app1 with budget and counted.
	live := func(t *testing.T, s LedgerStores, id string, budget, counted int64) service.Campaign {
		t.Helper()
		c := Campaign("app1", id, t0)
		c.State, c.Budget, c.Counted = sponsored.StateLive, budget, counted
		if err := s.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	count := func(t *testing.T, s LedgerStores, app string, recs ...service.Record) []string {
		t.Helper()
		got, err := s.Count(ctx, app, recs)
		if err != nil {
			t.Fatal(err)
		}
		return got.Finished
	}
	figures := func(t *testing.T, s LedgerStores, c service.Campaign) service.Figures {
		t.Helper()
		f, err := s.Figures(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	counted := func(t *testing.T, s LedgerStores, id string) service.Campaign {
		t.Helper()
		c, err := s.Get(ctx, "app1", id)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	t.Run("an impression is counted once", func(t *testing.T) {
		s := newStore(t)
		c := live(t, s, "C1", 10, 0)
		batch := []service.Record{
			impression("m1", at, "C1", "i1"),
			impression("m1", at, "C1", "i1"), // delivered twice in one batch
			impression("m2", at, "C1", "i2"),
		}
		if got := count(t, s, "app1", batch...); len(got) != 0 {
			t.Errorf("finished %v, want none", got)
		}
		count(t, s, "app1", batch...) // replayed after a crash before the ack
		if got := counted(t, s, "C1"); got.Counted != 2 || got.State != sponsored.StateLive {
			t.Errorf("counted %d, state %s: want 2, live", got.Counted, got.State)
		}
		want := service.Figures{Days: []service.DayFigures{{Day: "2026-06-01", Impressions: 2, Reach: 2}}, Reach: 2}
		if diff := cmp.Diff(want, figures(t, s, c)); diff != "" {
			t.Errorf("figures (-want +got):\n%s", diff)
		}
	})

	t.Run("a batch of counted and new impressions spends the budget on the new ones", func(t *testing.T) {
		s := newStore(t)
		c := live(t, s, "C1", 3, 0)
		count(t, s, "app1", impression("m1", at, "C1", "i1"), impression("m2", at, "C1", "i2"))
		// A record re-read after a failed ack, ahead of new ones: i1 is
		// not counted again, i3 takes the last of the budget, i4 is past it.
		got := count(t, s, "app1", impression("m1", at, "C1", "i1"), impression("m3", at, "C1", "i3"), impression("m4", at, "C1", "i4"))
		if !cmp.Equal(got, []string{"C1"}) {
			t.Errorf("finished %v, want [C1]", got)
		}
		if got := counted(t, s, "C1"); got.Counted != 3 || got.State != sponsored.StateFinished {
			t.Errorf("counted %d, state %s: want 3, finished", got.Counted, got.State)
		}
		want := service.Figures{Days: []service.DayFigures{{Day: "2026-06-01", Impressions: 3, Reach: 3}}, Reach: 3}
		if diff := cmp.Diff(want, figures(t, s, c)); diff != "" {
			t.Errorf("figures (-want +got):\n%s", diff)
		}
		ws, err := s.CapWindows(ctx, c, at)
		if err != nil {
			t.Fatal(err)
		}
		if n := flight(ws); n != 4 {
			t.Errorf("cap windows count %d impressions, want 4 (i1 once, i4 beyond the budget)", n)
		}
	})

	t.Run("an impression id named again under another campaign is not counted", func(t *testing.T) {
		s := newStore(t)
		live(t, s, "C1", 10, 0)
		live(t, s, "C2", 10, 0)
		count(t, s, "app1", impression("m1", at, "C1", "i1"))
		count(t, s, "app1", impression("m1", at, "C2", "i1"), impression("m2", at, "C2", "i2"))
		if got := counted(t, s, "C1"); got.Counted != 1 {
			t.Errorf("C1 counted %d, want 1", got.Counted)
		}
		if got := counted(t, s, "C2"); got.Counted != 1 {
			t.Errorf("C2 counted %d, want 1 (i2 only)", got.Counted)
		}
	})

	t.Run("the budget stops counting and finishes the campaign", func(t *testing.T) {
		s := newStore(t)
		c := live(t, s, "C1", 3, 1)
		paused := live(t, s, "P1", 1, 0)
		if _, err := s.Update(ctx, "app1", "P1", t0, func(c *service.Campaign) error { c.State = sponsored.StatePaused; return nil }); err != nil {
			t.Fatal(err)
		}
		got := count(t, s, "app1",
			impression("m1", at, "C1", "i1"), impression("m2", at, "C1", "i2"), impression("m3", at, "C1", "i3"),
			impression("m1", at, "P1", "p1"), impression("m2", at, "P1", "p2"))
		if !cmp.Equal(got, []string{"C1"}) {
			t.Errorf("finished %v, want [C1] (a paused campaign does not finish)", got)
		}
		if got := counted(t, s, "C1"); got.Counted != 3 || got.State != sponsored.StateFinished || got.Version != c.Version+1 {
			t.Errorf("C1: counted %d, state %s, version %d: want 3, finished, %d", got.Counted, got.State, got.Version, c.Version+1)
		}
		if got := counted(t, s, "P1"); got.Counted != 1 || got.State != sponsored.StatePaused {
			t.Errorf("P1: counted %d, state %s: want 1, paused", got.Counted, got.State)
		}
		if got := count(t, s, "app1", impression("m4", at, "C1", "i4")); len(got) != 0 {
			t.Errorf("finished again: %v", got)
		}
		if got := counted(t, s, "C1"); got.Counted != 3 {
			t.Errorf("counted %d beyond the budget", got.Counted)
		}
		// i3 and i4 are stored (they count for caps) but not billable.
		if f := figures(t, s, c); f.Reach != 2 || len(f.Days) != 1 || f.Days[0].Impressions != 2 {
			t.Errorf("figures %+v: want the 2 billable impressions of m1 and m2, reach 2", f)
		}
		if f := figures(t, s, paused); f.Reach != 1 || len(f.Days) != 1 || f.Days[0].Impressions != 1 {
			t.Errorf("paused figures %+v: want 1 impression", f)
		}
		ws, err := s.CapWindows(ctx, c, at)
		if err != nil {
			t.Fatal(err)
		}
		if n := flight(ws); n != 4 {
			t.Errorf("cap windows count %d impressions, want 4 (beyond the budget included)", n)
		}
	})

	t.Run("organizers' impressions are not billable", func(t *testing.T) {
		s := newStore(t)
		c := live(t, s, "C1", 1, 0)
		staff := impression("m1", at, "C1", "i1")
		staff.Internal = true
		if got := count(t, s, "app1", staff, click(staff, at)); len(got) != 0 {
			t.Errorf("finished %v by an internal impression", got)
		}
		if got := counted(t, s, "C1"); got.Counted != 0 {
			t.Errorf("counted %d, want 0", got.Counted)
		}
		if f := figures(t, s, c); len(f.Days) != 0 || f.Reach != 0 {
			t.Errorf("figures %+v, want none", f)
		}
		ws, err := s.CapWindows(ctx, c, at)
		if err != nil {
			t.Fatal(err)
		}
		if n := flight(ws); n != 1 {
			t.Errorf("cap windows count %d impressions, want 1 (caps hold for staff too)", n)
		}
	})

	t.Run("clicks and views once per impression the ledger holds", func(t *testing.T) {
		s := newStore(t)
		c := live(t, s, "C1", 10, 0)
		other := live(t, s, "C2", 10, 0)
		i1, i2 := impression("m1", at, "C1", "i1"), impression("m2", at, "C1", "i2")
		next := at.Add(24 * time.Hour)
		count(t, s, "app1", i1, click(i1, next), click(i1, at), view(i1, at)) // the earliest counts
		stranger := click(i2, at)
		stranger.Member = "m3"
		count(t, s, "app1", i2,
			click(i1, next), view(i1, next), // again, in a later batch
			click(impression("m1", at, "C1", "unknown"), at), // no such impression
			click(impression("m2", at, "C2", "i2"), at),      // of another campaign
			stranger, // by another member
			view(i2, at), view(i2, at))
		want := service.Figures{Days: []service.DayFigures{{Day: "2026-06-01", Impressions: 2, Reach: 2, Clicks: 1, Views: 2}}, Reach: 2}
		if diff := cmp.Diff(want, figures(t, s, c)); diff != "" {
			t.Errorf("figures (-want +got):\n%s", diff)
		}
		if f := figures(t, s, other); len(f.Days) != 0 {
			t.Errorf("C2 figures %+v, want none", f)
		}
	})

	t.Run("clicks and views of impressions it does not hold wait", func(t *testing.T) {
		s := newStore(t)
		c := live(t, s, "C1", 10, 0)
		live(t, s, "C2", 10, 0)
		i1, i2, i3 := impression("m1", at, "C1", "i1"), impression("m2", at, "C1", "i2"), impression("m1", at, "C1", "i3")
		count(t, s, "app1", i1)
		recs := []service.Record{
			i3,                          // counted in this batch: its click and view below count
			withID(click(i1, at), "r1"), // held
			withID(click(i2, at), "r2"), // pending elsewhere: waits
			withID(view(i2, at), "r3"),  // waits
			withID(view(i3, at), "r4"),  // in the batch
			withID(click(impression("m2", at, "C2", "i1"), at), "r5"),   // held, of another campaign: dropped, not waiting
			withID(click(impression("m1", at, "nope", "x9"), at), "r6"), // no such campaign: ignored
		}
		got, err := s.Count(ctx, "app1", recs)
		if err != nil {
			t.Fatal(err)
		}
		if w := slices.Sorted(slices.Values(got.Waiting)); !cmp.Equal(w, []string{"r2", "r3"}) {
			t.Errorf("waiting %v, want [r2 r3]", w)
		}
		// The impression's batch, counted late; then the waiting records again.
		count(t, s, "app1", i2)
		got, err = s.Count(ctx, "app1", []service.Record{withID(click(i2, at), "r2"), withID(view(i2, at), "r3")})
		if err != nil || len(got.Waiting) != 0 {
			t.Errorf("waiting %v %v, want none once the impression is counted", got.Waiting, err)
		}
		want := service.Figures{Days: []service.DayFigures{{Day: "2026-06-01", Impressions: 3, Reach: 2, Clicks: 2, Views: 2}}, Reach: 2}
		if diff := cmp.Diff(want, figures(t, s, c)); diff != "" {
			t.Errorf("figures (-want +got):\n%s", diff)
		}
	})

	t.Run("served: an impression of the campaign for the member", func(t *testing.T) {
		s := newStore(t)
		live(t, s, "C1", 10, 0)
		live(t, s, "C2", 10, 0)
		count(t, s, "app1", impression("m1", at, "C1", "i1"))
		for _, tc := range []struct {
			app, campaign, member string
			want                  bool
		}{
			{"app1", "C1", "m1", true},
			{"app1", "C1", "m2", false},
			{"app1", "C2", "m1", false},
			{"app2", "C1", "m1", false},
		} {
			if got, err := s.Served(ctx, tc.app, tc.campaign, tc.member); got != tc.want || err != nil {
				t.Errorf("served %s %s %s: %v %v, want %v", tc.app, tc.campaign, tc.member, got, err, tc.want)
			}
		}
	})

	t.Run("other apps' campaigns are left alone", func(t *testing.T) {
		s := newStore(t)
		c := live(t, s, "C1", 1, 0)
		i1 := impression("m1", at, "C1", "i1")
		if got := count(t, s, "app2", i1, click(i1, at)); len(got) != 0 {
			t.Errorf("finished %v from another app", got)
		}
		count(t, s, "app1", impression("m1", at, "unknown", "i2"))
		if got := counted(t, s, "C1"); got.Counted != 0 || got.State != sponsored.StateLive {
			t.Errorf("counted %d, state %s: want 0, live", got.Counted, got.State)
		}
		if f := figures(t, s, c); len(f.Days) != 0 {
			t.Errorf("figures %+v, want none", f)
		}
		// The impression id is not taken: app1's own record counts.
		count(t, s, "app1", i1)
		count(t, s, "app2", click(i1, at))
		if got := counted(t, s, "C1"); got.Counted != 1 {
			t.Errorf("counted %d, want 1", got.Counted)
		}
		if f := figures(t, s, c); len(f.Days) != 1 || f.Days[0].Clicks != 0 {
			t.Errorf("figures %+v, want no click from another app", f)
		}
	})

	t.Run("figures by day in the flight's zone", func(t *testing.T) {
		s := newStore(t)
		c := live(t, s, "C1", 100, 0)
		late := time.Date(2026, 6, 1, 22, 30, 0, 0, time.UTC) // 00:30 on 2026-06-02 in Berlin
		a, b, d := impression("m1", at, "C1", "i1"), impression("m2", at, "C1", "i2"), impression("m1", late, "C1", "i3")
		count(t, s, "app1", a, b, d, click(a, late), view(d, late), view(b, at))
		l1 := lead("L1", "C1", "m1", late)
		if _, _, err := s.AddLead(ctx, l1); err != nil {
			t.Fatal(err)
		}
		staffLead := lead("L2", "C1", "m9", at)
		staffLead.Internal = true
		if _, _, err := s.AddLead(ctx, staffLead); err != nil {
			t.Fatal(err)
		}
		want := service.Figures{Days: []service.DayFigures{
			{Day: "2026-06-01", Impressions: 2, Reach: 2, Views: 1},
			{Day: "2026-06-02", Impressions: 1, Reach: 1, Clicks: 1, Views: 1, Leads: 1},
		}, Reach: 2}
		if diff := cmp.Diff(want, figures(t, s, c)); diff != "" {
			t.Errorf("figures (-want +got):\n%s", diff)
		}
	})

	t.Run("cap windows", func(t *testing.T) {
		s := newStore(t)
		c := live(t, s, "C1", 100, 0)
		live(t, s, "C2", 100, 0)
		now := time.Date(2026, 6, 1, 21, 30, 0, 0, time.UTC) // 23:30 in Berlin
		count(t, s, "app1",
			impression("m1", now.Add(-10*time.Minute), "C1", "i1"), // this hour, today
			impression("m1", now.Add(-2*time.Hour), "C1", "i2"),    // today
			impression("m1", now.Add(-24*time.Hour), "C1", "i3"),   // the day before
			impression("m2", now.Add(time.Hour), "C1", "i4"),       // 00:30 tomorrow in Berlin
			impression("m3", now, "C2", "i5"))                      // another campaign
		for _, h := range []service.Hidden{
			{App: "app1", Member: "m2", Campaign: "C1", Reason: sponsored.HideHidden, At: now},
			{App: "app1", Member: "m4", Campaign: "C1", Reason: sponsored.HideNotInterested, At: now},
			{App: "app1", Member: "m5", Campaign: "C2", Reason: sponsored.HideHidden, At: now},
		} {
			if err := s.Hide(ctx, h); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.CapWindows(ctx, c, now)
		if err != nil {
			t.Fatal(err)
		}
		hour, day := placement.HourBucket(now.Unix()), "2026-06-01"
		want := []service.CapWindow{
			{Member: "m1", Campaign: "C1", Hour: hour, HourCount: 1, Day: day, DayCount: 2, FlightCount: 3},
			{Member: "m2", Campaign: "C1", Hour: hour, HourCount: 1, Day: day, DayCount: 0, FlightCount: 1, Hidden: true},
			{Member: "m4", Campaign: "C1", Hour: hour, Day: day, Hidden: true},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("cap windows (-want +got):\n%s", diff)
		}
	})

	t.Run("a lead per member and campaign", func(t *testing.T) {
		s := newStore(t)
		live(t, s, "C1", 10, 0)
		first := lead("L1", "C1", "m1", at)
		got, created, err := s.AddLead(ctx, first)
		if err != nil || !created {
			t.Fatalf("first lead: created %v, %v", created, err)
		}
		if diff := cmp.Diff(first, got); diff != "" {
			t.Errorf("stored lead (-sent +stored):\n%s", diff)
		}
		again := lead("L2", "C1", "m1", at.Add(time.Minute))
		again.Fields["email"] = "other@example.com"
		got, created, err = s.AddLead(ctx, again)
		if err != nil || created {
			t.Fatalf("second lead: created %v, %v", created, err)
		}
		if diff := cmp.Diff(first, got); diff != "" {
			t.Errorf("a repeat returns the first (-first +got):\n%s", diff)
		}
		if _, _, err := s.AddLead(ctx, lead("L3", "nope", "m1", at)); !errors.Is(err, errs.NotFound) {
			t.Errorf("lead of an unknown campaign: %v, want not found", err)
		}
		other := lead("L4", "C1", "m2", at)
		other.App = "app2"
		if _, _, err := s.AddLead(ctx, other); !errors.Is(err, errs.NotFound) {
			t.Errorf("lead of another app's campaign: %v, want not found", err)
		}
		page, err := s.Leads(ctx, service.LeadQuery{App: "app1", Campaign: "C1", Limit: 10})
		if err != nil || len(page) != 1 || page[0].ID != "L1" {
			t.Errorf("leads: %+v %v, want L1 alone", page, err)
		}
	})

	t.Run("leads by page", func(t *testing.T) {
		s := newStore(t)
		live(t, s, "C1", 10, 0)
		live(t, s, "C2", 10, 0)
		for _, l := range []service.Lead{
			lead("L3", "C1", "m3", at), lead("L1", "C1", "m1", at), lead("L5", "C1", "m5", at),
			lead("L2", "C2", "m2", at), lead("L4", "C1", "m4", at),
		} {
			if l.ID == "L4" {
				l.Internal = true // organizers' own are listed, marked
			}
			if _, _, err := s.AddLead(ctx, l); err != nil {
				t.Fatal(err)
			}
		}
		var pages [][]string
		for after := ""; ; {
			page, err := s.Leads(ctx, service.LeadQuery{App: "app1", Campaign: "C1", After: after, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			var ids []string
			for _, l := range page {
				ids = append(ids, l.ID)
				if l.Internal != (l.ID == "L4") {
					t.Errorf("%s: internal %v", l.ID, l.Internal)
				}
			}
			pages = append(pages, ids)
			after = page[len(page)-1].ID
		}
		if want := [][]string{{"L1", "L3"}, {"L4", "L5"}}; !cmp.Equal(pages, want) {
			t.Errorf("pages %v, want %v", pages, want)
		}
		if page, _ := s.Leads(ctx, service.LeadQuery{App: "app2", Campaign: "C1", Limit: 10}); len(page) != 0 {
			t.Errorf("another app's leads: %+v", page)
		}
	})
}

// lead returns member's lead of campaign of app1 with id, sent at.
func lead(id, campaign, member string, at time.Time) service.Lead {
	return service.Lead{ID: id, App: "app1", Campaign: campaign, Member: member, Impression: "i-" + member,
		Fields: map[string]string{"email": member + "@example.com"}, Consent: "OK to e-mail me", CreatedAt: at}
}

func impression(member string, at time.Time, campaign, id string) service.Record {
	return service.Record{Kind: placement.RecordImpression, Member: member, At: at, Items: []service.Item{{Campaign: campaign, Impression: id}}}
}

// withID is r with the stream's id.
func withID(r service.Record, id string) service.Record {
	r.ID = id
	return r
}

// click is a click on the impression record imp at at.
func click(imp service.Record, at time.Time) service.Record {
	return service.Record{Kind: placement.RecordClick, Member: imp.Member, At: at, Items: imp.Items}
}

// view is a view of the impression record imp at at.
func view(imp service.Record, at time.Time) service.Record {
	r := click(imp, at)
	r.Kind = placement.RecordView
	return r
}

// flight sums the windows' flight counts.
func flight(ws []service.CapWindow) int {
	n := 0
	for _, w := range ws {
		n += w.FlightCount
	}
	return n
}
