package cmd

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/attendify/importer"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/rpc"
)

// pollEvery is how often import and wall commands poll for progress.
const pollEvery = 250 * time.Millisecond

// progress shows a bar on a terminal and nothing elsewhere (scripts and
// tests read the summaries).
func (c *CLI) progress(max int64, what string) *progressbar.ProgressBar {
	visible := isTerminal(c.Stderr)
	return progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(c.Stderr),
		progressbar.OptionSetDescription(what),
		progressbar.OptionSetVisibility(visible),
		progressbar.OptionShowCount(),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100*time.Millisecond),
	)
}

func (c *CLI) importCmd() *cobra.Command {
	var app, event, mode, dateOrder string
	var yes bool
	var rows int
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import an attendee, speaker or agenda spreadsheet (.xlsx, .xls, .csv) through the importer",
		Long: "Uploads the file, waits for the analysis, prints the preview (what each kind of row will do, and\n" +
			"the first rejected rows with their reasons), asks for a confirmation (--yes skips it), commits with\n" +
			"a progress bar, and saves the error workbook next to the file (FILE.errors.xlsx) when rows were\n" +
			"rejected. Exit code 6: committed with rejected rows; 7: not committed.",
		Example: "  attendify import services/importer/demo/agenda.xlsx --app app_123 --event ev_456",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needApp(app); err != nil {
				return err
			}
			return c.runImport(cmd.Context(), args[0], importer.UploadParams{App: app, Event: event, Mode: mode, DateOrder: dateOrder,
				FileName: filepath.Base(args[0])}, yes, rows)
		},
	}
	appFlag(cmd, &app)
	cmd.Flags().StringVar(&event, "event", os.Getenv("ATTENDIFY_EVENT"), "the event attendees are registered to and sessions belong to (default $ATTENDIFY_EVENT)")
	cmd.Flags().StringVar(&mode, "mode", "", "create, update or upsert (default upsert)")
	cmd.Flags().StringVar(&dateOrder, "date-order", "", "DMY or MDY for ambiguous dates")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "commit without asking")
	cmd.Flags().IntVar(&rows, "rows", 10, "rejected rows shown in the preview (1-50)")
	return cmd
}

// importResult is what --json prints.
type importResult struct {
	Import  importer.Import       `json:"import"`
	Preview []importer.PreviewRow `json:"preview_rows"`
	Report  string                `json:"report,omitempty"`
}

