package sheet

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encoding is a text encoding of a CSV file.
type Encoding string

// The encodings told apart.
const (
	UTF8        Encoding = "utf-8"
	UTF16LE     Encoding = "utf-16le"
	UTF16BE     Encoding = "utf-16be"
	Windows1252 Encoding = "windows-1252"
)

// CSVDialect is what was detected about a CSV file.
type CSVDialect struct {
	Encoding  Encoding
	BOM       bool
	Separator rune
}

// DetectCSV tells the encoding and separator of a CSV file from its first
// bytes: a byte order mark decides UTF-8 or UTF-16; otherwise valid UTF-8
// is UTF-8 and anything else Windows-1252 (what Excel writes on Western
// Windows). The separator is the most frequent of comma, semicolon and tab
// outside quotes in the first lines.
func DetectCSV(head []byte) CSVDialect {
	var d CSVDialect
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		d = CSVDialect{Encoding: UTF8, BOM: true}
		head = head[3:]
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		d = CSVDialect{Encoding: UTF16LE, BOM: true}
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		d = CSVDialect{Encoding: UTF16BE, BOM: true}
	case validUTF8Prefix(head):
		d = CSVDialect{Encoding: UTF8}
	default:
		d = CSVDialect{Encoding: Windows1252}
	}
	if d.Encoding == UTF16LE || d.Encoding == UTF16BE {
		dec, _ := d.decoder()
		if txt, _, err := transform.Bytes(dec, head[:len(head)&^1]); err == nil {
			head = txt
		}
	}
	d.Separator = guessSeparator(head)
	return d
}

// validUTF8Prefix is utf8.Valid allowing a rune cut at the end of head.
func validUTF8Prefix(b []byte) bool {
	for i := 0; i < 3 && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return true
		}
		if r, _ := utf8.DecodeLastRune(b); r != utf8.RuneError {
			return false
		}
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}

func guessSeparator(b []byte) rune {
	counts := map[rune]int{}
	inQuotes := false
	lines := 0
	for _, c := range b {
		switch c {
		case '"':
			inQuotes = !inQuotes
		case ',', ';', '\t':
			if !inQuotes {
				counts[rune(c)]++
			}
		case '\n':
			if !inQuotes {
				lines++
			}
		}
		if lines >= 20 {
			break
		}
	}
	best := ','
	for _, r := range []rune{';', '\t'} {
		if counts[r] > counts[best] {
			best = r
		}
	}
	return best
}

func (d CSVDialect) decoder() (transform.Transformer, bool) {
	switch d.Encoding {
	case UTF16LE:
		return unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder(), true
	case UTF16BE:
		return unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder(), true
	case Windows1252:
		return charmap.Windows1252.NewDecoder(), true
	}
	return nil, false
}

// NewCSVReader returns a reader of the decoded text of r in dialect d
// (without the byte order mark).
func NewCSVReader(r io.Reader, d CSVDialect) *csv.Reader {
	return newCSVReader(r, d, 0)
}

// newCSVReader is NewCSVReader whose lines (decoded) may be at most
// maxLine bytes long (0: no bound).
func newCSVReader(r io.Reader, d CSVDialect, maxLine int) *csv.Reader {
	if t, ok := d.decoder(); ok {
		r = transform.NewReader(r, t)
	} else if d.BOM {
		br := bufio.NewReaderSize(r, 64<<10)
		if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
			_, _ = br.Discard(3)
		}
		r = br
	}
	if maxLine > 0 {
		r = &lineLimit{r: r, max: maxLine, sep: byte(d.Separator)}
	}
	cr := csv.NewReader(r)
	cr.Comma = d.Separator
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	return cr
}

type csvBook struct {
	f       *os.File
	lim     Limits
	dialect CSVDialect
}

func openCSV(f *os.File, _ int64, lim Limits) (Book, error) {
	head := make([]byte, 64<<10)
	n, err := f.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return nil, err
	}
	return &csvBook{f: f, lim: lim, dialect: DetectCSV(head[:n])}, nil
}

func (b *csvBook) Format() Format      { return CSV }
func (b *csvBook) Sheets() []string    { return []string{"Sheet1"} }
func (b *csvBook) Date1904() bool      { return false }
func (b *csvBook) Hidden(string) bool  { return false }
func (b *csvBook) Close() error        { return nil }
func (b *csvBook) Dialect() CSVDialect { return b.dialect }

func (b *csvBook) Rows(string) (Rows, error) {
	if _, err := b.f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return &csvRows{r: newCSVReader(bufio.NewReaderSize(b.f, 256<<10), b.dialect, b.lim.MaxLineBytes), lim: b.lim}, nil
}

