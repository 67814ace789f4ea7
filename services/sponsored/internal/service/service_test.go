package service_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/internal/service"
	"github.com/attendify/sponsored/internal/store/memstore"
	"github.com/attendify/sponsored/internal/storetest"
	"github.com/attendify/sponsored/placement"
)

// access is hub's read model in memory: memberships by user.
type access map[string]hub.Membership

func (a access) Authorize(_ context.Context, c auth.Caller, app string) (hub.Membership, error) {
	if c.Kind == auth.CallerService && c.User == "" {
		return hub.Membership{}, nil
	}
	m, ok := a[c.User]
	if !ok || m.App != app {
		return hub.Membership{}, errs.New(errs.Forbidden, "not a member")
	}
	return m, nil
}

// board records what the domain publishes; no campaign is served to
// anyone in its caps.
type board struct {
	published map[string]placement.Eligibility
	gen       int64
}

func (b *board) Published(context.Context, string) (bool, error) { return true, nil }
func (b *board) Generation(context.Context) (int64, error)       { b.gen++; return b.gen, nil }
func (b *board) Publish(_ context.Context, app string, _ int64, e placement.Eligibility, _ []service.Live, _ []string) error {
	b.published[app] = e
	return nil
}
func (b *board) Served(context.Context, string, string, string) (bool, error)   { return false, nil }
func (b *board) RestoreCaps(context.Context, string, []service.CapWindow) error { return nil }
func (b *board) Hide(context.Context, service.Hidden) error                     { return nil }
func (b *board) Append(context.Context, string, service.Record) error           { return nil }

type fixture struct {
	svc       *service.Service
	campaigns *memstore.Campaigns
	ledger    *memstore.Ledger
	board     *board
	now       time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{campaigns: memstore.NewCampaigns(), board: &board{published: map[string]placement.Eligibility{}}, now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	f.ledger = memstore.NewLedger(f.campaigns)
	var keys auth.ServiceKeys
	_ = keys.UnmarshalText([]byte(placement.DevLinkKey))
	signer, _ := placement.NewSigner(keys)
	f.svc = service.New(service.Options{
		Campaigns: f.campaigns, Ledger: f.ledger, Board: f.board, Signer: signer,
		Access: access{
			"owner": {App: "app1", User: "owner", Role: auth.RoleOwner},
			"ada":   {App: "app1", User: "ada", Role: auth.RoleAttendee, MemberRole: hub.MemberAttendee},
		},
		Now: func() time.Time { return f.now },
	})
	return f
}

func as(user string) context.Context {
	return auth.WithCaller(context.Background(), auth.Caller{Kind: auth.CallerUser, User: user, App: "app1"})
}

// seed stores a campaign in state, its flight around the fixture's now.
func (f *fixture) seed(t *testing.T, id, state string) {
	t.Helper()
	c := storetest.Campaign("app1", id, f.now.Add(-time.Hour))
	c.State = state
	c.Start, c.End = f.now.Add(-time.Hour), f.now.Add(time.Hour)
	if err := f.campaigns.Create(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}

func TestActsPublish(t *testing.T) {
	for _, tc := range []struct {
		name, from, act, want string
		serving               bool
	}{
		{"schedule within the flight goes live", sponsored.StateDraft, service.ActSchedule, sponsored.StateLive, true},
		{"pause stops serving", sponsored.StateLive, service.ActPause, sponsored.StatePaused, false},
		{"resume serves again", sponsored.StatePaused, service.ActResume, sponsored.StateLive, true},
		{"finish stops serving", sponsored.StateLive, service.ActFinish, sponsored.StateFinished, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.seed(t, "C1", tc.from)
			c, err := f.svc.Act(as("owner"), "app1", "C1", tc.act)
			if err != nil || c.State != tc.want {
				t.Fatalf("%s: %q %v, want %q", tc.act, c.State, err, tc.want)
			}
			if got := len(f.board.published["app1"].Campaigns) == 1; got != tc.serving {
				t.Errorf("serving after %s: %v, want %v", tc.act, got, tc.serving)
			}
		})
	}
}

func TestOrganizersOnly(t *testing.T) {
	for _, tc := range []struct {
		name string
		call func(*service.Service) error
	}{
		{"create", func(s *service.Service) error {
			_, err := s.CreateCampaign(as("ada"), "app1", service.Settings{})
			return err
		}},
		{"act", func(s *service.Service) error { _, err := s.Act(as("ada"), "app1", "C1", service.ActPause); return err }},
		{"report", func(s *service.Service) error { _, err := s.Report(as("ada"), "app1", "C1"); return err }},
		{"share", func(s *service.Service) error { _, err := s.ShareReport(as("ada"), "app1", "C1"); return err }},
		{"another app", func(s *service.Service) error { _, err := s.GetCampaign(as("owner"), "app2", "C1"); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.seed(t, "C1", sponsored.StateLive)
			if err := tc.call(f.svc); !errors.Is(err, errs.Forbidden) {
				t.Errorf("%v, want forbidden", err)
			}
		})
	}
}

func TestUpdateRefused(t *testing.T) {
	for _, tc := range []struct {
		name    string
		state   string
		version int64
		mod     func(*service.Settings)
		kind    errs.Kind
	}{
		{"stale version", sponsored.StateDraft, 7, nil, errs.Conflict},
		{"finished", sponsored.StateFinished, 1, nil, errs.Conflict},
		{"archived", sponsored.StateArchived, 1, nil, errs.Conflict},
		{"live: budget below counted", sponsored.StateLive, 1, func(s *service.Settings) { s.Budget = 10 }, errs.Invalid},
		{"live: flight start moved", sponsored.StateLive, 1, func(s *service.Settings) { s.Flight.Start = "2026-06-01T08:00" }, errs.Invalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.seed(t, "C1", tc.state)
			f.campaigns.SetCounted("C1", 50)
			c, _ := f.campaigns.Get(context.Background(), "app1", "C1")
			set := c.Settings
			if tc.mod != nil {
				tc.mod(&set)
			}
			if _, err := f.svc.UpdateCampaign(as("owner"), "app1", "C1", tc.version, set); !errors.Is(err, tc.kind) {
				t.Errorf("%v, want %v", err, tc.kind)
			}
		})
	}
}

