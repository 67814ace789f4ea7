package web

import (
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/attendify/sponsored/internal/service"
)

// chart is the daily series as an SVG bar chart: impressions served per
// day as bars, the pacing's plan as a line, both on one scale.
type chart struct {
	Width, Height int
	Bars          []bar
	Plan          string // the polyline's points
	Max           int64
	Ticks         []tick
}

type bar struct {
	X, Y, W, H int
	Day        string
	Label      string
	Value      int64
}

type tick struct {
	Y     int
	Label string
}

const (
	chartW, chartH = 760, 240
	padL, padB     = 48, 28
)

func newChart(days []service.ReportDay) chart {
	c := chart{Width: chartW, Height: chartH}
	for _, d := range days {
		c.Max = max(c.Max, d.Impressions, d.Planned)
	}
	if c.Max == 0 {
		c.Max = 1
	}
	n := max(len(days), 1)
	slot := (chartW - padL) / n
	plotH := chartH - padB - 10
	y := func(v int64) int { return chartH - padB - int(float64(v)/float64(c.Max)*float64(plotH)) }
	for i, d := range days {
		x := padL + i*slot
		top := y(d.Impressions)
		label := d.Day
		if t, err := time.Parse(time.DateOnly, d.Day); err == nil {
			label = t.Format("Jan 2")
		}
		c.Bars = append(c.Bars, bar{X: x + slot/6, Y: top, W: slot * 2 / 3, H: chartH - padB - top, Day: d.Day, Label: label, Value: d.Impressions})
		c.Plan += fmt.Sprintf("%d,%d ", x+slot/2, y(d.Planned))
	}
	for _, f := range []int64{0, c.Max / 2, c.Max} {
		c.Ticks = append(c.Ticks, tick{Y: y(f), Label: fmt.Sprint(f)})
	}
	return c
}

var pageTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct": func(f float64) string { return fmt.Sprintf("%.2f%%", f*100) },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.R.Campaign.Sponsor.Name}} — {{.R.Campaign.Name}}</title>
<style>
body{font:15px/1.4 system-ui,sans-serif;margin:0;background:#f5f6fa;color:#1d2433}
main{max-width:820px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px} .sub{color:#5b6478;margin:0 0 20px}
.kpis{display:grid;grid-template-columns:repeat(6,1fr);gap:8px;margin-bottom:20px}
.kpi{background:#fff;border-radius:8px;padding:10px;box-shadow:0 1px 2px #0001}
.kpi b{display:block;font-size:20px} .kpi span{color:#5b6478;font-size:12px}
figure{background:#fff;border-radius:8px;margin:0 0 20px;padding:12px;box-shadow:0 1px 2px #0001}
figcaption{color:#5b6478;font-size:12px}
table{width:100%;border-collapse:collapse;background:#fff;border-radius:8px;overflow:hidden}
th,td{padding:6px 10px;text-align:right;border-bottom:1px solid #eef0f5} th:first-child,td:first-child{text-align:left}
tfoot td{font-weight:700} .dl a{margin-right:12px}
.bar{fill:#3b6cf6} .plan{fill:none;stroke:#f59e0b;stroke-width:3} .axis{stroke:#c9cedb} .tick{fill:#5b6478;font-size:11px}
</style></head>
<body><main>
<h1 id="campaign">{{.R.Campaign.Name}}</h1>
<p class="sub">Sponsored by <b id="sponsor">{{.R.Campaign.Sponsor.Name}}</b> · {{.R.Campaign.Flight.Start}} – {{.R.Campaign.Flight.End}} ({{.R.Campaign.Flight.TimeZone}}) · state <span id="state">{{.R.Campaign.State}}</span></p>
<section class="kpis">
<div class="kpi"><b id="impressions">{{.R.Total.Impressions}}</b><span>impressions of {{.R.Campaign.Budget}}</span></div>
<div class="kpi"><b id="reach">{{.R.Total.Reach}}</b><span>people reached</span></div>
<div class="kpi"><b id="clicks">{{.R.Total.Clicks}}</b><span>clicks</span></div>
<div class="kpi"><b id="ctr">{{pct .R.Total.CTR}}</b><span>CTR</span></div>
<div class="kpi"><b id="leads">{{.R.Total.Leads}}</b><span>leads</span></div>
<div class="kpi"><b id="planned">{{.R.PlannedToDate}}</b><span>planned to date</span></div>
</section>
<figure>
<svg id="chart" role="img" aria-label="Impressions per day and the plan" viewBox="0 0 {{.C.Width}} {{.C.Height}}" width="100%">
{{range .C.Ticks}}<line class="axis" x1="44" x2="{{$.C.Width}}" y1="{{.Y}}" y2="{{.Y}}"/><text class="tick" x="40" y="{{.Y}}" text-anchor="end" dy="4">{{.Label}}</text>{{end}}
{{range .C.Bars}}<rect class="bar" data-day="{{.Day}}" data-value="{{.Value}}" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"><title>{{.Day}}: {{.Value}}</title></rect><text class="tick" x="{{.X}}" y="{{$.C.Height}}" dy="-10">{{.Label}}</text>{{end}}
<polyline class="plan" points="{{.C.Plan}}"/>
</svg>
<figcaption>Blue: impressions served per day. Orange: planned by the pacing.</figcaption>
</figure>
<table id="days"><thead><tr><th>Day</th><th>Impressions</th><th>Reach</th><th>Clicks</th><th>CTR</th><th>Leads</th><th>Planned</th></tr></thead>
<tbody>{{range .R.Days}}<tr><td>{{.Day}}</td><td>{{.Impressions}}</td><td>{{.Reach}}</td><td>{{.Clicks}}</td><td>{{pct .CTR}}</td><td>{{.Leads}}</td><td>{{.Planned}}</td></tr>{{end}}</tbody>
<tfoot><tr><td>Total</td><td>{{.R.Total.Impressions}}</td><td>{{.R.Total.Reach}}</td><td>{{.R.Total.Clicks}}</td><td>{{pct .R.Total.CTR}}</td><td>{{.R.Total.Leads}}</td><td>{{.R.Total.Planned}}</td></tr></tfoot>
</table>
<p class="dl">Download: <a href="?format=csv">CSV</a><a href="?format=xlsx">Excel</a></p>
<p class="sub">Organizers' and staff's own views and clicks are not counted. Figures as of {{.At}}.</p>
</main></body></html>
`))

// WritePage renders the sponsor's report page.
func WritePage(w io.Writer, r service.Report, at time.Time) error {
	return pageTmpl.Execute(w, struct {
		R  service.Report
		C  chart
		At string
	}{r, newChart(r.Days), at.UTC().Format("2006-01-02 15:04 UTC")})
}
