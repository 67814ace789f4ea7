package sheet

import (
	"math"
	"time"
)

// SerialTime converts an Excel serial date (days since 1899-12-30, or
// since 1904-01-01 in the 1904 date system; the fraction is the time of
// day) to a wall-clock time, rounded to the second. ok is false for values
// no spreadsheet date has (before 1900 or after 9999).
func SerialTime(serial float64, date1904 bool) (t time.Time, ok bool) {
	if math.IsNaN(serial) || serial < 0 || serial > 2_958_465 {
		return time.Time{}, false
	}
	epoch := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	if date1904 {
		epoch = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	days := math.Floor(serial)
	secs := math.Round((serial - days) * 86400)
	return epoch.AddDate(0, 0, int(days)).Add(time.Duration(secs) * time.Second), true
}
