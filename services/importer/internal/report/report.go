// Package report writes the workbooks the importer hands out: the error
// report (the uploaded rows with what happened to each, bad cells
// highlighted) and the empty template.
package report

import (
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/attendify/importer/internal/mapping"
	"github.com/attendify/importer/internal/sheet"
	"github.com/attendify/importer/internal/validate"
)

// RowNote is what happened to one row: Label is what the Import column
// says ("create", "skip (blank)", "not imported: ...").
type RowNote struct {
	Label    string
	Problems []validate.Problem
}

// Sheet is one sheet of the report: its mapping, why it is not imported
// (for a sheet the import leaves out), and the notes of its rows in row
// order.
type Sheet struct {
	Mapping mapping.Sheet
	// NotImported, when set, is why no row of the sheet is imported: each
	// data row says it.
	NotImported string
	// Notes yields the row numbers and notes of the sheet's rows, in
	// row order.
	Notes iter.Seq2[int, RowNote]
	// Unnoted labels a data row without a note.
	Unnoted string
}

type styles struct {
	header, errText int
	// cells are the styles of cells by type and fill.
	cells map[[2]int]int
}

func newStyles(f *excelize.File) (styles, error) {
	s := styles{cells: map[[2]int]int{}}
	var err error
	if s.header, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}}); err != nil {
		return s, err
	}
	if s.errText, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Color: "9C0006"}, Alignment: &excelize.Alignment{WrapText: true}}); err != nil {
		return s, err
	}
	formats := map[sheet.CellType]string{sheet.Date: "yyyy-mm-dd", sheet.Time: "hh:mm", sheet.DateTime: "yyyy-mm-dd hh:mm"}
	for _, t := range []sheet.CellType{sheet.Text, sheet.Number, sheet.Bool, sheet.Date, sheet.Time, sheet.DateTime} {
		for _, fill := range []int{fillNone, fillWarn, fillErr} {
			style := &excelize.Style{}
			if code, ok := formats[t]; ok {
				style.CustomNumFmt = &code
			}
			switch fill {
			case fillWarn:
				style.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFEB9C"}}
			case fillErr:
				style.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}}
				style.Font = &excelize.Font{Color: "9C0006"}
			}
			if fill == fillNone && style.CustomNumFmt == nil {
				continue // the default style, 0
			}
			id, err := f.NewStyle(style)
			if err != nil {
				return s, err
			}
			s.cells[[2]int{int(t), fill}] = id
		}
	}
	return s, nil
}

// Errors writes the error report: every sheet of book with rows, each row
// at its own row number as uploaded (the number the
// organizer sees in their file), with two more columns, "Import" (what
// the commit does or did with the row, or why it is not imported) and
// "Errors"; the cells of a problem are red (yellow for warnings), and
// cells keep their types (numbers, dates, times). failure, when set, says
// why the import failed, in a first sheet. Rows are streamed: the report
// of a large file does not sit in memory. notesErr, called after each
// sheet, reports an error of the notes' source (which stops the report).
func Errors(w io.Writer, book sheet.Book, sheets []Sheet, failure string, notesErr func() error) error {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	first := true
	newSheet := func(name string) error {
		if first {
			first = false
			return f.SetSheetName("Sheet1", name)
		}
		_, err := f.NewSheet(name)
		return err
	}
	if failure != "" {
		if err := newSheet("Import failed"); err != nil {
			return err
		}
		if err := f.SetCellValue("Import failed", "A1", "The import failed: "+failure); err != nil {
			return err
		}
	}
	for _, sh := range sheets {
		if err := newSheet(sh.Mapping.Name); err != nil {
			return err
		}
		if err := writeSheet(f, st, book, sh); err != nil {
			return err
		}
		if notesErr != nil {
			if err := notesErr(); err != nil {
				return err
			}
		}
	}
	if first {
		if err := f.SetCellValue("Sheet1", "A1", "No sheet of the file was imported."); err != nil {
			return err
		}
	}
	_, err = f.WriteTo(w)
	return err
}

