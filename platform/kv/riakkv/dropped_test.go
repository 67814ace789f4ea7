package riakkv

// What a connection that the Riak node closes in the middle of a request
// costs: a Riak KV 3.2 node's protocol buffers server crashes the
// connection when it cannot decode a request (a causal context it did not
// issue, for one), and riak-go-client then takes the node out of service
// until its health check brings it back. The node here is a fake that
// speaks just enough of the protocol (ping, data-type fetch and update).

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/attendify/platform/errs"
	rpbdt "github.com/basho/riak-go-client/rpb/riak_dt"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
)

// Protocol buffers message codes (riak-go-client's messages.go).
const (
	codePingReq     = 1
	codePingResp    = 2
	codeDtFetchReq  = 80
	codeDtFetchResp = 81
	codeDtUpdateReq = 82
	codeDtUpdResp   = 83
)

// fakeNode is a Riak node that serves one counter and closes the
// connection of the first request with code drop.
type fakeNode struct {
	t    *testing.T
	ln   net.Listener
	drop byte

	mu       sync.Mutex
	dropped  bool
	counter  int64
	requests map[byte]int // by request code, dropped ones included
	conns    map[net.Conn]bool
	served   map[byte][]net.Conn // the connection of each served request, by code
}

func newFakeNode(t *testing.T, drop byte) *fakeNode {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeNode{t: t, ln: ln, drop: drop, counter: 7,
		requests: map[byte]int{}, conns: map[net.Conn]bool{}, served: map[byte][]net.Conn{}}
	go f.accept()
	t.Cleanup(func() {
		ln.Close()
		f.mu.Lock()
		defer f.mu.Unlock()
		for c := range f.conns {
			c.Close()
		}
	})
	return f
}

func (f *fakeNode) accept() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns[c] = true
		f.mu.Unlock()
		go f.serve(c)
	}
}

func (f *fakeNode) serve(c net.Conn) {
	defer c.Close()
	for {
		var size [4]byte
		if _, err := io.ReadFull(c, size[:]); err != nil {
			return
		}
		msg := make([]byte, binary.BigEndian.Uint32(size[:]))
		if _, err := io.ReadFull(c, msg); err != nil || len(msg) == 0 {
			return
		}
		code := msg[0]
		f.mu.Lock()
		f.requests[code]++
		if code == f.drop && !f.dropped {
			f.dropped = true
			f.mu.Unlock()
			return // as Riak's PB server does when its handler crashes
		}
		f.served[code] = append(f.served[code], c)
		var resp protoadapt.MessageV1
		var respCode byte
		switch code {
		case codePingReq:
			respCode = codePingResp
		case codeDtFetchReq:
			respCode = codeDtFetchResp
			resp = &rpbdt.DtFetchResp{Type: rpbdt.DtFetchResp_COUNTER.Enum(), Value: &rpbdt.DtValue{CounterValue: proto.Int64(f.counter)}}
		case codeDtUpdateReq:
			var req rpbdt.DtUpdateReq
			if err := proto.Unmarshal(msg[1:], protoadapt.MessageV2Of(&req)); err != nil {
				f.mu.Unlock()
				f.t.Errorf("fake node: bad update: %v", err)
				return
			}
			f.counter += req.GetOp().GetCounterOp().GetIncrement()
			respCode = codeDtUpdResp
			resp = &rpbdt.DtUpdateResp{CounterValue: proto.Int64(f.counter)}
		default:
			f.mu.Unlock()
			f.t.Errorf("fake node: unexpected request code %d", code)
			return
		}
		f.mu.Unlock()
		var body []byte
		if resp != nil {
			var err error
			if body, err = proto.Marshal(protoadapt.MessageV2Of(resp)); err != nil {
				f.t.Errorf("fake node: %v", err)
				return
			}
		}
		out := binary.BigEndian.AppendUint32(nil, uint32(1+len(body)))
		out = append(append(out, respCode), body...)
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}

func (f *fakeNode) count(code byte) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[code]
}

func (f *fakeNode) servedOn(code byte) []net.Conn {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]net.Conn(nil), f.served[code]...)
}

func openFake(t *testing.T, f *fakeNode) *Store {
	t.Helper()
	cfg := testConfig()
	cfg.Hosts = []string{f.ln.Addr().String()}
	cfg.ConnectTimeout, cfg.RequestTimeout = time.Second, 2*time.Second
	cfg.MaxConnections = 8
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// A read whose connection the node drops is retried once, on another
// connection, and succeeds; the calls after it are served at once.
func TestDroppedConnectionCostsOneRetry(t *testing.T) {
	f := newFakeNode(t, codeDtFetchReq)
	s := openFake(t, f)
	ctx := t.Context()

	n, err := s.Counter(ctx, "b", "c")
	if err != nil || n != 7 {
		t.Fatalf("Counter over a dropped connection = %d, %v; want 7, nil (retried)", n, err)
	}
	if got := f.count(codeDtFetchReq); got != 2 {
		t.Errorf("the node got %d fetches, want 2: the dropped one and one retry", got)
	}
	// The node stays in service: every following call goes through,
	// without waiting for a health check.
	for i := range 10 {
		if n, err := s.Counter(ctx, "b", "c"); err != nil || n != 7 {
			t.Fatalf("call %d after the drop: Counter = %d, %v; want 7, nil", i+1, n, err)
		}
	}
	if got := f.count(codeDtFetchReq); got != 12 {
		t.Errorf("the node got %d fetches, want 12 (no more retries)", got)
	}
}

// A counter increment whose connection is dropped may or may not have been
// applied: it is not repeated (that could count it twice) but reported as
// errs.Unavailable; the next increment goes through.
func TestDroppedIncrementIsNotRepeated(t *testing.T) {
	f := newFakeNode(t, codeDtUpdateReq)
	s := openFake(t, f)
	ctx := t.Context()

	_, err := s.Incr(ctx, "b", "c", 1)
	if !errors.Is(err, errs.Unavailable) {
		t.Fatalf("Incr over a dropped connection = %v, want kind unavailable", err)
	}
	if got := f.count(codeDtUpdateReq); got != 1 {
		t.Errorf("the node got %d increments, want 1 (not repeated)", got)
	}
	if n, err := s.Incr(ctx, "b", "c", 2); err != nil || n != 9 {
		t.Fatalf("the next Incr = %d, %v; want 9, nil", n, err)
	}
	if conns := f.servedOn(codeDtUpdateReq); len(conns) != 1 {
		t.Errorf("served %d increments, want 1", len(conns))
	}
}
