// Package analytics is the contract of the analytics service: real-time
// usage figures of an app for its organizers. It takes the apps' own
// tracking (track.batch, or POST /track for beacons) and the domain events
// hub and social publish, keeps live counters in Redis, folds them into
// Postgres rollups, and answers organizer queries, exports and a live
// dashboard page.
//
// Tracking is public: a member token (Authorization: Bearer) names the
// member, and an install without one is counted by its install id. Every
// query is admin-level: an organizer's token of the app addressed, checked
// against hub's read model on every call. README.md defines each metric.
package analytics

import (
	"time"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// Limits of the tracking API.
const (
	// MaxBatch is the most events one track.batch or POST /track carries.
	MaxBatch = 500
	// MaxProps is the most custom properties one event carries.
	MaxProps = 8
	// MaxPropText is the longest text property, in bytes.
	MaxPropText = 200
	// MaxFuture is how far past the server's clock an event may be (after
	// the batch's clock skew is corrected): later ones are clamped to now.
	MaxFuture = 5 * time.Minute
	// MaxPast is how old an event may be (after correction): older ones are
	// refused (reported in TrackResult.Refused), since the rollups of their
	// day are final by then.
	MaxPast = 72 * time.Hour
	// MaxSkew is the largest app clock error corrected: the events of a
	// batch whose sent_at is further from the server's clock are refused
	// (reported in TrackResult.Refused). The correction makes a batch sent
	// again unchanged (its old sent_at) look new, so the same batch can
	// be taken at most 2*MaxSkew apart: well within the 96 hours the live
	// state remembers an event's key (redisstore.Retention), so an event
	// is counted once however late it is sent again. A larger MaxSkew
	// needs the keys remembered as much longer.
	MaxSkew = 36 * time.Hour
)

// Types of the events an app sends.
const (
	TypeScreenView = "screen_view" // a screen was shown (Screen names it)
	TypeAppOpen    = "app_open"    // the app came to the foreground: starts a session
	TypeAppClose   = "app_close"   // the app went to the background: ends a session (DurationMs)
	TypeTap        = "tap"         // a tap on an agenda item, speaker, sponsor or link (Target)
	TypeCustom     = "custom"      // an app-defined event (Name, Props)
)

// Targets of a tap.
const (
	TargetSession = "session" // an agenda session
	TargetSpeaker = "speaker"
	TargetSponsor = "sponsor"
	TargetLink    = "link"
	TargetPost    = "post"
)

// Counters: the names of the per-minute counters a Bucket carries. The
// README defines each.
const (
	CountScreenViews = "screen_views"
	CountSessions    = "sessions" // app sessions started (app_open)
	CountSessionMs   = "session_ms"
	CountSessionEnds = "session_ends"
	CountTaps        = "taps"
	CountCustom      = "custom"
	CountJoined      = "members_joined"
	CountSignIns     = "sign_ins"
	CountPosts       = "posts"
	CountComments    = "comments"
	CountReactions   = "reactions"
	CountPhotos      = "photos"
	CountImports     = "imports"
	CountImpressions = "sponsored_impressions"
	CountClicks      = "sponsored_clicks"
)

// Counters lists every counter, in the order of exports.
var Counters = []string{
	CountScreenViews, CountSessions, CountSessionEnds, CountSessionMs, CountTaps, CountCustom,
	CountJoined, CountSignIns, CountPosts, CountComments, CountReactions, CountPhotos,
	CountImports, CountImpressions, CountClicks,
}

// Steps of a time series.
const (
	StepMinute = "minute"
	StepHour   = "hour"
	StepDay    = "day"
)

// Kinds of top lists.
const (
	TopPosts    = "posts"
	TopSessions = "sessions"
	TopSpeakers = "speakers"
	TopSponsors = "sponsors"
)

// Plain HTTP routes.
const (
	// RouteTrack takes a TrackParams body (JSON) and answers a TrackResult:
	// for apps that send beacons (navigator.sendBeacon cannot call JSON-RPC
	// conveniently). The member token, if any, is the Authorization header.
	RouteTrack = "POST /track"
	// RouteExport answers a CSV or XLSX file of a report (Report*) of a
	// range given as query parameters (app_id, event_id, from, to, step,
	// format, report), for an organizer's bearer token or a dashboard
	// link's token (?t=).
	RouteExport = "GET /export"
	// RouteDashboard is the live dashboard page of an app; it signs in
	// with a dashboard link's token (?t=) or an organizer token kept by
	// the page.
	RouteDashboard = "GET /dashboard/{app}"
)

// ---------------------------------------------------------------------------
// Wire types.

// TrackParams is one batch of an install's events.
type TrackParams struct {
	rpc.AppRef
	// Install identifies the app installation (a random id the app makes
	// once); it counts anonymous use and keys the deduplication.
	Install string `json:"install_id" jsonschema:"minLength=8,maxLength=64,pattern=^[A-Za-z0-9_-]+$"`
	// SentAt is the app's clock when it sent the batch (set again at each
	// sending, retries included): the difference to the server's clock
	// corrects every event's At. A batch further than 36 hours off
	// (MaxSkew) has its events refused.
	SentAt time.Time    `json:"sent_at"`
	Events []TrackEvent `json:"events" jsonschema:"minItems=1,maxItems=500"`
}

// TrackEvent is one thing that happened in the app.
type TrackEvent struct {
	// ID is the app's id of the event, unique within the install: a batch
	// sent again (after a lost answer) is counted once.
	ID   string `json:"id" jsonschema:"minLength=1,maxLength=64"`
	Type string `json:"type" jsonschema:"enum=screen_view,enum=app_open,enum=app_close,enum=tap,enum=custom"`
	// At is the app's clock when it happened.
	At time.Time `json:"at"`
	// Event is the conference event the screen belongs to, if any.
	Event string `json:"event_id,omitempty" jsonschema:"maxLength=64"`
	// Session is the app session (from app_open to app_close).
	Session string `json:"session_id,omitempty" jsonschema:"maxLength=64"`
	// Screen names the screen (screen_view; where a tap happened).
	Screen string `json:"screen,omitempty" jsonschema:"maxLength=64"`
	// TargetType and TargetID name what was tapped (tap).
	TargetType string `json:"target_type,omitempty" jsonschema:"enum=,enum=session,enum=speaker,enum=sponsor,enum=link,enum=post"`
	TargetID   string `json:"target_id,omitempty" jsonschema:"maxLength=256"`
	// DurationMs is how long the session lasted (app_close).
	DurationMs int64 `json:"duration_ms,omitempty" jsonschema:"minimum=0,maximum=86400000"`
	// Name names a custom event: lower-case letters, digits, '_' and '.'.
	Name string `json:"name,omitempty" jsonschema:"maxLength=40"`
	// Props are a custom event's properties: at most 8, each a string of
	// at most 200 bytes, a number or a boolean.
	Props map[string]any `json:"props,omitempty" jsonschema:"maxProperties=8"`
}

// TrackResult says what became of a batch.
type TrackResult struct {
	Accepted   int `json:"accepted"`   // new events, counted
	Duplicates int `json:"duplicates"` // seen before (same install and id), not counted again
	// Refused lists the events not taken, by index in the batch, with why.
	Refused []Refusal `json:"refused,omitempty"`
	// Clamped counts events stamped in the future and moved to now.
	Clamped int `json:"clamped,omitempty"`
	// SkewMs is the correction applied to the app's clock (server minus
	// app), in milliseconds.
	SkewMs int64 `json:"skew_ms"`
}

// Refusal is one refused event of a batch.
type Refusal struct {
	Index  int    `json:"index"`
	Reason string `json:"reason"`
}

// AppParams address an app.
type AppParams struct {
	rpc.AppRef
}

// RangeParams address a time range of an app, or of one of its events.
type RangeParams struct {
	rpc.AppRef
	Event string `json:"event_id,omitempty" jsonschema:"maxLength=64"`
	// From and To bound the range, [From, To); they are truncated to the
	// step. At most 400 days, and at most 48 hours by the minute.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Step is the series' resolution; empty picks minute up to 3 hours,
	// hour up to 7 days, day beyond.
	Step string `json:"step,omitempty" jsonschema:"enum=,enum=minute,enum=hour,enum=day"`
}

// Bucket is one step of a series.
type Bucket struct {
	Start time.Time `json:"start"`
	// Counts has a value for each name of Counters that is not zero.
	Counts map[string]int64 `json:"counts"`
	// Members and Installs are the unique active members and installs of
	// the bucket (HyperLogLog estimates, exact below a few hundred).
	Members  int64 `json:"members"`
	Installs int64 `json:"installs"`
}

// Series is a range's time series and totals.
type Series struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Step    string    `json:"step"`
	Buckets []Bucket  `json:"buckets"`
	// Totals sums each counter over the range.
	Totals map[string]int64 `json:"totals"`
}

