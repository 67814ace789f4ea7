package service_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/analytics"
	"github.com/attendify/analytics/internal/service"
	"github.com/attendify/analytics/internal/store/memory"
	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/events"
	"github.com/attendify/social"
	"github.com/attendify/sponsored"
)

// access is hub's read model for the tests: apps and their members' roles.
type access struct {
	apps    map[string]bool
	roles   map[[2]string]string // app, user -> role
	blocked map[[2]string]bool
	staff   map[[2]string]bool
	events  map[string][]string // app -> its conference events
}

func (a *access) Events(_ context.Context, app string) ([]hub.EventInfo, error) {
	if !a.apps[app] {
		return nil, errs.New(errs.NotFound, "app not found")
	}
	var out []hub.EventInfo
	for _, id := range a.events[app] {
		out = append(out, hub.EventInfo{ID: id})
	}
	return out, nil
}

func (a *access) App(_ context.Context, app string) (hub.AppConfig, error) {
	if !a.apps[app] {
		return hub.AppConfig{}, errs.New(errs.NotFound, "app not found")
	}
	return hub.AppConfig{ID: app, Status: hub.StatusPublished}, nil
}

func (a *access) Authorize(_ context.Context, c auth.Caller, app string) (hub.Membership, error) {
	if c.Kind == auth.CallerService && c.User == "" {
		return hub.Membership{}, nil
	}
	if c.App != app {
		return hub.Membership{}, errs.WithCode(errs.CodeTokenWrongApp, "another app")
	}
	role, ok := a.roles[[2]string{app, c.User}]
	if !ok || a.blocked[[2]string{app, c.User}] {
		return hub.Membership{}, errs.WithCode(errs.CodeForbidden, "not a member")
	}
	m := hub.Membership{App: app, User: c.User, Role: role}
	if a.staff[[2]string{app, c.User}] {
		m.MemberRole = hub.MemberStaff
	}
	return m, nil
}

// fixture is the domain on the in-memory adapters with a settable clock.
type fixture struct {
	svc    *service.Service
	store  *memory.Store
	live   *memory.Live
	access *access
	mu     sync.Mutex
	now    time.Time
}

const app = "app1"

