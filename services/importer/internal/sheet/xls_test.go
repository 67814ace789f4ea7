package sheet_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"
	"github.com/richardlehane/mscfb"

	"github.com/attendify/importer/internal/sheet"
)

// Hand-made .xls files: BIFF8 records in the "Workbook" stream of a
// minimal compound file, for what no spreadsheet program writes.

// BIFF record types.
const (
	xlFormula    = 0x0006
	xlEOF        = 0x000A
	xlContinue   = 0x003C
	xlBoundSheet = 0x0085
	xlMulRK      = 0x00BD
	xlSST        = 0x00FC
	xlLabelSST   = 0x00FD
	xlNumber     = 0x0203
	xlLabel      = 0x0204
	xlString     = 0x0207
	xlBOF        = 0x0809
)

func u16(v int) []byte     { return binary.LittleEndian.AppendUint16(nil, uint16(v)) }
func u32(v int) []byte     { return binary.LittleEndian.AppendUint32(nil, uint32(v)) }
func f64(v float64) []byte { return binary.LittleEndian.AppendUint64(nil, math.Float64bits(v)) }

// wide is s as UTF-16 code units, little-endian.
func wide(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// latin is s as 8-bit ("compressed") characters.
func latin(s string) []byte {
	var b []byte
	for _, r := range s {
		if r > 0xFF {
			panic("not Latin-1: " + s)
		}
		b = append(b, byte(r))
	}
	return b
}

// rec is a BIFF record of type typ holding the concatenated fields.
func rec(typ int, fields ...[]byte) []byte {
	data := bytes.Join(fields, nil)
	if len(data) > 0xFFFF {
		panic("record too long")
	}
	return bytes.Join([][]byte{u16(typ), u16(len(data)), data}, nil)
}

func number(row, col int, v float64) []byte {
	return rec(xlNumber, u16(row), u16(col), u16(0), f64(v))
}

func labelSST(row, col, i int) []byte {
	return rec(xlLabelSST, u16(row), u16(col), u16(0), u32(i))
}

// mulRK is a MULRK record: the integers vs in row from column col on.
func mulRK(row, col int, vs ...int) []byte {
	fields := [][]byte{u16(row), u16(col)}
	for _, v := range vs {
		fields = append(fields, u16(0), u32(v<<2|2))
	}
	return rec(xlMulRK, append(fields, u16(col+len(vs)-1))...)
}

// textFormula is a FORMULA record whose cached result is text, to be
// given by the STRING record that follows.
func textFormula(row, col int) []byte {
	result := []byte{0, 0, 0, 0, 0, 0, 0xFF, 0xFF}
	return rec(xlFormula, u16(row), u16(col), u16(0), result, u16(0), u32(0), u16(0))
}

// sstRecords is a shared string table of 8-bit strings laid out as Excel
// does: where a record is full, the characters of a string go on in a
// CONTINUE record that starts with the flag byte again.
func sstRecords(strs ...string) []byte {
	const maxData = 8224
	var recs [][]byte
	cur := append(u32(len(strs)), u32(len(strs))...)
	for _, s := range strs {
		if len(cur)+4 > maxData { // a string's header and first character stay together
			recs, cur = append(recs, cur), nil
		}
		cur = append(append(cur, u16(len(s))...), 0)
		for rest := latin(s); len(rest) > 0; {
			n := min(len(rest), maxData-len(cur))
			cur, rest = append(cur, rest[:n]...), rest[n:]
			if len(rest) > 0 {
				recs, cur = append(recs, cur), []byte{0}
			}
		}
	}
	out := rec(xlSST, recs[0])
	for _, r := range append(recs[1:], cur) {
		out = append(out, rec(xlContinue, r)...)
	}
	return out
}

// workbook is the Workbook stream of an .xls file with one sheet,
// "Sheet1": the globals with the shared string table sst (nil for none),
// then the given records of the sheet.
func workbook(sst []byte, records ...[]byte) []byte {
	bof := func(kind int) []byte {
		return rec(xlBOF, u16(0x0600), u16(kind), u16(0x0DBB), u16(0x07CC), u32(0), u32(6))
	}
	boundSheet := func(offset int) []byte {
		return rec(xlBoundSheet, u32(offset), []byte{0, 0}, []byte{6, 0}, []byte("Sheet1"))
	}
	globals := bytes.Join([][]byte{bof(0x0005), boundSheet(0), sst, rec(xlEOF)}, nil)
	s := bytes.Join([][]byte{bof(0x0005), boundSheet(len(globals)), sst, rec(xlEOF), bof(0x0010)}, nil)
	for _, r := range records {
		s = append(s, r...)
	}
	return append(s, rec(xlEOF)...)
}

// compoundFile wraps stream as the "Workbook" stream of a version 3
// compound file: a header, FAT sectors, one directory sector, the stream.
func compoundFile(stream []byte) []byte {
	const (
		sector     = 512
		freeSect   = 0xFFFFFFFF // also "no stream" in directory entries
		endOfChain = 0xFFFFFFFE
		fatSect    = 0xFFFFFFFD
	)
	// A stream under 4,096 bytes would be in the mini stream: pad it, the
	// reader stops at the workbook's last EOF record.
	stream = append(stream, make([]byte, max(0, 4096-len(stream)))...)
	nStream := (len(stream) + sector - 1) / sector
	nFAT := 1
	for nFAT*sector/4 < nFAT+1+nStream {
		nFAT++
	}
	if nFAT > 109 {
		panic("stream too large for a header-only DIFAT")
	}
	fat := make([]uint32, nFAT*sector/4)
	for i := range fat {
		switch {
		case i < nFAT:
			fat[i] = fatSect
		case i == nFAT || i == nFAT+nStream: // the directory; the stream's last sector
			fat[i] = endOfChain
		case i < nFAT+nStream:
			fat[i] = uint32(i + 1)
		default:
			fat[i] = freeSect
		}
	}

	h := make([]byte, sector)
	copy(h, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
	le16, le32 := binary.LittleEndian.PutUint16, binary.LittleEndian.PutUint32
	le16(h[24:], 0x003E) // minor version
	le16(h[26:], 3)      // major version
	le16(h[28:], 0xFFFE) // byte order
	le16(h[30:], 9)      // sector shift: 512 bytes
	le16(h[32:], 6)      // mini sector shift: 64 bytes
	le32(h[44:], uint32(nFAT))
	le32(h[48:], uint32(nFAT)) // first directory sector
	le32(h[56:], 4096)         // mini stream cutoff
	le32(h[60:], endOfChain)   // no mini FAT
	le32(h[68:], endOfChain)   // no DIFAT sectors
	for i := range 109 {
		v := uint32(freeSect)
		if i < nFAT {
			v = uint32(i)
		}
		le32(h[76+4*i:], v)
	}

	entry := func(name string, typ byte, child, start uint32, size int) []byte {
		e := make([]byte, 128)
		u := wide(name)
		copy(e, u)
		le16(e[64:], uint16(len(u)+2))
		e[66], e[67] = typ, 1 // type, black
		le32(e[68:], freeSect)
		le32(e[72:], freeSect)
		le32(e[76:], child)
		le32(e[116:], start)
		le32(e[120:], uint32(size))
		return e
	}
	unused := make([]byte, 128)
	le32(unused[68:], freeSect)
	le32(unused[72:], freeSect)
	le32(unused[76:], freeSect)
	dir := bytes.Join([][]byte{
		entry("Root Entry", 5, 1, endOfChain, 0),
		entry("Workbook", 2, freeSect, uint32(nFAT+1), len(stream)),
		unused, unused,
	}, nil)

	out := h
	for _, v := range fat {
		out = binary.LittleEndian.AppendUint32(out, v)
	}
	out = append(append(out, dir...), stream...)
	return append(out, make([]byte, nStream*sector-len(stream))...)
}

// readXLS opens the .xls file of stream and reads its sheet, returning
// the first error.
func readXLS(t *testing.T, stream []byte, lim sheet.Limits) ([][]string, error) {
	t.Helper()
	b, err := openBytes(t, compoundFile(stream), lim)
	if err != nil {
		return nil, err
	}
	return all(t, b, "Sheet1")
}

// allocated is how many bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Small hostile .xls files are refused, and refusing them takes little
// memory: a few kilobytes of records used to make the reader allocate
// gigabytes.
func TestXLSBounds(t *testing.T) {
	rows := func(n int, cell func(row int) []byte) [][]byte {
		out := make([][]byte, n)
		for i := range out {
			out[i] = cell(i)
		}
		return out
	}
	full := make([]int, 256) // a value in every column, A to IV
	for i := range full {
		full[i] = 7
	}
	long := strings.Repeat("x", 30_000)
	tests := []struct {
		name   string
		stream []byte
		lim    sheet.Limits
		code   string
	}{
		{
			// 36 KB of numbers in column 16,384 (XFD: an .xlsx column).
			name:   "column past IV",
			stream: workbook(nil, rows(2000, func(r int) []byte { return number(r, 16383, 1) })...),
			code:   sheet.CodeCorrupt,
		},
		{
			name:   "numbers running past IV",
			stream: workbook(nil, mulRK(0, 200, full[:100]...)),
			code:   sheet.CodeCorrupt,
		},
		{
			name:   "row over the limit",
			stream: workbook(nil, number(0, 0, 1), number(5000, 0, 1)),
			lim:    sheet.Limits{MaxRows: 1000},
			code:   sheet.CodeTooManyRows,
		},
		{
			name:   "cell over the length limit",
			stream: workbook(nil, rec(xlLabel, u16(3), u16(2), u16(0), u16(100), []byte{0}, []byte(strings.Repeat("y", 100)))),
			lim:    sheet.Limits{MaxCellChars: 10},
			code:   sheet.CodeCellTooLong,
		},
		{
			// 150 KB of records decode to 25,600 cells, over 256 KB.
			name:   "cells over the unzip limit",
			stream: workbook(nil, rows(100, func(r int) []byte { return mulRK(r, 0, full...) })...),
			lim:    sheet.Limits{MaxUnzipBytes: 256 << 10},
			code:   sheet.CodeTooLarge,
		},
		{
			// 170 KB: one 30,000-character string in 10,000 cells is
			// 300 MB of text for whoever reads the rows.
			name:   "a long shared string in every row",
			stream: workbook(sstRecords(long), rows(10_000, func(r int) []byte { return labelSST(r, 0, 0) })...),
			lim:    sheet.Limits{MaxUnzipBytes: 64 << 20},
			code:   sheet.CodeTooLarge,
		},
		{
			// A shared string table of 8 bytes that announces 800 million
			// strings, stretched over 100,000 empty CONTINUE records.
			name:   "more shared strings than bytes",
			stream: workbook(append(rec(xlSST, u32(1), u32(800_000_000)), bytes.Repeat(rec(xlContinue), 100_000)...)),
			code:   sheet.CodeCorrupt,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			n := allocated(func() { _, err = readXLS(t, tt.stream, tt.lim) })
			fe, ok := sheet.IsFileError(err)
			if !ok || fe.Code != tt.code {
				t.Fatalf("error %v, want a %s file error", err, tt.code)
			}
			if n > 32<<20 {
				t.Errorf("refusing a %d KB stream allocated %d MB", len(tt.stream)>>10, n>>20)
			}
			t.Log(fe.Message)
		})
	}
}

// A sheet as large as an .xls sheet can be (65,536 rows, a cell in column
// IV of each) reads in memory proportional to its cells, not to its area.
func TestXLSSparseSheet(t *testing.T) {
	var cells [][]byte
	for r := range 65536 {
		cells = append(cells, rec(0x027E, u16(r), u16(255), u16(0), u32(r<<2|2))) // RK
	}
	stream := workbook(nil, cells...)
	var rows int
	var last sheet.Row
	n := allocated(func() {
		b, err := openBytes(t, compoundFile(stream), sheet.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		it, err := b.Rows("Sheet1")
		if err != nil {
			t.Fatal(err)
		}
		defer it.Close()
		for it.Next() {
			rows++
			last = it.Row()
		}
		if err := it.Err(); err != nil {
			t.Fatal(err)
		}
	})
	if rows != 65536 || last.Num != 65536 {
		t.Fatalf("%d rows, the last numbered %d; want 65536", rows, last.Num)
	}
	if len(last.Cells) != 256 || last.Cells[255] != "65535" || last.Cells[0] != "" {
		t.Errorf("last row: %d cells, IV = %q", len(last.Cells), last.Cells[len(last.Cells)-1])
	}
	if n > 64<<20 {
		t.Errorf("reading %d KB of records allocated %d MB", len(stream)>>10, n>>20)
	}
}

// Strings cut across CONTINUE records the ways Excel cuts them: in the
// shared string table, a string's characters go on in the next record
// after a new flag byte (8-bit and 16-bit characters can alternate), its
// formatting runs go on without one; a formula's cached text (a STRING
// record) goes on the same way.
func TestXLSContinuedStrings(t *testing.T) {
	sst := [][]byte{
		rec(xlSST, u32(5), u32(5),
			u16(12), []byte{0}, latin("Crème "), // "Crème € 5,00": 8-bit, then 16-bit
		),
		rec(xlContinue, []byte{1}, wide("€ 5,00"),
			u16(3), []byte{0}, latin("abc"),
			u16(4), []byte{1}, wide("Łó"), // "Łódz": 16-bit, then 8-bit
		),
		rec(xlContinue, []byte{0}, latin("dz"),
			u16(2), []byte{0x08}, u16(2), latin("ok"), u16(0), u16(1), // rich text: two runs, one here
		),
		rec(xlContinue, u16(1), u16(2), // the other run
			u16(3), []byte{0}, latin("end"),
		),
	}
	sheetRecords := [][]byte{
		labelSST(0, 0, 0), textFormula(0, 1),
		rec(xlString, u16(10), []byte{0}, latin("Zoé, ")),
		rec(xlContinue, []byte{1}, wide("東京 ok")),
		labelSST(1, 0, 1), textFormula(1, 1), rec(xlString, u16(5), []byte{0}, latin("short")),
		labelSST(2, 0, 2), rec(xlFormula, u16(2), u16(1), u16(0), f64(42), u16(0), u32(0), u16(0)),
		labelSST(3, 0, 3),
		labelSST(4, 0, 4),
	}
	got, err := readXLS(t, workbook(bytes.Join(sst, nil), sheetRecords...), sheet.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"Crème € 5,00", "Zoé, 東京 ok"},
		{"abc", "short"},
		{"Łódz", "42"},
		{"ok"},
		{"end"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}

	// Without its last CONTINUE record the table is damaged.
	_, err = readXLS(t, workbook(bytes.Join(sst[:3], nil), sheetRecords...), sheet.Limits{})
	if fe, ok := sheet.IsFileError(err); !ok || fe.Code != sheet.CodeCorrupt {
		t.Errorf("a cut shared string table: %v, want a corrupt file error", err)
	}
}

// The texts workbook: long texts (a shared string table over many
// CONTINUE records) and formulas with text results (FORMULA then STRING
// records), written by LibreOffice and by Gnumeric (testdata/gen.sh, from
// the spec TEXTS in testdata/src/make_fods.py, which these values follow).
func TestTextsWorkbook(t *testing.T) {
	const (
		latinText = "The quick brown fox jumps over the lazy dog; naïve façade, déjà vu. "
		wideText  = "Zoé met François in Łódź, then flew to 東京 for €200. "
	)
	note := func(i int) string {
		p := latinText
		if i%2 == 1 {
			p = wideText
		}
		return strconv.Itoa(i) + ": " + strings.Repeat(p, 5+i%7)
	}
	prefix := func(s string, n int) string { return string([]rune(s)[:n]) }
	notes := [][]string{{"Key", "Note"}}
	for i := 1; i <= 60; i++ {
		notes = append(notes, []string{fmt.Sprintf("n%02d", i), note(i)})
	}
	notes = append(notes,
		[]string{"long-latin", prefix(strings.Repeat(latinText, 300), 20000)},
		[]string{"long-wide", prefix(strings.Repeat(wideText, 200), 10000)},
	)
	length := "short"
	if len([]rune(note(3))) > 500 {
		length = "long"
	}
	formulas := [][]string{
		{"Formula", "Result"},
		{"upper", "N01"},
		{"concat", "n02 / " + prefix(note(2), 20)},
		{"if", length},
		{"rept-ascii", strings.Repeat("ab", 4500)},
		{"rept-latin", strings.Repeat("é", 9000)},
		{"rept-wide", strings.Repeat("東", 5000)},
		{"empty"},
		{"number", "42"},
	}

	tests := []struct {
		file   string
		sheets map[string][][]string
		// pairs of record types that must follow each other in the file,
		// for the test to cover what it claims
		follows [][2]int
	}{
		{
			// LibreOffice 7.4 writes 0 as the result of a text formula
			// in an .xls: its Formulas sheet is not checked.
			file:    "texts.xls",
			sheets:  map[string][][]string{"Notes": notes},
			follows: [][2]int{{xlSST, xlContinue}},
		},
		{
			file:    "texts-gnumeric.xls",
			sheets:  map[string][][]string{"Notes": notes, "Formulas": formulas},
			follows: [][2]int{{xlSST, xlContinue}, {xlFormula, xlString}, {xlString, xlContinue}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join(testdata, tt.file)
			types := recordTypes(t, path)
			for _, f := range tt.follows {
				if !follows(types, f[0], f[1]) {
					t.Errorf("no record %#04x followed by %#04x: the file does not cover what this test is for", f[0], f[1])
				}
			}
			b, err := openFile(t, path, sheet.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range tt.sheets {
				got, err := all(t, b, name)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("sheet %s (-want +got):\n%s", name, diff)
				}
			}
		})
	}
}

// recordTypes lists the BIFF record types of the workbook stream of the
// .xls file at path.
func recordTypes(t *testing.T, path string) []int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := mscfb.New(f)
	if err != nil {
		t.Fatal(err)
	}
	for entry, err := doc.Next(); err != io.EOF; entry, err = doc.Next() {
		if err != nil {
			t.Fatal(err)
		}
		if entry.Name != "Workbook" {
			continue
		}
		s, err := io.ReadAll(entry)
		if err != nil {
			t.Fatal(err)
		}
		var types []int
		for off := 0; off+4 <= len(s); off += 4 + int(binary.LittleEndian.Uint16(s[off+2:])) {
			types = append(types, int(binary.LittleEndian.Uint16(s[off:])))
		}
		return types
	}
	t.Fatalf("%s has no Workbook stream", path)
	return nil
}

func follows(types []int, a, b int) bool {
	for i := 1; i < len(types); i++ {
		if types[i-1] == a && types[i] == b {
			return true
		}
	}
	return false
}
