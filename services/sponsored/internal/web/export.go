package web

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/attendify/platform/csvx"
	"github.com/attendify/sponsored/internal/service"
)

var reportHeader = []string{"Day", "Impressions", "Reach", "Clicks", "CTR", "Leads", "Views", "Planned"}

// WriteReportCSV writes a report as CSV: a row per day, then the total.
func WriteReportCSV(w io.Writer, r service.Report) error {
	cw := csvx.NewWriter(w)
	_ = cw.Write([]string{"Campaign", csvx.Text(r.Campaign.Name), "Sponsor", csvx.Text(r.Campaign.Sponsor.Name), "Time zone", r.Campaign.Flight.TimeZone})
	_ = cw.Write(reportHeader)
	row := func(label string, d service.ReportDay) {
		_ = cw.Write([]string{label, fmt.Sprint(d.Impressions), fmt.Sprint(d.Reach), fmt.Sprint(d.Clicks),
			fmt.Sprintf("%.4f", d.CTR), fmt.Sprint(d.Leads), fmt.Sprint(d.Views), fmt.Sprint(d.Planned)})
	}
	for _, d := range r.Days {
		row(d.Day, d)
	}
	row("Total", r.Total)
	cw.Flush()
	return cw.Error()
}

// ReportXLSX renders a report as a workbook: typed cells (days as dates,
// counts as numbers, CTR as a percentage), text neutralised.
func ReportXLSX(r service.Report) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Report"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14}) // m/d/yyyy, shown in the reader's locale
	if err != nil {
		return nil, err
	}
	pctStyle, err := f.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	if err != nil {
		return nil, err
	}
	set := func(cell string, v any) {
		if err == nil {
			err = f.SetCellValue(sheet, cell, v)
		}
	}
	setStr := func(cell, v string) {
		if err == nil {
			err = f.SetCellStr(sheet, cell, csvx.Text(v))
		}
	}
	setStr("A1", "Campaign")
	setStr("B1", r.Campaign.Name)
	setStr("C1", "Sponsor")
	setStr("D1", r.Campaign.Sponsor.Name)
	setStr("E1", "Time zone")
	setStr("F1", r.Campaign.Flight.TimeZone)
	for i, h := range reportHeader {
		c, _ := excelize.CoordinatesToCellName(i+1, 2)
		setStr(c, h)
	}
	row := 3
	put := func(d service.ReportDay, day any) {
		vals := []any{day, d.Impressions, d.Reach, d.Clicks, d.CTR, d.Leads, d.Views, d.Planned}
		for i, v := range vals {
			c, _ := excelize.CoordinatesToCellName(i+1, row)
			set(c, v)
		}
		row++
	}
	for _, d := range r.Days {
		t, perr := time.Parse(time.DateOnly, d.Day)
		if perr != nil {
			return nil, perr
		}
		put(d, t)
	}
	if len(r.Days) > 0 && err == nil {
		err = f.SetCellStyle(sheet, "A3", fmt.Sprintf("A%d", row-1), dateStyle)
	}
	put(r.Total, "Total")
	if err == nil {
		err = f.SetCellStyle(sheet, "E3", fmt.Sprintf("E%d", row-1), pctStyle)
	}
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteLeadsCSV writes leads as CSV: one column per form field, in the
// form's order, then one per field that leads answered and the form no
// longer has (an organizer changed it: named by the field's name, in
// name order), then the consent text and the time; values neutralised.
func WriteLeadsCSV(w io.Writer, fields []service.LeadField, leads []service.Lead) error {
	cw := csvx.NewWriter(w)
	head := []string{"Lead", "Member", "Impression"}
	names := make([]string, 0, len(fields))
	for _, f := range fields {
		head = append(head, csvx.Text(f.Label))
		names = append(names, f.Name)
	}
	var gone []string
	for _, l := range leads {
		for name := range l.Fields {
			if !slices.Contains(names, name) && !slices.Contains(gone, name) {
				gone = append(gone, name)
			}
		}
	}
	slices.Sort(gone)
	for _, name := range gone {
		head = append(head, csvx.Text(name))
	}
	names = append(names, gone...)
	head = append(head, "Consent", "Submitted (UTC)", "Internal")
	_ = cw.Write(head)
	for _, l := range leads {
		row := []string{l.ID, csvx.Text(l.Member), csvx.Text(l.Impression)}
		for _, name := range names {
			row = append(row, csvx.Text(l.Fields[name]))
		}
		row = append(row, csvx.Text(l.Consent), l.CreatedAt.UTC().Format(time.RFC3339), fmt.Sprint(l.Internal))
		_ = cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}
