// Package storetest holds the contract suites of sponsored's ports: the
// Campaigns and Ledger ports (pgstore and memstore run them) and the Board
// and Inbox ports (redisstore and memstore), so that the fakes the
// domain's unit tests use behave as the real stores do.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/platform/errs"
	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/internal/service"
	"github.com/attendify/sponsored/placement"
)

// Campaign returns a draft campaign of app with id, created at.
func Campaign(app, id string, at time.Time) service.Campaign {
	return service.Campaign{
		ID: id, App: app, State: sponsored.StateDraft, Version: 1, CreatedAt: at, UpdatedAt: at, ReportNonce: "nonce-" + id,
		Start: time.Date(2026, 6, 1, 7, 0, 0, 0, time.UTC), End: time.Date(2026, 6, 2, 16, 0, 0, 0, time.UTC),
		Settings: service.Settings{
			Name: "Campaign " + id, Sponsor: service.Sponsor{Name: "Acme", LogoURL: "https://acme.test/l.png"},
			Creative: service.Creative{Text: "Hello", Photos: []string{"https://acme.test/1.jpg"}, CTA: service.CTA{
				Kind: sponsored.CTALead, Label: "Join", Consent: "OK to e-mail me",
				Fields: []service.LeadField{{Name: "email", Label: "E-mail", Kind: sponsored.FieldEmail, Required: true}}}},
			Flight:    service.Flight{Start: "2026-06-01T09:00", End: "2026-06-02T18:00", TimeZone: "Europe/Berlin"},
			Targeting: service.Targeting{Events: []string{"E1"}, MemberRoles: []string{"speaker"}},
			Weight:    2, Budget: 500, Pacing: sponsored.PacingEven, Caps: service.Caps{PerHour: 1, PerDay: 2, PerFlight: 3},
		},
	}
}

