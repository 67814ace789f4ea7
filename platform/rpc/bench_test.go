package rpc

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/obs"
	"github.com/attendify/platform/shed"
)

type benchParams struct {
	Text string `json:"text" jsonschema:"maxLength=1000"`
	N    int    `json:"n"`
}

// BenchmarkServeEcho measures the server path of a small call with the
// default stack (validation, access log, metrics, shedder, authenticator).
func BenchmarkServeEcho(b *testing.B) {
	logger := obs.NewLogger(io.Discard, "bench", obs.LogConfig{})
	defer logger.Close()
	s := NewServer(Options{
		Logger:     logger.Logger,
		Registerer: prometheus.NewRegistry(),
		Shedder:    shed.New(shed.Options{}),
		Auth:       &auth.Authenticator{},
	})
	Handle(s, Method[benchParams, benchParams]{Name: "echo", Auth: auth.Public},
		func(_ context.Context, p benchParams) (benchParams, error) { return p, nil })
	body := []byte(`{"jsonrpc":"2.0","method":"echo","params":{"text":"hello, attendify","n":42},"id":1}`)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		w := httptest.NewRecorder()
		for pb.Next() {
			r := httptest.NewRequest(http.MethodPost, "/rpc", bytes.NewReader(body))
			w.Body.Reset()
			s.ServeHTTP(w, r)
		}
	})
}
