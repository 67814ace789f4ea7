package service

import (
	"math"
	"time"

	"github.com/attendify/analytics"
)

// Effects are what one new event changes in the live state: the live
// store applies them only when the event's key is new, so that a duplicate
// changes nothing.
type Effects struct {
	// Counts are added to the event's minute, hour and day counters of
	// each scope.
	Counts map[string]int64
	// Member and Install are added to the uniques of the event's minute,
	// hour and day of each scope, and mark them present at the event's time.
	Member  string
	Install string
	// Top are the "right now" lists the event adds weight to (TopPosts...),
	// with Heat, the decayed weight of one interaction at the event's time.
	Top  []TopHit
	Heat float64
	// Items are added to the day's item counts.
	Items []ItemCount
	// Points go to Member on the leaderboard unless PointsKey was already
	// scored in the same 30-second window (PointsWindow).
	Points       int64
	PointsKey    string
	PointsWindow int64
}

// TopHit adds weight to an item of a top list.
type TopHit struct {
	List string // analytics.TopPosts, TopSessions, TopSpeakers, TopSponsors
	ID   string
}

// HalfLife is how fast the "right now" top lists forget: an interaction
// weighs half as much after HalfLife.
const HalfLife = 10 * time.Minute

// PointsRepeat is the window in which a member's repeat of the same action
// on the same target earns no more points: windows are aligned on the
// clock (00-29 s, 30-59 s of each minute), so that the rule gives the same
// leaderboard whatever order the events arrive in, and when they are
// replayed from Postgres.
const PointsRepeat = 30 * time.Second

// Points per action (README: the leaderboard).
var Points = map[string]int64{
	analytics.TypeAppOpen:    1,
	analytics.TypeScreenView: 0,
	analytics.TypeTap:        1,
	KindPost:                 10,
	KindComment:              5,
	KindReaction:             2,
	KindImpression:           0,
	KindClick:                1,
}

// Heat is the weight of one interaction at t in the top list of t's day:
// 2^((t - day start) / HalfLife). Dividing a list's scores by Heat(now)
// gives each item's decayed count now.
func Heat(t time.Time) float64 {
	return math.Exp2(float64(t.Sub(Day(t))) / float64(HalfLife))
}

// EffectsOf derives an event's effects. It is the one place that says what
// each kind of event counts for.
func EffectsOf(e Event) Effects {
	fx := Effects{Counts: map[string]int64{}, Member: e.Member, Install: e.Install, Heat: Heat(e.At)}
	item := func(kind, id string) {
		if id != "" {
			fx.Items = append(fx.Items, ItemCount{Kind: kind, ID: id, N: 1})
		}
	}
	top := func(list, id string) {
		if id != "" {
			fx.Top = append(fx.Top, TopHit{List: list, ID: id})
		}
	}
	switch e.Kind {
	case analytics.TypeScreenView:
		fx.Counts[analytics.CountScreenViews] = 1
	case analytics.TypeAppOpen:
		fx.Counts[analytics.CountSessions] = 1
	case analytics.TypeAppClose:
		fx.Counts[analytics.CountSessionEnds] = 1
		if e.DurationMs > 0 {
			fx.Counts[analytics.CountSessionMs] = e.DurationMs
		}
	case analytics.TypeTap:
		fx.Counts[analytics.CountTaps] = 1
		switch e.TargetType {
		case analytics.TargetSession:
			top(analytics.TopSessions, e.TargetID)
			item(ItemSession, e.TargetID)
		case analytics.TargetSpeaker:
			top(analytics.TopSpeakers, e.TargetID)
			item(ItemSpeaker, e.TargetID)
		case analytics.TargetSponsor:
			top(analytics.TopSponsors, e.TargetID)
			item(ItemSponsor, e.TargetID)
		case analytics.TargetPost:
			top(analytics.TopPosts, e.TargetID)
			item(ItemPost, e.TargetID)
		}
	case analytics.TypeCustom:
		fx.Counts[analytics.CountCustom] = 1
	case KindJoined:
		fx.Counts[analytics.CountJoined] = 1
		fx.Member = "" // joining is not using the app
	case KindSignIn:
		fx.Counts[analytics.CountSignIns] = 1
	case KindPost:
		fx.Counts[analytics.CountPosts] = 1
		if e.Photos > 0 {
			fx.Counts[analytics.CountPhotos] = int64(e.Photos)
		}
		top(analytics.TopPosts, e.TargetID)
		item(ItemPost, e.TargetID)
	case KindComment:
		fx.Counts[analytics.CountComments] = 1
		top(analytics.TopPosts, e.TargetID)
		item(ItemPost, e.TargetID)
	case KindReaction:
		fx.Counts[analytics.CountReactions] = 1
		top(analytics.TopPosts, e.TargetID)
		item(ItemPost, e.TargetID)
	case KindImport:
		fx.Counts[analytics.CountImports] = 1
	case KindImpression:
		fx.Counts[analytics.CountImpressions] = 1
		item(ItemImpressions, e.TargetID)
	case KindClick:
		fx.Counts[analytics.CountClicks] = 1
		item(ItemClicks, e.TargetID)
	}
	if p := Points[e.Kind]; p > 0 && fx.Member != "" {
		fx.Points = p
		fx.PointsKey = fx.Member + "|" + e.Kind + "|" + e.TargetID
		fx.PointsWindow = e.At.UnixNano() / int64(PointsRepeat)
	}
	return fx
}
