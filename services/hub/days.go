package hub

import "time"

// DayStart is the first instant of the calendar day y-m-d (d may run past
// the month's end) in loc: its midnight or, where the zone skips midnight
// (daylight saving time that starts at 00:00, as in Chile, Lebanon or
// Cuba), the instant the day starts at. time.Date puts such a midnight on
// the evening before (2026-09-06 00:00 in America/Santiago is 23:00 on
// the 5th), so a day from time.Date to time.Date of the next would take
// in the evening before's last hour, and a walk from day to day would
// meet one day twice.
func DayStart(y int, m time.Month, d int, loc *time.Location) time.Time {
	y, m, d = time.Date(y, m, d, 12, 0, 0, 0, time.UTC).Date()
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	if ty, tm, td := t.Date(); ty != y || tm != m || td != d {
		_, end := t.ZoneBounds() // the evening's zone ends where the day starts
		t = end
	}
	return t
}
