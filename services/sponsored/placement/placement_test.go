package placement_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/placement"
)

type env struct {
	t    *testing.T
	rdb  redis.UniversalClient
	keys placement.Keys
	p    *placement.Placer
	now  time.Time
	app  string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	rdb, ns := testkit.Redis(t)
	e := &env{t: t, rdb: rdb, keys: placement.NewKeys(ns), now: time.Date(2026, 6, 1, 10, 30, 0, 0, time.UTC), app: "app1"}
	cfg := placement.Config{Enabled: true, PublicURL: "http://sp.test", Timeout: 5 * time.Second, CacheTTL: 0}
	if err := cfg.LinkKeys.UnmarshalText([]byte(placement.DevLinkKey)); err != nil {
		t.Fatal(err)
	}
	p, err := placement.New(cfg, placement.Options{Redis: rdb, Namespace: ns, Now: func() time.Time { return e.now }})
	if err != nil {
		t.Fatal(err)
	}
	e.p = p
	return e
}

func entry(id string, caps sponsored.Caps) placement.Entry {
	return placement.Entry{ID: id, Weight: 1, TimeZone: "UTC", End: time.Date(2026, 6, 3, 0, 0, 0, 0, time.UTC), Caps: caps,
		Sponsor: sponsored.Sponsor{Name: "Acme " + id}, Text: "Buy " + id,
		CTA: sponsored.CTA{Kind: sponsored.CTALink, Label: "Go", URL: "https://acme.test/" + id}}
}

// publish writes the eligibility and the live counters as sponsored does.
func (e *env) publish(every int, budget, pace int64, entries ...placement.Entry) {
	e.t.Helper()
	ctx := context.Background()
	b, _ := json.Marshal(placement.Eligibility{Version: 1, Every: every, Campaigns: entries})
	if err := e.rdb.Set(ctx, e.keys.Eligibility(e.app), b, 0).Err(); err != nil {
		e.t.Fatal(err)
	}
	for _, en := range entries {
		if err := e.rdb.HSet(ctx, e.keys.Live(e.app), placement.BudgetField(en.ID), budget, placement.PaceField(en.ID), pace).Err(); err != nil {
			e.t.Fatal(err)
		}
	}
}

func (e *env) served(c string) int64 {
	n, _ := e.rdb.HGet(context.Background(), e.keys.Live(e.app), placement.ServedField(c)).Int64()
	return n
}

func (e *env) records() int {
	msgs, err := e.rdb.XRange(context.Background(), e.keys.Records(e.app), "-", "+").Result()
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, m := range msgs {
		n += len(strings.Fields(m.Values[placement.RecItems].(string))) / 2
	}
	return n
}

func member(id string) placement.Viewer { return placement.Viewer{Member: id, MemberRole: "attendee"} }

func TestSlotsNeverFirstOnePerEvery(t *testing.T) {
	e := newEnv(t)
	e.publish(5, 1000, 1000, entry("c1", sponsored.Caps{}), entry("c2", sponsored.Caps{}), entry("c3", sponsored.Caps{}))
	for _, tc := range []struct {
		organic int
		after   []int
	}{{4, nil}, {5, []int{4}}, {9, []int{4}}, {10, []int{4, 9}}, {20, []int{4, 9, 14}}} {
		slots := e.p.Fill(context.Background(), e.app, "", member(fmt.Sprintf("m%d", tc.organic)), tc.organic)
		var after []int
		seen := map[string]bool{}
		for _, s := range slots {
			after = append(after, s.After)
			if seen[s.Card.CampaignID] {
				t.Errorf("%d organic: campaign %s twice on one page", tc.organic, s.Card.CampaignID)
			}
			seen[s.Card.CampaignID] = true
			if s.Card.Label != sponsored.Label || s.Card.ImpressionID == "" || !strings.HasPrefix(s.Card.CTA.ClickURL, "http://sp.test/c/") {
				t.Errorf("card %+v", s.Card)
			}
		}
		if !slices.Equal(after, tc.after) {
			t.Errorf("%d organic: slots after %v, want %v (3 campaigns)", tc.organic, after, tc.after)
		}
	}
}

func TestInsert(t *testing.T) {
	slots := []placement.Slot{{After: 1, Card: sponsored.Card{CampaignID: "a"}}, {After: 3, Card: sponsored.Card{CampaignID: "b"}}}
	got := placement.Insert([]string{"1", "2", "3", "4"}, slots, func(c sponsored.Card) string { return c.CampaignID })
	if want := []string{"1", "2", "a", "3", "4", "b"}; !slices.Equal(got, want) {
		t.Errorf("got %v want %v", got, want)
	}
}

