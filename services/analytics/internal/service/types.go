// Package service is analytics' domain: it validates and corrects what the
// apps send, turns app and service events into their effects on the
// counters (Effects), folds the live counters into rollups, and answers the
// organizers' queries, all on plain Go types through the narrow ports of
// ports.go.
package service

import (
	"strings"
	"time"
)

// Source of an event.
const (
	SourceApp     = "app"     // sent by an app (track.batch, POST /track)
	SourceService = "service" // a domain event of another service
)

// Kinds of events, beyond the app's own types (analytics.Type*).
const (
	KindJoined     = "member_joined"
	KindSignIn     = "sign_in"
	KindPost       = "post"
	KindComment    = "comment"
	KindReaction   = "reaction"
	KindImport     = "import"
	KindImpression = "sponsored_impression"
	KindClick      = "sponsored_click"
)

// Event is one fact analytics counts, from an app or a service. Key is
// unique per app: "a:<install>:<app's id>" for app events, "s:<event id>"
// for service events; a second event with the same key is a duplicate.
type Event struct {
	App     string
	Key     string
	Source  string
	Kind    string
	At      time.Time // corrected to the server's clock
	Member  string    // empty for anonymous installs
	Install string    // empty for service events
	EventID string    // the conference event, if any
	Session string
	Screen  string
	// TargetType and TargetID name what the event is about: a tapped
	// item, a post commented on, a sponsored campaign.
	TargetType string
	TargetID   string
	Name       string
	DurationMs int64
	Photos     int
	Props      map[string]any
}

// Minute is t truncated to its UTC minute.
func Minute(t time.Time) time.Time { return t.UTC().Truncate(time.Minute) }

// Hour is t truncated to its UTC hour.
func Hour(t time.Time) time.Time { return t.UTC().Truncate(time.Hour) }

// Day is the start of t's UTC day.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Level is the resolution of a bucket.
type Level string

// The levels, as analytics.Step* names them.
const (
	LevelMinute Level = "minute"
	LevelHour   Level = "hour"
	LevelDay    Level = "day"
)

// Trunc truncates t to the level.
func (l Level) Trunc(t time.Time) time.Time {
	switch l {
	case LevelMinute:
		return Minute(t)
	case LevelHour:
		return Hour(t)
	}
	return Day(t)
}

// Next is the start of the bucket after the one starting at t.
func (l Level) Next(t time.Time) time.Time {
	switch l {
	case LevelMinute:
		return t.Add(time.Minute)
	case LevelHour:
		return t.Add(time.Hour)
	}
	return t.AddDate(0, 0, 1)
}

// Levels are every level, finest first.
var Levels = []Level{LevelMinute, LevelHour, LevelDay}

// AllScope is the scope of app-wide figures; an event's id is the scope of
// its own.
const AllScope = "all"

// Scopes are the scopes an event counts in: the app, and its conference
// event when it names one.
func (e Event) Scopes() []string {
	if e.EventID == "" || e.EventID == AllScope {
		return []string{AllScope}
	}
	return []string{AllScope, e.EventID}
}

// Figures are one bucket's numbers.
type Figures struct {
	Counts   map[string]int64
	Members  int64
	Installs int64
}

// Empty reports whether the figures hold nothing.
func (f Figures) Empty() bool {
	for _, n := range f.Counts {
		if n != 0 {
			return false
		}
	}
	return f.Members == 0 && f.Installs == 0
}

// BucketRef names one bucket of an app.
type BucketRef struct {
	Scope string
	Level Level
	Start time.Time
}

// Row is one rollup row: a bucket's figures as folded.
type Row struct {
	App string
	BucketRef
	Figures
}

// ItemCount is how many interactions an item had on a day.
type ItemCount struct {
	Kind string // an item kind (ItemPost, ItemSession...)
	ID   string
	N    int64
}

// Item kinds counted per day (for top lists and sponsored figures).
const (
	ItemPost        = "post"
	ItemSession     = "session"
	ItemSpeaker     = "speaker"
	ItemSponsor     = "sponsor"
	ItemImpressions = "campaign_impressions"
	ItemClicks      = "campaign_clicks"
)

// itemField is how an item is named inside a day's item counts.
func itemField(kind, id string) string { return kind + "|" + id }

// ParseItemField splits an item field back into kind and id.
func ParseItemField(f string) (kind, id string, ok bool) {
	return strings.Cut(f, "|")
}

// ItemField names an item inside a day's item counts ("kind|id").
func ItemField(kind, id string) string { return itemField(kind, id) }
