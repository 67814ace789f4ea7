package analytics_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/xuri/excelize/v2"

	"github.com/attendify/analytics"
	"github.com/attendify/analytics/internal/analyticstest"
	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/social"
)

func batch(app, install string, evs ...analytics.TrackEvent) analytics.TrackParams {
	return analytics.TrackParams{AppRef: rpc.AppRef{App: app}, Install: install, SentAt: time.Now().UTC(), Events: evs}
}

// settled waits until the consumer has counted the member.created events
// of the n members the test added (readmodeltest publishes one each): until
// then today's figures change under the test's feet.
func settled(t *testing.T, e *analyticstest.Env, org analyticstest.Member, app string, n int64) {
	t.Helper()
	testkit.Eventually(t, "the members' joins counted", func() bool {
		return today(t, e, org, app).Counts[analytics.CountJoined] == n
	})
}

func screen(id string, at time.Time) analytics.TrackEvent {
	return analytics.TrackEvent{ID: id, Type: analytics.TypeScreenView, At: at, Screen: "agenda"}
}

func tap(id, kind, target string, at time.Time) analytics.TrackEvent {
	return analytics.TrackEvent{ID: id, Type: analytics.TypeTap, At: at, TargetType: kind, TargetID: target}
}

func today(t *testing.T, e *analyticstest.Env, org analyticstest.Member, app string) analytics.Bucket {
	t.Helper()
	now := time.Now().UTC()
	day := now.Truncate(24 * time.Hour)
	s, err := analytics.GetSeries.Call(org.Ctx(context.Background()), e.Client, analytics.RangeParams{AppRef: rpc.AppRef{App: app}, From: day, To: day.Add(24 * time.Hour), Step: analytics.StepDay})
	if err != nil {
		t.Fatal(err)
	}
	return s.Buckets[0]
}

