// Package sheet reads the rows of uploaded spreadsheets: .xlsx (streaming,
// through excelize), legacy .xls (BIFF8, through a reader of its own) and
// .csv in UTF-8, UTF-16 or Windows-1252 with comma, semicolon or tab
// separators. The format is detected from the content, never from the file
// name, and every limit (unzipped size, rows per sheet, cell length) is
// enforced while reading, so that hostile files fail early with a clear
// *FileError.
//
// Cells come back as text with their type beside them (Row.Types): numbers
// as stored, formulas as their cached value, booleans as "TRUE"/"FALSE",
// and the cells a workbook formats as dates or times as ISO 8601 text
// ("2025-10-02", "09:30", "2025-10-02T09:30"), never as serial numbers.
package sheet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// Format is a spreadsheet file format.
type Format string

// The formats read.
const (
	XLSX Format = "xlsx"
	XLS  Format = "xls"
	CSV  Format = "csv"
)

// Limits bound what a file may make the reader do.
type Limits struct {
	// MaxRows bounds the rows of one sheet (blank rows count).
	MaxRows int
	// MaxCellChars bounds the length of one cell, in characters.
	MaxCellChars int
	// MaxUnzipBytes bounds the total unzipped size of an .xlsx, and the
	// decoded size of an .xls: its workbook stream, and the cells of one
	// sheet.
	MaxUnzipBytes int64
	// MaxXMLInMemory is the size above which a worksheet's XML is spooled
	// to a temporary file instead of memory.
	MaxXMLInMemory int64
	// MaxSheets bounds the sheets of a workbook.
	MaxSheets int
	// MaxLineBytes bounds a line of a CSV file (decoded), which the CSV
	// reader holds whole with its fields: one line of "a,a,a..." split
	// into millions of cells took gigabytes. Rows also have at most
	// MaxColumns cells.
	MaxLineBytes int
	// MaxSharedStrings bounds the shared strings of an .xlsx (excelize
	// keeps an entry of each in memory): a few kilobytes of zip used to
	// unpack to millions of empty strings and gigabytes of memory.
	MaxSharedStrings int
}

// MaxColumns is Excel's number of columns (A to XFD): a row of a CSV file
// with more cells is refused.
const MaxColumns = 16_384

// DefaultLimits are Excel's own limits, with 1 GiB of unzipped XML.
func DefaultLimits() Limits {
	return Limits{MaxRows: 1_048_576, MaxCellChars: 32_767, MaxUnzipBytes: 1 << 30, MaxXMLInMemory: 16 << 20, MaxSheets: 64,
		MaxLineBytes: 4 << 20, MaxSharedStrings: 4 << 20}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxRows <= 0 {
		l.MaxRows = d.MaxRows
	}
	if l.MaxCellChars <= 0 {
		l.MaxCellChars = d.MaxCellChars
	}
	if l.MaxUnzipBytes <= 0 {
		l.MaxUnzipBytes = d.MaxUnzipBytes
	}
	if l.MaxXMLInMemory <= 0 || l.MaxXMLInMemory > l.MaxUnzipBytes {
		l.MaxXMLInMemory = min(d.MaxXMLInMemory, l.MaxUnzipBytes)
	}
	if l.MaxSheets <= 0 {
		l.MaxSheets = d.MaxSheets
	}
	if l.MaxLineBytes <= 0 {
		l.MaxLineBytes = d.MaxLineBytes
	}
	if l.MaxSharedStrings <= 0 {
		l.MaxSharedStrings = d.MaxSharedStrings
	}
	return l
}

// Problem codes of a FileError.
const (
	CodeCorrupt           = "corrupt"            // damaged or truncated
	CodePasswordProtected = "password_protected" // encrypted workbook
	CodeUnsupported       = "unsupported_format" // not a spreadsheet we read
	CodeTooLarge          = "too_large"          // over the unzip limit (a zip bomb, or just huge)
	CodeTooManyRows       = "too_many_rows"      // a sheet over the row limit
	CodeCellTooLong       = "cell_too_long"      // a cell over the length limit
	CodeEmpty             = "empty"              // no data at all
	CodeTooManySheets     = "too_many_sheets"
)

// FileError is what is wrong with a file as a whole: the organizer sees
// Message; Code is stable for clients.
type FileError struct {
	Code    string
	Message string
	Err     error // the underlying cause, for logs
}

func (e *FileError) Error() string { return e.Message }

// Unwrap returns the cause.
func (e *FileError) Unwrap() error { return e.Err }

func fileErr(code string, cause error, format string, args ...any) *FileError {
	return &FileError{Code: code, Message: fmt.Sprintf(format, args...), Err: cause}
}

// IsFileError reports whether err is (or wraps) a *FileError and returns it.
func IsFileError(err error) (*FileError, bool) {
	var fe *FileError
	ok := errors.As(err, &fe)
	return fe, ok
}

// Row is one row of a sheet.
type Row struct {
	Num   int      // 1-based row number as the spreadsheet shows it
	Cells []string // trailing empty cells may be missing
	// Types are the cells' types where the file says them (nil or
	// shorter than Cells: text).
	Types  []CellType
	Hidden bool
}

// Type is the type of cell i.
func (r Row) Type(i int) CellType {
	if i < len(r.Types) {
		return r.Types[i]
	}
	return Text
}

// CellType is what a cell holds, as the workbook says.
type CellType uint8

// The cell types. A date, time or date-time cell's text is ISO 8601:
// "2025-10-02", "09:30" (or "09:30:15"), "2025-10-02T09:30".
const (
	Text CellType = iota
	Number
	Bool
	Date
	Time
	DateTime
)

