// Package browser drives Debian's headless Chromium for tests of pages
// (chromedp), apart from testkit so that only the tests that open a browser
// need chromedp.
package browser

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/attendify/platform/testkit"
)

// Chromium starts a headless Chromium for t, with a viewport of width ×
// height, and returns a chromedp context on its first tab; the browser
// stops when the test ends. It runs Debian's chromium (`make test`
// installs it; CHROMIUM_PATH names another binary) with the flags that
// keep it off the network, and fails the test when there is none: it never
// skips.
func Chromium(t testing.TB, width, height int) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(testkit.Chromium(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	}
	for k, v := range testkit.ChromiumFlags {
		opts = append(opts, chromedp.Flag(k, v))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("browser: start chromium: %v", err)
	}
	return ctx
}

// Screenshot captures the viewport of ctx's tab as PNG, keeps it as name
// under testkit.Artifacts (TEST_ARTIFACTS_DIR, default testdata/artifacts of
// the test's package) for people to look at, and returns it for the test to
// check.
func Screenshot(t testing.TB, ctx context.Context, name string) []byte {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("browser: screenshot %s: %v", name, err)
	}
	path := filepath.Join(testkit.Artifacts(t), name)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return buf
}