// TestTrack: the apps' two ways in, what they count, and what is refused.
func TestTrack(t *testing.T) {
	e := analyticstest.Start(t, analyticstest.Options{})
	app := e.CreateApp()
	m := e.AddMember(app, "Ada", auth.RoleAttendee)
	org := e.AddMember(app, "Olga", auth.RoleOwner)
	now := time.Now().UTC()
	ctx := m.Ctx(context.Background())

	res, err := analytics.Track.Call(ctx, e.Client, batch(app, "install-ada", screen("1", now), tap("2", analytics.TargetSession, "s1", now),
		analytics.TrackEvent{ID: "3", Type: analytics.TypeCustom, At: now, Name: "bad name"}))
	if err != nil {
		t.Fatal(err)
	}
	want := analytics.TrackResult{Accepted: 2, Refused: []analytics.Refusal{{Index: 2, Reason: res.Refused[0].Reason}}}
	if diff := cmp.Diff(want, res, cmpopts.IgnoreFields(analytics.TrackResult{}, "SkewMs")); diff != "" {
		t.Errorf("track (-want +got):\n%s", diff)
	}
	// The same batch again: duplicates.
	res, err = analytics.Track.Call(ctx, e.Client, batch(app, "install-ada", screen("1", now), tap("2", analytics.TargetSession, "s1", now)))
	if err != nil || res.Accepted != 0 || res.Duplicates != 2 {
		t.Errorf("retry = %+v, %v; want 2 duplicates", res, err)
	}
	// A beacon from an anonymous install.
	body, _ := json.Marshal(batch(app, "install-anon", screen("1", now)))
	resp, err := e.Post("/track", "", string(body))
	if err != nil {
		t.Fatal(err)
	}
	var beacon analytics.TrackResult
	_ = json.NewDecoder(resp.Body).Decode(&beacon)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || beacon.Accepted != 1 {
		t.Errorf("POST /track = %d %+v", resp.StatusCode, beacon)
	}
	day := today(t, e, org, app)
	if day.Counts[analytics.CountScreenViews] != 2 || day.Counts[analytics.CountTaps] != 1 || day.Members != 1 || day.Installs != 2 {
		t.Errorf("today = %+v; want 2 screen views, 1 tap, 1 member, 2 installs", day)
	}

	refusals := []struct {
		name string
		call func() error
		code errs.Code
	}{
		{"a batch over 500 events", func() error {
			evs := make([]analytics.TrackEvent, 501)
			for i := range evs {
				evs[i] = screen(fmt.Sprint(i), now)
			}
			_, err := analytics.Track.Call(ctx, e.Client, batch(app, "install-ada", evs...))
			return err
		}, errs.Code(-32602)},
		{"an install id too short", func() error {
			_, err := analytics.Track.Call(ctx, e.Client, batch(app, "short", screen("1", now)))
			return err
		}, errs.Code(-32602)},
		{"an unknown type", func() error {
			_, err := analytics.Track.Call(ctx, e.Client, batch(app, "install-ada", analytics.TrackEvent{ID: "x", Type: "buy", At: now}))
			return err
		}, errs.Code(-32602)},
		{"a member token of another app", func() error {
			other := e.CreateApp()
			_, err := analytics.Track.Call(ctx, e.Client, batch(other, "install-ada", screen("1", now)))
			return err
		}, errs.CodeTokenWrongApp},
		{"an anonymous install of an unknown app", func() error {
			_, err := analytics.Track.Call(context.Background(), e.Client, batch("no-such-app", "install-anon", screen("1", now)))
			return err
		}, errs.CodeNotFound},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			if got := codeOf(r.call()); got != r.code {
				t.Errorf("code = %d, want %d", got, r.code)
			}
		})
	}
	// Beacons that are not batches: 400 with the error object.
	for _, body := range []string{
		`{"app_id":"` + app + `","install_id":"x","events":[]}`,
		`{"app_id":"` + app + `","install_id":"install:{x}","events":[{"id":"1","type":"app_open","at":"2026-01-01T00:00:00Z"}]}`,
		`{"app_id":"` + app + `","install_id":"install-ok","events":[{"id":"1","type":"tap","target_type":"wall","target_id":"w","at":"2026-01-01T00:00:00Z"}]}`,
		`[1, 2]`,
	} {
		resp, err = e.Post("/track", "", body)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("beacon %s = %d, want 400", body, resp.StatusCode)
		}
	}
}

// codeOf is the code the server answered (the client reports -32602 as
// kind invalid; the remote error keeps the code).
func codeOf(err error) errs.Code {
	var re *rpc.RemoteError
	if errors.As(err, &re) {
		return errs.Code(re.Code)
	}
	return errs.CodeOf(err)
}

// TestRateLimit: an install over its per-minute budget is refused with a
// retry-after, other installs are not.
func TestRateLimit(t *testing.T) {
	e := analyticstest.Start(t, analyticstest.Options{RateLimit: 5})
	app := e.CreateApp()
	now := time.Now().UTC()
	evs := []analytics.TrackEvent{screen("1", now), screen("2", now), screen("3", now), screen("4", now)}
	if _, err := analytics.Track.Call(context.Background(), e.Client, batch(app, "install-busy", evs...)); err != nil {
		t.Fatal(err)
	}
	_, err := analytics.Track.Call(context.Background(), e.Client, batch(app, "install-busy", screen("5", now), screen("6", now)))
	if codeOf(err) != errs.CodeRateLimited {
		t.Fatalf("over the limit: %v, want rate_limited", err)
	}
	if _, err := analytics.Track.Call(context.Background(), e.Client, batch(app, "install-calm", screen("1", now))); err != nil {
		t.Errorf("another install: %v", err)
	}
}

