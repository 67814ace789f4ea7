package sheet_test

import (
	"bytes"
	"io"
	"testing"
	"unicode/utf8"

	"github.com/attendify/importer/internal/sheet"
)

// FuzzCSV feeds arbitrary bytes to the CSV detection and reader: they
// never panic, read a bounded number of rows, and valid UTF-8 input comes
// back as valid UTF-8 cells. Seeds in testdata/fuzz/FuzzCSV run with plain
// go test.
func FuzzCSV(f *testing.F) {
	for _, s := range []string{
		"Email,Name\na@b.co,Ann\n",
		"\xef\xbb\xbfEmail;Nom\r\na@b.co;Zo\xc3\xa9\r\n",
		"\xff\xfeE\x00,\x00N\x00\n\x00",
		"\"a\"\"b\",\"c\nd\"\n",
		"caf\xe9;cr\xe8me\n",
		"a\tb\tc\n1\t2\n",
		"\"unterminated,x\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := sheet.DetectCSV(data)
		if d.Separator != ',' && d.Separator != ';' && d.Separator != '\t' {
			t.Fatalf("separator %q", d.Separator)
		}
		r := sheet.NewCSVReader(bytes.NewReader(data), d)
		for n := 0; n <= len(data)+1; n++ {
			rec, err := r.Read()
			if err == io.EOF || err != nil {
				return
			}
			for _, c := range rec {
				if d.Encoding != sheet.UTF8 || utf8.Valid(data) {
					if !utf8.ValidString(c) {
						t.Fatalf("invalid UTF-8 cell %q from %q", c, data)
					}
				}
			}
		}
		t.Fatalf("more records than bytes")
	})
}
