package sheet_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/importer/internal/sheet"
)

// The attendee and agenda workbook of testdata/src/make_writers.py as
// other programs write it (testdata/writers, made by gen.sh): LibreOffice
// (.xlsx, .xls, CSV), SheetJS (.xlsx with inline strings, BIFF8 .xls) and
// excelize's StreamWriter (.xlsx with inline strings). Each cell reads as
// the organizer sees it: date cells as ISO dates, a text-formatted date
// column as written, a zip code kept by a "00000" format with its leading
// zero (07501, not 7501), formulas as their cached values; hidden sheets
// and rows are said hidden.
func TestWriters(t *testing.T) {
	// Cells past the long text (column D of row 7) are left out.
	attendees := func(formula func(string) string, bool_ string) []string {
		return []string{
			"1: Registrations – Festival 2026 🎉",
			"2: Person|||||Contact||||Registration",
			"3: Email|First name|Last name|Company||Phone|Mobile|Zip|Postcode|Registered on|Registration date|Checked in|Newsletter|Amount paid|Badge name",
			"4: zoe@example.com|Zoé|Lemaître|Société Générale||0612345678|33612345678(number)|07501|07501|2026-05-02(date)|02/05/2026|2026-06-12T08:45(datetime)|TRUE" + bool_ + "|1234.5(number)|" + formula("Zoé Lemaître"),
			"5: taro@example.jp|太郎|山田|株式会社テスト||+81 3-1234-5678|819012345678(number)|100-0001|00501|2026-04-30(date)|30/04/2026|2026-06-12T23:59(datetime)|FALSE" + bool_ + "|1000000(number)|" + formula("太郎 山田"),
			"6: party@example.com|Émilie 🎉|O'Brien-Nuñez|Fiesta 🎊 GmbH||||||2026-05-03(date)|2026-05-03||TRUE" + bool_ + "|0.5(number)|" + formula("O'BRIEN-NUÑEZ"),
			"7: long@example.com|Long|Notes|<long>||00 44 20 7946 0018||SW1A 1AA||2026-01-01(date)|01/01/2026|2026-06-13T00:15(datetime)|FALSE" + bool_ + "|12(number)|" + strings.Replace(formula("3000"), "0(number)", "3000", 1) + "(number)",
			"8: hidden@example.com|Hidden|Row|||||||2026-05-05(date)",
			"9: last@example.com|Last|Row|||+1 (202) 555-0143|||02134|2026-12-31(date)|12/31/2026|2026-06-12T12:00(datetime)|TRUE" + bool_ + "|-42.25(number)|" + formula("Last Row"),
		}
	}
	agenda := []string{
		"1: Title|Date|Start|End|Room|Capacity|Description",
		"2: Opening keynote|2026-06-12(date)|09:00(time)|10:00(time)|Main hall|1200(number)|Welcome 👋",
		"3: Atelier café ☕|2026-06-12(date)|10:30(time)|11:15(time)|Salle Éiffel|40(number)|Dégustation\nen deux parties",
		"4: 夜のセッション Night session|2026-06-12(date)|22:30(time)|00:30(time)|屋上 Rooftop|250(number)",
		"5: Day two|2026-06-13(date)|09:00(time)|09:45(time)|Main hall|1200(number)|<long>",
	}
	cached := func(s string) string { return s }
	// LibreOffice 7.4 writes 0 as the cached result of a text formula in
	// an .xls (see the README's known gaps).
	zero := func(string) string { return "0(number)" }
	tests := []struct {
		file      string
		sheets    []string
		hidden    string // the hidden sheet
		hiddenRow bool   // row 8 hidden
		formula   func(string) string
		bool_     string
		trailing  int // blank rows after the data
	}{
		// LibreOffice headless writes the hidden sheet as visible.
		{"writers.xlsx", []string{"Old list", "Attendees", "Agenda"}, "", true, cached, "", 5},
		{"writers.xls", []string{"Old list", "Attendees", "Agenda"}, "", true, zero, "(bool)", 0},
		{"writers-sheetjs.xlsx", []string{"Old list", "Attendees", "Agenda"}, "Old list", true, cached, "", 0},
		// SheetJS's BIFF8 writer writes no row records: no hidden row.
		{"writers-sheetjs.xls", []string{"Old list", "Attendees", "Agenda"}, "Old list", false, cached, "(bool)", 0},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := openFile(t, filepath.Join(testdata, "writers", tt.file), sheet.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if diff := cmp.Diff(tt.sheets, b.Sheets()); diff != "" {
				t.Errorf("sheets (-want +got):\n%s", diff)
			}
			for _, s := range b.Sheets() {
				if b.Hidden(s) != (s == tt.hidden) {
					t.Errorf("sheet %q hidden: %v", s, b.Hidden(s))
				}
			}
			if diff := cmp.Diff([]string{"1: Email|Name", "2: old.list@example.com|Last Year"}, numbered(t, b, "Old list")); diff != "" {
				t.Errorf("Old list (-want +got):\n%s", diff)
			}
			got := numbered(t, b, "Attendees")
			want := attendees(tt.formula, tt.bool_)
			for range tt.trailing {
				want = append(want, "")
			}
			for i := range got {
				got[i] = longText(got[i])
				if i >= len(want)-tt.trailing && i < len(want) && strings.TrimRight(got[i], ":0123456789") == "" {
					got[i] = ""
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Attendees (-want +got):\n%s", diff)
			}
			rows, err := b.Rows("Attendees")
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				if r := rows.Row(); r.Hidden != (r.Num == 8 && tt.hiddenRow) {
					t.Errorf("row %d hidden: %v", r.Num, r.Hidden)
				}
			}
			rows.Close()
			got = numbered(t, b, "Agenda")
			for i := range got {
				got[i] = longText(got[i])
			}
			for len(got) > len(agenda) && strings.TrimRight(got[len(got)-1], ":0123456789") == "" {
				got = got[:len(got)-1] // the formatted empty rows LibreOffice keeps
			}
			if diff := cmp.Diff(agenda, got); diff != "" {
				t.Errorf("Agenda (-want +got):\n%s", diff)
			}
		})
	}
}

