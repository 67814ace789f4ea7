package rpcapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/xuri/excelize/v2"

	"github.com/attendify/analytics"
	"github.com/attendify/analytics/internal/dashboard"
	"github.com/attendify/analytics/internal/service"
	"github.com/attendify/analytics/internal/wire"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/csvx"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// maxTrackBody bounds a POST /track body: 500 events of generous size.
const maxTrackBody = 1 << 20

// Routes serves POST /track and GET /export on mux.
func Routes(mux chi.Router, svc *service.Service, gate *dashboard.Gate, log *slog.Logger) {
	rt := &routes{svc: svc, gate: gate, log: log}
	mux.HandleFunc(analytics.RouteTrack, rt.track)
	mux.HandleFunc(analytics.RouteExport, rt.export)
}

type routes struct {
	svc  *service.Service
	gate *dashboard.Gate
	log  *slog.Logger
}

// track is track.batch for beacons: the same params as a JSON body, the
// member token (if any) in Authorization. The body is validated by the
// same rules as the method's params.
func (rt *routes) track(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if _, ok := auth.BearerToken(r); ok { // optional: anonymous beacons are counted too
		var err error
		if ctx, _, err = rt.gate.Tokens.RouteCaller(r); err != nil {
			rpc.WriteHTTPError(w, r, rt.log, err)
			return
		}
	}
	var p analytics.TrackParams
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxTrackBody))
	if err := dec.Decode(&p); err != nil {
		rpc.WriteHTTPError(w, r, rt.log, errs.Wrap(errs.Invalid, err, "the body is not a track batch"))
		return
	}
	if err := checkBatch(p); err != nil {
		rpc.WriteHTTPError(w, r, rt.log, err)
		return
	}
	out, err := rt.svc.Track(ctx, wire.BatchOf(p))
	if err != nil {
		rpc.WriteHTTPError(w, r, rt.log, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(wire.TrackResult(out))
}

// installPattern is the schema's pattern of install ids.
var installPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// checkBatch applies the schema's limits to a batch that came by POST
// /track (track.batch's params are checked by the rpc layer; the event
// types are checked, event by event, by the service).
func checkBatch(p analytics.TrackParams) error {
	var fields []errs.FieldError
	bad := func(f, m string) { fields = append(fields, errs.FieldError{Field: f, Message: m}) }
	if p.App == "" || len(p.App) > 64 {
		bad("/app_id", "1 to 64 characters")
	}
	if len(p.Install) < 8 || len(p.Install) > 64 || !installPattern.MatchString(p.Install) {
		bad("/install_id", "8 to 64 of A-Z, a-z, 0-9, '_' and '-'")
	}
	if len(p.Events) == 0 || len(p.Events) > analytics.MaxBatch {
		bad("/events", fmt.Sprintf("1 to %d events", analytics.MaxBatch))
	}
	for i, e := range p.Events {
		if e.ID == "" || len(e.ID) > 64 {
			bad(fmt.Sprintf("/events/%d/id", i), "1 to 64 characters")
		}
		if len(e.Event) > 64 || len(e.Session) > 64 || len(e.Screen) > 64 || len(e.TargetID) > 256 || len(e.Name) > 40 {
			bad(fmt.Sprintf("/events/%d", i), "a field is too long")
		}
		if e.DurationMs < 0 || e.DurationMs > 86_400_000 {
			bad(fmt.Sprintf("/events/%d/duration_ms", i), "0 to 86400000")
		}
		switch e.TargetType {
		case "", analytics.TargetSession, analytics.TargetSpeaker, analytics.TargetSponsor, analytics.TargetLink, analytics.TargetPost:
		default:
			bad(fmt.Sprintf("/events/%d/target_type", i), "session, speaker, sponsor, link or post")
		}
		if len(e.Props) > analytics.MaxProps {
			bad(fmt.Sprintf("/events/%d/props", i), fmt.Sprintf("at most %d", analytics.MaxProps))
		}
	}
	if len(fields) > 0 {
		return errs.InvalidFields("invalid track batch", fields...)
	}
	return nil
}

// export answers a report of a range as CSV or XLSX (one sheet per
// report; "all" puts every report in one workbook).
func (rt *routes) export(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	app := q.Get("app_id")
	ctx, err := rt.gate.Authorize(r, app)
	if err != nil {
		rpc.WriteHTTPError(w, r, rt.log, err)
		return
	}
	w.Header().Set("Cache-Control", "private, no-store") // an organizer's private figures
	p := analytics.RangeParams{AppRef: rpc.AppRef{App: app}, Event: q.Get("event_id"), Step: q.Get("step")}
	var fields []errs.FieldError
	for _, name := range []string{"from", "to"} {
		t, err := time.Parse(time.RFC3339, q.Get(name))
		if err != nil {
			fields = append(fields, errs.FieldError{Field: name, Message: "an RFC 3339 time"})
		}
		if name == "from" {
			p.From = t
		} else {
			p.To = t
		}
	}
	switch p.Step {
	case "", analytics.StepMinute, analytics.StepHour, analytics.StepDay:
	default:
		fields = append(fields, errs.FieldError{Field: "step", Message: "minute, hour or day"})
	}
	format := q.Get("format")
	if format == "" {
		format = analytics.FormatCSV
	}
	if format != analytics.FormatCSV && format != analytics.FormatXLSX {
		fields = append(fields, errs.FieldError{Field: "format", Message: "csv or xlsx"})
	}
	report := q.Get("report")
	if report == "" {
		report = analytics.ReportSeries
	}
	names := []string{report}
	if report == analytics.ReportAll {
		names = analytics.Reports
		if format == analytics.FormatCSV {
			fields = append(fields, errs.FieldError{Field: "report", Message: "all needs format xlsx (one sheet per report)"})
		}
	} else if !slices.Contains(analytics.Reports, report) {
		fields = append(fields, errs.FieldError{Field: "report", Message: "series, adoption, top, leaderboard, sponsored or all"})
	}
	if len(fields) > 0 {
		rpc.WriteHTTPError(w, r, rt.log, errs.InvalidFields("invalid export", fields...))
		return
	}
	rg := wire.RangeOf(p)
	tables := make([]Table, 0, len(names))
	for _, name := range names {
		t, err := rt.table(ctx, name, rg)
		if err != nil {
			rpc.WriteHTTPError(w, r, rt.log, err)
			return
		}
		tables = append(tables, t)
	}
	file := fmt.Sprintf("analytics-%s-%s-%s", app, report, p.From.UTC().Format("20060102T1504"))
	if format == analytics.FormatXLSX {
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", `attachment; filename="`+file+`.xlsx"`)
		if err := WriteXLSX(w, tables...); err != nil {
			rt.log.Warn("export", "error", err)
		}
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+file+`.csv"`)
	if err := WriteCSV(w, tables[0]); err != nil {
		rt.log.Warn("export", "error", err)
	}
}

// Table is one report: a header and rows of cells (time.Time, int64,
// float64 or string).
type Table struct {
	Name   string
	Header []string
	Rows   [][]any
}

// exportLimit bounds the items of a top list or the leaderboard exported.
const exportLimit = 100

// table builds the report name over rg.
func (rt *routes) table(ctx context.Context, name string, rg service.Range) (Table, error) {
	switch name {
	case analytics.ReportSeries:
		bs, err := rt.svc.Series(ctx, rg)
		if err != nil {
			return Table{}, err
		}
		return SeriesTable(bs), nil
	case analytics.ReportAdoption:
		days, err := rt.svc.Adoption(ctx, rg)
		if err != nil {
			return Table{}, err
		}
		t := Table{Name: name, Header: []string{"day", "registered", "opened", "active"}}
		for _, d := range days {
			t.Rows = append(t.Rows, []any{d.Day, d.Registered, d.Opened, d.Active})
		}
		return t, nil
	case analytics.ReportTop:
		t := Table{Name: name, Header: []string{"list", "id", "interactions"}}
		for _, list := range []string{analytics.TopPosts, analytics.TopSessions, analytics.TopSpeakers, analytics.TopSponsors} {
			items, err := rt.svc.Top(ctx, rg, list, exportLimit)
			if err != nil {
				return Table{}, err
			}
			for _, it := range items {
				t.Rows = append(t.Rows, []any{list, it.ID, int64(it.Score)})
			}
		}
		return t, nil
	case analytics.ReportLeaderboard:
		items, err := rt.svc.Leaderboard(ctx, rg.App, exportLimit)
		if err != nil {
			return Table{}, err
		}
		t := Table{Name: name, Header: []string{"rank", "member", "name", "points"}}
		for i, it := range items {
			t.Rows = append(t.Rows, []any{int64(i + 1), it.ID, it.Label, int64(it.Score)})
		}
		return t, nil
	case analytics.ReportSponsored:
		campaigns, taps, err := rt.svc.Sponsored(ctx, rg)
		if err != nil {
			return Table{}, err
		}
		t := Table{Name: name, Header: []string{"kind", "id", "impressions", "clicks", "taps"}}
		for _, c := range campaigns {
			t.Rows = append(t.Rows, []any{"campaign", c.ID, c.Impressions, c.Clicks, int64(0)})
		}
		for _, s := range taps {
			t.Rows = append(t.Rows, []any{"sponsor", s.ID, int64(0), int64(0), int64(s.Score)})
		}
		return t, nil
	}
	return Table{}, errs.New(errs.Invalid, "unknown report %q", name)
}

// SeriesTable is the series report: a row per bucket, its start, unique
// members and installs, then every counter of analytics.Counters.
func SeriesTable(bs []service.Bucket) Table {
	t := Table{Name: analytics.ReportSeries, Header: append([]string{"start", "members", "installs"}, analytics.Counters...)}
	for _, b := range bs {
		row := make([]any, 0, 3+len(analytics.Counters))
		row = append(row, b.Start, b.Members, b.Installs)
		for _, c := range analytics.Counters {
			row = append(row, b.Counts[c])
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// cellText is a cell as CSV text: times in RFC 3339 UTC, text neutralised
// (csvx.Text), so that opening an export runs nothing.
func cellText(v any) string {
	switch v := v.(type) {
	case time.Time:
		return v.UTC().Format(time.RFC3339)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case string:
		return csvx.Text(v)
	}
	return fmt.Sprint(v)
}

// WriteCSV writes a table as CSV (every field quoted, csvx.Writer): the
// header, then the rows.
func WriteCSV(w io.Writer, t Table) error {
	cw := csvx.NewWriter(w)
	if err := cw.Write(t.Header); err != nil {
		return err
	}
	rec := make([]string, len(t.Header))
	for _, row := range t.Rows {
		for i, v := range row {
			rec[i] = cellText(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteXLSX writes tables as a workbook, a sheet per table: times as date
// cells (UTC), numbers as numbers, text as text (never a formula).
func WriteXLSX(w io.Writer, tables ...Table) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	dateFmt := "yyyy-mm-dd hh:mm"
	style, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return err
	}
	for i, t := range tables {
		if i == 0 {
			err = f.SetSheetName("Sheet1", t.Name)
		} else {
			_, err = f.NewSheet(t.Name)
		}
		if err != nil {
			return err
		}
		sw, err := f.NewStreamWriter(t.Name)
		if err != nil {
			return err
		}
		if err := sw.SetColWidth(1, 1, 18); err != nil {
			return err
		}
		head := make([]any, len(t.Header))
		for j, h := range t.Header {
			head[j] = h
		}
		if err := sw.SetRow("A1", head); err != nil {
			return err
		}
		for j, row := range t.Rows {
			cells := make([]any, len(row))
			for k, v := range row {
				switch v := v.(type) {
				case time.Time:
					cells[k] = excelize.Cell{StyleID: style, Value: v.UTC()}
				case string:
					cells[k] = excelize.Cell{Value: v} // a string value is written as text, not a formula
				default:
					cells[k] = v
				}
			}
			axis, _ := excelize.CoordinatesToCellName(1, j+2)
			if err := sw.SetRow(axis, cells); err != nil {
				return err
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
	}
	return f.Write(w)
}
