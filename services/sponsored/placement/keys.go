package placement

import (
	"github.com/attendify/platform/redisx"
)

// Keys names sponsored's Redis keys. Every key of an app carries the hash
// tag {app:<id>}, so that the cap script, which touches the app's live
// counters, one member's caps and the app's record stream, stays in one
// Redis Cluster slot:
//
//	sponsored:{app:<id>}:elig        string: the app's Eligibility (JSON); written by sponsored
//	sponsored:{app:<id>}:live        hash: per campaign <c>:b budget, <c>:p pacing target
//	                                 (both written by sponsored), <c>:s served (charged by the script)
//	sponsored:{app:<id>}:m:<member>  hash: one member's caps per campaign (<c>:h hour, <c>:hc,
//	                                 <c>:d day, <c>:dc, <c>:f flight count, <c>:x hidden);
//	                                 charged by the script, <c>:x set by sponsored
//	sponsored:{app:<id>}:rec         stream: impression, click and view records, appended by
//	                                 the script (impressions) and by sponsored (clicks, views),
//	                                 read and deleted by sponsored's counter
//	sponsored:pubgen                 integer: the last publication generation given (Redis'
//	                                 clock in µs, or the last plus one); in the live hash,
//	                                 field "gen": that of the app's publication
type Keys struct{ k redisx.Keys }

// NewKeys returns the key names under namespace (empty in production).
func NewKeys(namespace string) Keys { return Keys{k: redisx.NewKeys(namespace, "sponsored")} }

func tag(app string) string { return "app:" + app }

// Eligibility is the key of an app's eligibility document.
func (k Keys) Eligibility(app string) string { return k.k.Tagged(tag(app), "elig") }

// Live is the key of an app's live counters.
func (k Keys) Live(app string) string { return k.k.Tagged(tag(app), "live") }

// Member is the key of one member's caps in an app.
func (k Keys) Member(app, member string) string { return k.k.Tagged(tag(app), "m", member) }

// MemberPrefix starts the key of every member's caps in an app (for
// rebuilds and tests).
func (k Keys) MemberPrefix(app string) string { return k.k.Tagged(tag(app), "m") + ":" }

// Generations is the key of the publication generation counter, one for
// every app (untagged: a script of its own touches it, alone).
func (k Keys) Generations() string { return k.k.Key("pubgen") }

// GenerationField is the field of the live hash that holds the generation
// of the app's publication.
const GenerationField = "gen"

// Records is the key of an app's record stream.
func (k Keys) Records(app string) string { return k.k.Tagged(tag(app), "rec") }

// Field names of the live and member hashes, per campaign c.
func budgetField(c string) string { return c + ":b" }
func paceField(c string) string   { return c + ":p" }
func servedField(c string) string { return c + ":s" }

// BudgetField, PaceField and ServedField name a campaign's live counters.
func BudgetField(c string) string { return budgetField(c) }

// PaceField is the field of a campaign's pacing target in the live hash.
func PaceField(c string) string { return paceField(c) }

// ServedField is the field of a campaign's served count in the live hash.
func ServedField(c string) string { return servedField(c) }

// Member hash fields of campaign c.
func HourField(c string) string        { return c + ":h" }
func HourCountField(c string) string   { return c + ":hc" }
func DayField(c string) string         { return c + ":d" }
func DayCountField(c string) string    { return c + ":dc" }
func FlightCountField(c string) string { return c + ":f" }
func HiddenField(c string) string      { return c + ":x" }

// Record stream fields.
const (
	RecKind     = "k" // RecordImpression, RecordClick, RecordView
	RecMember   = "m"
	RecTime     = "t" // Unix milliseconds
	RecInternal = "n" // "1" for organizers' and staff's own activity
	RecItems    = "i" // "<campaign> <impression> <campaign> <impression>..."
)

// Record kinds.
const (
	RecordImpression = "imp"
	RecordClick      = "click"
	RecordView       = "view"
)

// HourBucket is the clock hour of t (Unix hours), the window of hourly caps.
func HourBucket(unixSeconds int64) string { return itoa(unixSeconds / 3600) }
