package validate

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/attendify/importer/internal/mapping"
	"github.com/attendify/importer/internal/sheet"
)

// Email checks an email address (one address, a domain with a dot) and
// returns it as written, without spaces around or a mailto: prefix.
// Addresses are compared case-insensitively: see EmailKey.
func Email(s string) (string, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "mailto:"), "MAILTO:")
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return "", errors.New("not an email address")
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return "", errors.New("not an email address: the domain has no dot")
	}
	return s, nil
}

// EmailKey is the form in which addresses are compared: lower case.
func EmailKey(email string) string { return strings.ToLower(email) }

// Phone checks a phone number loosely (digits with spaces, dots, hyphens,
// parentheses and a leading + or 00; 6 to 15 digits) and returns it as
// written (trimmed). Hub derives its E.164 form (hub.PhoneE164) when it
// stores it: parsing a number for it costs more than reading a row.
func Phone(s string) (string, error) {
	s = strings.TrimSpace(s)
	var b strings.Builder
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
			digits++
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-' || r == '(' || r == ')' || r == '/' || r == '\u00a0':
		default:
			return "", errors.New("not a phone number")
		}
	}
	if digits < 6 || digits > 15 {
		return "", fmt.Errorf("not a phone number: %d digits", digits)
	}
	return s, nil
}

// URL checks an http(s) URL; a bare domain gets https://.
func URL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "://") && strings.Contains(s, ".") && !strings.ContainsAny(s, " @") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(s, " \t") {
		return "", errors.New("not a web address (http:// or https://)")
	}
	return u.String(), nil
}

var boolWords = map[string]bool{
	"yes": true, "y": true, "true": true, "1": true, "x": true, "oui": true, "o": true, "vrai": true, "si": true, "sí": true, "ja": true, "j": true, "✓": true, "✔": true,
	"no": false, "n": false, "false": false, "0": false, "non": false, "faux": false, "nein": false, "-": false,
}

// Bool reads the many ways a spreadsheet says yes or no.
func Bool(s string) (bool, error) {
	v, ok := boolWords[strings.ToLower(strings.TrimSpace(s))]
	if !ok {
		return false, errors.New("not yes or no")
	}
	return v, nil
}

var roleWords = map[string]string{
	"attendee": "attendee", "participant": "attendee", "visitor": "attendee", "visiteur": "attendee", "guest": "attendee", "delegate": "attendee", "inscrit": "attendee",
	"speaker": "speaker", "intervenant": "speaker", "orateur": "speaker", "presenter": "speaker", "conferencier": "speaker",
	"sponsor": "sponsor", "partner": "sponsor", "partenaire": "sponsor", "exhibitor": "sponsor", "exposant": "sponsor",
	"staff": "staff", "organizer": "staff", "organiser": "staff", "organisateur": "staff", "team": "staff", "equipe": "staff", "volunteer": "staff", "benevole": "staff",
}

// Role reads a member role (attendee, speaker, sponsor, staff) or one of
// its synonyms.
func Role(s string) (string, error) {
	if r, ok := roleWords[mapping.Fold(s)]; ok {
		return r, nil
	}
	return "", errors.New("not a role: want attendee, speaker, sponsor or staff")
}

// Length checks a text's length in characters.
func Length(s string, max int) error {
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Errorf("too long: %d characters, at most %d", n, max)
	}
	return nil
}

// DateOrder says how to read an ambiguous numeric date like 03/04/2025.
type DateOrder string

// The orders.
const (
	DMY DateOrder = "DMY" // 03/04/2025 is 3 April (Europe, most of the world)
	MDY DateOrder = "MDY" // 03/04/2025 is March 4 (United States)
)

// Dates reads dates and times from cells: the ISO text of date cells,
// Excel serial numbers, and text in common formats.
type Dates struct {
	// Order reads a numeric date whose day and month are both 12 or less
	// (03/04/2025); empty: day first, and Ambiguous says so.
	Order    DateOrder
	Date1904 bool
}

// ErrAmbiguous is the error of a date Dates could read either way.
var ErrAmbiguous = errors.New("ambiguous date")

// NumericOrder tells how a numeric date with slashes or hyphens
// (03/04/2025, 13/04/2025) reads: DMY or MDY when one of its first two
// parts is over 12, "" when both orders give a date (ambiguous) or it is
// no such date. ok is false for text of another form.
func NumericOrder(s string) (order DateOrder, ok bool) {
	n, sep, ok := numericParts(strings.TrimSpace(s))
	if !ok || sep == '.' {
		return "", false
	}
	switch {
	case n[0] > 12 && n[1] <= 12:
		return DMY, true
	case n[1] > 12 && n[0] <= 12:
		return MDY, true
	}
	return "", true
}

