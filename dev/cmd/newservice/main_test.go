package main

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A service the generator writes builds, passes vet, generates its method
// reference and passes its tests (on the real Postgres and Redis), inside a
// workspace with the repository's platform.
func TestGeneratedServiceBuildsAndPasses(t *testing.T) {
	platform, err := filepath.Abs("../../../platform")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.Symlink(platform, filepath.Join(root, "platform")); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(root, "services", "probe")
	if err := generate(dst, "probe", 8099); err != nil {
		t.Fatal(err)
	}
	work := "go 1.26.0\n\nuse (\n\t./platform\n\t./services/probe\n)\n"
	if err := os.WriteFile(filepath.Join(root, "go.work"), []byte(work), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"build", "./..."},
		{"vet", "./..."},
		{"test", "-count=1", "-run", "TestMethodsDoc", ".", "-update"},
		{"test", "-count=1", "./..."},
	} {
		cmd := exec.Command("go", args...)
		cmd.Dir = dst
		// The environment as it is (GOFLAGS and CGO_ENABLED included): built
		// as the repository's packages were, platform's compiled packages
		// come from the build cache.
		cmd.Env = append(os.Environ(), "GOWORK="+filepath.Join(root, "go.work"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	for _, f := range []string{"docs/methods.md", "docs/openrpc.json"} {
		if b, err := os.ReadFile(filepath.Join(dst, f)); err != nil || !strings.Contains(string(b), "probe.add") {
			t.Errorf("%s does not document probe.add (%v)", f, err)
		}
	}
}

// A generated service brings no Dockerfile of its own: its image comes from
// the one deploy/Dockerfile, which copies the binary that make binaries
// builds from the service's cmd/<name>.
func TestGeneratedServiceUsesSharedDockerfile(t *testing.T) {
	if _, err := os.Stat("../../../deploy/Dockerfile"); err != nil {
		t.Fatalf("the services' Dockerfile: %v", err)
	}
	dst := filepath.Join(t.TempDir(), "notes")
	if err := generate(dst, "notes", 8099); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dst, "cmd", "notes", "main.go")); err != nil {
		t.Errorf("no command for make binaries to build: %v", err)
	}
	err := filepath.WalkDir(dst, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), "Dockerfile") {
			t.Errorf("generated %s; the image comes from deploy/Dockerfile", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The generator refuses a name that is not a Go package name and a folder
// that exists.
func TestGenerateRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"", "Notes", "my-notes", "1notes", "n"} {
		if err := generate(filepath.Join(dir, "x"+name), name, 8099); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
	if err := generate(dir, "notes", 8099); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("existing folder: err = %v", err)
	}
}
