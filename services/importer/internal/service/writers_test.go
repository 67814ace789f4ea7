package service_test

import (
	"os"
	"strings"
	"testing"

	"github.com/attendify/hub"
	"github.com/attendify/importer/internal/mapping"
	"github.com/attendify/importer/internal/service"
)

// A hidden sheet (SheetJS writes "Old list", last year's attendees, hidden
// before the data sheet) is not imported, with a warning, unless an
// override gives it a kind; a zip code a "00000" format shows as 07501 is
// sent as 07501.
func TestHiddenSheetAndPaddedZip(t *testing.T) {
	file, err := os.ReadFile("../../testdata/writers/writers-sheetjs.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	analyze := func(opts service.Options) *service.Import {
		w := newWorld(t, service.Config{})
		imp, err := w.svc.Upload(w.ctx, service.UploadInput{AppID: app, EventID: "ev1", CreatedBy: "org1", Role: hub.RoleOwner,
			FileName: "writers.xlsx", Options: opts}, strings.NewReader(string(file)))
		if err != nil {
			t.Fatal(err)
		}
		w.run()
		imp = w.get(imp.ID)
		if imp.Status != service.Ready {
			t.Fatalf("%s: %s", imp.Status, imp.ErrorMessage)
		}
		pv, err := w.svc.Preview(w.ctx, ref(imp.ID), 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range pv.First {
			if r.Sheet == "Attendees" && r.Num == 4 && !strings.Contains(string(r.Input), `"Postcode":"07501"`) {
				t.Errorf("row 4 sends %s", r.Input)
			}
			if r.Sheet == "Old list" && opts.Overrides == nil {
				t.Errorf("the hidden sheet's row %d is staged: %s", r.Num, r.Input)
			}
		}
		return imp
	}
	imp := analyze(service.Options{KeepUnknown: true})
	warned := false
	for _, p := range imp.Problems {
		warned = warned || p.Sheet == "Old list" && p.Warning && strings.Contains(p.Message, "hidden")
	}
	if !warned || imp.Counts[mapping.Attendees][service.ActCreate] != 4 {
		t.Errorf("problems %v, counts %v", imp.Problems, imp.Counts)
	}
	imp = analyze(service.Options{KeepUnknown: true, Overrides: []mapping.Override{{Sheet: "Old list", Kind: "attendees"}}})
	if imp.Counts[mapping.Attendees][service.ActCreate] != 5 {
		t.Errorf("with the override: counts %v", imp.Counts)
	}
}
