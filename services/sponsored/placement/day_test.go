package placement

import (
	"testing"
	"time"
)

// TestDayFollowsTheClock: the cached day of a zone is the calendar day of
// any instant asked, forwards, backwards and across DST changes.
func TestDayFollowsTheClock(t *testing.T) {
	p := &Placer{}
	start := time.Date(2026, 3, 28, 20, 0, 0, 0, time.UTC) // Europe's DST change the next night
	steps := []time.Duration{0, time.Hour, 3 * time.Hour, 30 * time.Minute, -5 * time.Hour, 26 * time.Hour, -48 * time.Hour, time.Nanosecond, 7 * time.Hour}
	for _, zone := range []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Kathmandu", "Not/AZone"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			loc = time.UTC
		}
		now := start
		for i := 0; i < 200; i++ {
			now = now.Add(steps[i%len(steps)] + time.Duration(i)*7*time.Minute)
			if got, want := p.day(zone, now), now.In(loc).Format(time.DateOnly); got != want {
				t.Fatalf("%s at %s: day %s, want %s", zone, now, got, want)
			}
		}
	}
}
