package sheet

import (
	"math"
	"strings"
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

// SerialText is the ISO 8601 text of a date, time or date-time cell of
// type t holding serial: "2025-10-02", "09:30" ("09:30:15" with seconds),
// "2025-10-02T09:30". ok is false for values no date has.
func SerialText(serial float64, date1904 bool, t CellType) (string, bool) {
	if t == Time && serial >= 0 && serial < 1 {
		date1904 = false // a time of day counts from no epoch
	}
	tm, ok := SerialTime(serial, date1904)
	if !ok {
		return "", false
	}
	clock := "15:04"
	if tm.Second() != 0 {
		clock = "15:04:05"
	}
	switch t {
	case Time:
		if serial >= 1 { // a duration past a day ([h]:mm): keep the date
			return tm.Format("2006-01-02T" + clock), true
		}
		return tm.Format(clock), true
	case DateTime:
		return tm.Format("2006-01-02T" + clock), true
	}
	return tm.Format("2006-01-02"), true
}

// ParseISO reads the text SerialText writes, with its type.
func ParseISO(s string) (time.Time, CellType, bool) {
	for _, l := range []struct {
		layout string
		t      CellType
	}{{"2006-01-02", Date}, {"2006-01-02T15:04", DateTime}, {"2006-01-02T15:04:05", DateTime}, {"15:04", Time}, {"15:04:05", Time}} {
		if len(s) == len(l.layout) {
			if tm, err := time.Parse(l.layout, s); err == nil {
				return tm, l.t, true
			}
		}
	}
	return time.Time{}, Text, false
}

// FormatType tells from a number format code whether the cells it formats
// are dates, times or both (Text: none of them): what is left of the
// first section once quoted text, escaped characters and bracketed
// colours and locales are removed holds d, y or m for a date, h or s for
// a time ([h], [mm] and [ss] are elapsed times).
func FormatType(code string) CellType {
	if i := strings.IndexByte(code, ';'); i >= 0 {
		code = code[:i]
	}
	var b strings.Builder
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 {
				i = len(code)
			} else {
				i += j + 1
			}
		case '\\', '_', '*':
			i++ // the next character is literal, or padding
		case '[':
			j := strings.IndexByte(code[i:], ']')
			if j < 0 {
				i = len(code)
				break
			}
			inner := strings.ToLower(code[i+1 : i+j])
			if strings.Trim(inner, "hms") == "" {
				b.WriteString(inner)
			}
			i += j
		default:
			b.WriteByte(c)
		}
	}
	f := strings.ToLower(b.String())
	if f == "general" || f == "@" {
		return Text
	}
	date := strings.ContainsAny(f, "dy")
	clock := strings.ContainsAny(f, "hs")
	if !date && !clock && strings.Contains(f, "m") {
		date = true // "mmm" alone: a month
	}
	switch {
	case date && clock:
		return DateTime
	case date:
		return Date
	case clock:
		return Time
	}
	return Text
}

// builtinFormatType is the type of the cells of a built-in number format
// (14-22 and 45-47, and the East Asian date formats 27-36 and 50-58).
func builtinFormatType(id int) CellType {
	switch {
	case id >= 14 && id <= 17, id >= 27 && id <= 31, id >= 34 && id <= 36, id >= 50 && id <= 58:
		return Date
	case id >= 18 && id <= 21, id >= 32 && id <= 33, id >= 45 && id <= 47:
		return Time
	case id == 22:
		return DateTime
	}
	return Text
}
