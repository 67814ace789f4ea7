package placement

import (
	"time"

	"github.com/attendify/sponsored"
)

// Eligibility is what may serve in an app now, as sponsored publishes it
// (key Keys.Eligibility). Budget and pacing are not in it: they are the
// live counters the cap script checks (Keys.Live), so that a campaign stops
// at once when they say so, whatever copy of this document a replica holds.
type Eligibility struct {
	// Version is when sponsored built it (Unix nanoseconds).
	Version int64 `json:"v"`
	// Every is the app's organic posts per sponsored slot.
	Every     int     `json:"every"`
	Campaigns []Entry `json:"campaigns"`
}

// Entry is one campaign that may serve now.
type Entry struct {
	ID        string              `json:"id"`
	Weight    int                 `json:"weight"`
	TimeZone  string              `json:"tz"`
	End       time.Time           `json:"end"`
	Targeting sponsored.Targeting `json:"targeting"`
	Caps      sponsored.Caps      `json:"caps"`
	Sponsor   sponsored.Sponsor   `json:"sponsor"`
	Text      string              `json:"text"`
	Photos    []string            `json:"photos"`
	CTA       sponsored.CTA       `json:"cta"`
}
