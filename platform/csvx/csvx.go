// Package csvx writes CSV files that are safe to open in a spreadsheet.
//
// Exports carry text that members and sponsors typed: a lead's answers,
// a campaign's name, a tap target. A spreadsheet opening the file runs any
// cell that reads as a formula, so text is written through Text, and every
// field is quoted by Writer: encoding/csv quotes only fields holding a
// comma, a quote or a line break, while Excel splits a CSV file on the
// locale's list separator (';' in much of Europe), where "x;=cmd|..." would
// otherwise become two cells, the second a formula Text never saw.
package csvx

import (
	"bufio"
	"io"
	"strings"
	"unicode"
)

// Text neutralises text that a spreadsheet could read as a formula: text
// starting with a tab, CR or LF, or whose first character after leading
// spaces and quotes (which spreadsheets skip on import) is =, +, - or @,
// or one of their full-width forms (which some read as the ASCII signs).
// Such text gets a leading apostrophe, so it shows as the text it is.
// Numbers are written as numbers, never through Text: "-5" stays -5.
func Text(s string) string {
	if FormulaLike(s) {
		return "'" + s
	}
	return s
}

// FormulaLike reports whether Text would neutralise s.
func FormulaLike(s string) bool {
	if s == "" {
		return false
	}
	if strings.ContainsRune("\t\r\n", rune(s[0])) {
		return true
	}
	t := strings.TrimLeftFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '"' || r == '\'' })
	for _, r := range t {
		return strings.ContainsRune("=+-@\uff1d\uff0b\uff0d\uff20", r)
	}
	return false
}

// Writer writes CSV records with every field quoted, lines ending in
// CRLF as RFC 4180 has them. Fields are written as given: pass text
// through Text.
type Writer struct {
	w   *bufio.Writer
	err error
}

// NewWriter returns a Writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: bufio.NewWriter(w)} }

// Write writes one record.
func (c *Writer) Write(record []string) error {
	if c.err != nil {
		return c.err
	}
	for i, f := range record {
		if i > 0 {
			c.w.WriteByte(',')
		}
		c.w.WriteByte('"')
		c.w.WriteString(strings.ReplaceAll(f, `"`, `""`))
		c.w.WriteByte('"')
	}
	_, c.err = c.w.WriteString("\r\n")
	return c.err
}

// Flush writes what is buffered to the underlying writer.
func (c *Writer) Flush() {
	if err := c.w.Flush(); c.err == nil {
		c.err = err
	}
}

// Error returns the first error of a Write or Flush.
func (c *Writer) Error() error { return c.err }