// LiveParams address an app's live state.
type LiveParams struct {
	rpc.AppRef
	Event string `json:"event_id,omitempty" jsonschema:"maxLength=64"`
	// Minutes is how many past minutes the series holds (default 60).
	Minutes int `json:"minutes,omitempty" jsonschema:"minimum=0,maximum=240"`
}

// Live is an app's state right now: what the dashboard shows.
type Live struct {
	At time.Time `json:"at"`
	// LiveMembers are the members seen in the last 5 minutes; LiveInstalls
	// the installs (signed in or not).
	LiveMembers  int64 `json:"live_members"`
	LiveInstalls int64 `json:"live_installs"`
	// Today is the current UTC day so far; Minutes the last minutes.
	Today   Bucket   `json:"today"`
	Minutes []Bucket `json:"minutes"`
	// Top lists what is popular right now (scores decay by half every 10
	// minutes).
	Top         map[string][]Item `json:"top"`
	Leaderboard []Item            `json:"leaderboard"`
	// Version changes whenever anything above does (the page's ETag).
	Version string `json:"version"`
}

// Item is an entry of a top list or the leaderboard.
type Item struct {
	ID    string  `json:"id"`
	Score float64 `json:"score"`
	// Label is what people call it, when analytics knows (a member's name
	// on the leaderboard).
	Label string `json:"label,omitempty"`
}

