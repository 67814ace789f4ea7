package sheet_test

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"

	"github.com/attendify/importer/internal/sheet"
)

// A CSV file of one huge line is refused as it is read, in little memory:
// a 50 MB line of "a,a,a..." used to be split into 25 million cells (4.8
// GB allocated), and read without an error.
func TestCSVLongLines(t *testing.T) {
	tests := []struct {
		name string
		line string
	}{
		{"many cells", strings.Repeat("a,", 25<<20)},
		{"one cell", strings.Repeat("a", 50<<20)},
		{"quoted cell", `"` + strings.Repeat("a", 50<<20) + `"`},
		{"more columns than a spreadsheet", strings.Repeat("a,", sheet.MaxColumns+10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fe, n := refusedTooLarge(t, []byte("Email,Name\n"+tt.line+"\nada@example.com,Ada\n"), "Sheet1")
			if n > 64<<20 {
				t.Errorf("refusing a %d MB line allocated %d MB", len(tt.line)>>20, n>>20)
			}
			t.Log(fe.Message)
		})
	}
	// A long line under the limit is read.
	b, err := openBytes(t, []byte("Email,Bio\nada@example.com,"+strings.Repeat("b", 30_000)+"\n"), sheet.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if rows, err := all(t, b, "Sheet1"); err != nil || len(rows) != 2 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
}

// sharedStringsBomb is an .xlsx of a few hundred kilobytes whose shared
// string table unpacks to n empty strings (tag: the element's name, "si"
// or "x:si"), with one cell using the first.
func sharedStringsBomb(t *testing.T, n int, tag string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, parts ...string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range parts {
			if _, err := w.Write([]byte(p)); err != nil {
				t.Fatal(err)
			}
		}
	}
	add("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`)
	add("_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	add("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Attendees" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	add("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`)
	add("xl/worksheets/sheet1.xml", `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>`)
	per := min(n, 10_000)
	chunk := strings.Repeat("<"+tag+"><x:t/></"+tag+">", per)
	parts := []string{`<?xml version="1.0" encoding="UTF-8"?><x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`}
	for range n / per {
		parts = append(parts, chunk)
	}
	add("xl/sharedStrings.xml", append(parts, `</x:sst>`)...)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A shared string table of millions of strings, which excelize would
// index in memory, is refused before excelize opens the workbook: 200 KB
// of zip used to allocate 6 GB.
func TestXLSXSharedStringsBomb(t *testing.T) {
	for _, tag := range []string{"si", "x:si"} {
		t.Run(tag, func(t *testing.T) {
			file := sharedStringsBomb(t, 8_000_000, tag)
			fe, n := refusedTooLarge(t, file, "Attendees")
			if n > 64<<20 {
				t.Errorf("refusing a %d KB workbook allocated %d MB", len(file)>>10, n>>20)
			}
			t.Log(fe.Message)
		})
	}
	// As many strings as the sheets can show, under the limit, are read.
	b, err := openBytes(t, sharedStringsBomb(t, 1_000, "si"), sheet.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := all(t, b, "Attendees"); err != nil {
		t.Fatal(err)
	}
	// The limit holds whatever the sheets.
	_, err = openBytes(t, sharedStringsBomb(t, 1_000, "si"), sheet.Limits{MaxSharedStrings: 500})
	if fe, ok := sheet.IsFileError(err); !ok || fe.Code != sheet.CodeTooLarge {
		t.Fatalf("error %v, want a %s file error", err, sheet.CodeTooLarge)
	}
}

// refusedTooLarge opens file and reads every row of its sheet, which must
// fail with a too_large file error; it returns that error and the bytes
// allocated meanwhile.
func refusedTooLarge(t *testing.T, file []byte, sheetName string) (*sheet.FileError, uint64) {
	t.Helper()
	var err error
	n := allocated(func() {
		b, oerr := openBytes(t, file, sheet.Limits{})
		if oerr != nil {
			err = oerr
			return
		}
		_, err = all(t, b, sheetName)
	})
	fe, ok := sheet.IsFileError(err)
	if !ok || fe.Code != sheet.CodeTooLarge {
		t.Fatalf("error %v, want a %s file error", err, sheet.CodeTooLarge)
	}
	return fe, n
}
