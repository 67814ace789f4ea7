// Command importbench is the importer's benchmark (bench/importer/run.sh
// drives it):
//
//	importbench gen   -rows N -dir D            attendees.csv and .xlsx, 8 columns
//	importbench parse -file F                   the importer's reader + mapping + validation
//	                                            side by side with a bare excelize Rows() loop
//	                                            (or encoding/csv for .csv) over the same file
//	importbench e2e   -file F -hub URL -importer URL -pid PID
//	                                            upload, analyze (rows staged in Postgres),
//	                                            commit through hub; prints rows/s and the
//	                                            importer's peak RSS (VmHWM)
package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/attendify/hub"
	"github.com/attendify/importer"
	"github.com/attendify/importer/internal/app"
	"github.com/attendify/importer/internal/mapping"
	"github.com/attendify/importer/internal/sheet"
	"github.com/attendify/importer/internal/validate"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/benchkit"
	"github.com/attendify/platform/rpc"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: importbench gen|parse|e2e ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "parse":
		err = parse(os.Args[2:])
	case "e2e":
		err = e2e(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %s", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "importbench:", err)
		os.Exit(1)
	}
}

var header = []string{"Email", "First name", "Last name", "Company", "Job title", "Phone", "Role", "External ID"}

func row(i int) []string {
	return []string{fmt.Sprintf("attendee%07d@example.com", i), fmt.Sprintf("First%d", i), fmt.Sprintf("Last%d", i%50000),
		fmt.Sprintf("Company %d", i%5000), []string{"Engineer", "Manager", "Director", "Designer"}[i%4],
		fmt.Sprintf("+33 6 %02d %02d %02d %02d", i%100, i/100%100, i/10000%100, i/1000000%100), "attendee", fmt.Sprintf("A-%07d", i)}
}

func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	n := fs.Int("rows", 1_000_000, "rows")
	dir := fs.String("dir", ".", "output directory")
	_ = fs.Parse(args)
	cf, err := os.Create(filepath.Join(*dir, "attendees.csv"))
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(cf, 1<<20)
	cw := csv.NewWriter(bw)
	_ = cw.Write(header)
	for i := range *n {
		_ = cw.Write(row(i))
	}
	cw.Flush()
	if err := bw.Flush(); err != nil {
		return err
	}
	cf.Close()

	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = h
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return err
	}
	for i := range *n {
		for j, v := range row(i) {
			cells[j] = v
		}
		name, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(name, cells); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	if err := f.SetSheetName("Sheet1", "Attendees"); err != nil {
		return err
	}
	return f.SaveAs(filepath.Join(*dir, "attendees.xlsx"))
}

type result struct {
	Name     string  `json:"name"`
	Rows     int     `json:"rows"`
	Cells    int     `json:"cells"`
	Seconds  float64 `json:"seconds"`
	RowsPerS float64 `json:"rows_per_s"`
	CellsPer float64 `json:"cells_per_s"`
	PeakRSS  int64   `json:"peak_rss_kb,omitempty"`
}

func report(r result) {
	r.RowsPerS = float64(r.Rows) / r.Seconds
	r.CellsPer = float64(r.Cells) / r.Seconds
	b, _ := json.Marshal(r)
	fmt.Println(string(b))
}

// parse times the importer's own path (detect, open, map, validate each
// row; nothing written) and the bare library loop over the same file.
func parse(args []string) error {
	fs := flag.NewFlagSet("parse", flag.ExitOnError)
	file := fs.String("file", "", "file")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the importer's path to this file")
	_ = fs.Parse(args)

	// Bare loop.
	start := time.Now()
	rows, cells := 0, 0
	if strings.HasSuffix(*file, ".csv") {
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		r := csv.NewReader(bufio.NewReaderSize(f, 256<<10))
		r.ReuseRecord = true
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			rows++
			cells += len(rec)
		}
		f.Close()
		report(result{Name: "bare encoding/csv loop", Rows: rows, Cells: cells, Seconds: time.Since(start).Seconds()})
	} else {
		x, err := excelize.OpenFile(*file, excelize.Options{RawCellValue: true})
		if err != nil {
			return err
		}
		it, err := x.Rows(x.GetSheetList()[0])
		if err != nil {
			return err
		}
		for it.Next() {
			c, err := it.Columns()
			if err != nil {
				return err
			}
			rows++
			cells += len(c)
		}
		it.Close()
		x.Close()
		report(result{Name: "bare excelize Rows() loop (raw values)", Rows: rows, Cells: cells, Seconds: time.Since(start).Seconds()})
	}

	// The importer's path.
	if *profile != "" {
		stop, err := benchkit.StartCPUProfile(*profile)
		if err != nil {
			return err
		}
		defer stop()
	}
	start = time.Now()
	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	defer f.Close()
	st, _ := f.Stat()
	book, err := sheet.Open(f, st.Size(), sheet.DefaultLimits())
	if err != nil {
		return err
	}
	defer book.Close()
	name := book.Sheets()[0]
	it, err := book.Rows(name)
	if err != nil {
		return err
	}
	v, _ := validate.New(validate.Options{Dates: validate.Dates{Order: validate.DMY}})
	rows, cells = 0, 0
	var m mapping.Sheet
	rejected := 0
	for it.Next() {
		r := it.Row()
		rows++
		cells += len(r.Cells)
		if rows == 1 {
			m = mapping.Detect(name, mapping.Attendees, [][]string{r.Cells}, []int{r.Num})
			continue
		}
		if vr := v.Row(&m, r); vr.Rejected() {
			rejected++
		}
	}
	if err := it.Err(); err != nil {
		return err
	}
	if rejected > 0 {
		return fmt.Errorf("%d rows rejected", rejected)
	}
	report(result{Name: "importer: detect + read + map + validate (" + string(book.Format()) + ")", Rows: rows, Cells: cells, Seconds: time.Since(start).Seconds()})
	return nil
}

