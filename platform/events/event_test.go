package events_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/attendify/platform/events"
	"github.com/google/go-cmp/cmp"
)

func TestTopic(t *testing.T) {
	tests := []struct{ typ, want string }{
		{"member.deleted", "member"},
		{"post.comment.created", "post"},
		{"nodot", "nodot"},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			if got := (events.Event{Type: tt.typ}).Topic(); got != tt.want {
				t.Errorf("Topic() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStreamNames(t *testing.T) {
	s := events.NewStreams("prod")
	if got, want := s.Stream("member"), "prod:events:{member}"; got != want {
		t.Errorf("Stream = %q, want %q", got, want)
	}
	if got, want := s.Dead("member"), "prod:events:{member}:dead"; got != want {
		t.Errorf("Dead = %q, want %q", got, want)
	}
}

// entry turns encoded values into what XREADGROUP returns.
func entry(vals []any) map[string]any {
	m := map[string]any{}
	for i := 0; i < len(vals); i += 2 {
		m[vals[i].(string)] = vals[i+1]
	}
	return m
}

func TestEntryRoundTrip(t *testing.T) {
	tests := []events.Event{
		{
			ID: events.NewID(), Type: "member.deleted", App: "app1", Subject: "m42",
			Time: time.Date(2025, 3, 4, 5, 6, 7, 890, time.UTC), Data: json.RawMessage(`{"reason":"gdpr"}`),
			RequestID: "req-1", TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		},
		{ID: events.NewID(), Type: "app.created", Time: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, ev := range tests {
		t.Run(ev.Type, func(t *testing.T) {
			got, err := events.Decode(entry(ev.Values()))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(ev, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeRejectsPoison(t *testing.T) {
	good := func() map[string]any {
		return map[string]any{"id": "x", "type": "post.created", "time": "2025-01-01T00:00:00Z"}
	}
	tests := []struct {
		name   string
		change func(m map[string]any)
	}{
		{"no id", func(m map[string]any) { delete(m, "id") }},
		{"no type", func(m map[string]any) { delete(m, "type") }},
		{"type without topic", func(m map[string]any) { m["type"] = "created" }},
		{"upper-case topic", func(m map[string]any) { m["type"] = "Post.created" }},
		{"bad time", func(m map[string]any) { m["time"] = "yesterday" }},
		{"bad json", func(m map[string]any) { m["data"] = "{nope" }},
	}
	if _, err := events.Decode(good()); err != nil {
		t.Fatalf("the good entry does not decode: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := good()
			tt.change(m)
			if ev, err := events.Decode(m); err == nil {
				t.Errorf("Decode(%v) = %+v, want an error", m, ev)
			}
		})
	}
}
