package rpc_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/attendify/bench/rpc/echo"
	"github.com/attendify/platform/auth"
	"github.com/attendify/platform/auth/authtest"
	"github.com/attendify/platform/runner"
	"github.com/attendify/platform/testkit"
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
	kit := kitHandler(tb)
	return []target{
		{"bare", echo.Bare(), echo.RPCPath, jsonRPC, jsonRPCResult},
		{"kit", kit, echo.RPCPath, jsonRPC, jsonRPCResult},
		{"kit-typed", kit, echo.RPCPath, readFile(tb, "jsonrpc-request-typed.json"), jsonRPCResult},
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
	return svc.Handler()
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

// TestKitEchoAnyShape checks that the kit's echo returns any params
// unchanged, as the benchmark's description says, not only the sample's
// (any object or array: JSON-RPC params are structured).
func TestKitEchoAnyShape(t *testing.T) {
	kit := kitHandler(t)
	for _, params := range []string{`[1,"two",{"three":[3]}]`, `{"a":{"b":[null,true]},"text":"x"}`} {
		rec := post(kit, echo.RPCPath, []byte(`{"jsonrpc":"2.0","method":"echo","params":`+params+`,"id":1}`))
		if want := `{"jsonrpc":"2.0","result":` + params + `,"id":1}`; rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != want {
			t.Errorf("echo %s = %d %s, want %s", params, rec.Code, rec.Body, want)
		}
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

// BenchmarkEchoSigned measures the kit's server path for signed service
// calls in process, as BenchmarkEcho does for the others: kit-hmac (each
// call with its own nonce, checked in Redis) and kit-session (calls in a
// service session, checked in the server's memory). Every call needs
// headers of its own, signed outside the timed loop in batches; the timed
// part is the same as BenchmarkEcho's (a fresh request and recorder per
// call, through the handler) with the signed header set attached.
func BenchmarkEchoSigned(b *testing.B) {
	kit := kitHandler(b)
	body := readFile(b, "jsonrpc-request-signed.json")
	signer := benchSigner(b)
	for _, tc := range []struct {
		name string
		sign func(*http.Request, []byte)
	}{
		{"kit-hmac", signer.Sign},
		{"kit-session", openSession(b, kit, signer, body).Sign},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var signed []http.Header
			for b.Loop() {
				if len(signed) == 0 {
					b.StopTimer()
					signed = signHeaders(tc.sign, body, 4096)
					b.StartTimer()
				}
				req := httptest.NewRequest(http.MethodPost, echo.RPCPath, bytes.NewReader(body))
				req.Header = signed[0]
				signed = signed[1:]
				rec := httptest.NewRecorder()
				kit.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"error"`)) {
					b.Fatalf("status = %d, body %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// signHeaders signs n calls of body with sign and returns their headers.
func signHeaders(sign func(*http.Request, []byte), body []byte, n int) []http.Header {
	hs := make([]http.Header, n)
	for i := range hs {
		r := httptest.NewRequest(http.MethodPost, echo.RPCPath, nil)
		r.Header.Set("Content-Type", "application/json")
		sign(r, body)
		hs[i] = r.Header
	}
	return hs
}

// openSession makes a fully signed call of body to h asking for a service
// session and returns the signer of the session granted.
func openSession(tb testing.TB, h http.Handler, signer auth.Signer, body []byte) *auth.SessionSigner {
	req := httptest.NewRequest(http.MethodPost, echo.RPCPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(auth.HeaderSession, auth.SessionOpen)
	signer.Sign(req, body)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	id := rec.Header().Get(auth.HeaderSession)
	if rec.Code != http.StatusOK || id == "" {
		tb.Fatalf("opening a session: status %d, session %q: %s", rec.Code, id, rec.Body)
	}
	return signer.Session(id)
}

// BenchmarkEchoWire is the kit's server path for a typed call (kit-typed)
// and a call in a service session (kit-session) with each request parsed
// by net/http from the bytes a client writes (http.ReadRequest, from a
// reader reused as a connection's is), so that the request headers' cost
// counts as it does in run.sh; BenchmarkEcho and BenchmarkEchoSigned start
// from requests already made.
func BenchmarkEchoWire(b *testing.B) {
	kit := kitHandler(b)
	signer := benchSigner(b)
	signed := readFile(b, "jsonrpc-request-signed.json")
	ss := openSession(b, kit, signer, signed)
	br := bufio.NewReaderSize(nil, 4096)
	var rd bytes.Reader
	serve := func(b *testing.B, wire []byte) {
		rd.Reset(wire)
		br.Reset(&rd)
		req, err := http.ReadRequest(br)
		if err != nil {
			b.Fatal(err)
		}
		req.RemoteAddr = "127.0.0.1:40000"
		rec := httptest.NewRecorder()
		kit.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"error"`)) {
			b.Fatalf("status = %d, body %s", rec.Code, rec.Body)
		}
	}
	b.Run("kit-typed", func(b *testing.B) {
		wire := testkit.WireRequests(b, "http://127.0.0.1:18480"+echo.RPCPath, readFile(b, "jsonrpc-request-typed.json"), 1, nil)[0]
		b.ReportAllocs()
		for b.Loop() {
			serve(b, wire)
		}
	})
	b.Run("kit-session", func(b *testing.B) {
		b.ReportAllocs()
		var wires [][]byte
		for b.Loop() {
			if len(wires) == 0 {
				b.StopTimer()
				wires = testkit.WireRequests(b, "http://127.0.0.1:18480"+echo.RPCPath, signed, 4096, ss.Sign)
				b.StartTimer()
			}
			serve(b, wires[0])
			wires = wires[1:]
		}
	})
}

// benchSigner signs calls as the service "bench" with the environment's
// (or the development) service keys, as signreqs does for run.sh.
func benchSigner(b *testing.B) auth.Signer {
	return authtest.Signer(b, "bench")
}