func newFixture(t *testing.T, limits service.Limits) *fixture {
	t.Helper()
	f := &fixture{
		store: memory.New(), live: memory.NewLive(),
		access: &access{apps: map[string]bool{app: true}, roles: map[[2]string]string{
			{app, "m1"}: auth.RoleAttendee, {app, "m2"}: auth.RoleAttendee, {app, "org"}: auth.RoleOwner,
		}, blocked: map[[2]string]bool{{app, "m2"}: true}, staff: map[[2]string]bool{}, events: map[string][]string{app: {"e1"}}},
		now: time.Date(2026, 3, 14, 10, 30, 15, 0, time.UTC),
	}
	f.live.Now = f.clock
	f.svc = service.New(service.Options{
		Raw: f.store, Members: f.store, Rollups: f.store, Jobs: f.store, Live: f.live, Access: f.access,
		Limits: limits, Now: f.clock,
	})
	return f
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func member(user string) context.Context {
	return auth.WithCaller(context.Background(), auth.Caller{Kind: auth.CallerUser, User: user, App: app, Role: auth.RoleAttendee})
}

func organizer() context.Context {
	return auth.WithCaller(context.Background(), auth.Caller{Kind: auth.CallerUser, User: "org", App: app, Role: auth.RoleOwner})
}

func anonymous() context.Context { return context.Background() }

func view(id string, at time.Time) service.AppEvent {
	return service.AppEvent{ID: id, Type: analytics.TypeScreenView, At: at, Screen: "agenda"}
}

// TestTrackAccepted: what a valid batch counts.
func TestTrackAccepted(t *testing.T) {
	tests := []struct {
		name string
		ctx  context.Context
		evs  func(now time.Time) []service.AppEvent
		want service.Outcome
		// counts wanted in today's app-wide bucket
		counts            map[string]int64
		members, installs int64
	}{
		{
			name: "an anonymous install",
			ctx:  anonymous(),
			evs: func(now time.Time) []service.AppEvent {
				return []service.AppEvent{{ID: "1", Type: analytics.TypeAppOpen, At: now}, view("2", now)}
			},
			want:     service.Outcome{Accepted: 2},
			counts:   map[string]int64{analytics.CountSessions: 1, analytics.CountScreenViews: 1},
			installs: 1,
		},
		{
			name: "a member, every type",
			ctx:  member("m1"),
			evs: func(now time.Time) []service.AppEvent {
				return []service.AppEvent{
					{ID: "1", Type: analytics.TypeAppOpen, At: now},
					view("2", now),
					{ID: "3", Type: analytics.TypeTap, At: now, TargetType: analytics.TargetSpeaker, TargetID: "sp1"},
					{ID: "4", Type: analytics.TypeCustom, At: now, Name: "schedule.added", Props: map[string]any{"session": "s1", "n": 2.0, "push": true}},
					{ID: "5", Type: analytics.TypeAppClose, At: now, DurationMs: 60000},
				}
			},
			want: service.Outcome{Accepted: 5},
			counts: map[string]int64{analytics.CountSessions: 1, analytics.CountScreenViews: 1, analytics.CountTaps: 1,
				analytics.CountCustom: 1, analytics.CountSessionEnds: 1, analytics.CountSessionMs: 60000},
			members: 1, installs: 1,
		},
		{
			name: "the same id twice in a batch counts once",
			ctx:  anonymous(),
			evs: func(now time.Time) []service.AppEvent {
				return []service.AppEvent{view("1", now), view("1", now)}
			},
			want:     service.Outcome{Accepted: 1, Duplicates: 1},
			counts:   map[string]int64{analytics.CountScreenViews: 1},
			installs: 1,
		},
		{
			name: "an organizer's own use counts as their install's, not a member's",
			ctx:  organizer(),
			evs: func(now time.Time) []service.AppEvent {
				return []service.AppEvent{{ID: "1", Type: analytics.TypeAppOpen, At: now}}
			},
			want:     service.Outcome{Accepted: 1},
			counts:   map[string]int64{analytics.CountSessions: 1},
			installs: 1,
		},
		{
			name: "a staff member's too",
			ctx:  member("staff"),
			evs: func(now time.Time) []service.AppEvent {
				return []service.AppEvent{{ID: "1", Type: analytics.TypeAppOpen, At: now}}
			},
			want:     service.Outcome{Accepted: 1},
			counts:   map[string]int64{analytics.CountSessions: 1},
			installs: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, service.Limits{})
			f.access.roles[[2]string{app, "staff"}] = auth.RoleAttendee
			f.access.staff[[2]string{app, "staff"}] = true
			now := f.clock()
			out, err := f.svc.Track(tt.ctx, service.Batch{App: app, Install: "install-1", SentAt: now, Events: tt.evs(now)})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, out); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
			day := today(t, f)
			if diff := cmp.Diff(tt.counts, day.Counts); diff != "" {
				t.Errorf("today's counts (-want +got):\n%s", diff)
			}
			if day.Members != tt.members || day.Installs != tt.installs {
				t.Errorf("uniques = %d members, %d installs; want %d, %d", day.Members, day.Installs, tt.members, tt.installs)
			}
			if lb, _ := f.svc.Leaderboard(organizer(), app, 10); int64(len(lb)) != tt.members {
				t.Errorf("leaderboard = %+v; want %d members on it", lb, tt.members)
			}
		})
	}
}

func today(t *testing.T, f *fixture) service.Bucket {
	t.Helper()
	now := f.clock()
	bs, err := f.svc.Series(organizer(), service.Range{App: app, From: service.Day(now), To: service.Day(now).Add(time.Hour), Level: service.LevelDay})
	if err != nil {
		t.Fatal(err)
	}
	return bs[0]
}

