package rpc

import (
	"fmt"
	"testing"

	"github.com/attendify/platform/auth"
)

// TestParseRequestDoesNotAllocate pins the request parser's cost: taking a
// plain request apart makes no string per member name.
func TestParseRequestDoesNotAllocate(t *testing.T) {
	raw := []byte(`{"jsonrpc":"2.0","method":"echo","params":{"text":"hello, attendify","n":42},"id":1}`)
	var r request
	if n := testing.AllocsPerRun(100, func() { r = parseRequest(raw) }); n != 0 {
		t.Errorf("parseRequest allocates %v times per request, want 0", n)
	}
	if r.bad != "" || string(r.method) != `"echo"` || string(r.id) != "1" {
		t.Errorf("parsed %+v", r)
	}
	if got := parseRequest([]byte(`{"jsonrpc":"2.0","meth\u006fd":"echo","method":"x","id":1}`)); got.bad != `duplicate member "method"` {
		t.Errorf("an escaped duplicate member name: bad = %q", got.bad)
	}
}

// TestCallerName pins the access log's caller names, and that a service's
// is made once, not on every call (the table of names is bounded).
func TestCallerName(t *testing.T) {
	s := NewServer(Options{})
	tests := []struct {
		caller auth.Caller
		want   string
	}{
		{auth.Caller{}, "anonymous"},
		{auth.Caller{Kind: auth.CallerUser, User: "u1"}, "user:u1"},
		{auth.Caller{Kind: auth.CallerService, Service: "hub"}, "service:hub"},
		{auth.Caller{Kind: auth.CallerService, Service: "hub", User: "u1"}, "service:hub/user:u1"},
	}
	for _, tt := range tests {
		if got := s.callerName(tt.caller); got != tt.want {
			t.Errorf("callerName(%+v) = %q, want %q", tt.caller, got, tt.want)
		}
	}
	hub := auth.Caller{Kind: auth.CallerService, Service: "hub"}
	if n := testing.AllocsPerRun(100, func() { s.callerName(hub) }); n != 0 {
		t.Errorf("callerName of a service: %v allocations per call, want 0", n)
	}
	for i := range 2 * maxServiceNames {
		svc := fmt.Sprintf("svc%d", i)
		if got := s.callerName(auth.Caller{Kind: auth.CallerService, Service: svc}); got != "service:"+svc {
			t.Fatalf("callerName of %s = %q", svc, got)
		}
	}
	if n := len(*s.services.m.Load()); n != maxServiceNames {
		t.Errorf("%d service names kept, want the bound, %d", n, maxServiceNames)
	}
}
