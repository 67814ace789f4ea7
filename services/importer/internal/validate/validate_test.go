package validate_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/importer/internal/mapping"
	"github.com/attendify/importer/internal/sheet"
	"github.com/attendify/importer/internal/validate"
)

func TestValues(t *testing.T) {
	emails := map[string]bool{"ada@example.com": true, "Ada@Example.COM": true, "alan@example": false, "a b@example.com": false, "": false, "x@.com": false}
	for in, ok := range emails {
		if _, err := validate.Email(in); (err == nil) != ok {
			t.Errorf("Email(%q): %v", in, err)
		}
	}
	// Kept as written (hub derives the E.164 form).
	for in, want := range map[string]string{" +33 6 12 34 56 78 ": "+33 6 12 34 56 78", "0044 20 7946 0018": "0044 20 7946 0018",
		"(202) 555-0143": "(202) 555-0143"} {
		if got, err := validate.Phone(in); err != nil || got != want {
			t.Errorf("Phone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"12", "call me"} {
		if _, err := validate.Phone(in); err == nil {
			t.Errorf("Phone(%q) is a phone number", in)
		}
	}
	for in, want := range map[string]bool{"oui": true, "Yes": true, "x": true, "non": false, "0": false} {
		if got, err := validate.Bool(in); err != nil || got != want {
			t.Errorf("Bool(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := validate.Bool("maybe"); err == nil {
		t.Error("maybe is a boolean")
	}
	if r, err := validate.Role("Intervenant"); err != nil || r != "speaker" {
		t.Errorf("Role(Intervenant) = %q, %v", r, err)
	}
	if u, err := validate.URL("example.com/ada"); err != nil || u != "https://example.com/ada" {
		t.Errorf("URL = %q, %v", u, err)
	}
}

func TestDates(t *testing.T) {
	dmy := validate.Dates{Order: validate.DMY}
	mdy := validate.Dates{Order: validate.MDY}
	tests := []struct {
		d    validate.Dates
		in   string
		want string
	}{
		{dmy, "45820", "2025-06-12"},
		{dmy, "12/06/2025", "2025-06-12"},
		{mdy, "06/12/2025", "2025-06-12"},
		{mdy, "13/06/2025", "2025-06-13"}, // a part over 12 decides
		{dmy, "2025-06-12", "2025-06-12"},
		{dmy, "12 June 2025", "2025-06-12"},
		{dmy, "June 12, 2025", "2025-06-12"},
		{dmy, "12.06.25", "2025-06-12"},
	}
	for _, tt := range tests {
		got, err := tt.d.Date(tt.in)
		if err != nil || got.Format("2006-01-02") != tt.want {
			t.Errorf("%s Date(%q) = %v, %v; want %s", tt.d.Order, tt.in, got, err, tt.want)
		}
	}
	if _, err := dmy.Date("31/02/2025"); err == nil {
		t.Error("31 February is a date")
	}
	for in, want := range map[string]int{"0.375": 540, "09:30": 570, "9:30 PM": 1290, "14h15": 855} {
		if got, err := dmy.Clock(in); err != nil || got != want {
			t.Errorf("Clock(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}

func TestSessionsAcrossRows(t *testing.T) {
	v, err := validate.New(validate.Options{Dates: validate.Dates{Order: validate.DMY}, Event: validate.Event{TimeZone: "Europe/Paris"},
		ExistingSpeakers: map[string]bool{"x:known": true},
		ExistingSessions: []validate.Slot{{Key: "x:old", Room: "Room B", Start: "2025-06-12T14:00", End: "2025-06-12T15:00"}}})
	if err != nil {
		t.Fatal(err)
	}
	s := mapping.Detect("Sessions", "", [][]string{{"Session ID", "Title", "Date", "Start", "End", "Room", "Speakers"}}, []int{1})
	rows := [][]string{
		{"s1", "One", "12/06/2025", "09:00", "10:00", "Main", "known"},
		{"s2", "Two", "12/06/2025", "09:30", "10:30", "main", ""},         // overlaps s1 (room names fold)
		{"s3", "Three", "12/06/2025", "14:30", "15:30", "Room B", ""},     // overlaps hub's
		{"s5", "Five", "12/06/2025", "16:00", "17:00", "Room C", "ghost"}, // unknown speaker
		{"s4", "Four", "30/03/2025", "02:30", "03:00", "Other", ""},       // 02:30 does not exist in Paris that day
	}
	for i, r := range rows {
		v.Row(&s, sheet.Row{Num: i + 2, Cells: r})
	}
	got := map[int][]string{}
	for _, r := range v.Finish() {
		for _, p := range r.Problems {
			got[r.Num] = append(got[r.Num], p.Column+" "+p.Message)
		}
	}
	want := map[int]int{2: 0, 3: 1, 4: 1, 5: 1, 6: 1}
	for row, n := range want {
		if len(got[row]) != n {
			t.Errorf("row %d problems %q, want %d", row, got[row], n)
		}
	}
}

func TestAttendeeRow(t *testing.T) {
	s := mapping.Detect("Attendees", "", [][]string{{"Email", "First name", "Last name", "VIP", "LinkedIn"}}, []int{1})
	v, _ := validate.New(validate.Options{})
	r := v.Row(&s, sheet.Row{Num: 2, Cells: []string{" Ada@Example.com ", "Ada", "Lovelace", "oui", "linkedin.com/in/ada"}})
	if r.Rejected() || r.Member.Email != "Ada@Example.com" || r.Member.Name != "Ada Lovelace" || r.Key != "e:ada@example.com" ||
		r.Member.VIP == nil || !*r.Member.VIP || len(r.Member.Links) != 1 {
		t.Errorf("row %+v member %+v", r, r.Member)
	}
	dup := v.Row(&s, sheet.Row{Num: 3, Cells: []string{"ada@example.com", "Ada", "Again"}})
	if !dup.Rejected() || dup.Problems[0].Column != "A" {
		t.Errorf("duplicate: %+v", dup.Problems)
	}
}

// sessionProblems validates session rows of the header Title, Date,
// Start, End, Room and returns each row's problems and the rows.
func sessionProblems(t *testing.T, order validate.DateOrder, rows [][]string) (map[int][]string, []*validate.Row) {
	t.Helper()
	v, err := validate.New(validate.Options{Dates: validate.Dates{Order: order}})
	if err != nil {
		t.Fatal(err)
	}
	s := mapping.Detect("Agenda", "", [][]string{{"Title", "Date", "Start", "End", "Room"}}, []int{1})
	for i, r := range rows {
		v.Row(&s, sheet.Row{Num: i + 2, Cells: r})
	}
	got := map[int][]string{}
	out := v.Finish()
	for _, r := range out {
		for _, p := range r.Problems {
			w := ""
			if p.Warning {
				w = " (warning)"
			}
			got[r.Num] = append(got[r.Num], p.Column+": "+p.Message+w)
		}
	}
	return got, out
}

// A slash date whose day and month are both 12 or less is flagged: read
// in the order the column's other dates give when they give one, day
// first otherwise; an order chosen in configure silences it. Dotted dates
// are day first; ISO dates are what they say.
func TestAmbiguousDates(t *testing.T) {
	rows := [][]string{
		{"A", "03/04/2026", "09:00", "10:00", ""},
		{"B", "13/04/2026", "09:00", "10:00", ""},
		{"C", "04.03.2026", "09:00", "10:00", ""},
		{"D", "2026-03-04", "09:00", "10:00", ""},
	}
	got, out := sessionProblems(t, "", rows)
	want := map[int][]string{2: {"B: 03/04/2026 is ambiguous: read day first, as 3 April 2026, like 13/04/2026 (row 3) of the same column (warning)"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	starts := []string{}
	for _, r := range out {
		starts = append(starts, r.Session.Start)
	}
	if diff := cmp.Diff([]string{"2026-04-03T09:00", "2026-04-13T09:00", "2026-03-04T09:00", "2026-03-04T09:00"}, starts); diff != "" {
		t.Errorf("starts (-want +got):\n%s", diff)
	}

	// Month first where the column says so.
	got, out = sessionProblems(t, "", [][]string{{"A", "03/04/2026", "09:00", "10:00", ""}, {"B", "04/13/2026", "09:00", "10:00", ""}})
	if out[0].Session.Start != "2026-03-04T09:00" || !strings.Contains(strings.Join(got[2], ""), "read month first, as 4 March 2026, like 04/13/2026 (row 3)") {
		t.Errorf("month first: %s %q", out[0].Session.Start, got[2])
	}
	// No other date: day first, and the organizer is told how to change it.
	got, _ = sessionProblems(t, "", [][]string{{"A", "03/04/2026", "09:00", "10:00", ""}})
	if !strings.Contains(strings.Join(got[2], ""), "03/04/2026 is ambiguous: read day first, as 3 April 2026; if it is month first, choose date_order MDY") {
		t.Errorf("alone: %q", got[2])
	}
	// Chosen in configure: no warning.
	got, out = sessionProblems(t, validate.MDY, [][]string{{"A", "03/04/2026", "09:00", "10:00", ""}})
	if len(got) != 0 || out[0].Session.Start != "2026-03-04T09:00" {
		t.Errorf("MDY chosen: %v %s", got, out[0].Session.Start)
	}
}

// Sessions without an id are keyed by their title and start: the same
// agenda gives the same keys; two rows of the same title and start are
// one session repeated. An overlap in a room is reported on the start of
// the later session, naming the other one's row.
func TestSessionsWithoutID(t *testing.T) {
	rows := [][]string{
		{"Opening keynote", "2026-06-12", "09:00", "10:00", "Main hall"},
		{"Compilers", "2026-06-12", "09:30", "10:30", "main hall"},
		{"  opening  KEYNOTE ", "2026-06-12", "09:00", "10:00", "Room B"},
	}
	got, out := sessionProblems(t, "", rows)
	k := validate.SessionKey("", "Opening keynote", "2026-06-12T09:00")
	if out[0].Key != "x:"+k || out[0].Session.ExternalID != k || !strings.HasPrefix(k, "auto-") {
		t.Errorf("key %q, external id %q", out[0].Key, out[0].Session.ExternalID)
	}
	want := map[int][]string{
		3: {`C: overlaps "Opening keynote" (row 2) in main hall: 09:30 to 10:30 against 09:00 to 10:00`},
		4: {"A: repeats the session of row 2 (the same title and start)"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// An end time earlier than its start, with no date of its own, is a
// session past midnight when that makes it at most 12 hours long (a
// warning says so); longer, it is a slip and the row is refused. A
// capacity written with digit grouping is a whole number.
func TestSessionPastMidnightAndGroupedCapacity(t *testing.T) {
	v, err := validate.New(validate.Options{Event: validate.Event{TimeZone: "Europe/Paris"}})
	if err != nil {
		t.Fatal(err)
	}
	s := mapping.Detect("Agenda", "", [][]string{{"Title", "Date", "Start", "End", "Capacity"}}, []int{1})
	rows := [][]string{
		{"Night", "2026-06-12", "22:30", "00:30", "1,200"},
		{"Slip", "2026-06-12", "16:00", "15:00", "1.200"},
		{"Dated", "2026-06-12", "2026-06-12 23:00", "2026-06-12 01:00", "1 200"},
		{"Seats", "2026-06-12", "09:00", "10:00", "1,5"},
	}
	for i, r := range rows {
		v.Row(&s, sheet.Row{Num: i + 2, Cells: r})
	}
	out := v.Finish()
	if len(out) != len(rows) {
		t.Fatalf("%d rows out of %d", len(out), len(rows))
	}
	night := out[0]
	if night.Rejected() || night.Session == nil || night.Session.Capacity != 1200 ||
		night.Session.Start != "2026-06-12T22:30" || night.Session.End != "2026-06-13T00:30" ||
		len(night.Problems) != 1 || !night.Problems[0].Warning {
		t.Errorf("22:30 to 00:30: %+v, session %+v", night.Problems, night.Session)
	}
	if slip := out[1]; !slip.Rejected() || !strings.Contains(slip.Problems[0].Message, "not after its start") {
		t.Errorf("16:00 to 15:00: %+v", slip.Problems)
	}
	if dated := out[2]; !dated.Rejected() {
		t.Errorf("an end with its own date before the start: %+v", dated.Problems)
	}
	if seats := out[3]; !seats.Rejected() || !strings.Contains(seats.Problems[0].Message, "not a number of seats") {
		t.Errorf("1,5 seats: %+v", seats.Problems)
	}
}
