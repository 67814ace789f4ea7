// Package sponsored is the contract of the sponsored service: sponsors'
// native posts in an app's feed. It holds the JSON-RPC methods (campaigns
// for organizers, hide / click / view / lead for members), their params and
// results, the wire form of a sponsored feed item (Card), the events it
// publishes (events.go) and the HTTP routes of its signed links.
//
// Social never calls sponsored: sponsored publishes each app's eligibility
// to Redis and social fills the sponsored slots of a feed page with the
// placement package (github.com/attendify/sponsored/placement), which
// charges the frequency caps and records the impressions in one Redis round
// trip. README.md explains the data flow.
package sponsored

import (
	"time"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// Campaign states.
const (
	StateDraft     = "draft"     // being prepared; never serves
	StateScheduled = "scheduled" // complete and waiting for its flight to start
	StateLive      = "live"      // within its flight, may serve
	StatePaused    = "paused"    // stopped by an organizer; resume continues it
	StateFinished  = "finished"  // flight over, budget spent or finished by hand
	StateArchived  = "archived"  // kept for reports, out of every list by default
)

// Pacing modes: how a campaign's budget spreads over its flight.
const (
	// PacingEven plans the budget in proportion to the time elapsed.
	PacingEven = "even"
	// PacingFrontLoaded plans more early: the share planned after a
	// fraction x of the flight is 1-(1-x)², so half the budget by 29% of it.
	PacingFrontLoaded = "front_loaded"
	// PacingASAP plans the whole budget at once: as fast as the caps allow.
	PacingASAP = "asap"
)

// Call-to-action kinds.
const (
	CTALink = "link" // opens a URL through the signed click redirect
	CTALead = "lead" // a form the member fills in the app (lead.submit)
)

// Lead form field kinds.
const (
	FieldText  = "text"
	FieldEmail = "email"
	FieldPhone = "phone"
)

// Hide reasons.
const (
	HideHidden        = "hidden"         // the member hid this sponsored post
	HideNotInterested = "not_interested" // "not interested" in this campaign
)

// Label is the text every sponsored item carries.
const Label = "Sponsored"

// Limits.
const (
	MaxPhotos     = 4
	MaxTextRunes  = 2000
	MaxLeadFields = 8
	MaxWeight     = 1000
	MaxBudget     = 1_000_000_000
	MaxTargets    = 100
	// DefaultEvery is the number of organic posts per sponsored slot when
	// the app sets none: at most one sponsored item per 5 organic posts.
	DefaultEvery = 5
)

// ---------------------------------------------------------------------------
// Wire types.

// Sponsor is who pays for a campaign.
type Sponsor struct {
	Name    string `json:"name" jsonschema:"maxLength=120"`
	LogoURL string `json:"logo_url,omitempty" jsonschema:"maxLength=2000"`
}

// LeadField is one field of a lead form.
type LeadField struct {
	Name     string `json:"name" jsonschema:"maxLength=40"`
	Label    string `json:"label" jsonschema:"maxLength=120"`
	Kind     string `json:"kind" jsonschema:"enum=text,enum=email,enum=phone"`
	Required bool   `json:"required,omitempty"`
}

// CTA is a creative's call to action: a link, or a lead form with its
// fields and the consent text the member accepts.
type CTA struct {
	Kind    string      `json:"kind" jsonschema:"enum=link,enum=lead"`
	Label   string      `json:"label" jsonschema:"maxLength=40"`
	URL     string      `json:"url,omitempty" jsonschema:"maxLength=2000"`
	Fields  []LeadField `json:"fields,omitempty" jsonschema:"maxItems=8"`
	Consent string      `json:"consent,omitempty" jsonschema:"maxLength=2000"`
}

// Creative is the post a campaign shows: text, up to 4 photos (http(s)
// URLs) and a call to action.
type Creative struct {
	Text   string   `json:"text" jsonschema:"maxLength=8000"`
	Photos []string `json:"photos,omitempty" jsonschema:"maxItems=4"`
	CTA    CTA      `json:"cta"`
}

// Flight is when a campaign may serve: local date-times
// ("2026-06-01T09:00") in TimeZone (the event's, an IANA name).
type Flight struct {
	Start    string `json:"start" jsonschema:"maxLength=40"`
	End      string `json:"end" jsonschema:"maxLength=40"`
	TimeZone string `json:"time_zone" jsonschema:"maxLength=64"`
}

// Targeting narrows who sees a campaign; an empty list does not narrow.
// A member matches Events when registered to one of them or reading the
// feed of one of them; organizers match every event. TicketTypes match
// the ticket type hub keeps for a member (members.ticket_type, in hub's
// read model), in any case.
type Targeting struct {
	Events      []string `json:"events,omitempty" jsonschema:"maxItems=100"`
	MemberRoles []string `json:"member_roles,omitempty" jsonschema:"maxItems=100"`
	TicketTypes []string `json:"ticket_types,omitempty" jsonschema:"maxItems=100"`
}

// Caps are frequency caps per member: at most so many impressions per
// clock hour, per day (in the flight's time zone) and per flight; 0 means
// no cap of that kind.
type Caps struct {
	PerHour   int `json:"per_hour,omitempty" jsonschema:"minimum=0,maximum=1000000"`
	PerDay    int `json:"per_day,omitempty" jsonschema:"minimum=0,maximum=1000000"`
	PerFlight int `json:"per_flight,omitempty" jsonschema:"minimum=0,maximum=1000000"`
}

// CampaignInput is what an organizer sets on a campaign.
type CampaignInput struct {
	Name      string    `json:"name" jsonschema:"maxLength=200"`
	Sponsor   Sponsor   `json:"sponsor"`
	Creative  Creative  `json:"creative"`
	Flight    Flight    `json:"flight"`
	Targeting Targeting `json:"targeting"`
	Weight    int       `json:"weight" jsonschema:"minimum=0,maximum=1000"`
	Budget    int64     `json:"budget" jsonschema:"minimum=0,maximum=1000000000"`
	Pacing    string    `json:"pacing" jsonschema:"enum=even,enum=front_loaded,enum=asap"`
	Caps      Caps      `json:"caps"`
}

// Campaign is a campaign as organizers see it.
type Campaign struct {
	ID    string `json:"id"`
	AppID string `json:"app_id"`
	CampaignInput
	State string `json:"state"`
	// StartUTC and EndUTC are the flight's instants.
	StartUTC time.Time `json:"start_utc"`
	EndUTC   time.Time `json:"end_utc"`
	// Counted is the billable impressions counted so far (at most Budget).
	Counted   int64     `json:"counted"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CampaignList is a page of an app's campaigns, newest first (by creation,
// then id). NextCursor, empty on the last page, asks for the next one.
type CampaignList struct {
	Campaigns  []Campaign `json:"campaigns"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// Card is a sponsored item as social places it in a feed page: the
// creative, the "Sponsored" label, the campaign and the impression.
// ClickURL is a signed redirect on sponsored's server (GET, no token
// needed); ImpressionID is unguessable and names this showing in view,
// click and lead calls.
type Card struct {
	Label        string    `json:"label"`
	CampaignID   string    `json:"campaign_id"`
	ImpressionID string    `json:"impression_id"`
	Sponsor      Sponsor   `json:"sponsor"`
	Text         string    `json:"text"`
	Photos       []string  `json:"photos"`
	CTA          CardCTA   `json:"cta"`
	ServedAt     time.Time `json:"served_at"`
}

// CardCTA is a card's call to action: for a link, ClickURL; for a lead
// form, its fields and consent text (submit with lead.submit).
type CardCTA struct {
	Kind     string      `json:"kind"`
	Label    string      `json:"label"`
	ClickURL string      `json:"click_url,omitempty"`
	Fields   []LeadField `json:"fields,omitempty"`
	Consent  string      `json:"consent,omitempty"`
}

// ReportDay is one day of a campaign's report, in the flight's time zone.
type ReportDay struct {
	Day         string  `json:"day"` // YYYY-MM-DD
	Impressions int64   `json:"impressions"`
	Reach       int64   `json:"reach"`
	Clicks      int64   `json:"clicks"`
	CTR         float64 `json:"ctr"` // clicks / impressions, 0..1
	Leads       int64   `json:"leads"`
	Views       int64   `json:"views"`
	Planned     int64   `json:"planned"` // impressions the pacing planned for the day
}

// Report is a campaign's figures: per day and in total. Organizers' and
// staff's own activity is left out.
type Report struct {
	CampaignID string      `json:"campaign_id"`
	Name       string      `json:"name"`
	Sponsor    string      `json:"sponsor"`
	State      string      `json:"state"`
	Budget     int64       `json:"budget"`
	TimeZone   string      `json:"time_zone"`
	Days       []ReportDay `json:"days"`
	Total      ReportDay   `json:"total"` // Day is empty; Reach is distinct over the flight
	// PlannedToDate is what the pacing planned until now (or the flight's end).
	PlannedToDate int64 `json:"planned_to_date"`
}

// Lead is one lead-form submission.
type Lead struct {
	ID           string            `json:"id"`
	CampaignID   string            `json:"campaign_id"`
	MemberID     string            `json:"member_id"`
	ImpressionID string            `json:"impression_id"`
	Fields       map[string]string `json:"fields"`
	Consent      string            `json:"consent"` // the text the member accepted
	CreatedAt    time.Time         `json:"created_at"`
}

// LeadPage is a page of a campaign's leads, oldest first.
type LeadPage struct {
	Leads      []Lead `json:"leads"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// ShareLink is the sponsor's read-only report page.
type ShareLink struct {
	URL string `json:"url"`
}

// ClickResult is where a click goes.
type ClickResult struct {
	URL string `json:"url"`
}

// Empty is the result of methods with nothing to return.
type Empty struct{}

// AppSettings are an app's placement settings.
type AppSettings struct {
	// Every is the organic posts per sponsored slot: a feed page carries at
	// most one sponsored item per Every organic posts (default 5).
	Every int `json:"every" jsonschema:"minimum=1,maximum=100"`
}

// ---------------------------------------------------------------------------
// Params.

// CreateCampaignParams create a draft campaign.
type CreateCampaignParams struct {
	rpc.AppRef
	CampaignInput
}

// UpdateCampaignParams replace a campaign's settings; Version is the one
// read (a conflict when it changed since).
type UpdateCampaignParams struct {
	rpc.AppRef
	CampaignID string `json:"campaign_id" jsonschema:"minLength=1,maxLength=64,pattern=^[A-Za-z0-9_-]+$"`
	Version    int64  `json:"version" jsonschema:"minimum=1"`
	CampaignInput
}

// CampaignRef addresses a campaign.
type CampaignRef struct {
	rpc.AppRef
	CampaignID string `json:"campaign_id" jsonschema:"minLength=1,maxLength=64,pattern=^[A-Za-z0-9_-]+$"`
}

// ListCampaignsParams page through an app's campaigns, archived ones only
// when asked. Cursor is the previous page's next_cursor (none for the
// first page), sent with the same state; Limit is the page's size (100
// when 0, at most 500).
type ListCampaignsParams struct {
	rpc.AppRef
	State  string `json:"state,omitempty" jsonschema:"enum=,enum=draft,enum=scheduled,enum=live,enum=paused,enum=finished,enum=archived"`
	Cursor string `json:"cursor,omitempty" jsonschema:"maxLength=200"`
	Limit  int    `json:"limit,omitempty" jsonschema:"minimum=0,maximum=500"`
}

// ListLeadsParams page through a campaign's leads.
type ListLeadsParams struct {
	rpc.AppRef
	CampaignID string `json:"campaign_id" jsonschema:"minLength=1,maxLength=64,pattern=^[A-Za-z0-9_-]+$"`
	Cursor     string `json:"cursor,omitempty" jsonschema:"maxLength=100"`
	Limit      int    `json:"limit,omitempty" jsonschema:"minimum=0,maximum=500"`
}

// SetAppSettingsParams change an app's placement settings.
type SetAppSettingsParams struct {
	rpc.AppRef
	AppSettings
}

// HideParams stop a campaign for the caller.
type HideParams struct {
	rpc.AppRef
	CampaignID string `json:"campaign_id" jsonschema:"minLength=1,maxLength=64,pattern=^[A-Za-z0-9_-]+$"`
	Reason     string `json:"reason" jsonschema:"enum=hidden,enum=not_interested"`
}

// ImpressionParams name one showing of a campaign to the caller.
type ImpressionParams struct {
	rpc.AppRef
	CampaignID   string `json:"campaign_id" jsonschema:"minLength=1,maxLength=64,pattern=^[A-Za-z0-9_-]+$"`
	ImpressionID string `json:"impression_id" jsonschema:"minLength=1,maxLength=64,pattern=^[A-Za-z0-9_-]+$"`
}

// SubmitLeadParams send a lead form; Consent must be true.
type SubmitLeadParams struct {
	rpc.AppRef
	CampaignID   string            `json:"campaign_id" jsonschema:"minLength=1,maxLength=64,pattern=^[A-Za-z0-9_-]+$"`
	ImpressionID string            `json:"impression_id" jsonschema:"minLength=1,maxLength=64,pattern=^[A-Za-z0-9_-]+$"`
	Fields       map[string]string `json:"fields" jsonschema:"maxProperties=8"`
	Consent      bool              `json:"consent"`
}

// ---------------------------------------------------------------------------
// Methods.

var (
	adminErrors  = []errs.Code{errs.CodeInvalid, errs.CodeNotFound, errs.CodeForbidden, errs.CodeUnavailable}
	memberErrors = []errs.Code{errs.CodeInvalid, errs.CodeNotFound, errs.CodeForbidden, errs.CodeUnavailable}

	// CreateCampaign creates a draft campaign (organizers).
	CreateCampaign = rpc.Method[CreateCampaignParams, Campaign]{
		Name: "campaign.create", Auth: auth.Admin, Errors: adminErrors,
		Summary: "Create a draft campaign: sponsor, creative, flight, targeting, weight, budget, pacing, caps.",
	}
	// UpdateCampaign replaces a campaign's settings (not once finished).
	UpdateCampaign = rpc.Method[UpdateCampaignParams, Campaign]{
		Name: "campaign.update", Auth: auth.Admin, Errors: append(adminErrors, errs.CodeConflict),
		Summary: "Replace a campaign's settings; a live or paused campaign keeps its flight start and may not lower its budget below what it served.",
	}
	// GetCampaign reads a campaign.
	GetCampaign = rpc.Method[CampaignRef, Campaign]{
		Name: "campaign.get", ReadOnly: true, Auth: auth.Admin, Idempotent: true, Errors: adminErrors,
		Summary: "Read a campaign.",
	}
	// ListCampaigns pages through an app's campaigns.
	ListCampaigns = rpc.Method[ListCampaignsParams, CampaignList]{
		Name: "campaign.list", ReadOnly: true, Auth: auth.Admin, Idempotent: true, Errors: adminErrors,
		Summary: "List an app's campaigns, newest first (archived ones only with state=archived), a page at a time: send next_cursor back as cursor, with the same state.",
	}
	// ScheduleCampaign moves a complete draft to scheduled (live once its
	// flight starts).
	ScheduleCampaign = rpc.Method[CampaignRef, Campaign]{
		Name: "campaign.schedule", Auth: auth.Admin, Errors: append(adminErrors, errs.CodeConflict),
		Summary: "Schedule a draft: it goes live when its flight starts. Every field must be complete.",
	}
	// PauseCampaign stops a scheduled or live campaign.
	PauseCampaign = rpc.Method[CampaignRef, Campaign]{
		Name: "campaign.pause", Auth: auth.Admin, Errors: append(adminErrors, errs.CodeConflict),
		Summary: "Pause a scheduled or live campaign: it stops serving within the eligibility refresh.",
	}
	// ResumeCampaign resumes a paused campaign.
	ResumeCampaign = rpc.Method[CampaignRef, Campaign]{
		Name: "campaign.resume", Auth: auth.Admin, Errors: append(adminErrors, errs.CodeConflict),
		Summary: "Resume a paused campaign (scheduled before its flight, live within it).",
	}
	// FinishCampaign ends a campaign for good.
	FinishCampaign = rpc.Method[CampaignRef, Campaign]{
		Name: "campaign.finish", Auth: auth.Admin, Errors: append(adminErrors, errs.CodeConflict),
		Summary: "Finish a scheduled, live or paused campaign now.",
	}
	// ArchiveCampaign archives a draft or finished campaign.
	ArchiveCampaign = rpc.Method[CampaignRef, Campaign]{
		Name: "campaign.archive", Auth: auth.Admin, Errors: append(adminErrors, errs.CodeConflict),
		Summary: "Archive a draft or finished campaign (its report stays).",
	}
	// GetReport returns a campaign's report.
	GetReport = rpc.Method[CampaignRef, Report]{
		Name: "campaign.report", ReadOnly: true, Auth: auth.Admin, Idempotent: true, Errors: adminErrors, Timeout: 30 * time.Second,
		Summary: "A campaign's figures per day and in total: impressions, reach, clicks, CTR, leads, served vs planned.",
	}
	// ShareReport returns the sponsor's signed report link.
	ShareReport = rpc.Method[CampaignRef, ShareLink]{
		Name: "campaign.shareReport", Auth: auth.Admin, Idempotent: true, Errors: adminErrors,
		Summary: "The signed link of the sponsor's read-only report page (HTML, CSV, XLSX).",
	}
	// RevokeReport makes the previous report links stop working.
	RevokeReport = rpc.Method[CampaignRef, ShareLink]{
		Name: "campaign.revokeReport", Auth: auth.Admin, Errors: adminErrors,
		Summary: "Revoke the sponsor's report links and return a new one.",
	}
	// ListLeads pages through a campaign's leads.
	ListLeads = rpc.Method[ListLeadsParams, LeadPage]{
		Name: "lead.list", ReadOnly: true, Auth: auth.Admin, Idempotent: true, Errors: adminErrors,
		Summary: "A campaign's lead-form submissions, oldest first (CSV export: GET /apps/{app}/campaigns/{id}/leads.csv).",
	}

	// GetAppSettings reads an app's placement settings.
	GetAppSettings = rpc.Method[rpc.AppRef, AppSettings]{
		Name: "settings.get", ReadOnly: true, Auth: auth.Admin, Idempotent: true, Errors: adminErrors,
		Summary: "An app's placement settings: the organic posts per sponsored slot.",
	}
	// SetAppSettings changes an app's placement settings.
	SetAppSettings = rpc.Method[SetAppSettingsParams, AppSettings]{
		Name: "settings.set", Auth: auth.Admin, Idempotent: true, Errors: adminErrors,
		Summary: "Change an app's placement settings (every: 1 to 100 organic posts per sponsored slot).",
	}

	// Hide stops a campaign for the calling member for good.
	Hide = rpc.Method[HideParams, Empty]{
		Name: "sponsored.hide", Auth: auth.Member, Idempotent: true, Errors: memberErrors,
		Summary: "Hide a sponsored post, or say \"not interested\": the campaign is not shown to the caller again.",
	}
	// Click records a click on a card and returns where it goes.
	Click = rpc.Method[ImpressionParams, ClickResult]{
		Name: "sponsored.click", Auth: auth.Member, Idempotent: true, Errors: memberErrors,
		Summary: "Record a click on a sponsored item (once per impression) and return its link.",
	}
	// View confirms that a card was seen on screen.
	View = rpc.Method[ImpressionParams, Empty]{
		Name: "sponsored.view", Auth: auth.Member, Idempotent: true, Errors: memberErrors,
		Summary: "Confirm that a sponsored item was on screen (counted once per impression).",
	}
	// SubmitLead stores a lead form with the consent of a member the
	// campaign was shown to.
	SubmitLead = rpc.Method[SubmitLeadParams, Lead]{
		Name: "lead.submit", Auth: auth.Member, Idempotent: true, Errors: append(memberErrors, errs.CodeConflict),
		Summary: "Submit a campaign's lead form with the member's consent: only a member it was shown to; once per member and campaign.",
	}
)

// HTTP routes on sponsored's server.
const (
	// ClickPath + token: the signed click redirect (GET, public, 302).
	ClickPath = "/c/"
	// ReportPath + token: the sponsor's report page (GET, public);
	// ?format=csv or ?format=xlsx for the exports.
	ReportPath = "/r/"
)
