package rpc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/bench/rpc/echo"
	"github.com/attendify/platform/runner"
)

// target is one RPC stack under test: its handler, the request it answers
// (the same files run.sh sends with wrk) and how to read the echo result from
// its response.
type target struct {
	name    string
	handler http.Handler
	path    string
	body    []byte
	result  func(body []byte) (echo.Params, error)
}

// targets builds every stack's handler; resources are released with tb.Cleanup.
func targets(tb testing.TB) []target {
	jsonRPC := readFile(tb, "jsonrpc-request.json")
	plain := readFile(tb, "connect-request.json")
	jrpc2, closeJRPC2 := echo.JRPC2()
	tb.Cleanup(func() {
		if err := closeJRPC2(); err != nil {
			tb.Errorf("close jrpc2 bridge: %v", err)
		}
	})
	return []target{
		{"bare", echo.Bare(), echo.RPCPath, jsonRPC, jsonRPCResult},
		{"kit", kitHandler(tb), echo.RPCPath, jsonRPC, jsonRPCResult},
		{"connect", echo.Connect(), echo.ConnectProcedure, plain, plainResult},
		{"jrpc2", jrpc2, echo.RPCPath, jsonRPC, jsonRPCResult},
	}
}

// kitHandler is the kit's echo service with its default stack, the access
// log line per call included: the service logs to stdout, which points at
// /dev/null while it is built, so the lines are formatted and written as in
// production without flooding the test output. It needs Redis, like every
// service.
func kitHandler(tb testing.TB) http.Handler {
	cfg, err := runner.LoadConfig[runner.Config]()
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Addr = "127.0.0.1:0"
	cfg.ShutdownDelay = 0
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { devNull.Close() })
	stdout := os.Stdout
	os.Stdout = devNull
	svc, err := echo.Kit(context.Background(), cfg)
	os.Stdout = stdout
	if err != nil {
		tb.Fatalf("kit service (Redis at REDIS_URL is needed; run make services): %v", err)
	}
	stopped, stop := context.WithCancel(context.Background())
	stop()
	tb.Cleanup(func() { _ = svc.Run(stopped) }) // Run with an ended context shuts straight down: closes Redis and the listener
	return svc.Mux
}

func readFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// jsonRPCResult reads a JSON-RPC 2.0 success response to request id 1.
func jsonRPCResult(body []byte) (echo.Params, error) {
	var resp struct {
		JSONRPC string          `json:"jsonrpc"`
		Result  echo.Params     `json:"result"`
		Error   json.RawMessage `json:"error"`
		ID      json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return echo.Params{}, err
	}
	if resp.JSONRPC != "2.0" || string(resp.ID) != "1" || resp.Error != nil {
		return echo.Params{}, fmt.Errorf("not a success response to id 1: %s", body)
	}
	return resp.Result, nil
}

// plainResult reads a connect unary JSON response: the message itself.
func plainResult(body []byte) (echo.Params, error) {
	var p echo.Params
	err := json.Unmarshal(body, &p)
	return p, err
}

func post(h http.Handler, path string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestEchoUnchanged checks that every stack answers the benchmark request with
// its params unchanged, so that the benchmarks compare the same work.
func TestEchoUnchanged(t *testing.T) {
	for _, tg := range targets(t) {
		t.Run(tg.name, func(t *testing.T) {
			rec := post(tg.handler, tg.path, tg.body)
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d, body %s", rec.Code, rec.Body)
			}
			got, err := tg.result(rec.Body.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(echo.Sample, got); diff != "" {
				t.Errorf("echo result (-want +got):\n%s", diff)
			}
		})
	}
}

// BenchmarkEcho measures the server path of each stack in process: a fresh
// request with the fixed body and a recorder per call, through the handler.
// The "harness" row is a handler that does nothing: the request and recorder
// cost that every other row includes.
func BenchmarkEcho(b *testing.B) {
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	all := append([]target{{name: "harness", handler: noop, path: echo.RPCPath, body: readFile(b, "jsonrpc-request.json")}}, targets(b)...)
	for _, tg := range all {
		b.Run(tg.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if rec := post(tg.handler, tg.path, tg.body); rec.Code != http.StatusOK {
					b.Fatalf("status = %d, body %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
