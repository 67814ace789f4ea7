package auth

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/attendify/platform/testkit"
)

// benchRPCBody is the body of the RPC benchmark's signed echo
// (bench/rpc/testdata/jsonrpc-request-signed.json).
var benchRPCBody = []byte(`{"jsonrpc":"2.0","method":"echo.signed","params":{"text":"hello, attendify","n":42},"id":1}`)

// BenchmarkSessionCallWire measures what a server does for the
// authentication of one session call as it comes off the wire: net/http's
// parsing of the request line and headers (http.ReadRequest, from a reader
// reused as a connection's is) and Authenticator.Authenticate of the
// request. "unsigned" is the same request without the service headers,
// parsed only: the difference is what a session call costs over an
// unauthenticated one. "parse" is the session call parsed only.
func BenchmarkSessionCallWire(b *testing.B) {
	v := &ServiceVerifier{Keys: map[string][]byte{"dev": testSecret}, Nonces: NewMemoryNonces(), Sessions: NewSessions()}
	a := &Authenticator{Services: v}
	s := Signer{KeyID: "dev", Secret: testSecret, Service: "bench"}
	ss := s.Session(v.Sessions.open(s.Service, s.KeyID, s.Secret, time.Now()))
	body := benchRPCBody
	ctx := context.Background()
	br := bufio.NewReaderSize(nil, 4096)
	var rd bytes.Reader
	parse := func(b *testing.B, wire []byte) *http.Request {
		rd.Reset(wire)
		br.Reset(&rd)
		r, err := http.ReadRequest(br)
		if err != nil {
			b.Fatal(err)
		}
		r.RemoteAddr = "127.0.0.1:40000"
		return r
	}
	b.Run("unsigned", func(b *testing.B) {
		wire := testkit.WireRequests(b, "http://127.0.0.1:18480/rpc", body, 1, nil)[0]
		b.ReportAllocs()
		for b.Loop() {
			parse(b, wire)
		}
	})
	b.Run("parse", func(b *testing.B) {
		wire := testkit.WireRequests(b, "http://127.0.0.1:18480/rpc", body, 1, ss.Sign)[0]
		b.ReportAllocs()
		for b.Loop() {
			parse(b, wire)
		}
	})
	b.Run("session", func(b *testing.B) {
		b.ReportAllocs()
		var wires [][]byte
		for b.Loop() {
			if len(wires) == 0 {
				b.StopTimer()
				wires = testkit.WireRequests(b, "http://127.0.0.1:18480/rpc", body, 4096, ss.Sign)
				b.StartTimer()
			}
			r := parse(b, wires[0])
			wires = wires[1:]
			c, err := a.Authenticate(ctx, r, body)
			if err != nil || c.Kind != CallerService {
				b.Fatal(c, err)
			}
		}
	})
}
