// Package validate turns the mapped rows of an uploaded workbook into
// records for hub, with every problem located by sheet, row and column:
// required fields, emails, phones, URLs, dates and times (wall-clock in
// the event's time zone), booleans, enums and lengths, duplicates within
// the file, sessions whose speakers exist nowhere, and sessions that
// overlap in a room.
package validate

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/maphash"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/attendify/importer/internal/mapping"
	"github.com/attendify/importer/internal/sheet"
)

// Problem is one thing wrong with a row (or, with Row 0, a sheet).
// Warnings do not reject the row.
type Problem struct {
	Sheet   string `json:"sheet"`
	Row     int    `json:"row"`
	Column  string `json:"column,omitempty"` // the column letter
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	Warning bool   `json:"warning,omitempty"`
}

func (p Problem) String() string {
	w := ""
	if p.Warning {
		w = " (warning)"
	}
	loc := fmt.Sprintf("%s row %d", p.Sheet, p.Row)
	if p.Column != "" {
		loc += " column " + p.Column
	}
	return loc + ": " + p.Message + w
}

// Link is a labelled URL of a profile.
type Link struct {
	Label string `json:"label"`
	URL   string `json:"url"`
}

// Member is an attendee row.
type Member struct {
	Email      string            `json:"email"`
	ExternalID string            `json:"external_id,omitempty"`
	Name       string            `json:"name"`
	Company    string            `json:"company,omitempty"`
	Title      string            `json:"title,omitempty"`
	Phone      string            `json:"phone,omitempty"` // as written
	PhotoURL   string            `json:"photo_url,omitempty"`
	Bio        string            `json:"bio,omitempty"`
	Role       string            `json:"role,omitempty"`
	TicketType string            `json:"ticket_type,omitempty"`
	VIP        *bool             `json:"vip,omitempty"`
	Links      []Link            `json:"links,omitempty"`
	Custom     map[string]string `json:"custom,omitempty"`
}

// Speaker is a speaker row.
type Speaker struct {
	ExternalID string `json:"external_id,omitempty"`
	Email      string `json:"email,omitempty"`
	Name       string `json:"name"`
	Company    string `json:"company,omitempty"`
	Title      string `json:"title,omitempty"`
	Bio        string `json:"bio,omitempty"`
	PhotoURL   string `json:"photo_url,omitempty"`
}

