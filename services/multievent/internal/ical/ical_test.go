package ical_test

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	ics "github.com/arran4/golang-ical"
	"github.com/attendify/multievent/internal/ical"
	"github.com/google/go-cmp/cmp"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestObservances: the transitions of real zones, to the second.
func TestObservances(t *testing.T) {
	paris := mustLoad(t, "Europe/Paris")
	from := time.Date(2026, 6, 11, 7, 0, 0, 0, time.UTC)
	to := time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC)
	got := ical.Observances(paris, from, to)
	want := []ical.Observance{
		{Daylight: true, Onset: time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), From: 3600, To: 7200, Name: "CEST"},
		{Daylight: false, Onset: time.Date(2026, 10, 25, 1, 0, 0, 0, time.UTC), From: 7200, To: 3600, Name: "CET"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Paris (-want +got):\n%s", diff)
	}
	// A zone without daylight saving: one observance, both offsets equal.
	tokyo := ical.Observances(mustLoad(t, "Asia/Tokyo"), from, to)
	if len(tokyo) != 1 || tokyo[0].From != 9*3600 || tokyo[0].To != 9*3600 || tokyo[0].Daylight {
		t.Errorf("Tokyo: %+v", tokyo)
	}
	// Lord Howe moves by half an hour.
	lh := ical.Observances(mustLoad(t, "Australia/Lord_Howe"), from, to)
	if len(lh) != 2 || lh[1].To-lh[1].From != 1800 {
		t.Errorf("Lord Howe: %+v", lh)
	}
}

// resolve turns a local DTSTART in a zone into an instant with the
// feed's own VTIMEZONE (not Go's zone data): the observance with the
// latest onset at or before the local time gives the offset.
func resolve(t *testing.T, cal *ics.Calendar, tzid, local string) time.Time {
	t.Helper()
	lt, err := time.Parse("20060102T150405", local)
	if err != nil {
		t.Fatal(err)
	}
	for _, tz := range cal.Timezones() {
		if id := tz.GetProperty(ics.ComponentPropertyTzid); id == nil || id.Value != tzid {
			continue
		}
		var best time.Time
		offset := 0
		found := false
		for _, sub := range tz.SubComponents() {
			var props []ics.IANAProperty
			switch c := sub.(type) {
			case *ics.Standard:
				props = c.Properties
			case *ics.Daylight:
				props = c.Properties
			default:
				continue
			}
			var onset time.Time
			to := 0
			for _, p := range props {
				switch p.IANAToken {
				case "DTSTART":
					onset, _ = time.Parse("20060102T150405", p.Value)
				case "TZOFFSETTO":
					to = parseOffset(t, p.Value)
				}
			}
			if !onset.After(lt) && (!found || onset.After(best)) {
				best, offset, found = onset, to, true
			}
		}
		if !found {
			t.Fatalf("no observance of %s before %s", tzid, local)
		}
		return lt.Add(-time.Duration(offset) * time.Second)
	}
	t.Fatalf("no VTIMEZONE %s", tzid)
	return time.Time{}
}

func parseOffset(t *testing.T, s string) int {
	t.Helper()
	sign := 1
	if s[0] == '-' {
		sign = -1
	}
	d, err := time.Parse("1504", s[1:5])
	if err != nil {
		t.Fatal(err)
	}
	return sign * (d.Hour()*3600 + d.Minute()*60)
}

// TestWriteParsesBack: the feed parses back strictly (golang-ical), every
// line is folded at 75 octets with CRLF, texts are escaped, and each
// event's local times, resolved with the feed's own VTIMEZONEs, are the
// instants written.
func TestWriteParsesBack(t *testing.T) {
	stamp := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	evs := []ical.Event{
		{UID: "s1@app", Stamp: stamp, Start: time.Date(2026, 6, 11, 7, 30, 0, 0, time.UTC), End: time.Date(2026, 6, 11, 8, 30, 0, 0, time.UTC),
			Zone: "Europe/Paris", Summary: "Keynote; the next 10 years, and more", Description: "Line one\nLine two — " + strings.Repeat("é", 60),
			Location: "Palais des Congrès, Paris", Categories: []string{"Demo Conf, 2026"}},
		{UID: "s2@app", Stamp: stamp, Start: time.Date(2025, 11, 2, 5, 30, 0, 0, time.UTC), End: time.Date(2025, 11, 2, 7, 0, 0, 0, time.UTC),
			Zone: "America/New_York", Summary: "Across the fall-back night"},
		{UID: "s3@app", Stamp: stamp, Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC),
			Zone: "UTC", Summary: "In UTC"},
	}
	out, err := ical.Write(ical.Calendar{ProdID: "-//Attendify//test//EN", Name: "My agenda", Refresh: time.Hour, Events: evs})
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range bytes.Split(bytes.TrimSuffix(out, []byte("\r\n")), []byte("\r\n")) {
		if len(line) > 75 {
			t.Errorf("line %d is %d octets: %q", i, len(line), line)
		}
		if !utf8.Valid(line) {
			t.Errorf("line %d cuts a UTF-8 sequence: %q", i, line)
		}
		if bytes.ContainsAny(line, "\r\n") {
			t.Errorf("line %d has a bare CR or LF", i)
		}
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("golang-ical: %v\n%s", err, out)
	}
	if len(cal.Timezones()) != 2 {
		t.Errorf("%d VTIMEZONEs, want Paris and New York", len(cal.Timezones()))
	}
	got := cal.Events()
	if len(got) != 3 {
		t.Fatalf("%d events parsed back", len(got))
	}
	for i, e := range got {
		if uid := e.GetProperty(ics.ComponentPropertyUniqueId).Value; uid != evs[i].UID {
			t.Errorf("event %d UID %q", i, uid)
		}
		start := e.GetProperty(ics.ComponentPropertyDtStart)
		if tzid, ok := start.ICalParameters["TZID"]; ok {
			if at := resolve(t, cal, tzid[0], start.Value); !at.Equal(evs[i].Start) {
				t.Errorf("event %d starts %v by the feed's VTIMEZONE, want %v", i, at, evs[i].Start)
			}
		} else if at, err := e.GetStartAt(); err != nil || !at.Equal(evs[i].Start) {
			t.Errorf("event %d (UTC) starts %v, %v", i, at, err)
		}
	}
	// Texts come back as written (escaped on the wire, unescaped by the
	// parser).
	if s := got[0].GetProperty(ics.ComponentPropertySummary).Value; s != evs[0].Summary {
		t.Errorf("summary %q, want %q", s, evs[0].Summary)
	}
	if d := got[0].GetProperty(ics.ComponentPropertyDescription).Value; d != evs[0].Description {
		t.Errorf("description %q, want %q", d, evs[0].Description)
	}
	if !bytes.Contains(out, []byte(`SUMMARY:Keynote\; the next 10 years\, and more`)) {
		t.Errorf("the summary is not escaped on the wire:\n%s", out)
	}
	if !bytes.Contains(out, []byte("DTSTART;TZID=Europe/Paris:20260611T093000\r\n")) {
		t.Errorf("the Paris event's wall-clock start is not 09:30:\n%s", out)
	}
}

