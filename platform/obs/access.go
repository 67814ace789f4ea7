package obs

import (
	"context"
	"encoding/hex"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// Access is the access log line of one call, which the RPC server writes
// for every call it serves: the record Record makes.
type Access struct {
	Time         time.Time
	Level        slog.Level // Info, or Error for an internal error
	Method       string
	Caller       string
	DurationUS   int64
	Code         int
	Notification bool
	Outcome      string
	Error        string // with Level Error only
}

// Record is a's log record: message "rpc" and its attributes in this
// order: method, caller, duration_us, code, notification (when true),
// outcome, error (when not empty).
func (a Access) Record() slog.Record {
	r := slog.NewRecord(a.Time, a.Level, "rpc", 0)
	r.AddAttrs(
		slog.String("method", a.Method),
		slog.String("caller", a.Caller),
		slog.Int64("duration_us", a.DurationUS),
		slog.Int("code", a.Code),
	)
	if a.Notification {
		r.AddAttrs(slog.Bool("notification", true))
	}
	r.AddAttrs(slog.String("outcome", a.Outcome))
	if a.Error != "" {
		r.AddAttrs(slog.String("error", a.Error))
	}
	return r
}

// AccessWriter is a handler that writes an access line itself, byte for
// byte as its Handle writes a.Record() (TestAccessLineMatchesSlog), at a
// fraction of slog's cost: it is the most frequent line of every service.
// WriteAccess writes nothing and reports false when it cannot (a line at
// another level than Info, or a string that JSON would escape); the
// caller then hands the record to Handle.
type AccessWriter interface {
	WriteAccess(ctx context.Context, a Access) bool
}

// accessHandler is NewLogger's handler: ContextHandler over slog's JSON
// handler with the service attribute, and an AccessWriter beside it that
// writes to the same buffer, a whole line a Write, as slog does. Handlers
// derived from it (WithAttrs, WithGroup) are ContextHandlers: their lines
// carry more than an access line knows.
type accessHandler struct {
	ContextHandler
	w       *BufferedWriter
	service string // as it goes out, between quotes; "" when it would need escaping
}

func newAccessHandler(h ContextHandler, w *BufferedWriter, service string) *accessHandler {
	if !plainJSON(service) {
		service = ""
	}
	return &accessHandler{ContextHandler: h, w: w, service: service}
}

var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// WriteAccess implements AccessWriter.
func (h *accessHandler) WriteAccess(ctx context.Context, a Access) bool {
	if a.Level != slog.LevelInfo || a.Error != "" || h.service == "" {
		return false
	}
	id := RequestID(ctx)
	if !plainJSON(a.Method) || !plainJSON(a.Caller) || !plainJSON(a.Outcome) || !plainJSON(id) {
		return false
	}
	t := a.Time
	if t.IsZero() || t.Year() < 0 || t.Year() >= 10000 {
		return false // slog leaves out a zero time, and refuses years past four digits
	}
	bp := linePool.Get().(*[]byte)
	b := append((*bp)[:0], `{"time":"`...)
	b = t.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"INFO","msg":"rpc","service":"`...)
	b = append(b, h.service...)
	b = append(b, `","method":"`...)
	b = append(b, a.Method...)
	b = append(b, `","caller":"`...)
	b = append(b, a.Caller...)
	b = append(b, `","duration_us":`...)
	b = strconv.AppendInt(b, a.DurationUS, 10)
	b = append(b, `,"code":`...)
	b = strconv.AppendInt(b, int64(a.Code), 10)
	if a.Notification {
		b = append(b, `,"notification":true`...)
	}
	b = append(b, `,"outcome":"`...)
	b = append(b, a.Outcome...)
	b = append(b, '"')
	if id != "" {
		b = append(b, `,"request_id":"`...)
		b = append(b, id...)
		b = append(b, '"')
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() && sc.IsSampled() {
		tid := sc.TraceID()
		b = append(b, `,"trace_id":"`...)
		b = hex.AppendEncode(b, tid[:])
		b = append(b, '"')
	}
	b = append(b, "}\n"...)
	_, _ = h.w.Write(b)
	*bp = b
	if cap(b) <= 4096 {
		linePool.Put(bp)
	}
	return true
}

// plainJSON reports whether s goes into a JSON string as it is: printable
// ASCII without a quote or a backslash.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
