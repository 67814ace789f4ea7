package obs

import (
	"context"
	"fmt"
	"net/url"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
)

// TraceConfig turns tracing on. With no endpoint, spans are not recorded
// (the no-op provider) but W3C trace context still flows through calls.
type TraceConfig struct {
	// Endpoint is the OTLP/HTTP collector's base URL, e.g.
	// http://127.0.0.1:4318 (spans go to its /v1/traces).
	Endpoint string `env:"OTEL_EXPORTER_OTLP_ENDPOINT"`
	// SampleRatio is the share of new traces recorded (parents' decisions
	// are followed).
	SampleRatio float64 `env:"OTEL_TRACES_SAMPLER_RATIO" envDefault:"0.1"`
}

// Enabled says whether spans are recorded and exported.
func (c TraceConfig) Enabled() bool { return c.Endpoint != "" }

// SetupTracing installs the global tracer provider and the W3C trace-context
// propagator. The returned function flushes and stops the exporter.
func SetupTracing(ctx context.Context, service string, cfg TraceConfig) (shutdown func(context.Context) error, err error) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	if !cfg.Enabled() {
		return func(context.Context) error { return nil }, nil
	}
	// The endpoint is the collector's base URL, as OpenTelemetry's
	// environment specification has it: traces go to its /v1/traces.
	traces, err := url.JoinPath(cfg.Endpoint, "v1/traces")
	if err != nil {
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT %q: %w", cfg.Endpoint, err)
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(traces))
	if err != nil {
		return nil, fmt.Errorf("tracing exporter %s: %w", cfg.Endpoint, err)
	}
	res := resource.NewSchemaless(semconv.ServiceName(service))
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.SampleRatio))),
	)
	otel.SetTracerProvider(tp)
	return tp.Shutdown, nil
}