// TestTrackRefused: events refused one by one, the rest of the batch taken.
func TestTrackRefused(t *testing.T) {
	tests := []struct {
		name   string
		ev     func(now time.Time) service.AppEvent
		reason string
	}{
		{"a tap without a target", func(now time.Time) service.AppEvent {
			return service.AppEvent{ID: "x", Type: analytics.TypeTap, At: now}
		}, "target_type"},
		{"a screen view without a screen", func(now time.Time) service.AppEvent {
			return service.AppEvent{ID: "x", Type: analytics.TypeScreenView, At: now}
		}, "needs a screen"},
		{"a custom event with a bad name", func(now time.Time) service.AppEvent {
			return service.AppEvent{ID: "x", Type: analytics.TypeCustom, At: now, Name: "Bad Name"}
		}, "name"},
		{"a prop that is an object", func(now time.Time) service.AppEvent {
			return service.AppEvent{ID: "x", Type: analytics.TypeCustom, At: now, Name: "ok", Props: map[string]any{"o": map[string]any{}}}
		}, "a string, a number or a boolean"},
		{"a prop text too long", func(now time.Time) service.AppEvent {
			return service.AppEvent{ID: "x", Type: analytics.TypeCustom, At: now, Name: "ok", Props: map[string]any{"t": strings.Repeat("a", 201)}}
		}, "longer than 200"},
		{"too many props", func(now time.Time) service.AppEvent {
			p := map[string]any{}
			for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"} {
				p[k] = 1.0
			}
			return service.AppEvent{ID: "x", Type: analytics.TypeCustom, At: now, Name: "ok", Props: p}
		}, "at most 8 props"},
		{"an unknown type", func(now time.Time) service.AppEvent {
			return service.AppEvent{ID: "x", Type: "purchase", At: now}
		}, "unknown type"},
		{"older than the accepted past", func(now time.Time) service.AppEvent {
			return view("x", now.Add(-analytics.MaxPast-time.Minute))
		}, "older than"},
		{"an event_id the app does not have", func(now time.Time) service.AppEvent {
			e := view("x", now)
			e.EventID = "made-up"
			return e
		}, "not an event of the app"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, service.Limits{})
			now := f.clock()
			out, err := f.svc.Track(anonymous(), service.Batch{App: app, Install: "install-1", SentAt: now, Events: []service.AppEvent{view("ok", now), tt.ev(now)}})
			if err != nil {
				t.Fatal(err)
			}
			if out.Accepted != 1 || len(out.Refused) != 1 || out.Refused[0].Index != 1 || !strings.Contains(out.Refused[0].Reason, tt.reason) {
				t.Errorf("outcome = %+v; want the first accepted, the second refused for %q", out, tt.reason)
			}
			if n := today(t, f).Counts[analytics.CountScreenViews]; n != 1 {
				t.Errorf("screen views = %d, want 1", n)
			}
		})
	}
}

// TestTrackFails: batches refused whole.
func TestTrackFails(t *testing.T) {
	tests := []struct {
		name  string
		ctx   context.Context
		app   string
		limit int
		code  errs.Code
	}{
		{"an anonymous install of an unknown app", anonymous(), "nope", 0, errs.CodeNotFound},
		{"a member token of another app", auth.WithCaller(context.Background(), auth.Caller{Kind: auth.CallerUser, User: "m1", App: "other"}), app, 0, errs.CodeTokenWrongApp},
		{"a blocked member", member("m2"), app, 0, errs.CodeForbidden},
		{"over the install's rate", anonymous(), app, 1, errs.CodeRateLimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, service.Limits{PerInstallPerMinute: tt.limit})
			now := f.clock()
			_, err := f.svc.Track(tt.ctx, service.Batch{App: tt.app, Install: "install-1", SentAt: now, Events: []service.AppEvent{view("1", now), view("2", now)}})
			if got := errs.CodeOf(err); got != tt.code {
				t.Fatalf("error = %v (code %v), want code %v", err, got, tt.code)
			}
			if tt.code == errs.CodeRateLimited {
				if e, _ := errs.As(err); e.RetryAfter <= 0 {
					t.Errorf("rate limited without a retry-after: %+v", e)
				}
			}
			if n := today(t, f).Counts[analytics.CountScreenViews]; n != 0 {
				t.Errorf("screen views = %d, want 0", n)
			}
		})
	}
}

