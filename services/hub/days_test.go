package hub_test

import (
	"testing"
	"time"

	"github.com/attendify/hub"
)

// TestDayStart: each day of 2026 starts on its own date, at midnight or,
// in zones whose daylight saving time starts at midnight, at the first
// instant the day has; and one day ends where the next starts.
func TestDayStart(t *testing.T) {
	for _, zone := range []string{"UTC", "Europe/Paris", "America/Santiago", "Asia/Beirut", "America/Havana", "Australia/Lord_Howe", "Asia/Kolkata"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		for d := 1; d <= 365; d++ {
			start := hub.DayStart(2026, time.January, d, loc)
			want := time.Date(2026, time.January, d, 12, 0, 0, 0, time.UTC).Format(time.DateOnly)
			if got := start.In(loc).Format(time.DateOnly); got != want {
				t.Fatalf("%s: day %s starts at %s, on another date", zone, want, start.In(loc))
			}
			if h, m, _ := start.In(loc).Clock(); h > 1 || m != 0 && h != 0 {
				t.Fatalf("%s: day %s starts at %s", zone, want, start.In(loc))
			}
			if before := start.Add(-time.Second).In(loc).Format(time.DateOnly); before == want {
				t.Fatalf("%s: the second before day %s's start (%s) is on the same date", zone, want, start.In(loc))
			}
		}
	}
	santiago, _ := time.LoadLocation("America/Santiago")
	if got := hub.DayStart(2026, time.September, 6, santiago).In(santiago).Format("2006-01-02 15:04"); got != "2026-09-06 01:00" {
		t.Errorf("2026-09-06 in Santiago starts at %s, want 01:00 (clocks go from 00:00 to 01:00)", got)
	}
}