// Session is an agenda row; Start and End are wall-clock times in the
// event's zone, "2025-06-12T09:30".
type Session struct {
	ExternalID  string   `json:"external_id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Start       string   `json:"start"`
	End         string   `json:"end"`
	Room        string   `json:"room,omitempty"`
	Track       string   `json:"track,omitempty"`
	Capacity    int      `json:"capacity,omitempty"`
	Speakers    []string `json:"speakers,omitempty"`
}

// Row is one validated data row.
type Row struct {
	Sheet string       `json:"sheet"`
	Num   int          `json:"row"`
	Kind  mapping.Kind `json:"kind"`
	// Key identifies the row's object in hub: "x:<external id>" or
	// "e:<email in lower case>".
	Key      string    `json:"key"`
	Member   *Member   `json:"member,omitempty"`
	Speaker  *Speaker  `json:"speaker,omitempty"`
	Session  *Session  `json:"session,omitempty"`
	Problems []Problem `json:"problems,omitempty"`
	// Set lists the fields the row gives (non-empty cells): an update
	// keeps the stored value of the others.
	Set []mapping.Field `json:"set,omitempty"`
}

// Rejected reports whether the row has an error (not only warnings).
func (r *Row) Rejected() bool {
	for _, p := range r.Problems {
		if !p.Warning {
			return true
		}
	}
	return false
}

// Has reports whether the row gives field f.
func (r *Row) Has(f mapping.Field) bool { return slices.Contains(r.Set, f) }

// Event is the event sessions belong to.
type Event struct {
	ID       string // in the keys of sessions without an id
	TimeZone string
	// Start and End bound the event (wall-clock, in its zone); sessions
	// outside get a warning. Zero: no check.
	Start, End time.Time
}

// Options configure a Validator.
type Options struct {
	Dates Dates
	Event Event
	// ExistingSpeakers are the keys ("x:id", "e:email") of the speakers
	// hub already has, which sessions may name.
	ExistingSpeakers map[string]bool
	// ExistingSessions are the event's sessions in hub; those the file
	// does not replace take part in the room overlap check.
	ExistingSessions []Slot
}

// Slot is a session already in hub: its key ("x:<external id>"), room
// and wall-clock times.
type Slot struct {
	Key, Room, Start, End string
}

// Limits of hub's fields.
const (
	maxName     = 160
	maxEmail    = 254
	maxExtID    = 128
	maxURL      = 500
	maxBio      = 4000
	maxTitle    = 300
	maxDesc     = 10000
	maxRoom     = 120
	maxSpeakers = 50
	maxCapacity = 1_000_000
	maxCustom   = 1000
	maxPhone    = 40
	maxTicket   = 80
)

// Validator validates the rows of one import, keeping what cross-row
// checks need: hashes of the keys seen (duplicates), the speakers and the
// sessions (references and overlaps, checked by Finish).
type Validator struct {
	opts     Options
	loc      *time.Location
	seed     maphash.Seed
	seen     map[mapping.Kind]map[uint64]rowRef
	speakers map[string]bool
	sessions []*heldSession
	sheets   map[string]*mapping.Sheet
	// orders are what the numeric dates of each column of sessions say
	// of their order, by sheet and field.
	orders map[string]map[mapping.Field]*orderEvidence
}

// heldSession is a session row kept for Finish, with the text of its
// date, start and end: their order is known once every row is read.
type heldSession struct {
	row              *Row
	sheet            *mapping.Sheet
	date, start, end string
}

// orderEvidence counts a column's numeric dates that only read day first
// (dmy) or month first (mdy), with the first of each.
type orderEvidence struct {
	dmy, mdy           int
	dmyFirst, mdyFirst string // "13/04/2025 (row 7)"
}

// order is the order the column's unambiguous dates give, or "" when
// they give none or both.
func (e *orderEvidence) order() DateOrder {
	switch {
	case e == nil:
	case e.dmy > 0 && e.mdy == 0:
		return DMY
	case e.mdy > 0 && e.dmy == 0:
		return MDY
	}
	return ""
}

// colOf is the letter of the column giving f in a sheet seen, or "".
func (v *Validator) colOf(sheetName string, f mapping.Field) string {
	if s := v.sheets[sheetName]; s != nil {
		if i := s.Col(f); i >= 0 {
			return sheet.ColumnName(i)
		}
	}
	return ""
}

type rowRef struct {
	sheet string
	num   int
}

// New returns a validator.
func New(opts Options) (*Validator, error) {
	loc := time.UTC
	if opts.Event.TimeZone != "" {
		l, err := time.LoadLocation(opts.Event.TimeZone)
		if err != nil {
			return nil, fmt.Errorf("event time zone %q: %w", opts.Event.TimeZone, err)
		}
		loc = l
	}
	return &Validator{opts: opts, loc: loc, seed: maphash.MakeSeed(), seen: map[mapping.Kind]map[uint64]rowRef{}, speakers: map[string]bool{}, sheets: map[string]*mapping.Sheet{},
		orders: map[string]map[mapping.Field]*orderEvidence{}}, nil
}

// SetOptions changes the options for the rows that follow (the event
// becomes known when the sessions sheet comes).
func (v *Validator) SetOptions(opts Options) error {
	loc := time.UTC
	if opts.Event.TimeZone != "" {
		l, err := time.LoadLocation(opts.Event.TimeZone)
		if err != nil {
			return fmt.Errorf("event time zone %q: %w", opts.Event.TimeZone, err)
		}
		loc = l
	}
	v.opts, v.loc = opts, loc
	return nil
}

// rowCtx collects one row's values and problems.
type rowCtx struct {
	s    *mapping.Sheet
	r    sheet.Row
	out  *Row
	vals map[mapping.Field]string
}

func (c *rowCtx) problem(f mapping.Field, warn bool, format string, args ...any) {
	col := ""
	if i := c.s.Col(f); i >= 0 {
		col = sheet.ColumnName(i)
	}
	c.out.Problems = append(c.out.Problems, Problem{Sheet: c.s.Name, Row: c.r.Num, Column: col, Field: string(f), Message: fmt.Sprintf(format, args...), Warning: warn})
}

func (c *rowCtx) text(f mapping.Field, max int) string {
	v := c.vals[f]
	if err := Length(v, max); err != nil {
		c.problem(f, false, "%s %v", label(f), err)
		return ""
	}
	return v
}

func (c *rowCtx) required(f mapping.Field, v string) {
	if v == "" {
		c.problem(f, false, "%s is required", label(f))
	}
}

func label(f mapping.Field) string {
	s := strings.ReplaceAll(string(f), "_", " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

// Row validates one data row of a mapped sheet (not the header, not a
// blank row). Sessions are kept for Finish, which completes their checks.
func (v *Validator) Row(s *mapping.Sheet, r sheet.Row) *Row {
	out := &Row{Sheet: s.Name, Num: r.Num, Kind: s.Kind}
	v.sheets[s.Name] = s
	c := &rowCtx{s: s, r: r, out: out, vals: map[mapping.Field]string{}}
	var custom map[string]string
	for _, col := range s.Columns {
		if col.Index >= len(r.Cells) {
			continue
		}
		val := strings.TrimSpace(r.Cells[col.Index])
		if val == "" {
			continue
		}
		switch {
		case col.Field != "":
			c.vals[col.Field] = val
			out.Set = append(out.Set, col.Field)
		case col.Custom != "":
			if custom == nil {
				custom = map[string]string{}
			}
			if Length(val, maxCustom) != nil {
				out.Problems = append(out.Problems, Problem{Sheet: s.Name, Row: r.Num, Column: col.Letter, Field: "custom:" + col.Custom,
					Message: fmt.Sprintf("%s is too long for a custom field (at most %d characters)", col.Custom, maxCustom)})
				continue
			}
			custom[col.Custom] = customValue(val, r.Type(col.Index))
		}
	}
	switch s.Kind {
	case mapping.Attendees:
		out.Member = v.member(c)
		if out.Member != nil {
			out.Member.Custom = custom
		}
	case mapping.Speakers:
		out.Speaker = v.speaker(c)
	case mapping.Sessions:
		out.Session = v.session(c)
		v.hold(c)
		return out // keyed and deduplicated by Finish
	}
	if out.Key != "" {
		v.dedupe(c, out.Key)
	}
	return out
}

// hold keeps a session row for Finish and counts what its dates say of
// their column's order.
func (v *Validator) hold(c *rowCtx) {
	h := &heldSession{row: c.out, sheet: c.s, date: c.vals[mapping.Date], start: c.vals[mapping.Start], end: c.vals[mapping.End]}
	v.sessions = append(v.sessions, h)
	byField := v.orders[c.s.Name]
	if byField == nil {
		byField = map[mapping.Field]*orderEvidence{}
		v.orders[c.s.Name] = byField
	}
	for f, raw := range map[mapping.Field]string{mapping.Date: h.date, mapping.Start: h.start, mapping.End: h.end} {
		o, ok := NumericOrder(datePart(raw))
		if !ok || o == "" {
			continue
		}
		e := byField[f]
		if e == nil {
			e = &orderEvidence{}
			byField[f] = e
		}
		where := fmt.Sprintf("%s (row %d)", datePart(raw), c.r.Num)
		if o == DMY {
			if e.dmy++; e.dmy == 1 {
				e.dmyFirst = where
			}
		} else if e.mdy++; e.mdy == 1 {
			e.mdyFirst = where
		}
	}
}

// datePart is the date of a date and time written "d/m/y h:m".
func datePart(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " T"); i > 0 {
		return s[:i]
	}
	return s
}

// customValue is a custom field's value: typed as the cell is, dates as
// ISO 8601 (the reader gives date cells so), booleans (a boolean cell, or
// the TRUE and FALSE spreadsheets write) as "true" and "false", any other
// text as written.
func customValue(val string, t sheet.CellType) string {
	if t == sheet.Bool || val == "TRUE" || val == "FALSE" {
		return strings.ToLower(val)
	}
	return val
}

func (v *Validator) dedupe(c *rowCtx, key string) {
	m := v.seen[c.s.Kind]
	if m == nil {
		m = map[uint64]rowRef{}
		v.seen[c.s.Kind] = m
	}
	h := maphash.String(v.seed, key)
	if prev, dup := m[h]; dup {
		f := mapping.Email
		if strings.HasPrefix(key, "x:") {
			f = mapping.ExternalID
		}
		where := fmt.Sprintf("row %d", prev.num)
		if prev.sheet != c.s.Name {
			where += " of sheet " + prev.sheet
		}
		if strings.HasPrefix(key, "x:"+sessionKeyPrefix) && c.s.Col(mapping.ExternalID) < 0 {
			c.problem(mapping.Title, false, "repeats the session of %s (the same title and start)", where)
			return
		}
		written := c.vals[f] // as written: the key may be in lower case
		if written == "" {
			written = key[2:]
		}
		c.problem(f, false, "%s %s repeats %s", label(f), written, where)
		return
	}
	m[h] = rowRef{c.s.Name, c.r.Num}
}

func (v *Validator) name(c *rowCtx) string {
	name := c.text(mapping.Name, maxName)
	if name == "" {
		name = strings.TrimSpace(c.vals[mapping.FirstName] + " " + c.vals[mapping.LastName])
		if err := Length(name, maxName); err != nil {
			c.problem(mapping.LastName, false, "Name %v", err)
			return ""
		}
	}
	return name
}

func (v *Validator) email(c *rowCtx, required bool) string {
	raw := c.vals[mapping.Email]
	if raw == "" {
		if required {
			c.required(mapping.Email, "")
		}
		return ""
	}
	e, err := Email(raw)
	if err != nil {
		c.problem(mapping.Email, false, "%q is %v", raw, err)
		return ""
	}
	if len(e) > maxEmail {
		c.problem(mapping.Email, false, "Email is too long")
		return ""
	}
	return e // as written; keys compare it in lower case
}

func (v *Validator) url(c *rowCtx, f mapping.Field) string {
	raw := c.vals[f]
	if raw == "" {
		return ""
	}
	u, err := URL(raw)
	if err != nil {
		c.problem(f, false, "%q is %v", raw, err)
		return ""
	}
	if len(u) > maxURL {
		c.problem(f, false, "%s is too long", label(f))
		return ""
	}
	return u
}

func key(ext, email string) string {
	if ext != "" {
		return "x:" + ext
	}
	if email != "" {
		return "e:" + EmailKey(email)
	}
	return ""
}

func (v *Validator) member(c *rowCtx) *Member {
	m := &Member{
		Email:      v.email(c, true),
		ExternalID: c.text(mapping.ExternalID, maxExtID),
		Name:       v.name(c),
		Company:    c.text(mapping.Company, maxName),
		Title:      c.text(mapping.Title, maxName),
		PhotoURL:   v.url(c, mapping.PhotoURL),
		Bio:        c.text(mapping.Bio, maxBio),
	}
	c.required(mapping.Name, m.Name)
	m.TicketType = c.text(mapping.TicketType, maxTicket)
	if raw := c.vals[mapping.Phone]; raw != "" {
		p, err := Phone(raw)
		switch {
		case err != nil:
			c.problem(mapping.Phone, false, "%q is %v", raw, err)
		case Length(p, maxPhone) != nil:
			c.problem(mapping.Phone, false, "Phone is too long: at most %d characters", maxPhone)
		}
		m.Phone = p
	}
	if raw := c.vals[mapping.Role]; raw != "" {
		r, err := Role(raw)
		if err != nil {
			c.problem(mapping.Role, false, "%q is %v", raw, err)
		}
		m.Role = r
	}
	if raw := c.vals[mapping.VIP]; raw != "" {
		b, err := Bool(raw)
		if err != nil {
			c.problem(mapping.VIP, false, "%q is %v", raw, err)
		} else {
			m.VIP = &b
		}
	}
	for _, l := range []struct {
		f     mapping.Field
		label string
	}{{mapping.Website, "Website"}, {mapping.LinkedIn, "LinkedIn"}, {mapping.Twitter, "Twitter"}} {
		raw := c.vals[l.f]
		if raw == "" {
			continue
		}
		if l.f == mapping.Twitter && strings.HasPrefix(raw, "@") {
			c.vals[l.f] = "https://x.com/" + raw[1:]
		}
		if u := v.url(c, l.f); u != "" {
			m.Links = append(m.Links, Link{Label: l.label, URL: u})
		}
	}
	c.out.Key = key(m.ExternalID, m.Email)
	return m
}

func (v *Validator) speaker(c *rowCtx) *Speaker {
	s := &Speaker{
		ExternalID: c.text(mapping.ExternalID, maxExtID),
		Email:      v.email(c, false),
		Name:       v.name(c),
		Company:    c.text(mapping.Company, maxName),
		Title:      c.text(mapping.Title, maxName),
		Bio:        c.text(mapping.Bio, maxBio),
		PhotoURL:   v.url(c, mapping.PhotoURL),
	}
	c.required(mapping.Name, s.Name)
	if s.ExternalID == "" && s.Email == "" && c.vals[mapping.Email] == "" {
		c.problem(mapping.ExternalID, false, "a speaker needs an id or an email")
	}
	c.out.Key = key(s.ExternalID, s.Email)
	if s.ExternalID != "" {
		v.speakers["x:"+s.ExternalID] = true
	}
	if s.Email != "" {
		v.speakers["e:"+EmailKey(s.Email)] = true
	}
	return s
}

func (v *Validator) session(c *rowCtx) *Session {
	s := &Session{
		ExternalID:  c.text(mapping.ExternalID, maxExtID),
		Title:       c.text(mapping.Title, maxTitle),
		Description: c.text(mapping.Description, maxDesc),
		Room:        c.text(mapping.Room, maxRoom),
		Track:       c.text(mapping.Track, maxRoom),
	}
	c.required(mapping.Title, s.Title)
	if raw := c.vals[mapping.Capacity]; raw != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(ungroup(raw), ".0"))
		if err != nil || n < 0 || n > maxCapacity {
			c.problem(mapping.Capacity, false, "%q is not a number of seats", raw)
		}
		s.Capacity = n
	}
	if raw := c.vals[mapping.SpeakerRefs]; raw != "" {
		for _, ref := range strings.FieldsFunc(raw, func(r rune) bool { return r == ';' || r == ',' || r == '\n' || r == '|' }) {
			if ref = strings.TrimSpace(ref); ref != "" {
				s.Speakers = append(s.Speakers, ref)
			}
		}
		if len(s.Speakers) > maxSpeakers {
			c.problem(mapping.SpeakerRefs, false, "too many speakers: %d, at most %d", len(s.Speakers), maxSpeakers)
		}
	}
	return s
}

// SessionKey is the key of a session row without an id: its event, its
// title (folded: case, accents, spacing and punctuation do not count) and
// its start, hashed, so that importing the same agenda again finds the
// sessions it created (hub's external ids are unique in an app, hence
// the event). A session whose title or start changes is a new one.
func SessionKey(event, title, start string) string {
	h := sha256.Sum256([]byte(event + "\x00" + mapping.Fold(title) + "\x00" + start))
	return sessionKeyPrefix + hex.EncodeToString(h[:10])
}

// maxPastMidnight is the longest session an end time earlier than its
// start is read as running past midnight for.
const maxPastMidnight = 12 * time.Hour

// ungroup removes the digit grouping of a whole number written as text
// (a CSV's "1,200", "1.200", "1 200" or "1'200" seats): separators between
// groups of exactly three digits, one kind only. Anything else is returned
// as it is (and "1,5" stays no whole number).
func ungroup(s string) string {
	s = strings.TrimSpace(s)
	sep := rune(0)
	for _, r := range s {
		if r < '0' || r > '9' {
			if sep != 0 && r != sep {
				return s
			}
			sep = r
		}
	}
	switch sep {
	case ',', '.', ' ', '\'', '\u00a0', '\u202f':
	default:
		return s
	}
	parts := strings.Split(s, string(sep))
	if len(parts) < 2 || len(parts[0]) < 1 || len(parts[0]) > 3 {
		return s
	}
	for _, p := range parts[1:] {
		if len(p) != 3 {
			return s
		}
	}
	return strings.Join(parts, "")
}

// sessionKeyPrefix starts the keys SessionKey derives.
const sessionKeyPrefix = "auto-"

const wallClock = "2006-01-02T15:04"

// times reads a session's start and end: a date column with start and
// end times, or start and end that carry their own dates. The times are
// wall-clock in the event's zone and must exist there.
func (v *Validator) times(c *rowCtx) (start, end time.Time, ok bool) {
	var day time.Time
	hasDay := false
	if raw := c.vals[mapping.Date]; raw != "" {
		t, err := v.dates(c, mapping.Date).Date(raw)
		v.ambiguous(c, mapping.Date, raw, t, err)
		if err != nil && err != ErrAmbiguous {
			c.problem(mapping.Date, false, "%q is %v", raw, err)
			return start, end, false
		}
		day, hasDay = t, true
	}
	clockOnly := false // the end was a time of day on the start's date
	read := func(f mapping.Field, base time.Time, hasBase bool) (time.Time, bool) {
		raw := c.vals[f]
		if raw == "" {
			c.required(f, "")
			return time.Time{}, false
		}
		d := v.dates(c, f)
		if t, hasTime, err := d.DateTime(raw); err == nil || err == ErrAmbiguous {
			v.ambiguous(c, f, raw, t, err)
			if !hasTime {
				c.problem(f, false, "%q has a date but no time", raw)
				return time.Time{}, false
			}
			return t, true
		}
		clockOnly = f == mapping.End
		m, err := d.Clock(raw)
		if err != nil {
			c.problem(f, false, "%q is %v", raw, err)
			return time.Time{}, false
		}
		if !hasBase {
			c.problem(f, false, "%q is a time without a date: add a Date column or write the date", raw)
			return time.Time{}, false
		}
		return base.Add(time.Duration(m) * time.Minute), true
	}
	start, ok1 := read(mapping.Start, day, hasDay)
	if ok1 && !hasDay {
		day, hasDay = time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC), true
	}
	end, ok2 := read(mapping.End, day, hasDay)
	if !ok1 || !ok2 {
		return start, end, false
	}
	if next := end.Add(24 * time.Hour); clockOnly && end.Before(start) && next.Sub(start) <= maxPastMidnight {
		// A time of day before the start's, with no date of its own, a
		// few hours after it: the session runs past midnight (a party
		// from 22:30 to 00:30), as the person who wrote it meant; said,
		// in case it was a slip. Further (16:00 to 15:00) it is a slip.
		end = next
		c.problem(mapping.End, true, "ends at %s, before its start %s: read as %s the next day", end.Format("15:04"), start.Format("15:04"), end.Format("15:04"))
	}
	if !end.After(start) {
		c.problem(mapping.End, false, "ends at %s, not after its start %s", end.Format("15:04"), start.Format("15:04"))
		return start, end, false
	}
	for _, x := range []struct {
		f mapping.Field
		t time.Time
	}{{mapping.Start, start}, {mapping.End, end}} {
		local := time.Date(x.t.Year(), x.t.Month(), x.t.Day(), x.t.Hour(), x.t.Minute(), 0, 0, v.loc)
		if local.Hour() != x.t.Hour() || local.Minute() != x.t.Minute() {
			c.problem(x.f, false, "%s does not exist in %s (the clocks change that day)", x.t.Format("2006-01-02 15:04"), v.loc)
			return start, end, false
		}
	}
	e := v.opts.Event
	if !e.Start.IsZero() && (start.Before(dayOf(e.Start)) || end.After(dayOf(e.End).AddDate(0, 0, 1))) {
		c.problem(mapping.Start, true, "%s is outside the event's dates (%s to %s)", start.Format("2006-01-02"), e.Start.Format("2006-01-02"), e.End.Format("2006-01-02"))
	}
	return start, end, true
}

// dates reads the column of field f: in the order the organizer chose,
// else in the one its other dates give.
func (v *Validator) dates(c *rowCtx, f mapping.Field) Dates {
	d := v.opts.Dates
	if d.Order == "" {
		d.Order = v.orders[c.s.Name][f].order()
	}
	return d
}

// ambiguous warns about a numeric date both orders read (03/04/2025),
// read as t: how it was read, and why.
func (v *Validator) ambiguous(c *rowCtx, f mapping.Field, raw string, t time.Time, err error) {
	if v.opts.Dates.Order != "" {
		return // the organizer chose
	}
	o, ok := NumericOrder(datePart(raw))
	if !ok || o != "" {
		return
	}
	if err == ErrAmbiguous {
		c.problem(f, true, "%s is ambiguous: read day first, as %s; if it is month first, choose date_order MDY (import.configure)", datePart(raw), t.Format("2 January 2006"))
		return
	}
	e := v.orders[c.s.Name][f]
	if e == nil || e.order() == "" || err != nil {
		return
	}
	like, word := e.dmyFirst, "day"
	if e.order() == MDY {
		like, word = e.mdyFirst, "month"
	}
	c.problem(f, true, "%s is ambiguous: read %s first, as %s, like %s of the same column", datePart(raw), word, t.Format("2 January 2006"), like)
}

func dayOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Finish runs the checks that need every row: the dates and times of the
// sessions (a column's unambiguous dates decide the order of its
// ambiguous ones), their keys (an id, or SessionKey) and repeats, the
// speakers a session names exist (in the file or in hub), and sessions of
// one room do not overlap. It adds the problems to the session rows and
// returns those rows (they were held back by Row).
func (v *Validator) Finish() []*Row {
	rows := make([]*Row, len(v.sessions))
	for i, h := range v.sessions {
		r, s := h.row, h.row.Session
		rows[i] = r
		c := &rowCtx{s: h.sheet, r: sheet.Row{Num: r.Num}, out: r,
			vals: map[mapping.Field]string{mapping.Date: h.date, mapping.Start: h.start, mapping.End: h.end}}
		start, end, ok := v.times(c)
		if ok {
			s.Start, s.End = start.Format(wallClock), end.Format(wallClock)
		}
		if s.ExternalID == "" && ok && s.Title != "" {
			s.ExternalID = SessionKey(v.opts.Event.ID, s.Title, s.Start)
			if h.sheet.Col(mapping.ExternalID) >= 0 {
				c.problem(mapping.ExternalID, true, "no session id: keyed by its title and start (%s)", s.ExternalID)
			}
		}
		if s.ExternalID != "" {
			r.Key = "x:" + s.ExternalID
			v.dedupe(c, r.Key)
		}
		for i, ref := range s.Speakers {
			k, ok := v.speakerKey(ref)
			if !ok {
				p := Problem{Sheet: r.Sheet, Row: r.Num, Column: v.colOf(r.Sheet, mapping.SpeakerRefs), Field: string(mapping.SpeakerRefs),
					Message: fmt.Sprintf("speaker %q is neither in the speakers sheet nor already in the app", ref)}
				r.Problems = append(r.Problems, p)
				continue
			}
			s.Speakers[i] = k
		}
	}
	v.sessions = nil
	v.overlaps(rows)
	return rows
}

// overlaps reports the sessions that start, in a room, before the one
// before them there has ended: on the start (the cell to change), naming
// the other session and its row.
func (v *Validator) overlaps(rows []*Row) {
	type slot struct {
		r          *Row // nil for a session already in hub
		start, end string
		key        string
	}
	name := func(x slot) string {
		if x.r == nil {
			return fmt.Sprintf("session %s already in the app", strings.SplitN(x.key, ":", 2)[1])
		}
		return fmt.Sprintf("%q (row %d)", x.r.Session.Title, x.r.Num)
	}
	rooms := map[string][]slot{}
	inFile := map[string]bool{}
	for _, r := range rows {
		inFile[r.Key] = true
		s := r.Session
		if s.Room == "" || s.Start == "" || r.Rejected() {
			continue
		}
		room := mapping.Fold(s.Room)
		rooms[room] = append(rooms[room], slot{r: r, start: s.Start, end: s.End, key: r.Key})
	}
	for _, x := range v.opts.ExistingSessions {
		if x.Room == "" || inFile[x.Key] {
			continue
		}
		room := mapping.Fold(x.Room)
		if len(rooms[room]) > 0 {
			rooms[room] = append(rooms[room], slot{r: nil, start: x.Start, end: x.End, key: x.Key})
		}
	}
	for _, slots := range rooms {
		sort.SliceStable(slots, func(i, j int) bool {
			if slots[i].start != slots[j].start {
				return slots[i].start < slots[j].start
			}
			return slots[i].r == nil // hub's first
		})
		for i := 1; i < len(slots); i++ {
			// Compare with every earlier slot that is still running.
			cur := slots[i]
			for j := i - 1; j >= 0; j-- {
				prev := slots[j]
				if cur.start >= prev.end {
					continue
				}
				// The later session is the one to move; when it is hub's,
				// the file's session it overlaps gets the problem.
				at, other := cur, prev
				if cur.r == nil {
					if prev.r == nil {
						continue
					}
					at, other = prev, cur
				}
				at.r.Problems = append(at.r.Problems, Problem{Sheet: at.r.Sheet, Row: at.r.Num, Column: v.colOf(at.r.Sheet, mapping.Start), Field: string(mapping.Start),
					Message: fmt.Sprintf("overlaps %s in %s: %s to %s against %s to %s", name(other), at.r.Session.Room, at.start[11:], at.end[11:], other.start[11:], other.end[11:])})
				break
			}
		}
	}
}

// speakerKey resolves a session's reference to a speaker: an external id
// or an email, of the file's speakers or hub's.
func (v *Validator) speakerKey(ref string) (string, bool) {
	candidates := []string{"x:" + ref}
	if e, err := Email(ref); err == nil {
		candidates = append([]string{"e:" + EmailKey(e)}, candidates...)
	}
	for _, k := range candidates {
		if v.speakers[k] || v.opts.ExistingSpeakers[k] {
			return k, true
		}
	}
	return "", false
}
