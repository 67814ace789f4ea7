package rpc

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// TestClientHTTP2Cleartext checks that a client with HTTP2 calls an http://
// endpoint over HTTP/2 without TLS (h2c), and one without over HTTP/1.1.
func TestClientHTTP2Cleartext(t *testing.T) {
	s := NewServer(Options{})
	Handle(s, echoMethod, func(_ context.Context, p echoParams) (echoParams, error) { return p, nil })
	var mu sync.Mutex
	var protos []string
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		protos = append(protos, r.Proto)
		mu.Unlock()
		s.ServeHTTP(w, r)
	}))
	ts.Config.Protocols = new(http.Protocols)
	ts.Config.Protocols.SetHTTP1(true)
	ts.Config.Protocols.SetUnencryptedHTTP2(true)
	ts.Start()
	defer ts.Close()
	for _, tc := range []struct {
		http2 bool
		want  string
	}{{true, "HTTP/2.0"}, {false, "HTTP/1.1"}} {
		c, err := NewClient(ClientOptions{Endpoints: []string{ts.URL}, HTTP2: tc.http2})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := echoMethod.Call(context.Background(), c, echoParams{Text: "hi"}); err != nil || got.Text != "hi" {
			t.Fatalf("HTTP2 %v: echo = %+v, %v", tc.http2, got, err)
		}
		mu.Lock()
		last := protos[len(protos)-1]
		mu.Unlock()
		if last != tc.want {
			t.Errorf("HTTP2 %v: the call went over %s, want %s", tc.http2, last, tc.want)
		}
	}
}
