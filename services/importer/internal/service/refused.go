package service

import (
	"slices"
	"strconv"
	"strings"

	"github.com/attendify/hub"
	"github.com/attendify/importer/internal/mapping"
	"github.com/attendify/importer/internal/sheet"
	"github.com/attendify/importer/internal/validate"
	"github.com/attendify/platform/errs"
)

// Hub checks the rows of a bulk call twice: its schema first (a refusal is
// an invalid-params error whose field errors locate the bad values, as in
// "/sessions/3/title"), then its own rules (row errors in its answer). Our
// validation should leave it nothing to find, but when it does, the rows
// it refuses are reported and the others go through.

// rowList is the name of the list of rows in the params of kind's bulk
// method.
func rowList(k mapping.Kind) string {
	switch k {
	case mapping.Speakers:
		return "speakers"
	case mapping.Sessions:
		return "sessions"
	}
	return "members"
}

// invalidRows locates the field errors of hub's invalid-params answer to
// a bulk call in the call's list of rows: row errors by index, whether
// some field error locates nothing (the whole params), and whether some
// names another member of the params than the rows (nothing a row can
// change).
func invalidRows(err error, list string) (rows []hub.RowError, unlocated, params bool) {
	e, ok := errs.As(err)
	if !ok || len(e.Fields) == 0 {
		return nil, true, false
	}
	for _, f := range e.Fields {
		if f.Field == "" || f.Field == "/" {
			unlocated = true
			continue
		}
		rest, ok := strings.CutPrefix(f.Field, "/"+list+"/")
		if !ok {
			return nil, false, true
		}
		num, field, _ := strings.Cut(rest, "/")
		field, _, _ = strings.Cut(field, "/") // "custom/<name>", "links/0/url"
		i, err := strconv.Atoi(num)
		if err != nil || i < 0 {
			unlocated = true
			continue
		}
		rows = append(rows, hub.RowError{Row: i, Field: field, Message: f.Message})
	}
	return rows, unlocated, false
}

// isolate sends the rows of idx (indexes into the caller's rows) to hub
// through send, taking out those hub's schema refuses so that they do not
// hold back the others: the rows its field errors name are taken out and
// the rest sent again; when they name none, the rows are halved until the
// bad ones are alone. It returns the refusals, by index. An invalid-params
// error about the params rather than the rows comes back as it is.
func isolate(idx []int, list string, send func(idx []int) error) ([]hub.RowError, error) {
	if len(idx) == 0 {
		return nil, nil
	}
	err := send(idx)
	if err == nil || errs.KindOf(err) != errs.Invalid {
		return nil, err
	}
	bad, _, params := invalidRows(err, list)
	if params {
		return nil, err
	}
	var located []hub.RowError
	out := map[int]bool{}
	for _, e := range bad {
		if e.Row < len(idx) {
			out[e.Row] = true
			e.Row = idx[e.Row]
			located = append(located, e)
		}
	}
	if len(located) > 0 {
		rest := make([]int, 0, len(idx)-len(out))
		for j, i := range idx {
			if !out[j] {
				rest = append(rest, i)
			}
		}
		more, err := isolate(rest, list, send)
		return append(located, more...), err
	}
	if len(idx) == 1 {
		return []hub.RowError{{Row: idx[0], Message: publicMessage(err)}}, nil
	}
	half := len(idx) / 2
	first, err := isolate(idx[:half], list, send)
	if err != nil {
		return nil, err
	}
	second, err := isolate(idx[half:], list, send)
	return append(first, second...), err
}

// indexes is 0, 1, ... n-1.
func indexes(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// refuse marks r rejected for what hub said of it (errors, the first
// giving the reason), each a problem located in its sheet m (nil: not
// mapped).
func refuse(r *StagedRow, m *mapping.Sheet, errors []hub.RowError) {
	r.Action, r.Reason, r.Input = ActReject, "hub refused the row", nil
	r.Problems = slices.Clip(r.Problems)
	for i, e := range errors {
		msg := e.Message
		if e.Field != "" {
			msg = e.Field + ": " + msg
		}
		if i == 0 {
			r.Reason += ": " + msg
		}
		col := ""
		if m != nil {
			if c := m.Col(mapping.Field(e.Field)); c >= 0 {
				col = sheet.ColumnName(c)
			}
		}
		r.Problems = append(r.Problems, validate.Problem{Sheet: r.Sheet, Row: r.Num, Column: col, Field: e.Field, Message: e.Message})
	}
}

// byRow groups row errors by row.
func byRow(es []hub.RowError) map[int][]hub.RowError {
	out := map[int][]hub.RowError{}
	for _, e := range es {
		out[e.Row] = append(out[e.Row], e)
	}
	return out
}
