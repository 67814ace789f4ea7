package sheet

import "testing"

// panicBook stands for a reader of a binary format with a bug that a
// hostile file reaches, in Rows or in the Next of its rows.
type panicBook struct {
	Book
	inNext bool
}

func (b panicBook) Rows(string) (Rows, error) {
	if b.inNext {
		return panicRows{}, nil
	}
	panic("runtime error: index out of range [7] with length 3")
}

type panicRows struct{ Rows }

func (panicRows) Next() bool { panic("runtime error: slice bounds out of range") }
func (panicRows) Err() error { return nil }

// A panic while reading the rows of a workbook, not only while opening it,
// is a file error for the organizer, not a crash of the importer.
func TestPanicReadingRows(t *testing.T) {
	isCorrupt := func(what string, err error) {
		t.Helper()
		if fe, ok := IsFileError(err); !ok || fe.Code != CodeCorrupt {
			t.Errorf("%s: %v, want a corrupt file error", what, err)
		}
	}

	_, err := guarded{panicBook{}}.Rows("Sheet1")
	isCorrupt("Rows", err)

	rows, err := guarded{panicBook{inNext: true}}.Rows("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if rows.Next() {
		t.Error("Next is true after a panic")
	}
	isCorrupt("Err after Next", rows.Err())
	if rows.Next() {
		t.Error("Next is true after an error")
	}
}
