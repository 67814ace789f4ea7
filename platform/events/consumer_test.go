package events_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/attendify/platform/events"
	"github.com/attendify/platform/obs"
	"github.com/attendify/platform/testkit"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"
)

func TestPublishConsumeInOrder(t *testing.T) {
	t.Parallel()
	rdb, ns := testkit.Redis(t)
	s := events.NewStreams(ns)
	var rec recorder
	c := newConsumer(t, rdb, s, fastConfig(t, "social", "member", "post"), rec.handle)
	start(t, c)

	members := makeEvents(20, "member.updated", "m1")
	posts := makeEvents(5, "post.created", "p1")
	pub := events.NewPublisher(rdb, s, events.PublisherConfig{})
	if err := pub.Publish(context.Background(), members...); err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(context.Background(), posts[0]); err != nil { // the single-event path
		t.Fatal(err)
	}
	if err := pub.Publish(context.Background(), posts[1:]...); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "25 events", func() bool { return rec.len() == 25 })

	var gotMembers, gotPosts []events.Event
	for _, ev := range rec.events() {
		if ev.Topic() == "member" {
			gotMembers = append(gotMembers, ev)
		} else {
			gotPosts = append(gotPosts, ev)
		}
	}
	if diff := cmp.Diff(members, gotMembers); diff != "" {
		t.Errorf("member events (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(posts, gotPosts); diff != "" {
		t.Errorf("post events (-want +got):\n%s", diff)
	}
	testkit.Eventually(t, "acks", func() bool { return settled(t, rdb, s.Stream("member"), "social") })
}

func TestPublishFillsDefaultsAndRejectsBadEvents(t *testing.T) {
	t.Parallel()
	rdb, ns := testkit.Redis(t)
	s := events.NewStreams(ns)
	pub := events.NewPublisher(rdb, s, events.PublisherConfig{})
	ctx := context.Background()

	if err := pub.Publish(ctx, events.Event{Type: "app.created"}); err != nil {
		t.Fatal(err)
	}
	msgs, err := rdb.XRange(ctx, s.Stream("app"), "-", "+").Result()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("XRANGE = %v, %v; want one entry", msgs, err)
	}
	ev, err := events.Decode(msgs[0].Values)
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID == "" || ev.Time.IsZero() {
		t.Errorf("published %+v: want ID and Time filled in", ev)
	}

	for _, bad := range []events.Event{
		{Type: "nodot"},
		{Type: "Member.x"},
		{Type: "member.x", Data: []byte("{not json")},
	} {
		if err := pub.Publish(ctx, bad); err == nil {
			t.Errorf("Publish(%+v) = nil, want an error", bad)
		}
	}
}

func TestGroupCreatedIdempotently(t *testing.T) {
	t.Parallel()
	rdb, ns := testkit.Redis(t)
	s := events.NewStreams(ns)
	ctx := context.Background()
	pub := events.NewPublisher(rdb, s, events.PublisherConfig{})
	before := makeEvents(3, "member.created", "m1")
	if err := pub.Publish(ctx, before...); err != nil {
		t.Fatal(err)
	}

	// Two replicas of one service, set up twice each: one group.
	var recNew, recAll recorder
	for range 2 {
		c := newConsumer(t, rdb, s, fastConfig(t, "hub", "member"), recNew.handle)
		if err := c.Setup(ctx); err != nil {
			t.Fatalf("second Setup: %v", err)
		}
		start(t, c)
	}
	cfg := fastConfig(t, "analytics", "member")
	cfg.FromStart = true
	start(t, newConsumer(t, rdb, s, cfg, recAll.handle))

	groups, err := rdb.XInfoGroups(ctx, s.Stream("member")).Result()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range groups {
		names = append(names, g.Name)
	}
	if diff := cmp.Diff([]string{"analytics", "hub"}, names); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}

	after := makeEvents(4, "member.updated", "m1")
	if err := pub.Publish(ctx, after...); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "events", func() bool { return recNew.len() == 4 && recAll.len() == 7 })
	// Two replicas share the group's events: compare as sets.
	sorted := cmpopts.SortSlices(func(a, b string) bool { return a < b })
	if diff := cmp.Diff(ids(after), ids(recNew.events()), sorted); diff != "" {
		t.Errorf("a new group reads only new events (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(ids(append(before, after...)), ids(recAll.events())); diff != "" {
		t.Errorf("FromStart reads the history (-want +got):\n%s", diff)
	}
}

