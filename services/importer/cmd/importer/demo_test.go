package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/attendify/hub/demo"
	"github.com/attendify/importer/internal/app"
	"github.com/attendify/platform/testkit"
)

// TestDemo runs `importer demo` as `make run` does: hub's demo app is
// seeded, its details written to hub.json, and the demo workbook is
// imported through the importer's API; a second run changes nothing.
func TestDemo(t *testing.T) {
	st := startStack(t)
	st.startImporter(t)
	ctx := testkit.Context(t)
	info, err := demo.Seed(ctx, st.hubClient, demo.Options{Service: st.hubService, BaseURL: st.hubURL})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	b, _ := json.Marshal(info)
	if err := os.WriteFile(filepath.Join(dir, "hub.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := app.LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.DemoDir, cfg.URL = dir, st.importerURL
	for i, want := range []map[string]int{
		{"attendees": 6, "speakers": 3, "sessions": 5}, // created
		{"attendees": 0, "speakers": 0, "sessions": 0}, // the same file again
	} {
		var out bytes.Buffer
		if err := app.Demo(ctx, cfg, &out); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		var sum struct {
			Status string `json:"status"`
			Result map[string]struct {
				Created   int `json:"created"`
				Unchanged int `json:"unchanged"`
			} `json:"result"`
		}
		if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
			t.Fatalf("run %d printed %q: %v", i+1, out.String(), err)
		}
		if sum.Status != "done" {
			t.Fatalf("run %d: %s", i+1, out.String())
		}
		for k, n := range want {
			if sum.Result[k].Created != n {
				t.Errorf("run %d: %s created %d, want %d (%s)", i+1, k, sum.Result[k].Created, n, out.String())
			}
		}
	}
}
