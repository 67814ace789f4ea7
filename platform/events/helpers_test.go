package events_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/attendify/platform/events"
	"github.com/attendify/platform/testkit"
	"github.com/redis/go-redis/v9"
)

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// fastConfig is a consumer config with short timings for tests.
func fastConfig(t *testing.T, group string, topics ...string) events.ConsumerConfig {
	return events.ConsumerConfig{
		Group:     group,
		Topics:    topics,
		ClaimIdle: 100 * time.Millisecond,
		Block:     50 * time.Millisecond,
		Logger:    testLogger(t),
	}
}

// start runs c until the test ends; Run must then return nil.
func start(t *testing.T, c *events.Consumer) {
	t.Helper()
	testkit.Run(t, "consumer Run", c.Run)
}

// newConsumer builds a consumer and creates its groups, so that events
// published afterwards reach it.
func newConsumer(t *testing.T, rdb redis.Cmdable, s events.Streams, cfg events.ConsumerConfig, h events.Handler) *events.Consumer {
	t.Helper()
	c, err := events.NewConsumer(rdb, s, cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Setup(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c
}

// recorder is a handler that records what it sees.
type recorder struct {
	mu   sync.Mutex
	evs  []events.Event
	seen map[string]int
}

func (r *recorder) handle(_ context.Context, ev events.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, ev)
	if r.seen == nil {
		r.seen = map[string]int{}
	}
	r.seen[ev.ID]++
	return nil
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.evs)
}

// distinct is how many different event ids were seen.
func (r *recorder) distinct() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

// twice lists the ids seen more than once.
func (r *recorder) twice() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for id, n := range r.seen {
		if n > 1 {
			ids = append(ids, id)
		}
	}
	return ids
}

func (r *recorder) events() []events.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]events.Event(nil), r.evs...)
}

// makeEvents returns n events of type typ with ids set and data {"n": i}.
func makeEvents(n int, typ, subject string) []events.Event {
	evs := make([]events.Event, n)
	for i := range evs {
		evs[i] = events.Event{
			ID:      events.NewID(),
			Type:    typ,
			App:     "app1",
			Subject: subject,
			Time:    time.Now().UTC().Truncate(time.Microsecond),
			Data:    json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)),
		}
	}
	return evs
}

func ids(evs []events.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.ID
	}
	return out
}

// settled reports whether group has been handed every entry of stream and
// has acknowledged them all.
func settled(t *testing.T, rdb redis.Cmdable, stream, group string) bool {
	t.Helper()
	ctx := context.Background()
	last, err := rdb.XRevRangeN(ctx, stream, "+", "-", 1).Result()
	if err != nil {
		t.Fatal(err)
	}
	groups, err := rdb.XInfoGroups(ctx, stream).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		if g.Name == group {
			return g.Pending == 0 && (len(last) == 0 || g.LastDeliveredID == last[0].ID)
		}
	}
	t.Fatalf("no group %s on %s", group, stream)
	return false
}
