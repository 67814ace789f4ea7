package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/attendify/importer"
	"github.com/attendify/importer/demo"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/rpc"
)

// hubDemo is what `hub demo` wrote to hub.json (hub's demo.Info).
type hubDemo struct {
	AppID    string   `json:"app_id"`
	EventIDs []string `json:"event_ids"`
	Token    string   `json:"app_token"`
}

func readHubDemo(path string) (hubDemo, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return hubDemo{}, fmt.Errorf("read hub's demo output (run hub demo first): %w", err)
	}
	var d hubDemo
	if err := json.Unmarshal(b, &d); err != nil {
		return hubDemo{}, fmt.Errorf("%s: %w", path, err)
	}
	if d.AppID == "" || d.Token == "" {
		return d, fmt.Errorf("%s has no app_id or app_token", path)
	}
	return d, nil
}

// Demo imports the demo workbook (attendees, speakers, the agenda of the
// first demo event) into the demo app through the importer's own upload
// and commit API, as an organizer would, and prints a JSON summary.
// Running it again re-imports the same file: everything is unchanged.
func Demo(ctx context.Context, cfg Config, out io.Writer) error {
	d, err := readHubDemo(filepath.Join(cfg.DemoDir, "hub.json"))
	if err != nil {
		return err
	}
	event := ""
	if len(d.EventIDs) > 0 {
		event = d.EventIDs[0]
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	res, err := RunImport(ctx, cfg.URL, d.Token, importer.UploadParams{App: d.AppID, Event: event, FileName: "agenda.xlsx"}, bytes.NewReader(demo.Workbook))
	if err != nil {
		return err
	}
	summary := map[string]any{
		"import_id": res.ID, "app_id": res.AppID, "event_id": res.EventID, "status": res.Status, "counts": res.Counts, "result": res.Result,
		"problems":   len(res.Problems),
		"report_url": cfg.URL + "/imports/" + res.ID + "/report.xlsx?app_id=" + res.AppID,
		"template":   cfg.URL + "/imports/template.xlsx",
	}
	return json.NewEncoder(out).Encode(summary)
}

// RunImport uploads a file, waits for its analysis, commits it and waits
// for the commit, as an organizer's app would.
func RunImport(ctx context.Context, baseURL, token string, p importer.UploadParams, file io.Reader) (importer.Import, error) {
	imp, err := importer.Upload(ctx, nil, baseURL, token, p, file)
	if err != nil {
		return imp, err
	}
	c, err := rpc.NewClient(rpc.ClientOptions{Endpoints: []string{baseURL}})
	if err != nil {
		return imp, err
	}
	ctx = auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, Token: token})
	ip := importer.ImportParams{AppRef: rpc.AppRef{App: p.App}, Import: imp.ID}
	if imp, err = Wait(ctx, c, ip, importer.StatusAnalyzing); err != nil {
		return imp, err
	}
	if imp.Status != importer.StatusReady {
		return imp, fmt.Errorf("import %s is %s: %+v", imp.ID, imp.Status, imp.Error)
	}
	if _, err := importer.CommitImport.Call(ctx, c, ip); err != nil {
		return imp, err
	}
	return Wait(ctx, c, ip, importer.StatusCommitting)
}

// Wait polls an import until its status is no longer one of while.
func Wait(ctx context.Context, c *rpc.Client, ip importer.ImportParams, while ...string) (importer.Import, error) {
	for {
		imp, err := importer.GetImport.Call(ctx, c, ip)
		if err != nil {
			return imp, err
		}
		busy := false
		for _, s := range while {
			busy = busy || imp.Status == s
		}
		if !busy {
			return imp, nil
		}
		select {
		case <-ctx.Done():
			return imp, fmt.Errorf("import %s still %s: %w", imp.ID, imp.Status, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
