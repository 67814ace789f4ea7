package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/platform/flake"
	"github.com/attendify/platform/testkit"
	"github.com/attendify/social"
	"github.com/attendify/social/internal/service"
)

// Index is what the Redis index implements.
type Index interface {
	service.FeedIndex
	service.PostCache
	service.ProfileCache
	service.RateLimiter
	service.PendingUploads
}

// RunIndex runs the contract of FeedIndex, PostCache, ProfileCache and
// RateLimiter and PendingUploads; newIndex returns an empty index.
func RunIndex(t *testing.T, newIndex func(t *testing.T) Index) {
	t.Run("feed pages newest first", func(t *testing.T) {
		s := newIndex(t)
		ctx := testkit.Context(t)
		ids := flake.New(0)
		var all []string
		for i := range 7 {
			id := ids.Next().String()
			all = append([]string{id}, all...)
			e := service.IndexEntry{App: App, ID: id, Author: fmt.Sprint("m", i%2), Hashtags: []string{"go"}}
			if err := s.Add(ctx, e, nil); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		after := ""
		for {
			page, _, err := s.Page(ctx, App, service.Feed{Kind: social.FeedApp}, after, 3)
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
		if page, _, _ := s.Page(ctx, App, service.Feed{Kind: social.FeedMember, ID: "m0"}, "", 10); len(page) != 4 {
			t.Errorf("member feed: %v", page)
		}
		if page, _, _ := s.Page(ctx, App, service.Feed{Kind: social.FeedHashtag, ID: "go"}, "", 10); len(page) != 7 {
			t.Errorf("hashtag feed: %v", page)
		}
		// Out of every feed it was in.
		gone := service.IndexEntry{App: App, ID: all[0], Author: "m0", Hashtags: []string{"go"}}
		if err := s.Remove(ctx, gone); err != nil {
			t.Fatal(err)
		}
		for _, f := range gone.Feeds() {
			page, _, _ := s.Page(ctx, App, f, "", 10)
			for _, id := range page {
				if id == gone.ID {
					t.Errorf("removed post still in feed %v", f)
				}
			}
		}
	})

	t.Run("rebuild", func(t *testing.T) {
		s := newIndex(t)
		ctx := testkit.Context(t)
		if _, built, err := s.Page(ctx, App, service.Feed{Kind: social.FeedApp}, "", 10); built || err != nil {
			t.Fatalf("a new index is built: %v, %v", built, err)
		}
		loads := 0
		load := func(add func(service.IndexEntry)) error {
			loads++
			add(service.IndexEntry{App: App, ID: "p1", Event: "e1", Author: "m1"})
			add(service.IndexEntry{App: App, ID: "p2", Event: "e1", Session: "s1", Author: "m1"})
			return nil
		}
		for range 2 {
			if err := s.Rebuild(ctx, App, load); err != nil {
				t.Fatal(err)
			}
		}
		if loads != 1 {
			t.Errorf("a built index was loaded %d times", loads)
		}
		for f, want := range map[service.Feed][]string{
			{Kind: social.FeedApp}:                {"p1"},
			{Kind: social.FeedEvent, ID: "e1"}:    {"p1"},
			{Kind: social.FeedSession, ID: "s1"}:  {"p2"},
			{Kind: social.FeedMember, ID: "m1"}:   {"p2", "p1"},
			{Kind: social.FeedHashtag, ID: "tag"}: {},
		} {
			page, built, err := s.Page(ctx, App, f, "", 10)
			if err != nil || !built {
				t.Fatalf("Page(%v) after a rebuild: built %v, %v", f, built, err)
			}
			if diff := cmp.Diff(want, page, cmpEmpty); diff != "" {
				t.Errorf("feed %v (-want +got):\n%s", f, diff)
			}
		}
	})

	t.Run("cache entries", func(t *testing.T) {
		s := newIndex(t)
		ctx := testkit.Context(t)
		doc := &service.Post{ID: "p1", Rev: "1-a", App: App, Author: "m1", Text: "v1", CreatedAt: time.Now().UTC()}
		cp := &service.CachedPost{Doc: doc, Counts: service.Counts{Reactions: map[string]int64{"like": 2}, Comments: 1, Version: 3}}
		if err := s.CachePost(ctx, App, cp); err != nil {
			t.Fatal(err)
		}
		// A second fill does not overwrite the document, nor the counters
		// with older ones; a reaction's and a comment's counters replace
		// them.
		doc2 := *doc
		doc2.Text, doc2.Rev = "stale", "2-b"
		_ = s.CachePost(ctx, App, &service.CachedPost{Doc: &doc2, Counts: service.Counts{Version: 2}})
		reacted := service.Counts{Reactions: map[string]int64{"like": 1, "love": 1}, Comments: 1, Version: 4}
		if err := s.ApplyReaction(ctx, service.Reaction{App: App, Post: "p1", Member: "m2", Kind: "love"}, &reacted); err != nil {
			t.Fatal(err)
		}
		if err := s.SetCounts(ctx, App, "p1", service.Counts{Reactions: map[string]int64{"like": 1, "love": 1}, Comments: 3, Version: 5}); err != nil {
			t.Fatal(err)
		}
		items, _, loaded, err := s.Items(ctx, App, "m2", []string{"p1", "p2"})
		if err != nil {
			t.Fatal(err)
		}
		if loaded || items[1] != nil || items[0].Doc.Text != "v1" {
			t.Fatalf("items = %+v %+v, loaded %v", items[0], items[1], loaded)
		}
		if diff := cmp.Diff(service.Counts{Reactions: map[string]int64{"like": 1, "love": 1}, Comments: 3, Version: 5}, items[0].Counts); diff != "" {
			t.Errorf("counts (-want +got):\n%s", diff)
		}
		// A copy handed out is the caller's.
		items[0].Doc.Text = "changed by a caller"
		if again, _, _, _ := s.Items(ctx, App, "m2", []string{"p1"}); again[0].Doc.Text != "v1" {
			t.Errorf("a caller's change reached the cache: %q", again[0].Doc.Text)
		}
		// After a drop, a reader's stale copy is not cached again, and
		// writers change nothing.
		if err := s.DropPost(ctx, App, "p1", ""); err != nil {
			t.Fatal(err)
		}
		_ = s.CachePost(ctx, App, &service.CachedPost{Doc: &doc2, Counts: service.Counts{Version: 9}})
		_ = s.SetCounts(ctx, App, "p1", service.Counts{Comments: 4, Version: 6})
		items, _, _, _ = s.Items(ctx, App, "m2", []string{"p1"})
		if items[0] != nil {
			t.Errorf("a stale copy was cached over the tombstone: %+v", items[0].Doc)
		}
		// A member's reactions are cached once loaded, and follow changes.
		fill, err := s.StartMemberReactions(ctx, App, "m2")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CacheMemberReactions(ctx, App, "m2", fill, map[string]string{"p9": "wow"}); err != nil {
			t.Fatal(err)
		}
		_ = s.CacheMemberReactions(ctx, App, "m2", fill, map[string]string{"p9": "haha"}) // cached already
		again, _ := s.StartMemberReactions(ctx, App, "m2")
		_ = s.CacheMemberReactions(ctx, App, "m2", again, map[string]string{"p9": "haha"}) // cached already
		_ = s.ApplyReaction(ctx, service.Reaction{App: App, Post: "p1", Member: "m2", Kind: "clap"}, nil)
		_, mine, loaded, _ := s.Items(ctx, App, "m2", []string{"p1", "p9"})
		if diff := cmp.Diff(map[string]string{"p1": "clap", "p9": "wow"}, mine); diff != "" || !loaded {
			t.Errorf("mine (-want +got):\n%s (loaded %v)", diff, loaded)
		}
		_ = s.ApplyReaction(ctx, service.Reaction{App: App, Post: "p9", Member: "m2", Kind: ""}, nil)
		if _, mine, _, _ := s.Items(ctx, App, "m2", []string{"p1", "p9"}); !cmp.Equal(map[string]string{"p1": "clap"}, mine) {
			t.Errorf("mine after a removal: %v", mine)
		}
		// Nothing of a member is cached until loaded.
		_ = s.ApplyReaction(ctx, service.Reaction{App: App, Post: "p1", Member: "m3", Kind: "like"}, nil)
		if _, mine, loaded, _ := s.Items(ctx, App, "m3", []string{"p1"}); loaded || len(mine) != 0 {
			t.Errorf("m3's reactions: %v, loaded %v", mine, loaded)
		}
		if _, _, loaded, _ := s.Items(ctx, App, "", []string{"p1"}); !loaded {
			t.Error("no member: not loaded")
		}
	})

	t.Run("a member's reactions are filled only by a fill no reaction cancelled", func(t *testing.T) {
		s := newIndex(t)
		ctx := testkit.Context(t)
		mine := func(member string) (map[string]string, bool) {
			t.Helper()
			_, mine, loaded, err := s.Items(ctx, App, member, []string{"p1", "p2"})
			if err != nil {
				t.Fatal(err)
			}
			return mine, loaded
		}
		// A reaction applied between a fill's start (its reader's read) and
		// its caching: the fill read before it, and is refused.
		fill, err := s.StartMemberReactions(ctx, App, "m1")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ApplyReaction(ctx, service.Reaction{App: App, Post: "p1", Member: "m1", Kind: "like"}, nil); err != nil {
			t.Fatal(err)
		}
		_ = s.CacheMemberReactions(ctx, App, "m1", fill, map[string]string{"p2": "wow"})
		if got, loaded := mine("m1"); loaded {
			t.Errorf("a fill read before a reaction was cached: %v", got)
		}
		// The next fill, started after it, is cached.
		fill, _ = s.StartMemberReactions(ctx, App, "m1")
		_ = s.CacheMemberReactions(ctx, App, "m1", fill, map[string]string{"p1": "like", "p2": "wow"})
		if got, loaded := mine("m1"); !loaded || !cmp.Equal(map[string]string{"p1": "like", "p2": "wow"}, got) {
			t.Errorf("m1's reactions = %v (loaded %v)", got, loaded)
		}
		// Two fills: the later one started cancels the earlier.
		first, _ := s.StartMemberReactions(ctx, App, "m2")
		second, _ := s.StartMemberReactions(ctx, App, "m2")
		_ = s.CacheMemberReactions(ctx, App, "m2", first, map[string]string{"p1": "haha"})
		if got, loaded := mine("m2"); loaded {
			t.Errorf("an earlier fill was cached: %v", got)
		}
		_ = s.CacheMemberReactions(ctx, App, "m2", second, map[string]string{"p1": "clap"})
		if got, _ := mine("m2"); !cmp.Equal(map[string]string{"p1": "clap"}, got) {
			t.Errorf("m2's reactions = %v", got)
		}
		// A fill never started, or of another member, is refused.
		_ = s.CacheMemberReactions(ctx, App, "m3", "not-a-fill", map[string]string{"p1": "like"})
		other, _ := s.StartMemberReactions(ctx, App, "m4")
		_ = s.CacheMemberReactions(ctx, App, "m3", other, map[string]string{"p1": "like"})
		if got, loaded := mine("m3"); loaded {
			t.Errorf("m3's reactions cached without their fill: %v", got)
		}
	})

	t.Run("a post dropped at a revision takes a refill of that revision at once", func(t *testing.T) {
		s := newIndex(t)
		ctx := testkit.Context(t)
		at := func(rev, text string) *service.CachedPost {
			return &service.CachedPost{Doc: &service.Post{ID: "p1", Rev: rev, App: App, Author: "m1", Text: text, CreatedAt: time.Now().UTC()},
				Counts: service.Counts{Reactions: map[string]int64{}}}
		}
		text := func() string {
			t.Helper()
			items, _, _, err := s.Items(ctx, App, "", []string{"p1"})
			if err != nil {
				t.Fatal(err)
			}
			if items[0] == nil {
				return "<missing>"
			}
			return items[0].Doc.Text
		}
		_ = s.CachePost(ctx, App, at("1-a", "v1"))
		if err := s.DropPost(ctx, App, "p1", "2-b"); err != nil { // an edit stored 2-b
			t.Fatal(err)
		}
		if got := text(); got != "<missing>" {
			t.Fatalf("after the drop: %q", got)
		}
		_ = s.CachePost(ctx, App, at("1-a", "v1")) // read before the edit
		if got := text(); got != "<missing>" {
			t.Errorf("a copy older than the floor was cached: %q", got)
		}
		_ = s.CachePost(ctx, App, at("2-b", "v2")) // read after it
		if got := text(); got != "v2" {
			t.Errorf("the edited revision was not cached at once: %q", got)
		}
		_ = s.DropPost(ctx, App, "p1", "2-b") // late: the entry holds that change
		if got := text(); got != "v2" {
			t.Errorf("a late drop of a held revision dropped it: %q", got)
		}
		_ = s.DropPost(ctx, App, "p1", "10-c") // generations compare as numbers
		_ = s.CachePost(ctx, App, at("9-z", "v9"))
		_ = s.SetCounts(ctx, App, "p1", service.Counts{Comments: 1, Version: 1})
		if got := text(); got != "<missing>" {
			t.Errorf("a copy of generation 9 was cached over a floor at 10: %q", got)
		}
		_ = s.CachePost(ctx, App, at("10-c", "v10"))
		if got := text(); got != "v10" {
			t.Errorf("after the floor at 10: %q", got)
		}
		// Taking a post out of its feeds leaves its cache entry to DropPost.
		if err := s.Remove(ctx, service.IndexEntry{App: App, ID: "p1", Author: "m1"}); err != nil {
			t.Fatal(err)
		}
		if got := text(); got != "v10" {
			t.Errorf("Remove dropped the cache entry: %q", got)
		}
	})

	t.Run("counters are taken by version, whatever the order", func(t *testing.T) {
		s := newIndex(t)
		ctx := testkit.Context(t)
		doc := func(rev string) *service.Post {
			return &service.Post{ID: "p1", Rev: rev, App: App, Author: "m1", Text: "v" + rev, CreatedAt: time.Now().UTC()}
		}
		at := func(version, likes int64) service.Counts {
			return service.Counts{Reactions: map[string]int64{"like": likes}, Version: version}
		}
		likes := func(when string, want int64) {
			t.Helper()
			items, _, _, err := s.Items(ctx, App, "", []string{"p1"})
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case items[0] == nil && want >= 0:
				t.Errorf("%s: missing, want %d likes", when, want)
			case items[0] != nil && want < 0:
				t.Errorf("%s: cached with %v, want missing", when, items[0].Counts)
			case items[0] != nil && items[0].Counts.Reactions["like"] != want:
				t.Errorf("%s: %d likes, want %d", when, items[0].Counts.Reactions["like"], want)
			}
		}
		// A like's counters find no entry; a reader that read before the
		// like fills the document after: the like's counters stay.
		_ = s.SetCounts(ctx, App, "p1", at(6, 42))
		likes("a writer's counters alone", -1)
		_ = s.CachePost(ctx, App, &service.CachedPost{Doc: doc("1-a"), Counts: at(5, 41)})
		likes("a reader's older counters after a writer's", 42)
		// A reader that read after a like caches before the like's cache
		// step: the like is not counted twice, nor an older state put back.
		_ = s.DropPost(ctx, App, "p1", "2-b")
		_ = s.CachePost(ctx, App, &service.CachedPost{Doc: doc("2-b"), Counts: at(7, 43)})
		likes("an edited post's reader", 43)
		_ = s.ApplyReaction(ctx, service.Reaction{App: App, Post: "p1", Member: "m2", Kind: "like"}, &service.Counts{Reactions: map[string]int64{"like": 43}, Version: 7})
		_ = s.SetCounts(ctx, App, "p1", at(6, 42))
		likes("the like's own cache step after the reader's", 43)
		// An edit's floor keeps the counters: a reader of the edited
		// revision with older counters leaves the newer ones.
		_ = s.DropPost(ctx, App, "p1", "3-c")
		_ = s.SetCounts(ctx, App, "p1", at(8, 44))
		_ = s.CachePost(ctx, App, &service.CachedPost{Doc: doc("3-c"), Counts: at(7, 43)})
		likes("after an edit's floor", 44)
		// Unversioned counters (Riak): a writer drops the cached ones, a
		// reader fills them where there are none, and only there.
		_ = s.SetCounts(ctx, App, "p1", service.Counts{Unversioned: true})
		likes("unversioned counters dropped", -1)
		_ = s.CachePost(ctx, App, &service.CachedPost{Doc: doc("3-c"), Counts: service.Counts{Reactions: map[string]int64{"like": 45}, Unversioned: true}})
		likes("unversioned counters filled", 45)
		_ = s.CachePost(ctx, App, &service.CachedPost{Doc: doc("3-c"), Counts: service.Counts{Reactions: map[string]int64{"like": 46}, Unversioned: true}})
		likes("unversioned counters filled again", 45)
	})

	t.Run("add replaces the cache entry", func(t *testing.T) {
		s := newIndex(t)
		ctx := testkit.Context(t)
		doc := &service.Post{ID: "p1", Rev: "1-a", App: App, Author: "m1", Text: "v1", CreatedAt: time.Now().UTC()}
		_ = s.CachePost(ctx, App, &service.CachedPost{Doc: doc})
		_ = s.DropPost(ctx, App, "p1", "")
		doc2 := *doc
		doc2.Text, doc2.Rev = "v2", "2-b"
		if err := s.Add(ctx, service.IndexEntry{App: App, ID: "p1", Author: "m1"}, &service.CachedPost{Doc: &doc2, Counts: service.Counts{Reactions: map[string]int64{}}}); err != nil {
			t.Fatal(err)
		}
		items, _, _, _ := s.Items(ctx, App, "", []string{"p1"})
		if items[0] == nil || items[0].Doc.Text != "v2" {
			t.Errorf("after Add with an entry: %+v", items[0])
		}
	})

	t.Run("profiles", func(t *testing.T) {
		s := newIndex(t)
		ctx := testkit.Context(t)
		t0 := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
		ada := service.Profile{App: App, Member: "m1", Name: "Ada", Company: "ACME", Title: "CTO", PhotoURL: "https://x/a.png", Version: t0}
		gone := service.Profile{App: App, Member: "m2", Deleted: true, Version: t0}
		unknown := service.Profile{App: App, Member: "m4"} // no stored row: version zero
		if err := s.CacheProfiles(ctx, App, []service.Profile{ada, gone, unknown}); err != nil {
			t.Fatal(err)
		}
		profile := func(member string) (service.Profile, bool) {
			t.Helper()
			ps, err := s.Profiles(ctx, App, []string{member})
			if err != nil {
				t.Fatal(err)
			}
			p, ok := ps[member]
			return p, ok
		}
		ps, err := s.Profiles(ctx, App, []string{"m1", "m2", "m3", "m4"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]service.Profile{"m1": ada, "m2": gone, "m4": unknown}, ps); diff != "" {
			t.Errorf("profiles (-want +got):\n%s", diff)
		}

		// The member changes at t0+1m: hub's event drops the entry.
		if err := s.DropProfile(ctx, App, "m1", t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if p, ok := profile("m1"); ok {
			t.Errorf("after a drop: %+v", p)
		}
		// A reader that read the store before the change cannot cache it...
		stale := ada
		stale.Name = "Ada (stale)"
		if err := s.CacheProfiles(ctx, App, []service.Profile{stale}); err != nil {
			t.Fatal(err)
		}
		if p, ok := profile("m1"); ok {
			t.Errorf("a profile read before the change was cached: %+v", p)
		}
		// ... and one that read it after the change caches it at once.
		fresh := ada
		fresh.Name, fresh.Version = "Ada Lovelace", t0.Add(time.Minute)
		if err := s.CacheProfiles(ctx, App, []service.Profile{fresh}); err != nil {
			t.Fatal(err)
		}
		if p, ok := profile("m1"); !ok || p != fresh {
			t.Errorf("after the change was read: %+v, %v; want %+v", p, ok, fresh)
		}
		// A late drop of an older change, or a fill of an older version,
		// leaves the newer entry.
		if err := s.DropProfile(ctx, App, "m1", t0.Add(30*time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := s.CacheProfiles(ctx, App, []service.Profile{stale}); err != nil {
			t.Fatal(err)
		}
		if p, ok := profile("m1"); !ok || p != fresh {
			t.Errorf("after an older drop and fill: %+v, %v; want %+v", p, ok, fresh)
		}
	})

	t.Run("rate limiter", func(t *testing.T) {
		s := newIndex(t)
		ctx := testkit.Context(t)
		l := service.Limit{Burst: 3, Per: time.Hour}
		bucket := service.Bucket{App: App, Member: "m1", Action: "post"}
		for i := range 3 {
			if wait, err := s.Allow(ctx, bucket, l); err != nil || wait != 0 {
				t.Fatalf("call %d: wait %v err %v", i, wait, err)
			}
		}
		wait, err := s.Allow(ctx, bucket, l)
		if err != nil || wait <= 0 || wait > time.Hour {
			t.Errorf("4th call: wait %v err %v, want a wait up to an hour", wait, err)
		}
		for _, other := range []service.Bucket{{App: App, Member: "m2", Action: "post"}, {App: App, Member: "m1", Action: "comment"}} {
			if wait, _ := s.Allow(ctx, other, l); wait != 0 {
				t.Errorf("%+v waits %v", other, wait)
			}
		}
	})

	t.Run("pending uploads", func(t *testing.T) {
		s := newIndex(t)
		ctx := testkit.Context(t)
		now := time.Now().Truncate(time.Millisecond)
		q := service.UploadQuota{Count: 3, Bytes: 100}
		up := func(member, id string, bytes int64, age time.Duration) service.PendingUpload {
			return service.PendingUpload{App: App, Member: member, ID: id, Bytes: bytes, Expires: now.Add(social.UploadTTL - age)}
		}
		reserve := func(p service.PendingUpload, at time.Time) service.Reservation {
			t.Helper()
			r, err := s.ReservePending(ctx, p, q, at)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		// Three uploads fit, the oldest an hour old; the same id again
		// changes nothing.
		for i, age := range []time.Duration{time.Hour, 0, 0} {
			if r := reserve(up("m1", fmt.Sprint("u", i), 10, age), now); !r.Reserved || r.Count != i || r.Bytes != int64(10*i) {
				t.Fatalf("upload %d: %+v", i, r)
			}
		}
		if r := reserve(up("m1", "u2", 10, 0), now); !r.Reserved || r.Count != 2 {
			t.Errorf("the same upload again: %+v", r)
		}
		// A fourth waits for the oldest to expire.
		r := reserve(up("m1", "u3", 10, 0), now)
		if want := social.UploadTTL - time.Hour; r.Reserved || r.Count != 3 || r.Bytes != 30 || r.Wait != want {
			t.Errorf("a fourth upload: %+v, want refused, wait %v", r, want)
		}
		// Another member, or another app, is not counted with m1.
		if r := reserve(up("m2", "u3", 10, 0), now); !r.Reserved || r.Count != 0 {
			t.Errorf("another member: %+v", r)
		}
		other := up("m1", "u3", 10, 0)
		other.App = "a2"
		if r := reserve(other, now); !r.Reserved || r.Count != 0 {
			t.Errorf("another app: %+v", r)
		}
		// Posting one frees its place.
		if err := s.ReleasePending(ctx, App, "m1", []string{"u1", "unknown"}); err != nil {
			t.Fatal(err)
		}
		if r := reserve(up("m1", "u3", 10, 0), now); !r.Reserved || r.Count != 2 {
			t.Errorf("after a release: %+v", r)
		}
		// The bytes: 30 pending in 3 uploads; 80 more fit once the oldest
		// expires (a place, 20 bytes left), 81 more only once the uploads
		// of now expire too.
		if r := reserve(up("m1", "big", 80, 0), now); r.Reserved || r.Wait != social.UploadTTL-time.Hour {
			t.Errorf("80 bytes more: %+v, want refused, wait %v", r, social.UploadTTL-time.Hour)
		}
		if r := reserve(up("m1", "big", 81, 0), now); r.Reserved || r.Wait != social.UploadTTL {
			t.Errorf("81 bytes more: %+v, want refused, wait %v", r, social.UploadTTL)
		}
		// Over the quota by itself: waiting does not help.
		if r := reserve(up("m2", "huge", 101, 0), now); r.Reserved || r.Wait != 0 {
			t.Errorf("101 bytes: %+v, want refused, no wait", r)
		}
		// Counts never released (a replica died before storing or
		// posting) are dropped when their uploads expire.
		later := now.Add(social.UploadTTL - time.Hour)
		if r := reserve(up("m1", "u4", 10, -time.Hour), later); !r.Reserved || r.Count != 2 {
			t.Errorf("after the oldest expired: %+v", r)
		}
		end := now.Add(social.UploadTTL + time.Millisecond)
		if r := reserve(up("m1", "u5", 80, -2*time.Hour), end); !r.Reserved || r.Count != 1 || r.Bytes != 10 {
			t.Errorf("after the others expired: %+v", r)
		}
		// Uploads at once never pass the quota together.
		const n = 12
		var wg sync.WaitGroup
		var reserved atomic.Int32
		for i := range n {
			wg.Go(func() {
				r, err := s.ReservePending(ctx, up("m3", fmt.Sprint("c", i), 1, 0), q, now)
				if err != nil {
					t.Error(err)
				}
				if r.Reserved {
					reserved.Add(1)
				}
			})
		}
		wg.Wait()
		if got := reserved.Load(); got != int32(q.Count) {
			t.Errorf("%d uploads at once: %d reserved, want %d", n, got, q.Count)
		}
	})
}

// cmpEmpty makes a nil slice equal an empty one.
var cmpEmpty = cmp.Transformer("empty", func(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
})
