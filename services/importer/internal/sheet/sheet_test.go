package sheet_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attendify/importer/internal/sheet"
)

// open opens a test file with the given limits, failing the test on error.
func open(t *testing.T, path string, lim sheet.Limits) (sheet.Book, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	st, _ := f.Stat()
	return sheet.Open(f, st.Size(), lim)
}

// dump renders every sheet of a book as text, one row a line.
func dump(t *testing.T, b sheet.Book) string {
	t.Helper()
	var sb strings.Builder
	for _, name := range b.Sheets() {
		fmt.Fprintf(&sb, "== %s\n", name)
		rows, err := b.Rows(name)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			r := rows.Row()
			if r.Blank() {
				continue
			}
			h := ""
			if r.Hidden {
				h = " (hidden)"
			}
			fmt.Fprintf(&sb, "%d%s: %s\n", r.Num, h, strings.Join(r.Cells, " | "))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return sb.String()
}

func TestDump(t *testing.T) {
	for _, p := range []string{"problems.xlsx", "problems.xls"} {
		b, err := open(t, filepath.Join("../../testdata", p), sheet.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s:\n%s", p, dump(t, b))
	}
}
