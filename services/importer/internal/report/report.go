// Package report writes the workbooks the importer hands out: the error
// report (the uploaded rows with what happened to each, bad cells
// highlighted) and the empty template.
package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/attendify/importer/internal/mapping"
	"github.com/attendify/importer/internal/sheet"
	"github.com/attendify/importer/internal/validate"
)

// RowNote is what happened to one row.
type RowNote struct {
	Action   string
	Reason   string
	Problems []validate.Problem
}

// Notes are row notes by sheet and row number.
type Notes map[string]map[int]RowNote

// Add records a row's note.
func (n Notes) Add(sheetName string, row int, note RowNote) {
	if n[sheetName] == nil {
		n[sheetName] = map[int]RowNote{}
	}
	n[sheetName][row] = note
}

type styles struct {
	header, errCell, warnCell, errText int
}

func newStyles(f *excelize.File) (styles, error) {
	var s styles
	var err error
	if s.header, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}}); err != nil {
		return s, err
	}
	if s.errCell, err = f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}}, Font: &excelize.Font{Color: "9C0006"}}); err != nil {
		return s, err
	}
	if s.warnCell, err = f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFEB9C"}}}); err != nil {
		return s, err
	}
	s.errText, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Color: "9C0006"}, Alignment: &excelize.Alignment{WrapText: true}})
	return s, err
}

// Errors writes the error report: every imported sheet of book, row by
// row as uploaded, with two more columns, "Import" (what the commit does
// or did with the row) and "Errors"; the cells of a problem are red
// (yellow for warnings). Rows are streamed: the report of a large file
// does not sit in memory.
func Errors(w io.Writer, book sheet.Book, sheets []mapping.Sheet, notes Notes) error {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	first := true
	for _, m := range sheets {
		if m.Kind == "" {
			continue
		}
		name := m.Name
		if first {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return err
			}
			first = false
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
		sw, err := f.NewStreamWriter(name)
		if err != nil {
			return err
		}
		rows, err := book.Rows(name)
		if err != nil {
			return err
		}
		width := len(m.Columns)
		out := 0
		for rows.Next() {
			r := rows.Row()
			if r.Num > m.HeaderRow && r.Blank() {
				continue
			}
			out++
			n := max(width, len(r.Cells))
			cells := make([]any, n+2)
			for i := range n {
				v := ""
				if i < len(r.Cells) {
					v = r.Cells[i]
				}
				cells[i] = excelize.Cell{Value: v}
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
				note, ok := notes[name][r.Num]
				if !ok {
					cells[n] = excelize.Cell{Value: "ok"}
					break
				}
				var msgs []string
				for _, p := range note.Problems {
					prefix := ""
					if p.Column != "" {
						prefix = p.Column + ": "
					}
					if p.Warning {
						prefix += "(warning) "
					}
					msgs = append(msgs, prefix+p.Message)
					if idx := columnIndex(p.Column); idx >= 0 && idx < n {
						c := cells[idx].(excelize.Cell)
						if c.StyleID != st.errCell {
							c.StyleID = st.warnCell
							if !p.Warning {
								c.StyleID = st.errCell
							}
						}
						cells[idx] = c
					}
				}
				if len(msgs) == 0 && note.Reason != "" && note.Action == "reject" {
					msgs = append(msgs, note.Reason)
				}
				action := note.Action
				if note.Reason != "" && note.Action == "skip" {
					action += " (" + note.Reason + ")"
				}
				cells[n] = excelize.Cell{Value: action}
				cells[n+1] = excelize.Cell{Value: strings.Join(msgs, "\n"), StyleID: st.errText}
			}
			cell, _ := excelize.CoordinatesToCellName(1, out)
			if err := sw.SetRow(cell, cells); err != nil {
				rows.Close()
				return err
			}
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return err
		}
		rows.Close()
		if err := sw.Flush(); err != nil {
			return err
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