// deadLetters reads the dead-letter stream of topic.
func deadLetters(t *testing.T, rdb redis.Cmdable, s events.Streams, topic string) []redis.XMessage {
	t.Helper()
	msgs, err := rdb.XRange(context.Background(), s.Dead(topic), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func TestDeadLetterAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	rdb, ns := testkit.Redis(t)
	s := events.NewStreams(ns)
	var calls atomic.Int32
	cfg := fastConfig(t, "social", "post")
	cfg.MaxAttempts = 3
	c := newConsumer(t, rdb, s, cfg, func(ctx context.Context, ev events.Event) error {
		calls.Add(1)
		return errors.New("storage is on fire")
	})
	start(t, c)
	ev := makeEvents(1, "post.created", "p1")[0]
	if err := events.NewPublisher(rdb, s, events.PublisherConfig{}).Publish(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "a dead letter", func() bool { return len(deadLetters(t, rdb, s, "post")) == 1 })
	testkit.Eventually(t, "the ack", func() bool { return settled(t, rdb, s.Stream("post"), "social") })

	if got := calls.Load(); got != 3 {
		t.Errorf("handler called %d times, want 3 (MaxAttempts)", got)
	}
	dead := deadLetters(t, rdb, s, "post")[0].Values
	want := map[string]string{
		"id": ev.ID, "type": "post.created", "subject": "p1",
		"dead_group": "social", "dead_error": "storage is on fire", "dead_attempts": "3",
	}
	got := map[string]string{}
	for k := range want {
		got[k], _ = dead[k].(string)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dead letter (-want +got):\n%s", diff)
	}
}

func TestPoisonAndPermanentFailuresGoToDeadLettersAtOnce(t *testing.T) {
	t.Parallel()
	rdb, ns := testkit.Redis(t)
	s := events.NewStreams(ns)
	ctx := context.Background()
	var calls atomic.Int32
	c := newConsumer(t, rdb, s, fastConfig(t, "social", "post"), func(ctx context.Context, ev events.Event) error {
		calls.Add(1)
		return events.Permanent(errors.New("post belongs to no app"))
	})
	start(t, c)

	poison := []map[string]any{
		{"garbage": "1"},
		{"id": "x", "type": "post.created", "time": "2025-01-01T00:00:00Z", "data": "{broken"},
	}
	for _, v := range poison {
		if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: s.Stream("post"), Values: v}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := events.NewPublisher(rdb, s, events.PublisherConfig{}).Publish(ctx, events.Event{Type: "post.created"}); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "three dead letters", func() bool { return len(deadLetters(t, rdb, s, "post")) == 3 })
	testkit.Eventually(t, "acks", func() bool { return settled(t, rdb, s.Stream("post"), "social") })

	for i, m := range deadLetters(t, rdb, s, "post") {
		if got := m.Values["dead_attempts"]; got != "1" {
			t.Errorf("dead letter %d: attempts %v, want 1 (no retry)", i, got)
		}
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("handler called %d times, want 1 (never for undecodable entries)", got)
	}
}

