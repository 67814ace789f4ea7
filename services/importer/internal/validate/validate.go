// Package validate turns the mapped rows of an uploaded workbook into
// records for hub, with every problem located by sheet, row and column:
// required fields, emails, phones, URLs, dates and times (wall-clock in
// the event's time zone), booleans, enums and lengths, duplicates within
// the file, sessions whose speakers exist nowhere, and sessions that
// overlap in a room.
package validate

import (
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
	Phone      string            `json:"phone,omitempty"`
	PhotoURL   string            `json:"photo_url,omitempty"`
	Bio        string            `json:"bio,omitempty"`
	Role       string            `json:"role,omitempty"`
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
	// "e:<email>".
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
	sessions []*Row
	sheets   map[string]*mapping.Sheet
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
	return &Validator{opts: opts, loc: loc, seed: maphash.MakeSeed(), seen: map[mapping.Kind]map[uint64]rowRef{}, speakers: map[string]bool{}, sheets: map[string]*mapping.Sheet{}}, nil
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
			custom[col.Custom] = val
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
		v.sessions = append(v.sessions, out)
	}
	if out.Key != "" {
		v.dedupe(c, out.Key)
	}
	return out
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
		c.problem(f, false, "%s %s repeats %s", label(f), key[2:], where)
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
	return e
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
		return "e:" + email
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
	if raw := c.vals[mapping.Phone]; raw != "" {
		p, err := Phone(raw)
		if err != nil {
			c.problem(mapping.Phone, false, "%q is %v", raw, err)
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
	if m.Email != "" && m.ExternalID == "" {
		c.out.Key = "e:" + m.Email
	}
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
		v.speakers["e:"+s.Email] = true
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
	c.required(mapping.ExternalID, s.ExternalID)
	c.required(mapping.Title, s.Title)
	if raw := c.vals[mapping.Capacity]; raw != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(raw, ".0"))
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
	start, end, ok := v.times(c)
	if ok {
		s.Start, s.End = start.Format(wallClock), end.Format(wallClock)
	}
	c.out.Key = key(s.ExternalID, "")
	return s
}

const wallClock = "2006-01-02T15:04"

// times reads a session's start and end: a date column with start and
// end times, or start and end that carry their own dates. The times are
// wall-clock in the event's zone and must exist there.
func (v *Validator) times(c *rowCtx) (start, end time.Time, ok bool) {
	d := v.opts.Dates
	var day time.Time
	hasDay := false
	if raw := c.vals[mapping.Date]; raw != "" {
		t, err := d.Date(raw)
		if err != nil {
			c.problem(mapping.Date, false, "%q is %v", raw, err)
			return start, end, false
		}
		day, hasDay = t, true
	}
	read := func(f mapping.Field, base time.Time, hasBase bool) (time.Time, bool) {
		raw := c.vals[f]
		if raw == "" {
			c.required(f, "")
			return time.Time{}, false
		}
		if t, hasTime, err := d.DateTime(raw); err == nil {
			if !hasTime {
				c.problem(f, false, "%q has a date but no time", raw)
				return time.Time{}, false
			}
			return t, true
		}
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

func dayOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Finish runs the checks that need every row: the speakers a session
// names exist (in the file or in hub), and sessions of one room do not
// overlap. It adds the problems to the session rows and returns those
// rows (they were held back by Row).
func (v *Validator) Finish() []*Row {
	for _, r := range v.sessions {
		s := r.Session
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
	// Overlaps: per room, sorted by start.
	type slot struct {
		r          *Row // nil for a session already in hub
		start, end string
		key        string
	}
	rooms := map[string][]slot{}
	for _, r := range v.sessions {
		s := r.Session
		if s.Room == "" || s.Start == "" || r.Rejected() {
			continue
		}
		room := mapping.Fold(s.Room)
		rooms[room] = append(rooms[room], slot{r: r, start: s.Start, end: s.End, key: r.Key})
	}
	inFile := map[string]bool{}
	for _, r := range v.sessions {
		inFile[r.Key] = true
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
		sort.Slice(slots, func(i, j int) bool {
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
				if cur.r == nil { // hub's session overlaps one of the file's
					if prev.r != nil {
						prev.r.Problems = append(prev.r.Problems, Problem{Sheet: prev.r.Sheet, Row: prev.r.Num, Column: v.colOf(prev.r.Sheet, mapping.Room),
							Field: string(mapping.Room), Message: fmt.Sprintf("overlaps session %s already in the app (%s to %s) in %s", strings.SplitN(cur.key, ":", 2)[1], cur.start[11:], cur.end[11:], prev.r.Session.Room)})
					}
					continue
				}
				what := fmt.Sprintf("session %s already in the app", strings.SplitN(prev.key, ":", 2)[1])
				if prev.r != nil {
					what = fmt.Sprintf("session %s (row %d)", prev.r.Session.ExternalID, prev.r.Num)
				}
				cur.r.Problems = append(cur.r.Problems, Problem{Sheet: cur.r.Sheet, Row: cur.r.Num, Column: v.colOf(cur.r.Sheet, mapping.Room), Field: string(mapping.Room),
					Message: fmt.Sprintf("overlaps %s, %s to %s, in %s", what, prev.start[11:], prev.end[11:], cur.r.Session.Room)})
				break
			}
		}
	}
	return v.sessions
}

// speakerKey resolves a session's reference to a speaker: an external id
// or an email, of the file's speakers or hub's.
func (v *Validator) speakerKey(ref string) (string, bool) {
	candidates := []string{"x:" + ref}
	if e, err := Email(ref); err == nil {
		candidates = append([]string{"e:" + e}, candidates...)
	}
	for _, k := range candidates {
		if v.speakers[k] || v.opts.ExistingSpeakers[k] {
			return k, true
		}
	}
	return "", false
}
