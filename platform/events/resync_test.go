package events_test

import (
	"context"
	"encoding/json"
	"maps"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/attendify/platform/events"
	"github.com/attendify/platform/testkit"
	"github.com/google/go-cmp/cmp"
)

// names is a projection of "member.updated" events ({"name": ...} by
// subject) with the source of truth it is projected from.
type names struct {
	mu      sync.Mutex
	truth   map[string]string // what the producing service has in its database
	proj    map[string]string // what the consumer made of it
	resyncs atomic.Int32
	// hold, when set, makes the handler wait on it for the subject named
	// holdFor (a consumer lagging behind its stream).
	hold    chan struct{}
	holdFor string
	held    chan struct{}
}

func newNames() *names {
	return &names{truth: map[string]string{}, proj: map[string]string{}}
}

// change changes the truth and returns the event the producer announces
// it with.
func (n *names) change(member, name string) events.Event {
	n.mu.Lock()
	n.truth[member] = name
	n.mu.Unlock()
	data, _ := json.Marshal(map[string]string{"name": name})
	return events.Event{ID: events.NewID(), Type: "member.updated", App: "app1", Subject: member, Data: data}
}

func (n *names) handle(_ context.Context, ev events.Event) error {
	if n.hold != nil && ev.Subject == n.holdFor {
		close(n.held)
		<-n.hold
	}
	var p struct{ Name string }
	if err := json.Unmarshal(ev.Data, &p); err != nil {
		return events.Permanent(err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.proj[ev.Subject] = p.Name
	return nil
}

// resync copies the truth, as a service's resync reads its source.
func (n *names) resync(context.Context) error {
	n.resyncs.Add(1)
	n.mu.Lock()
	defer n.mu.Unlock()
	maps.Copy(n.proj, n.truth)
	return nil
}

func (n *names) consistent() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return maps.Equal(n.truth, n.proj)
}

func (n *names) diff() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return cmp.Diff(n.truth, n.proj)
}

// TestResyncAfterRedisLoss: a consumer lags behind its stream (its handler
// is busy with an earlier event) when Redis restarts empty, taking with it
// an event the consumer had not read yet. The consumer notices that its
// group is gone, calls its Resync once before reading again, and then
// consumes what is published to the new stream.
func TestResyncAfterRedisLoss(t *testing.T) {
	t.Parallel()
	srv := testkit.StartRedisServer(t)
	rdb := srv.Client()
	s := events.NewStreams("resync")
	pub := events.NewPublisher(rdb, s, events.PublisherConfig{})
	ctx := context.Background()

	n := newNames()
	cfg := fastConfig(t, "social", "member")
	cfg.Resync = n.resync
	c := newConsumer(t, rdb, s, cfg, n.handle)
	if got := n.resyncs.Load(); got != 1 {
		t.Fatalf("a new group resynced %d times, want once", got)
	}
	n.hold, n.holdFor, n.held = make(chan struct{}), "busy", make(chan struct{})
	start(t, c)

	if err := pub.Publish(ctx, n.change("m1", "Ann"), n.change("busy", "Busy")); err != nil {
		t.Fatal(err)
	}
	<-n.held // the consumer is handling "busy"...
	// ...when the producer announces a rename, which the consumer has not
	// read when Redis restarts empty.
	if err := pub.Publish(ctx, n.change("m1", "Bob")); err != nil {
		t.Fatal(err)
	}
	srv.Restart()
	close(n.hold)

	testkit.Eventually(t, "the projection to match its truth without a new event", n.consistent)
	if got := n.resyncs.Load(); got != 2 {
		t.Errorf("resynced %d times after the loss, want once (2 in all)", got-1)
	}

	// Consumption goes on in the new stream.
	if err := pub.Publish(ctx, n.change("m2", "Cy"), n.change("m1", "Dee")); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the events after the loss", func() bool {
		n.mu.Lock()
		defer n.mu.Unlock()
		return n.proj["m2"] == "Cy" && n.proj["m1"] == "Dee"
	})
	if d := n.diff(); d != "" {
		t.Errorf("projection (-truth +projection):\n%s", d)
	}
	if got := n.resyncs.Load(); got != 2 {
		t.Errorf("resynced %d times in all, want 2 (the new group, the loss)", got)
	}
}

// TestGroupAfterProducers: producers published before the consumer's group
// existed (a first start, or Redis back empty and written to before the
// consumer looked). The consumer resyncs and then reads the stream from its
// start, so an event its source does not hold is not skipped.
func TestGroupAfterProducers(t *testing.T) {
	t.Parallel()
	rdb, ns := testkit.Redis(t)
	s := events.NewStreams(ns)
	pub := events.NewPublisher(rdb, s, events.PublisherConfig{})
	n := newNames()
	data, _ := json.Marshal(map[string]string{"name": "Eve"})
	untracked := events.Event{ID: events.NewID(), Type: "member.updated", App: "app1", Subject: "m9", Data: data}
	if err := pub.Publish(context.Background(), n.change("m1", "Ann"), untracked, n.change("m1", "Bob")); err != nil {
		t.Fatal(err)
	}
	cfg := fastConfig(t, "social", "member")
	cfg.Resync = n.resync
	start(t, newConsumer(t, rdb, s, cfg, n.handle))
	testkit.Eventually(t, "the events published before the group", func() bool {
		n.mu.Lock()
		defer n.mu.Unlock()
		return n.proj["m9"] == "Eve" && n.proj["m1"] == "Bob"
	})
}

// TestResyncAfterTrim: a stopped consumer's stream is trimmed past its
// group's position. On its next start it resyncs instead of silently
// carrying on after the gap; a consumer without a Resync would miss the
// trimmed events.
func TestResyncAfterTrim(t *testing.T) {
	t.Parallel()
	rdb, ns := testkit.Redis(t)
	s := events.NewStreams(ns)
	pub := events.NewPublisher(rdb, s, events.PublisherConfig{MaxLen: 10})
	ctx := context.Background()

	n := newNames()
	cfg := fastConfig(t, "social", "member")
	cfg.Resync = n.resync
	stop := testkit.Run(t, "first consumer", newConsumer(t, rdb, s, cfg, n.handle).Run)
	if err := pub.Publish(ctx, n.change("m1", "Ann")); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the first event", n.consistent)
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// While it is away, hundreds of changes: the stream keeps about 10.
	var evs []events.Event
	for i := range 300 {
		evs = append(evs, n.change("m"+string(rune('a'+i%26)), "name "+string(rune('A'+i%26))))
	}
	evs = append(evs, n.change("m1", "Bob")) // early in the stream: trimmed
	for i := range 300 {
		evs = append(evs, n.change("z"+string(rune('a'+i%26)), "late"))
	}
	if err := pub.Publish(ctx, evs...); err != nil {
		t.Fatal(err)
	}
	if l := rdb.XLen(ctx, s.Stream("member")).Val(); l >= 301 {
		t.Fatalf("the stream holds %d entries: not trimmed", l)
	}

	before := n.resyncs.Load()
	start(t, newConsumer(t, rdb, s, cfg, n.handle))
	testkit.Eventually(t, "the projection to match its truth", n.consistent)
	if got := n.resyncs.Load() - before; got != 1 {
		t.Errorf("resynced %d times after the trim, want once", got)
	}
}
