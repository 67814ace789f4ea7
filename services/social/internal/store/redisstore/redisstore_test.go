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