// TopParams ask for a top list over a range of days.
type TopParams struct {
	RangeParams
	Kind  string `json:"kind" jsonschema:"enum=posts,enum=sessions,enum=speakers,enum=sponsors"`
	Limit int    `json:"limit,omitempty" jsonschema:"minimum=0,maximum=100"`
}

// TopList is the most interacted-with items of a kind over a range (by
// day: From and To are taken to whole UTC days).
type TopList struct {
	Kind  string `json:"kind"`
	Items []Item `json:"items"`
}

// LeaderboardParams ask for the engagement leaderboard.
type LeaderboardParams struct {
	rpc.AppRef
	Limit int `json:"limit,omitempty" jsonschema:"minimum=0,maximum=100"`
}

// Leaderboard ranks members by engagement points (README: points).
type Leaderboard struct {
	Items []Item `json:"items"`
}

// AdoptionDay is one day of adoption.
type AdoptionDay struct {
	Day time.Time `json:"day"`
	// Registered is the members the app had at the end of the day; Opened
	// those of them that had opened the app by then; Active those active
	// that day.
	Registered int64 `json:"registered"`
	Opened     int64 `json:"opened"`
	Active     int64 `json:"active"`
}

// Adoption is the share of an app's members who use it, by day.
type Adoption struct {
	Days []AdoptionDay `json:"days"`
}

