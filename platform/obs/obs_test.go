package obs

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestLoggerAddsRequestAndTraceIDs(t *testing.T) {
	var out lockedBuffer
	l := NewLogger(&out, "svc", LogConfig{FlushInterval: time.Hour})
	ctx := WithRequestID(context.Background(), "rid-1")
	tid := trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	ctx = trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled}))
	l.InfoContext(ctx, "hello", slog.Int("n", 1))
	if out.String() != "" {
		t.Fatal("line written before a flush: the buffer is not buffering")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(out.String())), &rec); err != nil {
		t.Fatalf("not one JSON line: %q", out.String())
	}
	want := map[string]any{"msg": "hello", "service": "svc", "request_id": "rid-1", "trace_id": tid.String(), "n": float64(1)}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("%s = %v, want %v", k, rec[k], v)
		}
	}
	if err := l.Close(); err != nil { // twice is fine
		t.Fatal(err)
	}
}

func TestBufferedWriterFlushesOnItsOwn(t *testing.T) {
	var out lockedBuffer
	w := NewBufferedWriter(&out, 1024, 10*time.Millisecond)
	defer w.Close()
	_, _ = w.Write([]byte("line\n"))
	for range 500 {
		if out.String() == "line\n" {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("buffered line never flushed by the interval")
}
