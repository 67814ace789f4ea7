package rpcapi

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/attendify/analytics"
	"github.com/attendify/analytics/internal/dashboard"
	"github.com/attendify/analytics/internal/service"
	"github.com/attendify/analytics/internal/wire"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// maxTrackBody bounds a POST /track body: 500 events of generous size.
const maxTrackBody = 1 << 20

// Routes serves POST /track and GET /export on mux.
func Routes(mux *http.ServeMux, svc *service.Service, gate *dashboard.Gate, log *slog.Logger) {
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
	if token, ok := auth.BearerToken(r); ok {
		claims, err := rt.gate.Tokens.Verify(token)
		if err != nil {
			rpc.WriteHTTPError(w, r, rt.log, err)
			return
		}
		ctx = auth.WithCaller(ctx, claims.Caller(token))
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

// checkBatch applies the schema's limits to a batch that came by POST
// /track (track.batch's params are checked by the rpc layer).
func checkBatch(p analytics.TrackParams) error {
	var fields []errs.FieldError
	bad := func(f, m string) { fields = append(fields, errs.FieldError{Field: f, Message: m}) }
	if p.App == "" || len(p.App) > 64 {
		bad("/app_id", "1 to 64 characters")
	}
	if len(p.Install) < 8 || len(p.Install) > 64 {
		bad("/install_id", "8 to 64 characters")
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
	}
	if len(fields) > 0 {
		return errs.InvalidFields("invalid track batch", fields...)
	}
	return nil
}

// export answers a range's series as CSV or XLSX.
func (rt *routes) export(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	app := q.Get("app_id")
	ctx, err := rt.gate.Authorize(r, app)
	if err != nil {
		rpc.WriteHTTPError(w, r, rt.log, err)
		return
	}
	p := analytics.RangeParams{App: app, Event: q.Get("event_id"), Step: q.Get("step")}
	var fields []errs.FieldError
	for name, dst := range map[string]*time.Time{"from": &p.From, "to": &p.To} {
		t, err := time.Parse(time.RFC3339, q.Get(name))
		if err != nil {
			fields = append(fields, errs.FieldError{Field: name, Message: "an RFC 3339 time"})
		}
		*dst = t
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
	if len(fields) > 0 {
		rpc.WriteHTTPError(w, r, rt.log, errs.InvalidFields("invalid export", fields...))
		return
	}
	rg := wire.RangeOf(p)
	bs, err := rt.svc.Series(ctx, rg)
	if err != nil {
		rpc.WriteHTTPError(w, r, rt.log, err)
		return
	}
	name := fmt.Sprintf("analytics-%s-%s", app, p.From.UTC().Format("20060102T1504"))
	if format == analytics.FormatXLSX {
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
		if err := WriteXLSX(w, bs); err != nil {
			rt.log.Warn("export", "err", err)
		}
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	if err := WriteCSV(w, bs); err != nil {
		rt.log.Warn("export", "err", err)
	}
}

// ExportHeader is the export's header row.
func ExportHeader() []string {
	return append([]string{"start", "members", "installs"}, analytics.Counters...)
}

// WriteCSV writes buckets as CSV: a header row, then a row per bucket
// (start in RFC 3339 UTC, then numbers).
func WriteCSV(w io.Writer, bs []service.Bucket) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ExportHeader()); err != nil {
		return err
	}
	row := make([]string, 0, 3+len(analytics.Counters))
	for _, b := range bs {
		row = append(row[:0], b.Start.UTC().Format(time.RFC3339), strconv.FormatInt(b.Members, 10), strconv.FormatInt(b.Installs, 10))
		for _, c := range analytics.Counters {
			row = append(row, strconv.FormatInt(b.Counts[c], 10))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteXLSX writes buckets as a workbook of one sheet, "analytics": the
// same columns as the CSV, the start a date cell (UTC), the rest numbers.
func WriteXLSX(w io.Writer, bs []service.Bucket) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	const sheet = "analytics"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	dateFmt := "yyyy-mm-dd hh:mm"
	style, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	if err := sw.SetColWidth(1, 1, 18); err != nil {
		return err
	}
	head := ExportHeader()
	cells := make([]any, len(head))
	for i, h := range head {
		cells[i] = h
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return err
	}
	for i, b := range bs {
		row := []any{excelize.Cell{StyleID: style, Value: b.Start.UTC()}, b.Members, b.Installs}
		for _, c := range analytics.Counters {
			row = append(row, b.Counts[c])
		}
		axis, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(axis, row); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}