// numericParts splits d/m/y, m/d/y or d.m.y (2- or 4-digit years).
func numericParts(s string) (n [3]int, sep rune, ok bool) {
	parts := strings.FieldsFunc(s, func(r rune) bool {
		if r == '/' || r == '.' || r == '-' {
			sep = r
			return true
		}
		return false
	})
	if len(parts) != 3 || len(parts[2]) != 4 && len(parts[2]) != 2 || len(parts[0]) > 2 || len(parts[1]) > 2 {
		return n, 0, false
	}
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil {
			return n, 0, false
		}
		n[i] = v
	}
	if n[2] < 100 {
		n[2] += 2000
	}
	return n, sep, true
}

var textDateLayouts = []string{
	"2006-01-02", "2006/01/02", "2006.01.02", "20060102",
	"2 January 2006", "2 Jan 2006", "January 2, 2006", "Jan 2, 2006", "January 2 2006", "Jan 2 2006",
	"Monday, January 2, 2006", "Monday 2 January 2006", "Mon, 2 Jan 2006", "2-Jan-2006", "2-Jan-06",
}

var textTimeLayouts = []string{"15:04", "15:04:05", "3:04 PM", "3:04PM", "3:04 pm", "3:04pm", "3 PM", "3PM", "3pm", "15h04", "15h", "15.04"}

// Date reads a date (the ISO text of a date or date-time cell, a serial
// number, or text).
func (d Dates) Date(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, typ, ok := sheet.ParseISO(s); ok && typ != sheet.Time {
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 1 || strings.ContainsAny(s, "/") {
			return time.Time{}, errors.New("not a date")
		}
		t, ok := sheet.SerialTime(f, d.Date1904)
		if !ok {
			return time.Time{}, errors.New("not a date")
		}
		return t, nil
	}
	if t, err := d.numericDate(s); err == nil || err == ErrAmbiguous {
		return t, err
	}
	for _, l := range textDateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("not a date: write it like 2025-06-12")
}

// numericDate reads d/m/y or m/d/y with / or - separators, d.m.y with
// dots (day first, as everywhere dots are written): a part over 12
// decides; otherwise the order does, day first when none is set, with
// ErrAmbiguous beside the date.
func (d Dates) numericDate(s string) (time.Time, error) {
	n, sep, ok := numericParts(s)
	if !ok {
		return time.Time{}, errors.New("no")
	}
	day, month := n[0], n[1]
	var ambiguous error
	switch {
	case sep == '.':
	case n[0] > 12 && n[1] <= 12:
	case n[1] > 12 && n[0] <= 12:
		day, month = n[1], n[0]
	case d.Order == MDY:
		day, month = n[1], n[0]
	case d.Order == "" && n[0] != n[1]:
		ambiguous = ErrAmbiguous
	}
	t := time.Date(n[2], time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if t.Day() != day || int(t.Month()) != month {
		return time.Time{}, errors.New("no such day")
	}
	return t, ambiguous
}

// Clock reads a time of day (a fraction of a day, or text), as minutes
// after midnight.
func (d Dates) Clock(s string) (int, error) {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.Contains(s, ":") {
		if f >= 0 && f < 1 {
			return int(f*1440 + 0.5), nil
		}
		return 0, errors.New("not a time of day")
	}
	for _, l := range textTimeLayouts {
		if t, err := time.Parse(l, strings.ToUpper(s[:min(len(s), 1)])+s[min(len(s), 1):]); err == nil {
			return t.Hour()*60 + t.Minute(), nil
		}
		if t, err := time.Parse(l, s); err == nil {
			return t.Hour()*60 + t.Minute(), nil
		}
	}
	return 0, errors.New("not a time: write it like 09:30")
}

// DateTime reads a date with a time (a serial number with a fraction, or
// text such as "2025-06-12 09:30"); hasTime is false when only a date was
// given.
func (d Dates) DateTime(s string) (t time.Time, hasTime bool, err error) {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 1 {
			return time.Time{}, false, errors.New("a time without a date")
		}
		t, ok := sheet.SerialTime(f, d.Date1904)
		if !ok {
			return time.Time{}, false, errors.New("not a date")
		}
		return t, f != float64(int64(f)), nil
	}
	for _, sep := range []string{"T", " "} {
		if i := strings.Index(s, sep); i > 0 {
			date, clock := s[:i], strings.TrimSpace(s[i+1:])
			dt, err1 := d.Date(date)
			m, err2 := d.Clock(clock)
			if (err1 == nil || err1 == ErrAmbiguous) && err2 == nil {
				return dt.Add(time.Duration(m) * time.Minute), true, err1
			}
		}
	}
	dt, err := d.Date(s)
	return dt, false, err
}
