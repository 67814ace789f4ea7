package sponsored

import "time"

// Events sponsored publishes (topic "sponsored", stream events:{sponsored}),
// through its Postgres outbox: each is added in the transaction that counts
// what it announces, so an event exists if and only if the count does.
// Delivery is at least once: consumers (analytics) deduplicate by
// ImpressionID (or LeadID), which is also what sponsored counts by.
const (
	// EventImpressions: sponsored items were served in feed pages and
	// counted (ImpressionsPayload): one event per campaign and counted
	// batch, so that counting stays cheap under a busy feed.
	EventImpressions = "sponsored.impressions"
	// EventView: the app confirmed the item was on screen (ImpressionPayload).
	EventView = "sponsored.view"
	// EventClick: the member opened the item's link (ImpressionPayload).
	EventClick = "sponsored.click"
	// EventLead: the member submitted the lead form (LeadPayload).
	EventLead = "sponsored.lead"
	// EventCampaignState: a campaign changed state (CampaignStatePayload).
	EventCampaignState = "sponsored.campaign_state"
)

// ImpressionsPayload is the data of impressions events: a campaign's
// impressions counted together. The event's App is the app and its Subject
// the campaign.
type ImpressionsPayload struct {
	CampaignID  string              `json:"campaign_id"`
	Impressions []ImpressionPayload `json:"impressions"`
}

// ImpressionPayload is one impression of an impressions event, and the
// data of view and click events (whose Subject is the campaign).
type ImpressionPayload struct {
	ImpressionID string `json:"impression_id"`
	CampaignID   string `json:"campaign_id"`
	MemberID     string `json:"member_id"`
	// At is when it happened (served, viewed, clicked).
	At time.Time `json:"at"`
	// Internal marks organizers' and staff's own activity: counted apart,
	// left out of reports and budgets.
	Internal bool `json:"internal,omitempty"`
	// Billable (impressions only) is false for an impression counted after
	// the budget was spent (the Redis view's overshoot) and for internal
	// ones.
	Billable bool `json:"billable,omitempty"`
}

// LeadPayload is the data of lead events (no field values: those stay in
// sponsored, with the member's consent).
type LeadPayload struct {
	LeadID       string    `json:"lead_id"`
	ImpressionID string    `json:"impression_id"`
	CampaignID   string    `json:"campaign_id"`
	MemberID     string    `json:"member_id"`
	At           time.Time `json:"at"`
	Internal     bool      `json:"internal,omitempty"`
}

// CampaignStatePayload is the data of campaign_state events.
type CampaignStatePayload struct {
	CampaignID string    `json:"campaign_id"`
	From       string    `json:"from"`
	To         string    `json:"to"`
	At         time.Time `json:"at"`
}
