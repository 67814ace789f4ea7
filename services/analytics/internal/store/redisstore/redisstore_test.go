package redisstore_test

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/attendify/analytics"
	"github.com/attendify/analytics/internal/service"
	"github.com/attendify/analytics/internal/store/memory"
	"github.com/attendify/analytics/internal/store/redisstore"
	"github.com/attendify/analytics/internal/store/storetest"
	"github.com/attendify/hub"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/errs"
	"github.com/attendify/platform/testkit"
)

func TestContract(t *testing.T) {
	ctx := testkit.Context(t)
	storetest.Live(t, ctx, time.Now(), func(t *testing.T) service.Live {
		rdb, ns := testkit.Redis(t)
		return redisstore.New(rdb, ns)
	})
}

// TestApplyOnAFreshServer: on a server that never saw the script (a
// restart), Apply sends it whole and still lists the app as waiting.
func TestApplyOnAFreshServer(t *testing.T) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server is not installed (make services installs it)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { rdb.Close() })
	testkit.Eventually(t, "the private redis-server", func() bool { return rdb.Ping(context.Background()).Err() == nil })
	s := redisstore.New(rdb, "")
	at := time.Now()
	e := service.Event{App: "a1", Key: "k1", Kind: analytics.TypeScreenView, At: at, Install: "i1", Screen: "x"}
	got, err := s.Apply(context.Background(), "a1", []service.Change{{Key: e.Key, At: at, Scopes: e.Scopes(), Effects: service.EffectsOf(e)}})
	if err != nil || len(got) != 1 || !got[0] {
		t.Fatalf("Apply = %v, %v", got, err)
	}
	apps, err := s.WaitingApps(context.Background())
	if err != nil || len(apps) != 1 || apps[0] != "a1" {
		t.Errorf("waiting apps = %v, %v", apps, err)
	}
}

