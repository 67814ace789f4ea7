package events

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/attendify/platform/flake"
	"github.com/attendify/platform/obs"
	"go.opentelemetry.io/otel/propagation"
)

// Event is one domain fact a service publishes for others ("member.deleted",
// "post.created"). Events are immutable once published; consumers receive
// them at least once and use ID to recognise a redelivery.
type Event struct {
	// ID is a flake id, unique per event and stable across redeliveries and
	// outbox retries. Publish and AddToOutbox fill it when empty.
	ID string `json:"id"`
	// Type is "<topic>.<what happened>", e.g. "member.deleted". The topic
	// (the part before the first dot) picks the stream.
	Type string `json:"type"`
	// App is the tenant the event belongs to; empty for platform-wide events.
	App string `json:"app,omitempty"`
	// Subject is the id of the object the event is about.
	Subject string `json:"subject,omitempty"`
	// Time is when the fact happened; filled with the current time when
	// zero. It is kept to the microsecond (Postgres' precision), in UTC.
	Time time.Time `json:"time"`
	// Data is the event's payload, a JSON value (null when empty).
	Data json.RawMessage `json:"data,omitempty"`
	// RequestID is the id of the request that caused the event, so that the
	// logs of every service that handles it can be joined. Publish and
	// AddToOutbox take it from ctx (obs.RequestID) when empty; the handler's
	// context carries it (obs.WithRequestID).
	RequestID string `json:"request_id,omitempty"`
	// TraceParent is the W3C traceparent of the span that published the
	// event; the consumer's handler runs in a context carrying it, so its
	// spans join the producer's trace. Publish fills it from ctx when empty.
	TraceParent string `json:"traceparent,omitempty"`
}

// Topic is the part of the event type before the first dot: "member" for
// "member.deleted". Every event of a topic goes to the same stream.
func (e Event) Topic() string {
	t, _, _ := strings.Cut(e.Type, ".")
	return t
}

// NewID returns a new event id (a flake id in its 26-character string form).
func NewID() string { return ids().Next().String() }

// ids is the process-wide event id generator, made on first use.
var ids = sync.OnceValue(func() *flake.Generator { return flake.New(0) })

// prepare validates ev and fills its defaults: id, time, traceparent.
func prepare(ctx context.Context, ev *Event, now time.Time) error {
	if err := validType(ev.Type); err != nil {
		return err
	}
	if ev.ID == "" {
		ev.ID = NewID()
	}
	if ev.Time.IsZero() {
		ev.Time = now
	}
	ev.Time = ev.Time.UTC().Truncate(time.Microsecond)
	if len(ev.Data) > 0 && !json.Valid(ev.Data) {
		return fmt.Errorf("events: event %s (%s): data is not valid JSON", ev.ID, ev.Type)
	}
	if ev.RequestID == "" {
		ev.RequestID = obs.RequestID(ctx)
	}
	if ev.TraceParent == "" {
		c := propagation.MapCarrier{}
		propagation.TraceContext{}.Inject(ctx, c)
		ev.TraceParent = c["traceparent"]
	}
	return nil
}

// validType checks that an event type names a topic: "<topic>.<name>" where
// the topic is a non-empty run of lower-case letters, digits, '_' and '-'.
func validType(typ string) error {
	topic, rest, ok := strings.Cut(typ, ".")
	if !ok || rest == "" || !validTopic(topic) {
		return fmt.Errorf("events: event type %q must look like \"<topic>.<name>\" with a lower-case topic", typ)
	}
	return nil
}

func validTopic(topic string) bool {
	if topic == "" || len(topic) > 64 {
		return false
	}
	for i := 0; i < len(topic); i++ {
		c := topic[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Stream entry field names. An entry is flat so that it reads well in
// redis-cli (XRANGE); empty optional fields are left out.
const (
	fID          = "id"
	fType        = "type"
	fApp         = "app"
	fSubject     = "subject"
	fTime        = "time"
	fData        = "data"
	fRequestID   = "request_id"
	fTraceParent = "traceparent"
)

// values encodes ev as stream entry fields, in a fixed order.
func (e Event) values() []any {
	v := make([]any, 0, 16)
	v = append(v, fID, e.ID, fType, e.Type)
	if e.App != "" {
		v = append(v, fApp, e.App)
	}
	if e.Subject != "" {
		v = append(v, fSubject, e.Subject)
	}
	v = append(v, fTime, e.Time.UTC().Format(time.RFC3339Nano))
	if len(e.Data) > 0 {
		v = append(v, fData, string(e.Data))
	}
	if e.RequestID != "" {
		v = append(v, fRequestID, e.RequestID)
	}
	if e.TraceParent != "" {
		v = append(v, fTraceParent, e.TraceParent)
	}
	return v
}

// decode reads an event back from stream entry fields. An entry that fails
// here is a poison message: no number of retries will make it readable.
func decode(m map[string]any) (Event, error) {
	str := func(k string) string { s, _ := m[k].(string); return s }
	ev := Event{
		ID:          str(fID),
		Type:        str(fType),
		App:         str(fApp),
		Subject:     str(fSubject),
		RequestID:   str(fRequestID),
		TraceParent: str(fTraceParent),
	}
	if ev.ID == "" {
		return Event{}, fmt.Errorf("entry has no %q field", fID)
	}
	if err := validType(ev.Type); err != nil {
		return Event{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, str(fTime))
	if err != nil {
		return Event{}, fmt.Errorf("bad %q field: %w", fTime, err)
	}
	ev.Time = t
	if d := str(fData); d != "" {
		if !json.Valid([]byte(d)) {
			return Event{}, fmt.Errorf("%q field is not valid JSON", fData)
		}
		ev.Data = json.RawMessage(d)
	}
	return ev, nil
}

// handlerContext returns ctx carrying ev's request id and its traceparent
// as the remote parent span, so that the handler's logs and spans join the
// producer's.
func handlerContext(ctx context.Context, ev Event) context.Context {
	if ev.RequestID != "" {
		ctx = obs.WithRequestID(ctx, ev.RequestID)
	}
	if ev.TraceParent != "" {
		ctx = propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{"traceparent": ev.TraceParent})
	}
	return ctx
}
