package service

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/attendify/platform/errs"
	"github.com/attendify/sponsored"
)

func validSettings() Settings {
	return Settings{
		Name: "Spring", Sponsor: Sponsor{Name: "Acme"},
		Creative: Creative{Text: "Hello", CTA: CTA{Kind: sponsored.CTALink, Label: "Go", URL: "https://acme.test"}},
		Flight:   Flight{Start: "2026-06-01T09:00", End: "2026-06-02T18:00", TimeZone: "Europe/Berlin"},
		Weight:   1, Budget: 100, Pacing: sponsored.PacingEven,
	}
}

// fieldsOf returns the JSON pointers of an Invalid error's field errors.
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	e, ok := errs.As(err)
	if !ok || !errors.Is(err, errs.Invalid) {
		t.Fatalf("want an invalid error, got %v", err)
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestCheckSettingsAccepts(t *testing.T) {
	for name, mod := range map[string]func(*Settings){
		"link": func(*Settings) {},
		"lead form": func(s *Settings) {
			s.Creative.CTA = CTA{Kind: sponsored.CTALead, Label: "Join", Fields: []LeadField{{Name: "email", Label: "E-mail", Kind: "email", Required: true}}, Consent: "OK"}
		},
		"4 photos": func(s *Settings) {
			s.Creative.Photos = []string{"https://a/1", "https://a/2", "http://a/3", "https://a/4"}
		},
		"targeting": func(s *Settings) {
			s.Targeting = Targeting{Events: []string{"E1"}, MemberRoles: []string{"speaker"}, TicketTypes: []string{"VIP pass"}}
		},
		"seconds":      func(s *Settings) { s.Flight.Start = "2026-06-01T09:00:30" },
		"caps, asap":   func(s *Settings) { s.Caps, s.Pacing = Caps{PerHour: 1, PerDay: 2, PerFlight: 3}, sponsored.PacingASAP },
		"front-loaded": func(s *Settings) { s.Pacing = sponsored.PacingFrontLoaded },
	} {
		t.Run(name, func(t *testing.T) {
			s := validSettings()
			mod(&s)
			start, end, err := checkSettings(s)
			if err != nil {
				t.Fatal(err)
			}
			if !end.After(start) || start.Location() != time.UTC {
				t.Errorf("flight %s - %s", start, end)
			}
		})
	}
	start, _, _ := checkSettings(validSettings())
	if want := time.Date(2026, 6, 1, 7, 0, 0, 0, time.UTC); !start.Equal(want) {
		t.Errorf("09:00 in Berlin is %s, want %s", start, want)
	}
}

func TestCheckSettingsRefuses(t *testing.T) {
	for name, tc := range map[string]struct {
		mod  func(*Settings)
		want []string
	}{
		"empty":           {func(s *Settings) { *s = Settings{} }, []string{"/name", "/sponsor/name", "/creative/text", "/creative/cta/label", "/creative/cta/kind", "/flight/time_zone", "/weight", "/budget", "/pacing"}},
		"javascript link": {func(s *Settings) { s.Creative.CTA.URL = "javascript:alert(1)" }, []string{"/creative/cta/url"}},
		"logo":            {func(s *Settings) { s.Sponsor.LogoURL = "ftp://x" }, []string{"/sponsor/logo_url"}},
		"5 photos": {func(s *Settings) {
			s.Creative.Photos = []string{"https://a/1", "https://a/2", "https://a/3", "https://a/4", "https://a/5"}
		}, []string{"/creative/photos"}},
		"bad zone":        {func(s *Settings) { s.Flight.TimeZone = "Mars/Olympus" }, []string{"/flight/time_zone"}},
		"end first":       {func(s *Settings) { s.Flight.End = "2026-05-01T09:00" }, []string{"/flight/end"}},
		"bad start":       {func(s *Settings) { s.Flight.Start = "tomorrow" }, []string{"/flight/start"}},
		"lead w/o fields": {func(s *Settings) { s.Creative.CTA = CTA{Kind: sponsored.CTALead, Label: "x"} }, []string{"/creative/cta/fields", "/creative/cta/consent"}},
		"dup field": {func(s *Settings) {
			s.Creative.CTA = CTA{Kind: sponsored.CTALead, Label: "x", Consent: "ok", Fields: []LeadField{{Name: "a", Label: "A", Kind: "text"}, {Name: "a", Label: "A", Kind: "fax"}}}
		}, []string{"/creative/cta/fields/1/name", "/creative/cta/fields/1/kind"}},
		"role":   {func(s *Settings) { s.Targeting.MemberRoles = []string{"king"} }, []string{"/targeting/member_roles/0"}},
		"twice":  {func(s *Settings) { s.Targeting.Events = []string{"E1", "E1"} }, []string{"/targeting/events/1"}},
		"caps":   {func(s *Settings) { s.Caps.PerDay = -1 }, []string{"/caps/per_day"}},
		"budget": {func(s *Settings) { s.Budget = 0 }, []string{"/budget"}},
		"NUL":    {func(s *Settings) { s.Name = "a\x00b" }, []string{"/name"}},
	} {
		t.Run(name, func(t *testing.T) {
			s := validSettings()
			tc.mod(&s)
			_, _, err := checkSettings(s)
			if got := fieldsOf(t, err); !slices.Equal(got, tc.want) {
				t.Errorf("fields %v, want %v", got, tc.want)
			}
		})
	}
}

func campaignIn(state string) Campaign {
	return Campaign{State: state, Settings: Settings{Budget: 100}, Start: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 6, 2, 0, 0, 0, 0, time.UTC)}
}

