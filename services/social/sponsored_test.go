package social_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/rpc"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/socialtest"
	"github.com/attendify/sponsored"
	"github.com/attendify/sponsored/placement"
)

// publishSponsored writes an app's eligibility and live counters as
// sponsored does (the contract of the placement package), for campaigns
// with a budget of 100 and no caps.
func publishSponsored(t *testing.T, env *socialtest.Env, app string, every int, ids ...string) {
	t.Helper()
	ctx := context.Background()
	keys := placement.NewKeys(env.Namespace)
	elig := placement.Eligibility{Version: 1, Every: every}
	for _, id := range ids {
		elig.Campaigns = append(elig.Campaigns, placement.Entry{ID: id, Weight: 1, TimeZone: "UTC", End: time.Now().Add(time.Hour),
			Sponsor: sponsored.Sponsor{Name: "Acme"}, Text: "Meet Acme at booth " + id,
			CTA: sponsored.CTA{Kind: sponsored.CTALink, Label: "Visit"}})
		if err := env.Redis.HSet(ctx, keys.Live(app), placement.BudgetField(id), 100, placement.PaceField(id), 100).Err(); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := json.Marshal(elig)
	if err := env.Redis.Set(ctx, keys.Eligibility(app), b, 0).Err(); err != nil {
		t.Fatal(err)
	}
}

// TestSponsoredPlacement: the app's and an event's feed pages carry
// sponsored posts placed by sponsored's placement package (never first,
// one per N organic posts, never the same campaign twice, with the label,
// the campaign and a click link); other feeds carry none; the organic
// cursor is unchanged; a broken eligibility leaves the feed whole.
func TestSponsoredPlacement(t *testing.T) {
	env := socialtest.Start(t, socialtest.Options{})
	ctx := testkit.Context(t)
	ev := hub.EventInfo{ID: env.NewID(), Name: "Conf", TimeZone: "UTC", Visibility: hub.VisibilityPublic, Access: hub.EventAccessOpen}
	app := env.CreateApp(ev)
	ada := env.AddMember(app, "Ada", auth.RoleAttendee)
	for i := range 12 {
		if _, err := social.CreatePost.Call(ada.Ctx(ctx), env.Client, social.CreatePostParams{AppRef: rpc.AppRef{App: app}, EventID: ev.ID, Text: fmt.Sprintf("post %d #conf", i)}); err != nil {
			t.Fatal(err)
		}
	}
	feed := func(kind, id string, limit int) social.FeedPage {
		t.Helper()
		p, err := social.GetFeed.Call(ada.Ctx(ctx), env.Client, social.FeedParams{AppRef: rpc.AppRef{App: app}, Kind: kind, ID: id, Limit: limit})
		if err != nil {
			t.Fatalf("feed.get %s: %v", kind, err)
		}
		return p
	}
	without := feed(social.FeedApp, "", 12)
	publishSponsored(t, env, app, 5, "camp1", "camp2", "camp3")
	hasSponsored := func(p social.FeedPage) bool {
		return slices.ContainsFunc(p.Items, func(p social.Post) bool { return p.Sponsored != nil })
	}
	// The placer keeps an app's eligibility for a second (SPONSORED_ELIGIBILITY_TTL).
	testkit.Eventually(t, "the eligibility seen", func() bool { return hasSponsored(feed(social.FeedApp, "", 12)) })

	for _, f := range []struct{ kind, id string }{{social.FeedApp, ""}, {social.FeedEvent, ev.ID}} {
		page := feed(f.kind, f.id, 12)
		var at []int
		var camps []string
		for i, p := range page.Items {
			if p.Sponsored == nil {
				continue
			}
			at = append(at, i)
			camps = append(camps, p.Sponsored.CampaignID)
			if p.Sponsored.Label != sponsored.Label || p.ID != p.Sponsored.ImpressionID || p.Author.Name != "Acme" ||
				!strings.Contains(p.Sponsored.CTA.ClickURL, sponsored.ClickPath) {
				t.Errorf("%s feed: sponsored item %+v", f.kind, p)
			}
			// It names the feed's app, and the feed's event in an event's
			// feed, as the organic items of that feed do.
			if p.AppID != app || p.EventID != f.id {
				t.Errorf("%s feed: sponsored item of app %q, event %q; want %q, %q", f.kind, p.AppID, p.EventID, app, f.id)
			}
		}
		if !slices.Equal(at, []int{5, 11}) {
			t.Errorf("%s feed: sponsored at %v of %d items, want [5 11]", f.kind, at, len(page.Items))
		}
		if len(camps) == 2 && camps[0] == camps[1] {
			t.Errorf("%s feed: campaign %s twice on one page", f.kind, camps[0])
		}
		if page.NextCursor != without.NextCursor {
			t.Errorf("%s feed: cursor %q, without sponsored %q", f.kind, page.NextCursor, without.NextCursor)
		}
	}
	for _, f := range []struct{ kind, id string }{{social.FeedHashtag, "conf"}, {social.FeedMember, ada.ID}} {
		for _, p := range feed(f.kind, f.id, 12).Items {
			if p.Sponsored != nil {
				t.Errorf("%s feed carries a sponsored item", f.kind)
			}
		}
	}
	// Short pages get none: fewer organic posts than N.
	if hasSponsored(feed(social.FeedApp, "", 4)) {
		t.Error("a page of 4 organic posts carries a sponsored item (N is 5)")
	}
	// A broken eligibility document: the feed is served, without sponsored items.
	if err := env.Redis.Set(ctx, placement.NewKeys(env.Namespace).Eligibility(app), "{not json", 0).Err(); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the feed without sponsored items", func() bool {
		page := feed(social.FeedApp, "", 12)
		return len(page.Items) == 12 && !hasSponsored(page)
	})
}
