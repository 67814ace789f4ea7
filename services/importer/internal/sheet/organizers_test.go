package sheet_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/importer/internal/sheet"
)

// numbered reads every row of a sheet as "num: cell|cell|..." with the
// type of each typed cell ("2026-05-02(date)"), blank rows as "num:".
func numbered(t *testing.T, b sheet.Book, name string) []string {
	t.Helper()
	rows, err := b.Rows(name)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	names := map[sheet.CellType]string{sheet.Number: "number", sheet.Bool: "bool", sheet.Date: "date", sheet.Time: "time", sheet.DateTime: "datetime"}
	var out []string
	for rows.Next() {
		r := rows.Row()
		var cells []string
		for i, c := range r.Cells {
			if n, ok := names[r.Type(i)]; ok {
				c += "(" + n + ")"
			}
			cells = append(cells, c)
		}
		out = append(out, strings.TrimRight(fmt.Sprintf("%d: %s", r.Num, strings.Join(cells, "|")), "| "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Issue 13's attendee list as LibreOffice saves it: rows are numbered as
// the spreadsheet shows them, blank rows included; a date cell reads as
// an ISO date, never its serial number (45779); booleans and numbers keep
// their types where the format says them (an .xlsx does not mark its
// booleans, a CSV has no types).
func TestOrganizerAttendees(t *testing.T) {
	blank := func(n int) string { return fmt.Sprintf("%d:", n) }
	tests := []struct {
		file  string
		date  string // the type mark of a date cell
		bool_ string // of a boolean cell
	}{
		{"tickets.xlsx", "(date)", ""},
		{"tickets.xls", "(date)", "(bool)"},
		{"tickets.csv", "", ""},
		{"tickets-semicolon-1252.csv", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := openFile(t, filepath.Join(testdata, "org", tt.file), sheet.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			got := numbered(t, b, b.Sheets()[0])
			// Blank rows: an .xlsx has none (the numbers skip them), an
			// .xls neither, a CSV has a line of separators.
			for i, g := range got {
				if strings.Trim(g, "|:0123456789 ") == "" {
					got[i] = strings.TrimRight(g, "|")
				}
			}
			d, bo := tt.date, tt.bool_
			want := []string{
				"1: Email|First name|Last name|Ticket|Phone|Registered on|Newsletter",
				"2: Ada.Lovelace@Example.com|Ada|Lovelace|Standard|+44 20 7946 0018|2026-05-02" + d + "|TRUE" + bo,
				"3: grace@example.com|Grace|Hopper|VIP|(202) 555-0143|2026-05-03" + d + "|FALSE" + bo,
				blank(4),
				"5: alan@example.com|Alan|Turing|Early Bird|0033 6 12 34 56 78|2026-04-30" + d + "|TRUE" + bo,
				"6: edsger@example.com|Edsger|Dijkstra|VIP||2026-05-04" + d + "|FALSE" + bo,
				"7: barbara@example.com|Barbara|Liskov|Standard|+1 202 555 0199|2026-05-05" + d + "|TRUE" + bo,
				blank(8), blank(9),
				"10: ADA.LOVELACE@example.com|Ada|Again|VIP",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

// An agenda as LibreOffice and Gnumeric save it: date cells as dates,
// time cells as times, text dates as written, numbers typed.
func TestOrganizerAgenda(t *testing.T) {
	for _, file := range []string{"agenda.xlsx", "agenda.xls"} {
		t.Run(file, func(t *testing.T) {
			b, err := openFile(t, filepath.Join(testdata, "org", file), sheet.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			want := []string{
				"1: Title|Date|Start|End|Room|Speakers",
				"2: Opening keynote|2026-06-12(date)|09:00(time)|10:00(time)|Main hall|curie",
				"3:",
				"4: Compilers|12/06/2026|10:30(time)|11:15(time)|Main hall",
				"5: Overlapping talk|2026-06-12(date)|10:45(time)|11:30(time)|Main hall",
				"6: Day two|13/06/2026|09:00(time)|10:00(time)|Room B|bohr",
			}
			if diff := cmp.Diff(want, numbered(t, b, "Agenda")); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
	for _, file := range []string{"event.xlsx", "event.xls", "event-gnumeric.xlsx"} {
		t.Run(file, func(t *testing.T) {
			b, err := openFile(t, filepath.Join(testdata, "org", file), sheet.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			got := numbered(t, b, "Sessions")
			for i, want := range map[int]string{
				1: "2: Opening keynote|2026-06-12(date)|09:00(time)|10:00(time)|Main hall|curie|300(number)",
				3: "4:",
				7: "8: Closing|2026-06-13(date)|17:00(time)|17:30(time)|Main hall|curie; bohr|300(number)",
			} {
				if i >= len(got) || got[i] != want {
					t.Errorf("row %d: %q, want %q", i+1, got[min(i, len(got)-1)], want)
				}
			}
		})
	}
}

// A CSV file's empty lines are rows, as in every spreadsheet that opens
// it; a quoted line break is not a new row.
func TestCSVRowNumbers(t *testing.T) {
	csv := "Email,Name\r\na@example.com,A\r\n\r\n\r\nb@example.com,\"B\r\nsecond line\"\r\n\r\nc@example.com,C\r\n"
	b, err := openBytes(t, []byte(csv), sheet.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1: Email|Name", "2: a@example.com|A", "3:", "4:", "5: b@example.com|B\nsecond line", "6:", "7: c@example.com|C"}
	if diff := cmp.Diff(want, numbered(t, b, "Sheet1")); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	// Empty lines count against the row limit.
	b, err = openBytes(t, []byte("a\n\n\n\nb\n"), sheet.Limits{MaxRows: 4})
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := b.Rows("Sheet1")
	for rows.Next() {
	}
	if fe, ok := sheet.IsFileError(rows.Err()); !ok || fe.Code != sheet.CodeTooManyRows {
		t.Errorf("5 rows under a limit of 4: %v", rows.Err())
	}
}

// An HTML page (here LibreOffice's export of the attendees) is refused as
// what it is, whatever its name, not read as a CSV file without a header.
func TestHTMLRefused(t *testing.T) {
	_, err := openFile(t, filepath.Join(testdata, "org", "html-renamed.xls"), sheet.Limits{})
	fe, ok := sheet.IsFileError(err)
	if !ok || fe.Code != sheet.CodeUnsupported || !strings.Contains(fe.Message, "HTML") {
		t.Errorf("html-renamed.xls: %v", err)
	}
}

func TestFormatTypes(t *testing.T) {
	for code, want := range map[string]sheet.CellType{
		"General": sheet.Text, "0.00": sheet.Text, "@": sheet.Text, `#,##0 "days"`: sheet.Text, "[Red]0.0": sheet.Text,
		"dd/mm/yyyy": sheet.Date, "mmm d": sheet.Date, "mmmm": sheet.Date, `yyyy"-"mm"-"dd`: sheet.Date,
		"[$-409]d-mmm-yy;@": sheet.Date, "hh:mm": sheet.Time, "[h]:mm:ss": sheet.Time, "h:mm AM/PM": sheet.Time,
		"yyyy-mm-dd hh:mm": sheet.DateTime, `d/m/yy\ h:mm`: sheet.DateTime,
	} {
		if got := sheet.FormatType(code); got != want {
			t.Errorf("FormatType(%q) = %v, want %v", code, got, want)
		}
	}
}