func TestTransitionAllowed(t *testing.T) {
	before, during, after := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC), time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		from, act string
		at        time.Time
		want      string
	}{
		{sponsored.StateDraft, ActSchedule, before, sponsored.StateScheduled},
		{sponsored.StateDraft, ActSchedule, during, sponsored.StateLive},
		{sponsored.StateScheduled, ActPause, before, sponsored.StatePaused},
		{sponsored.StateLive, ActPause, during, sponsored.StatePaused},
		{sponsored.StatePaused, ActResume, before, sponsored.StateScheduled},
		{sponsored.StatePaused, ActResume, during, sponsored.StateLive},
		{sponsored.StatePaused, ActResume, after, sponsored.StateFinished},
		{sponsored.StateLive, ActFinish, during, sponsored.StateFinished},
		{sponsored.StatePaused, ActFinish, during, sponsored.StateFinished},
		{sponsored.StateFinished, ActArchive, after, sponsored.StateArchived},
		{sponsored.StateDraft, ActArchive, before, sponsored.StateArchived},
	} {
		got, err := Transition(campaignIn(tc.from), tc.act, tc.at)
		if err != nil || got != tc.want {
			t.Errorf("%s %s at %s: %q %v, want %q", tc.act, tc.from, tc.at, got, err, tc.want)
		}
	}
}

func TestTransitionRefused(t *testing.T) {
	after := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		from, act string
		kind      errs.Kind
	}{
		{sponsored.StateLive, ActSchedule, errs.Conflict},
		{sponsored.StateDraft, ActPause, errs.Conflict},
		{sponsored.StateLive, ActResume, errs.Conflict},
		{sponsored.StateDraft, ActFinish, errs.Conflict},
		{sponsored.StateLive, ActArchive, errs.Conflict},
		{sponsored.StateArchived, ActResume, errs.Conflict},
		{sponsored.StateFinished, ActPause, errs.Conflict},
		{sponsored.StateDraft, ActSchedule, errs.Invalid}, // the flight is over
		{sponsored.StateDraft, "explode", errs.Invalid},
	} {
		if _, err := Transition(campaignIn(tc.from), tc.act, after); !errors.Is(err, tc.kind) {
			t.Errorf("%s %s: %v, want %v", tc.act, tc.from, err, tc.kind)
		}
	}
}

