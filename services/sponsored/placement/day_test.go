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

// TestDayWhereMidnightIsSkipped: in a zone whose daylight saving time
// starts at midnight (Chile: 2026-09-06 starts at 01:00 -03), the cached
// day spans the day's real instants, so that an instant of the evening
// before, asked after one of the new day, is still the evening's day.
func TestDayWhereMidnightIsSkipped(t *testing.T) {
	for _, zone := range []string{"America/Santiago", "Asia/Beirut", "America/Havana", "Africa/Cairo"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		p := &Placer{}
		// Every 10 minutes of 2026, each asked after the instant an hour later.
		for now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC); now.Year() == 2026; now = now.Add(10 * time.Minute) {
			for _, at := range []time.Time{now.Add(time.Hour), now} {
				if got, want := p.day(zone, at), at.In(loc).Format(time.DateOnly); got != want {
					t.Fatalf("%s at %s: day %s, want %s", zone, at.In(loc), got, want)
				}
			}
		}
	}
}