// TestCapsUnderConcurrency: 64 clients read pages as one member at once;
// the caps hold exactly, and every charge has its record.
func TestCapsUnderConcurrency(t *testing.T) {
	for _, tc := range []struct {
		name   string
		caps   sponsored.Caps
		budget int64
		want   int64
	}{
		{"per hour", sponsored.Caps{PerHour: 7, PerDay: 100, PerFlight: 100}, 1000, 7},
		{"per day", sponsored.Caps{PerDay: 5}, 1000, 5},
		{"per flight", sponsored.Caps{PerFlight: 9}, 1000, 9},
		{"budget", sponsored.Caps{}, 13, 13},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.publish(5, tc.budget, tc.budget, entry("c1", tc.caps))
			var wg sync.WaitGroup
			for range 64 {
				wg.Go(func() {
					for range 4 {
						e.p.Fill(context.Background(), e.app, "", member("hot"), 5)
					}
				})
			}
			wg.Wait()
			if got := e.served("c1"); got != tc.want {
				t.Errorf("served %d, want %d", got, tc.want)
			}
			if got := e.records(); int64(got) != tc.want {
				t.Errorf("%d impression records, want %d", got, tc.want)
			}
		})
	}
}

func TestWindowsRoll(t *testing.T) {
	e := newEnv(t)
	e.publish(5, 1000, 1000, entry("c1", sponsored.Caps{PerHour: 1, PerDay: 2, PerFlight: 3}))
	fill := func() int { return len(e.p.Fill(context.Background(), e.app, "", member("m"), 5)) }
	steps := []struct {
		advance time.Duration
		want    int
	}{{0, 1}, {0, 0}, {time.Hour, 1}, {time.Hour, 0}, {24 * time.Hour, 1}, {time.Hour, 0}}
	for i, s := range steps {
		e.now = e.now.Add(s.advance)
		if got := fill(); got != s.want {
			t.Fatalf("step %d (%s): %d items, want %d", i, e.now, got, s.want)
		}
	}
}

func TestPacingAndHiddenAndTargeting(t *testing.T) {
	e := newEnv(t)
	tgt := entry("c2", sponsored.Caps{})
	tgt.Targeting = sponsored.Targeting{Events: []string{"ev1"}, MemberRoles: []string{"speaker"}}
	e.publish(5, 100, 2, entry("c1", sponsored.Caps{}), tgt)
	ctx := context.Background()
	n := 0
	for i := range 10 {
		n += len(e.p.Fill(ctx, e.app, "", member(fmt.Sprint("m", i)), 5))
	}
	if n != 2 || e.served("c1") != 2 || e.served("c2") != 0 {
		t.Errorf("pacing target 2: %d items, c1 served %d, c2 %d", n, e.served("c1"), e.served("c2"))
	}
	speaker := placement.Viewer{Member: "s1", MemberRole: "speaker", Registered: []string{"ev1"}}
	if got := e.p.Fill(ctx, e.app, "", speaker, 5); len(got) != 1 || got[0].Card.CampaignID != "c2" {
		t.Errorf("targeted speaker got %+v", got)
	}
	if err := e.rdb.HSet(ctx, e.keys.Member(e.app, "s2"), placement.HiddenField("c2"), "1").Err(); err != nil {
		t.Fatal(err)
	}
	speaker.Member = "s2"
	if got := e.p.Fill(ctx, e.app, "ev1", speaker, 5); len(got) != 0 {
		t.Errorf("a hidden campaign served: %+v", got)
	}
	if got := e.p.Fill(ctx, e.app, "", placement.Viewer{Member: "a", MemberRole: "attendee", Registered: []string{"ev1"}}, 5); len(got) != 0 {
		t.Errorf("role targeting ignored: %+v", got)
	}
}

func TestInternalSpendsNoBudget(t *testing.T) {
	e := newEnv(t)
	e.publish(5, 10, 10, entry("c1", sponsored.Caps{PerHour: 2}))
	org := placement.Viewer{Member: "o", Organizer: true, Internal: true}
	for range 5 {
		e.p.Fill(context.Background(), e.app, "", org, 5)
	}
	if e.served("c1") != 0 || e.records() != 2 {
		t.Errorf("organizer: served %d, records %d; want 0 and 2 (capped)", e.served("c1"), e.records())
	}
}

func TestRedisDownServesNothing(t *testing.T) {
	e := newEnv(t)
	e.publish(5, 10, 10, entry("c1", sponsored.Caps{}))
	cfg := placement.Config{Enabled: true, Timeout: time.Second}
	_ = cfg.LinkKeys.UnmarshalText([]byte(placement.DevLinkKey))
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer dead.Close()
	p, err := placement.New(cfg, placement.Options{Redis: dead})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Fill(context.Background(), e.app, "", member("m"), 20); got != nil {
		t.Errorf("got %v with Redis down", got)
	}
	// No eligibility published: nothing, no error.
	e.app = "other"
	if got := e.p.Fill(context.Background(), e.app, "", member("m"), 20); got != nil {
		t.Errorf("got %v without eligibility", got)
	}
}