// TestMemberRateLimit: install ids are the app's to make up, so a member's
// installs share a budget of their own: a member spreading events over new
// installs is refused once over it, another member is not.
func TestMemberRateLimit(t *testing.T) {
	e := analyticstest.Start(t, analyticstest.Options{MemberRateLimit: 5})
	app := e.CreateApp()
	m := e.AddMember(app, "Ada", auth.RoleAttendee)
	other := e.AddMember(app, "Bob", auth.RoleAttendee)
	as := func(token string) context.Context {
		return auth.WithCaller(context.Background(), auth.Caller{Kind: auth.CallerUser, Token: token})
	}
	now := time.Now().UTC()
	if _, err := analytics.Track.Call(as(m.Token), e.Client, batch(app, "install-one", screen("1", now), screen("2", now), screen("3", now))); err != nil {
		t.Fatal(err)
	}
	_, err := analytics.Track.Call(as(m.Token), e.Client, batch(app, "install-two", screen("1", now), screen("2", now), screen("3", now)))
	if codeOf(err) != errs.CodeRateLimited {
		t.Fatalf("the member's second install over the member's limit: %v, want rate_limited", err)
	}
	if _, err := analytics.Track.Call(as(other.Token), e.Client, batch(app, "install-three", screen("1", now), screen("2", now))); err != nil {
		t.Errorf("another member: %v", err)
	}
}

// TestAnonymousRateLimit: anyone may send anonymous batches under install
// ids they make up, so an app's anonymous installs share a budget: a flood
// spread over new installs is refused once over it, while a member of the
// app still tracks, and another app's anonymous installs are not held.
func TestAnonymousRateLimit(t *testing.T) {
	e := analyticstest.Start(t, analyticstest.Options{AnonRateLimit: 5})
	app, other := e.CreateApp(), e.CreateApp()
	m := e.AddMember(app, "Ada", auth.RoleAttendee)
	anon := context.Background()
	now := time.Now().UTC()
	if _, err := analytics.Track.Call(anon, e.Client, batch(app, "made-up-1", screen("1", now), screen("2", now), screen("3", now))); err != nil {
		t.Fatal(err)
	}
	_, err := analytics.Track.Call(anon, e.Client, batch(app, "made-up-2", screen("1", now), screen("2", now), screen("3", now)))
	if codeOf(err) != errs.CodeRateLimited {
		t.Fatalf("a second made-up install over the app's anonymous budget: %v, want rate_limited", err)
	}
	member := auth.WithCaller(context.Background(), auth.Caller{Kind: auth.CallerUser, Token: m.Token})
	if _, err := analytics.Track.Call(member, e.Client, batch(app, "made-up-3", screen("1", now), screen("2", now), screen("3", now))); err != nil {
		t.Errorf("a member of the app: %v", err)
	}
	if _, err := analytics.Track.Call(anon, e.Client, batch(other, "made-up-4", screen("1", now), screen("2", now))); err != nil {
		t.Errorf("another app's anonymous install: %v", err)
	}
}

