package redisstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/platform/flake"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/service"
	"github.com/attendify/social/internal/store/redisstore"
)

func TestFeedPagesNewestFirst(t *testing.T) {
	rdb, ns := testkit.Redis(t)
	s := redisstore.New(rdb, ns)
	ctx := testkit.Context(t)
	ids := flake.New(0)
	var all []string
	for i := range 7 {
		id := ids.Next().String()
		all = append([]string{id}, all...)
		e := service.IndexEntry{App: "a1", ID: id, Author: fmt.Sprint("m", i%2), Hashtags: []string{"go"}}
		if err := s.Add(ctx, e, nil); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	after := ""
	for {
		page, _, err := s.Page(ctx, "a1", service.Feed{Kind: social.FeedApp}, after, 3)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page...)
		if len(page) < 3 {
			break
		}
		after = page[len(page)-1]
	}
	if diff := cmp.Diff(all, got); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
	if page, _, _ := s.Page(ctx, "a2", service.Feed{Kind: social.FeedApp}, "", 10); len(page) != 0 {
		t.Errorf("another app's feed: %v", page)
	}
	if page, _, _ := s.Page(ctx, "a1", service.Feed{Kind: social.FeedMember, ID: "m0"}, "", 10); len(page) != 4 {
		t.Errorf("member feed: %v", page)
	}
}

func TestCacheEntries(t *testing.T) {
	rdb, ns := testkit.Redis(t)
	s := redisstore.New(rdb, ns)
	ctx := testkit.Context(t)
	doc := &social.PostDoc{ID: "post:p1", Type: social.DocPost, App: "a1", Author: "m1", Text: "v1", CreatedAt: time.Now().UTC()}
	cp := &service.CachedPost{Doc: doc, Counts: service.Counts{Reactions: map[string]int64{"like": 2}, Comments: 1}}
	if err := s.CachePost(ctx, "a1", cp); err != nil {
		t.Fatal(err)
	}
	// A second fill does not overwrite; a reaction moves the counters.
	doc2 := *doc
	doc2.Text = "stale"
	_ = s.CachePost(ctx, "a1", &service.CachedPost{Doc: &doc2})
	if err := s.ApplyReaction(ctx, "a1", "p1", "m2", "like", "love"); err != nil {
		t.Fatal(err)
	}
	items, _, loaded, err := s.Items(ctx, "a1", "m2", []string{"p1", "p2"})
	if err != nil {
		t.Fatal(err)
	}
	if loaded || items[1] != nil || items[0].Doc.Text != "v1" {
		t.Fatalf("items = %+v %+v, loaded %v", items[0], items[1], loaded)
	}
	if diff := cmp.Diff(service.Counts{Reactions: map[string]int64{"like": 1, "love": 1}, Comments: 1}, items[0].Counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	// After a drop, a reader's stale copy is not cached again.
	if err := s.DropPost(ctx, "a1", "p1"); err != nil {
		t.Fatal(err)
	}
	_ = s.CachePost(ctx, "a1", &service.CachedPost{Doc: &doc2})
	items, _, _, _ = s.Items(ctx, "a1", "m2", []string{"p1"})
	if items[0] != nil {
		t.Errorf("a stale copy was cached over the tombstone: %+v", items[0].Doc)
	}
	// A member's reactions are cached once loaded, and follow changes.
	if err := s.CacheMemberReactions(ctx, "a1", "m2", map[string]string{"p9": "wow"}); err != nil {
		t.Fatal(err)
	}
	_ = s.ApplyReaction(ctx, "a1", "p1", "m2", "", "clap")
	_, mine, loaded, _ := s.Items(ctx, "a1", "m2", []string{"p1", "p9"})
	if diff := cmp.Diff(map[string]string{"p1": "clap", "p9": "wow"}, mine); diff != "" || !loaded {
		t.Errorf("mine (-want +got):\n%s (loaded %v)", diff, loaded)
	}
}

func TestRateLimiter(t *testing.T) {
	rdb, ns := testkit.Redis(t)
	s := redisstore.New(rdb, ns)
	ctx := context.Background()
	l := service.Limit{Burst: 3, Per: time.Hour}
	for i := range 3 {
		if wait, err := s.Allow(ctx, "a1", "m1", "post", l); err != nil || wait != 0 {
			t.Fatalf("call %d: wait %v err %v", i, wait, err)
		}
	}
	wait, err := s.Allow(ctx, "a1", "m1", "post", l)
	if err != nil || wait <= 0 || wait > time.Hour {
		t.Errorf("4th call: wait %v err %v, want a wait up to an hour", wait, err)
	}
	if wait, _ := s.Allow(ctx, "a1", "m2", "post", l); wait != 0 {
		t.Errorf("another member waits %v", wait)
	}
}
