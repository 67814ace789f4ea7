// Package ical writes iCalendar (RFC 5545) feeds: a VCALENDAR of VEVENTs
// whose times are wall-clock times in IANA time zones, each zone described
// by a VTIMEZONE generated from Go's time zone data (the zone's transitions
// over the years the events span), with stable UIDs, lines folded at 75
// octets and CRLF line ends, as Google Calendar and Apple Calendar read.
package ical

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Calendar is a feed.
type Calendar struct {
	// ProdID names the product (PRODID), e.g. "-//Attendify//multievent//EN".
	ProdID string
	// Name is the calendar's display name (X-WR-CALNAME, NAME).
	Name string
	// Refresh is how often subscribers should fetch the feed again
	// (REFRESH-INTERVAL, X-PUBLISHED-TTL); zero leaves it out.
	Refresh time.Duration
	Events  []Event
}

// Event is one VEVENT. Start and End are instants; they are written on the
// wall clock of Zone (an IANA name; "UTC" or "" writes UTC times).
type Event struct {
	UID         string
	Stamp       time.Time // DTSTAMP and LAST-MODIFIED: when the event last changed
	Start, End  time.Time
	Zone        string
	Summary     string
	Description string
	Location    string
	Categories  []string
	URL         string
}

// Write renders c. Events whose Zone is not a known IANA zone are an
// error.
func Write(c Calendar) ([]byte, error) {
	w := &writer{}
	w.line("BEGIN:VCALENDAR")
	w.line("VERSION:2.0")
	w.prop("PRODID", c.ProdID)
	w.line("CALSCALE:GREGORIAN")
	w.line("METHOD:PUBLISH")
	if c.Name != "" {
		w.prop("X-WR-CALNAME", escape(c.Name))
		w.prop("NAME", escape(c.Name))
	}
	if c.Refresh > 0 {
		d := duration(c.Refresh)
		w.prop("REFRESH-INTERVAL;VALUE=DURATION", d)
		w.prop("X-PUBLISHED-TTL", d)
	}
	zones, err := zonesOf(c.Events)
	if err != nil {
		return nil, err
	}
	for _, z := range zones {
		writeZone(w, z)
	}
	for _, e := range c.Events {
		w.line("BEGIN:VEVENT")
		w.prop("UID", escape(e.UID))
		w.prop("DTSTAMP", utc(e.Stamp))
		w.prop("LAST-MODIFIED", utc(e.Stamp))
		z := zoneName(e.Zone)
		var loc *time.Location
		if z != "" {
			loc, _ = time.LoadLocation(z)
		}
		// A wall-clock time the clocks go back over happens twice, and a
		// DTSTART;TZID of it is read as the first (RFC 5545, 3.3.5): an
		// event in the second is written in UTC, which says its instants.
		if z == "" || !firstOccurrence(e.Start, loc) || !firstOccurrence(e.End, loc) {
			w.prop("DTSTART", utc(e.Start))
			w.prop("DTEND", utc(e.End))
		} else {
			w.prop("DTSTART;TZID="+z, local(e.Start.In(loc)))
			w.prop("DTEND;TZID="+z, local(e.End.In(loc)))
		}
		w.prop("SUMMARY", escape(e.Summary))
		if e.Description != "" {
			w.prop("DESCRIPTION", escape(e.Description))
		}
		if e.Location != "" {
			w.prop("LOCATION", escape(e.Location))
		}
		if len(e.Categories) > 0 {
			cs := make([]string, len(e.Categories))
			for i, c := range e.Categories {
				cs[i] = escape(c)
			}
			w.prop("CATEGORIES", strings.Join(cs, ","))
		}
		if e.URL != "" {
			w.prop("URL;VALUE=URI", e.URL)
		}
		w.line("TRANSP:OPAQUE")
		w.line("END:VEVENT")
	}
	w.line("END:VCALENDAR")
	return w.b.Bytes(), nil
}

// zoneName is the TZID to write for name; "" for UTC.
func zoneName(name string) string {
	if name == "" || name == "UTC" || name == "Etc/UTC" {
		return ""
	}
	return name
}

// zone is a time zone used by events and the span of their times.
type zone struct {
	name     string
	loc      *time.Location
	from, to time.Time
}