func TestReclaimDeadConsumersPending(t *testing.T) {
	t.Parallel()
	rdb, ns := testkit.Redis(t)
	s := events.NewStreams(ns)
	ctx := context.Background()
	stream := s.Stream("member")
	if err := rdb.XGroupCreateMkStream(ctx, stream, "hub", "$").Err(); err != nil {
		t.Fatal(err)
	}
	evs := makeEvents(5, "member.created", "m1")
	if err := events.NewPublisher(rdb, s, events.PublisherConfig{}).Publish(ctx, evs...); err != nil {
		t.Fatal(err)
	}
	// A replica reads the events and dies before acknowledging any.
	if err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: "hub", Consumer: "crashed-replica", Streams: []string{stream, ">"}, Count: 10, Block: -1,
	}).Err(); err != nil {
		t.Fatal(err)
	}

	var rec recorder
	start(t, newConsumer(t, rdb, s, fastConfig(t, "hub", "member"), rec.handle))
	testkit.Eventually(t, "the dead replica's events", func() bool { return rec.len() == 5 })
	testkit.Eventually(t, "acks", func() bool { return settled(t, rdb, stream, "hub") })
	if diff := cmp.Diff(ids(evs), ids(rec.events())); diff != "" {
		t.Errorf("reclaimed events (-want +got):\n%s", diff)
	}
}

func TestAtLeastOnceAfterHandlerCrash(t *testing.T) {
	t.Parallel()
	rdb, ns := testkit.Redis(t)
	s := events.NewStreams(ns)
	var (
		mu      sync.Mutex
		crashed = map[string]bool{}
		rec     recorder
	)
	// The handler crashes (panics) on the first delivery of every third
	// event, and fails with an error on the first delivery of the next one.
	h := func(ctx context.Context, ev events.Event) error {
		n, _ := strconv.Atoi(string(ev.Data[5 : len(ev.Data)-1])) // {"n":N}
		mu.Lock()
		first := !crashed[ev.ID]
		crashed[ev.ID] = true
		mu.Unlock()
		switch {
		case first && n%3 == 0:
			panic("handler crashed")
		case first && n%3 == 1:
			return errors.New("transient")
		}
		return rec.handle(ctx, ev)
	}
	start(t, newConsumer(t, rdb, s, fastConfig(t, "social", "member"), h))
	evs := makeEvents(30, "member.created", "")
	if err := events.NewPublisher(rdb, s, events.PublisherConfig{}).Publish(context.Background(), evs...); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "every event handled", func() bool { return rec.distinct() == 30 })
	testkit.Eventually(t, "acks", func() bool { return settled(t, rdb, s.Stream("member"), "social") })
	if dl := deadLetters(t, rdb, s, "member"); len(dl) != 0 {
		t.Errorf("%d dead letters, want none", len(dl))
	}
}

func TestConcurrencyKeepsSubjectOrder(t *testing.T) {
	t.Parallel()
	rdb, ns := testkit.Redis(t)
	s := events.NewStreams(ns)
	var (
		rec      recorder
		inFlight atomic.Int32
		maxSeen  atomic.Int32
	)
	cfg := fastConfig(t, "social", "post")
	cfg.Concurrency = 4
	start(t, newConsumer(t, rdb, s, cfg, func(ctx context.Context, ev events.Event) error {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := maxSeen.Load(); n > m && !maxSeen.CompareAndSwap(m, n); m = maxSeen.Load() {
		}
		return rec.handle(ctx, ev)
	}))
	var all []events.Event
	for i := range 8 {
		all = append(all, makeEvents(25, "post.updated", "p"+strconv.Itoa(i))...)
	}
	if err := events.NewPublisher(rdb, s, events.PublisherConfig{}).Publish(context.Background(), all...); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "200 events", func() bool { return rec.len() == 200 })

	want := map[string][]string{}
	for _, ev := range all {
		want[ev.Subject] = append(want[ev.Subject], ev.ID)
	}
	got := map[string][]string{}
	for _, ev := range rec.events() {
		got[ev.Subject] = append(got[ev.Subject], ev.ID)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("per-subject order (-want +got):\n%s", diff)
	}
	if m := maxSeen.Load(); m > 4 {
		t.Errorf("%d handlers ran at once, want at most 4", m)
	}
}