// TestUnknownZone: an event in a zone Go does not know is an error, not a
// feed calendars would misread.
func TestUnknownZone(t *testing.T) {
	_, err := ical.Write(ical.Calendar{ProdID: "x", Events: []ical.Event{{UID: "u", Zone: "Mars/Olympus"}}})
	if err == nil {
		t.Error("no error for an unknown zone")
	}
}

// TestSecondOccurrenceOfAFallBackHour: when clocks go back, a wall
// clock time happens twice, and RFC 5545 (3.3.5) reads a DTSTART;TZID of
// such a time as the first occurrence. A session in the second one (an
// hour-long session starting as the clocks went back, or ending within the
// repeated hour) must still resolve to its instants, with the feed's own
// VTIMEZONEs, and keep its end after its start.
func TestSecondOccurrenceOfAFallBackHour(t *testing.T) {
	stamp := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	evs := []ical.Event{
		// Paris goes back from 03:00 CEST to 02:00 CET at 01:00Z on 25 October 2026.
		{UID: "second@app", Stamp: stamp, Zone: "Europe/Paris", Summary: "In the second 02:30",
			Start: time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), End: time.Date(2026, 10, 25, 2, 30, 0, 0, time.UTC)},
		{UID: "across@app", Stamp: stamp, Zone: "Europe/Paris", Summary: "From the first 02:30 to the second",
			Start: time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), End: time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC)},
		// Lord Howe goes back half an hour, from 02:00 to 01:30, at 15:00Z on 4 April 2026.
		{UID: "lh@app", Stamp: stamp, Zone: "Australia/Lord_Howe", Summary: "In the second 01:40",
			Start: time.Date(2026, 4, 4, 15, 10, 0, 0, time.UTC), End: time.Date(2026, 4, 4, 16, 0, 0, 0, time.UTC)},
	}
	out, err := ical.Write(ical.Calendar{ProdID: "-//Attendify//test//EN", Events: evs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("feed:\n%s", out)
		}
	})
	cal, err := ics.ParseCalendar(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("golang-ical: %v", err)
	}
	at := func(e *ics.VEvent, p ics.ComponentProperty) time.Time {
		prop := e.GetProperty(p)
		if tzid, ok := prop.ICalParameters["TZID"]; ok {
			return resolve(t, cal, tzid[0], prop.Value)
		}
		v, err := time.Parse("20060102T150405Z", prop.Value)
		if err != nil {
			t.Fatalf("%s %q: %v", p, prop.Value, err)
		}
		return v
	}
	for i, e := range cal.Events() {
		start, end := at(e, ics.ComponentPropertyDtStart), at(e, ics.ComponentPropertyDtEnd)
		if !start.Equal(evs[i].Start) || !end.Equal(evs[i].End) {
			t.Errorf("%s: %v to %v by the feed, want %v to %v", evs[i].Summary, start, end, evs[i].Start, evs[i].End)
		}
		if !end.After(start) {
			t.Errorf("%s: DTEND is not after DTSTART", evs[i].Summary)
		}
	}
}

// TestLineBreaksInText: a text's line breaks, whichever convention
// wrote them (CRLF, LF, or a lone CR as old Mac editors and some
// spreadsheets do), come back as line breaks; a lone CR is not dropped,
// which would glue two lines' words together.
func TestLineBreaksInText(t *testing.T) {
	stamp := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	desc := "Room A\rBring a laptop\r\nNo food\nEnd"
	out, err := ical.Write(ical.Calendar{ProdID: "x", Events: []ical.Event{{UID: "u@app", Stamp: stamp, Summary: "s", Description: desc,
		Start: stamp, End: stamp.Add(time.Hour)}}})
	if err != nil {
		t.Fatal(err)
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	want := "Room A\nBring a laptop\nNo food\nEnd"
	if got := cal.Events()[0].GetProperty(ics.ComponentPropertyDescription).Value; got != want {
		t.Errorf("description %q, want %q", got, want)
	}
}
