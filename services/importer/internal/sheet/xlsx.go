package sheet

import (
	"archive/zip"
	"bufio"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

type xlsxBook struct {
	f        *excelize.File
	lim      Limits
	sheets   []string
	hidden   map[string]bool
	pads     []string // the zero-padded formats markDates marked
	date1904 bool
}

func openXLSX(f *os.File, size int64, lim Limits) (Book, error) {
	// Look at the archive before excelize does: tell a damaged zip, a zip
	// that is not a workbook (.docx, .ods) and a zip bomb apart, reading
	// only the central directory.
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return nil, fileErr(CodeCorrupt, err, "the file looks like an .xlsx workbook but is damaged or truncated (%v)", err)
	}
	var total, sheetBytes uint64
	hasWorkbook := false
	var sst *zip.File
	for _, zf := range zr.File {
		total += zf.UncompressedSize64
		name := strings.ToLower(strings.ReplaceAll(zf.Name, "\\", "/")) // as excelize reads it
		switch {
		case name == "xl/sharedstrings.xml":
			sst = zf
		case strings.HasPrefix(name, "xl/worksheets/"):
			sheetBytes += zf.UncompressedSize64
		}
		switch zf.Name {
		case "xl/workbook.xml", "xl/workbook2.xml":
			hasWorkbook = true
		case "content.xml":
			return nil, fileErr(CodeUnsupported, nil, "the file is an OpenDocument spreadsheet (.ods): save it as .xlsx")
		case "word/document.xml":
			return nil, fileErr(CodeUnsupported, nil, "the file is a Word document, not a spreadsheet")
		}
	}
	if !hasWorkbook {
		return nil, fileErr(CodeUnsupported, nil, "the file is a zip archive but not an Excel workbook")
	}
	if total > uint64(lim.MaxUnzipBytes) {
		return nil, fileErr(CodeTooLarge, nil, "the workbook unpacks to %d MB, over the limit of %d MB", total>>20, lim.MaxUnzipBytes>>20)
	}
	if sst != nil {
		if err := checkSharedStrings(sst, sheetBytes, lim); err != nil {
			return nil, err
		}
	}
	if _, err := f.Seek(0, 0); err != nil {
		return nil, err
	}
	x, err := excelize.OpenReader(f, excelize.Options{
		UnzipSizeLimit:    lim.MaxUnzipBytes,
		UnzipXMLSizeLimit: lim.MaxXMLInMemory,
	})
	if err != nil {
		if strings.Contains(err.Error(), "unzip size") {
			return nil, fileErr(CodeTooLarge, err, "the workbook unpacks to more than %d MB", lim.MaxUnzipBytes>>20)
		}
		if errors.Is(err, zip.ErrFormat) || errors.Is(err, zip.ErrChecksum) {
			return nil, fileErr(CodeCorrupt, err, "the workbook is damaged or truncated")
		}
		return nil, fileErr(CodeCorrupt, err, "the workbook cannot be read (%v)", err)
	}
	b := &xlsxBook{f: x, lim: lim}
	pads, err := markDates(x)
	if err != nil {
		_ = x.Close()
		return nil, fileErr(CodeCorrupt, err, "the workbook's styles cannot be read (%v)", err)
	}
	b.pads = pads
	for _, name := range x.GetSheetList() {
		// Chart sheets and dialog sheets have no rows.
		if _, err := x.GetSheetIndex(name); err == nil {
			b.sheets = append(b.sheets, name)
			if visible, err := x.GetSheetVisible(name); err == nil && !visible {
				if b.hidden == nil {
					b.hidden = map[string]bool{}
				}
				b.hidden[name] = true
			}
		}
	}
	if len(b.sheets) > lim.MaxSheets {
		_ = x.Close()
		return nil, fileErr(CodeTooManySheets, nil, "the workbook has %d sheets; the limit is %d", len(b.sheets), lim.MaxSheets)
	}
	if props, err := x.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		b.date1904 = *props.Date1904
	}
	return b, nil
}

// minSharedCell is the XML of the shortest cell that uses a shared
// string, <c t="s"><v>0</v></c>.
const minSharedCell = 21

// checkSharedStrings counts the shared strings of a workbook before
// excelize indexes them (some tens of bytes of memory each, whatever their
// length): more than lim.MaxSharedStrings, or more than the worksheets
// have cells to show, is refused. Counting streams the table once.
func checkSharedStrings(zf *zip.File, sheetBytes uint64, lim Limits) error {
	rc, err := zf.Open()
	if err != nil {
		return fileErr(CodeCorrupt, err, "the workbook's shared strings cannot be read (%v)", err)
	}
	defer rc.Close()
	most := min(uint64(lim.MaxSharedStrings), sheetBytes/minSharedCell+1024)
	n, err := countElements(rc, "si", most)
	switch {
	case n > most:
		return fileErr(CodeTooLarge, nil, "the workbook holds more than %d distinct texts (shared strings), more than its sheets can show or the limit of one import: split it, or save it as .csv", most)
	case err != nil:
		return fileErr(CodeCorrupt, err, "the workbook's shared strings are damaged (%v)", err)
	}
	return nil
}