func TestGracefulStopFinishesInFlight(t *testing.T) {
	t.Parallel()
	rdb, ns := testkit.Redis(t)
	s := events.NewStreams(ns)
	started, release := make(chan struct{}), make(chan struct{})
	var finished atomic.Bool
	c := newConsumer(t, rdb, s, fastConfig(t, "social", "member"), func(ctx context.Context, ev events.Event) error {
		close(started)
		<-release
		if ctx.Err() != nil {
			return ctx.Err()
		}
		finished.Store(true)
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	if err := events.NewPublisher(rdb, s, events.PublisherConfig{}).Publish(context.Background(), events.Event{Type: "member.created"}); err != nil {
		t.Fatal(err)
	}
	<-started
	cancel()
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Run = %v, want nil after cancel", err)
	}
	if !finished.Load() {
		t.Error("the in-flight handler saw a canceled context or did not finish")
	}
	if !settled(t, rdb, s.Stream("member"), "social") {
		t.Error("the in-flight event was not acknowledged")
	}
	consumers, err := rdb.XInfoConsumers(context.Background(), s.Stream("member"), "social").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(consumers) != 0 {
		t.Errorf("consumers after a clean stop: %+v, want none (it leaves the group)", consumers)
	}
}

func TestHandlerContextCarriesRequestIDAndTrace(t *testing.T) {
	t.Parallel()
	rdb, ns := testkit.Redis(t)
	s := events.NewStreams(ns)
	type seen struct{ requestID, traceID string }
	got := make(chan seen, 1)
	start(t, newConsumer(t, rdb, s, fastConfig(t, "social", "member"), func(ctx context.Context, ev events.Event) error {
		got <- seen{obs.RequestID(ctx), trace.SpanContextFromContext(ctx).TraceID().String()}
		return nil
	}))

	traceID, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	spanID, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(obs.WithRequestID(context.Background(), "req-42"),
		trace.NewSpanContext(trace.SpanContextConfig{TraceID: traceID, SpanID: spanID, TraceFlags: trace.FlagsSampled}))
	if err := events.NewPublisher(rdb, s, events.PublisherConfig{}).Publish(ctx, events.Event{Type: "member.created"}); err != nil {
		t.Fatal(err)
	}
	var g seen
	select {
	case g = <-got:
	case <-time.After(testkit.WaitLimit):
		t.Fatal("no event")
	}
	if diff := cmp.Diff(seen{"req-42", traceID.String()}, g, cmp.AllowUnexported(seen{})); diff != "" {
		t.Errorf("handler context (-want +got):\n%s", diff)
	}
}

// TestLongBatchIsNotClaimedByOthers: one consumer reads a batch that takes
// far longer than ClaimIdle to handle; the other consumer of the group,
// idle, must not claim the events still waiting in it (they would be
// handled twice).
func TestLongBatchIsNotClaimedByOthers(t *testing.T) {
	t.Parallel()
	rdb, ns := testkit.Redis(t)
	s := events.NewStreams(ns)
	var rec recorder
	slow := func(ctx context.Context, ev events.Event) error {
		time.Sleep(40 * time.Millisecond)
		return rec.handle(ctx, ev)
	}
	cfg := fastConfig(t, "wall", "member")
	cfg.ClaimIdle = 200 * time.Millisecond // 20 events take 800 ms
	a := newConsumer(t, rdb, s, cfg, slow)
	b := newConsumer(t, rdb, s, cfg, slow)
	evs := makeEvents(20, "member.updated", "m1")
	if err := events.NewPublisher(rdb, s, events.PublisherConfig{}).Publish(context.Background(), evs...); err != nil {
		t.Fatal(err)
	}
	start(t, a)
	start(t, b)
	testkit.Eventually(t, "20 events", func() bool { return rec.len() >= 20 })
	testkit.Eventually(t, "acks", func() bool { return settled(t, rdb, s.Stream("member"), "wall") })
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, ev := range evs {
		if n := rec.seen[ev.ID]; n != 1 {
			t.Errorf("event %s handled %d times, want once", ev.ID, n)
		}
	}
}
