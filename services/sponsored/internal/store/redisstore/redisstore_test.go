package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/attendify/platform/testkit"
	"github.com/attendify/sponsored/internal/service"
	"github.com/attendify/sponsored/internal/store/redisstore"
	"github.com/attendify/sponsored/internal/storetest"
	"github.com/attendify/sponsored/placement"
)

// TestInboxTakesOverWhatADeadConsumerLeft: records one counter read and
// never acknowledged (it died) go to another after the claim time; what is
// acknowledged is gone from the stream.
func TestInboxTakesOverWhatADeadConsumerLeft(t *testing.T) {
	rdb, ns := testkit.Redis(t)
	ctx := testkit.Context(t)
	a := redisstore.New(rdb, ns, redisstore.Options{Consumer: "a", ClaimIdle: 50 * time.Millisecond})
	b := redisstore.New(rdb, ns, redisstore.Options{Consumer: "b", ClaimIdle: 50 * time.Millisecond})
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	for i, kind := range []string{placement.RecordClick, placement.RecordView, placement.RecordClick} {
		r := service.Record{Kind: kind, Member: "m1", At: at, Items: []service.Item{{Campaign: "c1", Impression: string(rune('x' + i))}}}
		if err := a.Append(ctx, "app1", r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := a.Read(ctx, "app1", 2)
	if err != nil || len(got) != 2 || got[0].Kind != placement.RecordClick || got[0].Member != "m1" || !got[0].At.Equal(at) || got[0].Items[0].Impression != "x" {
		t.Fatalf("first read: %+v %v", got, err)
	}
	// a dies here. b reads the third at once, the first two after the claim time.
	rest, err := b.Read(ctx, "app1", 10)
	if err != nil || len(rest) != 1 || rest[0].Items[0].Impression != "z" {
		t.Fatalf("b's first read: %+v %v", rest, err)
	}
	if err := b.Ack(ctx, "app1", []string{rest[0].ID}); err != nil {
		t.Fatal(err)
	}
	var taken []service.Record
	testkit.Eventually(t, "b takes over a's records", func() bool {
		taken, err = b.Read(ctx, "app1", 10)
		return err == nil && len(taken) == 2
	})
	if err := b.Ack(ctx, "app1", []string{taken[0].ID, taken[1].ID}); err != nil {
		t.Fatal(err)
	}
	if n, _ := rdb.XLen(ctx, placement.NewKeys(ns).Records("app1")).Result(); n != 0 {
		t.Errorf("%d records left in the stream after every ack", n)
	}
	time.Sleep(100 * time.Millisecond) // past the claim time: nothing comes back
	if again, err := a.Read(ctx, "app1", 10); err != nil || len(again) != 0 {
		t.Errorf("acknowledged records came back: %+v %v", again, err)
	}
}

// TestRestoreNeverLowers: a rebuild writes the windows Redis lacks and
// leaves those it holds.
func TestRestoreNeverLowers(t *testing.T) {
	rdb, ns := testkit.Redis(t)
	ctx := context.Background()
	s := redisstore.New(rdb, ns, redisstore.Options{})
	keys := placement.NewKeys(ns)
	if err := rdb.HSet(ctx, keys.Member("app1", "m1"), placement.FlightCountField("c1"), 5).Err(); err != nil {
		t.Fatal(err)
	}
	err := s.RestoreCaps(ctx, "app1", []service.CapWindow{
		{Member: "m1", Campaign: "c1", FlightCount: 2, Hour: "1", HourCount: 1, Day: "2026-06-01", DayCount: 2},
		{Member: "m2", Campaign: "c1", FlightCount: 3, Hour: "1", HourCount: 1, Day: "2026-06-01", DayCount: 3, Hidden: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := rdb.HGet(ctx, keys.Member("app1", "m1"), placement.FlightCountField("c1")).Int(); n != 5 {
		t.Errorf("m1's flight count %d, want the 5 Redis held", n)
	}
	m2, _ := rdb.HGetAll(ctx, keys.Member("app1", "m2")).Result()
	if m2[placement.FlightCountField("c1")] != "3" || m2[placement.DayCountField("c1")] != "3" || m2[placement.HiddenField("c1")] != "1" {
		t.Errorf("m2 restored as %v", m2)
	}
	if ttl, _ := rdb.TTL(ctx, keys.Member("app1", "m2")).Result(); ttl <= 0 {
		t.Errorf("a restored hash with no expiry (%v)", ttl)
	}
}

func TestBoardContract(t *testing.T) {
	storetest.RunBoard(t, 50*time.Millisecond, func(t *testing.T) storetest.BoardStores {
		rdb, ns := testkit.Redis(t)
		return redisstore.New(rdb, ns, redisstore.Options{ClaimIdle: 50 * time.Millisecond})
	})
}