func TestReportLinks(t *testing.T) {
	f := newFixture(t)
	f.seed(t, "C1", sponsored.StateLive)
	link, err := f.svc.ShareReport(as("owner"), "app1", "C1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RevokeReport(as("owner"), "app1", "C1"); err != nil {
		t.Fatal(err)
	}
	c, _ := f.campaigns.Get(context.Background(), "app1", "C1")
	if link == f.svc.ReportURL(c) {
		t.Error("revoking kept the link")
	}
}

// TestSubmitLead: a lead needs the campaign served to the member and
// consent, and a member's second lead of a campaign returns the first.
func TestSubmitLead(t *testing.T) {
	f := newFixture(t)
	f.seed(t, "C1", sponsored.StateLive)
	ref := service.ImpressionRef{App: "app1", Campaign: "C1", Impression: "i1"}
	if _, err := f.svc.SubmitLead(as("ada"), ref, map[string]string{"email": "ada@example.com"}, true); !errors.Is(err, errs.NotFound) {
		t.Errorf("a campaign never served to the member: %v, want not found", err)
	}
	// Served (the fixture's board holds no caps: the ledger tells).
	if _, err := f.ledger.Count(context.Background(), "app1", []service.Record{{Kind: placement.RecordImpression, Member: "ada", At: f.now,
		Items: []service.Item{{Campaign: "C1", Impression: "i1"}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SubmitLead(as("ada"), ref, map[string]string{"email": "ada@example.com"}, false); !errors.Is(err, errs.Invalid) {
		t.Errorf("without consent: %v, want invalid", err)
	}
	first, err := f.svc.SubmitLead(as("ada"), ref, map[string]string{"email": "ada@example.com"}, true)
	if err != nil || first.Consent != "OK to e-mail me" {
		t.Fatalf("lead: %+v %v, want one with the consent text", first, err)
	}
	again, err := f.svc.SubmitLead(as("ada"), ref, map[string]string{"email": "other@example.com"}, true)
	if err != nil || again.ID != first.ID || again.Fields["email"] != "ada@example.com" {
		t.Errorf("repeat: %+v %v, want the first", again, err)
	}
	leads, err := f.svc.Leads(as("owner"), service.LeadQuery{App: "app1", Campaign: "C1"})
	if err != nil || len(leads) != 1 {
		t.Errorf("leads: %+v %v, want one", leads, err)
	}
}

// linkSettings are complete settings of a link campaign in zone.
func linkSettings(start, end, zone string) service.Settings {
	return service.Settings{
		Name: "Link", Sponsor: service.Sponsor{Name: "Acme"},
		Creative: service.Creative{Text: "Hello", CTA: service.CTA{Kind: sponsored.CTALink, Label: "Go", URL: "https://acme.test"}},
		Flight:   service.Flight{Start: start, End: end, TimeZone: zone},
		Weight:   1, Budget: 1000, Pacing: sponsored.PacingEven,
	}
}

// TestReportDaysWhereMidnightIsSkipped: in a zone whose daylight
// saving time starts at midnight (Chile, Egypt, Lebanon, Cuba...), the day
// after the switch has no 00:00. The report lists each day of the flight
// once, in order, and plans the budget once: no day twice, none missing.
func TestReportDaysWhereMidnightIsSkipped(t *testing.T) {
	for _, tc := range []struct {
		zone, start, end string
		days             []string
	}{
		// Chile: 2026-09-06 starts at 01:00 (-03).
		{"America/Santiago", "2026-09-04T12:00", "2026-09-08T12:00", []string{"2026-09-04", "2026-09-05", "2026-09-06", "2026-09-07", "2026-09-08"}},
		// Lebanon: 2026-03-29 starts at 01:00 (+03).
		{"Asia/Beirut", "2026-03-28T12:00", "2026-03-30T12:00", []string{"2026-03-28", "2026-03-29", "2026-03-30"}},
	} {
		t.Run(tc.zone, func(t *testing.T) {
			f := newFixture(t)
			f.now = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC) // the flight is over: all of the budget planned
			c, err := f.svc.CreateCampaign(as("owner"), "app1", linkSettings(tc.start, tc.end, tc.zone))
			if err != nil {
				t.Fatal(err)
			}
			r, err := f.svc.Report(as("owner"), "app1", c.ID)
			if err != nil {
				t.Fatal(err)
			}
			var days []string
			for _, d := range r.Days {
				days = append(days, d.Day)
			}
			if len(days) != len(tc.days) {
				t.Fatalf("days %v, want %v", days, tc.days)
			}
			for i := range days {
				if days[i] != tc.days[i] {
					t.Fatalf("days %v, want %v", days, tc.days)
				}
			}
			if r.Total.Planned != c.Budget || r.PlannedToDate != c.Budget {
				t.Errorf("planned %d in total (%d to date), want the budget %d", r.Total.Planned, r.PlannedToDate, c.Budget)
			}
		})
	}
}

// TestFlightTimeInDaylightSavingGap: a flight's local time that the
// zone skips (02:30 on the night clocks go forward) names no instant; it
// is refused with a field error rather than silently moved by an hour.
func TestFlightTimeInDaylightSavingGap(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		zone, start, end, field string
	}{
		{"Europe/Berlin", "2026-03-29T02:30", "2026-03-30T12:00", "/flight/start"},
		{"Europe/Berlin", "2026-03-28T12:00", "2026-03-29T02:15:00", "/flight/end"},
		{"America/Santiago", "2026-09-06T00:30", "2026-09-07T12:00", "/flight/start"},
	} {
		_, err := f.svc.CreateCampaign(as("owner"), "app1", linkSettings(tc.start, tc.end, tc.zone))
		e, ok := errs.As(err)
		if !ok || e.Code != errs.CodeInvalid || len(e.Fields) == 0 || e.Fields[0].Field != tc.field {
			t.Errorf("%s %s - %s: %v, want invalid %s", tc.zone, tc.start, tc.end, err, tc.field)
		}
	}
	// The hour clocks go back happens twice: taken, it is a time of the day.
	if _, err := f.svc.CreateCampaign(as("owner"), "app1", linkSettings("2026-10-25T02:30", "2026-10-26T12:00", "Europe/Berlin")); err != nil {
		t.Errorf("a time of the hour that repeats: %v", err)
	}
}
