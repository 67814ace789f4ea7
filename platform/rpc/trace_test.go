package rpc

import (
	"context"
	"net/http/httptest"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/attendify/platform/auth"
)

// TestTraceContextFlowsAndServerSpansRecord calls outer on server A with a
// W3C traceparent; outer calls inner on server B through the client. Both
// servers record a span in the caller's trace, each the child of the span
// before it, and inner's handler runs in that trace.
func TestTraceContextFlowsAndServerSpansRecord(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	inHandler := make(chan trace.SpanContext, 1)
	b := NewServer(Options{Tracer: tp.Tracer("b")})
	Handle(b, Method[waitParams, int]{Name: "inner", Auth: auth.Public}, func(ctx context.Context, _ waitParams) (int, error) {
		inHandler <- trace.SpanContextFromContext(ctx)
		return 7, nil
	})
	bs := httptest.NewServer(b)
	t.Cleanup(bs.Close)
	client, err := NewClient(ClientOptions{Endpoints: []string{bs.URL}})
	if err != nil {
		t.Fatal(err)
	}
	a := NewServer(Options{Tracer: tp.Tracer("a")})
	Handle(a, Method[waitParams, int]{Name: "outer", Auth: auth.Public}, func(ctx context.Context, _ waitParams) (int, error) {
		var n int
		err := client.Call(ctx, "inner", true, waitParams{}, &n)
		return n, err
	})

	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	got := post(t, a, `{"jsonrpc":"2.0","method":"outer","params":{},"id":1}`,
		"traceparent", "00-"+traceID+"-"+parentID+"-01")
	if got.body != `{"jsonrpc":"2.0","result":7,"id":1}` {
		t.Fatalf("outer answered %s", got.body)
	}

	spans := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		spans[s.Name()] = s
	}
	outer, inner := spans["outer"], spans["inner"]
	if outer == nil || inner == nil {
		t.Fatalf("want server spans outer and inner, recorded %v", keys(spans))
	}
	for _, s := range []sdktrace.ReadOnlySpan{outer, inner} {
		if s.SpanKind() != trace.SpanKindServer || s.SpanContext().TraceID().String() != traceID {
			t.Errorf("span %s: kind %v trace %s, want a server span in trace %s", s.Name(), s.SpanKind(), s.SpanContext().TraceID(), traceID)
		}
	}
	if p := outer.Parent().SpanID().String(); p != parentID || !outer.Parent().IsRemote() {
		t.Errorf("outer's parent = %s (remote %v), want the caller's span %s", p, outer.Parent().IsRemote(), parentID)
	}
	if inner.Parent().SpanID() != outer.SpanContext().SpanID() {
		t.Errorf("inner's parent = %s, want outer's span %s", inner.Parent().SpanID(), outer.SpanContext().SpanID())
	}
	if sc := <-inHandler; sc.SpanID() != inner.SpanContext().SpanID() {
		t.Errorf("inner's handler runs in span %s, want its server span %s", sc.SpanID(), inner.SpanContext().SpanID())
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
