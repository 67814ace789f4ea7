package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/attendify/analytics"
	"github.com/attendify/eventwall"
	"github.com/attendify/hub"
	"github.com/attendify/importer"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/runner"
	"github.com/attendify/social"
	"github.com/attendify/sponsored"
)

// deployment is what the suite reaches: the services' base URLs.
type deployment struct {
	hub, importer, social, sponsored, analytics, eventwall string
}

// fromEnv reads the deployment's URLs; without them the suite fails.
func fromEnv(t *testing.T) deployment {
	t.Helper()
	d := deployment{
		hub: os.Getenv("E2E_HUB_URL"), importer: os.Getenv("E2E_IMPORTER_URL"), social: os.Getenv("E2E_SOCIAL_URL"),
		sponsored: os.Getenv("E2E_SPONSORED_URL"), analytics: os.Getenv("E2E_ANALYTICS_URL"), eventwall: os.Getenv("E2E_EVENTWALL_URL"),
	}
	var missing []string
	for name, u := range map[string]string{
		"E2E_HUB_URL": d.hub, "E2E_IMPORTER_URL": d.importer, "E2E_SOCIAL_URL": d.social,
		"E2E_SPONSORED_URL": d.sponsored, "E2E_ANALYTICS_URL": d.analytics, "E2E_EVENTWALL_URL": d.eventwall,
	} {
		if u == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		t.Fatal("no deployment to test: set " + strings.Join(missing, ", ") + " (make e2e does)")
	}
	return d
}