func writeSheet(f *excelize.File, st styles, book sheet.Book, sh Sheet) error {
	m := sh.Mapping
	sw, err := f.NewStreamWriter(m.Name)
	if err != nil {
		return err
	}
	rows, err := book.Rows(m.Name)
	if err != nil {
		return err
	}
	defer rows.Close()
	notes := func(yield func(int, RowNote) bool) {}
	if sh.Notes != nil {
		notes = sh.Notes
	}
	next, stop := iter.Pull2(notes)
	defer stop()
	num, note, more := next()
	width := len(m.Columns)
	for rows.Next() {
		r := rows.Row()
		// The notes of this row (one per row; a note of a row the file
		// no longer shows is passed).
		var rn RowNote
		noted := false
		for more && num <= r.Num {
			if num == r.Num {
				rn, noted = note, true
			}
			num, note, more = next()
		}
		if r.Blank() && !noted {
			continue
		}
		n := max(width, len(r.Cells))
		cells := make([]any, n+2)
		fills := make([]int, n)
		for _, p := range rn.Problems {
			if idx := columnIndex(p.Column); idx >= 0 && idx < n && fills[idx] != fillErr {
				fills[idx] = fillWarn
				if !p.Warning {
					fills[idx] = fillErr
				}
			}
		}
		for i := range n {
			cells[i] = st.cell(r, i, fills[i])
		}
		switch {
		case r.Num == m.HeaderRow:
			for i := range cells[:n] {
				c := cells[i].(excelize.Cell)
				c.StyleID = st.header
				cells[i] = c
			}
			cells[n] = excelize.Cell{Value: "Import", StyleID: st.header}
			cells[n+1] = excelize.Cell{Value: "Errors", StyleID: st.header}
			width = n
		case r.Num > m.HeaderRow:
			label := rn.Label
			switch {
			case sh.NotImported != "":
				label = "not imported: " + sh.NotImported
			case !noted:
				label = sh.Unnoted
			}
			var msgs []string
			for _, p := range rn.Problems {
				prefix := ""
				if p.Column != "" {
					prefix = p.Column + ": "
				}
				if p.Warning {
					prefix += "(warning) "
				}
				msgs = append(msgs, prefix+p.Message)
			}
			cells[n] = excelize.Cell{Value: label}
			cells[n+1] = excelize.Cell{Value: strings.Join(msgs, "\n"), StyleID: st.errText}
		}
		cell, _ := excelize.CoordinatesToCellName(1, r.Num)
		if err := sw.SetRow(cell, cells); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return sw.Flush()
}

// The fills of a cell with a problem.
const (
	fillNone = iota
	fillWarn
	fillErr
)

// cell is cell i of r as the report writes it: of its type, in the style
// of its type and fill.
func (st styles) cell(r sheet.Row, i, fill int) excelize.Cell {
	v := ""
	if i < len(r.Cells) {
		v = r.Cells[i]
	}
	t := r.Type(i)
	c := excelize.Cell{Value: v}
	switch t {
	case sheet.Number:
		if x, err := strconv.ParseFloat(v, 64); err == nil {
			c.Value = x
		} else {
			t = sheet.Text
		}
	case sheet.Bool:
		c.Value = strings.EqualFold(v, "TRUE")
	case sheet.Date, sheet.Time, sheet.DateTime:
		if tm, _, ok := sheet.ParseISO(v); ok {
			if t == sheet.Time && len(v) <= len("15:04:05") {
				// A time of day: Excel's day zero, 1899-12-30.
				tm = time.Date(1899, 12, 30, tm.Hour(), tm.Minute(), tm.Second(), 0, time.UTC)
			}
			c.Value = tm
		} else {
			t = sheet.Text
		}
	}
	c.StyleID = st.cells[[2]int{int(t), fill}]
	return c
}

// columnIndex is the 0-based index of a column letter, -1 for "".
func columnIndex(letter string) int {
	if letter == "" {
		return -1
	}
	n, err := excelize.ColumnNameToNumber(letter)
	if err != nil {
		return -1
	}
	return n - 1
}

// Template writes the empty import workbook: one sheet per kind with its
// headers and an example row.
func Template(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	sheets := []struct {
		name    string
		headers []string
		example []any
	}{
		{"Attendees", []string{"Email", "First name", "Last name", "Company", "Job title", "Phone", "Role", "External ID", "Photo URL", "Bio", "LinkedIn", "Website"},
			[]any{"ada@example.com", "Ada", "Lovelace", "Analytical Engines", "Programmer", "+44 20 7946 0018", "attendee", "A-0001", "", "", "https://www.linkedin.com/in/ada", ""}},
		{"Speakers", []string{"Speaker ID", "Name", "Email", "Company", "Title", "Bio", "Photo URL"},
			[]any{"spk-ada", "Ada Lovelace", "ada@example.com", "Analytical Engines", "Programmer", "The first programmer.", ""}},
		{"Sessions", []string{"Session ID", "Title", "Date", "Start", "End", "Room", "Track", "Speakers", "Capacity", "Description"},
			[]any{"s-001", "Opening keynote", "2025-06-12", "09:00", "10:00", "Main hall", "Keynotes", "spk-ada", 300, "Speakers: ids or emails, separated by ;"}},
	}
	for i, s := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(s.name); err != nil {
			return err
		}
		for j, h := range s.headers {
			cell, _ := excelize.CoordinatesToCellName(j+1, 1)
			if err := f.SetCellValue(s.name, cell, h); err != nil {
				return err
			}
			if err := f.SetCellStyle(s.name, cell, cell, st.header); err != nil {
				return err
			}
			cell2, _ := excelize.CoordinatesToCellName(j+1, 2)
			if err := f.SetCellValue(s.name, cell2, s.example[j]); err != nil {
				return err
			}
		}
		last, _ := excelize.ColumnNumberToName(len(s.headers))
		if err := f.SetColWidth(s.name, "A", last, 18); err != nil {
			return err
		}
		if err := f.SetPanes(s.name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return fmt.Errorf("freeze header: %w", err)
		}
	}
	_, err = f.WriteTo(w)
	return err
}
