package testkit

import (
	"bytes"
	"net/http"
	"testing"
)

// WireRequests returns n POST requests of body to url as a client writes
// them on the wire (request line, Host, User-Agent, Content-Length,
// Content-Type: application/json, the headers sign sets, the body), each
// signed by its own call of sign (none when nil): for benchmarks that
// serve requests from their bytes (http.ReadRequest), so that net/http's
// parsing of the headers counts as it does under a load generator.
func WireRequests(tb testing.TB, url string, body []byte, n int, sign func(*http.Request, []byte)) [][]byte {
	tb.Helper()
	out := make([][]byte, n)
	var buf bytes.Buffer
	for i := range out {
		r, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			tb.Fatal(err)
		}
		r.Header.Set("Content-Type", "application/json")
		if sign != nil {
			sign(r, body)
		}
		buf.Reset()
		if err := r.Write(&buf); err != nil {
			tb.Fatal(err)
		}
		out[i] = bytes.Clone(buf.Bytes())
	}
	return out
}