// countElements counts the start tags of elements named name (with or
// without a namespace prefix) in the XML r, stopping past most. It looks
// at bytes, not tokens: a comment or CDATA may make it count more, never
// less.
func countElements(r io.Reader, name string, most uint64) (uint64, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var n uint64
	for n <= most {
		if _, err := br.ReadSlice('<'); errors.Is(err, bufio.ErrBufferFull) {
			continue
		} else if errors.Is(err, io.EOF) {
			return n, nil
		} else if err != nil {
			return n, err
		}
		// The tag's local name: what follows its last ':'.
		local, long := make([]byte, 0, 8), false
		for {
			c, err := br.ReadByte()
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			if err != nil {
				return n, err
			}
			if c <= ' ' || c == '>' || c == '/' || c == '<' {
				if c == '<' {
					_ = br.UnreadByte()
				}
				break
			}
			switch {
			case c == ':':
				local, long = local[:0], false
			case len(local) < len(name):
				local = append(local, c)
			default:
				long = true
			}
		}
		if !long && string(local) == name {
			n++
		}
	}
	return n, nil
}

func (b *xlsxBook) Format() Format           { return XLSX }
func (b *xlsxBook) Sheets() []string         { return b.sheets }
func (b *xlsxBook) Date1904() bool           { return b.date1904 }
func (b *xlsxBook) Hidden(sheet string) bool { return b.hidden[sheet] }
func (b *xlsxBook) Close() error             { return b.f.Close() }

func (b *xlsxBook) Rows(sheet string) (Rows, error) {
	rows, err := b.f.Rows(sheet)
	if err != nil {
		if strings.Contains(err.Error(), "unzip size") {
			return nil, fileErr(CodeTooLarge, err, "sheet %q unpacks to more than %d MB", sheet, b.lim.MaxUnzipBytes>>20)
		}
		return nil, fileErr(CodeCorrupt, err, "sheet %q cannot be read (%v)", sheet, err)
	}
	return &xlsxRows{rows: rows, lim: b.lim, sheet: sheet, date1904: b.date1904, pads: b.pads}, nil
}

type xlsxRows struct {
	rows     *excelize.Rows
	lim      Limits
	sheet    string
	date1904 bool
	pads     []string
	row      Row
	types    []CellType
	n        int
	err      error
}

func (r *xlsxRows) Next() bool {
	if r.err != nil || !r.rows.Next() {
		if r.err == nil {
			if err := r.rows.Error(); err != nil {
				r.err = r.translate(err)
			}
		}
		return false
	}
	r.n++
	cells, err := r.rows.Columns()
	if err != nil {
		r.err = r.translate(err)
		return false
	}
	// excelize's iterator stops at every row number, those the file
	// skips included (with no cells), so counting gives the row number.
	num := r.n
	if num > r.lim.MaxRows {
		r.err = fileErr(CodeTooManyRows, nil, "sheet %q has more than %d rows, the limit of one import", r.sheet, r.lim.MaxRows)
		return false
	}
	for i, c := range cells {
		if len(c) > r.lim.MaxCellChars && utf8.RuneCountInString(c) > r.lim.MaxCellChars {
			r.err = fileErr(CodeCellTooLong, nil, "cell %s of sheet %q is %d characters long; the limit is %d",
				CellName(i, num), r.sheet, utf8.RuneCountInString(c), r.lim.MaxCellChars)
			return false
		}
	}
	r.types = r.types[:0]
	for i, c := range cells {
		t := Text
		if strings.HasPrefix(c, dateMarker) {
			cells[i], t = r.dateText(c)
		} else if looksNumber(c) {
			t = Number
		}
		if t != Text {
			for len(r.types) < i {
				r.types = append(r.types, Text)
			}
			r.types = append(r.types, t)
		}
	}
	r.row = Row{Num: num, Cells: cells, Types: r.types, Hidden: r.rows.GetRowOpts().Hidden}
	return true
}

