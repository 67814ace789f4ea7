package testkit

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Chromium returns the path of Debian's headless-capable chromium
// (`make services` installs it), or CHROMIUM_PATH when set. It fails the
// test when there is none: browser tests never skip.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		return p
	}
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Fatal("chromium is not installed: run `make test-services` (it installs Debian's chromium package), or set CHROMIUM_PATH")
	return ""
}

// ChromiumFlags are the command-line switches (name to value: true for a
// bare switch) a headless Chromium needs on these machines: no sandbox (root
// in a container), no GPU, and none of the background traffic that would
// try to reach the internet. Add a fresh --user-data-dir per test. With
// chromedp: for k, v := range ChromiumFlags { opts = append(opts,
// chromedp.Flag(k, v)) }.
var ChromiumFlags = map[string]any{
	"headless":                      true,
	"no-sandbox":                    true,
	"disable-gpu":                   true,
	"disable-quic":                  true,
	"no-first-run":                  true,
	"no-default-browser-check":      true,
	"disable-background-networking": true,
	"disable-component-update":      true,
	"disable-sync":                  true,
	"disable-dev-shm-usage":         true,
}

// Artifacts returns the directory where a test keeps what a person may want
// to look at afterwards (screenshots): TEST_ARTIFACTS_DIR, or
// testdata/artifacts of the test's package.
func Artifacts(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("TEST_ARTIFACTS_DIR")
	if dir == "" {
		dir = filepath.Join("testdata", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
