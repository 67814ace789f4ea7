package csvx_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/platform/csvx"
)

func TestText(t *testing.T) {
	for in, want := range map[string]string{
		"":                     "",
		"Acme":                 "Acme",
		"a=b":                  "a=b",
		"5":                    "5",
		"=1+1":                 "'=1+1",
		"+33 6 12":             "'+33 6 12",
		"-2":                   "'-2",
		"@SUM(A1)":             "'@SUM(A1)",
		"\t=1":                 "'\t=1",
		"\rx":                  "'\rx",
		"\nx":                  "'\nx",
		"   =HYPERLINK(\"x\")": "'   =HYPERLINK(\"x\")",
		"\u00a0@SUM(A1)":       "'\u00a0@SUM(A1)",
		"\u3000=1":             "'\u3000=1",
		"\uff1d1+1":            "'\uff1d1+1",
		"\"=1":                 "'\"=1",
		"' =1":                 "'' =1",
		"  plain":              "  plain",
	} {
		if got := csvx.Text(in); got != want {
			t.Errorf("Text(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestWriterQuotesEveryField(t *testing.T) {
	var b bytes.Buffer
	w := csvx.NewWriter(&b)
	rows := [][]string{
		{"Lead", "Company", "Note"},
		{"1", "Acme;=cmd|' /C calc'!A0", `say "hi", then
leave`},
		{"2", "", "plain"},
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(strings.NewReader(b.String()))
	got, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rows, got); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
	// Excel in a ';' locale splits on every ';' outside quotes: there must
	// be none, so no field can become a cell of its own.
	quoted := false
	for i, c := range b.String() {
		switch {
		case c == '"':
			quoted = !quoted
		case c == ';' && !quoted:
			t.Errorf("a ';' outside quotes at byte %d: %q", i, b.String())
		}
	}
	if !strings.HasSuffix(b.String(), "\"plain\"\r\n") {
		t.Errorf("lines end %q; want CRLF", b.String()[b.Len()-4:])
	}
}

type failing struct{}

func (failing) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriterReportsErrors(t *testing.T) {
	w := csvx.NewWriter(failing{})
	_ = w.Write([]string{"a"})
	w.Flush()
	if w.Error() == nil {
		t.Fatal("Error() = nil after a failed flush")
	}
}
