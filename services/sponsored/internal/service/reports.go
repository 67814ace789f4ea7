package service

import (
	"context"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/platform/errs"
)

// Report builds a campaign's report for an organizer.
func (s *Service) Report(ctx context.Context, app, id string) (Report, error) {
	if err := s.organizer(ctx, app); err != nil {
		return Report{}, err
	}
	c, err := s.o.Campaigns.Get(ctx, app, id)
	if err != nil {
		return Report{}, err
	}
	return s.report(ctx, c)
}

// SharedReport builds the report a sponsor's signed link names: the link
// must carry the campaign's current nonce.
func (s *Service) SharedReport(ctx context.Context, token string) (Report, error) {
	c, err := s.sharedCampaign(ctx, token)
	if err != nil {
		return Report{}, err
	}
	return s.report(ctx, c)
}

const purposeReport = "report"

// ReportToken is the token of a campaign's report link.
func (s *Service) ReportToken(c Campaign) string {
	return s.o.Signer.Sign(purposeReport, c.App, c.ID, c.ReportNonce)
}

// ShareReport returns the sponsor's report link of a campaign.
func (s *Service) ShareReport(ctx context.Context, app, id string) (string, error) {
	if err := s.organizer(ctx, app); err != nil {
		return "", err
	}
	c, err := s.o.Campaigns.Get(ctx, app, id)
	if err != nil {
		return "", err
	}
	return s.ReportURL(c), nil
}

// ReportURL is the sponsor's report page of c.
func (s *Service) ReportURL(c Campaign) string {
	return s.o.PublicURL + "/r/" + s.ReportToken(c)
}

// RevokeReport gives the campaign a new report nonce and returns the new
// link; the old links stop working.
func (s *Service) RevokeReport(ctx context.Context, app, id string) (string, error) {
	if err := s.organizer(ctx, app); err != nil {
		return "", err
	}
	c, err := s.o.Campaigns.Update(ctx, app, id, s.now(), func(c *Campaign) error {
		c.ReportNonce = newNonce()
		return nil
	})
	if err != nil {
		return "", err
	}
	return s.ReportURL(c), nil
}

func (s *Service) sharedCampaign(ctx context.Context, token string) (Campaign, error) {
	p, err := s.o.Signer.Verify(purposeReport, token, 3)
	if err != nil {
		return Campaign{}, err
	}
	c, err := s.o.Campaigns.Get(ctx, p[0], p[1])
	if err != nil {
		return Campaign{}, err
	}
	if !equalSecret(c.ReportNonce, p[2]) {
		return Campaign{}, errs.New(errs.NotFound, "link not found")
	}
	return c, nil
}

func (s *Service) report(ctx context.Context, c Campaign) (Report, error) {
	f, err := s.o.Ledger.Figures(ctx, c)
	if err != nil {
		return Report{}, err
	}
	now := s.now()
	r := Report{Campaign: c, PlannedToDate: Planned(c, now)}
	loc, err := time.LoadLocation(c.Flight.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	byDay := map[string]DayFigures{}
	for _, d := range f.Days {
		byDay[d.Day] = d
	}
	last := earliest(now, c.End)
	// Day by day of the calendar, each from its first instant: midnight,
	// or the hour a zone that skips midnight starts it at (stepping
	// instants a day at a time would count such a day twice).
	y, m, dd := c.Start.In(loc).Date()
	for i := 0; ; i++ {
		d, next := hub.DayStart(y, m, dd+i, loc), hub.DayStart(y, m, dd+i+1, loc)
		if i > 0 && !d.Before(last) {
			break
		}
		key := d.In(loc).Format(time.DateOnly)
		from, to := latest(d, c.Start), earliest(next, c.End)
		day := ReportDay{DayFigures: byDay[key], Planned: Planned(c, to) - Planned(c, from)}
		day.Day = key
		delete(byDay, key)
		r.Days = append(r.Days, withCTR(day))
	}
	for _, d := range f.Days { // counted outside the flight's days: keep them
		if _, ok := byDay[d.Day]; ok {
			r.Days = append(r.Days, withCTR(ReportDay{DayFigures: d}))
		}
	}
	var t ReportDay
	for _, d := range r.Days {
		t.Impressions += d.Impressions
		t.Clicks += d.Clicks
		t.Leads += d.Leads
		t.Views += d.Views
		t.Planned += d.Planned
	}
	t.Reach = f.Reach
	r.Total = withCTR(t)
	return r, nil
}

func withCTR(d ReportDay) ReportDay {
	if d.Impressions > 0 {
		d.CTR = float64(d.Clicks) / float64(d.Impressions)
	}
	return d
}

// Leads returns a page of a campaign's leads to an organizer: up to
// q.Limit (100 when it is not within 1 to 500).
func (s *Service) Leads(ctx context.Context, q LeadQuery) ([]Lead, error) {
	if err := s.organizer(ctx, q.App); err != nil {
		return nil, err
	}
	if _, err := s.o.Campaigns.Get(ctx, q.App, q.Campaign); err != nil {
		return nil, err
	}
	if q.Limit <= 0 || q.Limit > 500 {
		q.Limit = 100
	}
	return s.o.Ledger.Leads(ctx, q)
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
