package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/attendify/platform/testkit"
)

// TestTypeScriptSDK builds the TypeScript SDK (sdk/typescript) with its
// pinned TypeScript, type checks its tests and examples as a consumer's
// code (tsc --noEmit), then runs its tests (node --test) and its examples
// against a stack started as `make run` starts it: sign in, a post with a
// photo, a like, the feed, a CSV import followed to the end, the wall over
// SSE. Node.js and npm must be installed (make services installs them);
// the npm registry (or npm's cache) must be reachable the first time.
func TestTypeScriptSDK(t *testing.T) {
	testkit.Redis(t) // the services need the stores: fail clearly when they are missing
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	sdk := filepath.Join(root, "sdk", "typescript")
	installSDK(t, sdk)
	tsc := filepath.Join("node_modules", "typescript", "bin", "tsc")
	runIn(t, sdk, nil, "node", tsc, "-p", "tsconfig.json")
	runIn(t, sdk, nil, "node", tsc, "-p", "tsconfig.check.json")

	_, _, jsonPath := sharedStack(t)
	env := []string{"ATTENDIFY_STACK=" + jsonPath}
	runIn(t, sdk, env, "node", "--test", "--test-reporter=spec", "test/")
	for _, ex := range [][]string{
		{"examples/sign-in.mjs"},
		{"examples/post-photo.mjs"},
		{"examples/import-csv.mjs"},
		{"examples/wall-tail.mjs", "--once"},
	} {
		runIn(t, sdk, env, "node", append(ex[:1:1], append([]string{jsonPath}, ex[1:]...)...)...)
	}
}

// installSDK runs `npm ci --ignore-scripts` in dir unless node_modules was
// installed from the same package-lock.json already.
func installSDK(t *testing.T, dir string) {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (make services installs Node.js): %v", tool, err)
		}
	}
	lock, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(lock)
	want := hex.EncodeToString(sum[:])
	marker := filepath.Join(dir, "node_modules", ".attendify-lock")
	if got, _ := os.ReadFile(marker); string(got) == want {
		return
	}
	runIn(t, dir, nil, "npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error")
	if err := os.WriteFile(marker, []byte(want), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runIn runs a command in dir with env added, failing the test (with its
// output) when it fails; its output is logged either way.
func runIn(t *testing.T, dir string, env []string, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	t.Logf("%s %v:\n%s", name, args, out)
}