// TestConsumers: hub's and social's events reach the figures through the
// consumer group, once each; a member's deletion removes their personal
// rows and keeps the counts.
func TestConsumers(t *testing.T) {
	e := analyticstest.Start(t, analyticstest.Options{})
	app := e.CreateApp()
	org := e.AddMember(app, "Olga", auth.RoleOwner) // publishes member.created
	m := e.AddMember(app, "Ada", auth.RoleAttendee)
	pub := func(typ, subject string, data any) events.Event {
		raw, _ := json.Marshal(data)
		ev := events.Event{ID: events.NewID(), Type: typ, App: app, Subject: subject, Data: raw}
		if err := e.Publisher.Publish(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		return ev
	}
	pub(social.EventPostCreated, "p1", social.PostPayload{ID: "p1", AppID: app, AuthorID: m.ID, Photos: 1, Visible: true})
	pub(social.EventCommentCreated, "c1", social.CommentPayload{ID: "c1", AppID: app, PostID: "p1", AuthorID: org.ID})
	like := pub(social.EventLikeCreated, "p1", social.LikePayload{AppID: app, PostID: "p1", MemberID: m.ID, Reaction: "like"})
	// The relay published the like twice (an outbox retry).
	if err := e.Publisher.Publish(context.Background(), like); err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{analytics.CountJoined: 2, analytics.CountPosts: 1, analytics.CountPhotos: 1, analytics.CountComments: 1, analytics.CountReactions: 1}
	testkit.Eventually(t, "the events counted", func() bool {
		return cmp.Equal(want, today(t, e, org, app).Counts)
	})
	lb, err := analytics.GetLeaderboard.Call(org.Ctx(context.Background()), e.Client, analytics.LeaderboardParams{AppRef: rpc.AppRef{App: app}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]analytics.Item{{ID: m.ID, Score: 12, Label: "Ada"}, {ID: org.ID, Score: 5, Label: "Olga"}}, lb.Items); diff != "" {
		t.Errorf("leaderboard (-want +got):\n%s", diff)
	}

	e.Publish(hub.EventMemberDeleted, m, false)
	testkit.Eventually(t, "the member erased", func() bool {
		lb, err := analytics.GetLeaderboard.Call(org.Ctx(context.Background()), e.Client, analytics.LeaderboardParams{AppRef: rpc.AppRef{App: app}})
		return err == nil && len(lb.Items) == 1
	})
	if diff := cmp.Diff(want, today(t, e, org, app).Counts); diff != "" {
		t.Errorf("counts after the deletion (-want +got):\n%s", diff)
	}
	var named int
	pool := e.Analytics.Store
	_ = pool.Scan(context.Background(), app, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), func(evs []analyticsEvent) error {
		for _, ev := range evs {
			if ev.Member == m.ID {
				named++
			}
		}
		return nil
	})
	if named != 0 {
		t.Errorf("%d raw events still name the deleted member", named)
	}
}