// SponsoredItem is one sponsor's or campaign's figures over a range.
type SponsoredItem struct {
	ID          string  `json:"id"`
	Impressions int64   `json:"impressions"`
	Clicks      int64   `json:"clicks"`
	CTR         float64 `json:"ctr"`
}

// Sponsored is the sponsored posts' and sponsors' performance.
type Sponsored struct {
	Campaigns []SponsoredItem `json:"campaigns"`
	// SponsorTaps counts taps on each sponsor in the app.
	SponsorTaps []Item `json:"sponsor_taps"`
}

// DashboardLink is a signed link to an app's dashboard. It names the
// organizer who asked for it and works, until it expires, while they may
// see the app's analytics: removing them, changing their role to one
// without analytics, or revoking their tokens (a sign-out) ends it.
type DashboardLink struct {
	URL     string    `json:"url"`
	Token   string    `json:"token"`
	Expires time.Time `json:"expires"`
}

// DashboardLinkParams ask for a dashboard link.
type DashboardLinkParams struct {
	rpc.AppRef
	// TTLHours is how long the link works (default 24, at most 720).
	TTLHours int `json:"ttl_hours,omitempty" jsonschema:"minimum=0,maximum=720"`
}

// RebuildParams ask for the real-time state to be rebuilt from the raw
// events in Postgres.
type RebuildParams struct {
	// App limits the rebuild to one app; empty rebuilds every app.
	App string `json:"app_id,omitempty" jsonschema:"maxLength=64"`
	// Days is how many UTC days back, today included (default 4: the
	// accepted past of late events, MaxPast, and today).
	Days int `json:"days,omitempty" jsonschema:"minimum=0,maximum=30"`
	// Reset deletes the apps' live state first (else events the live
	// state still holds are skipped by their dedupe marks).
	Reset bool `json:"reset,omitempty"`
}

// RebuildResult says what a rebuild did.
type RebuildResult struct {
	Events int `json:"events"` // raw events replayed
	Apps   int `json:"apps"`
}

// FoldParams ask for the rollups of the minutes waiting to be folded.
type FoldParams struct {
	// All folds every waiting minute, even those touched in the last few
	// seconds (tests, and operators before a planned Redis restart).
	All bool `json:"all,omitempty"`
}

// FoldResult says what a fold did.
type FoldResult struct {
	Minutes int `json:"minutes"` // minute buckets written
}

// Export formats.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
)

// Export reports (the report parameter of GET /export).
const (
	ReportSeries      = "series"      // a row per bucket: start, members, installs, every counter
	ReportAdoption    = "adoption"    // a row per day: registered, opened, active
	ReportTop         = "top"         // the top 100 posts, sessions, speakers and sponsors over the range's days
	ReportLeaderboard = "leaderboard" // the top 100 members: rank, id, name, points
	ReportSponsored   = "sponsored"   // campaigns' impressions and clicks, sponsors' taps
	ReportAll         = "all"         // every report, a sheet each (xlsx only)
)

// Reports lists the reports of ReportAll, in its sheets' order.
var Reports = []string{ReportSeries, ReportAdoption, ReportTop, ReportLeaderboard, ReportSponsored}

// ---------------------------------------------------------------------------
// Methods.

