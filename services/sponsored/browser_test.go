package sponsored_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/testkit/browser"
	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/placement"
)

// TestReportPage opens a sponsor's report page in headless Chromium: the
// figures it shows are the report's, its chart has a bar per day, and the
// screenshot shows those bars, the taller for the day with more
// impressions.
func TestReportPage(t *testing.T) {
	f := newFixture(t)
	c := f.live(t, input("page", func(in *sponsored.CampaignInput) {
		in.Pacing, in.Budget, in.Caps = sponsored.PacingASAP, 100, sponsored.Caps{PerDay: 1}
	}))
	f.env.Publish()
	placer := f.env.Placer()
	var members []placement.Viewer
	for i := range 9 {
		m := f.env.AddMember(f.app, fmt.Sprint("M", i), auth.RoleAttendee)
		members = append(members, placement.Viewer{Member: m.ID, MemberRole: hub.MemberAttendee})
	}
	for _, v := range members[:3] { // day one: 3 impressions
		placer.Fill(f.ctx, f.app, "", v, 5)
	}
	f.env.Clock.Add(24 * time.Hour) // day two (the flight ends at noon): 9
	f.env.Clock.Set(f.env.Clock.Now().Add(-3 * time.Hour))
	for _, v := range members {
		placer.Fill(f.ctx, f.app, "", v, 5)
	}
	f.env.Count()
	report, err := sponsored.GetReport.Call(f.owner.Ctx(f.ctx), f.env.Client, cref(f, c))
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Days) != 2 || report.Days[0].Impressions != 3 || report.Days[1].Impressions != 9 || report.Days[0].Planned != 100 || report.Total.Planned != 100 {
		t.Fatalf("report days %+v", report.Days)
	}
	share, err := sponsored.ShareReport.Call(f.owner.Ctx(f.ctx), f.env.Client, cref(f, c))
	if err != nil {
		t.Fatal(err)
	}

	ctx := browser.Chromium(t, 900, 900)
	if err := chromedp.Do(ctx, chromedp.Navigate(share.URL), chromedp.WaitVisible(chromedp.CSS("#chart"))); err != nil {
		t.Fatalf("open the report page: %v", err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`({
		impressions: document.querySelector("#impressions").textContent,
		reach: document.querySelector("#reach").textContent,
		sponsor: document.querySelector("#sponsor").textContent,
		bars: [...document.querySelectorAll("rect.bar")].map(b => b.dataset.day + "=" + b.dataset.value).join(","),
	})`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"impressions": "12", "reach": "9", "sponsor": "Acme page", "bars": "2026-06-01=3,2026-06-02=9"}
	for k, v := range want {
		if shown[k] != v {
			t.Errorf("page shows %s %q, want %q", k, shown[k], v)
		}
	}
	shot := browser.Screenshot(t, ctx, "report-page.png")
	bars := barsIn(t, shot, [3]uint8{0x3b, 0x6c, 0xf6})
	if len(bars) != 2 || !(bars[1] > 2*bars[0]) {
		t.Errorf("the screenshot shows bars of heights %v, want two, the second three times the first", bars)
	}
}

// barsIn finds the vertical bars of colour c in a PNG: the runs of columns
// holding that colour, and the height of each (its tallest column).
func barsIn(t *testing.T, shot []byte, c [3]uint8) []int {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	height := func(x int) int {
		n := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			if near(img, x, y, c) {
				n++
			}
		}
		return n
	}
	var bars []int
	in := false
	for x := b.Min.X; x < b.Max.X; x++ {
		h := height(x)
		switch {
		case h > 3 && !in:
			bars, in = append(bars, h), true
		case h > 3:
			bars[len(bars)-1] = max(bars[len(bars)-1], h)
		default:
			in = false
		}
	}
	return slices.Clip(bars)
}

func near(img image.Image, x, y int, c [3]uint8) bool {
	r, g, b, _ := img.At(x, y).RGBA()
	d := func(a uint32, want uint8) bool { v := int(a>>8) - int(want); return v > -12 && v < 12 }
	return d(r, c[0]) && d(g, c[1]) && d(b, c[2])
}
