// Package service is sponsored's domain: campaigns and their rules
// (validation, states), the eligibility each app publishes to Redis and
// its pacing, the counting of impressions, clicks and views into Postgres
// with the budget's hard stop, leads, and reports. It works on plain Go
// types over the small ports it declares in ports.go.
package service

import (
	"time"
)

// Campaign is a sponsor's campaign in an app.
type Campaign struct {
	ID  string
	App string
	Settings
	State string
	// Start and End are the flight's instants (UTC).
	Start, End time.Time
	// Counted is the billable impressions counted (at most Budget).
	Counted int64
	// ReportNonce is the secret part of the sponsor's report link; a new
	// one revokes the old links.
	ReportNonce string
	Version     int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Settings are what an organizer sets.
type Settings struct {
	Name      string
	Sponsor   Sponsor
	Creative  Creative
	Flight    Flight
	Targeting Targeting
	Weight    int
	Budget    int64
	Pacing    string
	Caps      Caps
}

// Sponsor pays for a campaign.
type Sponsor struct {
	Name    string
	LogoURL string
}

// Creative is the post a campaign shows.
type Creative struct {
	Text   string
	Photos []string
	CTA    CTA
}

// CTA is a creative's call to action.
type CTA struct {
	Kind    string
	Label   string
	URL     string
	Fields  []LeadField
	Consent string
}

// LeadField is one field of a lead form.
type LeadField struct {
	Name     string
	Label    string
	Kind     string
	Required bool
}

// Flight is the local start and end ("2026-06-01T09:00") in TimeZone.
type Flight struct {
	Start, End string
	TimeZone   string
}

// Targeting narrows who sees a campaign.
type Targeting struct {
	Events      []string
	MemberRoles []string
	TicketTypes []string
}

// Caps are the per-member frequency caps (0: none).
type Caps struct {
	PerHour, PerDay, PerFlight int
}

// Item is one campaign shown in one impression.
type Item struct {
	Campaign   string
	Impression string
}

// Record is one entry of an app's record stream: impressions of a page,
// or a click or view of one impression.
type Record struct {
	ID       string // the stream entry id
	Kind     string // placement.RecordImpression, RecordClick, RecordView
	Member   string
	At       time.Time
	Internal bool
	Items    []Item
}

// CapWindow is one member's cap counts of a campaign, for rebuilding the
// Redis caps after a loss.
type CapWindow struct {
	Member      string
	Campaign    string
	Hour        string // the hour bucket of HourCount
	HourCount   int
	Day         string // the day of DayCount
	DayCount    int
	FlightCount int
	Hidden      bool
}

// Hidden is a member's "hide" or "not interested" on a campaign.
type Hidden struct {
	App, Member, Campaign, Reason string
	At                            time.Time
}

// Lead is one lead-form submission.
type Lead struct {
	ID         string
	App        string
	Campaign   string
	Member     string
	Impression string
	Fields     map[string]string
	Consent    string
	Internal   bool
	CreatedAt  time.Time
}

// LeadQuery selects a page of a campaign's leads, by id.
type LeadQuery struct {
	App      string
	Campaign string
	// After is the id of the last lead of the previous page ("" for the
	// first page).
	After string
	Limit int
}

// CampaignQuery selects a page of an app's campaigns, newest first.
type CampaignQuery struct {
	App string
	// State is the state listed; "" lists every one but the archived.
	State string
	// Cursor is the previous page's Next ("" for the first page).
	Cursor string
	Limit  int
}

// CampaignPage is a page of campaigns and the cursor of the next page
// ("" on the last).
type CampaignPage struct {
	Campaigns []Campaign
	Next      string
}

// DayFigures are one day's counts of a campaign (organizers and staff
// left out).
type DayFigures struct {
	Day         string
	Impressions int64
	Reach       int64
	Clicks      int64
	Leads       int64
	Views       int64
}

// Figures are a campaign's counts per day and its distinct reach.
type Figures struct {
	Days  []DayFigures
	Reach int64
}

// Report is a campaign's report.
type Report struct {
	Campaign      Campaign
	Days          []ReportDay
	Total         ReportDay
	PlannedToDate int64
}

// ReportDay is a day of a report (or the total, Day empty).
type ReportDay struct {
	DayFigures
	CTR     float64
	Planned int64
}
