package rpcapi

import (
	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/internal/service"
)

// SettingsFromWire is the domain form of a campaign's settings.
func SettingsFromWire(in sponsored.CampaignInput) service.Settings {
	s := service.Settings{
		Name:    in.Name,
		Sponsor: service.Sponsor{Name: in.Sponsor.Name, LogoURL: in.Sponsor.LogoURL},
		Creative: service.Creative{Text: in.Creative.Text, Photos: in.Creative.Photos, CTA: service.CTA{
			Kind: in.Creative.CTA.Kind, Label: in.Creative.CTA.Label, URL: in.Creative.CTA.URL, Consent: in.Creative.CTA.Consent}},
		Flight:    service.Flight{Start: in.Flight.Start, End: in.Flight.End, TimeZone: in.Flight.TimeZone},
		Targeting: service.Targeting{Events: in.Targeting.Events, MemberRoles: in.Targeting.MemberRoles, TicketTypes: in.Targeting.TicketTypes},
		Weight:    in.Weight, Budget: in.Budget, Pacing: in.Pacing,
		Caps: service.Caps{PerHour: in.Caps.PerHour, PerDay: in.Caps.PerDay, PerFlight: in.Caps.PerFlight},
	}
	for _, f := range in.Creative.CTA.Fields {
		s.Creative.CTA.Fields = append(s.Creative.CTA.Fields, service.LeadField{Name: f.Name, Label: f.Label, Kind: f.Kind, Required: f.Required})
	}
	return s
}

// CampaignToWire is the wire form of a campaign.
func CampaignToWire(c service.Campaign) sponsored.Campaign {
	if c.ID == "" {
		return sponsored.Campaign{}
	}
	s := c.Settings
	in := sponsored.CampaignInput{
		Name:    s.Name,
		Sponsor: sponsored.Sponsor{Name: s.Sponsor.Name, LogoURL: s.Sponsor.LogoURL},
		Creative: sponsored.Creative{Text: s.Creative.Text, Photos: nonNil(s.Creative.Photos), CTA: sponsored.CTA{
			Kind: s.Creative.CTA.Kind, Label: s.Creative.CTA.Label, URL: s.Creative.CTA.URL, Consent: s.Creative.CTA.Consent}},
		Flight:    sponsored.Flight{Start: s.Flight.Start, End: s.Flight.End, TimeZone: s.Flight.TimeZone},
		Targeting: sponsored.Targeting{Events: s.Targeting.Events, MemberRoles: s.Targeting.MemberRoles, TicketTypes: s.Targeting.TicketTypes},
		Weight:    s.Weight, Budget: s.Budget, Pacing: s.Pacing,
		Caps: sponsored.Caps{PerHour: s.Caps.PerHour, PerDay: s.Caps.PerDay, PerFlight: s.Caps.PerFlight},
	}
	for _, f := range s.Creative.CTA.Fields {
		in.Creative.CTA.Fields = append(in.Creative.CTA.Fields, sponsored.LeadField{Name: f.Name, Label: f.Label, Kind: f.Kind, Required: f.Required})
	}
	return sponsored.Campaign{
		ID: c.ID, AppID: c.App, CampaignInput: in, State: c.State, StartUTC: c.Start, EndUTC: c.End,
		Counted: c.Counted, Version: c.Version, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
}

// ReportToWire is the wire form of a report.
func ReportToWire(r service.Report) sponsored.Report {
	day := func(d service.ReportDay) sponsored.ReportDay {
		return sponsored.ReportDay{Day: d.Day, Impressions: d.Impressions, Reach: d.Reach, Clicks: d.Clicks, CTR: d.CTR,
			Leads: d.Leads, Views: d.Views, Planned: d.Planned}
	}
	out := sponsored.Report{
		CampaignID: r.Campaign.ID, Name: r.Campaign.Name, Sponsor: r.Campaign.Sponsor.Name, State: r.Campaign.State,
		Budget: r.Campaign.Budget, TimeZone: r.Campaign.Flight.TimeZone, Days: make([]sponsored.ReportDay, 0, len(r.Days)),
		Total: day(r.Total), PlannedToDate: r.PlannedToDate,
	}
	for _, d := range r.Days {
		out.Days = append(out.Days, day(d))
	}
	return out
}

// LeadToWire is the wire form of a lead.
func LeadToWire(l service.Lead) sponsored.Lead {
	f := l.Fields
	if f == nil {
		f = map[string]string{}
	}
	return sponsored.Lead{ID: l.ID, CampaignID: l.Campaign, MemberID: l.Member, ImpressionID: l.Impression,
		Fields: f, Consent: l.Consent, CreatedAt: l.CreatedAt}
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}