// RunCampaigns runs the suite against the store newStore returns (a fresh
// one per call).
func RunCampaigns(t *testing.T, newStore func(t *testing.T) service.Campaigns) {
	ctx := context.Background()
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

	t.Run("create, get, list", func(t *testing.T) {
		s := newStore(t)
		a, b := Campaign("app1", "C1", t0), Campaign("app1", "C2", t0.Add(time.Minute))
		other := Campaign("app2", "C3", t0)
		for _, c := range []service.Campaign{a, b, other} {
			if err := s.Create(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Get(ctx, "app1", "C1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(a, got); diff != "" {
			t.Errorf("get (-want +got):\n%s", diff)
		}
		if _, err := s.Get(ctx, "app1", "C3"); !errors.Is(err, errs.NotFound) {
			t.Errorf("another app's campaign: %v, want not found", err)
		}
		page, err := s.List(ctx, service.CampaignQuery{App: "app1", Limit: 10})
		if list := page.Campaigns; err != nil || len(list) != 2 || list[0].ID != "C2" || list[1].ID != "C1" || page.Next != "" {
			t.Errorf("list: %v next %q %v, want C2, C1 and no next page", ids(list), page.Next, err)
		}
	})

	t.Run("update", func(t *testing.T) {
		s := newStore(t)
		c := Campaign("app1", "C1", t0)
		if err := s.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
		now := t0.Add(time.Hour)
		got, err := s.Update(ctx, "app1", "C1", now, func(c *service.Campaign) error {
			c.State, c.Name, c.Budget = sponsored.StateScheduled, "Renamed", 700
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 2 || !got.UpdatedAt.Equal(now) || got.Name != "Renamed" || got.Budget != 700 || got.State != sponsored.StateScheduled {
			t.Errorf("updated: %+v", got)
		}
		again, _ := s.Get(ctx, "app1", "C1")
		if diff := cmp.Diff(got, again); diff != "" {
			t.Errorf("read back (-updated +read):\n%s", diff)
		}
		boom := errs.New(errs.Conflict, "no")
		if _, err := s.Update(ctx, "app1", "C1", now, func(c *service.Campaign) error { c.Name = "lost"; return boom }); !errors.Is(err, errs.Conflict) {
			t.Errorf("change's error: %v", err)
		}
		if c, _ := s.Get(ctx, "app1", "C1"); c.Name != "Renamed" || c.Version != 2 {
			t.Errorf("a failed change was stored: %+v", c)
		}
		if _, err := s.Update(ctx, "app2", "C1", now, func(*service.Campaign) error { return nil }); !errors.Is(err, errs.NotFound) {
			t.Errorf("update in another app: %v", err)
		}
	})

	t.Run("list by state, active", func(t *testing.T) {
		s := newStore(t)
		states := map[string]string{"D": sponsored.StateDraft, "S": sponsored.StateScheduled, "L": sponsored.StateLive,
			"P": sponsored.StatePaused, "F": sponsored.StateFinished, "A": sponsored.StateArchived, "OldF": sponsored.StateFinished}
		for id, st := range states {
			c := Campaign("app1", id, t0)
			c.State = st
			if id == "OldF" {
				c.UpdatedAt = t0.Add(-48 * time.Hour)
			}
			if err := s.Create(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		all, _ := s.List(ctx, service.CampaignQuery{App: "app1", Limit: 10})
		if len(all.Campaigns) != 6 {
			t.Errorf("list without state: %v (archived left out)", ids(all.Campaigns))
		}
		arch, _ := s.List(ctx, service.CampaignQuery{App: "app1", State: sponsored.StateArchived, Limit: 10})
		if len(arch.Campaigns) != 1 || arch.Campaigns[0].ID != "A" {
			t.Errorf("archived: %v", ids(arch.Campaigns))
		}
		active, err := s.Active(ctx, t0.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := ids(active), []string{"A", "F", "L", "P", "S"}; !cmp.Equal(got, want) {
			t.Errorf("active: %v, want %v", got, want)
		}
		other := Campaign("app2", "L2", t0)
		other.State = sponsored.StateLive
		if err := s.Create(ctx, other); err != nil {
			t.Fatal(err)
		}
		of, err := s.ActiveOf(ctx, "app1", t0.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := ids(of), []string{"A", "F", "L", "P", "S"}; !cmp.Equal(got, want) {
			t.Errorf("active of app1: %v, want %v", got, want)
		}
	})

	t.Run("active of an app: all of them", func(t *testing.T) {
		s := newStore(t)
		for i := range 1100 {
			c := Campaign("app1", fmt.Sprintf("C%04d", i), t0.Add(time.Duration(i)*time.Second))
			c.State = sponsored.StateLive
			if i%2 == 0 {
				c.State = sponsored.StateDraft
			}
			if i == 0 {
				c.State = sponsored.StatePaused // the oldest
			}
			if err := s.Create(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		of, err := s.ActiveOf(ctx, "app1", t0)
		if err != nil {
			t.Fatal(err)
		}
		if len(of) != 551 || of[0].ID != "C0000" {
			t.Errorf("active of an app with 1,100 campaigns: %d, first %v; want 551 from C0000", len(of), ids(of[:min(1, len(of))]))
		}
	})

	t.Run("list in pages", func(t *testing.T) {
		s := newStore(t)
		// 40 campaigns, three at a time created in the same second (the
		// id breaks the tie), in every state; another app's in between.
		all := []service.Campaign{}
		for i := range 40 {
			c := Campaign("app1", fmt.Sprintf("P%02d", (i*7)%40), t0.Add(time.Duration(i/3)*time.Second))
			c.State = []string{sponsored.StateDraft, sponsored.StateLive, sponsored.StateArchived, sponsored.StatePaused, sponsored.StateLive}[i%5]
			all = append(all, c)
			other := Campaign("app2", fmt.Sprintf("Q%02d", i), c.CreatedAt)
			other.State = c.State
			for _, c := range []service.Campaign{c, other} {
				if err := s.Create(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
		}
		want := func(state string) []string {
			var cs []service.Campaign
			for _, c := range all {
				if c.State == state || (state == "" && c.State != sponsored.StateArchived) {
					cs = append(cs, c)
				}
			}
			slices.SortFunc(cs, func(a, b service.Campaign) int {
				if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
					return c
				}
				return strings.Compare(b.ID, a.ID)
			})
			return ids(cs)
		}
		for _, tc := range []struct {
			state string
			limit int
			pages int
		}{
			{"", 5, 7},                      // 32 campaigns: 6 full pages and 2
			{"", 8, 4},                      // a last page that is full has no next
			{"", 32, 1},                     // one page
			{"", 31, 2},                     // and one more
			{sponsored.StateLive, 3, 6},     // 16 live
			{sponsored.StateArchived, 4, 2}, // 8 archived
		} {
			t.Run(fmt.Sprintf("state %q limit %d", tc.state, tc.limit), func(t *testing.T) {
				q := service.CampaignQuery{App: "app1", State: tc.state, Limit: tc.limit}
				var got []string
				pages := 0
				for {
					page, err := s.List(ctx, q)
					if err != nil {
						t.Fatalf("page %d: %v", pages+1, err)
					}
					pages++
					for _, c := range page.Campaigns {
						if c.App != "app1" || (c.State != tc.state && (tc.state != "" || c.State == sponsored.StateArchived)) {
							t.Errorf("page %d has %s (%s, %s)", pages, c.ID, c.App, c.State)
						}
					}
					got = append(got, ids(page.Campaigns)...)
					if page.Next == "" {
						break
					}
					if len(page.Campaigns) != tc.limit {
						t.Errorf("page %d: %d campaigns and a next page, want %d", pages, len(page.Campaigns), tc.limit)
					}
					if pages > 100 {
						t.Fatal("no last page")
					}
					q.Cursor = page.Next
				}
				if w := want(tc.state); !cmp.Equal(got, w) {
					t.Errorf("pages: %v\nwant %v (each once, newest first)", got, w)
				}
				if pages != tc.pages {
					t.Errorf("%d pages, want %d", pages, tc.pages)
				}
			})
		}

		// A cursor keeps its place when its campaign changes state (or
		// leaves the listing) between pages.
		q := service.CampaignQuery{App: "app1", Limit: 5}
		first, err := s.List(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		last := first.Campaigns[len(first.Campaigns)-1].ID
		if _, err := s.Update(ctx, "app1", last, t0.Add(time.Hour), func(c *service.Campaign) error {
			c.State = sponsored.StateArchived
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		q.Cursor = first.Next
		second, err := s.List(ctx, q)
		if w := want("")[5:10]; err != nil || !cmp.Equal(ids(second.Campaigns), w) {
			t.Errorf("after the last campaign of the first page was archived: %v %v, want %v", ids(second.Campaigns), err, w)
		}

		// The cursor of the oldest campaign: an empty last page.
		oldest := want("")[len(want(""))-1]
		q.Cursor = service.CampaignCursor(q, oldest)
		if end, err := s.List(ctx, q); err != nil || len(end.Campaigns) != 0 || end.Next != "" {
			t.Errorf("after the oldest: %v next %q %v, want an empty last page", ids(end.Campaigns), end.Next, err)
		}

		// Cursors that are not one of the listing are refused.
		live := service.CampaignQuery{App: "app1", State: sponsored.StateLive, Limit: 5}
		ofLive, err := s.List(ctx, live)
		if err != nil || ofLive.Next == "" {
			t.Fatalf("live: next %q %v", ofLive.Next, err)
		}
		for name, q := range map[string]service.CampaignQuery{
			"not base64":             {App: "app1", Cursor: "!!!", Limit: 5},
			"not JSON":               {App: "app1", Cursor: "bm90IGEgY3Vyc29y", Limit: 5},
			"no id":                  {App: "app1", Cursor: service.CampaignCursor(service.CampaignQuery{App: "app1"}, ""), Limit: 5},
			"another spelling":       {App: "app1", Cursor: ofLive.Next[:20] + "\n" + ofLive.Next[20:], State: sponsored.StateLive, Limit: 5},
			"another state's":        {App: "app1", Cursor: ofLive.Next, Limit: 5},
			"another app's":          {App: "app2", Cursor: ofLive.Next, State: sponsored.StateLive, Limit: 5},
			"forged: no campaign":    {App: "app1", Cursor: service.CampaignCursor(service.CampaignQuery{App: "app1"}, "NOPE"), Limit: 5},
			"forged: another app's":  {App: "app1", Cursor: service.CampaignCursor(service.CampaignQuery{App: "app1"}, "Q05"), Limit: 5},
			"forged: another state":  {App: "app1", Cursor: service.CampaignCursor(service.CampaignQuery{App: "app1", State: "x"}, "P05"), Limit: 5},
			"forged: app2's for app": {App: "app2", Cursor: service.CampaignCursor(service.CampaignQuery{App: "app2"}, "P05"), Limit: 5},
		} {
			page, err := s.List(ctx, q)
			if e, ok := errs.As(err); !ok || !errors.Is(err, errs.Invalid) || len(e.Fields) != 1 || e.Fields[0].Field != "/cursor" {
				t.Errorf("%s cursor: %v %v, want invalid on /cursor", name, ids(page.Campaigns), err)
			}
		}
	})

	t.Run("every", func(t *testing.T) {
		s := newStore(t)
		if n, err := s.Every(ctx, "app1"); n != 0 || err != nil {
			t.Errorf("unset: %d %v", n, err)
		}
		for _, n := range []int{3, 8} {
			if err := s.SetEvery(ctx, "app1", n, t0); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Every(ctx, "app1"); got != n || err != nil {
				t.Errorf("set %d, read %d %v", n, got, err)
			}
		}
		if n, _ := s.Every(ctx, "app2"); n != 0 {
			t.Errorf("another app: %d", n)
		}
	})

	t.Run("hide is idempotent", func(t *testing.T) {
		s := newStore(t)
		if err := s.Create(ctx, Campaign("app1", "C1", t0)); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := s.Hide(ctx, service.Hidden{App: "app1", Member: "m1", Campaign: "C1", Reason: sponsored.HideHidden, At: t0}); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func ids(cs []service.Campaign) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// BoardStores are the two ports one Redis adapter (or fake) serves.
type BoardStores interface {
	service.Board
	service.Inbox
}

// RunBoard runs the suite of the Board and Inbox ports against the store
// newStore returns (fresh per call; records read and not acknowledged
// come back after claim).
func RunBoard(t *testing.T, claim time.Duration, newStore func(t *testing.T) BoardStores) {
	ctx := context.Background()
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	rec := func(kind, imp string) service.Record {
		return service.Record{Kind: kind, Member: "m1", At: at, Items: []service.Item{{Campaign: "c1", Impression: imp}}}
	}

	t.Run("publish", func(t *testing.T) {
		s := newStore(t)
		if ok, err := s.Published(ctx, "app1"); ok || err != nil {
			t.Fatalf("published before anything: %v %v", ok, err)
		}
		gen := func() int64 {
			t.Helper()
			g, err := s.Generation(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return g
		}
		older, g := gen(), gen()
		if g <= older {
			t.Fatalf("generations %d then %d", older, g)
		}
		elig := placement.Eligibility{Version: 1, Every: 5, Campaigns: []placement.Entry{{ID: "c1", Weight: 1}}}
		if err := s.Publish(ctx, "app1", g, elig, []service.Live{{Campaign: "c1", Budget: 10, Pace: 5, Counted: 2}}, nil); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.Published(ctx, "app1"); !ok {
			t.Error("not published after Publish")
		}
		if ok, _ := s.Published(ctx, "app2"); ok {
			t.Error("another app published")
		}
		// A publication that read the campaigns before (an older
		// generation), or the same one again, writes nothing.
		for _, stale := range []int64{older, g} {
			if err := s.Publish(ctx, "app1", stale, placement.Eligibility{Version: 2}, nil, []string{"c1"}); err != nil {
				t.Fatal(err)
			}
			if ok, _ := s.Published(ctx, "app1"); !ok {
				t.Errorf("generation %d took out the publication of %d", stale, g)
			}
		}
		if err := s.Publish(ctx, "app2", older, elig, nil, nil); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.Published(ctx, "app2"); !ok {
			t.Error("another app's generation held off this one's")
		}
		if err := s.Publish(ctx, "app1", gen(), placement.Eligibility{Version: 2}, nil, []string{"c1"}); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.Published(ctx, "app1"); ok {
			t.Error("still published with no campaign")
		}
		if err := s.RestoreCaps(ctx, "app1", []service.CapWindow{{Member: "m1", Campaign: "c1", FlightCount: 1, Hidden: true}}); err != nil {
			t.Fatal(err)
		}
		if err := s.Hide(ctx, service.Hidden{App: "app1", Member: "m1", Campaign: "c2"}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			campaign, member string
			want             bool
		}{{"c1", "m1", true}, {"c1", "m2", false}, {"c2", "m1", false}} {
			if got, err := s.Served(ctx, "app1", tc.campaign, tc.member); got != tc.want || err != nil {
				t.Errorf("served %s to %s: %v %v, want %v", tc.campaign, tc.member, got, err, tc.want)
			}
		}
	})

	t.Run("records", func(t *testing.T) {
		s := newStore(t)
		for _, r := range []service.Record{rec(placement.RecordClick, "i1"), rec(placement.RecordView, "i2"), rec(placement.RecordClick, "i3")} {
			if err := s.Append(ctx, "app1", r); err != nil {
				t.Fatal(err)
			}
		}
		first, err := s.Read(ctx, "app1", 2)
		if err != nil || len(first) != 2 {
			t.Fatalf("read 2: %d %v", len(first), err)
		}
		want := rec(placement.RecordClick, "i1")
		want.ID = first[0].ID
		if diff := cmp.Diff(want, first[0]); diff != "" {
			t.Errorf("record (-want +got):\n%s", diff)
		}
		next, _ := s.Read(ctx, "app1", 10)
		if len(next) != 1 || next[0].Items[0].Impression != "i3" {
			t.Errorf("the next read: %+v (read records are not given again before the claim time)", next)
		}
		if err := s.Ack(ctx, "app1", []string{next[0].ID, first[1].ID}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(claim + 10*time.Millisecond)
		again, _ := s.Read(ctx, "app1", 10)
		if len(again) != 1 || again[0].ID != first[0].ID {
			t.Errorf("after the claim time: %+v, want the one record read and not acknowledged", again)
		}
		if err := s.Ack(ctx, "app1", []string{again[0].ID}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(claim + 10*time.Millisecond)
		if rest, _ := s.Read(ctx, "app1", 10); len(rest) != 0 {
			t.Errorf("acknowledged records came back: %+v", rest)
		}
		if other, _ := s.Read(ctx, "app2", 10); len(other) != 0 {
			t.Errorf("another app's stream: %+v", other)
		}
	})
}
