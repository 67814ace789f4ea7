// Package obs is the observability kit shared by every service: structured
// JSON logs that carry the request id of the context they are written in,
// the request id itself, and OpenTelemetry tracing set-up.
//
// Log through a *slog.Logger with the context (logger.InfoContext(ctx, ...)):
// the handler adds request_id, and trace_id when a span is recording, so that
// every line of a call can be found from the id the client saw in
// X-Request-Id.
package obs

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"
)

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID is the request id carried by ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// LogConfig configures NewLogger.
type LogConfig struct {
	Level slog.Level `env:"LOG_LEVEL" envDefault:"INFO"`
	// FlushInterval bounds how long a log line may sit in the buffer.
	FlushInterval time.Duration `env:"LOG_FLUSH_INTERVAL" envDefault:"200ms"`
}

// Logger is a JSON logger writing through a buffer, so that a log line per
// call costs a memory copy, not a system call. Close (or Flush) before exit.
type Logger struct {
	*slog.Logger
	w *BufferedWriter
}

// NewLogger returns a JSON logger on w with the given service name attached
// to every line and the request id (and trace id) taken from the context.
func NewLogger(w io.Writer, service string, cfg LogConfig) *Logger {
	bw := NewBufferedWriter(w, 64<<10, cfg.FlushInterval)
	h := slog.NewJSONHandler(bw, &slog.HandlerOptions{Level: cfg.Level}).WithAttrs([]slog.Attr{slog.String("service", service)})
	l := slog.New(newAccessHandler(ContextHandler{h}, bw, service))
	return &Logger{Logger: l, w: bw}
}

// Flush writes out what is buffered.
func (l *Logger) Flush() error { return l.w.Flush() }

// Close flushes and stops the background flusher.
func (l *Logger) Close() error { return l.w.Close() }

// ContextHandler adds request_id and trace_id from the context to each record.
type ContextHandler struct{ slog.Handler }

// Handle implements slog.Handler.
func (h ContextHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() && sc.IsSampled() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h ContextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return ContextHandler{h.Handler.WithAttrs(as)}
}

// WithGroup implements slog.Handler.
func (h ContextHandler) WithGroup(name string) slog.Handler {
	return ContextHandler{h.Handler.WithGroup(name)}
}

// BufferedWriter is a goroutine-safe buffered writer that flushes when full
// and at least every interval.
type BufferedWriter struct {
	mu      sync.Mutex
	w       *bufio.Writer
	stop    chan struct{}
	done    chan struct{}
	stopped sync.Once
}

// NewBufferedWriter starts a writer with a background flush every interval.
func NewBufferedWriter(w io.Writer, size int, interval time.Duration) *BufferedWriter {
	b := &BufferedWriter{w: bufio.NewWriterSize(w, size), stop: make(chan struct{}), done: make(chan struct{})}
	if interval <= 0 {
		interval = 200 * time.Millisecond
	}
	go b.loop(interval)
	return b
}

func (b *BufferedWriter) loop(interval time.Duration) {
	defer close(b.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			_ = b.Flush()
		case <-b.stop:
			return
		}
	}
}

// Write implements io.Writer. slog writes one whole line per call.
func (b *BufferedWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

// Flush writes out buffered data.
func (b *BufferedWriter) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Flush()
}

// Close stops the background flusher and flushes. It is safe to call twice.
func (b *BufferedWriter) Close() error {
	b.stopped.Do(func() {
		close(b.stop)
		<-b.done
	})
	return b.Flush()
}