// dateText turns the marked serial number of a date cell (see markDates)
// into ISO text.
func (r *xlsxRows) dateText(c string) (string, CellType) {
	rest := c[len(dateMarker):]
	if rest == "" {
		return c, Text
	}
	if rest[0] == padMark {
		// A zero-padded format's index and the number.
		i, num, ok := strings.Cut(rest[1:], "|")
		n, err1 := strconv.Atoi(i)
		f, err2 := strconv.ParseFloat(num, 64)
		if ok && err1 == nil && err2 == nil && n < len(r.pads) {
			if text, ok := padText(r.pads[n], f); ok {
				return text, Text
			}
		}
		if err2 == nil {
			return num, Number
		}
		return c, Text
	}
	t := CellType(rest[0] - '0')
	serial, err := strconv.ParseFloat(rest[1:], 64)
	if !t.IsDate() || err != nil {
		return c, Text
	}
	if text, ok := SerialText(serial, r.date1904, t); ok {
		return text, t
	}
	return rest[1:], Number
}

// looksNumber reports whether c is a number as excelize writes one
// (strconv's shortest form): an .xlsx number cell. A text cell holding
// the same characters reads as a number too; one with a leading zero, a
// plus sign or spaces does not.
func looksNumber(c string) bool {
	if c == "" || (c[0] != '-' && (c[0] < '0' || c[0] > '9')) {
		return false
	}
	f, err := strconv.ParseFloat(c, 64)
	return err == nil && strconv.FormatFloat(f, 'f', -1, 64) == c
}

// dateMarker starts the text of a date, time or date-time cell once
// markDates has given its style a number format of its own: the marker,
// the cell type's digit, and the serial number.
const dateMarker = "\uE000"

// padMark follows dateMarker in the text of a cell of a zero-padded
// format (padFormat): the format's index in the book's pads, "|", and the
// number.
const padMark = 'p'

// noFormat is a number format id no workbook defines: excelize leaves
// the cells of a style with it as stored.
const noFormat = 1 << 20

// markDates rewrites the number formats of the workbook's cell styles (in
// memory) so that excelize's formatted values say what raw values do
// not: a date cell reads as dateMarker, its type and its serial number;
// any other cell as stored. Dates are told from the number format, as a
// spreadsheet does, not from the column.
func markDates(x *excelize.File) (pads []string, err error) {
	if _, err := x.GetStyle(0); err != nil && x.Styles == nil {
		return nil, err
	}
	if x.Styles == nil || x.Styles.CellXfs == nil {
		return nil, nil
	}
	n := len(x.Styles.CellXfs.Xf)
	custom := map[int]string{}
	if x.Styles.NumFmts != nil {
		for _, f := range x.Styles.NumFmts.NumFmt {
			code := f.FormatCode
			if f.FormatCode16 != "" {
				code = f.FormatCode16
			}
			custom[f.NumFmtID] = code
		}
	}
	padMarks := map[int]int{} // custom format id: the marker's format id
	for id, code := range custom {
		if !padFormat(code) {
			continue
		}
		mark := `"` + dateMarker + string(padMark) + strconv.Itoa(len(pads)) + `|"0.##########`
		sid, err := x.NewStyle(&excelize.Style{CustomNumFmt: &mark})
		if err != nil {
			return nil, err
		}
		pads = append(pads, code)
		if p := x.Styles.CellXfs.Xf[sid].NumFmtID; p != nil {
			padMarks[id] = *p
		}
	}
	marks := map[CellType]int{}
	for _, t := range []CellType{Date, Time, DateTime} {
		code := `"` + dateMarker + string(rune('0'+t)) + `"0.##########`
		id, err := x.NewStyle(&excelize.Style{CustomNumFmt: &code})
		if err != nil {
			return nil, err
		}
		if p := x.Styles.CellXfs.Xf[id].NumFmtID; p != nil {
			marks[t] = *p
		}
	}
	for i := range n {
		xf := &x.Styles.CellXfs.Xf[i]
		id := 0
		if xf.NumFmtID != nil {
			id = *xf.NumFmtID
		}
		t := builtinFormatType(id)
		if code, ok := custom[id]; ok {
			t = FormatType(code)
		}
		v := noFormat
		if m, ok := marks[t]; ok {
			v = m
		} else if m, ok := padMarks[id]; ok {
			v = m
		}
		xf.NumFmtID = &v
	}
	return pads, nil
}

func (r *xlsxRows) translate(err error) error {
	if errors.Is(err, excelize.ErrMaxRows) {
		return fileErr(CodeTooManyRows, err, "sheet %q has more rows than Excel allows", r.sheet)
	}
	return fileErr(CodeCorrupt, err, "sheet %q is damaged or truncated (%v)", r.sheet, err)
}

func (r *xlsxRows) Row() Row     { return r.row }
func (r *xlsxRows) Err() error   { return r.err }
func (r *xlsxRows) Close() error { return r.rows.Close() }