func TestSigner(t *testing.T) {
	var keys, other = placement.Config{}, placement.Config{}
	_ = keys.LinkKeys.UnmarshalText([]byte(placement.DevLinkKey))
	_ = other.LinkKeys.UnmarshalText([]byte("k2:" + strings.Repeat("A", 43)))
	s, _ := placement.NewSigner(keys.LinkKeys)
	s2, _ := placement.NewSigner(other.LinkKeys)
	tok := s.ClickToken(placement.ClickRef{App: "app", Campaign: "c", Impression: "imp", Member: "m"})
	ref, err := s.VerifyClick(tok)
	if err != nil || ref != (placement.ClickRef{App: "app", Campaign: "c", Impression: "imp", Member: "m"}) {
		t.Fatalf("verify: %+v %v", ref, err)
	}
	bad := []string{"", tok + "x", strings.Replace(tok, "dev.", "k2.", 1), tok[:len(tok)-2] + "AA", s.Sign("report", "app", "c", "imp", "m")}
	for _, b := range bad {
		if _, err := s.VerifyClick(b); err == nil {
			t.Errorf("accepted %q", b)
		}
	}
	if _, err := s2.VerifyClick(tok); err == nil {
		t.Error("another key verified the token")
	}
	// The signing state is reused: many tokens, each as the first.
	for i := range 50 {
		imp := strings.Repeat("i", i)
		tok2 := s.ClickToken(placement.ClickRef{App: "app", Campaign: "c", Impression: imp, Member: "m"})
		if ref, err := s.VerifyClick(tok2); err != nil || ref.Impression != imp {
			t.Fatalf("token %d: %+v %v", i, ref, err)
		}
	}
	if again := s.ClickToken(placement.ClickRef{App: "app", Campaign: "c", Impression: "imp", Member: "m"}); again != tok {
		t.Errorf("the same click signed twice: %s, then %s", tok, again)
	}
}

// Targets narrows by each list given, and only by those: events (registered,
// read or any for organizers), conference roles, and ticket types in any
// case, as hub's ticket filter compares them.
func TestTargets(t *testing.T) {
	vip := sponsored.Targeting{TicketTypes: []string{"VIP pass", "Speaker"}}
	for _, c := range []struct {
		name  string
		t     sponsored.Targeting
		event string
		v     placement.Viewer
		want  bool
	}{
		{"no targeting", sponsored.Targeting{}, "", placement.Viewer{Member: "m"}, true},
		{"ticket type matches", vip, "", placement.Viewer{TicketType: "VIP pass"}, true},
		{"ticket type in another case", vip, "", placement.Viewer{TicketType: "vip PASS"}, true},
		{"other ticket type", vip, "", placement.Viewer{TicketType: "Standard"}, false},
		{"no ticket type", vip, "", placement.Viewer{}, false},
		{"role and ticket both needed", sponsored.Targeting{MemberRoles: []string{"speaker"}, TicketTypes: []string{"VIP pass"}},
			"", placement.Viewer{MemberRole: "attendee", TicketType: "VIP pass"}, false},
		{"event read", sponsored.Targeting{Events: []string{"e1"}}, "e1", placement.Viewer{}, true},
		{"event registered", sponsored.Targeting{Events: []string{"e1"}}, "", placement.Viewer{Registered: []string{"e0", "e1"}}, true},
		{"event neither", sponsored.Targeting{Events: []string{"e1"}}, "e2", placement.Viewer{Registered: []string{"e2"}}, false},
		{"organizer sees every event's", sponsored.Targeting{Events: []string{"e1"}}, "", placement.Viewer{Organizer: true}, true},
	} {
		if got := placement.Targets(c.t, c.event, c.v); got != c.want {
			t.Errorf("%s: Targets = %v, want %v", c.name, got, c.want)
		}
	}
}

// ViewerOf takes what targeting needs from hub's membership.
func TestViewerOf(t *testing.T) {
	v := placement.ViewerOf(hub.Membership{App: "a", User: "u", Role: auth.RoleAttendee, MemberRole: hub.MemberStaff,
		TicketType: "VIP", Registered: []string{"e1"}})
	want := placement.Viewer{Member: "u", Internal: true, MemberRole: hub.MemberStaff, TicketType: "VIP", Registered: []string{"e1"}}
	if diff := cmp.Diff(want, v); diff != "" {
		t.Errorf("ViewerOf (-want +got):\n%s", diff)
	}
}
