package eventwall_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/attendify/eventwall"
	"github.com/attendify/eventwall/internal/walltest"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/platform/testkit/browser"
	"github.com/attendify/social"
)

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()) // the viewport, as PNG
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(testkit.Artifacts(t), name)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Errorf("save screenshot: %v", err)
		return
	}
	t.Logf("screenshot: %s", path)
}

// waitFor runs chromedp actions that wait for a state of the page. Like
// testkit.Eventually, it gives up only after testkit.WaitLimit, a safety
// net against a hang, not a latency bound: latency is measured by the
// benchmark (bench/eventwall).
func waitFor(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, testkit.WaitLimit)
	defer cancel()
	if err := chromedp.Do(wctx, actions...); err != nil {
		t.Fatalf("%s: %v (after %s)", what, err, time.Since(start).Round(time.Millisecond))
	}
}

func testPNG(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(40 + x*200/w), uint8(90 + y*120/h), 200, 255})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

// TestProjectorPage opens a wall in headless Chromium, creates a post
// through the real social service, waits until the page shows it, hides it
// through social's moderation and waits until it goes; it also checks
// pause. How long each took is logged, not asserted (bench/eventwall
// measures it). The screenshots stay in TEST_ARTIFACTS_DIR (default
// testdata/artifacts).
func TestProjectorPage(t *testing.T) {
	env := walltest.Start(t, walltest.Options{})
	soc := env.StartSocial()
	ctx := testkit.Context(t)
	ev := env.NewEvent("Browser conf")
	app := env.CreateApp(ev)
	owner := env.AddMember(app, "Olive Owner", auth.RoleOwner)
	ada := env.AddMember(app, "Ada Lovelace", auth.RoleAttendee)
	grace := env.AddMember(app, "Grace Hopper", auth.RoleAttendee)
	// The app's database exists, as for any app with a feed: the follower
	// is following when the post comes. (Following an app whose database
	// does not exist yet, it looks again within 2 s: the first post of a
	// brand-new app may take that long.)
	env.DB(app)

	w, err := eventwall.CreateWall.Call(owner.Ctx(ctx), env.Client, eventwall.CreateWallParams{
		AppRef: rpc.AppRef{App: app}, EventID: ev.ID, Title: "Browser conf — live",
		Layout: eventwall.LayoutGrid, Moderation: &eventwall.Moderation{Mode: eventwall.ModerationOff},
		Theme: &eventwall.Theme{Background: "#1b1f3a", Text: "#ffffff", Accent: "#ffb000"},
	})
	if err != nil {
		t.Fatalf("wall.create: %v", err)
	}

	bctx := browser.Chromium(t, 1280, 720)
	waitFor(t, bctx, "open the wall",
		chromedp.Navigate(env.URL+w.Path),
		chromedp.WaitVisible(chromedp.CSS(`body[data-connection="live"]`)),
	)
	title, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#title")))
	if err != nil || title != "Browser conf — live" {
		t.Errorf("page title %q (%v)", title, err)
	}
	screenshot(t, bctx, "wall-empty.png")

	// A member posts with a photo and a mention through social's API.
	photoID := uploadPhoto(t, soc, ada, app, testPNG(640, 400))
	start := time.Now()
	post, err := social.CreatePost.Call(ada.Ctx(ctx), soc.Client, social.CreatePostParams{
		AppRef: rpc.AppRef{App: app}, EventID: ev.ID, PhotoIDs: []string{photoID},
		Text: fmt.Sprintf("Hello from the front row with @[Grace Hopper](%s)! #browserconf", grace.ID),
	})
	if err != nil {
		t.Fatalf("post.create: %v", err)
	}
	card := fmt.Sprintf(`article.card[data-id=%q]`, post.ID)
	waitFor(t, bctx, "the post on the page", chromedp.WaitVisible(chromedp.CSS(card)))
	t.Logf("post created -> on the page: %s", time.Since(start).Round(time.Millisecond))
	waitFor(t, bctx, "the photo loaded", chromedp.Poll[chromedp.Void](
		fmt.Sprintf(`(() => { const i = document.querySelector(%q); return !!i && i.complete && i.naturalWidth > 0; })()`, card+" .photos img")))
	text, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(card+" .text")))
	if err != nil {
		t.Fatal(err)
	}
	author, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(card+" .author")))
	if err != nil {
		t.Fatal(err)
	}
	// The mention reads @Name, styled like the hashtag; the member id is not on the page.
	if text != "Hello from the front row with @Grace Hopper! #browserconf" || author != "Ada Lovelace" {
		t.Errorf("card shows %q by %q", text, author)
	}
	styled, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](fmt.Sprintf(
		`[...document.querySelectorAll(%q)].map((e) => e.className + " " + e.textContent)`, card+" .text span")))
	if err != nil || !slices.Equal(styled, []string{"mention @Grace Hopper", "tag #browserconf"}) {
		t.Errorf("styled spans %q (%v)", styled, err)
	}
	// Visible means on top: nothing covers the card's middle.
	onTop, err := chromedp.Run(bctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
		const c = document.querySelector(%q); const r = c.getBoundingClientRect();
		const e = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
		return !!e && e.closest("article") === c; })()`, card)))
	if err != nil || !onTop {
		t.Errorf("the card is covered by something (%v)", err)
	}
	time.Sleep(time.Second) // the arrival animation, for the screenshot
	screenshot(t, bctx, "wall-post.png")

	// A moderator hides it in social: it leaves the page.
	start = time.Now()
	if _, err := social.HidePosts.Call(owner.Ctx(ctx), soc.Client, social.ModeratePostsParams{AppRef: rpc.AppRef{App: app}, PostIDs: []string{post.ID}, Reason: "test"}); err != nil {
		t.Fatalf("moderation.hide: %v", err)
	}
	waitFor(t, bctx, "the hidden post gone", chromedp.WaitNotPresent(chromedp.CSS(card)))
	t.Logf("post hidden -> off the page: %s", time.Since(start).Round(time.Millisecond))
	time.Sleep(700 * time.Millisecond) // the leaving animation, for the screenshot
	screenshot(t, bctx, "wall-hidden.png")

	// Paused from a phone: a new post waits until the wall resumes.
	if _, err := eventwall.PauseWall.Call(owner.Ctx(ctx), env.Client, eventwall.WallRef{AppRef: rpc.AppRef{App: app}, WallID: w.ID}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, bctx, "the page paused", chromedp.WaitVisible(chromedp.CSS(`body[data-paused="true"]`)))
	second, err := social.CreatePost.Call(ada.Ctx(ctx), soc.Client, social.CreatePostParams{AppRef: rpc.AppRef{App: app}, EventID: ev.ID, Text: "Posted while paused"})
	if err != nil {
		t.Fatal(err)
	}
	// Wait until the page has the post (its cursor moves), then check it is not shown.
	waitFor(t, bctx, "the page received the post", chromedp.Poll[chromedp.Void](
		fmt.Sprintf(`window.eventWall.state.pending.includes(%q)`, second.ID)))
	shown, err := chromedp.Run(bctx, chromedp.Evaluate[bool](fmt.Sprintf(`!!document.querySelector('article.card[data-id=%q]')`, second.ID)))
	if err != nil || shown {
		t.Errorf("a post shown on a paused wall (%v)", err)
	}
	if _, err := eventwall.ResumeWall.Call(owner.Ctx(ctx), env.Client, eventwall.WallRef{AppRef: rpc.AppRef{App: app}, WallID: w.ID}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, bctx, "the post after resuming", chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`article.card[data-id=%q]`, second.ID))))
	time.Sleep(time.Second)
	screenshot(t, bctx, "wall-resumed.png")
}

func uploadPhoto(t *testing.T, soc *walltest.Social, m walltest.Member, app string, data []byte) string {
	t.Helper()
	req, _ := http.NewRequest("POST", soc.URL+"/apps/"+app+"/photos", bytes.NewReader(data))
	req.Header.Set("Content-Type", "image/png")
	auth.SetBearerToken(req, m.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var up social.PhotoUpload
	if err := json.NewDecoder(resp.Body).Decode(&up); err != nil || (resp.StatusCode != 200 && resp.StatusCode != 201) {
		t.Fatalf("upload: HTTP %d %v", resp.StatusCode, err)
	}
	return up.PhotoID
}