// longText replaces the long notes (thousands of characters, with line
// breaks, quotes, tabs and emoji; SheetJS's .xls keeps their first 255
// UTF-16 units, a LABEL record's) in a row by "<long>".
func longText(row string) string {
	cells := strings.Split(row, "|")
	for i, c := range cells {
		if strings.HasPrefix(c, "Zoé's notes: arrives late ") && utf8.RuneCountInString(c) > 200 && strings.Count(c, "\n") >= 2 {
			cells[i] = "<long>"
		}
	}
	return strings.Join(cells, "|")
}

// excelize's StreamWriter (inline strings) and LibreOffice's CSV (";",
// UTF-8 and Windows-1252, quoted line breaks): the same cells, CSV as
// shown (LibreOffice writes what the format shows: 07501, 1,234.50).
func TestWritersOthers(t *testing.T) {
	b, err := openFile(t, filepath.Join(testdata, "writers", "writers-excelize.xlsx"), sheet.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !b.Hidden("Old list") || b.Hidden("Attendees") {
		t.Errorf("hidden: Old list %v, Attendees %v", b.Hidden("Old list"), b.Hidden("Attendees"))
	}
	got := numbered(t, b, "Attendees")
	if want := "4: zoe@example.com|Zoé|Lemaître|Société Générale||0612345678|33612345678(number)|07501|07501|2026-05-02(date)|02/05/2026|2026-06-12T08:45(datetime)|TRUE|1234.5(number)|Zoé Lemaître"; len(got) < 4 || got[3] != want {
		t.Errorf("row 4: %q", got)
	}
	for file, want := range map[string]string{
		"attendees-utf8-semicolon.csv": "4: zoe@example.com|Zoé|Lemaître|Société Générale||0612345678|33612345678|07501|07501|02/05/2026|02/05/2026|2026-06-12 08:45|TRUE|1,234.50|Zoé Lemaître",
		"attendees-1252-semicolon.csv": "5: taro@example.jp|??|??|???????||+81 3-1234-5678|819012345678|100-0001|00501|30/04/2026|30/04/2026|2026-06-12 23:59|FALSE|1,000,000.00|?? ??",
	} {
		b, err := openFile(t, filepath.Join(testdata, "writers", file), sheet.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		got := numbered(t, b, "Sheet1")
		if len(got) != 9 || !slices.Contains(got, want) || longText(got[6]) != "7: long@example.com|Long|Notes|<long>||00 44 20 7946 0018||SW1A 1AA||01/01/2026|01/01/2026|2026-06-13 00:15|FALSE|12.00|3000" {
			t.Errorf("%s: %q", file, got)
		}
	}
}

func TestPaddedFormats(t *testing.T) {
	for _, tt := range []struct {
		code string
		v    float64
		want string
	}{
		{"00000", 7501, "07501"}, {"00000", 123456, "123456"}, {`00000\-0000`, 12345678, "01234-5678"},
		{"000-00-0000", 78051120, "078-05-1120"}, {`"N° "0000`, 42, "N° 0042"}, {"0000000000", 612345678, "0612345678"},
	} {
		if !sheet.PadFormat(tt.code) {
			t.Errorf("%q is not a padded format", tt.code)
		}
		if got, ok := sheet.PadText(tt.code, tt.v); !ok || got != tt.want {
			t.Errorf("PadText(%q, %v) = %q, want %q", tt.code, tt.v, got, tt.want)
		}
	}
	for _, code := range []string{"0", "General", "#,##0", "0.00", "00.0", "dd/mm/yyyy", "0%", "@", "[<=9999999]###-####;(###) ###-####"} {
		if sheet.PadFormat(code) {
			t.Errorf("%q is a padded format", code)
		}
	}
	if _, ok := sheet.PadText("00000", 12.5); ok {
		t.Error("12.5 padded")
	}
}
