package eventwall_test

import (
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/attendify/eventwall"
	"github.com/attendify/eventwall/internal/walltest"
	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/platform/testkit/browser"
	"github.com/attendify/social"
)

// layoutFacts is what TestProjectorSizes measures on the page.
type layoutFacts struct {
	Width       float64 `json:"width"`       // the window's
	CardsSpan   float64 `json:"cardsSpan"`   // from the leftmost card's left edge to the rightmost's right edge
	Cards       int     `json:"cards"`       // on the board
	NamePx      float64 `json:"namePx"`      // the authors' font size
	TimePx      float64 `json:"timePx"`      // the times'
	TimeOpacity float64 `json:"timeOpacity"` // the times' (with their footer's)
	Logo        bool    `json:"logo"`        // the brand's logo shown and loaded
	Accent      string  `json:"accent"`      // the --accent the page uses
	BlankPhotos int     `json:"blankPhotos"` // cards that appeared with a photo not yet loaded
	Photos      int     `json:"photos"`      // photos on the board, all loaded
}

const measure = `(() => {
  const cards = [...document.querySelectorAll("#board article.card")];
  const rects = cards.map((c) => c.getBoundingClientRect());
  const left = Math.min(...rects.map((r) => r.left)), right = Math.max(...rects.map((r) => r.right));
  const name = document.querySelector("#board .card .author"), time = document.querySelector("#board .card time");
  const logo = document.querySelector("#logo");
  const imgs = [...document.querySelectorAll("#board .card .photos img")];
  return {
    width: window.innerWidth, cardsSpan: cards.length ? right - left : 0, cards: cards.length,
    namePx: parseFloat(getComputedStyle(name).fontSize), timePx: parseFloat(getComputedStyle(time).fontSize),
    timeOpacity: parseFloat(getComputedStyle(time).opacity) * parseFloat(getComputedStyle(time.parentElement).opacity),
    logo: !!logo && !logo.hidden && logo.complete && logo.naturalWidth > 0 && logo.getBoundingClientRect().width > 0,
    accent: getComputedStyle(document.documentElement).getPropertyValue("--accent").trim(),
    blankPhotos: window.blankPhotos || 0, photos: imgs.filter((i) => i.complete && i.naturalWidth > 0).length,
  };
})()`

// watchArrivals counts the cards that appear with a photo not yet loaded
// (a blank gap on the projector), as each card is inserted.
const watchArrivals = `(() => {
  window.blankPhotos = 0;
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) {
      if (n.nodeName !== "ARTICLE") continue;
      if ([...n.querySelectorAll(".photos img")].some((i) => !(i.complete && i.naturalWidth > 0))) window.blankPhotos++;
    }
  }).observe(document.querySelector("#board"), { childList: true });
  return true;
})()`

// TestProjectorSizes opens a branded wall at the two sizes projectors
// have, 1920x1080 and 1280x720, with posts arriving while it is open, and
// checks what the back of the room sees: the cards span the width, names
// and times are large and not dimmed, the app's logo and colour are used,
// and no card appears before its photo. The screenshots stay in
// TEST_ARTIFACTS_DIR (default testdata/artifacts): look at them.
func TestProjectorSizes(t *testing.T) {
	env := walltest.Start(t, walltest.Options{})
	soc := env.StartSocial()
	ctx := testkit.Context(t)
	ev := env.NewEvent("Projector conf")
	app := env.CreateApp(ev)
	logo := "data:image/png;base64," + base64.StdEncoding.EncodeToString(testPNG(160, 60))
	env.SetBranding(app, hub.Branding{PrimaryColor: "#FFB000", IconURL: logo})
	owner := env.AddMember(app, "Olive Owner", auth.RoleOwner)
	authors := []walltest.Member{
		env.AddMember(app, "Ada Lovelace", auth.RoleAttendee),
		env.AddMember(app, "Grace Hopper", auth.RoleAttendee),
		env.AddMember(app, "Margaret Hamilton", auth.RoleAttendee),
	}
	env.DB(app)
	w, err := eventwall.CreateWall.Call(owner.Ctx(ctx), env.Client, eventwall.CreateWallParams{
		AppRef: rpc.AppRef{App: app}, EventID: ev.ID, Title: "Projector conf — live", Layout: eventwall.LayoutGrid,
		Moderation: &eventwall.Moderation{Mode: eventwall.ModerationOff},
	})
	if err != nil {
		t.Fatal(err)
	}

	posted := 0
	post := func(withPhoto bool) {
		t.Helper()
		a := authors[posted%len(authors)]
		p := social.CreatePostParams{AppRef: rpc.AppRef{App: app}, EventID: ev.ID, Text: fmt.Sprintf("Post %d from the front row #projector", posted+1)}
		if withPhoto {
			p.PhotoIDs = []string{uploadPhoto(t, soc, a, app, testPNG(1600, 1000))}
		}
		if _, err := social.CreatePost.Call(a.Ctx(ctx), soc.Client, p); err != nil {
			t.Fatal(err)
		}
		posted++
	}

	for _, size := range []struct{ w, h int64 }{{1920, 1080}, {1280, 720}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			bctx := browser.Chromium(t, 1280, 720)
			waitFor(t, bctx, "open the wall",
				chromedp.EmulateViewport(size.w, size.h),
				chromedp.Navigate(env.URL+w.Path),
				chromedp.WaitVisible(chromedp.CSS(`body[data-connection="live"]`)),
			)
			if _, err := chromedp.Run(bctx, chromedp.Evaluate[bool](watchArrivals)); err != nil {
				t.Fatal(err)
			}
			want := posted + 3
			for posted < want {
				post(posted%3 != 2) // two of three with a photo
			}
			waitFor(t, bctx, "the posts on the page", chromedp.Poll[chromedp.Void](
				fmt.Sprintf(`document.querySelectorAll("#board article.card").length >= %d && ![...document.querySelectorAll("#board .card")].some((c) => c.getAnimations().some((a) => a.playState === "running"))`, min(want, 8))))
			f, err := chromedp.Run(bctx, chromedp.Evaluate[layoutFacts](measure))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%dx%d: %+v", size.w, size.h, f)
			screenshot(t, bctx, fmt.Sprintf("wall-%dx%d.png", size.w, size.h))
			if f.CardsSpan < 0.9*f.Width {
				t.Errorf("the cards span %.0f of %.0f px: under 90%%", f.CardsSpan, f.Width)
			}
			if minPx := f.Width / 64; f.NamePx < minPx || f.TimePx < minPx*0.8 {
				t.Errorf("names %.1f px and times %.1f px, want at least %.1f and %.1f", f.NamePx, f.TimePx, minPx, minPx*0.8)
			}
			if f.TimeOpacity < 0.85 {
				t.Errorf("times dimmed to %.2f", f.TimeOpacity)
			}
			if !f.Logo || f.Accent != "#FFB000" {
				t.Errorf("logo shown %v, accent %q: want the app's", f.Logo, f.Accent)
			}
			if f.BlankPhotos != 0 || f.Photos == 0 {
				t.Errorf("%d cards appeared before their photo (%d photos loaded)", f.BlankPhotos, f.Photos)
			}
		})
	}
}