// lineLimit fails a read once a line is longer than max bytes or holds
// more separators than a row has columns, before encoding/csv has
// buffered it whole and split it into its fields (some tens of bytes of
// bookkeeping per field). A separator within quotes counts too.
type lineLimit struct {
	r     io.Reader
	max   int
	sep   byte
	n     int // bytes of the current line
	cells int // separators of the current line
	line  int // its number, from 0
}

func (l *lineLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for b := p[:n]; ; {
		i := bytes.IndexByte(b, '\n')
		seg := b
		if i >= 0 {
			seg = b[:i]
		}
		l.n += len(seg)
		l.cells += bytes.Count(seg, []byte{l.sep})
		if l.n > l.max {
			return 0, fileErr(CodeTooLarge, nil, "line %d of the CSV file is longer than %d MB: it is not a list of rows", l.line+1, l.max>>20)
		}
		if l.cells >= MaxColumns {
			return 0, fileErr(CodeTooLarge, nil, "line %d of the CSV file has more cells than the %d columns of a spreadsheet", l.line+1, MaxColumns)
		}
		if i < 0 {
			break
		}
		l.n, l.cells, l.line, b = 0, 0, l.line+1, b[i+1:]
	}
	return n, err
}

// csvRows iterates the records of a CSV file as a spreadsheet shows
// them: an empty line is a blank row (encoding/csv skips it; the line
// numbers of the records tell where one was), a record over several
// lines (a quoted line break) one row.
type csvRows struct {
	r   *csv.Reader
	lim Limits
	row Row
	err error
	// endLine is the line the last record read ended on; blanks counts
	// the empty lines before rec, the record read and not yet returned.
	endLine int
	blanks  int
	rec     []string
}

func (r *csvRows) Next() bool {
	if r.err != nil {
		return false
	}
	if r.blanks > 0 {
		r.blanks--
		return r.emit(nil)
	}
	if r.rec != nil {
		rec := r.rec
		r.rec = nil
		return r.emit(rec)
	}
	rec, err := r.r.Read()
	if err == io.EOF {
		return false
	}
	if err == nil {
		start, _ := r.r.FieldPos(0)
		if blanks := start - r.endLine - 1; blanks > 0 {
			last := len(rec) - 1
			end, _ := r.r.FieldPos(last)
			r.endLine = end + strings.Count(rec[last], "\n")
			r.blanks, r.rec = blanks-1, rec
			return r.emit(nil)
		}
		last := len(rec) - 1
		end, _ := r.r.FieldPos(last)
		r.endLine = end + strings.Count(rec[last], "\n")
	}
	return r.read(rec, err)
}

// emit returns rec as the next row.
func (r *csvRows) emit(rec []string) bool { return r.read(rec, nil) }

func (r *csvRows) read(rec []string, err error) bool {
	if err != nil {
		var pe *csv.ParseError
		fe, limit := IsFileError(err) // a line over the limit
		switch {
		case limit:
			r.err = fe
		case errors.As(err, &pe):
			r.err = fileErr(CodeCorrupt, err, "the CSV file cannot be read at line %d: %v", pe.StartLine, pe.Err)
		default:
			r.err = fileErr(CodeCorrupt, err, "the CSV file cannot be decoded: %v", err)
		}
		return false
	}
	r.row.Num++
	if len(rec) > MaxColumns {
		r.err = fileErr(CodeTooLarge, nil, "row %d has %d cells, more than the %d columns of a spreadsheet", r.row.Num, len(rec), MaxColumns)
		return false
	}
	if r.row.Num > r.lim.MaxRows {
		r.err = fileErr(CodeTooManyRows, nil, "the file has more than %d rows, the limit of one import", r.lim.MaxRows)
		return false
	}
	for i, c := range rec {
		if len(c) > r.lim.MaxCellChars && utf8.RuneCountInString(c) > r.lim.MaxCellChars {
			r.err = fileErr(CodeCellTooLong, nil, "cell %s is %d characters long; the limit is %d", CellName(i, r.row.Num), utf8.RuneCountInString(c), r.lim.MaxCellChars)
			return false
		}
	}
	r.row.Cells = rec
	return true
}

func (r *csvRows) Row() Row     { return r.row }
func (r *csvRows) Err() error   { return r.err }
func (r *csvRows) Close() error { return nil }

// CellName is the A1 name of a 0-based column and a 1-based row.
func CellName(col, row int) string {
	return ColumnName(col) + strconv.Itoa(row)
}

// ColumnName is the letter name of a 0-based column: 0 is A, 26 is AA.
func ColumnName(col int) string {
	var b []byte
	for col++; col > 0; col = (col - 1) / 26 {
		b = append([]byte{byte('A' + (col-1)%26)}, b...)
	}
	return string(b)
}
