package analytics_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/attendify/analytics"
	"github.com/attendify/analytics/internal/analyticstest"
	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/rpc"
)

// TestTrackEventMustBeTheApps: an event_id names one of the app's events;
// an invented one, or another app's, is refused, and leaves no scope
// behind (each scope is its own counters, uniques and rollups).
func TestTrackEventMustBeTheApps(t *testing.T) {
	e := analyticstest.Start(t, analyticstest.Options{})
	conf := e.NewEvent("Conference")
	app := e.CreateApp(conf)
	other := e.NewEvent("Another app's")
	e.CreateApp(other)
	org := e.AddMember(app, "Olga", auth.RoleOwner)
	now := time.Now().UTC()
	at := func(id, event string) analytics.TrackEvent {
		ev := screen(id, now)
		ev.Event = event
		return ev
	}
	res, err := analytics.Track.Call(context.Background(), e.Client, batch(app, "install-anon",
		at("1", conf.ID), at("2", "made-up"), at("3", other.ID), at("4", "")))
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 2 || len(res.Refused) != 2 || res.Refused[0].Index != 1 || res.Refused[1].Index != 2 {
		t.Errorf("track = %+v; want the app's event and no event accepted, the others refused", res)
	}
	for _, scope := range []string{"made-up", other.ID} {
		keys, err := e.Redis.Keys(context.Background(), e.Namespace+":analytics:*:c:"+scope+":*").Result()
		if err != nil || len(keys) != 0 {
			t.Errorf("scope %s: keys %v (%v), want none", scope, keys, err)
		}
	}
	s, err := analytics.GetSeries.Call(org.Ctx(context.Background()), e.Client, analytics.RangeParams{AppRef: rpc.AppRef{App: app}, Event: conf.ID,
		From: now.Add(-time.Hour), To: now.Add(time.Minute), Step: analytics.StepHour})
	if err != nil || s.Totals[analytics.CountScreenViews] != 1 {
		t.Errorf("the event's series = %+v, %v; want 1 screen view", s.Totals, err)
	}
}

// TestTrackInternalUse: an organizer's or a staff member's own use of the
// app counts as their install's, not as a member's: they are not active
// members, not present, not on the leaderboard.
func TestTrackInternalUse(t *testing.T) {
	e := analyticstest.Start(t, analyticstest.Options{})
	app := e.CreateApp()
	org := e.AddMember(app, "Olga", auth.RoleOwner)
	staff := e.AddMember(app, "Sam", auth.RoleAttendee)
	key := hub.NewReadModelKeys(e.Namespace).Membership(app, staff.ID)
	if err := e.Redis.HSet(context.Background(), key, hub.FieldMemberRole, hub.MemberStaff).Err(); err != nil {
		t.Fatal(err)
	}
	settled(t, e, org, app, 2)
	now := time.Now().UTC()
	for _, who := range []analyticstest.Member{org, staff} {
		if _, err := analytics.Track.Call(who.Ctx(context.Background()), e.Client, batch(app, "install-"+who.Name,
			analytics.TrackEvent{ID: "o", Type: analytics.TypeAppOpen, At: now}, tap("t", analytics.TargetSession, "s1", now))); err != nil {
			t.Fatal(err)
		}
	}
	live, err := analytics.GetLive.Call(org.Ctx(context.Background()), e.Client, analytics.LiveParams{AppRef: rpc.AppRef{App: app}})
	if err != nil {
		t.Fatal(err)
	}
	if live.Today.Members != 0 || live.LiveMembers != 0 || len(live.Leaderboard) != 0 {
		t.Errorf("today %d members, %d live, leaderboard %+v; want no member", live.Today.Members, live.LiveMembers, live.Leaderboard)
	}
	if live.Today.Installs != 2 || live.Today.Counts[analytics.CountSessions] != 2 || live.Today.Counts[analytics.CountTaps] != 2 {
		t.Errorf("today = %+v; want 2 installs, 2 sessions, 2 taps", live.Today)
	}
}

// TestExportFormulasAfterSpaces: ids an app sends (tap targets) that a
// spreadsheet would read as a formula once it trims their leading spaces
// are exported as text.
func TestExportFormulasAfterSpaces(t *testing.T) {
	e := analyticstest.Start(t, analyticstest.Options{})
	app := e.CreateApp()
	org := e.AddMember(app, "Olga", auth.RoleOwner)
	now := time.Now().UTC()
	evil := []string{" =HYPERLINK(\"http://x\",\"y\")", "  +1+cmd|' /C calc'!A0", " @SUM(1)", "\n=1+1", "\u3000-2+3", "\uff1d1+1"}
	var evs []analytics.TrackEvent
	for i, id := range evil {
		evs = append(evs, tap(string(rune('a'+i)), analytics.TargetSponsor, id, now))
	}
	if _, err := analytics.Track.Call(context.Background(), e.Client, batch(app, "install-anon", evs...)); err != nil {
		t.Fatal(err)
	}
	q := url.Values{"app_id": {app}, "from": {now.Add(-time.Hour).Format(time.RFC3339)}, "to": {now.Add(time.Hour).Format(time.RFC3339)}, "report": {"top"}}
	resp, err := e.Get("/export?"+q.Encode(), org.Token)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("export: %d %v %s", resp.StatusCode, err, body)
	}
	got := map[string]bool{}
	for _, r := range rows[1:] {
		got[r[1]] = true
	}
	for _, id := range evil {
		if !got["'"+id] {
			t.Errorf("%q is not exported as text; rows %q", id, rows)
		}
	}
}

