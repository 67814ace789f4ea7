package dashboard_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestBundleMatchesLockfile rebuilds the dashboard's script from the
// pinned packages (npm ci from package-lock.json, then npm run build, in a
// copy of web/) and checks that the committed static files are what the
// build makes: nobody edits the bundle by hand or forgets to rebuild it.
// It needs npm and the npm registry (or npm's cache); about 4 s.
func TestBundleMatchesLockfile(t *testing.T) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Fatal("npm is not installed (Node.js 20 is a prerequisite, see the README)")
	}
	tmp := t.TempDir()
	web := filepath.Join(tmp, "web")
	for _, dir := range []string{filepath.Join(web, "src"), filepath.Join(tmp, "static")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"package.json", "package-lock.json", "src/dashboard.js"} {
		b, err := os.ReadFile(filepath.Join("web", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(web, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"ci", "--ignore-scripts", "--no-audit", "--no-fund"}, {"run", "build"}} {
		cmd := exec.Command(npm, args...)
		cmd.Dir = web
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm %v: %v\n%s", args, err, out)
		}
	}
	for _, f := range []string{"dashboard.js", "uPlot.min.css"} {
		built, err := os.ReadFile(filepath.Join(tmp, "static", f))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(filepath.Join("static", f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(built, committed) {
			t.Errorf("static/%s differs from the build of web/ (%d bytes built, %d committed): run `npm ci && npm run build` in internal/dashboard/web and commit", f, len(built), len(committed))
		}
	}
}
