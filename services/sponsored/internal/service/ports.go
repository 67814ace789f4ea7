package service

import (
	"context"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/sponsored/placement"
)

// Campaigns stores campaigns (Postgres, the truth of states and budgets).
type Campaigns interface {
	// Create stores a new campaign.
	Create(ctx context.Context, c Campaign) error
	// Get reads a campaign of app; errs.NotFound when there is none.
	Get(ctx context.Context, app, id string) (Campaign, error)
	// List returns a page of q.App's campaigns, newest first (created_at,
	// then id, descending): those in q.State, or every one but the
	// archived when it is empty; at most q.Limit (above 0) of them, after
	// the campaign q.Cursor ends at, and Next when more follow. A cursor
	// that is not one of the listing (CampaignAfter), or names a campaign
	// the app does not have, is BadCampaignCursor.
	List(ctx context.Context, q CampaignQuery) (CampaignPage, error)
	// Update reads the campaign under a lock, lets change modify it, and
	// stores the result with a new version and UpdatedAt = now; a state
	// change is announced (EventCampaignState) in the same transaction.
	// An error from change stores nothing and is returned.
	Update(ctx context.Context, app, id string, now time.Time, change func(*Campaign) error) (Campaign, error)
	// Active lists the campaigns of every app that are scheduled, live or
	// paused, or that changed since since: what the publisher looks at.
	Active(ctx context.Context, since time.Time) ([]Campaign, error)
	// ActiveOf lists the same campaigns of one app, every one of them
	// (no page limit: a campaign left out would stop serving).
	ActiveOf(ctx context.Context, app string, since time.Time) ([]Campaign, error)
	// Hide records that member hid campaign (idempotent).
	Hide(ctx context.Context, h Hidden) error
	// Every is app's organic posts per sponsored slot, 0 when unset.
	Every(ctx context.Context, app string) (int, error)
	// SetEvery sets it.
	SetEvery(ctx context.Context, app string, every int, now time.Time) error
}

// Ledger counts what was served (Postgres): impressions, clicks, views and
// leads, deduplicated by impression id, with the budget's hard stop; and
// reads them back for reports and cap rebuilds.
type Ledger interface {
	// Count records the records of app's stream in one transaction. Each
	// impression, click and view is counted once whatever the number of
	// deliveries; an impression beyond its campaign's budget is stored
	// but not billable, and the campaign finishes when its budget is
	// reached. It returns the campaigns that finished, and the records of
	// clicks and views whose impression it does not hold (see Counted).
	Count(ctx context.Context, app string, recs []Record) (Counted, error)
	// Served reports whether the ledger holds an impression of campaign
	// shown to member in app.
	Served(ctx context.Context, app, campaign, member string) (bool, error)
	// CapWindows returns the members' cap counts of c at now (hour bucket
	// and day of now in the flight's zone), with their hides.
	CapWindows(ctx context.Context, c Campaign, now time.Time) ([]CapWindow, error)
	// Figures returns c's counts per day and its distinct reach.
	Figures(ctx context.Context, c Campaign) (Figures, error)
	// AddLead stores a lead unless the member sent one for the campaign;
	// it returns the stored one and whether it is new.
	AddLead(ctx context.Context, l Lead) (Lead, bool, error)
	// Leads returns a page of a campaign's leads.
	Leads(ctx context.Context, q LeadQuery) ([]Lead, error)
}

// Counted is what Ledger.Count made of a batch.
type Counted struct {
	// Finished are the campaigns whose budget the batch reached.
	Finished []string
	// Waiting are the ids of the batch's click and view records, of
	// campaigns of the app, that name an impression the ledger does not
	// hold: their impression may still wait in the stream (read by a
	// counter that died, or in a batch whose count failed), so they are
	// not counted now and may be counted again later.
	Waiting []string
}

// Board is sponsored's Redis: the eligibility and live counters the
// placement package reads, the members' hides, and the records of clicks
// and views.
type Board interface {
	// Published reports whether app's eligibility is in Redis.
	Published(ctx context.Context, app string) (bool, error)
	// Generation returns a number greater than every one it returned
	// before, in any process: a publication takes one before it reads the
	// campaigns it publishes.
	Generation(ctx context.Context) (int64, error)
	// Publish writes app's eligibility and live counters: for each
	// serving campaign its budget and pacing target, and its served count
	// when Redis has none; stopped lists campaigns to take out. With no
	// campaigns the eligibility is deleted. It writes nothing when app's
	// last publication has a generation of gen or above: a publication
	// that read the campaigns earlier never overwrites one that read them
	// later (a pause published at once, then a publisher round's older
	// read of the campaign still live).
	Publish(ctx context.Context, app string, gen int64, elig placement.Eligibility, live []Live, stopped []string) error
	// Served reports whether member's caps in app hold a flight count of
	// campaign: the cap script served it to them.
	Served(ctx context.Context, app, campaign, member string) (bool, error)
	// RestoreCaps writes members' cap windows that Redis lacks (never
	// lowering a count Redis holds) and their hides.
	RestoreCaps(ctx context.Context, app string, ws []CapWindow) error
	// Hide marks h.Campaign hidden for h.Member of h.App (the reason and
	// time are the ledger's).
	Hide(ctx context.Context, h Hidden) error
	// Append appends a click or view record to app's stream.
	Append(ctx context.Context, app string, r Record) error
}

// Live is a serving campaign's live counters.
type Live struct {
	Campaign string
	Budget   int64
	Pace     int64
	Counted  int64 // the served count to start from when Redis has none
}

// Inbox reads an app's record stream as a consumer group.
type Inbox interface {
	// Read returns up to n records of app not yet acknowledged: first
	// those another consumer left pending past the claim time, then new.
	Read(ctx context.Context, app string, n int) ([]Record, error)
	// Ack acknowledges and deletes records by id.
	Ack(ctx context.Context, app string, ids []string) error
}

// Access is hub's read model as sponsored needs it.
type Access interface {
	Authorize(ctx context.Context, c auth.Caller, app string) (hub.Membership, error)
}

var _ Access = (*hub.ReadModel)(nil)