// TestRollupsAgree: the series is the same before and after a fold, and
// ranges split at any minute add up to the whole.
func TestRollupsAgree(t *testing.T) {
	e := analyticstest.Start(t, analyticstest.Options{})
	app := e.CreateApp()
	org := e.AddMember(app, "Olga", auth.RoleOwner)
	settled(t, e, org, app, 1)
	now := time.Now().UTC().Truncate(time.Minute)
	var evs []analytics.TrackEvent
	for i := range 90 {
		evs = append(evs, screen(fmt.Sprint(i), now.Add(-time.Duration(i*2)*time.Minute)))
	}
	if _, err := analytics.Track.Call(context.Background(), e.Client, batch(app, "install-1", evs...)); err != nil {
		t.Fatal(err)
	}
	from, to := now.Add(-200*time.Minute), now.Add(time.Minute)
	get := func(from, to time.Time, step string) analytics.Series {
		s, err := analytics.GetSeries.Call(org.Ctx(context.Background()), e.Client, analytics.RangeParams{AppRef: rpc.AppRef{App: app}, From: from, To: to, Step: step})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := map[string]analytics.Series{}
	for _, step := range []string{analytics.StepMinute, analytics.StepHour, analytics.StepDay} {
		before[step] = get(from, to, step)
	}
	if n := e.Fold(); n == 0 {
		t.Fatal("nothing folded")
	}
	if n := e.Fold(); n != 0 {
		t.Errorf("a second fold folded %d minutes", n)
	}
	for step, s := range before {
		if diff := cmp.Diff(s, get(from, to, step)); diff != "" {
			t.Errorf("%s series after the fold (-before +after):\n%s", step, diff)
		}
	}
	// Late events in folded minutes: served live until folded again.
	late := []analytics.TrackEvent{screen("late1", now.Add(-61*time.Minute)), screen("late2", now.Add(-121*time.Minute))}
	if _, err := analytics.Track.Call(context.Background(), e.Client, batch(app, "install-1", late...)); err != nil {
		t.Fatal(err)
	}
	whole := get(from, to, analytics.StepMinute).Totals[analytics.CountScreenViews]
	if whole != 92 {
		t.Errorf("screen views = %d, want 92", whole)
	}
	for cut := from.Add(7 * time.Minute); cut.Before(to); cut = cut.Add(29 * time.Minute) {
		a := get(from, cut, analytics.StepMinute).Totals[analytics.CountScreenViews]
		b := get(cut, to, analytics.StepMinute).Totals[analytics.CountScreenViews]
		if a+b != whole {
			t.Errorf("cut at %s: %d + %d != %d", cut.Format("15:04"), a, b, whole)
		}
	}
	if h, d := get(now.Add(-4*time.Hour).Truncate(time.Hour), to, analytics.StepHour).Totals[analytics.CountScreenViews],
		get(now.Add(-4*time.Hour), to, analytics.StepDay).Totals[analytics.CountScreenViews]; h != 92 || (d != 92 && now.Hour() >= 4) {
		t.Errorf("by hour %d, by day %d; want 92", h, d)
	}
}

// TestExports: CSV and XLSX of a range, for an organizer or a dashboard
// link, never for a member.
func TestExports(t *testing.T) {
	e := analyticstest.Start(t, analyticstest.Options{})
	app := e.CreateApp()
	org := e.AddMember(app, "Olga", auth.RoleOwner)
	m := e.AddMember(app, "Ada", auth.RoleAttendee)
	settled(t, e, org, app, 2)
	now := time.Now().UTC().Truncate(time.Hour)
	if _, err := analytics.Track.Call(m.Ctx(context.Background()), e.Client, batch(app, "install-ada",
		screen("1", now.Add(-90*time.Minute)), screen("2", now.Add(-80*time.Minute)), screen("3", now.Add(-10*time.Minute)))); err != nil {
		t.Fatal(err)
	}
	q := url.Values{"app_id": {app}, "from": {now.Add(-2 * time.Hour).Format(time.RFC3339)}, "to": {now.Format(time.RFC3339)}, "step": {"hour"}}
	get := func(format, token string, extra url.Values) (*http.Response, []byte) {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		for k, vs := range extra {
			v[k] = vs
		}
		v.Set("format", format)
		resp, err := e.Get("/export?"+v.Encode(), token)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	wantRows := [][]string{
		append([]string{"start", "members", "installs"}, analytics.Counters...),
		row(now.Add(-2*time.Hour), 1, 1, 2),
		row(now.Add(-time.Hour), 1, 1, 1),
	}
	resp, body := get("csv", org.Token, nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "private, no-store" {
		t.Errorf("csv Cache-Control = %q, want private, no-store (an organizer's private figures)", cc)
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantRows, rows); diff != "" {
		t.Errorf("csv (-want +got):\n%s", diff)
	}

	link, err := analytics.NewDashboardLink.Call(org.Ctx(context.Background()), e.Client, analytics.DashboardLinkParams{AppRef: rpc.AppRef{App: app}})
	if err != nil {
		t.Fatal(err)
	}
	resp, body = get("xlsx", "", url.Values{"t": {link.Token}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("xlsx: %d %s", resp.StatusCode, body)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "private, no-store" {
		t.Errorf("xlsx Cache-Control = %q, want private, no-store", cc)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	xrows, err := f.GetRows(analytics.ReportSeries, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(xrows) != 3 || xrows[1][1] != "1" || xrows[1][3] != "2" {
		t.Errorf("xlsx rows = %v", xrows)
	}
	if typ, _ := f.GetCellType(analytics.ReportSeries, "A2"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Errorf("the start is text, want a date cell")
	}
	if v, _ := f.GetCellValue(analytics.ReportSeries, "A2"); v != now.Add(-2*time.Hour).Format("2006-01-02 15:04") {
		t.Errorf("A2 shows %q", v)
	}

	// Every report in one workbook, a sheet each; a member's name that
	// looks like a formula stays text.
	evil := e.AddMember(app, "=HYPERLINK(\"http://x\")", auth.RoleAttendee)
	if _, err := analytics.Track.Call(evil.Ctx(context.Background()), e.Client, batch(app, "install-evil",
		analytics.TrackEvent{ID: "o", Type: analytics.TypeAppOpen, At: now.Add(-5 * time.Minute)})); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the member's name known", func() bool {
		lb, err := analytics.GetLeaderboard.Call(org.Ctx(context.Background()), e.Client, analytics.LeaderboardParams{AppRef: rpc.AppRef{App: app}})
		return err == nil && slices.ContainsFunc(lb.Items, func(it analytics.Item) bool { return it.Label != "" && it.ID == evil.ID })
	})
	resp, body = get("xlsx", org.Token, url.Values{"report": {"all"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("xlsx all: %d %s", resp.StatusCode, body)
	}
	all, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer all.Close()
	if diff := cmp.Diff(analytics.Reports, all.GetSheetList()); diff != "" {
		t.Errorf("sheets (-want +got):\n%s", diff)
	}
	lbRows, _ := all.GetRows(analytics.ReportLeaderboard)
	found := false
	for i, r := range lbRows {
		if len(r) > 2 && r[1] == evil.ID {
			found = true
			cell, _ := excelize.CoordinatesToCellName(3, i+1)
			if formula, _ := all.GetCellFormula(analytics.ReportLeaderboard, cell); formula != "" || r[2] != evil.Name {
				t.Errorf("the name cell: formula %q, value %q", formula, r[2])
			}
		}
	}
	if !found {
		t.Errorf("leaderboard sheet = %v, want a row of %s", lbRows, evil.ID)
	}
	resp, body = get("csv", org.Token, url.Values{"report": {"leaderboard"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `'=HYPERLINK`) {
		t.Errorf("leaderboard csv: %d %s", resp.StatusCode, body)
	}
	resp, body = get("csv", org.Token, url.Values{"report": {"adoption"}})
	rows, err = csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || resp.StatusCode != http.StatusOK || len(rows) < 2 || rows[0][0] != "day" {
		t.Errorf("adoption csv: %d %v %v", resp.StatusCode, rows, err)
	}

	for name, c := range map[string]struct {
		token  string
		extra  url.Values
		status int
	}{
		"a member":           {m.Token, nil, http.StatusForbidden},
		"nobody":             {"", nil, http.StatusUnauthorized},
		"a forged link":      {"", url.Values{"t": {link.Token + "x"}}, http.StatusUnauthorized},
		"another app's link": {"", url.Values{"t": {link.Token}, "app_id": {e.CreateApp()}}, http.StatusForbidden},
		"a bad format":       {org.Token, url.Values{"format": {"pdf"}}, http.StatusBadRequest},
		"a bad report":       {org.Token, url.Values{"report": {"secrets"}}, http.StatusBadRequest},
		"all as csv":         {org.Token, url.Values{"report": {"all"}}, http.StatusBadRequest},
	} {
		t.Run(name, func(t *testing.T) {
			format := "csv"
			if f := c.extra.Get("format"); f != "" {
				format = f
			}
			resp, body := get(format, c.token, c.extra)
			if resp.StatusCode != c.status {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, c.status, body)
			}
		})
	}
}

func row(start time.Time, members, installs, views int) []string {
	r := []string{start.Format(time.RFC3339), fmt.Sprint(members), fmt.Sprint(installs)}
	for _, c := range analytics.Counters {
		if c == analytics.CountScreenViews {
			r = append(r, fmt.Sprint(views))
		} else {
			r = append(r, "0")
		}
	}
	return r
}

// TestRedisLoss: after analytics' keys are gone (Redis restarted empty),
// analytics rebuilds by itself and every figure comes back.
func TestRedisLoss(t *testing.T) {
	e := analyticstest.Start(t, analyticstest.Options{})
	app := e.CreateApp()
	org := e.AddMember(app, "Olga", auth.RoleOwner)
	m := e.AddMember(app, "Ada", auth.RoleAttendee)
	settled(t, e, org, app, 2)
	now := time.Now().UTC()
	var evs []analytics.TrackEvent
	for i := range 30 {
		at := now.Add(-time.Duration(i*3) * time.Minute)
		evs = append(evs, screen(fmt.Sprint(i), at), tap(fmt.Sprint("t", i), analytics.TargetSpeaker, fmt.Sprint("sp", i%4), at))
	}
	if _, err := analytics.Track.Call(m.Ctx(context.Background()), e.Client, batch(app, "install-ada", evs...)); err != nil {
		t.Fatal(err)
	}
	e.Fold() // part folded, part live: both must come back
	if _, err := analytics.Track.Call(context.Background(), e.Client, batch(app, "install-anon", screen("1", now))); err != nil {
		t.Fatal(err)
	}
	look := func() any {
		ctx := org.Ctx(context.Background())
		s, err := analytics.GetSeries.Call(ctx, e.Client, analytics.RangeParams{AppRef: rpc.AppRef{App: app}, From: now.Add(-2 * time.Hour), To: now.Add(time.Minute), Step: analytics.StepMinute})
		if err != nil {
			t.Fatal(err)
		}
		live, err := analytics.GetLive.Call(ctx, e.Client, analytics.LiveParams{AppRef: rpc.AppRef{App: app}})
		if err != nil {
			t.Fatal(err)
		}
		// The minutes of the last hour are in the series (a fixed range);
		// the live window moves when a minute starts.
		live.At, live.Version, live.Minutes = time.Time{}, "", nil
		return []any{s, live}
	}
	want := look()
	e.LoseRedis()
	testkit.Eventually(t, "the live state rebuilt", func() bool {
		ok, err := e.Analytics.Live.Ready(context.Background())
		return err == nil && ok
	})
	// Top scores decay with time (by half in 10 minutes): between the two
	// looks they lose about 0.1 % a second.
	if diff := cmp.Diff(want, look(), cmpopts.EquateApprox(0.01, 0)); diff != "" {
		t.Errorf("after the rebuild (-before +after):\n%s", diff)
	}
}

// TestDashboardLive: the dashboard's data answers 304 while nothing
// changed, and the new figures once something did.
func TestDashboardLive(t *testing.T) {
	e := analyticstest.Start(t, analyticstest.Options{})
	app := e.CreateApp()
	org := e.AddMember(app, "Olga", auth.RoleOwner)
	settled(t, e, org, app, 1)
	get := func(etag string) (*http.Response, analytics.Live) {
		req, _ := http.NewRequest(http.MethodGet, e.URL+"/dashboard/"+app+"/live", nil)
		auth.SetBearerToken(req, org.Token)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var l analytics.Live
		if resp.StatusCode == http.StatusOK {
			_ = json.NewDecoder(resp.Body).Decode(&l)
		}
		return resp, l
	}
	// The state changes by itself when a minute starts (the window of the
	// last minutes moves): then the pair is asked again.
	var l analytics.Live
	var etag string
	for try := 0; ; try++ {
		var resp *http.Response
		resp, l = get("")
		etag = resp.Header.Get("ETag")
		if resp.StatusCode != http.StatusOK || etag == "" {
			t.Fatalf("first: %d, etag %q", resp.StatusCode, etag)
		}
		resp, l2 := get(etag)
		if resp.StatusCode == http.StatusNotModified {
			break
		}
		last := func(l analytics.Live) time.Time { return l.Minutes[len(l.Minutes)-1].Start }
		if try == 2 || resp.StatusCode != http.StatusOK || last(l2).Equal(last(l)) {
			t.Fatalf("unchanged: %d, want 304", resp.StatusCode)
		}
	}
	if _, err := analytics.Track.Call(context.Background(), e.Client, batch(app, "install-anon", screen("1", time.Now().UTC()))); err != nil {
		t.Fatal(err)
	}
	resp, l2 := get(etag)
	if resp.StatusCode != http.StatusOK || l2.LiveInstalls != l.LiveInstalls+1 || l2.Today.Counts[analytics.CountScreenViews] != 1 {
		t.Errorf("after an event: %d %+v", resp.StatusCode, l2)
	}
}