// TestApplySumsABigBatch: a batch's updates summed per key (more elements
// than one PFADD or ZADD of the script takes) give the figures of the
// events one by one, and a repeat counts nothing.
func TestApplySumsABigBatch(t *testing.T) {
	ctx := testkit.Context(t)
	rdb, ns := testkit.Redis(t)
	s := redisstore.New(rdb, ns)
	at := time.Now().UTC().Truncate(time.Minute).Add(-10 * time.Minute)
	if service.Hour(at) != service.Hour(at.Add(2*time.Minute)) {
		at = at.Add(-3 * time.Minute) // the three minutes in one hour
	}
	var cs []service.Change
	for i := range 1200 {
		e := service.Event{App: "a1", Key: fmt.Sprint("k", i), Kind: analytics.TypeAppClose, At: at.Add(time.Duration(i%3) * time.Minute),
			Install: fmt.Sprint("i", i), EventID: "ev", DurationMs: int64(i) * 1_000_000}
		cs = append(cs, service.Change{Key: e.Key, At: e.At, Scopes: e.Scopes(), Effects: service.EffectsOf(e)})
	}
	cs = append(cs, cs[7]) // a repeat within the batch
	got, err := s.Apply(ctx, "a1", cs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1201 || !got[0] || !got[1199] || got[1200] {
		t.Fatalf("new marks: %d, first %v, last of the batch %v, the repeat %v", len(got), got[0], got[1199], got[1200])
	}
	var wantMs int64
	for i := range 1200 {
		wantMs += int64(i) * 1_000_000
	}
	for _, scope := range []string{service.AllScope, "ev"} {
		f, err := s.Figures(ctx, "a1", []service.BucketRef{{Scope: scope, Level: service.LevelHour, Start: service.Hour(at)}})
		if err != nil {
			t.Fatal(err)
		}
		if f[0].Counts[analytics.CountSessionEnds] != 1200 || f[0].Counts[analytics.CountSessionMs] != wantMs {
			t.Errorf("scope %s: counts %v, want 1200 session ends and %d ms", scope, f[0].Counts, wantMs)
		}
		if f[0].Installs < 1150 || f[0].Installs > 1250 { // a HyperLogLog's estimate
			t.Errorf("scope %s: %d installs, want about 1200", scope, f[0].Installs)
		}
	}
	if _, installs, err := s.Present(ctx, "a1", at.Add(-time.Minute)); err != nil || installs != 1200 {
		t.Errorf("present installs = %d, %v; want 1200", installs, err)
	}
	ws, _, err := s.Waiting(ctx, "a1")
	if err != nil || len(ws) != 6 {
		t.Errorf("waiting = %v, %v; want 3 minutes of 2 scopes", ws, err)
	}
	if got, err := s.Apply(ctx, "a1", cs[:5]); err != nil || got[0] || got[4] {
		t.Errorf("the batch again: %v, %v; want nothing new", got, err)
	}
}

// TestApplyKeepsMarksTTL: a dedupe mark lives Retention from its event's
// first arrival (its SET gives it the TTL): a repeat in a later batch does
// not extend it, while the buckets that batch writes get Retention again.
func TestApplyKeepsMarksTTL(t *testing.T) {
	ctx := testkit.Context(t)
	rdb, ns := testkit.Redis(t)
	s := redisstore.New(rdb, ns)
	at := time.Now().UTC()
	change := func(key string) service.Change {
		e := service.Event{App: "a1", Key: key, Kind: analytics.TypeScreenView, At: at, Install: "i1", Screen: "x"}
		return service.Change{Key: e.Key, At: e.At, Scopes: e.Scopes(), Effects: service.EffectsOf(e)}
	}
	one := func(pattern string) string {
		t.Helper()
		ks, err := testkit.Keys(ctx, rdb, ns+":analytics:"+pattern)
		if err != nil || len(ks) != 1 {
			t.Fatalf("keys %s: %v, %v", pattern, ks, err)
		}
		return ks[0]
	}
	if _, err := s.Apply(ctx, "a1", []service.Change{change("k1")}); err != nil {
		t.Fatal(err)
	}
	mark, counts := one("*:seen:k1"), one("*:c:all:hour:*")
	if ttl := rdb.TTL(ctx, mark).Val(); ttl <= redisstore.Retention-time.Minute || ttl > redisstore.Retention {
		t.Fatalf("a new mark's TTL = %s, want about %s", ttl, redisstore.Retention)
	}
	// The mark and the bucket as they would be 95 hours later.
	for _, k := range []string{mark, counts} {
		rdb.Expire(ctx, k, time.Hour)
	}
	got, err := s.Apply(ctx, "a1", []service.Change{change("k1"), change("k2")})
	if err != nil || len(got) != 2 || got[0] || !got[1] {
		t.Fatalf("Apply = %v, %v; want a repeat and a new event", got, err)
	}
	if ttl := rdb.TTL(ctx, mark).Val(); ttl > time.Hour {
		t.Errorf("the repeat extended its mark's TTL to %s", ttl)
	}
	if ttl := rdb.TTL(ctx, one("*:seen:k2")).Val(); ttl <= redisstore.Retention-time.Minute {
		t.Errorf("the new mark's TTL = %s, want about %s", ttl, redisstore.Retention)
	}
	if ttl := rdb.TTL(ctx, counts).Val(); ttl <= redisstore.Retention-time.Minute {
		t.Errorf("the bucket written again has a TTL of %s, want about %s", ttl, redisstore.Retention)
	}
}

// TestApplyBoundsMadeUpIDs: the ids a tap names are the app's to choose,
// so a day's item counts stop taking new items at their bound (the items
// counted already go on counting) and a top list keeps only its highest.
func TestApplyBoundsMadeUpIDs(t *testing.T) {
	ctx := testkit.Context(t)
	rdb, ns := testkit.Redis(t)
	s := redisstore.New(rdb, ns).WithBounds(3, 2)
	at := time.Now().UTC().Truncate(time.Minute)
	n := 0
	taps := func(ids ...string) {
		t.Helper()
		var cs []service.Change
		for _, id := range ids {
			n++
			e := service.Event{App: "a1", Key: fmt.Sprint("k", n), Kind: analytics.TypeTap, At: at, Install: "i1", Member: "m1",
				TargetType: analytics.TargetSession, TargetID: id}
			cs = append(cs, service.Change{Key: e.Key, At: e.At, Scopes: e.Scopes(), Effects: service.EffectsOf(e)})
		}
		if _, err := s.Apply(ctx, "a1", cs); err != nil {
			t.Fatal(err)
		}
	}
	taps("s1", "s1", "s2", "s2", "s3")
	taps("s4", "s5", "s1", "s2") // s4 and s5 come after the bound
	its, err := s.Items(ctx, "a1", []time.Time{service.Day(at)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, it := range its[0] {
		got[it.ID] = it.N
	}
	if want := map[string]int64{"s1": 3, "s2": 3, "s3": 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("item counts %v, want %v", got, want)
	}
	top, err := s.Top(ctx, "a1", analytics.TopSessions, service.Day(at), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(top) != 2 || top[0].ID == top[1].ID || top[0].ID != "s1" && top[0].ID != "s2" || top[1].ID != "s1" && top[1].ID != "s2" {
		t.Errorf("top sessions %+v, want s1 and s2 only", top)
	}
	f, err := s.Figures(ctx, "a1", []service.BucketRef{{Scope: service.AllScope, Level: service.LevelHour, Start: service.Hour(at)}})
	if err != nil {
		t.Fatal(err)
	}
	if f[0].Counts[analytics.CountTaps] != 9 {
		t.Errorf("taps counted %d, want all 9", f[0].Counts[analytics.CountTaps])
	}
}

// appOnly is hub's read model with one app and nobody in it: enough for
// anonymous tracking.
type appOnly struct{}

func (appOnly) Authorize(context.Context, auth.Caller, string) (hub.Membership, error) {
	return hub.Membership{}, errs.WithCode(errs.CodeForbidden, "not a member of this app")
}
func (appOnly) App(_ context.Context, app string) (hub.AppConfig, error) {
	return hub.AppConfig{ID: app, Status: hub.StatusPublished}, nil
}
func (appOnly) Events(context.Context, string) ([]hub.EventInfo, error) { return nil, nil }

// TestResendAfterMarksExpire: a batch sent again unchanged (its old
// sent_at), once the live state has forgotten its keys, is not counted
// again: the clock correction would make its events look new, so a batch
// further off than analytics.MaxSkew is refused, and 2*MaxSkew is within
// the marks' lifetime (shortened here to a second, then the clock moved).
func TestResendAfterMarksExpire(t *testing.T) {
	ctx := testkit.Context(t)
	rdb, ns := testkit.Redis(t)
	if 2*analytics.MaxSkew >= redisstore.Retention {
		t.Fatalf("a batch can be taken %s apart, longer than the marks live (%s)", 2*analytics.MaxSkew, redisstore.Retention)
	}
	raw := memory.New()
	var mu sync.Mutex
	now := time.Now().UTC().Truncate(time.Millisecond)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	svc := service.New(service.Options{
		Raw: raw, Members: raw, Rollups: raw, Jobs: raw, Live: redisstore.New(rdb, ns).WithRetention(time.Second),
		Access: appOnly{}, Now: clock,
	})
	sent := clock()
	b := service.Batch{App: "a1", Install: "install-1", SentAt: sent, Events: []service.AppEvent{
		{ID: "1", Type: analytics.TypeScreenView, At: sent.Add(-time.Minute), Screen: "agenda"},
		{ID: "2", Type: analytics.TypeAppOpen, At: sent},
	}}
	out, err := svc.Track(ctx, b)
	if err != nil || out.Accepted != 2 {
		t.Fatalf("first sending: %+v, %v", out, err)
	}
	marks := func() int {
		ks, err := testkit.Keys(ctx, rdb, ns+":analytics:*:seen:*")
		if err != nil {
			t.Fatal(err)
		}
		return len(ks)
	}
	testkit.Eventually(t, "the dedupe marks expired", func() bool { return marks() == 0 })
	stored := func() int {
		n := 0
		_ = raw.Scan(ctx, "a1", sent.AddDate(0, 0, -30), sent.AddDate(0, 0, 30), func(evs []service.Event) error { n += len(evs); return nil })
		return n
	}
	for _, later := range []time.Duration{analytics.MaxSkew + time.Second, redisstore.Retention + time.Minute} {
		mu.Lock()
		now = sent.Add(later)
		mu.Unlock()
		out, err := svc.Track(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		if out.Accepted != 0 || len(out.Refused) != 2 || !strings.Contains(out.Refused[0].Reason, "sent_at") {
			t.Errorf("sent again %s later: %+v, want both events refused for their sent_at", later, out)
		}
		if n, m := stored(), marks(); n != 2 || m != 0 {
			t.Errorf("sent again %s later: %d raw events, %d new marks; want 2 and 0 (nothing counted again)", later, n, m)
		}
	}
}