func TestTimedState(t *testing.T) {
	c := campaignIn(sponsored.StateScheduled)
	during := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		state   string
		counted int64
		at      time.Time
		want    string
	}{
		{sponsored.StateScheduled, 0, c.Start.Add(-time.Second), sponsored.StateScheduled},
		{sponsored.StateScheduled, 0, c.Start, sponsored.StateLive},
		{sponsored.StateScheduled, 0, c.End, sponsored.StateFinished},
		{sponsored.StateLive, 0, during, sponsored.StateLive},
		{sponsored.StateLive, 100, during, sponsored.StateFinished},
		{sponsored.StateLive, 0, c.End, sponsored.StateFinished},
		{sponsored.StatePaused, 0, during, sponsored.StatePaused},
		{sponsored.StatePaused, 0, c.End, sponsored.StateFinished},
		{sponsored.StateDraft, 0, c.End, sponsored.StateDraft},
	} {
		c.State, c.Counted = tc.state, tc.counted
		if got := timedState(c, tc.at); got != tc.want {
			t.Errorf("%s (counted %d) at %s: %s, want %s", tc.state, tc.counted, tc.at, got, tc.want)
		}
	}
}

func TestPlanned(t *testing.T) {
	c := campaignIn(sponsored.StateLive)
	c.Budget = 1000
	q := c.Start.Add(6 * time.Hour) // a quarter of the flight
	for _, tc := range []struct {
		pacing string
		at     time.Time
		want   int64
	}{
		{sponsored.PacingEven, c.Start.Add(-time.Hour), 0},
		{sponsored.PacingEven, q, 250},
		{sponsored.PacingEven, c.End, 1000},
		{sponsored.PacingFrontLoaded, q, 438}, // 1-(3/4)^2 = 0.4375
		{sponsored.PacingASAP, q, 1000},
		{sponsored.PacingASAP, c.Start, 0},
		{sponsored.PacingASAP, c.Start.Add(time.Second), 1000},
	} {
		c.Pacing = tc.pacing
		if got := Planned(c, tc.at); got != tc.want {
			t.Errorf("%s at %s: %d, want %d", tc.pacing, tc.at, got, tc.want)
		}
	}
	c.Pacing = sponsored.PacingEven
	if got := PaceTarget(c, q.Add(time.Minute), time.Hour); got != Planned(c, q.Add(time.Hour)) {
		t.Errorf("pace target %d: want the plan at the interval's end", got)
	}
}

func TestCheckLead(t *testing.T) {
	cta := CTA{Kind: sponsored.CTALead, Fields: []LeadField{
		{Name: "email", Kind: sponsored.FieldEmail, Required: true}, {Name: "phone", Kind: sponsored.FieldPhone}, {Name: "company", Kind: sponsored.FieldText}}}
	if err := checkLead(cta, map[string]string{"email": "ada@example.com", "phone": "+49 30 123456"}, true); err != nil {
		t.Errorf("valid lead refused: %v", err)
	}
	for name, tc := range map[string]struct {
		values  map[string]string
		consent bool
		want    []string
	}{
		"no consent":    {map[string]string{"email": "ada@example.com"}, false, []string{"/consent"}},
		"missing":       {map[string]string{}, true, []string{"/fields/email"}},
		"bad email":     {map[string]string{"email": "Ada <ada@example.com>"}, true, []string{"/fields/email"}},
		"bad phone":     {map[string]string{"email": "a@b.co", "phone": "call me"}, true, []string{"/fields/phone"}},
		"unknown field": {map[string]string{"email": "a@b.co", "ssn": "1"}, true, []string{"/fields/ssn"}},
	} {
		t.Run(name, func(t *testing.T) {
			if got := fieldsOf(t, checkLead(cta, tc.values, tc.consent)); !slices.Equal(got, tc.want) {
				t.Errorf("fields %v, want %v", got, tc.want)
			}
		})
	}
}
