// Package demo holds the workbook `importer demo` loads into the demo app
// of `make run`: attendees, speakers and the agenda of the demo event.
// It is generated with LibreOffice by testdata/gen.sh.
package demo

import _ "embed"

// Workbook is agenda.xlsx.
//
//go:embed agenda.xlsx
var Workbook []byte
