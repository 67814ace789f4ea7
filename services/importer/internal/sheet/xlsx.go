package sheet

import (
	"archive/zip"
	"errors"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

type xlsxBook struct {
	f        *excelize.File
	lim      Limits
	sheets   []string
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
	var total uint64
	hasWorkbook := false
	for _, zf := range zr.File {
		total += zf.UncompressedSize64
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
	if _, err := f.Seek(0, 0); err != nil {
		return nil, err
	}
	x, err := excelize.OpenReader(f, excelize.Options{
		RawCellValue:      true,
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
	for _, name := range x.GetSheetList() {
		// Chart sheets and dialog sheets have no rows.
		if _, err := x.GetSheetIndex(name); err == nil {
			b.sheets = append(b.sheets, name)
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

func (b *xlsxBook) Format() Format   { return XLSX }
func (b *xlsxBook) Sheets() []string { return b.sheets }
func (b *xlsxBook) Date1904() bool   { return b.date1904 }
func (b *xlsxBook) Close() error     { return b.f.Close() }

func (b *xlsxBook) Rows(sheet string) (Rows, error) {
	rows, err := b.f.Rows(sheet)
	if err != nil {
		if strings.Contains(err.Error(), "unzip size") {
			return nil, fileErr(CodeTooLarge, err, "sheet %q unpacks to more than %d MB", sheet, b.lim.MaxUnzipBytes>>20)
		}
		return nil, fileErr(CodeCorrupt, err, "sheet %q cannot be read (%v)", sheet, err)
	}
	return &xlsxRows{rows: rows, lim: b.lim, sheet: sheet}, nil
}

type xlsxRows struct {
	rows  *excelize.Rows
	lim   Limits
	sheet string
	row   Row
	n     int
	err   error
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
	r.row = Row{Num: num, Cells: cells, Hidden: r.rows.GetRowOpts().Hidden}
	return true
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
