package redisstore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/attendify/platform/testkit"
	"github.com/attendify/social/internal/service"
	"github.com/attendify/social/internal/store/redisstore"
	"github.com/attendify/social/internal/store/storetest"
)

// TestContract runs the contract of the index's ports on Redis.
func TestContract(t *testing.T) {
	storetest.RunIndex(t, func(t *testing.T) storetest.Index {
		rdb, ns := testkit.Redis(t)
		return redisstore.New(rdb, ns)
	})
}

// TestPendingKeyExpires: a member's pending uploads are kept until the
// last of them expires, not longer (nobody needs to release them).
func TestPendingKeyExpires(t *testing.T) {
	rdb, ns := testkit.Redis(t)
	s := redisstore.New(rdb, ns)
	ctx := testkit.Context(t)
	now := time.Now()
	for i, ttl := range []time.Duration{time.Hour, 2 * time.Hour} {
		p := service.PendingUpload{App: "a1", Member: "m1", ID: fmt.Sprint("u", i), Bytes: 1, Expires: now.Add(ttl)}
		if r, err := s.ReservePending(ctx, p, service.DefaultUploadQuota, now); err != nil || !r.Reserved {
			t.Fatalf("reserve: %+v %v", r, err)
		}
	}
	ttl, err := rdb.PTTL(ctx, s.Keys().Pending("a1", "m1")).Result()
	if err != nil || ttl <= 2*time.Hour-time.Minute || ttl > 2*time.Hour+time.Minute {
		t.Errorf("the key lives %v (%v), want about 2h", ttl, err)
	}
}

// TestCountsEntriesExpire: a writer's counters with no entry wait
// tombstoneTTL for a reader to fill the document, which then keeps the
// entry for good; an entry filled with unversioned counters (Riak) lives
// a few seconds.
func TestCountsEntriesExpire(t *testing.T) {
	rdb, ns := testkit.Redis(t)
	s := redisstore.New(rdb, ns)
	ctx := testkit.Context(t)
	ttl := func(post string) time.Duration {
		t.Helper()
		d, err := rdb.TTL(ctx, s.Keys().Post("a1", post)).Result()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	doc := func(id string) *service.Post {
		return &service.Post{ID: id, Rev: "1-a", App: "a1", Author: "m1", CreatedAt: time.Now().UTC()}
	}
	if err := s.SetCounts(ctx, "a1", "p1", service.Counts{Comments: 1, Version: 2}); err != nil {
		t.Fatal(err)
	}
	if d := ttl("p1"); d <= 20*time.Second || d > 30*time.Second {
		t.Errorf("a writer's counters alone live %v, want 30s", d)
	}
	if err := s.CachePost(ctx, "a1", &service.CachedPost{Doc: doc("p1"), Counts: service.Counts{Version: 1}}); err != nil {
		t.Fatal(err)
	}
	if d := ttl("p1"); d != -1 {
		t.Errorf("a filled entry lives %v, want no expiry", d)
	}
	items, _, _, err := s.Items(ctx, "a1", "", []string{"p1"})
	if err != nil || items[0] == nil || items[0].Counts.Comments != 1 || items[0].Counts.Version != 2 {
		t.Fatalf("items = %+v, %v; want the writer's counters", items, err)
	}
	if err := s.CachePost(ctx, "a1", &service.CachedPost{Doc: doc("p2"), Counts: service.Counts{Unversioned: true}}); err != nil {
		t.Fatal(err)
	}
	if d := ttl("p2"); d <= 0 || d > 10*time.Second {
		t.Errorf("an entry with unversioned counters lives %v, want 10s", d)
	}
}