// IsDate reports whether a cell of type t holds a date, a time or both.
func (t CellType) IsDate() bool { return t >= Date }

// Blank reports whether every cell is empty or spaces.
func (r Row) Blank() bool {
	for _, c := range r.Cells {
		if len(bytes.TrimSpace([]byte(c))) > 0 {
			return false
		}
	}
	return true
}

// Rows iterates the rows of one sheet.
type Rows interface {
	// Next advances to the next row; false at the end or on error.
	Next() bool
	// Row is the current row; its Cells are valid until the next Next.
	Row() Row
	// Err is the error that stopped the iteration, a *FileError for
	// problems of the file.
	Err() error
	Close() error
}

// Book is an open spreadsheet.
type Book interface {
	Format() Format
	// Sheets are the sheet names in workbook order (one, "Sheet1", for CSV).
	Sheets() []string
	// Rows iterates the rows of a sheet; each call starts from the top.
	Rows(sheet string) (Rows, error)
	// Hidden reports whether the workbook hides the sheet (hidden or
	// "very hidden": the organizer does not see it; lists behind
	// drop-downs, last year's data). A CSV file hides nothing.
	Hidden(sheet string) bool
	// Date1904 reports whether serial dates count from 1904.
	Date1904() bool
	Close() error
}

// Detect tells the format of a file from its first bytes: zip (.xlsx),
// OLE2 (.xls, or an encrypted OOXML workbook: Open tells which), or text
// (.csv). Other binary content is CodeUnsupported.
func Detect(head []byte) (Format, error) {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return XLSX, nil
	case bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return "", fileErr(CodeEmpty, nil, "the file is an empty zip archive, not a spreadsheet")
	case bytes.HasPrefix(head, oleMagic):
		return XLS, nil
	case bytes.HasPrefix(head, []byte("%PDF")):
		return "", fileErr(CodeUnsupported, nil, "the file is a PDF, not a spreadsheet: export it as .xlsx or .csv")
	case len(head) == 0:
		return "", fileErr(CodeEmpty, nil, "the file is empty")
	}
	if looksBinary(head) {
		return "", fileErr(CodeUnsupported, nil, "the file is not a spreadsheet (.xlsx, .xls or .csv)")
	}
	if looksHTML(head) {
		return "", fileErr(CodeUnsupported, nil, "the file is an HTML/text page, not a spreadsheet: export it from the spreadsheet as .xlsx or .csv")
	}
	return CSV, nil
}

// looksHTML reports a text that starts (after a byte order mark and
// spaces) with an HTML or XML tag: a web page, or a report "exported to
// Excel" as HTML, never a CSV file.
func looksHTML(head []byte) bool {
	head = bytes.TrimPrefix(head, []byte{0xEF, 0xBB, 0xBF})
	if bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) {
		return false // UTF-16: Excel's "Unicode text"
	}
	head = bytes.TrimLeft(head, " \t\r\n")
	lower := bytes.ToLower(head[:min(len(head), 64)])
	for _, p := range []string{"<!doctype html", "<html", "<?xml", "<table", "<head", "<body", "<meta", "<!--"} {
		if bytes.HasPrefix(lower, []byte(p)) {
			return true
		}
	}
	return false
}

var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// looksBinary reports control bytes that text never has, outside a
// UTF-16 file (which starts with a byte order mark).
func looksBinary(head []byte) bool {
	if bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) {
		return false
	}
	n := min(len(head), 8192)
	for _, b := range head[:n] {
		if b == 0 || (b < 0x09) || (b > 0x0D && b < 0x20 && b != 0x1B) {
			return true
		}
	}
	return false
}

// File is an uploaded file on disk (a temporary copy of the stored one).
type File interface {
	io.ReaderAt
	io.Reader
	io.Seeker
}

// Open opens the spreadsheet in f (size bytes) with the given limits,
// detecting its format from the content.
func Open(f *os.File, size int64, lim Limits) (b Book, err error) {
	lim = lim.withDefaults()
	head := make([]byte, 8192)
	n, err := f.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return nil, err
	}
	format, err := Detect(head[:n])
	if err != nil {
		return nil, err
	}
	if format == CSV {
		return openCSV(f, size, lim)
	}
	defer recoverCorrupt(&err)
	if format == XLSX {
		b, err = openXLSX(f, size, lim)
	} else {
		b, err = openOLE(f, size, lim)
	}
	if err != nil {
		return nil, err
	}
	return guarded{b}, nil
}

// guarded is a workbook in a binary format. Its readers index into what
// the file says: a hostile file must not take the process down, neither
// while it is opened nor while its rows are read.
type guarded struct{ Book }

func (g guarded) Rows(sheet string) (_ Rows, err error) {
	defer recoverCorrupt(&err)
	rows, err := g.Book.Rows(sheet)
	if err != nil {
		return nil, err
	}
	return &guardedRows{Rows: rows}, nil
}

type guardedRows struct {
	Rows
	err error // a panic of Next
}

func (r *guardedRows) Next() (ok bool) {
	if r.err != nil {
		return false
	}
	defer func() {
		if p := recover(); p != nil {
			r.err, ok = panicError(p), false
		}
	}()
	return r.Rows.Next()
}

func (r *guardedRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.Rows.Err()
}

// recoverCorrupt, deferred, turns a panic into a CodeCorrupt error.
func recoverCorrupt(err *error) {
	if p := recover(); p != nil {
		*err = panicError(p)
	}
}

func panicError(p any) error {
	return fileErr(CodeCorrupt, fmt.Errorf("panic: %v", p), "the file is damaged and cannot be read")
}
