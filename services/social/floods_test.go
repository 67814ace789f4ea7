package social_test

import (
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/attendify/platform/auth"
	"github.com/attendify/social/internal/socialtest"
	"github.com/attendify/social/internal/testimage"
)

// TestDecodeBombFlood: 22 uploads at once of a 5 KB PNG of 6320×6320
// pixels (40 MB once decoded, and more to scale) are refused as invalid,
// for their pixel count, from the header: the process allocates a few
// megabytes for all of them, not a decode each. A normal photo uploads.
func TestDecodeBombFlood(t *testing.T) {
	env := socialtest.Start(t, socialtest.Options{})
	app := env.CreateApp()
	ada := env.AddMember(app, "Ada", auth.RoleAttendee)
	bomb := testimage.PNGBomb(6320, 6320)

	const uploads = 22
	total := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.TotalAlloc
	}
	before := total()
	answers := make([]string, uploads)
	statuses := make([]int, uploads)
	var wg sync.WaitGroup
	for i := range uploads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := env.HTTP(ada, http.MethodPost, "/apps/"+app+"/photos", "image/png", bomb)
			if err != nil {
				answers[i] = err.Error()
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			statuses[i], answers[i] = resp.StatusCode, string(b)
		}()
	}
	wg.Wait()
	allocated := total() - before
	t.Logf("%d uploads of a %d-byte PNG of 6320x6320 allocated %d KiB", uploads, len(bomb), allocated>>10)
	for i := range uploads {
		if statuses[i] != http.StatusBadRequest || !strings.Contains(answers[i], `"reason":"invalid"`) || !strings.Contains(answers[i], "pixels") {
			t.Errorf("upload %d: %d %s; want 400 invalid, too many pixels", i, statuses[i], answers[i])
		}
	}
	if allocated > 64<<20 {
		t.Errorf("the uploads allocated %d MiB, want under 64 MiB", allocated>>20)
	}
	upload(t, env, ada, app, "image/png", pngImage(800, 600))
}