func (c *CLI) runImport(ctx context.Context, path string, up importer.UploadParams, yes bool, rows int) error {
	f, err := os.Open(path)
	if err != nil {
		return usagef("%v", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	_, p, err := c.current()
	if err != nil {
		return err
	}
	base, err := p.URL("importer")
	if err != nil {
		return withCode(ExitUsage, err)
	}
	tok, err := c.token(ctx, "admin", up.App)
	if err != nil {
		return err
	}
	ic, err := c.client("importer")
	if err != nil {
		return err
	}
	actx := as(ctx, tok)

	bar := c.progress(st.Size(), "upload")
	r := progressbar.NewReader(f, bar)
	imp, err := importer.Upload(ctx, c.hc, base, tok, up, &r)
	_ = bar.Finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stderr, "Uploaded %s (%d bytes): import %s, analyzing.\n", up.FileName, st.Size(), imp.ID)
	ref := importer.ImportParams{AppRef: rpc.AppRef{App: up.App}, Import: imp.ID}
	for imp.Status == importer.StatusAnalyzing {
		if err := sleep(ctx, pollEvery); err != nil {
			return err
		}
		if imp, err = importer.GetImport.Call(actx, ic, ref); err != nil {
			return err
		}
	}
	out := importResult{}
	if imp.Status == importer.StatusFailed {
		out.Import = imp
		out.Report = c.saveReport(ctx, base, tok, imp, path)
		if c.json {
			_ = c.printJSON(out)
		} else {
			msg := imp.Status
			if imp.Error != nil {
				msg = imp.Error.Code + ": " + imp.Error.Message
			}
			fmt.Fprintf(c.Stdout, "The file was not imported: %s\n", msg)
			c.printReport(out.Report)
		}
		return withCode(ExitDeclined, fmt.Errorf("import %s failed", imp.ID))
	}
	pv, err := importer.PreviewImport.Call(actx, ic, importer.PreviewParams{AppRef: rpc.AppRef{App: up.App}, Import: imp.ID, Rows: min(max(rows, 1), 50)})
	if err != nil {
		return err
	}
	out.Preview = pv.Rows
	if !c.json {
		c.printPreview(pv, rows)
	}
	if !yes {
		if c.json {
			return usagef("--json without --yes: nothing to confirm with; add --yes to commit")
		}
		answer, err := c.readLine("Commit these rows? [y/N] ", false)
		if err != nil || !strings.EqualFold(strings.TrimSpace(answer), "y") && !strings.EqualFold(strings.TrimSpace(answer), "yes") {
			fmt.Fprintln(c.Stdout, "Not committed.")
			return withCode(ExitDeclined, fmt.Errorf("import %s not committed", imp.ID))
		}
	}
	if imp, err = importer.CommitImport.Call(actx, ic, ref); err != nil {
		return err
	}
	cbar := c.progress(int64(max(imp.Progress.RowsTotal, 1)), "commit")
	for imp.Status == importer.StatusCommitting || imp.Status == importer.StatusReady {
		_ = cbar.Set(imp.Progress.RowsDone)
		if err := sleep(ctx, pollEvery); err != nil {
			return err
		}
		if imp, err = importer.GetImport.Call(actx, ic, ref); err != nil {
			return err
		}
	}
	_ = cbar.Finish()
	out.Import = imp
	rejected := 0
	for _, k := range imp.Result {
		rejected += k.Rejected
	}
	for _, k := range imp.Counts {
		rejected += k.Reject
	}
	if rejected > 0 || imp.Status != importer.StatusDone {
		out.Report = c.saveReport(ctx, base, tok, imp, path)
	}
	if c.json {
		if err := c.printJSON(out); err != nil {
			return err
		}
	} else {
		c.printResult(imp)
		c.printReport(out.Report)
	}
	switch {
	case imp.Status != importer.StatusDone:
		return withCode(ExitFailure, fmt.Errorf("import %s ended %s", imp.ID, imp.Status))
	case rejected > 0:
		return withCode(ExitRejected, fmt.Errorf("%d rows rejected (see the error workbook)", rejected))
	}
	return nil
}

func (c *CLI) printReport(path string) {
	if path != "" {
		fmt.Fprintf(c.Stdout, "Error workbook: %s\n", path)
	}
}

func kinds[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// printPreview prints the counts per kind, the problems of the file and
// the first rejected rows with their reasons.
func (c *CLI) printPreview(pv importer.Preview, rows int) {
	imp := pv.Import
	fmt.Fprintf(c.Stdout, "Preview of %s (%s, %d rows):\n\n", imp.FileName, imp.Format, imp.RowsInFile)
	var t [][]string
	for _, k := range kinds(imp.Counts) {
		n := imp.Counts[k]
		t = append(t, []string{k, itoa(n.Create), itoa(n.Update), itoa(n.Skip), itoa(n.Reject)})
	}
	c.table([]string{"KIND", "CREATE", "UPDATE", "SKIP", "REJECT"}, t)
	var rejected [][]string
	for _, r := range pv.Rows {
		if r.Action != "reject" || len(rejected) >= rows {
			continue
		}
		var why []string
		if r.Reason != "" {
			why = append(why, r.Reason)
		}
		for _, p := range r.Problems {
			if !p.Warning {
				why = append(why, strings.TrimSpace(p.Column+" "+p.Message))
			}
		}
		rejected = append(rejected, []string{r.Sheet, itoa(r.Row), r.Kind, strings.Join(why, "; ")})
	}
	if len(rejected) > 0 {
		fmt.Fprintln(c.Stdout, "\nFirst rejected rows:")
		c.table([]string{"SHEET", "ROW", "KIND", "REASON"}, rejected)
	}
	fmt.Fprintln(c.Stdout)
}

func (c *CLI) printResult(imp importer.Import) {
	fmt.Fprintf(c.Stdout, "Import %s:\n\n", imp.Status)
	var t [][]string
	for _, k := range kinds(imp.Result) {
		n := imp.Result[k]
		t = append(t, []string{k, itoa(n.Created), itoa(n.Updated), itoa(n.Unchanged), itoa(n.Skipped), itoa(n.Rejected)})
	}
	c.table([]string{"KIND", "CREATED", "UPDATED", "UNCHANGED", "SKIPPED", "REJECTED"}, t)
}

// saveReport downloads the import's error workbook next to the imported
// file (FILE.errors.xlsx) and returns its path ("" when it could not: a
// note says why).
func (c *CLI) saveReport(ctx context.Context, base, tok string, imp importer.Import, file string) string {
	u := strings.TrimRight(base, "/") + "/imports/" + url.PathEscape(imp.ID) + "/report.xlsx?app_id=" + url.QueryEscape(imp.AppID)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return ""
	}
	auth.SetBearerToken(req, tok)
	resp, err := c.hc.Do(req)
	if err != nil {
		fmt.Fprintf(c.Stderr, "note: the error workbook could not be downloaded: %v\n", err)
		return ""
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(c.Stderr, "note: the error workbook could not be downloaded: HTTP %d\n", resp.StatusCode)
		return ""
	}
	path := strings.TrimSuffix(file, filepath.Ext(file)) + ".errors.xlsx"
	out, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(c.Stderr, "note: the error workbook could not be saved: %v\n", err)
		return ""
	}
	if _, err := io.Copy(out, resp.Body); err != nil {
		out.Close()
		fmt.Fprintf(c.Stderr, "note: the error workbook could not be saved: %v\n", err)
		return ""
	}
	if err := out.Close(); err != nil {
		return ""
	}
	return path
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return errs.Wrap(errs.Canceled, ctx.Err(), "interrupted")
	}
}
