package obs

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// TestAccessLineMatchesSlog: an access line written by the logger's
// AccessWriter is, byte for byte, what its slog handler writes for the
// same record; where it cannot be (a string to escape, another level), it
// writes nothing and says so.
func TestAccessLineMatchesSlog(t *testing.T) {
	var fast, slow bytes.Buffer
	lf := NewLogger(&fast, "social", LogConfig{FlushInterval: time.Hour})
	ls := NewLogger(&slow, "social", LogConfig{FlushInterval: time.Hour})
	defer lf.Close()
	defer ls.Close()
	aw, ok := lf.Handler().(AccessWriter)
	if !ok {
		t.Fatal("NewLogger's handler is not an AccessWriter")
	}
	sampled := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:  trace.SpanID{0, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}, TraceFlags: trace.FlagsSampled}))
	unsampled := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}}))
	ok1 := Access{Time: time.Date(2026, 12, 8, 4, 12, 13, 123456789, time.UTC), Level: slog.LevelInfo,
		Method: "feed.get", Caller: "user:01M99XRNBC0007MCEB84H3CTCE", DurationUS: 1234, Code: 0, Outcome: "ok"}
	with := func(f func(a *Access)) Access { a := ok1; f(&a); return a }
	for _, tc := range []struct {
		name  string
		ctx   context.Context
		a     Access
		wrote bool
	}{
		{"a call", WithRequestID(context.Background(), "01M99XRNBC0007MCEB84H3CTCE"), ok1, true},
		{"no request id", context.Background(), ok1, true},
		{"a sampled trace", WithRequestID(sampled, "r1"), ok1, true},
		{"an unsampled trace", unsampled, ok1, true},
		{"on the millisecond", context.Background(), with(func(a *Access) { a.Time = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }), true},
		{"a zone east", context.Background(), with(func(a *Access) { a.Time = a.Time.In(time.FixedZone("IST", 5*3600+1800)) }), true},
		{"a zone west", context.Background(), with(func(a *Access) { a.Time = a.Time.In(time.FixedZone("X", -(3*3600 + 1800))) }), true},
		{"a monotonic clock reading", context.Background(), with(func(a *Access) { a.Time = time.Now() }), true},
		{"a refusal", context.Background(), with(func(a *Access) { a.Code, a.Outcome, a.DurationUS = -32601, "method_not_found", 0 }), true},
		{"a notification", context.Background(), with(func(a *Access) { a.Notification = true }), true},
		{"a service acting for a user", context.Background(), with(func(a *Access) { a.Caller = "service:hub/user:u1" }), true},
		{"a method to escape", context.Background(), with(func(a *Access) { a.Method = "fe\"ed" }), false},
		{"a caller to escape", context.Background(), with(func(a *Access) { a.Caller = "user:é" }), false},
		{"a request id to escape", WithRequestID(context.Background(), "a\nb"), ok1, false},
		{"an internal error", context.Background(), with(func(a *Access) { a.Level, a.Code, a.Outcome, a.Error = slog.LevelError, -32603, "internal", "boom" }), false},
		{"a zero time", context.Background(), with(func(a *Access) { a.Time = time.Time{} }), false},
	} {
		fast.Reset()
		slow.Reset()
		a := tc.a
		wrote := aw.WriteAccess(tc.ctx, a)
		if err := ls.Handler().Handle(tc.ctx, a.Record()); err != nil {
			t.Fatal(err)
		}
		_ = lf.Flush()
		_ = ls.Flush()
		switch {
		case wrote != tc.wrote:
			t.Errorf("%s: wrote %v, want %v", tc.name, wrote, tc.wrote)
		case wrote && fast.String() != slow.String():
			t.Errorf("%s:\nfast %s\nslog %s", tc.name, fast.String(), slow.String())
		case !wrote && fast.Len() != 0:
			t.Errorf("%s: wrote %q and said it did not", tc.name, fast.String())
		}
	}
	// Derived handlers carry attributes an access line does not know.
	if _, ok := lf.With("k", "v").Handler().(AccessWriter); ok {
		t.Error("a derived handler writes access lines")
	}
}

func BenchmarkAccessLine(b *testing.B) {
	ctx := WithRequestID(context.Background(), "01M99XRNBC0007MCEB84H3CTCE")
	a := Access{Time: time.Now(), Level: slog.LevelInfo, Method: "echo.signed", Caller: "service:bench", DurationUS: 12, Outcome: "ok"}
	for _, mode := range []string{"access-writer", "slog"} {
		b.Run(mode, func(b *testing.B) {
			l := NewLogger(discard{}, "kit", LogConfig{})
			defer l.Close()
			h := l.Handler()
			aw := h.(AccessWriter)
			b.ReportAllocs()
			for b.Loop() {
				if mode == "slog" || !aw.WriteAccess(ctx, a) {
					_ = h.Handle(ctx, a.Record())
				}
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