func zonesOf(evs []Event) ([]zone, error) {
	byName := map[string]*zone{}
	for _, e := range evs {
		name := zoneName(e.Zone)
		if name == "" {
			continue
		}
		z, ok := byName[name]
		if !ok {
			loc, err := time.LoadLocation(name)
			if err != nil || strings.EqualFold(name, "local") {
				return nil, fmt.Errorf("ical: unknown time zone %q", e.Zone)
			}
			z = &zone{name: name, loc: loc, from: e.Start, to: e.End}
			byName[name] = z
		}
		if e.Start.Before(z.from) {
			z.from = e.Start
		}
		if e.End.After(z.to) {
			z.to = e.End
		}
	}
	out := make([]zone, 0, len(byName))
	for _, z := range byName {
		out = append(out, *z)
	}
	slices.SortFunc(out, func(a, b zone) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

// Observance is one STANDARD or DAYLIGHT part of a VTIMEZONE: from Onset
// (an instant) on, the zone's offset is To (it was From) and its
// abbreviation Name.
type Observance struct {
	Daylight bool
	Onset    time.Time
	From, To int // seconds east of UTC
	Name     string
}

// Observances describes loc from from to to: the observance in force at
// from (the last transition at or before it, or, when there is none within
// a year before, the offset of that year as one observance with equal
// offsets), then every transition up to to. Transitions are found by
// scanning Go's zone data day by day and bisecting to the second.
func Observances(loc *time.Location, from, to time.Time) []Observance {
	const day = 24 * 60 * 60
	start := from.Add(-366 * 24 * time.Hour).Truncate(time.Second)
	at := func(unix int64) (string, int, bool) {
		t := time.Unix(unix, 0).In(loc)
		n, o := t.Zone()
		return n, o, t.IsDST()
	}
	name, off, dst := at(start.Unix())
	cur := Observance{Daylight: dst, Onset: start, From: off, To: off, Name: name}
	var after []Observance
	for t := start.Unix(); t < to.Unix(); t += day {
		n, o, _ := at(t + day)
		if o == off && n == name {
			continue
		}
		lo, hi := t, t+day // the change happens in (lo, hi]
		for hi-lo > 1 {
			mid := lo + (hi-lo)/2
			if mn, mo, _ := at(mid); mo != off || mn != name {
				hi = mid
			} else {
				lo = mid
			}
		}
		n, o, d := at(hi)
		tr := Observance{Daylight: d, Onset: time.Unix(hi, 0).UTC(), From: off, To: o, Name: n}
		if tr.Onset.After(from) {
			after = append(after, tr)
		} else {
			cur = tr
		}
		name, off = n, o
	}
	return append([]Observance{cur}, after...)
}

func writeZone(w *writer, z zone) {
	w.line("BEGIN:VTIMEZONE")
	w.prop("TZID", z.name)
	w.prop("X-LIC-LOCATION", z.name)
	for _, o := range Observances(z.loc, z.from, z.to) {
		kind := "STANDARD"
		if o.Daylight {
			kind = "DAYLIGHT"
		}
		w.line("BEGIN:" + kind)
		// DTSTART is the onset on the wall clock of the offset before it.
		w.prop("DTSTART", local(o.Onset.In(time.FixedZone("", o.From))))
		w.prop("TZOFFSETFROM", offset(o.From))
		w.prop("TZOFFSETTO", offset(o.To))
		if o.Name != "" && !strings.HasPrefix(o.Name, "+") && !strings.HasPrefix(o.Name, "-") {
			w.prop("TZNAME", escape(o.Name))
		}
		w.line("END:" + kind)
	}
	w.line("END:VTIMEZONE")
}

// firstOccurrence reports whether t is the first instant whose wall clock
// in loc reads as t's does: not in the hour (or half hour) repeated after
// clocks went back. An earlier instant with the same wall clock has a
// larger offset c, and is t less the difference; the offsets of the day
// before t are the candidates (a repeated interval lasts hours at most).
func firstOccurrence(t time.Time, loc *time.Location) bool {
	_, o := t.In(loc).Zone()
	seen := map[int]bool{o: true}
	for h := 1; h <= 26; h++ {
		_, c := t.Add(-time.Duration(h) * time.Hour).In(loc).Zone()
		if seen[c] {
			continue
		}
		seen[c] = true
		if c > o {
			if _, oc := t.Add(-time.Duration(c-o) * time.Second).In(loc).Zone(); oc == c {
				return false
			}
		}
	}
	return true
}

func utc(t time.Time) string   { return t.UTC().Format("20060102T150405Z") }
func local(t time.Time) string { return t.Format("20060102T150405") }

// offset formats seconds east of UTC as "+hhmm" (or "+hhmmss").
func offset(secs int) string {
	sign := "+"
	if secs < 0 {
		sign, secs = "-", -secs
	}
	h, m, s := secs/3600, secs%3600/60, secs%60
	if s != 0 {
		return fmt.Sprintf("%s%02d%02d%02d", sign, h, m, s)
	}
	return fmt.Sprintf("%s%02d%02d", sign, h, m)
}

// duration formats d as an RFC 5545 duration in whole minutes ("PT1H",
// "PT15M").
func duration(d time.Duration) string {
	m := int(d.Round(time.Minute) / time.Minute)
	if m < 1 {
		m = 1
	}
	if m%60 == 0 {
		return fmt.Sprintf("PT%dH", m/60)
	}
	return fmt.Sprintf("PT%dM", m)
}

// escape escapes a TEXT value: backslash, semicolon, comma and newlines
// (CRLF, LF and a lone CR are each one line break).
func escape(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case ';':
			b.WriteString(`\;`)
		case ',':
			b.WriteString(`\,`)
		case '\n':
			b.WriteString(`\n`)
		default:
			if r < 0x20 && r != '\t' || r == 0x7f {
				continue // control characters are not allowed in TEXT
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// writer writes content lines folded at 75 octets (never inside a UTF-8
// sequence), each ending in CRLF.
type writer struct{ b bytes.Buffer }

func (w *writer) prop(name, value string) { w.line(name + ":" + value) }

func (w *writer) line(s string) {
	const limit = 75
	first := true
	for len(s) > 0 {
		max := limit
		if !first {
			max = limit - 1 // the leading space of a continuation counts
		}
		if len(s) <= max {
			if !first {
				w.b.WriteByte(' ')
			}
			w.b.WriteString(s)
			break
		}
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		if !first {
			w.b.WriteByte(' ')
		}
		w.b.WriteString(s[:cut])
		w.b.WriteString("\r\n")
		s = s[cut:]
		first = false
	}
	w.b.WriteString("\r\n")
}
