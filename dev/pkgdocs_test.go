package dev_test

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPackageDocs requires a doc comment on every package of every module
// of the workspace, in the form go doc shows first: "Package <name> ..."
// for a library, "Command <name> ..." for a main package. It says what the
// package is for; `go doc` of the platform reads as its manual.
func TestPackageDocs(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "work", "edit", "-json", filepath.Join(root, "go.work")).Output()
	if err != nil {
		t.Fatalf("go work edit -json: %v", err)
	}
	var work struct{ Use []struct{ DiskPath string } }
	if err := json.Unmarshal(out, &work); err != nil {
		t.Fatal(err)
	}
	if len(work.Use) < 2 {
		t.Fatalf("go.work uses %d modules", len(work.Use))
	}
	packages := 0
	for _, u := range work.Use {
		cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}\t{{.Name}}\t{{.Doc}}", "./...")
		cmd.Dir = filepath.Join(root, u.DiskPath)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list in %s: %v", u.DiskPath, err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			path, rest, _ := strings.Cut(line, "\t")
			name, doc, _ := strings.Cut(rest, "\t")
			packages++
			want := "Package " + name + " "
			if name == "main" {
				want = "Command " + filepath.Base(path) + " "
			}
			switch {
			case doc == "":
				t.Errorf("%s has no package doc comment", path)
			case !strings.HasPrefix(doc, want):
				t.Errorf("%s's doc comment does not begin %q: %s", path, want, doc)
			}
		}
	}
	if packages < 50 {
		t.Errorf("only %d packages listed", packages)
	}
}
