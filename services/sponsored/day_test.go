package sponsored_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/internal/app"
	"github.com/attendify/sponsored/internal/service"
	"github.com/attendify/sponsored/internal/sponsoredtest"
	"github.com/attendify/sponsored/placement"
)

// input is a complete campaign for tests.
func input(name string, mod func(*sponsored.CampaignInput)) sponsored.CampaignInput {
	in := sponsored.CampaignInput{
		Name:    name,
		Sponsor: sponsored.Sponsor{Name: "Acme " + name, LogoURL: "https://acme.test/logo.png"},
		Creative: sponsored.Creative{Text: "Visit " + name + " at booth 12", Photos: []string{"https://acme.test/p1.jpg"},
			CTA: sponsored.CTA{Kind: sponsored.CTALink, Label: "Learn more", URL: "https://acme.test/" + name}},
		Flight: sponsored.Flight{Start: "2026-06-01T12:00", End: "2026-06-02T12:00", TimeZone: "Europe/Berlin"},
		Weight: 1, Budget: 1000, Pacing: sponsored.PacingEven,
	}
	if mod != nil {
		mod(&in)
	}
	return in
}

// served is what the test saw placed: per campaign, member and window.
type served struct {
	mu         sync.Mutex
	total      map[string]int            // campaign -> non-internal impressions
	byMember   map[string]map[string]int // campaign -> member -> flight count
	byHour     map[string]int            // campaign/member/hour
	byDay      map[string]int            // campaign/member/local day
	perDay     map[string]map[string]int // campaign -> local day -> non-internal impressions
	reachDay   map[string]map[string]bool
	internal   int
	cards      []sponsored.Card
	cardMember map[string]string // impression -> member
	taken      int
}

func newServed() *served {
	return &served{total: map[string]int{}, byMember: map[string]map[string]int{}, byHour: map[string]int{}, byDay: map[string]int{},
		perDay: map[string]map[string]int{}, reachDay: map[string]map[string]bool{}, cardMember: map[string]string{}}
}