var (
	// Track records a batch of an install's events.
	Track = rpc.Method[TrackParams, TrackResult]{
		Name: "track.batch", Auth: auth.Public, Idempotent: true,
		Summary: "Record up to 500 events of one install; a member token names the member.",
		Errors:  []errs.Code{errs.CodeInvalid, errs.CodeNotFound, errs.CodeForbidden, errs.CodeTokenWrongApp, errs.CodeRateLimited, errs.CodeUnavailable},
	}
	// GetSeries is the time series and totals of a range.
	GetSeries = rpc.Method[RangeParams, Series]{
		Name: "stats.series", ReadOnly: true, Auth: auth.Admin, Idempotent: true,
		Summary: "Engagement over time: counters and unique members and installs by minute, hour or day.",
		Errors:  []errs.Code{errs.CodeInvalid, errs.CodeForbidden},
	}
	// GetLive is the app's state right now.
	GetLive = rpc.Method[LiveParams, Live]{
		Name: "stats.live", ReadOnly: true, Auth: auth.Admin, Idempotent: true,
		Summary: "Live members, today's figures, the last minutes, what is popular now, the leaderboard.",
		Errors:  []errs.Code{errs.CodeForbidden},
	}
	// GetAdoption is members who opened the app over registered, by day.
	GetAdoption = rpc.Method[RangeParams, Adoption]{
		Name: "stats.adoption", ReadOnly: true, Auth: auth.Admin, Idempotent: true,
		Summary: "Registered members, those who opened the app, and active members, by day.",
		Errors:  []errs.Code{errs.CodeInvalid, errs.CodeForbidden},
	}
	// GetTop is the top content of a range.
	GetTop = rpc.Method[TopParams, TopList]{
		Name: "stats.top", ReadOnly: true, Auth: auth.Admin, Idempotent: true,
		Summary: "The posts, sessions, speakers or sponsors with the most interactions over whole days.",
		Errors:  []errs.Code{errs.CodeInvalid, errs.CodeForbidden},
	}
	// GetLeaderboard is the engagement leaderboard.
	GetLeaderboard = rpc.Method[LeaderboardParams, Leaderboard]{
		Name: "stats.leaderboard", ReadOnly: true, Auth: auth.Admin, Idempotent: true,
		Summary: "Members ranked by engagement points.",
		Errors:  []errs.Code{errs.CodeForbidden},
	}
	// GetSponsored is the sponsored performance of a range.
	GetSponsored = rpc.Method[RangeParams, Sponsored]{
		Name: "stats.sponsored", ReadOnly: true, Auth: auth.Admin, Idempotent: true,
		Summary: "Impressions, clicks and click-through of sponsored campaigns; taps on sponsors.",
		Errors:  []errs.Code{errs.CodeInvalid, errs.CodeForbidden},
	}
	// NewDashboardLink signs a link to the app's live dashboard.
	NewDashboardLink = rpc.Method[DashboardLinkParams, DashboardLink]{
		Name: "dashboard.link", Auth: auth.Admin,
		Summary: "A signed link that opens the app's live dashboard without signing in, for as long as the organizer who asks for it may see the app's analytics.",
		Errors:  []errs.Code{errs.CodeForbidden},
	}
	// Rebuild rebuilds the real-time state from the raw events.
	Rebuild = rpc.Method[RebuildParams, RebuildResult]{
		Name: "admin.rebuild", Auth: auth.Service, Timeout: 5 * time.Minute,
		Summary: "Rebuild Redis' real-time state (uniques, counters, top lists, leaderboard) from the raw events in Postgres.",
	}
	// Fold writes the rollups of the minutes waiting to be folded.
	Fold = rpc.Method[FoldParams, FoldResult]{
		Name: "admin.fold", Auth: auth.Service, Timeout: 5 * time.Minute, Idempotent: true,
		Summary: "Fold the waiting Redis minutes into the Postgres rollups now.",
	}
)

// Methods lists every method, for documentation.
var Methods = []string{
	Track.Name, GetSeries.Name, GetLive.Name, GetAdoption.Name, GetTop.Name,
	GetLeaderboard.Name, GetSponsored.Name, NewDashboardLink.Name, Rebuild.Name, Fold.Name,
}

// ---------------------------------------------------------------------------
// Events analytics consumes from other services, beyond hub's and social's
// (whose names are in their own packages).

// The importer's events (topic "import") and hub's sign-in event, as
// analytics reads them when their services publish them.
const (
	EventImportCommitted = "import.committed" // Subject: the import id
	EventMemberSignedIn  = "member.signed_in" // Subject: the member id
)