func client(t *testing.T, url string, signer *auth.Signer) *rpc.Client {
	t.Helper()
	o := rpc.ClientOptions{Endpoints: []string{strings.TrimRight(url, "/")}}
	if signer != nil {
		o.Signer = signer
	}
	c, err := rpc.NewClient(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func as(ctx context.Context, token string) context.Context {
	return auth.WithCaller(ctx, auth.Caller{Kind: auth.CallerUser, Token: token})
}

// eventually retries check until it passes or the time is over: the
// services converge through events, not at once.
func eventually(t *testing.T, what string, within time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v: %v", what, within, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// settled calls fn until it succeeds (for up to 30 s): a service checks
// its caller in hub's read model, which follows hub's writes within
// moments, so a call right after a sign-in or an app's creation may be
// refused until then.
func settled[T any](t *testing.T, what string, fn func() (T, error)) T {
	t.Helper()
	var v T
	eventually(t, what, 30*time.Second, func() error {
		var err error
		v, err = fn()
		return err
	})
	return v
}

// TestEventDay is the product's story, end to end: an organizer sets up
// an event and imports its people and agenda from a spreadsheet; attendees
// sign in with a code, one posts a photo, another likes and comments; the
// venue's wall shows the post until moderation hides it; a sponsored post
// reaches an attendee's feed and its impression is counted; analytics
// shows the day's activity.
func TestEventDay(t *testing.T) {
	d := fromEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	authCfg, err := runner.LoadConfig[auth.Config]()
	if err != nil {
		t.Fatal(err)
	}
	if authCfg.ServiceName == "" {
		authCfg.ServiceName = "e2e"
	}
	signer, err := authCfg.Signer()
	if err != nil {
		t.Fatal(err)
	}
	hubc, hubSvc := client(t, d.hub, nil), client(t, d.hub, &signer)
	run := randomID()

	// The organizer signs up and creates an app and an event (today, so
	// that the agenda and the sponsored flight are current).
	org, err := hub.DevSignUp(ctx, hubc, hubSvc, "organizer-"+run+"@e2e.attendify.dev", "e2e correct horse "+run, "E2E Organizer")
	if err != nil {
		t.Fatalf("organizer sign-up: %v", err)
	}
	app, err := hub.CreateApp.Call(as(ctx, org.Token), hubc, hub.CreateAppParams{Name: "E2E " + run, Slug: "e2e-" + run})
	if err != nil {
		t.Fatalf("app.create: %v", err)
	}
	at, err := hub.AppTokenFor.Call(as(ctx, org.Token), hubc, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}})
	if err != nil {
		t.Fatalf("auth.appToken: %v", err)
	}
	organizer := as(ctx, at.Token)
	today := time.Now().UTC()
	event, err := hub.CreateEvent.Call(organizer, hubc, hub.CreateEventParams{
		AppRef: rpc.AppRef{App: app.ID}, Name: "E2E Conf", TimeZone: "UTC",
		Start: today.Format("2006-01-02") + "T00:00", End: today.Add(24*time.Hour).Format("2006-01-02") + "T23:00", Venue: "Loopback Hall",
	})
	if err != nil {
		t.Fatalf("event.create: %v", err)
	}
	if _, err := hub.PublishApp.Call(organizer, hubc, hub.AppParams{AppRef: rpc.AppRef{App: app.ID}}); err != nil {
		t.Fatalf("app.publish: %v", err)
	}

	// Attendees and the agenda come from a spreadsheet.
	poster, fan := "poster-"+run+"@e2e.attendify.dev", "fan-"+run+"@e2e.attendify.dev"
	book := workbook(t, today, poster, fan)
	imp, err := importer.Upload(ctx, nil, d.importer, at.Token, importer.UploadParams{App: app.ID, Event: event.ID, FileName: "e2e.xlsx"}, bytes.NewReader(book))
	if err != nil {
		t.Fatalf("upload the spreadsheet: %v", err)
	}
	impc := client(t, d.importer, nil)
	ip := importer.ImportParams{AppRef: rpc.AppRef{App: app.ID}, Import: imp.ID}
	imp = waitImport(t, organizer, impc, ip, importer.StatusAnalyzing)
	if imp.Status != importer.StatusReady {
		t.Fatalf("import %s is %s after analysis: %+v", imp.ID, imp.Status, imp.Error)
	}
	if _, err := importer.CommitImport.Call(organizer, impc, ip); err != nil {
		t.Fatalf("import.commit: %v", err)
	}
	if imp = waitImport(t, organizer, impc, ip, importer.StatusCommitting); imp.Status != importer.StatusDone {
		t.Fatalf("import %s is %s after commit: %+v", imp.ID, imp.Status, imp.Error)
	}
	ag, err := hub.GetAgenda.Call(organizer, hubc, hub.AgendaParams{AppRef: rpc.AppRef{App: app.ID}, Event: event.ID})
	if err != nil {
		t.Fatalf("agenda.get: %v", err)
	}
	sessions := 0
	for _, day := range ag.Days {
		sessions += len(day.Sessions)
	}
	if sessions != 2 {
		t.Errorf("agenda after the import: %d sessions, want the spreadsheet's 2", sessions)
	}

	// The venue's wall, public, shows every post of the app at once.
	wallc := client(t, d.eventwall, nil)
	public := true
	wall := settled(t, "wall.create", func() (eventwall.Wall, error) {
		return eventwall.CreateWall.Call(organizer, wallc, eventwall.CreateWallParams{
			AppRef: rpc.AppRef{App: app.ID}, EventID: event.ID, Title: "E2E wall",
			Filters: &eventwall.Filters{Scope: eventwall.ScopeApp}, Moderation: &eventwall.Moderation{Mode: eventwall.ModerationOff},
			Public: &public,
		})
	})

	// A sponsored campaign runs over the event.
	spc := client(t, d.sponsored, nil)
	flight := sponsored.Flight{Start: today.Add(-time.Hour).Format("2006-01-02T15:04"), End: today.Add(48 * time.Hour).Format("2006-01-02T15:04"), TimeZone: "UTC"}
	camp := settled(t, "campaign.create", func() (sponsored.Campaign, error) {
		return sponsored.CreateCampaign.Call(organizer, spc, sponsored.CreateCampaignParams{AppRef: rpc.AppRef{App: app.ID}, CampaignInput: sponsored.CampaignInput{
			Name: "E2E booth", Sponsor: sponsored.Sponsor{Name: "E2E Cloud"},
			Creative: sponsored.Creative{Text: "Visit booth 7 " + run, CTA: sponsored.CTA{Kind: sponsored.CTALink, Label: "Book a demo", URL: "https://e2e.example/demo"}},
			Flight:   flight, Weight: 1, Budget: 1000, Pacing: sponsored.PacingEven,
		}})
	})
	if _, err := sponsored.ScheduleCampaign.Call(organizer, spc, sponsored.CampaignRef{AppRef: rpc.AppRef{App: app.ID}, CampaignID: camp.ID}); err != nil {
		t.Fatalf("campaign.schedule: %v", err)
	}

	// Two attendees from the spreadsheet sign in with a code.
	posterTok := signIn(t, ctx, hubc, hubSvc, app.ID, poster)
	fanTok := signIn(t, ctx, hubc, hubSvc, app.ID, fan)

	// One posts a photo; the other likes it and comments.
	socc := client(t, d.social, nil)
	photo := settled(t, "photo upload", func() (string, error) { return uploadPhoto(ctx, d.social, app.ID, posterTok) })
	text := "Hello from the e2e suite " + run
	post := settled(t, "post.create", func() (social.Post, error) {
		return social.CreatePost.Call(as(ctx, posterTok), socc, social.CreatePostParams{AppRef: social.AppRef{App: app.ID}, EventID: event.ID, Text: text, PhotoIDs: []string{photo}})
	})
	settled(t, "reaction.set", func() (social.ReactionState, error) {
		return social.React.Call(as(ctx, fanTok), socc, social.ReactParams{AppRef: social.AppRef{App: app.ID}, PostID: post.ID, Reaction: social.ReactionLike})
	})
	if _, err := social.CreateComment.Call(as(ctx, fanTok), socc, social.CreateCommentParams{AppRef: social.AppRef{App: app.ID}, PostID: post.ID, Text: "Great photo!"}); err != nil {
		t.Fatalf("comment.create: %v", err)
	}
	eventually(t, "the post's like and comment", 30*time.Second, func() error {
		p, err := social.GetPost.Call(as(ctx, posterTok), socc, social.PostParams{AppRef: social.AppRef{App: app.ID}, PostID: post.ID})
		if err != nil {
			return err
		}
		if p.CommentCount != 1 || p.Reactions[social.ReactionLike] != 1 {
			return fmt.Errorf("comments %d, reactions %v", p.CommentCount, p.Reactions)
		}
		return nil
	})

	// The wall shows the post, photo included...
	wallURL := strings.TrimRight(d.eventwall, "/") + wall.Path + "/poll"
	eventually(t, "the post on the wall", 60*time.Second, func() error {
		ch, err := pollWall(ctx, wallURL)
		if err != nil {
			return err
		}
		for _, it := range ch.Items {
			if it.ID == post.ID && it.Text == text && len(it.Photos) == 1 {
				return nil
			}
		}
		return fmt.Errorf("%d items, not the post with its photo", len(ch.Items))
	})
	// ...until moderation hides it.
	if _, err := social.HidePosts.Call(organizer, socc, social.ModeratePostsParams{AppRef: social.AppRef{App: app.ID}, PostIDs: []string{post.ID}, Reason: "e2e"}); err != nil {
		t.Fatalf("moderation.hide: %v", err)
	}
	eventually(t, "the hidden post off the wall", 60*time.Second, func() error {
		ch, err := pollWall(ctx, wallURL)
		if err != nil {
			return err
		}
		for _, it := range ch.Items {
			if it.ID == post.ID {
				return fmt.Errorf("still shown")
			}
		}
		return nil
	})

	// The sponsored post reaches the fan's feed (a slot every 5 organic
	// posts, never first); seeing it counts an impression and a view in
	// the campaign's report.
	for i := range 6 {
		if _, err := social.CreatePost.Call(as(ctx, posterTok), socc, social.CreatePostParams{AppRef: social.AppRef{App: app.ID}, Text: fmt.Sprintf("Talk notes %d", i+1)}); err != nil {
			t.Fatalf("post.create: %v", err)
		}
	}
	var card *sponsored.Card
	eventually(t, "the sponsored post in the feed", 60*time.Second, func() error {
		page, err := social.GetFeed.Call(as(ctx, fanTok), socc, social.FeedParams{AppRef: social.AppRef{App: app.ID}, Kind: social.FeedApp, Limit: 20})
		if err != nil {
			return err
		}
		for _, it := range page.Items {
			if it.Sponsored != nil && it.Sponsored.CampaignID == camp.ID {
				card = it.Sponsored
				return nil
			}
		}
		return fmt.Errorf("%d items, none sponsored by campaign %s", len(page.Items), camp.ID)
	})
	if _, err := sponsored.View.Call(as(ctx, fanTok), spc, sponsored.ImpressionParams{AppRef: rpc.AppRef{App: app.ID}, CampaignID: camp.ID, ImpressionID: card.ImpressionID}); err != nil {
		t.Fatalf("sponsored.view: %v", err)
	}
	eventually(t, "the impression in the campaign's report", 60*time.Second, func() error {
		r, err := sponsored.GetReport.Call(organizer, spc, sponsored.CampaignRef{AppRef: rpc.AppRef{App: app.ID}, CampaignID: camp.ID})
		if err != nil {
			return err
		}
		if r.Total.Impressions < 1 || r.Total.Views < 1 {
			return fmt.Errorf("report totals %+v", r.Total)
		}
		return nil
	})

	// The attendees' apps report their use; the dashboard shows it.
	anc := client(t, d.analytics, nil)
	for i, tok := range []string{posterTok, fanTok} {
		now := time.Now().UTC()
		_, err := analytics.Track.Call(as(ctx, tok), anc, analytics.TrackParams{AppRef: rpc.AppRef{App: app.ID}, Install: fmt.Sprintf("e2e-%s-%d", run, i), SentAt: now, Events: []analytics.TrackEvent{
			{ID: randomID(), Type: "app_open", At: now, Event: event.ID},
			{ID: randomID(), Type: "screen_view", At: now, Event: event.ID, Screen: "feed"},
			{ID: randomID(), Type: "tap", At: now, Event: event.ID, TargetType: "post", TargetID: post.ID},
		}})
		if err != nil {
			t.Fatalf("track.batch: %v", err)
		}
	}
	// Today's figures show the social activity above and the sponsored
	// impression (from social's and sponsored's events, as analytics'
	// consumers catch up) and the apps' own reports.
	eventually(t, "the activity on the dashboard", 3*time.Minute, func() error {
		live, err := analytics.GetLive.Call(organizer, anc, analytics.LiveParams{AppRef: rpc.AppRef{App: app.ID}})
		if err != nil {
			return err
		}
		want := map[string]int64{"posts": 1, "photos": 1, "comments": 1, "reactions": 1, "screen_views": 2, "taps": 2,
			analytics.CountImpressions: 1} // the fan's sponsored impression, from sponsored's events
		for k, n := range want {
			if live.Today.Counts[k] < n {
				return fmt.Errorf("today %v; want at least %v", live.Today.Counts, want)
			}
		}
		if live.LiveMembers < 2 {
			return fmt.Errorf("live members %d, want the 2 attendees", live.LiveMembers)
		}
		return nil
	})
}

// workbook is the organizer's spreadsheet: attendees, and the agenda of
// day (two sessions).
func workbook(t *testing.T, day time.Time, emails ...string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	rows := map[string][][]any{
		"Attendees": {{"Email", "First name", "Last name", "Company"}},
		"Sessions": {
			{"Session ID", "Title", "Date", "Start", "End", "Room", "Track", "Description"},
			{"open", "Opening keynote", day.Format("2006-01-02"), "09:00", "09:45", "Main hall", "Keynotes", "Welcome."},
			{"deploy", "Deploying on a cluster", day.Format("2006-01-02"), "10:00", "11:00", "Room B", "Engineering", "Images and compose."},
		},
	}
	for i, e := range emails {
		rows["Attendees"] = append(rows["Attendees"], []any{e, "Attendee", fmt.Sprint(i + 1), "E2E Inc"})
	}
	if err := f.SetSheetName("Sheet1", "Attendees"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.NewSheet("Sessions"); err != nil {
		t.Fatal(err)
	}
	for sheet, rs := range rows {
		for i, r := range rs {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow(sheet, cell, &r); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func waitImport(t *testing.T, ctx context.Context, c *rpc.Client, ip importer.ImportParams, while string) importer.Import {
	t.Helper()
	for {
		imp, err := importer.GetImport.Call(ctx, c, ip)
		if err != nil {
			t.Fatalf("import.get: %v", err)
		}
		if imp.Status != while {
			return imp
		}
		select {
		case <-ctx.Done():
			t.Fatalf("import %s still %s", imp.ID, imp.Status)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// signIn signs a member in with the code hub mails (read back through
// dev.lastCode).
func signIn(t *testing.T, ctx context.Context, c, svc *rpc.Client, app, email string) string {
	t.Helper()
	if _, err := hub.RequestCode.Call(ctx, c, hub.RequestCodeParams{App: app, Email: email}); err != nil {
		t.Fatalf("auth.requestCode %s: %v", email, err)
	}
	code, err := hub.DevLastCode.Call(ctx, svc, hub.DevCodeParams{App: app, Email: email})
	if err != nil {
		t.Fatalf("dev.lastCode %s: %v", email, err)
	}
	s, err := hub.VerifyCode.Call(ctx, c, hub.VerifyCodeParams{App: app, Email: email, Code: code.Code})
	if err != nil {
		t.Fatalf("auth.verifyCode %s: %v", email, err)
	}
	return s.Token
}

// uploadPhoto sends a small PNG to social's photo upload and returns its id.
func uploadPhoto(ctx context.Context, socialURL, app, token string) (string, error) {
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for x := range 320 {
		for y := range 240 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(socialURL, "/")+"/apps/"+app+"/photos", &buf)
	if err != nil {
		return "", err
	}
	auth.SetBearerToken(req, token)
	req.Header.Set("Content-Type", "image/png")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("%s %s", resp.Status, body)
	}
	var up social.PhotoUpload
	if err := json.Unmarshal(body, &up); err != nil {
		return "", err
	}
	return up.PhotoID, nil
}

// pollWall reads a wall's full state as a screen does.
func pollWall(ctx context.Context, url string) (eventwall.Changes, error) {
	var ch eventwall.Changes
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return ch, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ch, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return ch, fmt.Errorf("poll %s: %s %s", url, resp.Status, b)
	}
	return ch, json.NewDecoder(resp.Body).Decode(&ch)
}

func randomID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