// TestDashboardSignInLimited: the dashboard's sign-in reaches hub as
// analytics' signed call, which hub does not slow down by the client's
// address; analytics bounds the sign-ins of an address itself.
func TestDashboardSignInLimited(t *testing.T) {
	e := analyticstest.Start(t, analyticstest.Options{})
	app := e.CreateApp()
	if s := time.Now().Second(); s > 40 { // the 12 sign-ins in one minute's window
		time.Sleep(time.Duration(61-s) * time.Second)
	}
	for i := range 12 {
		body := `{"email":"organizer` + strings.Repeat("x", i) + `@example.com","password":"guess"}`
		resp, err := e.Post("/dashboard/"+app+"/signin", "", body)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		limited := resp.StatusCode == http.StatusTooManyRequests
		if i < 10 && limited {
			t.Fatalf("sign-in %d refused as too many", i+1)
		}
		if i >= 10 && (!limited || resp.Header.Get("Retry-After") == "") {
			t.Errorf("sign-in %d: %d, want 429 with Retry-After", i+1, resp.StatusCode)
		}
	}
}

// TestDashboardNotFramed: the dashboard page, which takes an organizer's
// password, may not be framed by another site (clickjacking).
func TestDashboardNotFramed(t *testing.T) {
	e := analyticstest.Start(t, analyticstest.Options{})
	resp, err := http.Get(e.URL + "/dashboard/" + e.CreateApp())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); resp.StatusCode != http.StatusOK || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("the dashboard page: %d, policy %q lets other sites frame it", resp.StatusCode, csp)
	}
}

// TestDashboardLinkRevoked: a dashboard link acts for the organizer who
// made it, checked in hub's read model on every use: it stops working as
// soon as they are removed from the app, lose their organizer role or
// have their tokens revoked (a sign-out), while another organizer's link
// goes on working. A service cannot make one (no removal would revoke it).
func TestDashboardLinkRevoked(t *testing.T) {
	e := analyticstest.Start(t, analyticstest.Options{})
	app := e.CreateApp()
	owner := e.AddMember(app, "Olga", auth.RoleOwner)
	settled(t, e, owner, app, 1)
	keys := hub.NewReadModelKeys(e.Namespace)
	ctx := context.Background()
	use := func(token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, e.URL+"/dashboard/"+app+"/live", nil)
		req.Header.Set("X-Dashboard-Token", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	export := func(token string) int {
		t.Helper()
		v := url.Values{"app_id": {app}, "from": {time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)}, "to": {time.Now().UTC().Format(time.RFC3339)}, "t": {token}}
		resp, err := e.Get("/export?"+v.Encode(), "")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	linkOf := func(m analyticstest.Member) string {
		t.Helper()
		l, err := analytics.NewDashboardLink.Call(m.Ctx(ctx), e.Client, analytics.DashboardLinkParams{AppRef: rpc.AppRef{App: app}, TTLHours: 720})
		if err != nil {
			t.Fatal(err)
		}
		return l.Token
	}
	ownersLink := linkOf(owner)
	tests := []struct {
		name   string
		change func(m analyticstest.Member)
	}{
		// What hub's collaborator.remove does to the read model: the
		// membership's tombstone and a revocation mark above their tokens.
		{"removed from the app", func(m analyticstest.Member) {
			if err := e.Redis.HSet(ctx, keys.Membership(app, m.ID), hub.FieldGone, "1", hub.FieldVersion, time.Now().UnixNano()).Err(); err != nil {
				t.Fatal(err)
			}
			e.Revoke(m)
		}},
		{"the membership gone alone", func(m analyticstest.Member) {
			if err := e.Redis.HSet(ctx, keys.Membership(app, m.ID), hub.FieldGone, "1", hub.FieldVersion, time.Now().UnixNano()).Err(); err != nil {
				t.Fatal(err)
			}
		}},
		{"no longer an organizer", func(m analyticstest.Member) {
			m.Role = auth.RoleAttendee
			e.SetMembership(m, false)
		}},
		{"blocked", func(m analyticstest.Member) { e.SetMembership(m, true) }},
		{"signed out (tokens revoked)", func(m analyticstest.Member) { e.Revoke(m) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := e.AddMember(app, "Adam", auth.RoleAdmin)
			link := linkOf(m)
			if code, body := use(link); code != http.StatusOK {
				t.Fatalf("the link before: %d %s", code, body)
			}
			if code := export(link); code != http.StatusOK {
				t.Fatalf("the export before: %d", code)
			}
			tt.change(m)
			if code, body := use(link); code != http.StatusUnauthorized || !strings.Contains(body, "revoked") {
				t.Errorf("the link after: %d %s, want 401 revoked", code, body)
			}
			if code := export(link); code != http.StatusUnauthorized {
				t.Errorf("the export after: %d, want 401", code)
			}
			if code, body := use(ownersLink); code != http.StatusOK {
				t.Errorf("another organizer's link: %d %s", code, body)
			}
		})
	}
	if _, err := analytics.NewDashboardLink.Call(ctx, e.Service, analytics.DashboardLinkParams{AppRef: rpc.AppRef{App: app}}); err == nil {
		t.Error("a service made a dashboard link that names nobody")
	}
}