func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:")), "%d", &kb)
			return kb
		}
	}
	return 0
}

// e2e signs up an organizer with an app in hub, uploads the file to the
// importer, waits for the analysis (the rows validated and staged in
// Postgres), commits, waits for the commit (every row through hub's bulk
// upsert into hub's tables), and prints both rates and the importer's
// peak RSS.
func e2e(args []string) error {
	fs := flag.NewFlagSet("e2e", flag.ExitOnError)
	file := fs.String("file", "", "file")
	hubURL := fs.String("hub", "http://127.0.0.1:18181", "hub")
	impURL := fs.String("importer", "http://127.0.0.1:18182", "importer")
	pid := fs.Int("pid", 0, "the importer's pid, for VmHWM")
	commit := fs.Bool("commit", true, "commit through hub too")
	window := fs.Duration("commit-for", 90*time.Second, "measure the commit for this long, then cancel it (0: to the end)")
	_ = fs.Parse(args)
	ctx := context.Background()
	hc, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{*hubURL}})
	if err != nil {
		return err
	}
	// Signed as a service to read the sign-up token back (hub runs with HUB_DEV_MODE).
	cfg, err := app.LoadConfig()
	if err != nil {
		return err
	}
	authCfg := cfg.Service.Auth
	authCfg.ServiceName = "importbench"
	signer, err := authCfg.Signer()
	if err != nil {
		return err
	}
	hs, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{*hubURL}, Signer: &signer})
	if err != nil {
		return err
	}
	email := fmt.Sprintf("bench%d@example.com", time.Now().UnixNano())
	acct, err := hub.DevSignUp(ctx, hc, hs, email, "benchmark-password", "Bench")
	if err != nil {
		return err
	}
	actx := auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, Token: acct.Token})
	a, err := hub.CreateApp.Call(actx, hc, hub.CreateAppParams{Name: "Bench", Slug: fmt.Sprintf("bench-%d", time.Now().UnixNano()%1e9)})
	if err != nil {
		return err
	}
	tok, err := hub.AppTokenFor.Call(actx, hc, hub.AppParams{AppRef: rpc.AppRef{App: a.ID}})
	if err != nil {
		return err
	}
	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	defer f.Close()
	start := time.Now()
	imp, err := importer.Upload(ctx, nil, *impURL, tok.Token, importer.UploadParams{App: a.ID, FileName: filepath.Base(*file), Kind: "attendees"}, f)
	if err != nil {
		return err
	}
	ic, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{*impURL}})
	if err != nil {
		return err
	}
	uctx := auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, Token: tok.Token})
	ip := importer.ImportParams{AppRef: rpc.AppRef{App: a.ID}, Import: imp.ID}
	imp, err = app.Wait(uctx, ic, ip, importer.StatusAnalyzing)
	if err != nil {
		return err
	}
	if imp.Status != importer.StatusReady {
		return fmt.Errorf("analysis: %s %+v", imp.Status, imp.Error)
	}
	staged := imp.Counts["attendees"].Create
	report(result{Name: "importer: upload + analyze, rows validated and staged in Postgres", Rows: imp.RowsInFile, Cells: imp.RowsInFile * 8,
		Seconds: time.Since(start).Seconds(), PeakRSS: vmHWM(*pid)})
	if !*commit {
		return nil
	}
	start = time.Now()
	if _, err := importer.CommitImport.Call(uctx, ic, ip); err != nil {
		return err
	}
	wctx := uctx
	if *window > 0 {
		var cancel context.CancelFunc
		wctx, cancel = context.WithTimeout(uctx, *window)
		defer cancel()
	}
	imp, err = app.Wait(wctx, ic, ip, importer.StatusCommitting)
	if err != nil && wctx.Err() == nil {
		return err
	}
	if imp, err = importer.GetImport.Call(uctx, ic, ip); err != nil {
		return err
	}
	elapsed := time.Since(start).Seconds()
	name := fmt.Sprintf("importer: commit through hub's bulk upsert (%d of %d rows in the window, then canceled)", imp.Progress.RowsDone, staged)
	if imp.Status == importer.StatusDone {
		name = fmt.Sprintf("importer: commit through hub's bulk upsert (%d created)", imp.Result["attendees"].Created)
	} else if _, err := importer.CancelImport.Call(uctx, ic, ip); err != nil {
		return err
	}
	report(result{Name: name, Rows: imp.Progress.RowsDone, Cells: imp.Progress.RowsDone * 8, Seconds: elapsed, PeakRSS: vmHWM(*pid)})
	return nil
}