// TestSimulatedDay runs two campaigns through a day of feed reads by many
// members, on a clock the test moves in 15-minute steps: the served counts
// hold the caps, the pacing and the budgets; the report's figures equal
// what was served; a replayed impression record is not counted twice.
func TestSimulatedDay(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	flightStart := time.Date(2026, 6, 1, 12, 0, 0, 0, berlin)
	env := sponsoredtest.Start(t, sponsoredtest.Options{Start: flightStart.Add(-time.Hour), Configure: func(c *app.Config) {
		c.PacingInterval = 15 * time.Minute
	}})
	ctx := testkit.Context(t)
	ev := env.NewEvent("Day conf")
	appID := env.CreateApp(ev)
	owner := env.AddMember(appID, "Olive Owner", auth.RoleOwner)
	const nMembers = 120
	members := make([]sponsoredtestMember, nMembers)
	for i := range members {
		members[i] = env.AddMember(appID, fmt.Sprintf("Member %d", i), auth.RoleAttendee)
	}
	staff := env.AddMember(appID, "Stan Staff", auth.RoleAttendee)
	env.SetMemberRole(staff, hub.MemberStaff)

	as := owner.Ctx(ctx)
	ref := rpc.AppRef{App: appID}
	even, err := sponsored.CreateCampaign.Call(as, env.Client, sponsored.CreateCampaignParams{AppRef: ref, CampaignInput: input("even", func(in *sponsored.CampaignInput) {
		in.Budget, in.Weight, in.Caps = 300, 3, sponsored.Caps{PerHour: 1, PerDay: 3}
	})})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	asap, err := sponsored.CreateCampaign.Call(as, env.Client, sponsored.CreateCampaignParams{AppRef: ref, CampaignInput: input("asap", func(in *sponsored.CampaignInput) {
		in.Budget, in.Pacing, in.Caps = 150, sponsored.PacingASAP, sponsored.Caps{PerFlight: 2}
		in.Creative.CTA = sponsored.CTA{Kind: sponsored.CTALead, Label: "Get the white paper",
			Fields: []sponsored.LeadField{{Name: "email", Label: "E-mail", Kind: sponsored.FieldEmail, Required: true}}, Consent: "Acme may e-mail me."}
	})})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	for _, c := range []sponsored.Campaign{even, asap} {
		got, err := sponsored.ScheduleCampaign.Call(as, env.Client, sponsored.CampaignRef{AppRef: ref, CampaignID: c.ID})
		if err != nil || got.State != sponsored.StateScheduled {
			t.Fatalf("schedule %s: %v %v", c.Name, got.State, err)
		}
	}
	placer := env.Placer()
	rng := rand.New(rand.NewPCG(1, 2))
	seen := newServed()
	hidden := members[7] // hides the even campaign at noon + 2h
	hiddenAt := time.Time{}
	var clicks, views int
	var hiddenSeen sync.Once
	plan := map[string]service.Campaign{}
	for _, c := range []sponsored.Campaign{even, asap} {
		plan[c.ID] = service.Campaign{Settings: service.Settings{Budget: c.Budget, Pacing: c.Pacing}, Start: c.StartUTC, End: c.EndUTC}
	}

	// replay appends an impression record again, as a counter that
	// crashed before its ack leaves it to be read again.
	replay := func(c sponsored.Card) {
		if err := env.Redis.XAdd(ctx, &redis.XAddArgs{Stream: env.Keys.Records(appID), Values: []any{
			placement.RecKind, placement.RecordImpression, placement.RecMember, seen.cardMember[c.ImpressionID],
			placement.RecTime, c.ServedAt.UnixMilli(), placement.RecInternal, "0", placement.RecItems, c.CampaignID + " " + c.ImpressionID,
		}}).Err(); err != nil {
			t.Fatal(err)
		}
	}

	// One hour before the flight: scheduled, nothing serves.
	env.Publish()
	if got := placer.Fill(ctx, appID, "", viewer(members[0]), 20); len(got) != 0 {
		t.Fatalf("served before the flight: %+v", got)
	}
	for step := 0; step < 4+24*4; step++ {
		env.Clock.Add(15 * time.Minute)
		now := env.Clock.Now()
		env.Publish()
		if step%4 == 0 {
			if step == 20 { // mid-flight, while budgets are not spent
				for _, c := range seen.cards[len(seen.cards)-10:] {
					replay(c)
				}
			}
			env.Count()
		}
		var wg sync.WaitGroup
		readers := rng.Perm(nMembers)[:40]
		for w := range 8 {
			wg.Go(func() {
				for i := w; i < len(readers); i += 8 {
					m := members[readers[i]]
					slots := placer.Fill(ctx, appID, "", viewer(m), 20)
					for _, sl := range slots {
						if m.ID == hidden.ID && !hiddenAt.IsZero() && sl.Card.CampaignID == even.ID {
							hiddenSeen.Do(func() { t.Errorf("the hidden campaign served to its member at %s", now) })
						}
					}
					seen.add(t, m.ID, false, now, berlin, slots)
				}
			})
		}
		wg.Wait()
		// The organizer and staff read too: placed, never counted.
		seen.add(t, owner.ID, true, now, berlin, placer.Fill(ctx, appID, "", placement.Viewer{Member: owner.ID, Organizer: true, Internal: true}, 20))
		seen.add(t, staff.ID, true, now, berlin, placer.Fill(ctx, appID, "", placement.Viewer{Member: staff.ID, MemberRole: hub.MemberStaff, Internal: true}, 20))

		// Pacing: never more than the plan allows by the interval's end.
		for id, c := range plan {
			if got, limit := seen.totalOf(id), service.PaceTarget(c, now, 15*time.Minute); int64(got) > limit {
				t.Fatalf("%s: campaign %s served %d, pacing allows %d", now, id, got, limit)
			}
		}
		if step == 8 && hiddenAt.IsZero() {
			if _, err := sponsored.Hide.Call(hidden.Ctx(ctx), env.Client, sponsored.HideParams{AppRef: ref, CampaignID: even.ID, Reason: sponsored.HideNotInterested}); err != nil {
				t.Fatal(err)
			}
			hiddenAt = now
		}
		// Some members act on what they saw.
		for _, c := range seen.take() {
			m := seen.cardMember[c.ImpressionID]
			switch {
			case c.CTA.Kind == sponsored.CTALink && rng.IntN(4) == 0:
				clickLink(t, c.CTA.ClickURL, c.CampaignID)
				if m != owner.ID && m != staff.ID {
					clicks++
				}
			case c.CTA.Kind == sponsored.CTALead && rng.IntN(3) == 0:
				mem := memberByID(members, m)
				if mem.ID == "" {
					continue
				}
				_, err := sponsored.SubmitLead.Call(mem.Ctx(ctx), env.Client, sponsored.SubmitLeadParams{AppRef: ref, CampaignID: c.CampaignID,
					ImpressionID: c.ImpressionID, Fields: map[string]string{"email": mem.ID + "@example.test"}, Consent: true})
				if err != nil {
					t.Fatalf("lead: %v", err)
				}
			}
			if rng.IntN(2) == 0 {
				if mem := memberByID(members, m); mem.ID != "" {
					if _, err := sponsored.View.Call(mem.Ctx(ctx), env.Client, sponsored.ImpressionParams{AppRef: ref, CampaignID: c.CampaignID, ImpressionID: c.ImpressionID}); err != nil {
						t.Fatal(err)
					}
					views++
				}
			}
		}
	}
	env.Count()

	// Caps: per member, per clock hour, per local day, per flight.
	for key, n := range seen.byHour {
		if strings.HasPrefix(key, even.ID) && n > 1 {
			t.Errorf("%s: %d impressions in one hour (cap 1)", key, n)
		}
	}
	for key, n := range seen.byDay {
		if strings.HasPrefix(key, even.ID) && n > 3 {
			t.Errorf("%s: %d impressions in one day (cap 3)", key, n)
		}
	}
	for m, n := range seen.byMember[asap.ID] {
		if n > 2 {
			t.Errorf("member %s saw the asap campaign %d times (cap 2 per flight)", m, n)
		}
	}
	// Budgets: the asap campaign spent exactly its budget and finished; the
	// even one kept to its plan and used most of it.
	if got := seen.totalOf(asap.ID); got != 150 {
		t.Errorf("asap campaign served %d, budget 150", got)
	}
	if got := seen.totalOf(even.ID); got > 300 || got < 250 {
		t.Errorf("even campaign served %d of a budget of 300", got)
	}
	for _, c := range []sponsored.Campaign{even, asap} {
		got, err := sponsored.GetCampaign.Call(as, env.Client, sponsored.CampaignRef{AppRef: ref, CampaignID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		if got.Counted != int64(seen.totalOf(c.ID)) {
			t.Errorf("%s: counted %d in Postgres, served %d", c.Name, got.Counted, seen.totalOf(c.ID))
		}
		if got.State != sponsored.StateFinished {
			t.Errorf("%s: state %s after its flight", c.Name, got.State)
		}
	}

	t.Logf("served: even %d to %d members, asap %d, internal %d; %d clicks, %d views sent",
		seen.totalOf(even.ID), len(seen.byMember[even.ID]), seen.totalOf(asap.ID), seen.internal, clicks, views)

	// The report's figures equal what was served (internal left out).
	checkReport := func() sponsored.Report {
		t.Helper()
		r, err := sponsored.GetReport.Call(as, env.Client, sponsored.CampaignRef{AppRef: ref, CampaignID: even.ID})
		if err != nil {
			t.Fatal(err)
		}
		if r.Total.Impressions != int64(seen.totalOf(even.ID)) || r.Total.Reach != int64(len(seen.byMember[even.ID])) {
			t.Errorf("report total %d impressions, reach %d; served %d to %d members", r.Total.Impressions, r.Total.Reach, seen.totalOf(even.ID), len(seen.byMember[even.ID]))
		}
		if r.Total.Clicks != int64(clicks) {
			t.Errorf("report %d clicks; %d made", r.Total.Clicks, clicks)
		}
		if len(r.Days) != 2 {
			t.Errorf("days %+v, want 2026-06-01 and 2026-06-02", r.Days)
		}
		for _, d := range r.Days {
			if want := int64(seen.perDay[even.ID][d.Day]); d.Impressions != want || d.Reach != int64(len(seen.reachDay[even.ID+d.Day])) {
				t.Errorf("day %s: %d impressions reach %d, served %d to %d", d.Day, d.Impressions, d.Reach, want, len(seen.reachDay[even.ID+d.Day]))
			}
		}
		if r.Total.Planned != 300 || r.PlannedToDate != 300 {
			t.Errorf("planned %d, to date %d; want the whole budget", r.Total.Planned, r.PlannedToDate)
		}
		return r
	}
	before := checkReport()
	ra, err := sponsored.GetReport.Call(as, env.Client, sponsored.CampaignRef{AppRef: ref, CampaignID: asap.ID})
	if err != nil {
		t.Fatal(err)
	}
	if ra.Total.Leads != int64(leadsOf(t, env, as, ref, asap.ID)) || ra.Total.Leads == 0 || ra.Total.Impressions != 150 {
		t.Errorf("asap report: %d leads, %d impressions", ra.Total.Leads, ra.Total.Impressions)
	}
	if ra.Total.Views+before.Total.Views == 0 || int(ra.Total.Views+before.Total.Views) > views {
		t.Errorf("views %d + %d, %d sent", ra.Total.Views, before.Total.Views, views)
	}

	// A replayed impression record (a crash before the ack) counts nothing.
	replay(seen.cards[0])
	env.Count()
	after := checkReport()
	if after.Total != before.Total {
		t.Errorf("a replayed impression changed the report: %+v -> %+v", before.Total, after.Total)
	}
}

type sponsoredtestMember = sponsoredtest.Member

func memberByID(ms []sponsoredtestMember, id string) sponsoredtestMember {
	for _, m := range ms {
		if m.ID == id {
			return m
		}
	}
	return sponsoredtestMember{}
}

func viewer(m sponsoredtestMember) placement.Viewer {
	return placement.Viewer{Member: m.ID, MemberRole: hub.MemberAttendee}
}

func (s *served) add(t *testing.T, member string, internal bool, now time.Time, loc *time.Location, slots []placement.Slot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sl := range slots {
		c := sl.Card
		s.cards = append(s.cards, c)
		s.cardMember[c.ImpressionID] = member
		if internal {
			s.internal++
			continue
		}
		day := now.In(loc).Format(time.DateOnly)
		s.total[c.CampaignID]++
		if s.byMember[c.CampaignID] == nil {
			s.byMember[c.CampaignID] = map[string]int{}
			s.perDay[c.CampaignID] = map[string]int{}
		}
		s.byMember[c.CampaignID][member]++
		s.perDay[c.CampaignID][day]++
		if s.reachDay[c.CampaignID+day] == nil {
			s.reachDay[c.CampaignID+day] = map[string]bool{}
		}
		s.reachDay[c.CampaignID+day][member] = true
		s.byHour[c.CampaignID+"/"+member+"/"+now.UTC().Truncate(time.Hour).Format(time.RFC3339)]++
		s.byDay[c.CampaignID+"/"+member+"/"+day]++
	}
}

// take returns the cards added since the last call.
func (s *served) take() []sponsored.Card {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.cards[s.taken:]
	s.taken = len(s.cards)
	return out
}

func (s *served) totalOf(c string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total[c]
}

// clickLink follows a card's click link as a phone's browser would,
// without following the redirect.
func clickLink(t *testing.T, link, campaign string) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), "https://acme.test/") {
		t.Fatalf("click %s: HTTP %d to %q", link, resp.StatusCode, resp.Header.Get("Location"))
	}
}

func leadsOf(t *testing.T, env *sponsoredtest.Env, ctx context.Context, ref rpc.AppRef, campaign string) int {
	t.Helper()
	page, err := sponsored.ListLeads.Call(ctx, env.Client, sponsored.ListLeadsParams{AppRef: ref, CampaignID: campaign, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return len(page.Leads)
}
