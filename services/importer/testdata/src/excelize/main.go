// Command excelize writes the attendee sheet of make_writers.py with
// excelize's StreamWriter, which writes inline strings (no shared string
// table), as Go services that export spreadsheets do. gen.sh runs it:
//
//	go run ./testdata/src/excelize OUTDIR
package main

import (
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/xuri/excelize/v2"
)

func main() {
	f := excelize.NewFile()
	must := func(err error) {
		if err != nil {
			log.Fatal(err)
		}
	}
	_, err := f.NewSheet("Old list")
	must(err)
	must(f.SetSheetRow("Old list", "A1", &[]any{"Email", "Name"}))
	must(f.SetSheetRow("Old list", "A2", &[]any{"old.list@example.com", "Last Year"}))
	must(f.SetSheetName("Sheet1", "Attendees"))
	sw, err := f.NewStreamWriter("Attendees")
	must(err)
	style := func(code string) int {
		id, err := f.NewStyle(&excelize.Style{CustomNumFmt: &code})
		must(err)
		return id
	}
	date, dt, zip, thou := style("dd/mm/yyyy"), style("yyyy-mm-dd hh:mm"), style("00000"), style("#,##0.00")
	text := style("@")
	day := func(s string) excelize.Cell {
		t, _ := time.Parse("2006-01-02", s)
		return excelize.Cell{StyleID: date, Value: t}
	}
	at := func(s string) excelize.Cell {
		t, _ := time.Parse("2006-01-02T15:04", s)
		return excelize.Cell{StyleID: dt, Value: t}
	}
	rows := [][]any{
		{"Registrations – Festival 2026 🎉"},
		{"Person", nil, nil, nil, nil, "Contact", nil, nil, nil, "Registration"},
		{"Email", "First name", "Last name", "Company", nil, "Phone", "Mobile", "Zip", "Postcode", "Registered on", "Registration date", "Checked in", "Newsletter", "Amount paid", "Badge name"},
		{"zoe@example.com", "Zoé", "Lemaître", "Société Générale", nil, "0612345678", 33612345678, "07501", excelize.Cell{StyleID: zip, Value: 7501},
			day("2026-05-02"), excelize.Cell{StyleID: text, Value: "02/05/2026"}, at("2026-06-12T08:45"), true, excelize.Cell{StyleID: thou, Value: 1234.5},
			excelize.Cell{Formula: `B4&" "&C4`, Value: "Zoé Lemaître"}},
		{"taro@example.jp", "太郎", "山田", "株式会社テスト", nil, "+81 3-1234-5678", 819012345678, "100-0001", excelize.Cell{StyleID: zip, Value: 501},
			day("2026-04-30"), excelize.Cell{StyleID: text, Value: "30/04/2026"}, at("2026-06-12T23:59"), false, excelize.Cell{StyleID: thou, Value: 1000000},
			excelize.Cell{Formula: `B5&" "&C5`, Value: "太郎 山田"}},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		must(sw.SetRow(cell, r))
	}
	must(sw.SetRow("A6", []any{"hidden@example.com", "Hidden", "Row"}, excelize.RowOpts{Hidden: true}))
	must(sw.SetRow("A7", []any{"last@example.com", "Last", "Row", nil, nil, "+1 (202) 555-0143", nil, nil, excelize.Cell{StyleID: zip, Value: 2134},
		day("2026-12-31"), excelize.Cell{StyleID: text, Value: "12/31/2026"}, at("2026-06-12T12:00"), true, excelize.Cell{StyleID: thou, Value: -42.25},
		excelize.Cell{Formula: `B7&" "&C7`, Value: "Last Row"}}))
	must(sw.MergeCell("A1", "O1"))
	must(sw.MergeCell("A2", "C2"))
	must(sw.MergeCell("F2", "I2"))
	must(sw.MergeCell("J2", "O2"))
	must(sw.Flush())
	must(f.SetSheetVisible("Old list", false))
	f.SetActiveSheet(0)
	must(f.SaveAs(filepath.Join(os.Args[1], "writers-excelize.xlsx")))
}
