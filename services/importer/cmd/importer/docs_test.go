package main

import (
	"flag"
	"testing"

	"github.com/attendify/importer"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/rpc/rpcdoc"
	"github.com/attendify/platform/testkit"
)

var update = flag.Bool("update", false, "rewrite ../../docs/methods.md")

// TestMethodsDoc keeps services/importer/docs/methods.md equal to what
// rpc.discover says and to what a running importer answers: it calls every
// method once, as an organizer's browser would, and renders the calls as
// the examples. Run `go test -run TestMethodsDoc -update` in
// services/importer/cmd/importer after changing a method.
func TestMethodsDoc(t *testing.T) {
	st := startStack(t)
	st.startImporter(t, "IMPORTER_WORKERS=1")
	ctx := st.as(testkit.Context(t))
	rec := rpcdoc.NewRecorder()
	c := rec.Client(t, st.importerURL, nil)
	call := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	path := writeFile(t, "people.csv", "Email;Name;Boîte;Shirt", "ada@example.com;Ada Lovelace;Analytical Engines;L")
	imp := st.analyze(t, path, importer.UploadParams{})
	sheet := imp.Mapping[0].Name
	call(importer.ConfigureImport.Call(ctx, c, importer.ConfigureParams{AppRef: rpc.AppRef{App: st.app}, Import: imp.ID, Options: importer.Options{
		Overrides: []importer.Override{{Sheet: sheet, Columns: map[string]string{"C": "company", "shirt": "custom:T-shirt"}}}}}))
	st.wait(t, imp.ID, importer.StatusAnalyzing)
	call(importer.PreviewImport.Call(ctx, c, importer.PreviewParams{AppRef: rpc.AppRef{App: st.app}, Import: imp.ID, Rows: 5}))
	call(importer.CommitImport.Call(ctx, c, importer.ImportParams{AppRef: rpc.AppRef{App: st.app}, Import: imp.ID}))
	st.wait(t, imp.ID, importer.StatusCommitting)
	call(importer.GetImport.Call(ctx, c, importer.ImportParams{AppRef: rpc.AppRef{App: st.app}, Import: imp.ID}))

	other := st.analyze(t, writeFile(t, "more.csv", "Email;Name", "grace@example.com;Grace Hopper"), importer.UploadParams{})
	call(importer.CancelImport.Call(ctx, c, importer.ImportParams{AppRef: rpc.AppRef{App: st.app}, Import: other.ID}))
	call(importer.ListImports.Call(ctx, c, importer.ListParams{AppRef: rpc.AppRef{App: st.app}, Limit: 10}))

	rpcdoc.Generate(t, rpcdoc.Doc{
		Service:    "importer",
		Discovery:  rpcdoc.Discover(t, st.importerURL),
		Recorder:   rec,
		Regenerate: "go test -run TestMethodsDoc -update (in services/importer/cmd/importer)",
	}, "../../docs/methods.md", *update)
}
