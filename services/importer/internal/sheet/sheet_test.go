package sheet_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/importer/internal/sheet"
)

const testdata = "../../testdata"

func openFile(t *testing.T, path string, lim sheet.Limits) (sheet.Book, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	st, _ := f.Stat()
	return sheet.Open(f, st.Size(), lim)
}

func openBytes(t *testing.T, b []byte, lim sheet.Limits) (sheet.Book, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return openFile(t, path, lim)
}

// all reads every non-blank row of a sheet.
func all(t *testing.T, b sheet.Book, name string) ([][]string, error) {
	t.Helper()
	rows, err := b.Rows(name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		if r := rows.Row(); !r.Blank() {
			out = append(out, append([]string(nil), r.Cells...))
		}
	}
	return out, rows.Err()
}

// The same LibreOffice workbook as .xlsx and as .xls reads the same, but
// for string formulas, whose results LibreOffice does not write to .xls.
func TestXLSXAndXLSAgree(t *testing.T) {
	x, err := openFile(t, filepath.Join(testdata, "problems.xlsx"), sheet.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := openFile(t, filepath.Join(testdata, "problems.xls"), sheet.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(x.Sheets(), l.Sheets()); diff != "" {
		t.Fatalf("sheets (-xlsx +xls):\n%s", diff)
	}
	for _, name := range x.Sheets() {
		a, err := all(t, x, name)
		if err != nil {
			t.Fatal(err)
		}
		b, err := all(t, l, name)
		if err != nil {
			t.Fatal(err)
		}
		norm := func(rows [][]string) [][]string {
			for _, r := range rows {
				for i, c := range r {
					if len(c) > 12 && strings.Contains(c, ".") { // float digits differ
						r[i] = c[:12]
					}
					if c == "US Navy" || c == "0" && i == 3 {
						r[i] = "<formula>"
					}
				}
			}
			return rows
		}
		if diff := cmp.Diff(norm(a), norm(b)); diff != "" {
			t.Errorf("sheet %s (-xlsx +xls):\n%s", name, diff)
		}
	}
}

func TestHiddenRowsAndNumbers(t *testing.T) {
	for _, f := range []string{"problems.xlsx", "problems.xls"} {
		b, err := openFile(t, filepath.Join(testdata, f), sheet.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := b.Rows("Attendees")
		hidden := map[int]bool{}
		for rows.Next() {
			if rows.Row().Hidden {
				hidden[rows.Row().Num] = true
			}
		}
		if diff := cmp.Diff(map[int]bool{7: true}, hidden); diff != "" {
			t.Errorf("%s hidden rows (-want +got):\n%s", f, diff)
		}
	}
}

func TestFileErrors(t *testing.T) {
	tests := []struct {
		file string
		lim  sheet.Limits
		code string
	}{
		{"hostile/truncated.xlsx", sheet.Limits{}, sheet.CodeCorrupt},
		{"hostile/truncated.xls", sheet.Limits{}, sheet.CodeCorrupt},
		{"hostile/report.xlsx", sheet.Limits{}, sheet.CodeUnsupported},
		{"hostile/password.xlsx", sheet.Limits{}, sheet.CodePasswordProtected},
		{"hostile/password.xls", sheet.Limits{}, sheet.CodePasswordProtected},
		{"hostile/bomb.xlsx", sheet.Limits{}, sheet.CodeTooLarge},
		{"hostile/long-cell.csv", sheet.Limits{}, sheet.CodeCellTooLong},
		{"problems.xlsx", sheet.Limits{MaxRows: 5}, sheet.CodeTooManyRows},
		{"problems.xls", sheet.Limits{MaxRows: 5}, sheet.CodeTooManyRows},
		{"csv/utf8-semicolon.csv", sheet.Limits{MaxRows: 2}, sheet.CodeTooManyRows},
		{"problems.xlsx", sheet.Limits{MaxCellChars: 10}, sheet.CodeCellTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := openFile(t, filepath.Join(testdata, tt.file), tt.lim)
			if err == nil {
				for _, name := range b.Sheets() {
					if _, err = all(t, b, name); err != nil {
						break
					}
				}
			}
			fe, ok := sheet.IsFileError(err)
			if !ok || fe.Code != tt.code {
				t.Fatalf("error %v, want a %s file error", err, tt.code)
			}
			t.Log(fe.Message)
		})
	}
}

// Random bytes after a spreadsheet's signature fail cleanly.
func TestDamagedSignatures(t *testing.T) {
	junk := bytes.Repeat([]byte{0x41, 0x00, 0xFF, 0x13}, 3000)
	for _, head := range [][]byte{[]byte("PK\x03\x04"), {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, {0, 1, 2, 3}} {
		_, err := openBytes(t, append(append([]byte{}, head...), junk...), sheet.Limits{})
		if _, ok := sheet.IsFileError(err); !ok {
			t.Errorf("%x...: %v, want a file error", head, err)
		}
	}
}

func TestCSVDialects(t *testing.T) {
	want := [][]string{
		{"Email", "Prénom", "Nom", "Société", "Téléphone"},
		{"zoe@example.com", "Zoé", "Durand", "Société Générale", "+33 6 12 34 56 78"},
		{"jose@example.com", "José", "Núñez", "Café, Bar & Co", "+34 600 000 000"},
		{"francois@example.com", "François", "Lemaître", "Crème brûlée SARL", ""},
	}
	files := map[string]sheet.CSVDialect{
		"utf8-bom-comma.csv":        {Encoding: sheet.UTF8, BOM: true, Separator: ','},
		"utf8-semicolon.csv":        {Encoding: sheet.UTF8, Separator: ';'},
		"utf16le-tab.csv":           {Encoding: sheet.UTF16LE, BOM: true, Separator: '\t'},
		"windows1252-semicolon.csv": {Encoding: sheet.Windows1252, Separator: ';'},
	}
	for name, d := range files {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(testdata, "csv", name))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(d, sheet.DetectCSV(raw)); diff != "" {
				t.Errorf("dialect (-want +got):\n%s", diff)
			}
			b, err := openBytes(t, raw, sheet.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := all(t, b, "Sheet1")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSerialTime(t *testing.T) {
	tests := []struct {
		serial float64
		d1904  bool
		want   string
	}{
		{45820, false, "2025-06-12 00:00"},
		{45820.375, false, "2025-06-12 09:00"},
		{45821.708333333336, false, "2025-06-13 17:00"},
		{44358, true, "2025-06-12 00:00"},
		{61, false, "1900-03-01 00:00"},
	}
	for _, tt := range tests {
		got, ok := sheet.SerialTime(tt.serial, tt.d1904)
		if !ok || got.Format("2006-01-02 15:04") != tt.want {
			t.Errorf("SerialTime(%v, %v) = %v, want %s", tt.serial, tt.d1904, got, tt.want)
		}
	}
	if _, ok := sheet.SerialTime(-1, false); ok {
		t.Error("a negative serial is a date")
	}
}

func TestColumnName(t *testing.T) {
	for col, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 701: "ZZ", 702: "AAA"} {
		if got := sheet.ColumnName(col); got != want {
			t.Errorf("ColumnName(%d) = %s, want %s", col, got, want)
		}
	}
}
