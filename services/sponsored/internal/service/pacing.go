package service

import (
	"math"
	"time"

	"github.com/attendify/sponsored"
)

// Planned is the number of impressions the campaign's pacing plans by t:
// 0 until the flight starts, the budget after it, and in between the budget
// times the planned share of the time elapsed x: x (even), 1-(1-x)²
// (front-loaded), 1 (as fast as possible). Rounded up, so that each
// interval allows at least one impression once anything is due.
func Planned(c Campaign, t time.Time) int64 {
	if !t.After(c.Start) {
		return 0
	}
	if !t.Before(c.End) {
		return c.Budget
	}
	x := float64(t.Sub(c.Start)) / float64(c.End.Sub(c.Start))
	share := 1.0
	switch c.Pacing {
	case sponsored.PacingEven:
		share = x
	case sponsored.PacingFrontLoaded:
		share = 1 - (1-x)*(1-x)
	}
	return min(c.Budget, int64(math.Ceil(share*float64(c.Budget)-1e-9)))
}

// PaceTarget is the served count the campaign may reach in the pacing
// interval that holds now: what the plan allows by the interval's end.
func PaceTarget(c Campaign, now time.Time, interval time.Duration) int64 {
	if interval <= 0 {
		return Planned(c, now)
	}
	end := c.Start.Add(now.Sub(c.Start).Truncate(interval) + interval)
	return Planned(c, end)
}