// TestTrackClock: the app's clock is corrected by the batch's sent_at.
func TestTrackClock(t *testing.T) {
	tests := []struct {
		name    string
		sentAt  func(now time.Time) time.Time
		at      func(now time.Time) time.Time
		wantAt  func(now time.Time) time.Time
		skew    time.Duration
		clamped int
	}{
		{"an app an hour behind", func(n time.Time) time.Time { return n.Add(-time.Hour) }, func(n time.Time) time.Time { return n.Add(-time.Hour - 10*time.Minute) },
			func(n time.Time) time.Time { return n.Add(-10 * time.Minute) }, time.Hour, 0},
		{"an app two minutes ahead", func(n time.Time) time.Time { return n.Add(2 * time.Minute) }, func(n time.Time) time.Time { return n.Add(time.Minute) },
			func(n time.Time) time.Time { return n.Add(-time.Minute) }, -2 * time.Minute, 0},
		{"a broken clock (a year off): refused", func(n time.Time) time.Time { return n.AddDate(-1, 0, 0) }, func(n time.Time) time.Time { return n.AddDate(-1, 0, 0) },
			nil, 0, 0},
		{"a batch sent 37 hours ago: refused (it may have been counted)", func(n time.Time) time.Time { return n.Add(-37 * time.Hour) }, func(n time.Time) time.Time { return n.Add(-37 * time.Hour) },
			nil, 0, 0},
		{"an app 36 hours ahead", func(n time.Time) time.Time { return n.Add(36 * time.Hour) }, func(n time.Time) time.Time { return n.Add(35 * time.Hour) },
			func(n time.Time) time.Time { return n.Add(-time.Hour) }, -36 * time.Hour, 0},
		{"the future is clamped to now", func(n time.Time) time.Time { return n }, func(n time.Time) time.Time { return n.Add(time.Hour) },
			func(n time.Time) time.Time { return n }, 0, 1},
		{"no clock sent: taken as right", func(time.Time) time.Time { return time.Time{} }, func(n time.Time) time.Time { return n.Add(-3 * time.Minute) },
			func(n time.Time) time.Time { return n.Add(-3 * time.Minute) }, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, service.Limits{})
			now := f.clock()
			out, err := f.svc.Track(anonymous(), service.Batch{App: app, Install: "install-1", SentAt: tt.sentAt(now), Events: []service.AppEvent{view("1", tt.at(now))}})
			if err != nil {
				t.Fatal(err)
			}
			if out.Skew != tt.skew || out.Clamped != tt.clamped {
				t.Errorf("skew %v clamped %d, want %v, %d", out.Skew, out.Clamped, tt.skew, tt.clamped)
			}
			var got []time.Time
			_ = f.store.Scan(context.Background(), app, now.AddDate(-2, 0, 0), now.Add(time.Hour), func(evs []service.Event) error {
				for _, e := range evs {
					got = append(got, e.At)
				}
				return nil
			})
			var want []time.Time
			if tt.wantAt != nil {
				want = []time.Time{tt.wantAt(now)}
			} else if len(out.Refused) != 1 || !strings.Contains(out.Refused[0].Reason, "sent_at more than 36 h") {
				t.Errorf("refused = %+v, want the event refused for its sent_at", out.Refused)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("stored time (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTrackRetry: a batch sent again counts nothing new, also when the
// live state had missed it (a failure between the two stores).
func TestTrackRetry(t *testing.T) {
	f := newFixture(t, service.Limits{})
	now := f.clock()
	b := service.Batch{App: app, Install: "install-1", SentAt: now, Events: []service.AppEvent{view("1", now), view("2", now)}}
	if _, err := f.svc.Track(member("m1"), b); err != nil {
		t.Fatal(err)
	}
	b.SentAt = now.Add(-300 * time.Millisecond) // the retry's clock differs a little
	out, err := f.svc.Track(member("m1"), b)
	if err != nil {
		t.Fatal(err)
	}
	if out.Accepted != 0 || out.Duplicates != 2 {
		t.Errorf("retry outcome = %+v, want 2 duplicates", out)
	}
	if n := today(t, f).Counts[analytics.CountScreenViews]; n != 2 {
		t.Errorf("screen views = %d, want 2", n)
	}
	// The raw log has a batch the live state never saw (the process died
	// between the two): the retry counts it in the live state, once.
	lost := service.Event{App: app, Key: "a:install-1:3", Source: service.SourceApp, Kind: analytics.TypeScreenView, At: now, Install: "install-1", Screen: "x"}
	if _, err := f.store.Insert(context.Background(), []service.Event{lost}); err != nil {
		t.Fatal(err)
	}
	b.Events = []service.AppEvent{view("3", now)}
	if _, err := f.svc.Track(anonymous(), b); err != nil {
		t.Fatal(err)
	}
	if n := today(t, f).Counts[analytics.CountScreenViews]; n != 3 {
		t.Errorf("screen views after the retry of a half-recorded batch = %d, want 3", n)
	}
}

func publish(t *testing.T, f *fixture, typ, subject string, data any) events.Event {
	t.Helper()
	raw, _ := json.Marshal(data)
	ev := events.Event{ID: events.NewID(), Type: typ, App: app, Subject: subject, Time: f.clock(), Data: raw}
	if err := f.svc.HandleEvent(context.Background(), ev); err != nil {
		t.Fatalf("handle %s: %v", typ, err)
	}
	return ev
}

// TestHandleEvent: the other services' events, counted once each.
func TestHandleEvent(t *testing.T) {
	f := newFixture(t, service.Limits{})
	publish(t, f, hub.EventMemberCreated, "m1", hub.MemberPayload{ID: "m1", AppID: app})
	publish(t, f, social.EventPostCreated, "p1", social.PostPayload{ID: "p1", AppID: app, AuthorID: "m1", Photos: 2})
	publish(t, f, social.EventCommentCreated, "c1", social.CommentPayload{ID: "c1", AppID: app, PostID: "p1", AuthorID: "m2"})
	like := publish(t, f, social.EventLikeCreated, "p1", social.LikePayload{AppID: app, PostID: "p1", MemberID: "m3", Reaction: "like"})
	publish(t, f, social.EventLikeChanged, "p1", social.LikePayload{AppID: app, PostID: "p1", MemberID: "m3", Reaction: "love", Previous: "like"})
	// Sponsored's events as it publishes them: impressions by campaign and
	// counted batch (an impression again in a later batch, a replay, and
	// staff's own, left out), a click per impression (published twice).
	at := f.clock().Add(-time.Minute)
	i1 := sponsored.ImpressionPayload{ImpressionID: "i1", CampaignID: "c9", MemberID: "m1", At: at, Billable: true}
	staff := sponsored.ImpressionPayload{ImpressionID: "i2", CampaignID: "c9", MemberID: "m4", At: at, Internal: true}
	publish(t, f, sponsored.EventImpressions, "c9", sponsored.ImpressionsPayload{CampaignID: "c9", Impressions: []sponsored.ImpressionPayload{i1, staff}})
	publish(t, f, sponsored.EventImpressions, "c9", sponsored.ImpressionsPayload{CampaignID: "c9", Impressions: []sponsored.ImpressionPayload{i1}})
	publish(t, f, sponsored.EventClick, "c9", i1)
	publish(t, f, sponsored.EventClick, "c9", i1)
	publish(t, f, sponsored.EventClick, "c9", staff)
	// A redelivery changes nothing.
	if err := f.svc.HandleEvent(context.Background(), like); err != nil {
		t.Fatal(err)
	}
	// A payload that cannot be read is a permanent failure.
	bad := events.Event{ID: events.NewID(), Type: social.EventPostCreated, App: app, Subject: "p2", Time: f.clock(), Data: json.RawMessage(`[1]`)}
	if err := f.svc.HandleEvent(context.Background(), bad); err == nil {
		t.Error("an unreadable payload was accepted")
	}
	want := map[string]int64{
		analytics.CountJoined: 1, analytics.CountPosts: 1, analytics.CountPhotos: 2, analytics.CountComments: 1,
		analytics.CountReactions: 1, analytics.CountImpressions: 1, analytics.CountClicks: 1,
	}
	day := today(t, f)
	if diff := cmp.Diff(want, day.Counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if day.Members != 3 {
		t.Errorf("active members = %d, want 3 (m1, m2, m3: joining alone is not activity)", day.Members)
	}
	lb, _ := f.svc.Leaderboard(organizer(), app, 10)
	wantLB := []service.Scored{{ID: "m1", Score: 11}, {ID: "m2", Score: 5}, {ID: "m3", Score: 2}}
	if diff := cmp.Diff(wantLB, lb); diff != "" {
		t.Errorf("leaderboard (-want +got):\n%s", diff)
	}
	now := f.clock()
	campaigns, _, err := f.svc.Sponsored(organizer(), service.Range{App: app, From: service.Day(now), To: now})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]service.SponsoredItem{{ID: "c9", Impressions: 1, Clicks: 1}}, campaigns); diff != "" {
		t.Errorf("sponsored (-want +got):\n%s", diff)
	}
	top, _ := f.svc.Top(organizer(), service.Range{App: app, From: service.Day(now), To: now}, analytics.TopPosts, 5)
	if diff := cmp.Diff([]service.Scored{{ID: "p1", Score: 3}}, top); diff != "" {
		t.Errorf("top posts (-want +got):\n%s", diff)
	}
}

// TestQueriesNeedAnOrganizer: members and other apps' organizers are refused.
func TestQueriesNeedAnOrganizer(t *testing.T) {
	f := newFixture(t, service.Limits{})
	now := f.clock()
	r := service.Range{App: app, From: now.Add(-time.Hour), To: now}
	for name, ctx := range map[string]context.Context{
		"a member":            member("m1"),
		"an anonymous caller": anonymous(),
		"another app's owner": auth.WithCaller(context.Background(), auth.Caller{Kind: auth.CallerUser, User: "org", App: "other", Role: auth.RoleOwner}),
	} {
		if _, err := f.svc.Series(ctx, r); err == nil {
			t.Errorf("%s read the series", name)
		}
	}
	if _, err := f.svc.Series(organizer(), r); err != nil {
		t.Errorf("the organizer could not read: %v", err)
	}
}
